import itertools

import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import AsymmetricHasher
from zeroshash._kernel_map import project_rbf
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=12, n_anchors=40, random_state=0)


def _pm(codes):
    return codes.astype(np.float64) * 2 - 1


def _dense_objective(ah, X, y):
    """Stage 2's documented objective with S formed densely (independent of the low-rank code)."""
    n, r = X.shape[0], ah.bits
    U = project_rbf(X, ah.anchors_, ah.bandwidth_, ah.projection_)
    V, Z = _pm(ah.database_codes_), _pm(ah.class_codes_)
    Y = np.eye(len(ah.classes_))[np.searchsorted(ah.classes_, y)]
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    return (
        np.sum((U @ V.T - r * S) ** 2) / n
        + ah.nu * np.sum((V - U) ** 2)
        + ah.class_code_weight * np.sum((V - Y @ Z) ** 2)
        + ah.nu * ah.hash_ridge * np.sum(ah.projection_**2)
    )


def _label_objective(ah, Z, W=None):
    """Stage 1's documented objective, evaluated directly."""
    r, E = Z.shape[1], ah.class_vectors_
    W = ah.class_encoder_ if W is None else W
    return np.sum((r * ah.similarity_targets_ - Z @ Z.T) ** 2) / r + ah.class_encoder_weight * (
        np.sum((Z - E @ W) ** 2) + ah.semantic_ridge * np.sum(W**2)
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"nu": 1e-3}, {"class_code_weight": 0.0}, {"nu": 10.0, "class_code_weight": 5.0,
        "semantic_ridge": 0.1},
     {"n_sweeps": 1}, {"class_encoder_weight": 10.0, "margin": "auto"},
         {"class_encoder_weight": 0.0, "margin": 0.0}],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_both_objectives_never_increase(blobs, params, with_word_vecs):
    X, y, word_vecs = blobs
    # Overlapping classes, so the alternation takes several iterations to settle.
    X = X + 3.0 * np.random.RandomState(1).randn(*X.shape)
    ah = AsymmetricHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params})
    ah.fit(X, y, word_vecs if with_word_vecs else None)
    assert ah.n_iter_ == len(ah.objective_) >= 2
    assert ah.n_label_iter_ == len(ah.label_objective_) >= 1
    assert_non_increasing(ah.label_objective_)
    assert_non_increasing(ah.objective_)


