"""LSHHasher: sign random projections."""

import numpy as np
import pytest

from zeroshash import LSHHasher


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    return rng.randn(300, 24) @ rng.randn(24, 24)


def test_lsh_is_sign_of_centred_gaussian_projection(X):
    lsh = LSHHasher(bits=12, random_state=3).fit(X)
    expected = ((X - X.mean(axis=0)) @ lsh.projection_ >= 0).astype(np.uint8)
    np.testing.assert_array_equal(lsh.transform(X), expected)
    plain = LSHHasher(bits=12, center=False, random_state=3).fit(X)
    np.testing.assert_array_equal(plain.mean_, 0.0)
    np.testing.assert_array_equal(plain.projection_, lsh.projection_)


def test_lsh_collision_rate_tracks_angle():
    # Charikar: P[bit differs] = angle / pi.
    rng = np.random.RandomState(0)
    a = np.array([1.0, 0.0])
    b = np.array([np.cos(1.0), np.sin(1.0)])
    lsh = LSHHasher(bits=20_000, center=False, random_state=rng).fit(rng.randn(10, 2))
    codes = lsh.transform(np.vstack([a, b]))
    assert abs((codes[0] != codes[1]).mean() - 1.0 / np.pi) < 0.01
