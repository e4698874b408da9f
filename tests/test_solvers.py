"""The shared solvers, each against a plain numpy oracle or brute force."""

import itertools

import numpy as np
import pytest
from _helpers import assert_non_increasing
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash._solvers import (
    RidgeOnFeatures,
    SharedLabels,
    class_code_sweeps,
    class_similarity_targets,
    dcc_update,
    gram,
    itq_rotation,
    label_groups,
    label_indicator,
    label_weights,
    procrustes_rotation,
    ridge,
    sample_targets,
    shares_label,
    sign,
)

seeds = st.integers(0, 2**31 - 1)
FAST = settings(max_examples=25, deadline=None)


def test_sign_is_pm_one_with_zero_positive():
    out = sign(np.array([[-2.0, -0.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(out, [[-1.0, 1.0, 1.0, 1.0]])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(sign(np.array([-3, 0, 2])), [-1.0, 1.0, 1.0])


@FAST
@given(seeds)
def test_sign_times_input_is_its_magnitude(seed):
    A = np.random.RandomState(seed).randn(7, 3)
    out = sign(A)
    assert set(np.unique(out)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(out * A, np.abs(A))


@FAST
@given(seeds, st.floats(1e-3, 1e3))
def test_ridge_is_the_closed_form_and_stationary(seed, alpha):
    rng = np.random.RandomState(seed)
    B, T = sign(rng.randn(30, 5)), rng.randn(30, 3)
    W = ridge(B, T, alpha)
    np.testing.assert_allclose(W, np.linalg.solve(B.T @ B + alpha * np.eye(5), B.T @ T),
                               rtol=1e-10, atol=1e-12)
    # The same minimiser as plain least squares on [B; sqrt(alpha) I] W = [T; 0].
    augmented = np.vstack([B, np.sqrt(alpha) * np.eye(5)])
    lstsq = np.linalg.lstsq(augmented, np.vstack([T, np.zeros((5, 3))]), rcond=None)[0]
    np.testing.assert_allclose(W, lstsq, rtol=1e-8, atol=1e-10)
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


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_gram_of_any_memory_layout(layout):
    Phi = np.random.RandomState(2).randn(30, 12)
    Phi = np.asfortranarray(Phi) if layout == "fortran" else Phi[::2, ::3]
    np.testing.assert_allclose(gram(Phi), Phi.T @ Phi, rtol=1e-12, atol=1e-12)


def test_ridge_on_features_solves_the_normal_equations():
    rng = np.random.RandomState(1)
    Phi, T = rng.rand(50, 8), sign(rng.randn(50, 4))
    P = RidgeOnFeatures(Phi, 0.3).solve(T)
    np.testing.assert_allclose(P, np.linalg.solve(Phi.T @ Phi + 0.3 * np.eye(8), Phi.T @ T),
                               rtol=1e-9)
    # Factored once: later targets reuse the factor, float32 features are solved in float64.
    T2 = rng.randn(50, 2)
    solver = RidgeOnFeatures(Phi.astype(np.float32), 0.3)
    Phi32 = Phi.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(solver.solve(T2),
                               np.linalg.solve(Phi32.T @ Phi32 + 0.3 * np.eye(8), Phi32.T @ T2),
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


def _brute_force_sweep(B, Q, W):
    """One cyclic sweep, each column set to the best of all 2^n values given the others."""
    B = B.copy()
    candidates = np.array(list(itertools.product((-1.0, 1.0), repeat=B.shape[0])))
    for k in range(B.shape[1]):
        objectives = []
        for values in candidates:
            B[:, k] = values
            objectives.append(_dcc_objective(B, Q, W))
        B[:, k] = candidates[int(np.argmin(objectives))]
    return B


@FAST
@given(seeds, st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))
def test_dcc_column_updates_are_the_exact_minimisers_given_the_others(seed, n, r, c, n_sweeps):
    # Brute force over every value of each column in turn (random data: no ties).
    rng = np.random.RandomState(seed)
    B0, Q, W = sign(rng.randn(n, r)), rng.randn(n, r), rng.randn(r, c)
    expected = B0
    for _ in range(n_sweeps):
        expected = _brute_force_sweep(expected, Q, W)
    np.testing.assert_array_equal(dcc_update(B0.copy(), Q, W, n_sweeps=n_sweeps), expected)


def test_dcc_update_stops_after_a_sweep_that_changes_nothing(monkeypatch):
    import zeroshash._solvers as solvers

    rng = np.random.RandomState(4)
    Q, W = rng.randn(20, 4), rng.randn(4, 3)
    B0 = sign(rng.randn(20, 4))
    # The sweeps to a fixed point, one at a time.
    sweeps, B = 0, B0.copy()
    while True:
        sweeps += 1
        after = dcc_update(B.copy(), Q, W, n_sweeps=1)
        if np.array_equal(after, B):
            break
        B = after
    assert sweeps > 1
    calls = []
    monkeypatch.setattr(solvers, "sign", lambda A: calls.append(1) or sign(A))
    fixed = dcc_update(B0.copy(), Q, W, n_sweeps=50)
    np.testing.assert_array_equal(fixed, B)
    assert len(calls) == 4 * sweeps  # one sign per column per sweep, then it stopped
    calls.clear()
    np.testing.assert_array_equal(dcc_update(fixed.copy(), Q, W, n_sweeps=50), fixed)
    assert len(calls) == 4  # a fixed point: one sweep, no second


def test_dcc_update_from_zero_codes_returns_pm_one():
    # SDH's restart_codes starts each B-step from zeros.
    rng = np.random.RandomState(6)
    B = dcc_update(np.zeros((15, 3)), rng.randn(15, 3), rng.randn(3, 2))
    assert set(np.unique(B)) <= {-1.0, 1.0}


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


@settings(max_examples=10, deadline=None)
@given(seeds)
def test_itq_rotation_orthogonal_monotone_and_seeded(seed):
    V = np.random.RandomState(seed).randn(200, 6) * np.linspace(3.0, 0.5, 6)
    R, losses = itq_rotation(V, 30, np.random.RandomState(1))
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-10)
    assert losses.shape == (30,)
    assert_non_increasing(losses)
    R2, losses2 = itq_rotation(V, 30, np.random.RandomState(1))
    np.testing.assert_array_equal(R, R2)
    np.testing.assert_array_equal(losses, losses2)


def _class_objective(C, T, M, weight):
    r = C.shape[1]
    return weight * np.sum((T - C @ C.T / r) ** 2) - 2.0 * np.sum(C * M)


@FAST
@given(seeds, st.floats(0.01, 50.0), st.sampled_from([0.1, 1.0, 3.0]))
def test_class_code_sweeps_monotone_and_single_flip_optimal(seed, weight, m_scale):
    rng = np.random.RandomState(seed)
    k, r = 4, 5
    T = np.clip(rng.randn(k, k), -1, 1)
    T = (T + T.T) / 2
    np.fill_diagonal(T, 1.0)
    C0, M = sign(rng.randn(k, r)), m_scale * rng.randn(k, r)
    C = class_code_sweeps(C0, T, M, weight, n_sweeps=100)
    assert set(np.unique(C)) <= {-1.0, 1.0}
    assert C is not C0 and not np.shares_memory(C, C0)
    best = _class_objective(C, T, M, weight)
    assert best <= _class_objective(C0, T, M, weight) + 1e-9
    for a, j in itertools.product(range(k), range(r)):
        D = C.copy()
        D[a, j] = -D[a, j]
        assert _class_objective(D, T, M, weight) >= best - 1e-9


def test_class_code_sweeps_separate_a_dissimilar_pair():
    # One class pair, one bit each: a target of -1 is met only by opposite codes.
    T = np.array([[1.0, -1.0], [-1.0, 1.0]])
    C = class_code_sweeps(np.ones((2, 1)), T, np.zeros((2, 1)), weight=1.0, n_sweeps=5)
    assert C[0, 0] == -C[1, 0]


def test_class_code_sweeps_without_sweeps_or_gain_return_the_start():
    rng = np.random.RandomState(7)
    C0, T, M = sign(rng.randn(3, 4)), np.eye(3), rng.randn(3, 4)
    np.testing.assert_array_equal(class_code_sweeps(C0, T, M, 1.0, n_sweeps=0), C0)
    # Codes already aligned with M and no similarity term: no flip lowers the objective.
    np.testing.assert_array_equal(class_code_sweeps(sign(M), T, M, 0.0, n_sweeps=5), sign(M))


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


def test_class_similarity_targets_clip_and_edge_cases():
    V = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    # A negative margin raises targets: clipped at 1 (identical classes).
    T, margin = class_similarity_targets(V, -0.5)
    assert margin == -0.5
    np.testing.assert_array_equal(T, [[1.0, 1.0, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]])
    # A zero vector has cosine 0 with every class (and the diagonal is 1 all the same).
    T, auto = class_similarity_targets(V, "auto")
    np.testing.assert_allclose(auto, 1.0 / 3.0)  # mean of the cosines 1, 0, 0 (each twice)
    np.testing.assert_allclose(T, [[1.0, 2 / 3, -1 / 3], [2 / 3, 1.0, -1 / 3],
                                   [-1 / 3, -1 / 3, 1.0]])
    # One class: no distinct pair, margin 0.
    T, auto = class_similarity_targets(np.array([[2.0, 1.0]]), "auto")
    assert auto == 0.0 and T.tolist() == [[1.0]]


@FAST
@given(seeds, st.integers(2, 6), st.one_of(st.just("auto"), st.floats(-2.0, 2.0)))
def test_class_similarity_targets_properties(seed, k, margin):
    V = np.random.RandomState(seed).randn(k, 3)
    T, used = class_similarity_targets(V, margin)
    unit = V / np.linalg.norm(V, axis=1, keepdims=True)
    cosine = unit @ unit.T
    off = ~np.eye(k, dtype=bool)
    if margin == "auto":
        assert used == pytest.approx(max(cosine[off].mean(), 0.0), abs=1e-12)
    np.testing.assert_allclose(T, T.T, atol=1e-15)
    np.testing.assert_array_equal(np.diag(T), 1.0)
    assert np.all(np.abs(T) <= 1.0)
    np.testing.assert_allclose(T[off], np.clip(cosine[off] - used, -1.0, 1.0), atol=1e-12)


# -- the label helpers --------------------------------------------------------------------
def random_indicator(rng, n, k):
    """A float64 0/1 indicator with at least one label a row."""
    Y = (rng.rand(n, k) < 0.3).astype(np.float64)
    Y[np.arange(n), rng.randint(k, size=n)] = 1.0
    return Y


@FAST
@given(seeds, st.integers(1, 30), st.integers(1, 6), st.integers(1, 4))
def test_label_helpers_against_dense_oracles(seed, n, k, r):
    rng = np.random.RandomState(seed)
    Y = random_indicator(rng, n, k)
    V, A, B = rng.randn(k, 3), rng.randn(n, r), rng.randn(n, r)
    H = np.array([[bool(set(np.flatnonzero(a)) & set(np.flatnonzero(b))) for b in Y] for a in Y])
    np.testing.assert_array_equal(shares_label(Y), H)
    rows, cols = rng.randint(n, size=4), rng.randint(n, size=3)
    np.testing.assert_array_equal(shares_label(Y, rows, cols), H[rows][:, cols])
    shared = SharedLabels(Y)
    np.testing.assert_allclose(shared.matmul(A), H @ A, atol=1e-12)
    assert shared.quadratic(A, B) == pytest.approx(np.trace(A.T @ H @ B), abs=1e-9)
    means = np.array([V[np.flatnonzero(row)].mean(axis=0) for row in Y])
    np.testing.assert_allclose(sample_targets(Y, V), means, atol=1e-12)
    np.testing.assert_allclose(label_weights(Y, k).sum(axis=1), 1.0)
    group, sets = label_groups(Y)
    np.testing.assert_array_equal(sets[group], Y)  # each sample's group is its label set
    assert len(np.unique(sets, axis=0)) == len(sets)


@FAST
@given(seeds, st.integers(0, 30), st.integers(2, 6), st.integers(1, 4))
def test_label_helpers_reduce_exactly_to_one_label_a_sample(seed, extra, k, r):
    """A one-hot indicator gives bit for bit what its 1-D y gives (same arithmetic)."""
    rng = np.random.RandomState(seed)
    n = k + extra
    y = rng.permutation(np.arange(n) % k)  # every class present
    Y, V, A, B = np.eye(k)[y], rng.randn(k, 3), rng.randn(n, r), rng.randn(n, r)
    np.testing.assert_array_equal(label_indicator(y, k), Y)
    np.testing.assert_array_equal(label_weights(Y, k), label_weights(y, k))
    np.testing.assert_array_equal(sample_targets(Y, V), sample_targets(y, V))
    np.testing.assert_array_equal(shares_label(Y, slice(None), [0, 1]),
                                  shares_label(y, slice(None), [0, 1]))
    group, sets = label_groups(Y)
    np.testing.assert_array_equal(group, y)  # one-hot rows come in class order
    np.testing.assert_array_equal(sets, np.eye(k))
    single, multi = SharedLabels(y), SharedLabels(Y)
    np.testing.assert_array_equal(multi.matmul(A), single.matmul(A))
    assert multi.quadratic(A, B) == single.quadratic(A, B)


def test_shared_labels_by_blocks_when_the_set_matrix_is_large(monkeypatch):
    """Past SHARES_WORKING_MEMORY the g x g matrix is recomputed by blocks: same products."""
    import zeroshash._solvers as solvers

    rng = np.random.RandomState(0)
    Y = random_indicator(rng, 50, 5)
    A, B = rng.randn(50, 3), rng.randn(50, 3)
    whole = SharedLabels(Y)
    n_sets = len(np.unique(Y, axis=0))
    monkeypatch.setattr(solvers, "SHARES_WORKING_MEMORY", 8 * 3 * n_sets)  # 3 rows a block
    blocked = SharedLabels(Y)
    assert whole._group_shares is not None and blocked._group_shares is None
    np.testing.assert_allclose(blocked.matmul(A), whole.matmul(A), atol=1e-12)
    assert blocked.quadratic(A, B) == pytest.approx(whole.quadratic(A, B), abs=1e-9)
