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

The training labels as the methods read them, single- and multi-label alike (``y`` is
the 1-D class indices, or the (n, k) float64 0/1 indicator of a multi-label fit; see
:mod:`zeroshash.base`, "Multi-label y"). Each reduces exactly -- the same arithmetic --
to the single-label computation for 1-D ``y``:

* :func:`label_indicator` -- the (n, k) 0/1 label matrix (one-hot rows for 1-D ``y``):
  what classification terms regress onto;
* :func:`label_weights` -- the indicator with each row divided by its label count, so
  ``label_weights(y) @ V`` is the mean of each sample's labels' class vectors;
* :func:`sample_targets` -- that mean, each sample's semantic target (``V[y]`` for 1-D);
* :func:`label_groups` -- the distinct label sets and each sample's set (the classes for
  1-D ``y``): the groups within which every sample has the same labels;
* :func:`shares_label` and :class:`SharedLabels` -- the pairwise relation "shares a
  label" (``H_ij = 1`` where the label sets of ``i`` and ``j`` intersect; same class for
  1-D ``y``): a block of it, and an operator never formed as an n x n matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse

__all__ = [
    "RidgeOnFeatures",
    "SHARES_WORKING_MEMORY",
    "SharedLabels",
    "class_code_sweeps",
    "class_similarity_targets",
    "dcc_update",
    "gram",
    "itq_rotation",
    "label_groups",
    "label_indicator",
    "label_weights",
    "procrustes_rotation",
    "ridge",
    "sample_targets",
    "shares_label",
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


# -- labels ------------------------------------------------------------------------------
def label_indicator(y: np.ndarray, n_classes: int) -> np.ndarray:
    """The (n, n_classes) float64 0/1 label matrix: one-hot rows for 1-D ``y``."""
    if y.ndim == 2:
        return y
    return np.eye(n_classes)[y]


def label_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """The label matrix with rows summing to 1: ``1 / |labels of i|`` on each label of ``i``.

    ``label_weights(y, k) @ V`` is the mean of each sample's labels' rows of ``V``. For 1-D
    ``y`` (one label a sample) it is the one-hot matrix itself.
    """
    Y = label_indicator(y, n_classes)
    if y.ndim == 1:
        return Y
    return Y / Y.sum(axis=1, keepdims=True)


def sample_targets(y: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Each sample's semantic target: the mean of its labels' class vectors (rows of ``V``).

    ``V[y]`` for 1-D ``y``; for a multi-label indicator, ``label_weights(y) @ V`` -- the
    ZSH paper's target for an image of several labels (MIRFlickr). Not renormalised: the
    mean of unit vectors is shorter where the labels disagree.
    """
    if y.ndim == 1:
        return V[y]
    return label_weights(y, V.shape[0]) @ V


def label_groups(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct label sets and each sample's one: ``(group (n,), sets (g, k))``.

    Samples of one group carry exactly the same labels, so anything that depends on a
    sample only through its labels is computed once a group. For 1-D ``y`` the groups
    are the classes: ``(y, None)`` (``sets`` is then the identity, not formed). For an
    indicator, the sets are its distinct rows (float64 0/1) in *decreasing*
    lexicographic order, so that one-hot rows come in class order (``e_0`` first) and
    a one-hot indicator gives exactly the groups of its 1-D ``y``.
    """
    if y.ndim == 1:
        return y, None
    sets, group = np.unique(y, axis=0, return_inverse=True)
    last = sets.shape[0] - 1
    return last - group.ravel(), sets[::-1]


def shares_label(y: np.ndarray, rows=slice(None), cols=slice(None)) -> np.ndarray:
    """Whether samples ``rows`` and ``cols`` share a label: ``H[rows][:, cols]``, bool.

    Same class for 1-D ``y``; for a multi-label indicator, label sets that intersect.
    """
    if y.ndim == 1:
        return y[rows][:, None] == y[cols][None, :]
    return y[rows] @ y[cols].T > 0


#: Bytes up to which :class:`SharedLabels` keeps its (g x g) matrix of label sets that share
#: a label; a larger one is recomputed by blocks of rows in each product (time for memory).
SHARES_WORKING_MEMORY = 64 * 2**20


class SharedLabels:
    """The pairwise relation "samples ``i`` and ``j`` share a label", ``H_ij`` in {0, 1}.

    For 1-D ``y`` it is "same class"; for a multi-label indicator, the label sets
    intersect (the convention of pairwise supervised hashing on NUS-WIDE, MIRFlickr and
    COCO). Each method maps ``H`` to its own similarity (+-1, or ``2 H - 1``). The n x n
    matrix is never formed: :meth:`matmul` and :meth:`quadratic` work through the g
    distinct label sets (:func:`label_groups`), in O(n r) time for 1-D ``y`` (g = k
    classes, nothing g x g) and O(n r + g^2 (k + r)) for an indicator. The g x g matrix
    of sets that share a label is kept while it fits in :data:`SHARES_WORKING_MEMORY`
    (64 MiB, g up to about 2,900) and otherwise recomputed by blocks of rows in each
    product, so memory stays O(n + g k + 64 MiB) whatever g; the time grows as g^2.
    """

    def __init__(self, y: np.ndarray):
        group, sets = label_groups(y)
        n = y.shape[0]
        n_groups = int(group.max()) + 1 if sets is None else sets.shape[0]
        # (groups, n) membership: for 1-D y exactly the transposed one-hot label matrix.
        self._members = scipy.sparse.csr_array(
            (np.ones(n), (group, np.arange(n))), shape=(n_groups, n)
        )
        self._sets = sets
        # Which groups share a label, when kept whole (None for 1-D y: the identity).
        self._group_shares = None
        if sets is not None and 8 * n_groups**2 <= SHARES_WORKING_MEMORY:
            self._group_shares = self._shares_block(slice(None))

    def _shares_block(self, rows) -> np.ndarray:
        return (self._sets[rows] @ self._sets.T > 0).astype(np.float64)

    def _between_groups(self, sums: np.ndarray) -> np.ndarray:
        """The group-level product: (sets sharing a label) @ ``sums``; as is for 1-D y."""
        if self._sets is None:
            return sums
        if self._group_shares is not None:
            return self._group_shares @ sums
        g = self._sets.shape[0]
        rows = max(1, SHARES_WORKING_MEMORY // (8 * g))
        out = np.empty_like(sums)
        for start in range(0, g, rows):
            block = slice(start, start + rows)
            out[block] = self._shares_block(block) @ sums
        return out

    def matmul(self, A: np.ndarray) -> np.ndarray:
        """``H @ A`` for ``A`` of shape (n, r)."""
        return self._members.T @ self._between_groups(self._members @ A)

    def quadratic(self, V: np.ndarray, U: np.ndarray) -> float:
        """``tr(V^T H U)`` for ``V``, ``U`` of shape (n, r)."""
        V_sums = self._members @ V
        U_sums = V_sums if U is V else self._members @ U
        return float(np.sum(V_sums * self._between_groups(U_sums)))
