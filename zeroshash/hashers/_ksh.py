"""Kernel-Based Supervised Hashing (Liu, Wang, Ji, Jiang & Chang, CVPR 2012)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.linalg
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._kernel_map import (
    bandwidth_from_sq_distances,
    choose_anchors,
    project_rbf,
    rbf_features,
    squared_distances,
)
from .._solvers import shares_label
from ..base import NONNEGATIVE, POSITIVE_INT, BaseHasher

__all__ = ["KSHHasher"]


def _smooth_sign(z):
    """The paper's surrogate 2 / (1 + exp(-z)) - 1, written as tanh(z / 2) (no overflow)."""
    return np.tanh(0.5 * z)


def _discrete_score(K, S, a):
    """y^T S y for the codes y = sign(K a) (sign(0) = +1): larger is a better fit."""
    y = np.where(K @ a >= 0, 1.0, -1.0)
    return float(y @ (S @ y)), y


def optimize_projection(K, S, a0, max_iter=500, tol=1e-2):
    """Nesterov's accelerated gradient on -phi(K a)^T S phi(K a) (``OptProjectionFast``).

    A transcription of the KSH code's ``OptProjectionFast``: accelerated gradient
    steps with a backtracking estimate ``beta`` of the Lipschitz constant (doubled up
    to 50 times per step from the last accepted value), stopping after ``max_iter``
    steps, when no step satisfies the quadratic upper bound, or when the cost
    changes by at most ``tol`` per sample. Returns the last iterate and the costs.
    """
    n = K.shape[0]

    def cost_and_gradient(a, gradient=True):
        y = _smooth_sign(K @ a)
        Sy = S @ y
        cost = -float(y @ Sy)
        if not gradient:
            return cost
        # d/dz tanh(z/2) = (1 - y^2) / 2, and d(-y^T S y)/dy = -2 S y.
        return cost, -(K.T @ (Sy * (1.0 - y * y)))

    costs = [cost_and_gradient(a0, gradient=False)] * 2
    a_prev = a1 = np.array(a0, dtype=np.float64)
    delta_prev, delta = 0.0, 1.0
    beta = 1.0
    for _ in range(max_iter):
        alpha = (delta_prev - 1.0) / delta
        v = a1 + alpha * (a1 - a_prev)
        gv, dgv = cost_and_gradient(v)
        for j in range(51):
            b = 2.0**j * beta
            z = v - dgv / b
            gz = cost_and_gradient(z, gradient=False)
            dif = z - v
            if gz <= gv + dgv @ dif + b * (dif @ dif) / 2:
                beta = b
                a_prev, a1 = a1, z
                costs.append(gz)
                break
        else:
            break
        delta_prev, delta = delta, (1.0 + np.sqrt(1.0 + 4.0 * delta**2)) / 2.0
        if abs(costs[-1] - costs[-2]) / n <= tol:
            break
    return a1, np.asarray(costs) / n


