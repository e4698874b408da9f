import itertools

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import COSDISHHasher
from zeroshash.hashers._cosdish import (
    balanced_bqp,
    cosdish_codes,
    gamma_update,
    pairwise_loss,
    sampled_similarity,
)
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, random_state=0)


def all_sign_vectors(m):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=m)))


def test_published_defaults_and_attributes(blobs):
    X, y, _ = blobs
    est = COSDISHHasher()
    assert (est.bits, est.n_columns, est.max_iter, est.n_sweeps, est.hash_ridge) == (
        64, None, 10, 3, 1.0)
    assert est.balanced_similarity is False
    est = COSDISHHasher(**SMALL).fit(X, y)
    assert est.n_columns_ == 16  # |Omega| = q
    assert est.projection_.shape == (20, 16)
    assert est.mean_.shape == est.scale_.shape == (20,)
    assert est.n_iter_ == len(est.objective_) == 10


@pytest.mark.parametrize("seed", range(4))
def test_gamma_update_is_the_exact_l1_minimiser_and_within_q_of_l2(seed):
    # Every row of B_Gamma separately: enumerate all 2^q codes.
    rng = np.random.RandomState(seed)
    q, m, rows = 4, 5, 12
    B_omega = np.where(rng.randn(m, q) >= 0, 1.0, -1.0)
    S_gamma = np.where(rng.rand(rows, m) < 0.4, 1.0, -1.0)
    B_prev = np.where(rng.randn(rows, q) >= 0, 1.0, -1.0)
    ours = gamma_update(S_gamma, B_omega, B_prev)
    codes = all_sign_vectors(q)
    for i in range(rows):
        errors = q * S_gamma[i][None, :] - codes @ B_omega.T  # (2^q, m)
        l1, l2 = np.abs(errors).sum(axis=1), (errors**2).sum(axis=1)
        e = q * S_gamma[i] - B_omega @ ours[i]
        assert np.abs(e).sum() == l1.min()
        assert (e**2).sum() <= q * l2.min()
    # Where S_Gamma B_Omega is 0 the current bit stays.
    ties = S_gamma @ B_omega == 0
    np.testing.assert_array_equal(ours[ties], B_prev[ties])


def centroid_spread(Qt, z, lam):
    """Sum of squared distances to their centroid of the chosen columns of P,
    P^T P = lam I - Qt (Solve.m's objective)."""
    H = z.sum()
    return lam * H - (z @ (lam * np.eye(len(z)) - Qt) @ z) / H


@pytest.mark.parametrize("m", [1, 2, 3, 4, 6, 7, 9, 10])
def test_balanced_bqp_is_a_2_approximation_by_enumeration(m):
    rng = np.random.RandomState(m)
    for _ in range(20):
        A = rng.randn(m, m)
        Q = A + A.T
        np.fill_diagonal(Q, 0.0)
        p = 3 * rng.randn(m)
        b, value = balanced_bqp(Q, p)
        assert np.count_nonzero(b > 0) == m // 2
        assert value == pytest.approx(b @ Q @ b + p @ b)
        # The {0, 1} problem with the extra variable fixed to 1, as in the paper.
        linear = 2 * p - 4 * Q.sum(axis=1)
        Qt = np.block([[4 * Q, linear[:, None] / 2], [linear[None, :] / 2, np.zeros((1, 1))]])
        lam = max(np.linalg.eigvalsh(Qt)[-1], 0.0)  # the least shift making lam I - Qt PSD
        balanced = [s for s in all_sign_vectors(m) if np.count_nonzero(s > 0) == m // 2]
        spreads = [centroid_spread(Qt, np.append((s + 1) / 2, 1.0), lam) for s in balanced]
        ours = centroid_spread(Qt, np.append((b + 1) / 2, 1.0), lam)
        assert ours <= 2 * min(spreads) + 1e-9
        # The two objectives order the balanced codes alike.
        best = balanced[int(np.argmin(spreads))]
        assert best @ Q @ best + p @ best == pytest.approx(
            min(s @ Q @ s + p @ s for s in balanced))


def test_balanced_bqp_matches_literal_published_solver():
    from _reference_cosdish import bit_problem

    rng = np.random.RandomState(0)
    for _ in range(100):
        m = rng.randint(1, 24)
        A = rng.randn(m, m)
        Q = A + A.T
        np.fill_diagonal(Q, 0.0)
        p = 3 * rng.randn(m)
        # Continuous entries: no ties, so the Cholesky route's rounding cannot matter.
        np.testing.assert_array_equal(balanced_bqp(Q, p)[0], bit_problem(Q, p, exact=False))


@pytest.mark.parametrize(
    "bits, n_columns, balanced",
    [(8, 8, False), (12, 12, False), (16, 10, False), (5, 7, False), (8, 8, True), (6, 500, False)],
)
def test_codes_match_transcription_of_published_loop(bits, n_columns, balanced):
    from _reference_cosdish import reference_cosdish

    y = np.repeat(np.arange(6), 40)
    ref = reference_cosdish(y, bits=bits, n_columns=n_columns, n_iter=4, n_alt_iter=3, seed=1,
                            balanced=balanced)
    ours, _ = cosdish_codes(y, bits, n_columns, 4, 3, np.random.RandomState(1), balanced=balanced)
    np.testing.assert_array_equal(ours, ref)


def test_pairwise_loss_matches_dense_computation():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 5, size=60)
    B = np.where(rng.randn(60, 8) >= 0, 1.0, -1.0)
    S = np.where(y[:, None] == y[None, :], 1.0, -1.0)
    assert pairwise_loss(B, y) == np.sum((8 * S - B @ B.T) ** 2)


