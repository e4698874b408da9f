import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import CrossModalHasher, ITQHasher, pack_bits
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, n_anchors=60, n_components=8, random_state=0)


@pytest.fixture
def pairs(blobs):
    """The blobs as images, and a second modality: a noisy linear view of the same items."""
    X, y, word_vecs = blobs
    rng = np.random.RandomState(1)
    S = X @ rng.randn(20, 12) / 4 + rng.randn(X.shape[0], 12)
    return X, S, y, word_vecs


@pytest.mark.parametrize(
    "params",
    [{}, {"fusion_weight": 0.0}, {"fusion_weight": 10.0, "nu": 1e-3}, {"heat_bandwidth": 0.01},
        {"semantic_ridge": 1.0}],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_objective_never_increases(pairs, params, with_word_vecs):
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params})
    cmh.fit(X, y, word_vecs if with_word_vecs else None, X_query=S)
    assert cmh.n_iter_ == len(cmh.objective_) >= 2
    assert_non_increasing(cmh.objective_)


def test_fitted_attributes(pairs):
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL).fit(X, y, word_vecs, X_query=S)
    assert cmh.anchors_.shape == (60, 20) and cmh.query_anchors_.shape == (60, 12)
    assert cmh.projection_.shape == cmh.query_projection_.shape == (61, 16)
    assert cmh.semantic_projection_.shape == (16, 3)
    assert cmh.fusion_logits_.shape == (6, 16)
    assert cmh.n_features_in_ == 20 and cmh.n_query_features_in_ == 12
    np.testing.assert_allclose(np.linalg.norm(cmh.class_vectors_, axis=1), 1.0)
    np.testing.assert_allclose(np.diag(cmh.class_graph_), 1.0)
    np.testing.assert_allclose(cmh.class_graph_, cmh.class_graph_.T)
    C = cmh.class_vectors_
    d2 = np.sum((C[:, None] - C[None]) ** 2, axis=2)
    np.testing.assert_allclose(cmh.heat_bandwidth_, d2[~np.eye(6, dtype=bool)].mean())
    np.testing.assert_allclose(cmh.class_graph_, np.exp(-d2 / cmh.heat_bandwidth_), atol=1e-12)
    assert list(cmh.get_feature_names_out()) == [f"crossmodalhasher{i}" for i in range(16)]


def test_one_hot_mode_without_word_vectors(pairs):
    X, S, y, _ = pairs
    cmh = CrossModalHasher(**SMALL).fit(X, y, X_query=S)
    np.testing.assert_array_equal(cmh.class_vectors_, np.eye(6))
    off = cmh.class_graph_[~np.eye(6, dtype=bool)]
    np.testing.assert_allclose(off, np.exp(-1.0))  # uniform: every pair at distance^2 = 2 = t


def test_fusion_branch_matches_explicit_graph_convolution(pairs):
    """The class-level U-step equals a ridge fit on the explicit n x dim(F) features A_hat F."""
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**{**SMALL, "max_iter": 1}).fit(X, y, word_vecs, X_query=S)
    from zeroshash.hashers._cross_modal import _reduced_with_bias

    Zx, Zs = _reduced_with_bias(X, 8), _reduced_with_bias(S, 8)
    F = np.einsum("ni,nj->nij", Zx, Zs).reshape(X.shape[0], -1)
    C = cmh.class_vectors_
    A = np.exp(-np.sum((C[y][:, None] - C[y][None]) ** 2, axis=2) / cmh.heat_bandwidth_)
    d = A.sum(axis=1)
    G = A / np.sqrt(d)[:, None] / np.sqrt(d)[None, :] @ F
    # Every row of A_hat F depends on the sample's class only.
    for label in range(6):
        rows = G[y == label]
        np.testing.assert_allclose(rows, np.broadcast_to(rows[0], rows.shape), atol=1e-10)
    # The class-level solver (push-through identity) equals the explicit ridge on G.
    rng = np.random.RandomState(0)
    B = np.where(rng.randn(X.shape[0], 16) >= 0, 1.0, -1.0)
    U = np.linalg.solve(G.T @ G + cmh.fusion_ridge * np.eye(G.shape[1]), G.T @ B)
    K_F = G[[np.flatnonzero(y == a)[0] for a in range(6)]]
    K_F = K_F @ K_F.T
    counts = np.bincount(y).astype(float)
    alpha = np.linalg.solve(counts[:, None] * K_F + cmh.fusion_ridge * np.eye(6),
        np.eye(6)[y].T @ B)
    np.testing.assert_allclose((G @ U)[[np.flatnonzero(y == a)[0] for a in range(6)]],
                               K_F @ alpha, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sum(U**2), np.sum(alpha * (K_F @ alpha)), rtol=1e-6)


