import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import ZSHHasher
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, n_anchors=60, random_state=0)


# The default setting is test_common's; these take other paths through the blocks.
@pytest.mark.parametrize(
    "params",
    [
        {"rotate": False},
        {"graph_weight": 1e-4},
        {"graph_weight": 1e-3, "graph": "knn"},
        {"nu": 1e-2, "semantic_ridge": 1.0},
    ],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_objective_never_increases(blobs, params, with_word_vecs):
    X, y, word_vecs = blobs
    zsh = ZSHHasher(**{**SMALL, "max_iter": 15, "tol": 0.0, **params})
    zsh.fit(X, y, word_vecs if with_word_vecs else None)
    assert zsh.n_iter_ == len(zsh.objective_) >= 2
    assert_non_increasing(zsh.objective_)


def test_fitted_attributes(blobs):
    X, y, word_vecs = blobs
    zsh = ZSHHasher(**SMALL).fit(X, y, word_vecs)
    d = word_vecs.shape[1]
    assert zsh.anchors_.shape == (60, X.shape[1])
    assert zsh.projection_.shape == (61, 16)
    assert zsh.semantic_projection_.shape == (16, d)
    np.testing.assert_allclose(zsh.rotation_.T @ zsh.rotation_, np.eye(d), atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(zsh.class_vectors_, axis=1), 1.0)
    np.testing.assert_array_equal(zsh.classes_, np.arange(6))
    assert zsh.max_iter >= zsh.n_iter_ == len(zsh.objective_) >= 1
    assert list(zsh.get_feature_names_out()) == [f"zshhasher{i}" for i in range(16)]


def test_one_hot_mode_without_word_vectors(blobs):
    X, y, _ = blobs
    zsh = ZSHHasher(**SMALL).fit(X, y)
    np.testing.assert_array_equal(zsh.class_vectors_, np.eye(6))
    assert zsh.rotation_.shape == (6, 6)


def test_anchors_capped_by_samples(blobs):
    X, y, word_vecs = blobs
    zsh = ZSHHasher(bits=8, n_anchors=10_000, random_state=0).fit(X[::8], y[::8], word_vecs)
    assert zsh.anchors_.shape[0] == 30


def test_unseen_classes_retrieve_each_other(blobs):
    X, y, word_vecs = blobs
    seen = y < 4
    zsh = ZSHHasher(bits=32, n_anchors=100, random_state=0).fit(X[seen], y[seen], word_vecs[:4])
    codes = zsh.transform(X)
    unseen_map = mean_average_precision(codes[~seen][::4], codes, y[~seen][::4], y)
    chance = 1 / 6
    assert unseen_map > 2 * chance


def test_graph_laplacian_gram_matches_dense_construction(blobs):
    X, y, word_vecs = blobs
    X = X[:50]
    zsh = ZSHHasher(bits=4, n_anchors=12, graph_weight=1.0, n_neighbors=3, random_state=0)
    from zeroshash._kernel_map import rbf_features, squared_distances

    anchors = X[:12]
    d2 = squared_distances(X, anchors)
    Phi = rbf_features(d2, d2.mean())
    gram = zsh._laplacian_gram(X, Phi, d2)
    # Dense anchor graph: Z rows = normalised kernel weights of the 3 nearest anchors.
    Z = np.zeros((50, 12))
    for i in range(50):
        near = np.argsort(d2[i])[:3]
        Z[i, near] = Phi[i, near] / Phi[i, near].sum()
    S = Z @ np.diag(1 / Z.sum(axis=0)) @ Z.T
    np.testing.assert_allclose(gram, Phi.T @ (np.eye(50) - S) @ Phi, atol=1e-10)
    assert np.linalg.eigvalsh(gram).min() > -1e-9


def test_both_word_vector_sources_is_an_error(blobs):
    X, y, word_vecs = blobs
    zsh = ZSHHasher(**SMALL, word_vecs=word_vecs)
    with pytest.raises(ValueError, match="both to the constructor and to fit"):
        zsh.fit(X, y, word_vecs=word_vecs)


def test_failed_fit_leaves_no_trace(blobs):
    """A class missing from the word vectors is found after X was validated: no half state."""
    X, y, word_vecs = blobs
    zsh = ZSHHasher(bits=8, n_anchors=30, random_state=0)
    missing = {label: vec for label, vec in enumerate(word_vecs) if label != 5}
    with pytest.raises((KeyError, ValueError), match="5"):
        zsh.fit(X, y, missing)
    assert not hasattr(zsh, "n_features_in_") and not hasattr(zsh, "classes_")
    zsh.fit(X, y, dict(enumerate(word_vecs)))
    fitted = {k: v for k, v in vars(zsh).items() if k.endswith("_")}
    with pytest.raises((KeyError, ValueError), match="5"):
        zsh.fit(X[:, :4], y, missing)
    assert zsh.n_features_in_ == 20 and zsh.projection_ is fitted["projection_"]


@pytest.mark.parametrize(
    "params, match",
    [({"bits": 0}, "bits"), ({"n_anchors": 0}, "n_anchors"), ({"graph": "full"}, "graph"),
     ({"nu": 0.0}, "nu"), ({"bits": 8.5}, "bits")],
)
def test_bad_parameters(blobs, params, match):
    X, y, word_vecs = blobs
    with pytest.raises(InvalidParameterError, match=match):
        ZSHHasher(**params).fit(X, y, word_vecs)


def test_matches_literal_transcription_of_published_code(blobs):
    from _reference_zsh import reference_zsh

    X, y, word_vecs = blobs
    # The published names: lam and the absolute epsilon (hash_ridge = epsilon / nu here).
    params = dict(bits=16, n_anchors=60, nu=1e-5, max_iter=10)
    ref = reference_zsh(X, y, word_vecs, seed=7, lam=1.0, epsilon=1e-3, **params)
    zsh = ZSHHasher(**params, tol=0.0, random_state=7).fit(X, y, word_vecs)
    assert (zsh.semantic_ridge, zsh.nu * zsh.hash_ridge) == (1.0, 1e-3)  # the defaults
    np.testing.assert_array_equal(zsh.anchors_, ref["anchors"])
    assert zsh.bandwidth_ == pytest.approx(ref["sigma2"])
    ours = zsh.transform(X)
    theirs = (np.hstack([np.exp(-((X[:, None] - ref["anchors"][None]) ** 2).sum(-1)
                                / ref["sigma2"]), np.ones((len(X), 1))]) @ ref["P"] >= 0)
    assert (ours == theirs).mean() > 0.99
    np.testing.assert_allclose(np.abs(zsh.rotation_), np.abs(ref["R"]), atol=1e-6)


def test_multilabel_target_is_the_mean_of_the_labels_word_vectors(blobs):
    """The paper's multi-label target: a sample labelled {a, b} is fitted exactly as a
    sample of a class whose word vector is the mean of a's and b's."""
    X, y, word_vecs = blobs
    two = np.arange(len(y)) % 4 == 0  # these samples also carry the next class
    Y = np.eye(6, dtype=np.uint8)[y]
    Y[two, (y[two] + 1) % 6] = 1
    # Single-label twin: each pair (c, c+1) is a class of its own, vector the mean.
    pair_vecs = 0.5 * word_vecs + 0.5 * np.roll(word_vecs, -1, axis=0)
    y_twin = np.where(two, 6 + y, y)
    params = {"bits": 16, "n_anchors": 40, "max_iter": 5, "normalize_word_vecs": False,
              "random_state": 0}
    multi = ZSHHasher(**params).fit(X, Y, word_vecs)
    twin = ZSHHasher(**params).fit(X, y_twin, np.vstack([word_vecs, pair_vecs]))
    np.testing.assert_array_equal(multi.encode(X), twin.encode(X))
    np.testing.assert_array_equal(multi.objective_, twin.objective_)
