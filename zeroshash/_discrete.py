"""Discrete solvers shared by the hashers that learn codes directly.

* :func:`dcc_update` -- the discrete cyclic coordinate descent B-step of SDH
  (Shen et al., CVPR 2015), reused by ZSH: minimise over B in {-1, +1}^(n x r)
  ``||B W||^2 - 2 tr(B^T Q)``, one bit column at a time in closed form.
* :func:`procrustes_rotation` -- the orthogonal R maximising tr(R^T M) (exact SVD).
"""

from __future__ import annotations

import numpy as np


def dcc_update(B: np.ndarray, Q: np.ndarray, W: np.ndarray, n_sweeps: int = 1) -> np.ndarray:
    """Discrete cyclic coordinate descent on ``||B W||_F^2 - 2 tr(B^T Q)``.

    Parameters
    ----------
    B : ndarray (n, r) of +-1; the updated codes are returned (Fortran-ordered).
    Q : ndarray (n, r)
    W : ndarray (r, c)
    n_sweeps : int
        At most this many passes over the r bit columns; stops early after a pass
        that changes no bit (a fixed point: further passes would change nothing).
        Each column update is the exact minimiser given the others, so the
        objective never increases.

    Notes
    -----
    For column k the objective is ``2 b_k^T (B_{-k} W_{-k} w_k^T - q_k) + const``,
    hence ``b_k = sign(q_k - B_{-k} (W_{-k} w_k^T))``; a zero argument keeps +1.
    """
    WW = W @ W.T
    r = B.shape[1]
    # Column sweeps read and write whole columns: keep them contiguous.
    B = np.asfortranarray(B)
    Q = np.asfortranarray(Q)
    column = np.empty(B.shape[0])
    for _ in range(n_sweeps):
        changed = False
        for k in range(r):
            np.dot(B, WW[:, k], out=column)
            column -= B[:, k] * WW[k, k]
            np.subtract(Q[:, k], column, out=column)
            new = np.where(column >= 0.0, 1.0, -1.0)
            changed = changed or not np.array_equal(new, B[:, k])
            B[:, k] = new
        if not changed:
            break
    return B


def procrustes_rotation(M: np.ndarray) -> np.ndarray:
    """Orthogonal R (square) maximising ``tr(R^T M)``: R = U V^T for M = U S V^T."""
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


def itq_rotation(V: np.ndarray, max_iter: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """ITQ's rotation of the rows of ``V`` (Gong & Lazebnik 2011) and its loss per iteration.

    Shared by :class:`~zeroshash.ITQHasher` and :class:`~zeroshash.DoubleBitHasher`, so
    both agree given the same ``random_state``.
    """
    k = V.shape[1]
    R = np.linalg.qr(rng.standard_normal((k, k)))[0]
    losses = []
    for _ in range(max_iter):
        B = np.where(V @ R >= 0, 1.0, -1.0)
        R = procrustes_rotation(V.T @ B)
        losses.append(float(np.sum((B - V @ R) ** 2)))
    return R, np.asarray(losses)
