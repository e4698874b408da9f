"""A literal numpy transcription of the published COSDISH training (COSDISH.m, Solve.m).

Used as a test oracle. It follows the published code line by line -- the residual
recursions ``lq`` / ``lp``, the loops that move the bit's BQP to {0, 1} variables,
the extra variable that absorbs the linear term, the normalisation by the largest
entry, ``P = chol(lambda I - Q)`` with ``lambda = 10000``, ``Solve``'s nearest-column
candidates and centroid objective, ``ex_sign`` -- with three changes: indices from 0,
the similarity of the paper (S in {-1, +1}; ``balanced=True`` gives the code's
reweighting with dissimilar pairs at ``-r``, see the estimator's docstring), and
``exact=True`` computes ``Solve``'s distances as ``2 lambda + 2 Q_ij`` (0 to itself), what
the Cholesky route computes up to rounding, so exact ties break by index as in
zeroshash rather than by rounding. It draws random numbers in the same order as
zeroshash's COSDISH so the two can be compared run for run.
"""

import numpy as np

LAMBDA = 10000.0


def solve(P):
    """Solve.m: choose H = round(M / 2) columns (the last always) of nearest-column sets."""
    M = P.shape[0]
    H = (M + 1) // 2  # MATLAB round(M / 2)
    sq = np.sum(P**2, axis=0)
    dist = -(2 * P[:, : M - 1].T @ P - sq[: M - 1, None] - sq[None, :])
    return _choose(P, dist, H)


def _choose(P, dist, H, objective=None):
    M = dist.shape[1]
    status = np.zeros((M, M))
    obj = np.zeros(M)
    for i in range(M):
        choose = np.zeros(M)
        order = np.argsort(dist[:, i], kind="stable")  # MATLAB's sort is stable
        choose[order[: H - 1]] = 1
        choose[M - 1] = 1
        status[i] = choose
        if objective is None:
            idx = np.flatnonzero(choose == 1)
            center = P[:, idx].sum(axis=1) / H
            obj[i] = np.sum(np.sum((P[:, idx] - center[:, None]) ** 2, axis=0))
        else:
            obj[i] = objective(choose)
    return status[int(np.argmin(obj)), : M - 1]


def solve_exact(Qn, Qraw):
    """Solve.m with distances from Qn = Qraw / max|Qraw| and objectives from Qraw, unrounded."""
    M = Qn.shape[0]
    H = (M + 1) // 2
    dist = 2 * LAMBDA + 2 * Qn[: M - 1, :]
    dist[np.arange(M - 1), np.arange(M - 1)] = 0.0
    # Sum of squared distances to the centroid = lambda (H - 1) + z^T Qn z / H: same order
    # as z^T Qraw z, which is exact when Q and p are integers.
    return _choose(None, dist, H, objective=lambda z: z @ Qraw @ z)


def bit_problem(Q, p, exact=False):
    """From ``min b^T Q b + p^T b`` (zero-diagonal Q) to the published solver's answer (+-1)."""
    sc = p.shape[0]
    p = p.copy()
    for i in range(sc):
        p[i] = 2 * p[i]
        for l in range(sc):
            p[i] = p[i] - 2 * (Q[i, l] + Q[l, i])
    Q = Q * 4
    Qraw = np.block([[Q, p[:, None] / 2], [p[None, :] / 2, np.zeros((1, 1))]])
    Qa = Qraw / np.max(np.abs(Qraw))
    if exact:
        x = solve_exact(Qa, Qraw)
    else:
        # MATLAB's chol(A) is upper triangular with A = R' R.
        P = np.linalg.cholesky(LAMBDA * np.eye(sc + 1) - Qa).T
        x = solve(P)
    return x * 2 - 1


def ex_sign(a, b):
    a = a.copy()
    idx = np.abs(a) < 1e-5
    a[idx] = b[idx]
    return (a > 0) * 2.0 - 1


def reference_cosdish(y, *, bits, n_columns, n_iter, n_alt_iter, seed, balanced=False,
                      exact=True):
    rng = np.random.RandomState(seed)
    N1 = y.shape[0]
    q = bits
    sc = min(n_columns, N1)
    B = (rng.standard_normal((N1, q)) >= 0) * 2.0 - 1
    nB = B.copy()
    for _ in range(n_iter):
        Omega = rng.choice(N1, size=sc, replace=False)
        Gamma = np.setdiff1d(np.arange(N1), Omega)
        S = (y[:, None] == y[Omega][None, :]).astype(float)
        if balanced:
            r = S.sum() / (1 - S).sum() if (1 - S).sum() else 0.0
            S = S * (1 + r) - r
        else:
            S = S * 2 - 1
        S_g = S[Gamma]
        S_o = S[Omega]
        for _ in range(n_alt_iter):
            for k in range(q):
                if k == 0:
                    lq = -2 * q * S_o
                else:
                    lq = lq + 2 * np.outer(nB[Omega, k - 1], nB[Omega, k - 1])
                Q = lq.copy()
                Q[np.arange(sc), np.arange(sc)] = 0
                if k == 0:
                    lp = q * S_g
                else:
                    lp = lp - np.outer(B[Gamma, k - 1], nB[Omega, k - 1])
                p = -2 * lp.T @ B[Gamma, k]
                nB[Omega, k] = bit_problem(Q, p, exact=exact)
            nB[Gamma, :] = ex_sign(S_g @ nB[Omega, :], B[Gamma, :])
            B = nB.copy()
    return B
