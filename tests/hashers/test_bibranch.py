import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import BiBranchHasher
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, n_anchors=60, random_state=0)


# The default setting is test_common's; these take other paths through the blocks.
@pytest.mark.parametrize(
    "params",
    [{"reconstruction_weight": 0.0, "classification_weight": 0.0},
        {"similarity_weight": 10.0, "margin": 0.0}, {"nu": 1.0, "class_code_weight": 0.1},
     {"class_encoder_weight": 0.0, "semantic_ridge": 1e-2}],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_objective_never_increases(blobs, params, with_word_vecs):
    X, y, word_vecs = blobs
    h = BiBranchHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params})
    h.fit(X, y, word_vecs if with_word_vecs else None)
    assert h.n_iter_ == len(h.objective_) >= 2  # stops early only at a fixed point
    assert_non_increasing(h.objective_)


def test_fitted_attributes(blobs):
    X, y, word_vecs = blobs
    h = BiBranchHasher(**SMALL).fit(X, y, word_vecs)
    k, d = word_vecs.shape
    assert h.anchors_.shape == (60, X.shape[1])
    assert h.projection_.shape == (61, 16)
    assert h.class_encoder_.shape == (d, 16)
    assert h.class_codes_.shape == (k, 16) and h.class_codes_.dtype == np.uint8
    assert set(np.unique(h.class_codes_)) <= {0, 1}
    assert h.classifier_.shape == (16, k)
    assert h.decoder_.shape == (16, X.shape[1])
    np.testing.assert_allclose(np.linalg.norm(h.class_vectors_, axis=1), 1.0)
    np.testing.assert_allclose(np.diag(h.similarity_targets_), 1.0)
    cosine = h.class_vectors_ @ h.class_vectors_.T
    off = ~np.eye(k, dtype=bool)
    assert h.margin_ == pytest.approx(max(cosine[off].mean(), 0.0))
    np.testing.assert_allclose(
        h.similarity_targets_[off], np.clip(cosine[off] - h.margin_, -1, 1)
    )
    assert h.max_iter >= h.n_iter_ == len(h.objective_) >= 1
    assert list(h.get_feature_names_out()) == [f"bibranchhasher{i}" for i in range(16)]


def test_class_codes_are_pushed_apart(blobs):
    X, y, word_vecs = blobs
    h = BiBranchHasher(**SMALL).fit(X, y, word_vecs)
    codes = h.class_codes_.astype(int)
    dist = (codes[:, None, :] != codes[None, :, :]).sum(-1)
    off = ~np.eye(6, dtype=bool)
    # Classes not nearly synonymous get distinct codes, dissimilar ones far apart.
    assert np.all(dist[off & (h.similarity_targets_ < 0.8)] >= 2)
    assert np.all(dist[off & (h.similarity_targets_ < -0.5)] >= 10)
    # Semantically closer classes get closer codes (rank correlation over pairs).
    iu = np.triu_indices(6, 1)
    cos = h.similarity_targets_[iu]
    assert np.corrcoef(np.argsort(np.argsort(cos)), np.argsort(np.argsort(-dist[iu])))[0, 1] > 0.5


def test_one_hot_mode_without_word_vectors(blobs):
    X, y, _ = blobs
    h = BiBranchHasher(**SMALL).fit(X, y)
    np.testing.assert_array_equal(h.class_vectors_, np.eye(6))
    assert h.margin_ == 0.0
    np.testing.assert_array_equal(h.similarity_targets_, np.eye(6))
    # With V = I the semantic branch is C / (1 + ridge): it returns the class codes.
    np.testing.assert_array_equal(h.encode_classes(np.eye(6)), h.class_codes_)


@pytest.fixture
def semantic_blobs():
    """Eight classes whose features are a linear image of their 6-d class vectors."""
    rng = np.random.RandomState(0)
    V = rng.randn(8, 6)
    y = np.repeat(np.arange(8), 40)
    X = V[y] @ rng.randn(6, 20) + 0.5 * rng.randn(y.size, 20)
    return X, y, V


