"""The shared solvers, each against a plain numpy oracle or brute force."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash._solvers import (
    RidgeOnFeatures,
    class_code_sweeps,
    class_similarity_targets,
    dcc_update,
    gram,
    itq_rotation,
    procrustes_rotation,
    ridge,
    sign,
)

seeds = st.integers(0, 2**31 - 1)
FAST = settings(max_examples=25, deadline=None)


def test_sign_is_pm_one_with_zero_positive():
    out = sign(np.array([[-2.0, -0.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(out, [[-1.0, 1.0, 1.0, 1.0]])
    assert out.dtype == np.float64


@FAST
@given(seeds, st.floats(1e-3, 1e3))
def test_ridge_is_the_closed_form_and_stationary(seed, alpha):
    rng = np.random.RandomState(seed)
    B, T = sign(rng.randn(30, 5)), rng.randn(30, 3)
    W = ridge(B, T, alpha)
    np.testing.assert_allclose(W, np.linalg.solve(B.T @ B + alpha * np.eye(5), B.T @ T),
                               rtol=1e-10, atol=1e-12)
    gradient = B.T @ (B @ W - T) + alpha * W
    np.testing.assert_allclose(gradient, 0.0, atol=1e-9 * (1 + np.abs(B.T @ T).max()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_is_phi_t_phi(dtype):
    Phi = np.random.RandomState(0).rand(40, 7).astype(dtype)
    G = gram(Phi)
    assert G.dtype == np.float64
    np.testing.assert_allclose(G, Phi.astype(np.float64).T @ Phi.astype(np.float64),
                               rtol=1e-12)
    np.testing.assert_array_equal(G, G.T)


def test_ridge_on_features_solves_the_normal_equations():
    rng = np.random.RandomState(1)
    Phi, T = rng.rand(50, 8), sign(rng.randn(50, 4))
    P = RidgeOnFeatures(Phi, 0.3).solve(T)
    np.testing.assert_allclose(P, np.linalg.solve(Phi.T @ Phi + 0.3 * np.eye(8), Phi.T @ T),
                               rtol=1e-9)


def _dcc_objective(B, Q, W):
    return float(np.sum((B @ W) ** 2) - 2.0 * np.sum(B * Q))


@FAST
@given(seeds, st.integers(1, 4))
def test_dcc_update_never_increases_its_objective(seed, n_sweeps):
    rng = np.random.RandomState(seed)
    B0, Q, W = sign(rng.randn(12, 4)), rng.randn(12, 4), rng.randn(4, 3)
    B = dcc_update(B0.copy(), Q, W, n_sweeps=n_sweeps)
    assert set(np.unique(B)) <= {-1.0, 1.0}
    assert _dcc_objective(B, Q, W) <= _dcc_objective(B0, Q, W) + 1e-9


def test_dcc_column_update_is_the_exact_minimiser_given_the_others():
    # A sweep updates the columns in order, so the last one is updated with every other
    # column final: no value of it (all 2^n, brute force) has a lower objective.
    rng = np.random.RandomState(3)
    B0, Q, W = sign(rng.randn(6, 3)), rng.randn(6, 3), rng.randn(3, 2)
    B = dcc_update(B0.copy(), Q, W, n_sweeps=1)
    k = B.shape[1] - 1
    best = _dcc_objective(B, Q, W)
    for values in itertools.product((-1.0, 1.0), repeat=B.shape[0]):
        C = B.copy()
        C[:, k] = values
        assert _dcc_objective(C, Q, W) >= best - 1e-9


def test_dcc_update_stops_at_a_fixed_point():
    rng = np.random.RandomState(4)
    Q, W = rng.randn(20, 4), rng.randn(4, 3)
    B = dcc_update(sign(rng.randn(20, 4)), Q, W, n_sweeps=50)
    np.testing.assert_array_equal(dcc_update(B.copy(), Q, W, n_sweeps=1), B)


@FAST
@given(seeds)
def test_procrustes_is_orthogonal_and_maximises_the_trace(seed):
    rng = np.random.RandomState(seed)
    M = rng.randn(5, 5)
    R = procrustes_rotation(M)
    np.testing.assert_allclose(R @ R.T, np.eye(5), atol=1e-10)
    U, S, _ = np.linalg.svd(M)
    np.testing.assert_allclose(np.trace(R.T @ M), S.sum(), rtol=1e-10)
    for _ in range(20):
        Q = np.linalg.qr(rng.randn(5, 5))[0]
        assert np.trace(Q.T @ M) <= S.sum() + 1e-9


def test_itq_rotation_orthogonal_monotone_and_seeded():
    V = np.random.RandomState(0).randn(200, 6)
    R, losses = itq_rotation(V, 30, np.random.RandomState(1))
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-10)
    assert losses.shape == (30,)
    assert np.all(np.diff(losses) <= 1e-9 * losses[:-1])
    R2, losses2 = itq_rotation(V, 30, np.random.RandomState(1))
    np.testing.assert_array_equal(R, R2)
    np.testing.assert_array_equal(losses, losses2)


def _class_objective(C, T, M, weight):
    r = C.shape[1]
    return weight * np.sum((T - C @ C.T / r) ** 2) - 2.0 * np.sum(C * M)


@FAST
@given(seeds, st.floats(0.01, 10.0))
def test_class_code_sweeps_monotone_and_single_flip_optimal(seed, weight):
    rng = np.random.RandomState(seed)
    k, r = 4, 5
    T = np.clip(rng.randn(k, k), -1, 1)
    T = (T + T.T) / 2
    np.fill_diagonal(T, 1.0)
    C0, M = sign(rng.randn(k, r)), rng.randn(k, r)
    C = class_code_sweeps(C0, T, M, weight, n_sweeps=100)
    best = _class_objective(C, T, M, weight)
    assert best <= _class_objective(C0, T, M, weight) + 1e-9
    for a, j in itertools.product(range(k), range(r)):
        D = C.copy()
        D[a, j] = -D[a, j]
        assert _class_objective(D, T, M, weight) >= best - 1e-9


def test_class_code_flip_change_matches_the_documented_closed_form():
    rng = np.random.RandomState(5)
    k, r, weight = 4, 6, 0.7
    T = np.eye(k) * 0.5 + 0.5
    C, M = sign(rng.randn(k, r)), rng.randn(k, r)
    R = T - C @ C.T / r
    for a, j in [(0, 0), (2, 3), (3, 5)]:
        s = C[a, j] * C[:, j]
        s[a] = 0.0
        documented = 4.0 * C[a, j] * M[a, j] + (8.0 * weight / r) * (R[a] @ s + (k - 1) / r)
        D = C.copy()
        D[a, j] = -D[a, j]
        direct = _class_objective(D, T, M, weight) - _class_objective(C, T, M, weight)
        np.testing.assert_allclose(documented, direct, rtol=1e-10)


def test_class_similarity_targets():
    V = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0]])
    T, margin = class_similarity_targets(V, 0.5)
    cos = np.array([[1, 2**-0.5, -1], [2**-0.5, 1, -(2**-0.5)], [-1, -(2**-0.5), 1]])
    expected = np.clip(cos - 0.5, -1, 1)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(T, expected)
    assert margin == 0.5
    # "auto": the mean cosine between distinct classes, or 0 when it is negative.
    _, auto = class_similarity_targets(V, "auto")
    assert auto == 0.0
    W = np.array([[1.0, 0.1], [1.0, 0.2], [1.0, 0.3]])
    off = ~np.eye(3, dtype=bool)
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    _, auto = class_similarity_targets(W, "auto")
    np.testing.assert_allclose(auto, (unit @ unit.T)[off].mean())
    # One-hot vectors with margin 1: -1 between distinct classes.
    T, _ = class_similarity_targets(np.eye(3), 1.0)
    np.testing.assert_array_equal(T, 2 * np.eye(3) - 1)
