"""Column Sampling based Discrete Supervised Hashing (Kang, Li & Zhou, AAAI 2016)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from threadpoolctl import threadpool_limits

from .._docstrings import fill_doc
from .._principal import centred_product
from .._solvers import RidgeOnFeatures, SharedLabels, shares_label
from ..base import POSITIVE, POSITIVE_INT, BaseHasher

__all__ = ["COSDISHHasher"]

# The published code keeps a B_Gamma bit when |S_Gamma B_Omega| falls below this (ex_sign).
_TIE = 1e-5


def sampled_similarity(y, omega, balanced=False):
    """Columns ``omega`` of the pairwise similarity: ``S[i, j] = +1`` where ``i`` and ``j``
    share a label (same class for 1-D ``y``), else -1.

    ``balanced`` gives the published code's reweighting instead: +1 for similar pairs and
    ``-r`` for dissimilar ones, ``r = #similar / #dissimilar`` over the sampled block.
    """
    same = shares_label(y, slice(None), omega)
    if not balanced:
        return np.where(same, 1.0, -1.0)
    n_same = np.count_nonzero(same)
    r = n_same / (same.size - n_same) if n_same < same.size else 0.0
    return np.where(same, 1.0, -r)


def gamma_update(S_gamma, B_omega, B_gamma):
    """``B_Gamma = sgn(S_Gamma B_Omega)``, keeping the current bit where the argument is 0.

    With ``S`` in {-1, +1} this exactly minimises the L1 loss
    ``||q S_Gamma - B_Gamma B_Omega^T||_1`` (each entry's error is ``q - S_ij b_i^T b_j``,
    linear in ``b_i``), the paper's surrogate of the squared loss for this block.
    """
    A = S_gamma @ B_omega
    return np.where(np.abs(A) < _TIE, B_gamma, np.where(A > 0, 1.0, -1.0))


def balanced_bqp(Q, p):
    """The published solver of ``min_b b^T Q b + p^T b`` over balanced ``b`` in {-1, +1}^m.

    ``Q`` is symmetric with a zero diagonal. As in the published code (``COSDISH.m``
    and ``Solve.m``; the same lines are in the same group's DDSH code), ``b = 2x - 1``
    turns the problem into one over ``x`` in {0, 1}^m, and one extra variable fixed to
    1 takes the linear term into the quadratic form (a problem without linear term):
    ``z^T Qt z`` with ``z = [x; 1]``, ``Qt = [[4 Q, p'/2], [p'^T/2, 0]]`` and ``p' = 2 p -
    4 Q 1``. With ``lam I - Qt = P^T P`` (``lam`` large enough; the code uses 10,000
    after scaling ``Qt`` to a largest entry of 1), choosing ``H = round((m + 1) / 2)``
    columns of ``P``, the extra one always among them, to minimise the sum of squared
    distances to their centroid is the same problem restricted to balanced codes
    (``m // 2`` bits at +1). ``Solve.m`` solves that by the 2-approximation which tries,
    around each column, its ``H - 1`` nearest columns and keeps the best of these
    ``m + 1`` candidates. The factor 2 bounds the centroid spread, which includes the
    shift ``lam (H - 1)``; it is not a factor 2 on ``b^T Q b + p^T b``.

    Distances between columns of ``P`` are ``2 lam + 2 Qt_ij`` (0 to itself), so the
    candidates and the choice do not depend on ``lam``; this function computes them
    from ``Qt`` directly, without the Cholesky factor, and ranks the candidates by
    ``b^T Q b + p^T b``, the same order as the spread. Ties (frequent: ``Q`` is
    integer-valued with labels in {-1, +1}) go to the lower index; in the published
    code they fall to the rounding of the factorisation.

    Returns the chosen ``b`` (float +-1) and its objective ``b^T Q b + p^T b``.
    """
    m = p.shape[0]
    k = m // 2
    near = 4.0 * Q
    np.fill_diagonal(near, -np.inf)  # each column is nearest to itself
    linear = 2.0 * p - 4.0 * Q.sum(axis=1)
    chosen = np.zeros((m + 1, m), dtype=bool)
    rows = np.arange(m + 1)[:, None]
    chosen[rows[:m], np.argsort(near, axis=1, kind="stable")[:, :k]] = True
    chosen[m, np.argsort(linear, kind="stable")[:k]] = True
    candidates = np.where(chosen, 1.0, -1.0)
    objectives = np.einsum("ij,ij->i", candidates @ Q, candidates) + candidates @ p
    best = int(np.argmin(objectives))
    return candidates[best], float(objectives[best])


def omega_update(S_omega, S_gamma, B_gamma, bits):
    """Codes of the sampled points, one bit at a time, each a balanced BQP.

    Bit ``k`` fits the residuals left by the bits before it (the published code's
    sequential scheme): ``Q = -2 (q S_Omega - sum_{t<k} b_t b_t^T)``
    with a zero diagonal and ``p = -2 R_k^T B_Gamma[:, k]``, ``R_k = q S_Gamma -
    sum_{t<k} B_Gamma[:, t] b_t^T``.
    """
    m = S_omega.shape[0]
    G = S_gamma.T @ B_gamma  # (m, q)
    C = B_gamma.T @ B_gamma  # (q, q)
    B_omega = np.empty((m, bits))
    residual = bits * S_omega
    for k in range(bits):
        if k:
            residual -= np.outer(B_omega[:, k - 1], B_omega[:, k - 1])
        Q = -2.0 * residual
        np.fill_diagonal(Q, 0.0)
        p = -2.0 * (bits * G[:, k] - B_omega[:, :k] @ C[:k, k])
        B_omega[:, k] = balanced_bqp(Q, p)[0]
    return B_omega


def pairwise_loss(B, y, shared=None):
    """``||q S - B B^T||_F^2`` over all training pairs (S in {-1, +1}), never n x n.

    ``S = 2 H - 1`` with ``H`` "shares a label" (:class:`~zeroshash._solvers.SharedLabels`):
    O(n q^2) for 1-D ``y``, plus O(g^2 q) for the g distinct label sets of a multi-label
    ``y``. ``shared``: ``SharedLabels(y)``, if already built.
    """
    n, q = B.shape
    shared = SharedLabels(y) if shared is None else shared
    trace_SBB = 2.0 * shared.quadratic(B, B) - np.sum(B.sum(axis=0) ** 2)
    BtB = B.T @ B
    return float(q * q * n * n - 2.0 * q * trace_SBB + np.sum(BtB**2))


def cosdish_codes(y, bits, n_columns, max_iter, n_sweeps, rng, balanced=False):
    """Training codes (n, bits) of +-1 floats and the loss after each sampling iteration."""
    n = y.shape[0]
    m = min(n_columns, n)
    B = np.where(rng.standard_normal((n, bits)) >= 0, 1.0, -1.0)
    losses = []
    shared = SharedLabels(y)
    for _ in range(max_iter):
        omega = rng.choice(n, size=m, replace=False)
        gamma = np.setdiff1d(np.arange(n), omega)
        S = sampled_similarity(y, omega, balanced)
        S_gamma, S_omega = S[gamma], S[omega]
        for _ in range(n_sweeps):
            B_omega = omega_update(S_omega, S_gamma, B[gamma], bits)
            B[omega] = B_omega
            B[gamma] = gamma_update(S_gamma, B_omega, B[gamma])
        losses.append(pairwise_loss(B, y, shared))
    return B, np.asarray(losses)


@fill_doc
class COSDISHHasher(BaseHasher):
    r"""Column Sampling based Discrete Supervised Hashing: discrete codes fit pairwise labels.

    Kang, Li & Zhou, "Column Sampling Based Discrete Supervised Hashing", AAAI 2016.
    With pairwise labels ``S_ij = +1`` for training samples of the same class and -1
    otherwise, the codes ``B`` of the training samples should reproduce ``q S``
    (``q`` = bits) through their inner products:

    .. math::

        \min_{B \in \{-1, +1\}^{n \times q}} \| q S - B B^T \|_F^2

    Each of ``max_iter`` iterations samples ``|Omega| = n_columns`` columns of ``S``
    at random; with ``Gamma`` the other samples, only the blocks ``S_Gamma`` (rows
    Gamma, columns Omega) and ``S_Omega`` (rows and columns Omega) are kept, and
    ``B_Omega``, ``B_Gamma`` are updated in turn ``n_sweeps`` times, both
    discretely:

    * ``B_Gamma = sgn(S_Gamma B_Omega)``: the exact minimiser of the L1 loss
      ``||q S_Gamma - B_Gamma B_Omega^T||_1``, which the paper puts in place of the
      squared loss for this block; every error ``q - S_ij b_i^T b_j`` lies in {0, 2,
      ..., 2q}, so the squared loss of this solution is at most ``q`` times the least
      possible (a constant-factor bound of the kind the paper proves; tested by
      enumeration). Where the argument is 0 the current bit is kept, as in the
      published code (``ex_sign``).
    * ``B_Omega``, one bit after another, each bit fitting the residual that the bits
      before it leave on both blocks: a binary quadratic programme ``min b^T Q b +
      p^T b``, turned into one without linear term (an extra variable fixed to 1),
      then into choosing half of a set of points with the least spread around their
      centroid, solved by a 2-approximation; each bit of ``B_Omega`` comes out
      balanced (:func:`balanced_bqp`, the published ``Solve.m``).

    Multi-label ``y`` (a 0/1 indicator matrix): ``S_ij = +1`` where samples ``i`` and
    ``j`` share at least one label, -1 otherwise (how the paper builds ``S`` for
    NUS-WIDE); ``balanced_similarity`` reweights that ``S`` the same way. The solver is
    unchanged, and one label a sample gives the single-label fit, bit for bit.

    Only the training codes are learned this way; the paper then trains one classifier
    per bit as the hash function. This class uses the published code's: features
    standardised (zero mean, unit variance per dimension: ``normZeroMean``,
    ``normEqualVariance``), then ridge regression to the codes, ``W = (Z^T Z + hash_ridge
    I)^{-1} Z^T B`` with ``hash_ridge = 1`` and no intercept, bits ``sign(z^T W)``.

    Defaults are those of the published ``COSDISH.m``: ``|Omega| = q`` (``sc = q``),
    ``T_sto = 10`` sampling iterations (``max_iter``), ``T_alt = 3`` alternations
    (``n_sweeps``), codes initialised as ``sign(randn)``, columns drawn without
    replacement (``randsample``).

    Deviations, and why:

    * Hash function. The paper reports COSDISH with boosted decision trees as the hash
      functions (as FastH does) and COSDISH_Linear with a linear one. The trees are
      not reproduced: FastH's boosted-tree learner is its own code, and one
      scikit-learn booster per bit would take minutes, not seconds. This class is
      COSDISH_Linear, the variant of the published code (the ridge above).
    * Standardisation statistics come from the training samples only; the published
      demo computes them on all of its data, the test queries included.
    * Similarity. The paper states the problem with ``S`` in {-1, +1}, as here. The
      published ``COSDISH.m`` instead gives each sampled block +1 for similar pairs
      and ``r = #similar / #dissimilar`` for dissimilar ones; the same lines in the
      same group's DDSH code (Jiang, Cui & Li, TIP 2018) give dissimilar pairs ``-r``,
      the sign that makes the block sum to 0, so ``+r`` looks like a dropped sign.
      ``balanced_similarity=True`` uses +1 and ``-r``.
    * Ties. In the B_Omega solver, ties in the nearest-column orderings and between
      candidates go to the lower index (the published code computes distances from a
      Cholesky factor, so its exact ties fall to rounding). ``sign(0) = +1`` in the
      hash function, as everywhere in zeroshash (the published code tests ``> 0``).

    Parameters
    ----------
    bits : int, default=64
        Code length (the paper's ``q``).
    n_columns : int or None, default=None
        Columns of ``S`` sampled per iteration, ``|Omega|``; None means ``bits``
        (the published ``sc = q``). Capped at the number of training samples.
    max_iter : int, default=10
        Sampling iterations (``T_sto``).
    n_sweeps : int, default=3
        Alternations between ``B_Omega`` and ``B_Gamma`` per sampling (``T_alt``).
    hash_ridge : float, default=1.0
        Ridge of the linear hash function on standardised features (published: 1).
    balanced_similarity : bool, default=False
        Weight dissimilar pairs ``-r`` instead of -1 (see Deviations).
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the initial codes and the sampled columns.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
        Per-feature standard deviations (1 for constant features).
    projection_ : ndarray of shape (n_features, bits)
        ``W`` of the linear hash function on standardised features.
    n_columns_ : int
        ``|Omega|`` used.
    objective_ : ndarray of shape (n_iter_,)
        ``||q S - B B^T||_F^2`` over all training pairs (``S`` in {-1, +1}) after each
        sampling iteration. Each step solves its block approximately, so it need not
        decrease every time.
    n_iter_ : int
    %(classes_)s
    %(n_features_in)s

    See Also
    --------
    SDHHasher
        Discrete supervised hashing from class labels.
    KSHHasher
        Kernel hashing from pairwise labels.

    References
    ----------
    .. [1] W.-C. Kang, W.-J. Li and Z.-H. Zhou, "Column Sampling Based Discrete Supervised
       Hashing", AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import COSDISHHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> cosdish = COSDISHHasher(bits=16, random_state=0).fit(X, y)
    >>> codes = cosdish.transform(X)
    >>> codes.shape
    (200, 16)
    >>> from zeroshash.metrics import mean_average_precision
    >>> bool(mean_average_precision(codes, codes, y, y) > 0.7)
    True
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "n_columns": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": POSITIVE_INT,
        "n_sweeps": POSITIVE_INT,
        "hash_ridge": POSITIVE,
        "balanced_similarity": ["boolean"],
    }
    _requires_y = True
    _multilabel = True

    _linear_projection = True

    _fitted_attributes = (
        "mean_", "scale_", "projection_", "n_columns_", "objective_", "n_iter_", "classes_",
    )

    def __init__(
        self,
        bits: int = 64,
        *,
        n_columns: int | None = None,
        max_iter: int = 10,
        n_sweeps: int = 3,
        hash_ridge: float = 1.0,
        balanced_similarity: bool = False,
        n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        n_columns = self.bits if self.n_columns is None else self.n_columns
        # The code loop's products are small (n x |Omega| x q): BLAS threads cost more in
        # synchronisation than they save, whatever n_jobs allows (this only lowers its cap).
        with threadpool_limits(limits=1, user_api="blas"):
            B, objective = cosdish_codes(
                y, self.bits, n_columns, self.max_iter, self.n_sweeps, rng,
                balanced=self.balanced_similarity,
            )
        X = np.asarray(X, dtype=np.float64)
        mean = X.mean(axis=0)
        scale = X.std(axis=0, ddof=1)  # MATLAB's std; fit needs >= 2 samples
        scale[~(scale > 0)] = 1.0
        Z = (X - mean) / scale
        self.mean_ = mean
        self.scale_ = scale
        self.projection_ = RidgeOnFeatures(Z, self.hash_ridge).solve(B)
        self.n_columns_ = min(n_columns, X.shape[0])
        self.objective_ = objective
        self.n_iter_ = len(objective)

    def _project(self, X):
        # ((X - mean) / scale) @ P with the scaling folded into P.
        return centred_product(X, self.mean_, self.projection_ / self.scale_[:, None])
