"""Supervised Discrete Hashing (Shen, Shen, Liu & Shen, CVPR 2015)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._discrete import dcc_update
from .._kernel_map import RidgeOnFeatures, fit_anchor_map, project_rbf
from ..base import BaseHasher

__all__ = ["SDHHasher"]


class SDHHasher(BaseHasher):
    r"""Supervised Discrete Hashing: codes learned as discrete variables for classification.

    Shen, Shen, Liu & Shen, "Supervised Discrete Hashing", CVPR 2015. The codes
    ``B`` of the training images must linearly predict their one-hot labels ``Y``
    and be reproduced by a kernel hash function ``h(x) = sign(P^T phi(x))`` over
    RBF anchors. With samples as rows (the L2 loss of the paper):

    .. math::

        \min_{B, W, P}\ \|Y - B W\|^2 + \lambda \|W\|^2
            + \nu \left(\|B - \Phi P\|^2 + \delta \|P\|^2\right)
        \quad \text{s.t. } B \in \{-1, +1\}^{n \times r}

    Solved as in the published ``SDH.m``: from random codes, ``W`` and ``P`` are
    fitted by ridge regression; each outer iteration then updates ``B`` by discrete
    cyclic coordinate descent (one bit column at a time in closed form, up to
    ``n_sweeps`` passes), ``W`` (the "G-step") and ``P`` (the "F-step"). Each step
    is the exact minimiser of its block, so the objective never increases
    (``objective_``). The feature map is the one of the published demo and of
    :class:`~zeroshash.ZSHHasher`: ``phi(x) = [exp(-||x - a_j||^2 / h), 1]`` over
    ``n_anchors`` training samples, ``h`` the mean squared sample-anchor distance.

    SDH is the special case of ZSH with one-hot class vectors and no rotation:
    ``ZSHHasher(rotate=False, normalize_word_vecs=False, lam=lam, nu=nu,
    epsilon=nu * delta)`` minimises the same objective. The solvers differ in
    initialisation and order (ZSH draws ``W`` at random and starts each iteration
    with the P-step; SDH fits ``W`` and ``P`` to the random codes and starts with
    the B-step) and in the B-step's sweeps (one for ZSH), so their codes differ;
    the tests check the objectives agree and compare SDH with a literal
    transcription of ``SDH.m`` instead.

    Defaults (the published demo ``demo_SDH.m`` and ``SDH.m``): 1000 anchors,
    ``gmap.lambda = 1`` (``lam``), ``Fmap.nu = 1e-5`` (``nu``), ``Fmap.lambda =
    1e-2`` (the F-step ridge, ``delta`` here), ``maxItr = 5`` outer iterations, up
    to 10 B-step sweeps, ``tol = 1e-5`` with the published stopping tests
    (``||B - Phi P||_F < tol ||B||_F`` or ``||P - P_prev||_F < tol ||P_prev||_2``). In
    ``SDH.m`` a variable ``delta = 1/nu`` exists too, but it enters only the hinge
    loss variant, not the L2 loss implemented here.

    Deviation from the published code: ``SDH.m`` restarts every B-step from all-zero
    codes; the paper's coordinate descent, and this class by default, continue from
    the current codes, which is what makes the objective monotone.
    ``restart_codes=True`` reproduces the published behaviour. MATLAB's
    ``sign(0) = 0`` is replaced by +1, as everywhere in zeroshash.

    Parameters
    ----------
    bits : int, default=64
        Code length.
    n_anchors : int, default=1000
        RBF anchors drawn from the training data (fewer if there are fewer samples).
    lam : float, default=1.0
        Ridge weight on the classifier ``W`` (the paper's lambda).
    nu : float, default=1e-5
        Weight tying the codes to the hash function's outputs (the paper's nu).
    delta : float, default=1e-2
        Ridge on the hash function ``P`` relative to ``nu`` (``Fmap.lambda``).
    max_iter : int, default=5
        Outer iterations (the published demo's ``maxItr``).
    n_sweeps : int, default=10
        Most passes over the bits in each B-step (stops at a fixed point).
    tol : float, default=1e-5
        Tolerance of the published stopping tests; 0 runs all ``max_iter``.
    restart_codes : bool, default=False
        Start each B-step from zero codes, as ``SDH.m`` does (the objective may
        then increase); False continues from the current codes.
    random_state : int, RandomState instance or None, default=None
        Seeds the anchors and the initial codes.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors_used, n_features)
    bandwidth_ : float
        RBF bandwidth ``h``: mean squared distance between training samples and anchors.
    projection_ : ndarray of shape (n_anchors_used + 1, bits)
        The hash function's ``P`` (last row multiplies the bias).
    classifier_ : ndarray of shape (bits, n_classes)
        ``W``, predicting one-hot labels from codes.
    classes_ : ndarray of shape (n_classes,)
    n_iter_ : int
    objective_ : ndarray of shape (n_iter_,)
        Objective after each outer iteration; non-increasing unless ``restart_codes``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has feature names that are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import SDHHasher
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 4, size=200)
    >>> X = rng.randn(4, 16)[y] * 3 + rng.rand(200, 16)
    >>> sdh = SDHHasher(bits=16, n_anchors=50, random_state=0).fit(X, y)
    >>> sdh.transform(X[:2]).shape
    (2, 16)
    >>> bool(np.all(np.diff(sdh.objective_) <= 0))
    True
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "n_anchors": [Interval(Integral, 1, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="neither")],
        "nu": [Interval(Real, 0, None, closed="neither")],
        "delta": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_sweeps": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "restart_codes": ["boolean"],
    }
    _requires_y = True

    def __init__(
        self,
        bits: int = 64,
        *,
        n_anchors: int = 1000,
        lam: float = 1.0,
        nu: float = 1e-5,
        delta: float = 1e-2,
        max_iter: int = 5,
        n_sweeps: int = 10,
        tol: float = 1e-5,
        restart_codes: bool = False,
        random_state=None,
    ):
        super().__init__(bits=bits, random_state=random_state)
        self.n_anchors = n_anchors
        self.lam = lam
        self.nu = nu
        self.delta = delta
        self.max_iter = max_iter
        self.n_sweeps = n_sweeps
        self.tol = tol
        self.restart_codes = restart_codes

    def _objective(self, Y, B, W, PhiP, P):
        return float(
            np.sum((Y - B @ W) ** 2)
            + self.lam * np.sum(W**2)
            + self.nu * (np.sum((B - PhiP) ** 2) + self.delta * np.sum(P**2))
        )

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        n, r = X.shape[0], self.bits
        Y = np.eye(self.classes_.shape[0])[y]

        anchors, bandwidth, Phi = fit_anchor_map(X, self.n_anchors, rng)
        f_step = RidgeOnFeatures(Phi, self.delta)

        def g_step(B):
            return np.linalg.solve(B.T @ B + self.lam * np.eye(r), B.T @ Y)

        # Published initialisation: B = sign(randn), then the G- and F-steps.
        B = np.where(rng.standard_normal((n, r)) >= 0, 1.0, -1.0)
        W = g_step(B)
        P = f_step.solve(B)
        objective = []
        for _ in range(self.max_iter):
            Q = self.nu * (Phi @ P) + Y @ W.T
            if self.restart_codes:
                B = np.zeros_like(B)
            B = dcc_update(B, Q, W, n_sweeps=self.n_sweeps)
            W = g_step(B)
            P_prev, P = P, f_step.solve(B)
            PhiP = Phi @ P
            objective.append(self._objective(Y, B, W, PhiP, P))
            if np.linalg.norm(B - PhiP) < self.tol * np.linalg.norm(B):
                break
            # MATLAB's norm(WF0) of a matrix is its spectral norm.
            if np.linalg.norm(P - P_prev) < self.tol * np.linalg.norm(P_prev, 2):
                break

        self.anchors_ = anchors
        self.bandwidth_ = bandwidth
        self.projection_ = P
        self.classifier_ = W
        self.n_iter_ = len(objective)
        self.objective_ = np.asarray(objective)

    def _project(self, X):
        return project_rbf(X, self.anchors_, self.bandwidth_, self.projection_)