def test_encode_classes_gives_codes_for_unseen_classes(semantic_blobs):
    X, y, V = semantic_blobs
    seen = y < 6
    h = BiBranchHasher(bits=32, n_anchors=100, random_state=0).fit(X[seen], y[seen], V[:6])
    # The semantic branch reproduces the seen classes' codes almost everywhere...
    assert (h.encode_classes(V[:6]) == h.class_codes_).mean() > 0.95
    # ...and embeds the unseen classes from their vectors: unseen images are nearer
    # (in Hamming distance) to their own class's code than to the other unseen one's.
    unseen_codes = h.encode_classes(V[6:])
    assert unseen_codes.shape == (2, 32) and unseen_codes.dtype == np.uint8
    image_codes = h.transform(X[~seen])
    dist = (image_codes[:, None, :] != unseen_codes[None, :, :]).sum(-1)
    assert np.mean(dist.argmin(axis=1) + 6 == y[~seen]) > 0.9


def test_encode_classes_checks_its_input(blobs):
    X, y, word_vecs = blobs
    h = BiBranchHasher(**SMALL)
    with pytest.raises(NotFittedError):
        h.encode_classes(word_vecs)
    h.fit(X, y, word_vecs)
    with pytest.raises(ValueError, match="2 features, but BiBranchHasher was fitted with"):
        h.encode_classes(word_vecs[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        h.encode_classes(np.full((1, 3), np.nan))
    # A 1-D vector is not silently taken as a batch.
    with pytest.raises(ValueError, match="2D array"):
        h.encode_classes(word_vecs[0])


def test_unseen_classes_retrieve_each_other(blobs):
    X, y, word_vecs = blobs
    seen = y < 4
    h = BiBranchHasher(bits=32, n_anchors=100, random_state=0)
    codes = h.fit(X[seen], y[seen], word_vecs[:4]).transform(X)
    unseen_map = mean_average_precision(codes[~seen][::4], codes, y[~seen][::4], y)
    assert unseen_map > 2 / 6


def test_both_word_vector_sources_is_an_error(blobs):
    X, y, word_vecs = blobs
    h = BiBranchHasher(**SMALL, word_vecs=word_vecs)
    with pytest.raises(ValueError, match="both to the constructor and to fit"):
        h.fit(X, y, word_vecs=word_vecs)


@pytest.mark.parametrize(
    "params, match",
    [({"bits": 0}, "bits"), ({"n_anchors": 0}, "n_anchors"), ({"margin": "big"}, "margin"),
     ({"margin": 3.0}, "margin"), ({"margin": -0.5}, "margin"), ({"nu": 0.0}, "nu"),
     ({"semantic_ridge": 0.0}, "semantic_ridge"), ({"reconstruction_weight": -1.0},
         "reconstruction_weight"), ({"bits": 8.5}, "bits")],
)
def test_bad_parameters(blobs, params, match):
    X, y, word_vecs = blobs
    with pytest.raises(InvalidParameterError, match=match):
        BiBranchHasher(**params).fit(X, y, word_vecs)


def test_multilabel_tie_pulls_each_code_to_each_of_its_labels_class_codes():
    """The tie term: sum_i sum_{c in labels(i)} ||b_i - c_c||^2 / |labels(i)|."""
    rng = np.random.RandomState(0)
    B, C = np.sign(rng.randn(30, 8)), np.sign(rng.randn(4, 8))
    Y = (rng.rand(30, 4) < 0.4).astype(np.float64)
    Y[np.arange(30), np.arange(30) % 4] = 1.0
    expected = sum(np.sum((B[i] - C[c]) ** 2) / Y[i].sum()
                   for i in range(30) for c in np.flatnonzero(Y[i]))
    assert BiBranchHasher._class_tie(B, C, Y) == pytest.approx(expected, rel=1e-12)
    y = np.arange(30) % 4  # one label a sample: ||B - C[y]||^2
    assert BiBranchHasher._class_tie(B, C, y) == np.sum((B - C[y]) ** 2)
