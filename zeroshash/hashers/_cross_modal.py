"""Cross-modal zero-shot hashing after ZSIH (Shen, Liu, Shen & Shao, CVPR 2018)."""

from __future__ import annotations

from numbers import Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._alternating import SemanticKernelHasher
from .._docstrings import fill_doc, query_side
from .._kernel_map import bandwidth_from_sq_distances, fit_anchor_map, project_rbf
from .._principal import principal_directions
from .._solvers import (
    RidgeOnFeatures,
    dcc_update,
    label_groups,
    label_weights,
    ridge,
    sample_targets,
    sign,
)
from ..base import NONNEGATIVE, POSITIVE, POSITIVE_INT, BaseHasher

__all__ = ["CrossModalHasher"]


def _heat_kernel_graph(C: np.ndarray, bandwidth: float | None) -> tuple[np.ndarray, float]:
    """Class graph ``K[a, b] = exp(-||c_a - c_b||^2 / t)`` (self-loops 1) and its ``t``.

    ``t=None``: the mean squared distance between distinct classes' vectors (1.0 with
    a single class or coinciding vectors).
    """
    sq = np.sum(C**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * C @ C.T, 0.0)
    np.fill_diagonal(d2, 0.0)
    if bandwidth is None:
        n = C.shape[0]
        bandwidth = bandwidth_from_sq_distances(d2[~np.eye(n, dtype=bool)][None, :])
    return np.exp(-d2 / bandwidth), float(bandwidth)


def _reduced_with_bias(X: np.ndarray, n_components: int) -> tuple:
    """PCA projections scaled to unit mean squared norm, with a trailing 1 (for the fusion)."""
    mean, components = principal_directions(X, n_components)
    Z = (np.asarray(X, dtype=np.float64) - mean) @ components
    scale = float(np.sqrt(np.mean(np.sum(Z**2, axis=1))))
    Z /= scale if scale > 0 else 1.0
    return np.column_stack([Z, np.ones(Z.shape[0])])


