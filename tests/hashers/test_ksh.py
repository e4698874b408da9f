import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import KSHHasher
from zeroshash.hashers._ksh import optimize_projection
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=12, n_anchors=50, n_labeled=150, random_state=0)


def test_published_defaults():
    ksh = KSHHasher()
    assert (ksh.n_anchors, ksh.n_labeled, ksh.max_iter, ksh.tol) == (300, 1000, 500, 1e-2)


def test_refinement_never_worse_than_spectral_initialisation(blobs):
    X, y, _ = blobs
    ksh = KSHHasher(**SMALL).fit(X, y)
    assert np.all(ksh.scores_ >= ksh.spectral_scores_)
    kept = ksh.refined_
    assert np.all(ksh.scores_[kept] > ksh.spectral_scores_[kept])
    np.testing.assert_array_equal(ksh.scores_[~kept], ksh.spectral_scores_[~kept])


def test_scores_are_the_greedy_residue_fit(blobs):
    # Rebuild b_k^T R_{k-1} b_k from the learned projections and the labelled subset.
    X, y, _ = blobs
    ksh = KSHHasher(**SMALL).fit(X, y)
    Xl, yl = X[ksh.labeled_indices_], y[ksh.labeled_indices_]
    codes = np.where(ksh.decision_function(Xl) >= 0, 1.0, -1.0)
    R = ksh.bits * np.where(yl[:, None] == yl[None, :], 1.0, -1.0)
    for k in range(ksh.bits):
        b = codes[:, k]
        assert b @ R @ b == pytest.approx(ksh.scores_[k], rel=1e-9)
        R -= np.outer(b, b)


def test_codes_fit_pairwise_labels(blobs):
    X, y, _ = blobs
    ksh = KSHHasher(**{**SMALL, "bits": 16}).fit(X, y)
    codes = ksh.transform(X)
    assert mean_average_precision(codes[::5], codes, y[::5], y) > 0.9


def test_projection_is_centred_kernel_times_A(blobs):
    X, y, _ = blobs
    ksh = KSHHasher(**SMALL).fit(X, y)
    d2 = cdist(X, ksh.anchors_, "sqeuclidean")
    assert ksh.bandwidth_ == pytest.approx(2 * d2.mean())
    K = np.exp(-d2 / ksh.bandwidth_)
    np.testing.assert_allclose(K.mean(axis=0), ksh.kernel_mean_, rtol=1e-10)
    np.testing.assert_allclose(ksh.decision_function(X), (K - K.mean(axis=0)) @ ksh.projection_,
                               atol=1e-9)


def test_gradient_descent_lowers_the_surrogate():
    rng = np.random.RandomState(0)
    K = rng.randn(60, 8)
    labels = rng.randint(0, 3, 60)
    S = np.where(labels[:, None] == labels[None, :], 1.0, -1.0)
    a0 = rng.randn(8) * 0.1
    a, costs = optimize_projection(K, S, a0, max_iter=50, tol=0.0)
    assert costs[-1] < costs[0]
    y = np.tanh(K @ a / 2)
    assert -(y @ S @ y) / 60 == pytest.approx(costs[-1], rel=1e-9)


def test_labelled_subset_and_anchors_capped(blobs):
    X, y, _ = blobs
    ksh = KSHHasher(bits=4, random_state=0).fit(X[::6], y[::6])
    assert ksh.anchors_.shape[0] == 40 and ksh.labeled_indices_.shape[0] == 40


@pytest.mark.parametrize("params, match", [({"bits": 0}, "bits"), ({"n_labeled": 1}, "n_labeled"),
                                           ({"n_anchors": 0}, "n_anchors")])
def test_bad_parameters(blobs, params, match):
    X, y, _ = blobs
    with pytest.raises(InvalidParameterError, match=match):
        KSHHasher(**params).fit(X, y)