@fill_doc
class KSHHasher(BaseHasher):
    r"""Kernel-Based Supervised Hashing: code inner products fit pairwise labels.

    Liu, Wang, Ji, Jiang & Chang, "Supervised Hashing with Kernels", CVPR 2012. The
    hash functions are ``h_k(x) = sign(a_k^T kbar(x))`` over a centred RBF kernel
    ``kbar(x) = k(x) - mean_train k`` to ``m`` anchors. On ``l`` labelled training
    samples with pairwise labels ``S_ij = +1`` (same class) or ``-1``, the codes'
    inner products should match ``r S`` (``r`` = bits):

    .. math::

        \min_{A}\ \| \mathrm{sgn}(\bar K_l A)\, \mathrm{sgn}(\bar K_l A)^T - r S \|_F^2

    solved greedily bit by bit: with the residue ``R_{k-1} = r S - \sum_{t<k}
    b_t b_t^T``, bit ``k`` maximises ``b_k^T R_{k-1} b_k``. Each ``a_k`` starts from
    the spectral relaxation (the top generalised eigenvector of
    ``(Kbar_l^T R_{k-1} Kbar_l, Kbar_l^T Kbar_l)``, scaled so that
    ``a^T Kbar_l^T Kbar_l a = l``) and is refined by Nesterov's accelerated gradient
    on the smooth surrogate ``phi(x) = 2 / (1 + exp(-x)) - 1`` replacing the sign
    (:func:`optimize_projection`); the refined ``a_k`` is kept only if its discrete
    score ``b^T R_{k-1} b`` is higher than the spectral one's (``refined_``).

    Multi-label ``y`` (a 0/1 indicator matrix): ``S_ij = +1`` where samples ``i`` and
    ``j`` share at least one label and -1 otherwise, the convention of KSH's own
    multi-label experiments (NUS-WIDE); the rest is unchanged, and one label a sample
    gives the single-label fit, bit for bit.

    A transcription of the published ``KSH`` demo code: kernel ``exp(-||x - a||^2 /
    (2 sigma))`` with ``sigma`` the mean squared sample-anchor distance, centred by
    the mean kernel vector of all training samples; anchors and the labelled subset
    drawn at random from the training data; defaults ``m = 300`` anchors, ``l =
    1000`` labelled samples (the paper's settings; capped by the number of samples)
    and at most 500 gradient steps per bit with the code's stopping test. Two
    numerical changes: ``sign(0) = +1``, as everywhere in zeroshash, and when
    ``Kbar_l^T Kbar_l`` is singular (fewer labelled samples than anchors) a ridge of
    ``1e-10`` times its mean diagonal is added so the generalised eigenproblem is
    defined.

    Parameters
    ----------
    bits : int, default=64
        Code length.
    n_anchors : int, default=300
        Anchors (the paper's ``m``), drawn from the training data.
    n_labeled : int, default=1000
        Size of the labelled subset that defines ``S`` (the paper's ``l``); the
        pairwise matrix is ``l x l``, so memory grows as its square.
    max_iter : int, default=500
        Most accelerated gradient steps per bit (the published code's 500).
    tol : float, default=1e-2
        Stop a bit's gradient descent when the surrogate cost changes by at most
        ``tol`` per labelled sample (the published test).
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the labelled subset and the anchors.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors_used, n_features)
    bandwidth_ : float
        ``2 sigma``: the kernel is ``exp(-||x - a||^2 / bandwidth_)``.
    kernel_mean_ : ndarray of shape (n_anchors_used,)
        Mean kernel vector of the training samples (subtracted before projecting).
    projection_ : ndarray of shape (n_anchors_used, bits)
        ``A``: one column ``a_k`` per bit.
    labeled_indices_ : ndarray of shape (n_labeled_used,)
        Training rows that defined ``S``.
    spectral_scores_ : ndarray of shape (bits,)
        ``b^T R_{k-1} b`` of each bit's spectral initialisation.
    scores_ : ndarray of shape (bits,)
        The same for the kept solution; never below ``spectral_scores_``.
    refined_ : ndarray of shape (bits,), dtype bool
        Whether the gradient-refined solution was kept (the code's ``flag``).
    bit_n_iter_ : ndarray of shape (bits,)
        Accepted gradient steps for each bit.
    n_iter_ : int
        The most gradient steps any bit took.
    %(classes_)s
    %(n_features_in)s

    See Also
    --------
    SDHHasher
        Supervised codes learned as discrete variables.
    COSDISHHasher
        Supervised codes by column sampling of the similarity matrix.

    References
    ----------
    .. [1] W. Liu, J. Wang, R. Ji, Y.-G. Jiang and S.-F. Chang, "Supervised Hashing with Kernels",
       CVPR 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import KSHHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> ksh = KSHHasher(bits=8, n_anchors=40, random_state=0).fit(X, y)
    >>> ksh.transform(X[:2]).shape
    (2, 8)
    >>> bool(np.all(ksh.scores_ >= ksh.spectral_scores_))
    True
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "n_anchors": POSITIVE_INT,
        "n_labeled": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": NONNEGATIVE,
    }
    _requires_y = True
    _multilabel = True

    _fitted_attributes = (
        "anchors_", "bandwidth_", "kernel_mean_", "projection_", "labeled_indices_",
            "spectral_scores_", "scores_", "refined_", "bit_n_iter_", "n_iter_", "classes_",
    )

    def __init__(
        self,
        bits: int = 64,
        *,
        n_anchors: int = 300,
        n_labeled: int = 1000,
        max_iter: int = 500,
        tol: float = 1e-2,
        n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        n, r = X.shape[0], self.bits
        l = min(self.n_labeled, n)
        labeled = np.sort(rng.choice(n, size=l, replace=False))
        anchors = choose_anchors(X, self.n_anchors, rng)
        m = anchors.shape[0]

        d2 = squared_distances(X, anchors).astype(np.float64, copy=False)
        bandwidth = 2.0 * bandwidth_from_sq_distances(d2)
        K = rbf_features(d2, bandwidth, bias=False)
        del d2
        kernel_mean = K.mean(axis=0)
        KK = K[labeled] - kernel_mean
        del K

        S = np.where(shares_label(y, labeled, labeled), 1.0, -1.0) * r
        RM = KK.T @ KK
        if np.linalg.eigvalsh(RM)[0] <= 1e-12 * max(np.trace(RM) / m, np.finfo(float).tiny):
            RM[np.diag_indices_from(RM)] += 1e-10 * max(np.trace(RM) / m, 1.0)

        A = np.zeros((m, r))
        spectral_scores = np.zeros(r)
        scores = np.zeros(r)
        refined = np.zeros(r, dtype=bool)
        n_steps = np.zeros(r, dtype=np.intp)
        b = None
        for k in range(r):
            if b is not None:
                S -= np.outer(b, b)
            LM = KK.T @ S @ KK
            LM = (LM + LM.T) / 2
            a = scipy.linalg.eigh(LM, RM, subset_by_index=[m - 1, m - 1])[1][:, 0]
            a *= np.sign(a[np.argmax(np.abs(a))]) or 1.0  # fixed sign: LAPACK-independent
            a *= np.sqrt(l / float(a @ RM @ a))
            refined_a, costs = optimize_projection(KK, S, a, self.max_iter, self.tol)
            n_steps[k] = len(costs) - 2
            spectral_scores[k], b = _discrete_score(KK, S, a)
            scores[k] = spectral_scores[k]
            refined_score, refined_b = _discrete_score(KK, S, refined_a)
            if refined_score > spectral_scores[k]:
                a, b, scores[k], refined[k] = refined_a, refined_b, refined_score, True
            A[:, k] = a

        self.anchors_ = anchors
        self.bandwidth_ = bandwidth
        self.kernel_mean_ = kernel_mean
        self.projection_ = A
        self.labeled_indices_ = labeled
        self.spectral_scores_ = spectral_scores
        self.scores_ = scores
        self.refined_ = refined
        self.bit_n_iter_ = n_steps
        self.n_iter_ = int(n_steps.max())

    def _project(self, X):
        # (k(x) - mean) @ A as one affine map: the bias row carries -mean @ A.
        W = np.vstack([self.projection_, -(self.kernel_mean_ @ self.projection_)[None, :]])
        return project_rbf(X, self.anchors_, self.bandwidth_, W)