def test_sampled_similarity():
    y = np.array([0, 0, 1, 2, 2, 2])
    omega = np.array([5, 0])
    S = sampled_similarity(y, omega)
    np.testing.assert_array_equal(S[:, 0], [-1, -1, -1, 1, 1, 1])
    np.testing.assert_array_equal(S[:, 1], [1, 1, -1, -1, -1, -1])
    Sb = sampled_similarity(y, omega, balanced=True)  # +1 and -r: the block sums to 0
    assert set(np.unique(Sb)) == {1.0, -5 / 7}
    assert Sb.sum() == pytest.approx(0.0)


def test_codes_recover_separable_classes(blobs):
    X, y, _ = blobs
    est = COSDISHHasher(**SMALL).fit(X, y)
    codes = est.transform(X)
    class_codes = [np.unique(codes[y == c], axis=0) for c in range(6)]
    assert all(len(c) == 1 for c in class_codes)  # one code per class...
    assert len(np.unique(np.vstack(class_codes), axis=0)) == 6  # ...distinct classes apart
    assert mean_average_precision(codes[::5], codes, y[::5], y) == 1.0


def test_columns_capped_by_samples(blobs):
    X, y, _ = blobs
    est = COSDISHHasher(bits=8, n_columns=1000, max_iter=2, random_state=0).fit(X[::8], y[::8])
    assert est.n_columns_ == 30  # every column sampled: Gamma is empty


def test_balanced_similarity_option(blobs):
    X, y, _ = blobs
    est = COSDISHHasher(**SMALL, balanced_similarity=True).fit(X, y)
    codes = est.transform(X)
    assert mean_average_precision(codes[::5], codes, y[::5], y) > 0.9


@pytest.mark.parametrize(
    "params, match",
    [({"bits": 0}, "bits"), ({"n_columns": 0}, "n_columns"), ({"max_iter": 0}, "max_iter"),
     ({"n_sweeps": 0}, "n_sweeps"), ({"hash_ridge": 0.0}, "hash_ridge")],
)
def test_bad_parameters(blobs, params, match):
    X, y, _ = blobs
    with pytest.raises(InvalidParameterError, match=match):
        COSDISHHasher(**params).fit(X, y)


def test_multilabel_similarity_and_loss_are_shares_a_label():
    """S_ij = +1 where the label sets intersect: the sampled block and the loss over all
    pairs (computed through the distinct label sets) against S formed densely."""
    from _helpers import multilabel_problem

    _, Y, _ = multilabel_problem(n=60)
    Y = Y.astype(np.float64)
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    omega = np.array([3, 17, 40])
    np.testing.assert_array_equal(sampled_similarity(Y, omega), S[:, omega])
    B = np.where(np.random.RandomState(0).randn(60, 8) >= 0, 1.0, -1.0)
    assert pairwise_loss(B, Y) == np.sum((8 * S - B @ B.T) ** 2)
