"""Preprocessing transformers: numpy oracles, invariants, scikit-learn's checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from zeroshash import ITQHasher
from zeroshash.preprocessing import PowerNormalizer, ShrinkageWhitener, power_normalize


@parametrize_with_checks([PowerNormalizer(), ShrinkageWhitener()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (7, 5), elements=st.floats(-1e6, 1e6)),
       st.sampled_from([0.25, 0.5, 1.0]))
def test_power_normalize_matches_its_oracle(X, power):
    expected = np.sign(X) * np.abs(X) ** power
    # scaled by each row's largest entry first, so tiny rows do not underflow
    peak = np.abs(expected).max(axis=1, keepdims=True)
    expected = np.divide(expected, peak, out=np.zeros_like(expected), where=peak > 0)
    norms = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = np.divide(expected, norms, out=np.zeros_like(expected), where=norms > 0)
    got = power_normalize(X, power)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    nonzero = np.any(X != 0, axis=1)
    np.testing.assert_allclose(np.linalg.norm(got[nonzero], axis=1), 1.0)
    assert not np.shares_memory(got, X)


def test_power_normalize_keeps_float32():
    X = np.abs(np.random.default_rng(0).normal(size=(4, 3))).astype(np.float32)
    assert power_normalize(X).dtype == np.float32
    assert PowerNormalizer().fit_transform(X).dtype == np.float32


def test_whitener_oracle_and_shrinkage():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6)) * np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    w = ShrinkageWhitener(shrinkage=0.0, norm=None).fit(X)
    Z = w.transform(X)
    np.testing.assert_allclose(np.cov(Z.T), np.eye(6), atol=1e-10)  # plain whitening
    cov = np.cov(X.T)
    values, vectors = np.linalg.eigh(cov)
    values, vectors = values[::-1], vectors[:, ::-1]
    shrunk = ShrinkageWhitener(shrinkage=1.0, norm=None).fit(X)
    np.testing.assert_allclose(shrunk.explained_variance_, values)
    np.testing.assert_allclose(shrunk.scale_, 1 / np.sqrt(values + values.mean()))
    variances = np.var(shrunk.transform(X), axis=0, ddof=1)
    assert np.all(np.diff(variances) < 0)  # shrinkage keeps the weak axes weaker
    np.testing.assert_allclose(np.abs(shrunk.components_), np.abs(vectors), atol=1e-10)
    normed = ShrinkageWhitener(n_components=4).fit(X).transform(X)
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0)


def test_whitener_refuses_clearly():
    X = np.random.default_rng(0).normal(size=(5, 8))
    with pytest.raises(ValueError, match=r"n_components=6 exceeds min\(n_samples - 1"):
        ShrinkageWhitener(n_components=6).fit(X)
    flat = np.column_stack([X[:, :3], np.zeros(5)])
    with pytest.raises(ValueError, match="zero variance"):
        ShrinkageWhitener(shrinkage=0.0).fit(flat)
    with pytest.raises(ValueError, match="shrinkage"):
        ShrinkageWhitener(shrinkage=-1.0).fit(X)


def test_a_baseline_gets_the_same_preprocessing_in_a_pipeline():
    X = np.abs(np.random.default_rng(0).normal(size=(100, 10)))
    pipe = make_pipeline(PowerNormalizer(), ITQHasher(bits=4, random_state=0)).fit(X)
    alone = ITQHasher(bits=4, random_state=0).fit(power_normalize(X))
    np.testing.assert_array_equal(pipe.transform(X), alone.transform(power_normalize(X)))
