"""A literal numpy transcription of the published ZSH training loop (MDH/mdh.m).

Used as a test oracle and as the peer in benchmarks/bench_fit.py. It follows the
published code step by step -- cdist for sqdist, the P system solved afresh every
iteration, each bit row updated by deleting it from B and W -- with two changes
required by the issue: R by exact orthogonal Procrustes instead of OptStiefelGBB,
and sign(0) = +1 (MATLAB's sign gives 0). It draws random numbers in the same order
as zeroshash's ZSHHasher so the two can be compared run for run.
"""

import numpy as np
from _reference_anchor_map import published_anchor_map


def reference_zsh(X, y, C, *, bits, n_anchors, lam, nu, epsilon, max_iter, seed):
    rng = np.random.RandomState(seed)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    anchor, sigma, PhiX = published_anchor_map(X, n_anchors, rng)
    m = anchor.shape[0]
    C = C / np.linalg.norm(C, axis=1, keepdims=True)
    Y = C[y]
    d = C.shape[1]
    B = np.where(rng.standard_normal((n, bits)) >= 0, 1.0, -1.0)
    W = rng.random_sample((bits, d))
    R = np.linalg.qr(rng.random_sample((d, d)))[0]
    XX = PhiX.T @ PhiX
    for _ in range(max_iter):
        P = np.linalg.solve(XX + epsilon / nu * np.eye(m + 1), PhiX.T @ B)
        Q = nu * PhiX @ P + Y @ R @ W.T
        for k in range(bits):
            Zk = np.delete(B, k, axis=1)
            Wk = np.delete(W, k, axis=0)
            B[:, k] = np.where(Q[:, k] - Zk @ (Wk @ W[k]) >= 0, 1.0, -1.0)
        U, _, Vt = np.linalg.svd(Y.T @ B @ W)
        R = U @ Vt
        W = np.linalg.solve(B.T @ B + lam * np.eye(bits), B.T @ Y @ R)
    P = np.linalg.solve(XX + epsilon / nu * np.eye(m + 1), PhiX.T @ B)
    return {"anchors": anchor, "P": P, "B": B, "R": R, "W": W, "sigma2": 2 * sigma}