@fill_doc
class CrossModalHasher(SemanticKernelHasher):
    r"""Cross-modal zero-shot hashing: two encoders into one Hamming space (after ZSIH).

    Shen, Liu, Shen & Shao, "Zero-Shot Sketch-Image Hashing", CVPR 2018. Queries come
    from one modality (sketches in the paper) and the database from another (images);
    each has its own encoder, both into the same codes. Training uses *paired*
    samples -- row ``i`` of ``X`` (database modality) and of ``X_query`` are one item
    of one class -- and the class word vectors, which the codes must reconstruct so
    that classes never seen in training still land near their semantic neighbours.

    Objective (samples as rows; ``B`` the n x r training codes, ``Y`` the word vector
    of each sample's class, ``Phi_x``/``Phi_q`` RBF-anchor features of each modality,
    ``F`` the fused pair features, ``A_hat`` the normalised class graph):

    .. math::

        \min_{B, W, U, P_x, P_q}\ \|Y - B W\|^2 + \lambda_s \|W\|^2
            + \mu_f \left(\|B - \hat A F U\|^2 + \rho_f \|U\|^2\right)
            + \nu \sum_{m \in \{x, q\}} \left(\|B - \Phi_m P_m\|^2
              + \lambda_h \|P_m\|^2\right)
        \quad \text{s.t. } B \in \{-1, +1\}^{n \times r}

    Every block is solved exactly in turn, so the objective never increases
    (``objective_``): ``B`` by discrete cyclic coordinate descent (one bit column at
    a time, closed form), ``W``, ``U``, ``P_x`` and ``P_q`` by ridge regression. New
    database items are coded by ``sign(Phi_x(x) P_x)`` (:meth:`transform`), queries by
    ``sign(Phi_q(s) P_q)`` (:meth:`transform_query`).

    Paper component -> what it is here:

    ============================  =====================================================
    ZSIH (deep, end to end)       CrossModalHasher (shallow, alternating)
    ============================  =====================================================
    image / sketch encoders       two kernel hash functions ``sign(Phi_m P_m)`` over
    (fc-ReLU-fc-sigmoid nets)     ``n_anchors`` RBF anchors of each modality, fitted by
                                  ridge regression to the codes (the paper's L2 loss
                                  between encoder outputs and fused codes, weight
                                  ``nu``)
    Kronecker fusion layer on     ``F_i = [z_i, 1] (x) [s_i, 1]``: the Kronecker product
    paired inputs (fc-ReLU of     of the pair's PCA-reduced features (``n_components``
    each, then outer product)     each, scaled to unit mean squared norm), the appended
                                  1 making it a bilinear map of *affine* features as
                                  the paper's fc layers are; ``F U`` is then a low-rank
                                  bilinear form of the two modalities
    graph convolution over the    ``A_hat F U`` with ``A_hat = D^-1/2 A D^-1/2`` and
    semantic graph, heat-kernel   ``A_ij = exp(-||c_i - c_j||^2 / t)`` from the class
    weights from word vectors     vectors of samples ``i`` and ``j`` (one linear layer
    (two layers, ReLU between)    instead of two)
    stochastic-neuron codes       discrete ``B`` in {-1, +1}, coupled to the fusion
    ``sign(sigmoid(logits)-eps)``  branch by ``mu ||B - A_hat F U||^2``
    generative decoder            ``W``: ridge regression from codes to class vectors
    ``p(word vector | code)``     (a Gaussian decoder of fixed variance; its mean is
                                  the paper's linear ``dec_mean`` layer)
    weight decay on all weights   the ridges ``semantic_ridge``, ``fusion_ridge``, ``hash_ridge``
    ============================  =====================================================

    A property of the paper's design that the shallow version makes visible: the
    graph's weights depend only on the two samples' *classes*, so every row of
    ``A_hat`` belongs to a class, and ``A_hat F`` -- the graph convolution's output,
    whatever ``F`` is -- is the same for all samples of a class (in the paper, for all
    samples of a class in a batch). The fusion branch therefore produces one code
    target per class: the graph-weighted mix of the classes' mean fused features
    (with a block-diagonal graph, each class's mean cross-modal second moment). It is
    computed here exactly at class level: ``U`` never needs more than a
    ``n_classes x n_classes`` system, and ``n x dim(F)`` is never formed.

    Dropped or changed, and why:

    * The stochastic neurons' entropy term ``q(b|x)`` (a cross-entropy pushing the
      sigmoid towards its samples) has nothing to act on once ``B`` is discrete; the
      released code thresholds at a fixed 0.5, so its codes are deterministic too.
    * The decoder's variance head (``dec_var`` in the released code) enters no loss
      there; it is omitted.
    * Two graph-convolution layers with a ReLU become one linear layer; the nets
      become kernel ridge maps; backpropagation becomes exact block updates. The
      paper's codes *are* the fusion branch's output (``fusion_weight`` infinite); here they are
      tied to it by a finite ``fusion_weight``, so that the encoders' fit also shapes them.
    * The heat kernel's ``t``: the released code uses 0.1 on raw word2vec vectors,
      which makes the graph practically block-diagonal (distinct classes at weight
      about ``exp(-50)``), so no semantic smoothing happens. Here ``t`` defaults to the
      mean squared distance between distinct class vectors, so related classes are
      actually linked; a small ``heat_bandwidth`` reproduces the released behaviour.
    * No sketches: the paper trains on Sketchy / TU-Berlin sketch-photo pairs. With
      the embedded datasets of zeroshash, the query modality is the same images' Sobel
      edge maps through the same CNN (``load_animals(edges=True).edge_data``), a
      stand-in for sketches, not sketches.

    Multi-label ``y`` (a 0/1 indicator matrix): a sample's semantic vector -- the row of
    ``Y`` the codes reconstruct, and what the graph compares -- is the mean of its
    labels' class vectors, so the graph's weights depend on the two samples' label
    *sets*, and everything above that was computed per class is computed per distinct
    label set (the graph's nodes; ``class_graph_`` and ``fusion_logits_`` then have one
    row per set, so memory and the model file grow as the square of the number of
    distinct sets). One label a sample gives the single-label fit, bit for bit.

    Single-modality mode: with ``X_query=None``, ``fit`` uses ``X`` as both modalities
    (both encoders see the same features; the fusion is then the Kronecker square).
    With no word vectors, ``Y`` is the one-hot label matrix (the graph is then uniform
    between distinct classes, and nothing semantic transfers to unseen classes).

    The weights: ``lambda_s`` is ``semantic_ridge``, ``mu_f`` ``fusion_weight``,
    ``rho_f`` ``fusion_ridge``, ``lambda_h`` ``hash_ridge``.

    Notes
    -----
    Defaults follow the released code's loss weights (see ``nu``) and were checked on
    seen classes only; the check is recorded in ``docs/defaults.md``.

    Parameters
    ----------
    bits : int, default=64
        Code length.
    n_anchors : int, default=1000
        RBF anchors of each encoder, drawn from that modality's training rows.
    n_components : int, default=32
        PCA dimensions of each modality in the fusion (capped by the data);
        ``F`` has ``(n_components + 1) ** 2`` dimensions.
    semantic_ridge : float, default=1e-2
        Ridge weight on the decoder ``W``.
    fusion_weight : float, default=1.0
        Weight tying the codes to the fusion branch ``A_hat F U``.
    fusion_ridge : float, default=1.0
        Ridge weight on the fusion weights ``U``.
    nu : float, default=0.05
        Weight tying the codes to each encoder's outputs. The released code weighs
        the encoders' L2 losses 0.05 against 0.25 for the decoder's, with 0/1 codes;
        with +-1 codes that is 0.0125 : 0.25 (raw word2vec targets); unit-length class
        vectors shrink the decoder term by the squared norm (about 4-9), giving ~0.05.
    hash_ridge : float, default=1e-2
        Ridge on each encoder's ``P`` relative to ``nu``.
    heat_bandwidth : float or None, default=None
        ``t`` of the class graph's heat kernel; None: mean squared distance between
        distinct class vectors (between the label sets' mean vectors for multi-label
        ``y``).
    %(normalize_word_vecs)s
    %(max_iter)s
    %(tol)s
    %(word_vecs)s
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the anchors and the initial codes.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors_used, n_features)
        Database-modality anchors.
    bandwidth_ : float
    projection_ : ndarray of shape (n_anchors_used + 1, bits)
        Database encoder ``P_x`` (last row multiplies the bias).
    query_anchors_ : ndarray of shape (n_query_anchors_used, n_query_features)
    query_bandwidth_ : float
    query_projection_ : ndarray of shape (n_query_anchors_used + 1, bits)
        Query encoder ``P_q``.
    semantic_projection_ : ndarray of shape (bits, d)
        ``W``, reconstructing class vectors from codes (the generative decoder).
    fusion_logits_ : ndarray of shape (n_classes, bits)
        The fusion branch's output ``A_hat F U`` for each class (one row per class;
        for multi-label ``y``, one row per distinct label set, in decreasing
        lexicographic order of the rows of ``y``: class order for one-hot rows).
    class_graph_ : ndarray of shape (n_classes, n_classes)
        Heat-kernel weights between classes (self-loops 1); between the distinct label
        sets for multi-label ``y``.
    heat_bandwidth_ : float
    class_vectors_ : ndarray of shape (n_classes, d)
        The class vectors used (normalised if asked), or the identity in one-hot mode.
    %(classes_)s
    %(alternation_attributes)s
    %(n_features_in)s
    n_query_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    ZSHHasher
        Single-modality zero-shot hashing.
    BiBranchHasher
        Class codes from word vectors for one modality.

    References
    ----------
    .. [1] Y. Shen, L. Liu, F. Shen and L. Shao, "Zero-Shot Sketch-Image Hashing", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import CrossModalHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> sketches = X @ np.random.RandomState(1).randn(16, 10)    # a paired second modality
    >>> cmh = CrossModalHasher(bits=16, n_anchors=50, random_state=0)
    >>> cmh = cmh.fit(X, y, word_vecs, X_query=sketches)
    >>> cmh.transform(X[:2]).shape, cmh.transform_query(sketches[:2]).shape
    ((2, 16), (2, 16))
    >>> cmh.encode_query(sketches[:2]).shape
    (2, 2)
    >>> bool(np.all(np.diff(cmh.objective_) <= 0))
    True
    """

    _parameter_constraints: dict = {
        **SemanticKernelHasher._parameter_constraints,
        "n_components": POSITIVE_INT,
        "semantic_ridge": POSITIVE,
        "fusion_weight": NONNEGATIVE,
        "fusion_ridge": POSITIVE,
        "heat_bandwidth": [Interval(Real, 0, None, closed="neither"), None],
    }
    _input_kind = "two_modalities"
    _fitted_attributes = SemanticKernelHasher._fitted_attributes + (
        "query_anchors_", "query_bandwidth_", "query_projection_", "n_query_features_in_",
        "semantic_projection_", "fusion_logits_", "class_graph_", "heat_bandwidth_",
        "class_vectors_",
    )
    _multilabel = True

    def __init__(
        self, bits: int = 64, *,
        n_components: int = 32, fusion_weight: float = 1.0, fusion_ridge: float = 1.0,
        heat_bandwidth: float | None = None,
        n_anchors: int = 1000, nu: float = 0.05, hash_ridge: float = 1e-2,
        semantic_ridge: float = 1e-2, normalize_word_vecs: bool = True,
        max_iter: int = 10, tol: float = 1e-5, word_vecs=None, n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    # -- fitting --------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, word_vecs=None, *, X_query=None):
        """Learn both encoders from paired training samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Database-modality training features (images of *seen* classes).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, shared by the two rows of each pair; or a 0/1 indicator
            matrix of several labels per pair (multi-label, see the class docstring).
        word_vecs : array-like, dict, KeyedVectors or callable, default=None
            Semantic class vectors (see :meth:`BaseHasher.fit`); None (and none given
            to the constructor) means one-hot labels.
        X_query : array-like of shape (n_samples, n_query_features), default=None
            Query-modality features, row ``i`` paired with row ``i`` of ``X``. None
            uses ``X`` itself (single-modality mode: both encoders see ``X``).

        Returns
        -------
        self : object
            The fitted hasher.
        """
        return self._fit_checked(X, y, word_vecs, X_query=X_query)

    def _fit(self, X, y, class_vectors, X_query=None):
        if X_query is None:
            S = X
        else:
            S = check_array(X_query, dtype=[np.float64, np.float32], input_name="X_query")
            if S.shape[0] != X.shape[0]:
                raise ValueError(
                    f"X_query must hold one row per row of X (paired samples); got "
                    f"{X.shape[0]} rows in X and {S.shape[0]} rows in X_query"
                )
        self._fit_pairs(X, S, y, class_vectors)

    def _fusion_gram(self, X, S, y, graph):
        """Class-level graph-convolved fused features: their Gram (c x c) and class counts.

        ``y`` indexes the rows of ``graph``: the classes, or for multi-label y the
        distinct label sets (the graph's nodes then).

        Row ``i`` of ``A_hat F`` is ``d_a^-1/2 sum_b K[a, b] d_b^-1/2 sum_{j in b} F_j``
        for ``a = y_i``, with ``d_a = sum_b K[a, b] n_b``; the per-class sum of
        Kronecker products ``sum_j [z_j, 1] (x) [s_j, 1]`` is the flattened class
        cross-moment matrix ``Z_b^T S_b``.
        """
        n_classes = graph.shape[0]
        k = max(1, min(self.n_components, X.shape[0] - 1))
        Zx = _reduced_with_bias(X, min(k, X.shape[1]))
        Zs = Zx if S is X else _reduced_with_bias(S, min(k, S.shape[1]))
        counts = np.bincount(y, minlength=n_classes).astype(np.float64)
        sums = np.stack([(Zx[y == a].T @ Zs[y == a]).ravel() for a in range(n_classes)])
        degree = graph @ counts
        scale = 1.0 / np.sqrt(degree)
        G = scale[:, None] * (graph @ (scale[:, None] * sums))
        return G @ G.T, counts

    def _fit_pairs(self, X, S, y, class_vectors):
        rng = check_random_state(self.random_state)
        C = self._class_targets(class_vectors)
        # The graph's nodes: the classes, or the distinct label sets of a multi-label y
        # (a sample's semantic vector is then the mean of its labels' class vectors).
        group, sets = label_groups(y)
        nodes = C if sets is None else label_weights(sets, C.shape[0]) @ C
        graph, t = _heat_kernel_graph(nodes, self.heat_bandwidth)
        Y = sample_targets(y, C)
        n, r = X.shape[0], self.bits
        if sets is None:
            onehot = np.eye(self.classes_.shape[0])[y]
        else:
            onehot = sp.csr_array((np.ones(n), (np.arange(n), group)), shape=(n, len(sets)))

        # One kernel encoder per modality: its training features and its P-step.
        Phi_x = self._fit_anchors(X, rng)
        self.query_anchors_, self.query_bandwidth_, Phi_q, _ = fit_anchor_map(
            S, self.n_anchors, rng
        )
        encoders = [(Phi, RidgeOnFeatures(Phi, self.hash_ridge)) for Phi in (Phi_x, Phi_q)]
        fusion_gram, counts = self._fusion_gram(X, S, group, graph)
        # U-step, ridge at class level (push-through identity):
        # U = G^T (N G G^T + rho I)^-1 (E^T B), so G U = K_F alpha and ||U||^2 =
        # tr(alpha^T K_F alpha) with alpha = (N K_F + rho I)^-1 (E^T B).
        fusion_system = counts[:, None] * fusion_gram
        fusion_system[np.diag_indices_from(fusion_system)] += self.fusion_ridge

        def fit_continuous(s):
            """W, the fusion branch and both encoders, each exact given B."""
            s.W = ridge(s.B, Y, self.semantic_ridge)
            alpha = np.linalg.solve(fusion_system, onehot.T @ s.B)
            s.logits = fusion_gram @ alpha
            s.u_norm = float(np.sum(alpha * (fusion_gram @ alpha)))
            s.P = [p_step.solve(s.B) for _, p_step in encoders]

        s = SimpleNamespace(B=sign(rng.standard_normal((n, r))))
        fit_continuous(s)

        def step():
            outputs = [Phi @ P for (Phi, _), P in zip(encoders, s.P)]
            Q = (Y @ s.W.T + self.fusion_weight * s.logits[group]
                 + self.nu * (outputs[0] + outputs[1]))
            s.B = dcc_update(s.B, Q, s.W)
            fit_continuous(s)
            outputs = [Phi @ P for (Phi, _), P in zip(encoders, s.P)]
            return (
                np.sum((Y - s.B @ s.W) ** 2)
                + self.semantic_ridge * np.sum(s.W**2)
                + self.fusion_weight
                * (np.sum((s.B - s.logits[group]) ** 2) + self.fusion_ridge * s.u_norm)
                + self.nu * sum(
                    np.sum((s.B - out) ** 2) + self.hash_ridge * np.sum(P**2)
                    for out, P in zip(outputs, s.P)
                )
            )

        self._alternate(step)
        self.projection_, self.query_projection_ = s.P
        self.n_query_features_in_ = S.shape[1]
        self.semantic_projection_ = s.W
        self.fusion_logits_ = s.logits
        self.class_graph_ = graph
        self.heat_bandwidth_ = t
        self.class_vectors_ = C

    # -- encoding -------------------------------------------------------------------------
    def _validate_query(self, X) -> np.ndarray:
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_query_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_query_features_in_} query-modality features as input"
            )
        return X

    def _project_query(self, X) -> np.ndarray:
        return project_rbf(X, self.query_anchors_, self.query_bandwidth_, self.query_projection_)

    def _query_in_chunks(self, X, output: str) -> np.ndarray:
        """The query side through the base's block-by-block encoding."""
        check_is_fitted(self, ["query_projection_", "n_query_features_in_"])
        return self._in_chunks(
            X, output, validate=self._validate_query, project=self._project_query,
            row_width=self._row_width(self.n_query_features_in_, self.query_anchors_),
        )

    def decision_function_query(self, X) -> np.ndarray:
        return self._query_in_chunks(X, "projections")

    def transform_query(self, X) -> np.ndarray:
        return self._query_in_chunks(X, "bits")

    def encode_query(self, X) -> np.ndarray:
        return self._query_in_chunks(X, "packed")

    decision_function_query.__doc__ = query_side(BaseHasher.decision_function)
    transform_query.__doc__ = query_side(BaseHasher.transform)
    encode_query.__doc__ = query_side(BaseHasher.encode)
