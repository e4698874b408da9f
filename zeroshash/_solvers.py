"""The solvers the hashers share, each an exact minimiser of its block.

* :func:`sign` -- +-1 with ``sign(0) = +1``, the zeroshash convention everywhere.
* :func:`ridge` -- ``argmin_W ||T - B W||^2 + alpha ||W||^2`` for a few columns of ``B``.
* :class:`RidgeOnFeatures` -- the same regression on fixed features, factored once
  (the P-step of every kernel hash function); :func:`gram` its ``Phi^T Phi``.
* :func:`dcc_update` -- the discrete cyclic coordinate descent B-step of SDH
  (Shen et al., CVPR 2015), reused by ZSH: minimise over B in {-1, +1}^(n x r)
  ``||B W||^2 - 2 tr(B^T Q)``, one bit column at a time in closed form.
* :func:`procrustes_rotation` -- the orthogonal R maximising tr(R^T M) (exact SVD), and
  :func:`itq_rotation`, ITQ's alternation of it with the sign.
* :func:`class_code_sweeps` -- exact single-flip coordinate descent for class codes
  whose inner products should reproduce a class-similarity target, with
  :func:`class_similarity_targets` building that target from class vectors.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = [
    "RidgeOnFeatures",
    "class_code_sweeps",
    "class_similarity_targets",
    "dcc_update",
    "gram",
    "itq_rotation",
    "procrustes_rotation",
    "ridge",
    "sign",
]


def sign(A: np.ndarray) -> np.ndarray:
    """+-1 as float64, with ``sign(0) = +1`` (MATLAB's ``sign`` would give 0)."""
    return np.where(A >= 0, 1.0, -1.0)


def ridge(B: np.ndarray, T: np.ndarray, alpha: float) -> np.ndarray:
    """``argmin_W ||T - B W||^2 + alpha ||W||^2``, exactly (``B`` has few columns)."""
    system = B.T @ B
    system[np.diag_indices_from(system)] += alpha
    return np.linalg.solve(system, B.T @ T)


def gram(Phi: np.ndarray) -> np.ndarray:
    """Phi^T Phi in float64 through a symmetric rank-k update (half a GEMM's flops)."""
    Phi = np.asarray(Phi, dtype=np.float64)
    upper = scipy.linalg.blas.dsyrk(1.0, Phi, trans=1, lower=0)
    return np.triu(upper) + np.triu(upper, 1).T


class RidgeOnFeatures:
    """Ridge regression of targets on fixed features: P = (Phi^T Phi + alpha I)^{-1} Phi^T T.

    The system is factored once (Cholesky), so the alternating solvers that refit
    ``P`` to new codes every iteration pay only for ``Phi^T T`` and two triangular
    solves. ``alpha`` must be > 0.
    """

    def __init__(self, Phi: np.ndarray, alpha: float):
        self.Phi = np.asarray(Phi, dtype=np.float64)
        system = gram(self.Phi)
        system[np.diag_indices_from(system)] += alpha
        self._factor = scipy.linalg.cho_factor(system, lower=True, check_finite=False)

    def solve(self, T: np.ndarray) -> np.ndarray:
        return scipy.linalg.cho_solve(self._factor, self.Phi.T @ T, check_finite=False)


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
            new = sign(column)
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
        B = sign(V @ R)
        R = procrustes_rotation(V.T @ B)
        losses.append(float(np.sum((B - V @ R) ** 2)))
    return R, np.asarray(losses)


def class_code_sweeps(
    C: np.ndarray, targets: np.ndarray, M: np.ndarray, weight: float, n_sweeps: int
) -> np.ndarray:
    r"""Exact single-entry coordinate descent for the class codes.

    Minimises ``weight * ||T - C C^T / r||^2 - 2 tr(C^T M)`` over ``C`` in
    ``{-1, +1}^(k x r)``, one entry at a time: an entry is flipped only when that
    strictly lowers the objective (the change of a flip is computed in closed form,
    O(k)), so the objective never increases. Stops after a sweep without a flip.

    For entry ``(a, j)`` with residual ``R = T - C C^T / r`` and ``s_b = C_aj C_bj``,
    flipping changes the objective by
    ``4 C_aj M_aj + (8 weight / r) sum_{b != a} (R_ab s_b + 1 / r)``.
    """
    C = np.array(C, dtype=np.float64)
    k, r = C.shape
    R = targets - C @ C.T / r
    for _ in range(n_sweeps):
        flipped = False
        for a in range(k):
            for j in range(r):
                s = C[a, j] * C[:, j]
                s[a] = 0.0
                delta = 4.0 * C[a, j] * M[a, j] + (8.0 * weight / r) * (
                    R[a] @ s + (k - 1) / r
                )
                if delta < -1e-12 * (1.0 + abs(4.0 * M[a, j])):
                    C[a, j] = -C[a, j]
                    R[a] += 2.0 * s / r
                    R[:, a] += 2.0 * s / r
                    flipped = True
        if not flipped:
            break
    return C


def class_similarity_targets(V: np.ndarray, margin) -> tuple[np.ndarray, float]:
    """Target similarities of class codes from class vectors, and the margin used.

    ``T`` is 1 on the diagonal and, between classes ``a != b``, the cosine similarity
    of their vectors lowered by ``margin`` and clipped to [-1, 1]. ``margin="auto"``
    is the mean cosine similarity between distinct classes, or 0 where that mean is
    negative (a margin lowers targets, it must not raise them). For one-hot vectors
    the cosines are 0, so ``margin=1`` gives -1 between distinct classes.
    """
    k = V.shape[0]
    norms = np.linalg.norm(V, axis=1)
    unit = V / np.where(norms > 0, norms, 1.0)[:, None]
    cosine = unit @ unit.T
    off = ~np.eye(k, dtype=bool)
    if isinstance(margin, str) and margin == "auto":
        margin = max(float(cosine[off].mean()), 0.0) if k > 1 else 0.0
    else:
        margin = float(margin)
    T = np.clip(cosine - margin, -1.0, 1.0)
    np.fill_diagonal(T, 1.0)
    return T, margin
