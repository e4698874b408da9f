from types import SimpleNamespace

import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import SDHHasher, ZSHHasher
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, n_anchors=60, random_state=0)


# The default setting is test_common's; these take other paths through the blocks.
@pytest.mark.parametrize("params", [{"semantic_ridge": 1e-2, "nu": 1e-2}, {"hash_ridge": 1.0}])
def test_objective_never_increases(blobs, params):
    X, y, _ = blobs
    sdh = SDHHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params}).fit(X, y)
    # tol=0 stops only where the objective stalls exactly (a fixed point of the blocks).
    assert sdh.n_iter_ == len(sdh.objective_)
    assert sdh.n_iter_ in range(1, 13)
    assert_non_increasing(sdh.objective_)


def test_published_defaults_and_attributes(blobs):
    X, y, _ = blobs
    sdh = SDHHasher()
    assert (sdh.n_anchors, sdh.semantic_ridge, sdh.nu, sdh.hash_ridge, sdh.max_iter) == (1000,
        1.0, 1e-5, 1e-2, 5)
    sdh = SDHHasher(**SMALL).fit(X, y)
    assert sdh.anchors_.shape == (60, 20)
    assert sdh.projection_.shape == (61, 16)
    assert sdh.classifier_.shape == (16, 6)
    assert 5 >= sdh.n_iter_ >= 1


@pytest.mark.parametrize("seed", [0, 3])
def test_matches_literal_transcription_of_published_code(blobs, seed):
    from _reference_sdh import reference_sdh

    X, y, _ = blobs
    params = dict(bits=16, n_anchors=60, nu=1e-5, max_iter=5)
    # The published names: lam (semantic_ridge here) and delta (hash_ridge here).
    ref = reference_sdh(X, y, seed=seed, lam=1.0, delta=1e-2, tol=1e-5, **params)
    sdh = SDHHasher(**params, restart_codes=True, random_state=seed).fit(X, y)
    assert (sdh.semantic_ridge, sdh.hash_ridge, sdh.tol) == (1.0, 1e-2, 1e-5)  # the defaults
    np.testing.assert_array_equal(sdh.anchors_, ref["anchors"])
    assert sdh.bandwidth_ == pytest.approx(ref["sigma2"])
    np.testing.assert_allclose(sdh.projection_, ref["P"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sdh.classifier_, ref["W"], rtol=1e-8, atol=1e-10)


def test_is_zsh_without_rotation_on_one_hot_labels(blobs):
    # Same objective: ZSH with Y one-hot, R = I and the same semantic_ridge, nu, hash_ridge.
    X, y, _ = blobs
    sdh = SDHHasher(**SMALL, nu=1e-2, hash_ridge=0.5, tol=0.0).fit(X, y)
    zsh = ZSHHasher(**SMALL, rotate=False, normalize_word_vecs=False,
        semantic_ridge=sdh.semantic_ridge, nu=sdh.nu,
                    hash_ridge=sdh.hash_ridge)
    from zeroshash._kernel_map import project_rbf

    Phi = project_rbf(X, sdh.anchors_, sdh.bandwidth_, np.eye(61))
    # The two objective formulas agree at any codes B, classifier W and hash function P.
    rng = np.random.RandomState(0)
    B = np.where(rng.randn(X.shape[0], 16) >= 0, 1.0, -1.0)
    W = rng.randn(16, 6)
    P = sdh.projection_
    Y = np.eye(6)[y]
    state = SimpleNamespace(B=B, W=W, R=np.eye(6), P=P, PhiP=Phi @ P)
    ours = sdh._objective(Y, state)
    theirs = zsh._objective(Y, state, None)
    assert ours == pytest.approx(theirs, rel=1e-12)
    # And the two solvers reach codes of similar quality on the same data.
    zsh.set_params(max_iter=5).fit(X, y)
    a = mean_average_precision(sdh.transform(X), sdh.transform(X), y, y)
    b = mean_average_precision(zsh.transform(X), zsh.transform(X), y, y)
    assert abs(a - b) < 0.05


def test_seen_classes_retrieve_well(blobs):
    X, y, _ = blobs
    codes = SDHHasher(**SMALL).fit(X, y).transform(X)
    assert mean_average_precision(codes[::5], codes, y[::5], y) > 0.9


def test_anchors_capped_by_samples(blobs):
    X, y, _ = blobs
    sdh = SDHHasher(bits=8, random_state=0).fit(X[::8], y[::8])
    assert sdh.anchors_.shape[0] == 30


@pytest.mark.parametrize(
    "params, match", [({"bits": 0}, "bits"), ({"semantic_ridge": 0.0}, "semantic_ridge"),
        ({"hash_ridge": -1}, "hash_ridge")]
)
def test_bad_parameters(blobs, params, match):
    X, y, _ = blobs
    with pytest.raises(InvalidParameterError, match=match):
        SDHHasher(**params).fit(X, y)


def test_multilabel_codes_predict_every_label():
    """Multi-label: the codes regress onto the 0/1 indicator, so B W recovers the labels."""
    from _helpers import multilabel_problem

    X, Y, _ = multilabel_problem()
    sdh = SDHHasher(bits=32, n_anchors=60, random_state=0).fit(X, Y)
    assert sdh.classifier_.shape == (32, Y.shape[1])
    B = 2.0 * sdh.transform(X) - 1.0
    predicted = B @ sdh.classifier_ > 0.5
    assert np.mean(predicted == Y.astype(bool)) > 0.9
    assert_non_increasing(sdh.objective_)