def test_outputs_agree_for_both_modalities(pairs):
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL).fit(X, y, word_vecs, X_query=S)
    for transform, decision, encode, M in (
        (cmh.transform, cmh.decision_function, cmh.encode, X),
        (cmh.transform_query, cmh.decision_function_query, cmh.encode_query, S),
    ):
        proj = decision(M)
        bits = transform(M)
        assert proj.dtype == np.float64 and proj.shape == (M.shape[0], 16)
        assert bits.dtype == np.uint8 and bits.shape == (M.shape[0], 16)
        np.testing.assert_array_equal(bits, (proj >= 0).astype(np.uint8))
        np.testing.assert_array_equal(encode(M), pack_bits(bits))
    fitted_codes = CrossModalHasher(**SMALL).fit_transform(X, y, word_vecs=word_vecs, X_query=S)
    np.testing.assert_array_equal(cmh.transform(X), fitted_codes)


def test_single_modality_mode(pairs):
    X, _, y, word_vecs = pairs
    a = CrossModalHasher(**SMALL).fit(X, y, word_vecs)
    b = CrossModalHasher(**SMALL).fit(X, y, word_vecs, X_query=X)
    assert a.n_query_features_in_ == X.shape[1]
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.transform_query(X), b.transform_query(X))


def test_cross_modal_retrieval_beats_a_single_modality_hasher(pairs):
    """Queries in the second modality retrieve images; ITQ fitted on images cannot."""
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL).fit(X, y, word_vecs, X_query=S)
    cross = mean_average_precision(cmh.transform_query(S), cmh.transform(X), y, y)
    itq = ITQHasher(bits=16, random_state=0).fit(X)
    # S has fewer features than X: pad it to give ITQ a (meaningless) query encoding.
    S_padded = np.hstack([S, np.zeros((S.shape[0], X.shape[1] - S.shape[1]))])
    baseline = mean_average_precision(itq.transform(S_padded), itq.transform(X), y, y)
    assert cross > 0.8, cross
    assert baseline < cross - 0.3, baseline


def test_bad_query_inputs(pairs):
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL)
    with pytest.raises(ValueError, match=r"240 rows in X and 239 rows in X_query"):
        cmh.fit(X, y, word_vecs, X_query=S[:-1])
    S_nan = S.copy()
    S_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cmh.fit(X, y, word_vecs, X_query=S_nan)
    with pytest.raises(ValueError, match="2D array"):
        cmh.fit(X, y, word_vecs, X_query=S[:, 0])
    with pytest.raises(ValueError, match="requires y"):
        cmh.fit(X, None, X_query=S)
    with pytest.raises(InvalidParameterError):
        CrossModalHasher(nu=0.0).fit(X, y, X_query=S)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        cmh.transform_query(S)
    cmh.fit(X, y, word_vecs, X_query=S)
    with pytest.raises(ValueError, match="expecting 12 query-modality features"):
        cmh.transform_query(X)
    with pytest.raises(ValueError, match="expecting 20 features"):
        cmh.transform(S)
    with pytest.raises(ValueError, match="NaN"):
        cmh.transform_query(S_nan)


def test_bad_inputs_fail_before_any_work(pairs, monkeypatch):
    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL)

    def fail(*args, **kwargs):
        raise AssertionError("work started before validation")

    monkeypatch.setattr(cmh, "_fit_pairs", fail)
    with pytest.raises(ValueError, match="rows in X_query"):
        cmh.fit(X, y, word_vecs, X_query=S[:10])


def test_failed_fit_leaves_the_model_as_it_was(pairs):
    from sklearn.exceptions import NotFittedError

    X, S, y, word_vecs = pairs
    cmh = CrossModalHasher(**SMALL)
    with pytest.raises(ValueError, match="rows in X_query"):
        cmh.fit(X, y, word_vecs, X_query=S[:10])
    assert not hasattr(cmh, "n_features_in_") and not hasattr(cmh, "classes_")
    with pytest.raises(NotFittedError):
        cmh.transform(X)
    cmh.fit(X, y, word_vecs, X_query=S)
    before = cmh.transform(X)
    with pytest.raises(ValueError, match="NaN"):
        cmh.fit(X[:, :5], y, word_vecs, X_query=np.full_like(S, np.nan))
    assert cmh.n_features_in_ == 20
    np.testing.assert_array_equal(cmh.transform(X), before)


def test_multilabel_graph_is_over_the_distinct_label_sets():
    """Multi-label: a sample's semantic vector is the mean of its labels' vectors, so the
    graph's nodes are the distinct label sets."""
    from _helpers import multilabel_problem

    X, Y, word_vecs = multilabel_problem(n=120)
    cmh = CrossModalHasher(bits=16, n_anchors=30, max_iter=4, random_state=0)
    cmh.fit(X, Y, word_vecs, X_query=X[:, ::-1])
    n_sets = len(np.unique(Y, axis=0))
    assert cmh.class_graph_.shape == (n_sets, n_sets)
    assert cmh.fusion_logits_.shape == (n_sets, 16)
    np.testing.assert_allclose(np.diag(cmh.class_graph_), 1.0)
    assert_non_increasing(cmh.objective_)
