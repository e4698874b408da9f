import numpy as np
import pytest

from zeroshash import SpectralHasher


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    return rng.randn(300, 12) @ rng.randn(12, 12) + 5.0


@pytest.mark.parametrize("bits", [1, 8, 12, 32])
def test_matches_literal_transcription_of_published_code(X, bits):
    from _reference_sh import compress_sh, train_sh

    sh = SpectralHasher(bits=bits).fit(X)
    ref = train_sh(X, bits, sh.components_)
    np.testing.assert_array_equal(sh.modes_, ref["modes"])
    np.testing.assert_allclose(sh.mn_, ref["mn"])
    np.testing.assert_allclose(sh.mx_, ref["mx"])
    X_new = X[:50] * 1.1
    codes, U = compress_sh(X_new, ref)
    np.testing.assert_allclose(sh.decision_function(X_new), U, atol=1e-12)
    np.testing.assert_array_equal(sh.transform(X_new), codes)


def test_modes_are_the_lowest_frequencies(X):
    sh = SpectralHasher(bits=32).fit(X)
    assert sh.components_.shape == (12, 12) and sh.modes_.shape == (32, 12)
    assert np.all((sh.modes_ > 0).sum(axis=1) == 1)  # single-direction eigenfunctions
    freq = (sh.modes_ * np.pi / (sh.mx_ - sh.mn_)).sum(axis=1)
    assert np.all(np.diff(freq) >= 0)
    # Any mode not chosen has a frequency at least as high as the last chosen one.
    for j in range(12):
        k_next = sh.modes_[:, j].max() + 1
        assert k_next * np.pi / (sh.mx_[j] - sh.mn_[j]) >= freq[-1] - 1e-12


def test_first_bit_splits_the_top_direction_at_its_box_midpoint(X):
    sh = SpectralHasher(bits=4).fit(X)
    assert sh.modes_[0, 0] == 1
    t = X @ sh.components_[:, 0]
    midpoint = (sh.mn_[0] + sh.mx_[0]) / 2
    np.testing.assert_array_equal(sh.transform(X)[:, 0], (t < midpoint).astype(np.uint8))
    values = sh.decision_function(X)
    assert np.all(np.abs(values) <= 1.0)


def test_more_bits_than_features():
    X = np.random.RandomState(1).randn(100, 3)
    sh = SpectralHasher(bits=10).fit(X)
    assert sh.components_.shape == (3, 3) and sh.transform(X).shape == (100, 10)
    assert sh.modes_.max() > 1


def test_ignores_labels(X):
    y = np.arange(X.shape[0]) % 3
    a = SpectralHasher(bits=8).fit(X).encode(X)
    with pytest.warns(UserWarning, match="does not use word vectors"):
        b = SpectralHasher(bits=8).fit(X, y, word_vecs=np.eye(3)).encode(X)
    np.testing.assert_array_equal(a, b)


def test_bad_bits(X):
    with pytest.raises(ValueError, match="bits"):
        SpectralHasher(bits=0).fit(X)
