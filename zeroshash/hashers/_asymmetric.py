"""Asymmetric hashing guided by a label network (after ADSQ, Yang et al., IEEE Access 2019)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from .._discrete import dcc_update
from .._kernel_map import fit_anchor_map, gram, project_rbf
from ..base import BaseHasher

__all__ = ["AsymmetricHasher"]


def _sign(A: np.ndarray) -> np.ndarray:
    """+-1 with sign(0) = +1, the zeroshash convention."""
    return np.where(A >= 0, 1.0, -1.0)


class AsymmetricHasher(BaseHasher):
    r"""Asymmetric hashing: free database codes, a query hash function, a label network.

    A shallow counterpart of Asymmetric Deep Semantic Quantization (ADSQ; Yang,
    Raymond, Sun & Long, IEEE Access 7, 2019, doi:10.1109/ACCESS.2019.2920712) with the
    asymmetric scheme of ADSH (Jiang & Li, AAAI 2018). Three parts are learned
    together: a *label network* maps each class's input vector (one-hot label or word
    vector) to a semantic class code; the training rows' *database codes* are free
    discrete variables; a *query hash function* ``h(x) = sign(P^T phi(x))`` over
    RBF anchors is fitted separately so that its real outputs ``U = Phi P`` have
    inner products with the database codes that reproduce the pairwise label
    similarity. With samples as rows:

    .. math::

        \min_{V, Z, W, P}\ \frac{1}{n}\|U V^T - r S\|^2 + \gamma \|V - U\|^2
            + \mu \|V - Y Z\|^2 + \|Z - E W\|^2 + \lambda \|W\|^2 + \epsilon \|P\|^2

    .. math::

        U = \Phi P,\quad V \in \{-1, +1\}^{n \times r},\quad Z \in \{-1, +1\}^{c \times r}

    where ``r`` is ``bits``, ``S`` (n x n) is +1 for pairs of the same class and -1
    otherwise, ``Y`` (n x c) the one-hot labels, ``E`` (c x d) the label network's
    input (the identity or the class word vectors), ``Phi`` (n x (m+1)) the RBF-anchor
    features plus a bias. ``S`` is never formed: ``S = 2 Y Y^T - 1 1^T``, so every
    product with it costs O(n r). The pairwise term is averaged over the database
    side (the ``1/n``) so that the weights do not depend on the training-set size.

    Each block is solved exactly in turn, so the objective never increases
    (``objective_``):

    * ``V`` (database codes): discrete cyclic coordinate descent, one bit column at
      a time in closed form, on ``||V U^T||^2 / n - 2 tr(V^T Q)`` with
      ``Q = (r/n) S U + gamma U + mu Y Z`` (ADSH's V-step plus the semantic tie);
    * ``Z`` (class codes): ``sign(mu Y^T V + E W)`` (exact: ``||Y Z||^2`` and
      ``||Z||^2`` are constant for +-1 codes);
    * ``W`` (label network): ridge regression of ``Z`` on ``E``;
    * ``P`` (query function): the normal equations
      ``Phi^T Phi P (V^T V / n + gamma I) + epsilon P = Phi^T ((r/n) S V + gamma V)``,
      a Sylvester-type system solved exactly through the eigendecompositions of both
      Gram matrices (the one of ``Phi`` once per fit).

    Paper -> here:

    ============================================  =======================================
    ADSQ / ADSH                                   AsymmetricHasher
    ============================================  =======================================
    LabelNet (3 fully-connected layers on the     one linear layer ``W`` (ridge), input
    label vector) giving semantic hash codes      one-hot or word vector; ``class_codes_``
                                                  = ``Z``; :meth:`encode_classes`
    ImgNet for queries (CNN, tanh outputs)        kernel map ``U = Phi P`` over RBF
                                                  anchors on the given CNN features;
                                                  :meth:`transform`
    second ImgNet / database side                 ADSH's free discrete database codes
                                                  ``V`` (``database_codes_``), as the
                                                  issue specifies
    semantic guidance of the codes by LabelNet    ``mu ||V - Y Z||^2``: each database
                                                  code is tied to its class's code
    gap between continuous features and binary    ``gamma ||V - U||^2`` (ADSH's term
    codes ("quantization")                        tying query outputs of the training
                                                  rows to their own database codes)
    pairwise semantic similarity between images   ADSH's ``||U V^T - r S||^2`` with
                                                  labels defining ``S``
    SGD on the networks, discrete update of B     exact block updates (DCC, ridge,
                                                  Sylvester), monotone objective
    ============================================  =======================================

    Dropped or changed, and why: the deep networks (CNNs and the three-layer
    LabelNet) cannot be trained on fixed features; they become linear maps (on RBF
    features for images). ADSQ's asymmetry, as its abstract states it, is two image
    networks with different weights; only its abstract could be checked, so its exact
    losses (and whether "quantization" involves a codebook) are not reproduced: no
    codebook is learned here and the losses are ADSH's squared errors, which admit
    exact block updates. No nonlinearity (tanh) bounds the query outputs. With
    one-hot labels the label network is free to place every class code anywhere, so
    it adds nothing beyond free class codes and cannot encode unseen classes; with
    word vectors the codes of unseen classes come from the same linear map.

    Notes
    -----
    What the alternation does: it starts, as ADSH does, from random database codes.
    Because ``S`` depends on the labels only and the V-step is separable over rows
    given ``U``, the database codes settle (in a few iterations) on one code per
    class, and that code is ``Z``: ``database_codes_`` then equals
    ``class_codes_[y]``. The class codes are driven by the many database rows tied
    to them (``mu`` times a class's size against a weight of 1 for the label
    network's fit), so the label network follows the class codes rather than
    shaping them; in ADSQ the LabelNet is trained with its own loss first and
    guides the image networks. Searching new (e.g. unseen-class) items goes through
    :meth:`transform` on both sides; ``database_codes_`` serve the asymmetric use,
    queries by :meth:`transform` against stored training rows.

    Defaults were set by reasoning, not tuned on test classes: ``gamma = mu = 1``
    weigh the two ties like the (per-row averaged) pairwise term; ``epsilon = 1e-2``
    is the kernel ridge of :class:`~zeroshash.ZSHHasher` and of the published SDH
    code; ``lam = 1`` shrinks the label network so that classes with similar word
    vectors get similar codes.

    Parameters
    ----------
    bits : int, default=64
        Code length ``r``.
    n_anchors : int, default=1000
        RBF anchors drawn from the training data (fewer if there are fewer samples).
    gamma : float, default=1.0
        Weight tying the query outputs of the training rows to their database codes.
    mu : float, default=1.0
        Weight tying each database code to its class's semantic code.
    lam : float, default=1.0
        Ridge weight on the label network ``W``.
    epsilon : float, default=1e-2
        Ridge weight on the query hash function ``P``.
    label_input : {"auto", "word_vecs", "onehot"}, default="auto"
        Input of the label network. "auto" uses the word vectors when some are given
        and one-hot labels otherwise: only word vectors let :meth:`encode_classes`
        produce codes for classes unseen in training. "word_vecs" requires them;
        "onehot" ignores them.
    normalize_word_vecs : bool, default=True
        Scale each class vector to unit length before fitting (and in
        :meth:`encode_classes`).
    max_iter : int, default=20
        Alternating iterations.
    n_sweeps : int, default=3
        Most passes over the bits in each V-step (stops at a fixed point).
    tol : float, default=1e-5
        Stop early when an iteration lowers the objective by less than
        ``tol * objective``.
    word_vecs : array-like, dict, KeyedVectors or callable, default=None
        Class vectors given at construction; see :meth:`fit`.
    random_state : int, RandomState instance or None, default=None
        Seeds the anchors and the initial class codes.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors_used, n_features)
    bandwidth_ : float
        RBF bandwidth: mean squared distance between training samples and anchors.
    projection_ : ndarray of shape (n_anchors_used + 1, bits)
        The query hash function's ``P`` (last row multiplies the bias).
    database_codes_ : ndarray of shape (n_samples, bits), dtype uint8
        The learned discrete codes ``V`` of the training rows, as 0/1.
    class_codes_ : ndarray of shape (n_classes, bits), dtype uint8
        The seen classes' semantic codes ``Z`` (the label network's targets), as 0/1.
    label_weights_ : ndarray of shape (d, bits)
        The label network ``W``.
    label_inputs_ : ndarray of shape (n_classes, d)
        ``E``: the identity (one-hot mode) or the (normalised) class word vectors.
    uses_word_vecs_ : bool
        Whether the label network reads word vectors.
    classes_ : ndarray of shape (n_classes,)
    n_iter_ : int
    objective_ : ndarray of shape (n_iter_,)
        Objective after each iteration; non-increasing.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has feature names that are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import AsymmetricHasher
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 4, size=200)
    >>> X = rng.randn(4, 16)[y] * 3 + rng.rand(200, 16)
    >>> word_vecs = rng.randn(4, 8)          # one row per class of np.unique(y)
    >>> ah = AsymmetricHasher(bits=16, n_anchors=50, random_state=0).fit(X, y, word_vecs)
    >>> ah.transform(X[:2]).shape            # query codes of new items
    (2, 16)
    >>> ah.database_codes_.shape             # learned codes of the training rows
    (200, 16)
    >>> ah.encode_classes(rng.randn(3, 8)).shape   # codes of (e.g. unseen) classes
    (3, 16)
    >>> bool(np.all(np.diff(ah.objective_) <= 0))
    True
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "n_anchors": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "mu": [Interval(Real, 0, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "label_input": [StrOptions({"auto", "word_vecs", "onehot"})],
        "normalize_word_vecs": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_sweeps": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "word_vecs": "no_validation",
    }
    _requires_y = True
    _uses_word_vecs = True

    def __init__(
        self,
        bits: int = 64,
        *,
        n_anchors: int = 1000,
        gamma: float = 1.0,
        mu: float = 1.0,
        lam: float = 1.0,
        epsilon: float = 1e-2,
        label_input: str = "auto",
        normalize_word_vecs: bool = True,
        max_iter: int = 20,
        n_sweeps: int = 3,
        tol: float = 1e-5,
        word_vecs=None,
        random_state=None,
    ):
        super().__init__(bits=bits, random_state=random_state)
        self.n_anchors = n_anchors
        self.gamma = gamma
        self.mu = mu
        self.lam = lam
        self.epsilon = epsilon
        self.label_input = label_input
        self.normalize_word_vecs = normalize_word_vecs
        self.max_iter = max_iter
        self.n_sweeps = n_sweeps
        self.tol = tol
        self.word_vecs = word_vecs

    # -- label network --------------------------------------------------------------------
    def _label_inputs(self, class_vectors):
        n_classes = self.classes_.shape[0]
        if self.label_input == "word_vecs" and class_vectors is None:
            raise ValueError(
                "label_input='word_vecs' needs word vectors: pass word_vecs to fit() or "
                "to the constructor, or use label_input='auto' or 'onehot'"
            )
        if class_vectors is None or self.label_input == "onehot":
            return np.eye(n_classes), False
        E = np.array(class_vectors, dtype=np.float64)
        if not np.all(np.isfinite(E)):
            raise ValueError("word vectors contain NaN or infinity")
        return self._normalize(E), True

    def _normalize(self, E):
        if self.normalize_word_vecs:
            norms = np.linalg.norm(E, axis=1, keepdims=True)
            E = E / np.where(norms > 0, norms, 1.0)
        return E

    def encode_classes(self, class_vectors) -> np.ndarray:
        """Run the label network on class vectors: their semantic codes as 0/1.

        Parameters
        ----------
        class_vectors : array-like of shape (n_classes_in, d)
            Word vectors (the kind given to :meth:`fit`, e.g. of unseen classes), or
            in one-hot mode rows of the ``(n_classes, n_classes)`` label indicator.

        Returns
        -------
        codes : ndarray of shape (n_classes_in, bits), dtype uint8
            Bit ``j`` is 1 where the label network's output ``j`` is ``>= 0``. For
            the seen classes' own vectors these are close to ``class_codes_`` (equal
            where the label network fits them exactly).
        """
        check_is_fitted(self)
        E = check_array(class_vectors, dtype=np.float64, input_name="class_vectors")
        d = self.label_inputs_.shape[1]
        if E.shape[1] != d:
            kind = "word vectors" if self.uses_word_vecs_ else "one-hot label rows"
            raise ValueError(
                f"class_vectors has {E.shape[1]} columns; the label network was fitted "
                f"on {d}-dimensional {kind}"
            )
        if self.uses_word_vecs_:
            E = self._normalize(E)
        return (E @ self.label_weights_ >= 0).astype(np.uint8)

    # -- the fit --------------------------------------------------------------------------
    def _objective(self, U, V, Z, Y, E, W, P, r):
        n = U.shape[0]
        YtV, YtU = Y.T @ V, Y.T @ U
        # tr(V^T S U) with S = 2 Y Y^T - 1 1^T
        vsu = 2.0 * np.sum(YtV * YtU) - float(V.sum(axis=0) @ U.sum(axis=0))
        pairwise = (np.sum((U.T @ U) * (V.T @ V)) - 2.0 * r * vsu + (r * n) ** 2) / n
        return float(
            pairwise
            + self.gamma * np.sum((V - U) ** 2)
            + self.mu * np.sum((V - Y @ Z) ** 2)
            + np.sum((Z - E @ W) ** 2)
            + self.lam * np.sum(W**2)
            + self.epsilon * np.sum(P**2)
        )

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        E, uses_word_vecs = self._label_inputs(class_vectors)
        n, r, c = X.shape[0], self.bits, self.classes_.shape[0]
        Y = sp.csr_matrix((np.ones(n), (np.arange(n), y)), shape=(n, c))

        anchors, bandwidth, Phi = fit_anchor_map(X, self.n_anchors, rng)
        # P-step: eigendecomposition of Phi^T Phi, once.
        phi_eigvals, phi_eigvecs = np.linalg.eigh(gram(Phi))
        phi_eigvals = np.maximum(phi_eigvals, 0.0)

        def s_times(A):
            """S @ A for S = 2 Y Y^T - 1 1^T, in O(n * A.shape[1])."""
            return 2.0 * (Y @ (Y.T @ A)) - A.sum(axis=0)[None, :]

        def p_step(V):
            b_eigvals, b_eigvecs = np.linalg.eigh(V.T @ V / n + self.gamma * np.eye(r))
            rhs = Phi.T @ ((r / n) * s_times(V) + self.gamma * V)
            rotated = phi_eigvecs.T @ rhs @ b_eigvecs
            rotated /= np.outer(phi_eigvals, b_eigvals) + self.epsilon
            return phi_eigvecs @ rotated @ b_eigvecs.T

        label_system = E.T @ E + self.lam * np.eye(E.shape[1])

        def w_step(Z):
            return np.linalg.solve(label_system, E.T @ Z)

        # Start as ADSH does, from random database codes; then the class codes (with
        # the label network's output still zero), the label network and the query
        # function follow from them by their exact steps.
        V = _sign(rng.standard_normal((n, r)))
        Z = _sign(self.mu * (Y.T @ V))
        W = w_step(Z)
        P = p_step(V)
        U = Phi @ P

        objective = []
        for _ in range(self.max_iter):
            Q = (r / n) * s_times(U) + self.gamma * U + self.mu * np.asarray(Y @ Z)
            V = np.ascontiguousarray(
                dcc_update(V, Q, U.T / np.sqrt(n), n_sweeps=self.n_sweeps)
            )
            Z = _sign(self.mu * (Y.T @ V) + E @ W)
            W = w_step(Z)
            P = p_step(V)
            U = Phi @ P
            objective.append(self._objective(U, V, Z, Y, E, W, P, r))
            if len(objective) > 1 and objective[-2] - objective[-1] <= self.tol * abs(
                objective[-2]
            ):
                break

        self.anchors_ = anchors
        self.bandwidth_ = bandwidth
        self.projection_ = P
        self.database_codes_ = (V > 0).astype(np.uint8)
        self.class_codes_ = (Z > 0).astype(np.uint8)
        self.label_weights_ = W
        self.label_inputs_ = E
        self.uses_word_vecs_ = uses_word_vecs
        self.n_iter_ = len(objective)
        self.objective_ = np.asarray(objective)

    def _project(self, X):
        return project_rbf(X, self.anchors_, self.bandwidth_, self.projection_)
