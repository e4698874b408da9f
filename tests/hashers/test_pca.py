"""PCAHasher and ITQHasher; label-blind behaviour shared with LSH."""

import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.decomposition import PCA

from zeroshash import ITQHasher, LSHHasher, PCAHasher


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    return rng.randn(300, 24) @ rng.randn(24, 24)


def test_pcah_matches_sklearn_pca_up_to_sign(X):
    pcah = PCAHasher(bits=8).fit(X)
    ref = PCA(n_components=8, svd_solver="full").fit(X)
    np.testing.assert_allclose(np.abs(pcah.components_.T), np.abs(ref.components_), atol=1e-8)
    proj = pcah.decision_function(X)
    np.testing.assert_allclose(np.abs(proj), np.abs(ref.transform(X)), atol=1e-8)


def test_itq_quantisation_loss_never_increases_and_beats_pcah(X):
    itq = ITQHasher(bits=8, random_state=0).fit(X)
    assert itq.n_iter_ == 50 == len(itq.quantization_loss_)
    assert_non_increasing(itq.quantization_loss_)
    np.testing.assert_allclose(itq.rotation_ @ itq.rotation_.T, np.eye(8), atol=1e-10)
    V = (X - itq.mean_) @ itq.components_
    pcah_loss = np.sum((np.where(V >= 0, 1.0, -1.0) - V) ** 2)
    assert itq.quantization_loss_[-1] < pcah_loss


@pytest.mark.parametrize("cls", [PCAHasher, ITQHasher])
def test_pca_bits_limit(cls, X):
    with pytest.raises(ValueError, match="bits=30 with n_samples=300, n_features=24"):
        cls(bits=30).fit(X)


@pytest.mark.parametrize("cls", [LSHHasher, PCAHasher, ITQHasher])
def test_ignore_labels(cls, X):
    y = np.arange(X.shape[0]) % 3
    params = {"bits": 8, **({"random_state": 0} if "random_state" in cls().get_params() else {})}
    a = cls(**params).fit(X).encode(X)
    with pytest.warns(UserWarning, match="does not use word vectors"):
        b = cls(**params).fit(X, y, word_vecs=np.eye(3)).encode(X)
    np.testing.assert_array_equal(a, b)
