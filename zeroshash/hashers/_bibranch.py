"""Visual-semantic bi-branch hashing (after VSB²-Net, Li et al., ICPR 2020), shallow form."""

from __future__ import annotations

from numbers import Real
from types import SimpleNamespace

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from .._alternating import SemanticKernelHasher
from .._docstrings import fill_doc
from .._solvers import (
    RidgeOnFeatures,
    class_code_sweeps,
    class_similarity_targets,
    dcc_update,
    label_indicator,
    label_weights,
    ridge,
    sample_targets,
    sign,
)
from ..base import NONNEGATIVE, POSITIVE, POSITIVE_INT

__all__ = ["BiBranchHasher"]


@fill_doc
class BiBranchHasher(SemanticKernelHasher):
    r"""Visual-semantic bi-branch hashing: class codes from word vectors, image codes from features.

    A shallow, alternating-optimisation rendering of the idea of VSB²-Net (Li, Wang,
    Jin, Zhang, Wang & Zha, "VSB²-Net: Visual-Semantic Bi-Branch Network for
    Zero-Shot Hashing", ICPR 2020). Instead of embedding the Hamming space into the
    semantic space (as :class:`~zeroshash.ZSHHasher` does), both the class vectors and
    the images are embedded *into the same Hamming space*: every seen class gets a
    binary code, the pairwise similarities of those class codes reconstruct the
    semantic similarities of the class vectors (pushing dissimilar classes apart),
    a *semantic branch* maps class vectors to class codes, and a *visual branch* (a
    kernel hash function) maps image features to the codes of their classes. Two
    auxiliary tasks regularise the image codes: they must predict the seen labels
    (classification) and linearly reconstruct the features (visual reconstruction).

    With samples as rows, ``B`` (n x r) the training images' codes, ``C`` (k x r)
    the seen classes' codes, ``Y`` (n x k) one-hot labels, ``V`` (k x d) the class
    vectors (unit length), ``Phi`` (n x (m+1)) RBF-anchor features plus a bias,
    ``Xc`` the centred features scaled so their rows have mean squared norm ``r``
    (the codes' squared norm), ``n_c = n / k`` the mean class size:

    .. math::

        \min_{B, C, P, U, G, D}\
            & \nu (\|B - \Phi P\|^2 + \epsilon \|P\|^2)
              + \eta \|B - Y C\|^2 \\
            & + \lambda (\|Y - B G\|^2 + \rho \|G\|^2)
              + \mu (\|X_c - B D\|^2 + \rho \|D\|^2) \\
            & + n_c\, \alpha\, r\, \|T - C C^T / r\|^2
              + n_c\, \beta (\|C - V U\|^2 + \rho \|U\|^2)
        \quad \text{s.t. } B \in \{-1, 1\}^{n \times r},\ C \in \{-1, 1\}^{k \times r}

    ``T`` is the target similarity of class codes: 1 on the diagonal and, between
    classes ``a != b``, the cosine similarity of their vectors lowered by a
    ``margin`` (clipped to [-1, 1]). The class-level terms are weighted by the mean
    class size ``n_c`` so their balance with the per-image terms does not depend on
    how many images each class has. Each block is solved exactly in turn, so the
    objective never increases (``objective_``): ``B`` by discrete cyclic coordinate
    descent (one bit column at a time, closed form, as in SDH); ``C`` by exact
    single-entry discrete coordinate descent (the quartic similarity term's change
    under one flip is closed form); ``P``, ``G``, ``D`` and ``U`` by ridge regression.
    Codes start from the class vectors' random-hyperplane signs, ``C = sign(V W)``,
    ``B = Y C``.

    Paper component -> here:

    ============================================  ============================================
    VSB²-Net (deep network)                       BiBranchHasher (shallow)
    ============================================  ============================================
    semantic branch (MLP on word vectors)         linear ridge map ``C ~ V U``;
                                                  :meth:`encode_classes` gives ``sign(V U)``
    semantic Hamming vectors                      discrete class codes ``C`` (``class_codes_``)
    reconstructive semantic relationships          ``||T - C C^T / r||^2`` with ``T`` the
    (local similarity preserved)                  word-vector cosine similarities
    enlarged discrepancy between class codes      the ``margin`` subtracted from ``T`` off
                                                  the diagonal (default: the mean seen-class
                                                  cosine similarity if positive, so class
                                                  codes are on average at least as far
                                                  apart as random codes)
    visual branch (CNN + hash layer)              kernel hash function ``sign(Phi P)`` over
                                                  RBF anchors on fixed CNN features
    visual and semantic codes in one space        ``||B - Y C||^2`` ties each image's code to
                                                  its class code
    classification module                         ``||Y - B G||^2`` (linear classifier on codes)
    visual feature reconstruction module          ``||Xc - B D||^2`` (linear decoder on codes)
    relaxed codes (tanh) + end-to-end SGD         discrete codes, exact block updates
    ============================================  ============================================

    Dropped or changed, and why: no network is trained (this package hashes fixed
    features; the kernel map is the nonlinear visual branch, as in SDH and ZSH, and
    the semantic branch is linear because a handful of seen classes cannot support
    more); the paper's exact loss forms, weights and any tanh/sigmoid relaxation
    could not be checked (only its abstract was available to us), so the squared
    losses above are our choice, made so each block has an exact update; the
    "push apart" is expressed through the similarity targets rather than a separate
    margin loss. Only the visual branch encodes images (``transform``); the semantic
    branch gives class codes (:meth:`encode_classes`), e.g. for unseen classes from
    their word vectors.

    Multi-label ``y`` (a 0/1 indicator matrix): ``Y`` in the classification term is that
    indicator (the codes predict every label), and the tie becomes
    ``sum_i sum_{c in labels(i)} ||b_i - c_c||^2 / |labels(i)|``: each image's code is
    pulled towards each of its labels' class codes with weight ``1 / |labels|`` (so
    the B-step pulls it to their mean, and the C-step stays exact: it is linear in
    ``C``). Codes start from ``B = sign`` of that mean (``sign(0) = +1``). ``n_c``
    stays ``n / k``, the tie's weights summing to ``n``. One label a sample gives the
    single-label fit, bit for bit.

    With no word vectors, ``V`` is the one-hot label matrix: ``T`` is then the
    identity (shifted by ``margin``), nothing semantic transfers to unseen classes,
    and :meth:`encode_classes` accepts only one-hot rows over the seen classes.

    Notes
    -----
    Defaults were set by reasoning and checked on seen classes only; the check is
    recorded in ``docs/defaults.md``.

    Parameters
    ----------
    bits : int, default=64
        Code length ``r``.
    %(n_anchors)s
    similarity_weight : float, default=1.0
        Weight of the semantic-similarity reconstruction of the class codes.
    class_encoder_weight : float, default=1.0
        Weight of the semantic branch ``||C - V U||^2``.
    class_code_weight : float, default=1.0
        Weight tying each image's code to its class code.
    classification_weight : float, default=1.0
        Weight of the classification term.
    reconstruction_weight : float, default=1.0
        Weight of the visual reconstruction term.
    %(nu)s
    %(hash_ridge)s
    semantic_ridge : float, default=1.0
        Ridge ``rho`` on the classifier ``G``, the decoder ``D`` and the semantic map ``U``.
    margin : float or "auto", default="auto"
        Amount subtracted from the off-diagonal similarity targets. "auto" uses the
        mean cosine similarity between distinct seen classes, or 0 where that mean is
        negative (0 for one-hot vectors).
    %(normalize_word_vecs)s
    %(max_iter)s
    %(n_sweeps)s
    %(tol)s
    %(word_vecs)s
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the anchors and the initial class codes.

    Attributes
    ----------
    %(kernel_attributes)s
    projection_ : ndarray of shape (n_anchors_used + 1, bits)
        The visual branch ``P`` (last row multiplies the bias).
    class_encoder_ : ndarray of shape (d, bits)
        The semantic branch ``U``, mapping class vectors to class codes.
    class_codes_ : ndarray of shape (n_classes, bits), dtype uint8
        The seen classes' codes ``C`` as 0/1 (1 for +1), ordered like ``classes_``.
    class_vectors_ : ndarray of shape (n_classes, d)
        The class vectors used (normalised if asked), or the identity in one-hot mode.
    similarity_targets_ : ndarray of shape (n_classes, n_classes)
        ``T``.
    margin_ : float
        The margin used.
    classifier_ : ndarray of shape (bits, n_classes)
        ``G``.
    decoder_ : ndarray of shape (bits, n_features)
        ``D`` (reconstructs the centred, scaled features).
    %(classes_)s
    %(alternation_attributes)s
    %(n_features_in)s

    See Also
    --------
    ZSHHasher
        Codes mapped into the semantic space instead.
    AsymmetricHasher
        Class codes from a label network, then free database codes.

    References
    ----------
    .. [1] Z. Li, X. Wang, H. Jin, Z. Zhang, J. Wang and H. Zha, "VSB2-Net: Visual-Semantic
       Bi-Branch Network for Zero-Shot Hashing", ICPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import BiBranchHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> seen = y < 4                          # class 4 is unseen in training
    >>> h = BiBranchHasher(bits=16, n_anchors=50, random_state=0)
    >>> h = h.fit(X[seen], y[seen], word_vecs[:4])
    >>> h.transform(X[:2]).shape, h.class_codes_.shape
    ((2, 16), (4, 16))
    >>> h.encode_classes(word_vecs[4:]).shape        # the unseen class's code
    (1, 16)
    >>> bool(np.all(np.diff(h.objective_) <= 0))
    True
    """

    _parameter_constraints: dict = {
        **SemanticKernelHasher._parameter_constraints,
        **dict.fromkeys(
            ["similarity_weight", "class_encoder_weight", "class_code_weight",
             "classification_weight", "reconstruction_weight"],
            NONNEGATIVE,
        ),
        "semantic_ridge": POSITIVE,
        "margin": [Interval(Real, 0, 2, closed="both"), StrOptions({"auto"})],
        "n_sweeps": POSITIVE_INT,
    }
    _fitted_attributes = SemanticKernelHasher._fitted_attributes + (
        "class_encoder_", "class_codes_", "class_vectors_", "similarity_targets_", "margin_",
        "classifier_", "decoder_",
    )
    _multilabel = True

    def __init__(
        self, bits: int = 64, *,
        similarity_weight: float = 1.0, class_encoder_weight: float = 1.0,
        class_code_weight: float = 1.0, classification_weight: float = 1.0,
        reconstruction_weight: float = 1.0,
        n_anchors: int = 1000, nu: float = 1e-2, hash_ridge: float = 1e-2,
        semantic_ridge: float = 1.0, margin="auto", normalize_word_vecs: bool = True,
        max_iter: int = 10, n_sweeps: int = 5, tol: float = 1e-5,
        word_vecs=None, n_jobs: int | None = None, random_state=None,
    ):
        self._store_params(locals())

    # -- the fit ------------------------------------------------------------------------
    @staticmethod
    def _class_tie(B, C, y):
        """``sum_i sum_{c in labels(i)} ||b_i - c_c||^2 / |labels(i)|`` (``||B - Y C||^2``)."""
        if y.ndim == 1:
            return np.sum((B - C[y]) ** 2)
        weights = label_weights(y, C.shape[0])
        return float(
            np.sum(B**2) - 2.0 * np.sum(B * (weights @ C))
            + weights.sum(axis=0) @ np.sum(C**2, axis=1)
        )

    def _objective(self, s):
        r = s.B.shape[1]
        B, C = s.B, s.C
        return float(
            self.nu * (np.sum((B - s.PhiP) ** 2) + self.hash_ridge * np.sum(s.P**2))
            + self.class_code_weight * self._class_tie(B, C, s.y)
            + self.classification_weight
            * (np.sum((s.Y - B @ s.G) ** 2) + self.semantic_ridge * np.sum(s.G**2))
            + self.reconstruction_weight
            * (np.sum((s.Xc - B @ s.D) ** 2) + self.semantic_ridge * np.sum(s.D**2))
            + s.n_c * self.similarity_weight * r * np.sum((s.T - C @ C.T / r) ** 2)
            + s.n_c * self.class_encoder_weight
            * (np.sum((C - s.V @ s.U) ** 2) + self.semantic_ridge * np.sum(s.U**2))
        )

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        k = self.classes_.shape[0]
        n, r = X.shape[0], self.bits
        V = self._class_targets(class_vectors)
        T, margin = class_similarity_targets(V, self.margin)
        Y = label_indicator(y, k)

        # Visual reconstruction target: centred, rows of mean squared norm r.
        Xc = np.asarray(X, dtype=np.float64) - X.mean(axis=0, dtype=np.float64)
        scale = np.sqrt(np.sum(Xc**2) / (n * r))
        Xc /= scale if scale > 0 else 1.0

        Phi = self._fit_anchors(X, rng)
        p_step = RidgeOnFeatures(Phi, self.hash_ridge)

        # Initial class codes: random hyperplanes on the class vectors (semantics kept).
        C = sign(V @ rng.standard_normal((V.shape[1], r)))
        s = SimpleNamespace(y=y, Y=Y, V=V, T=T, Xc=Xc, n_c=n / k, B=sign(sample_targets(y, C)),
                            C=C)

        def continuous_steps():
            """Exact ridge updates of P, G, D (given B) and U (given C)."""
            s.P = p_step.solve(s.B)
            s.PhiP = Phi @ s.P
            s.G = ridge(s.B, s.Y, self.semantic_ridge)
            s.D = ridge(s.B, s.Xc, self.semantic_ridge)
            s.U = ridge(s.V, s.C, self.semantic_ridge)

        def step():
            # B-step: ||B [sqrt(w_cls) G, sqrt(w_rec) D]||^2 - 2 tr(B^T Q), exact DCC.
            Q = (
                self.nu * s.PhiP
                + self.class_code_weight * sample_targets(y, s.C)
                + self.classification_weight * Y @ s.G.T
                + self.reconstruction_weight * Xc @ s.D.T
            )
            W = np.hstack([np.sqrt(self.classification_weight) * s.G,
                           np.sqrt(self.reconstruction_weight) * s.D])
            s.B = dcc_update(s.B, Q, W, n_sweeps=self.n_sweeps)
            # C-step: ||B - Y C||^2 = const - 2 tr(C^T Y^T B) (rows of C have norm^2 r),
            # and likewise for ||C - V U||^2, so both enter through M.
            if y.ndim == 1:
                class_sums = np.zeros((k, r))
                np.add.at(class_sums, y, s.B)
            else:  # each label's codes, weighted 1 / |labels| (the tie's weights)
                class_sums = label_weights(y, k).T @ s.B
            M = self.class_code_weight * class_sums + s.n_c * self.class_encoder_weight * (
                V @ s.U
            )
            s.C = class_code_sweeps(s.C, T, M, s.n_c * self.similarity_weight * r, self.n_sweeps)
            continuous_steps()
            return self._objective(s)

        continuous_steps()
        self._alternate(step)
        self.projection_ = s.P
        self.class_encoder_ = s.U
        self.class_codes_ = (s.C >= 0).astype(np.uint8)
        self.class_vectors_ = V
        self.similarity_targets_ = T
        self.margin_ = margin
        self.classifier_ = s.G
        self.decoder_ = s.D

    # -- the semantic branch ---------------------------------------------------------------
    def encode_classes(self, class_vectors) -> np.ndarray:
        """Codes of classes from their vectors, through the semantic branch.

        Parameters
        ----------
        class_vectors : array-like of shape (n_classes_new, d)
            One vector per class, in the space of the vectors given to :meth:`fit`
            (e.g. word vectors of *unseen* class names); normalised as in training.
            In one-hot mode (fitted without word vectors), ``d`` is the number of seen
            classes and only rows of the identity are meaningful.

        Returns
        -------
        codes : ndarray of shape (n_classes_new, bits), dtype uint8
            Bit ``j`` is 1 where ``(V U)[:, j] >= 0``; comparable with
            :meth:`transform`'s image codes by Hamming distance.
        """
        check_is_fitted(self)
        V = check_array(class_vectors, dtype=np.float64)
        d = self.class_vectors_.shape[1]
        if V.shape[1] != d:
            raise ValueError(
                f"class_vectors has {V.shape[1]} features, but {type(self).__name__} "
                f"was fitted with class vectors of {d} features"
            )
        return (self._scaled_class_vectors(V) @ self.class_encoder_ >= 0).astype(np.uint8)