@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_recorded_objectives_are_the_documented_ones(blobs, with_word_vecs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL, max_iter=4, tol=0.0).fit(
        X, y, word_vecs if with_word_vecs else None
    )
    np.testing.assert_allclose(ah.objective_[-1], _dense_objective(ah, X, y), rtol=1e-10)
    Z = _pm(ah.class_codes_)
    np.testing.assert_allclose(ah.label_objective_[-1], _label_objective(ah, Z), rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("margin", [1.0, "auto"])
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_label_stage_ends_where_no_single_flip_helps(blobs, seed, margin, with_word_vecs):
    """Stage 1 stops at a fixed point: no flip of Z lowers its objective given W, and W
    is the exact ridge solution given Z (both checked by direct evaluation)."""
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(bits=10, n_anchors=30, margin=margin, max_iter=50,
                          random_state=seed)
    ah.fit(X, y, word_vecs if with_word_vecs else None)
    assert ah.n_label_iter_ < 50
    Z, E = _pm(ah.class_codes_), ah.class_vectors_
    W = np.linalg.solve(E.T @ E + ah.semantic_ridge * np.eye(E.shape[1]), E.T @ Z)
    np.testing.assert_allclose(ah.class_encoder_, W, rtol=1e-10, atol=1e-12)
    best = _label_objective(ah, Z)
    for a, j in itertools.product(range(Z.shape[0]), range(Z.shape[1])):
        flipped = Z.copy()
        flipped[a, j] = -flipped[a, j]
        assert _label_objective(ah, flipped) >= best - 1e-9


def test_label_stage_sees_no_images(blobs):
    """The label network is trained first, on its own: the images do not move Z or W."""
    X, y, word_vecs = blobs
    a = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    other = np.random.RandomState(5).randn(*X.shape)
    b = AsymmetricHasher(**SMALL).fit(other, y, word_vecs)
    np.testing.assert_array_equal(a.class_codes_, b.class_codes_)
    np.testing.assert_array_equal(a.class_encoder_, b.class_encoder_)
    np.testing.assert_array_equal(a.label_objective_, b.label_objective_)


def test_one_hot_targets_are_the_label_similarity(blobs):
    X, y, _ = blobs
    ah = AsymmetricHasher(**SMALL).fit(X, y)
    np.testing.assert_array_equal(ah.similarity_targets_, 2 * np.eye(6) - 1)
    assert ah.margin_ == 1.0
    # Six classes in 12 bits: the flip search pushes distinct classes apart.
    Z = _pm(ah.class_codes_)
    off = ~np.eye(6, dtype=bool)
    assert (Z @ Z.T)[off].mean() < 0


def test_final_blocks_are_exact_minimisers(blobs):
    """At the end of a fit P and W are the exact minimisers given the other blocks."""
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL, max_iter=3, tol=0.0).fit(X, y, word_vecs)
    n, r = X.shape[0], ah.bits
    V, Z = _pm(ah.database_codes_), _pm(ah.class_codes_)
    Y = np.eye(6)[y]
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    E = ah.class_vectors_
    # P: stationary point of a strictly convex quadratic, solved through vec / kron.
    d2 = ((X[:, None, :] - ah.anchors_[None]) ** 2).sum(-1)
    Phi = np.hstack([np.exp(-d2 / ah.bandwidth_), np.ones((n, 1))])
    A, G = Phi.T @ Phi, V.T @ V / n + ah.nu * np.eye(r)
    system = np.kron(G, A) + ah.nu * ah.hash_ridge * np.eye(A.shape[0] * r)
    rhs = Phi.T @ (r / n * S @ V + ah.nu * V)
    P = np.linalg.solve(system, rhs.ravel(order="F")).reshape(rhs.shape, order="F")
    np.testing.assert_allclose(ah.projection_, P, rtol=1e-6, atol=1e-9)
    # W: ridge of Z on E.
    W = np.linalg.solve(E.T @ E + ah.semantic_ridge * np.eye(E.shape[1]), E.T @ Z)
    np.testing.assert_allclose(ah.class_encoder_, W, rtol=1e-10, atol=1e-12)


def test_fitted_attributes(blobs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    assert ah.database_codes_.shape == (X.shape[0], 12)
    assert ah.database_codes_.dtype == np.uint8
    assert set(np.unique(ah.database_codes_)) <= {0, 1}
    assert ah.class_codes_.shape == (6, 12) and ah.class_codes_.dtype == np.uint8
    assert ah.class_encoder_.shape == (3, 12)
    np.testing.assert_allclose(np.linalg.norm(ah.class_vectors_, axis=1), 1.0)
    assert ah.uses_word_vecs_
    assert ah.projection_.shape == (41, 12)
    codes = ah.transform(X)
    assert codes.shape == (X.shape[0], 12) and codes.dtype == np.uint8
    assert list(ah.get_feature_names_out()) == [f"asymmetrichasher{i}" for i in range(12)]


def test_label_input_modes(blobs):
    X, y, word_vecs = blobs
    onehot = AsymmetricHasher(**SMALL).fit(X, y)
    assert not onehot.uses_word_vecs_
    np.testing.assert_array_equal(onehot.class_vectors_, np.eye(6))
    forced = AsymmetricHasher(**SMALL, label_input="onehot").fit(X, y, word_vecs)
    assert not forced.uses_word_vecs_
    np.testing.assert_array_equal(forced.encode_classes(np.eye(6)), forced.class_codes_)
    with pytest.raises(ValueError, match="label_input='word_vecs' needs word vectors"):
        AsymmetricHasher(**SMALL, label_input="word_vecs").fit(X, y)


def test_encode_classes_seen_and_unseen(blobs):
    X, y, word_vecs = blobs
    # With at least as many dimensions as classes and a light ridge, the label network
    # reproduces the seen classes' codes from their own vectors.
    rich = np.hstack([word_vecs, np.random.RandomState(2).randn(6, 5)])
    ah = AsymmetricHasher(**SMALL, semantic_ridge=1e-3).fit(X, y, rich)
    np.testing.assert_array_equal(ah.encode_classes(rich), ah.class_codes_)
    # 3-d vectors cannot carry 6 arbitrary 12-bit codes: the network's own codes
    # then differ from the class codes in some bits, but keep their shape and type.
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    seen = ah.encode_classes(word_vecs)
    assert seen.shape == (6, 12) and seen.dtype == np.uint8
    assert np.mean(seen == ah.class_codes_) > 0.5
    # Scaling does not matter (vectors are normalised); a new vector close to a seen
    # class's gets (nearly) that class's code: the map is what encodes unseen classes.
    np.testing.assert_array_equal(ah.encode_classes(3.0 * word_vecs), seen)
    unseen = word_vecs[2] + 0.01 * np.random.RandomState(1).randn(3)
    code = ah.encode_classes(unseen[None])
    assert code.shape == (1, 12)
    assert np.sum(code[0] != seen[2]) <= 1
    with pytest.raises(ValueError, match="3-dimensional word vectors"):
        ah.encode_classes(np.ones((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        ah.encode_classes(np.full((1, 3), np.nan))


def test_database_codes_follow_classes_and_queries_find_them(blobs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    # Asymmetric use: query codes of the training rows against their database codes.
    m = mean_average_precision(ah.transform(X), ah.database_codes_, y, y)
    assert m > 0.95
    # The semantic targets guide the database codes: most bits agree with Y Z.
    assert np.mean(ah.database_codes_ == ah.class_codes_[y]) > 0.8


@pytest.mark.parametrize("unseen", [[4, 5], [0, 3], [1, 2]])
def test_encode_classes_carries_signal_to_unseen_classes(blobs, unseen):
    """Codes of unseen classes from their word vectors lie nearer their own images."""
    X, y, word_vecs = blobs
    seen = ~np.isin(y, unseen)
    ah = AsymmetricHasher(**SMALL).fit(X[seen], y[seen], word_vecs[np.unique(y[seen])])
    codes = ah.encode_classes(word_vecs[unseen])
    queries, labels = ah.transform(X[~seen]), np.searchsorted(unseen, y[~seen])
    distances = (queries[:, None, :] != codes[None]).sum(-1)
    rows = np.arange(labels.size)
    assert distances[rows, labels].mean() < distances[rows, 1 - labels].mean()


def test_float32_input_gives_nearly_the_same_codes(blobs):
    X, y, word_vecs = blobs
    a = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    c = AsymmetricHasher(**SMALL).fit(X.astype(np.float32), y, word_vecs)
    assert np.mean(c.transform(X) == a.transform(X)) > 0.99


def test_word_vecs_given_twice_is_an_error(blobs):
    X, y, word_vecs = blobs
    with pytest.raises(ValueError, match="both to the constructor and to fit"):
        AsymmetricHasher(**SMALL, word_vecs=word_vecs).fit(X, y, word_vecs)


@pytest.mark.parametrize(
    "params",
    [{"bits": 0}, {"nu": -1.0}, {"class_code_weight": -0.1}, {"semantic_ridge": 0.0},
        {"hash_ridge": 0.0},
     {"class_encoder_weight": -1.0}, {"margin": 2.5}, {"margin": "mean"},
     {"label_input": "glove"}, {"max_iter": 0}, {"n_sweeps": 0}],
)
def test_bad_parameters(blobs, params):
    X, y, _ = blobs
    with pytest.raises(InvalidParameterError):
        AsymmetricHasher(**{**SMALL, **params}).fit(X, y)


def test_multilabel_objective_is_the_documented_one():
    """Multi-label: S_ij = +1 where the label sets intersect, each code tied to the mean
    of its labels' class codes -- evaluated with S formed densely."""
    from _helpers import multilabel_problem

    X, Y, word_vecs = multilabel_problem(n=120)
    ah = AsymmetricHasher(bits=12, n_anchors=30, max_iter=6, tol=0.0, random_state=0)
    ah.fit(X, Y, word_vecs)
    n, r = X.shape[0], ah.bits
    U = project_rbf(X, ah.anchors_, ah.bandwidth_, ah.projection_)
    V, Z = _pm(ah.database_codes_), _pm(ah.class_codes_)
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    mean_codes = (Y / Y.sum(axis=1, keepdims=True)) @ Z
    dense = (
        np.sum((U @ V.T - r * S) ** 2) / n
        + ah.nu * np.sum((V - U) ** 2)
        + ah.class_code_weight * np.sum((V - mean_codes) ** 2)
        + ah.nu * ah.hash_ridge * np.sum(ah.projection_**2)
    )
    np.testing.assert_allclose(ah.objective_[-1], dense, rtol=1e-10)
    assert_non_increasing(ah.objective_)
