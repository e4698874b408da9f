"""Double-bit quantised ITQ, with an optional within-class whitening learned on seen classes."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from .._docstrings import fill_doc
from .._principal import centred_product, fixed_signs, principal_directions
from .._solvers import itq_rotation, label_weights
from ..base import POSITIVE_INT, BaseHasher
from ..preprocessing import power_normalize
from ..semantics import class_embeddings

__all__ = ["DoubleBitHasher"]


#: ``normalize`` values and the power each applies before the L2 norm.
NORMALIZE_POWER = {"l2": 1.0, "power": 0.5}


def within_class_residuals(Z: np.ndarray, y: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """Rows whose scatter ``R^T R / n_labelled`` is the within-class scatter of ``Z``.

    Single-label ``y``: each labelled row minus its class mean. A multi-label ``y`` (the
    (n, k) 0/1 indicator) counts each sample in each of its classes with weight
    ``1 / |labels|``, class means weighted alike -- the "copy-weight" transformation of
    multi-label learning (Tsoumakas, Katakis & Vlahavas, "Mining Multi-label Data",
    2010), under which every sample weighs 1 in total -- so a sample contributes one row
    ``sqrt(w) (z - mean_c)`` per class it carries.
    """
    return np.concatenate([c if w is None else c * np.sqrt(w)[:, None]
                           for c, w in _class_residual_blocks(Z, y, labelled)])


def _class_residual_blocks(Z, y, labelled):
    """Per class, its labelled rows minus the class mean, and their weights (or None)."""
    if y.ndim == 2:
        weights = label_weights(y[labelled], y.shape[1])
        for label in range(weights.shape[1]):
            w = weights[:, label]
            member = Z[labelled][w > 0]
            w = w[w > 0]
            yield member - np.average(member, axis=0, weights=w), w
    else:
        for label in np.unique(y[labelled]):
            member = Z[labelled & (y == label)]
            yield member - member.mean(axis=0), None


def ledoit_wolf_reg(Z: np.ndarray, residuals: np.ndarray, n_labelled: int) -> float:
    """``within_class_reg="auto"``: the ridge of the Ledoit-Wolf shrunk within-class scatter.

    Ledoit & Wolf's intensity ``delta`` shrinks the within-class covariance towards
    ``mu I`` (``mu`` its mean eigenvalue); ``delta`` falls as training images grow in
    number. The generalised eigenvectors against ``(1 - delta) S_w + delta mu I`` are
    those against ``S_w + delta / (1 - delta) mu I``; the ridge is returned in the unit
    of ``within_class_reg``, a fraction of the mean total variance of ``Z``.
    """
    delta = float(ledoit_wolf_shrinkage(residuals, assume_centered=True))
    mu_within = np.einsum("ij,ij->", residuals, residuals) / n_labelled / Z.shape[1]
    mu_total = np.einsum("ij,ij->", Z, Z) / Z.shape[0] / Z.shape[1]
    if delta >= 1.0 or mu_total <= 0:
        return float("inf")
    return delta / (1.0 - delta) * mu_within / mu_total


def within_class_directions(Z: np.ndarray, y: np.ndarray, n_directions: int, reg: float,
                            labelled: np.ndarray | None = None):
    """Top generalised eigenvectors of (total scatter, within-class scatter + ridge).

    ``Z`` is centred. Directions where the classes' own spread is small next to the
    data's total spread come first; ``reg`` (a fraction of the mean total variance)
    keeps directions with little within-class spread from being chosen for that alone.
    The eigenvectors keep their natural scale, ``v^T (S_w + ridge) v = 1``, so the
    variance of ``Z`` along ``v`` is its eigenvalue: directions that separate more
    keep more spread, as principal directions do. (Rescaling them all to unit
    variance instead measured far worse on unseen classes: whitening amplifies the
    weak directions.) Signs are fixed as in ``principal_directions``.
    With ``labelled`` (a mask), the total scatter uses every row and the within-class
    scatter the labelled rows only; a multi-label ``y`` is weighted as in
    :func:`within_class_residuals`. ``reg="auto"`` takes :func:`ledoit_wolf_reg`.

    Returns the directions (p, n_directions) and the ridge used, in ``reg``'s unit.
    """
    n, p = Z.shape
    total = Z.T @ Z / n
    if not np.trace(total) > 0:
        raise ValueError("the training rows are all identical (after preprocessing): there "
                         "is no variance to take directions from")
    if labelled is None:
        labelled = np.ones(n, dtype=bool)
    n_labelled = np.count_nonzero(labelled)
    within = np.zeros_like(total)
    # Summed class by class (the product of all residuals at once differs in rounding,
    # which ITQ's rotation then amplifies into different codes).
    for centred, w in _class_residual_blocks(Z, y, labelled):
        within += (centred if w is None else centred * w[:, None]).T @ centred
    within /= n_labelled
    if reg == "auto":
        reg = ledoit_wolf_reg(Z, within_class_residuals(Z, y, labelled), n_labelled)
    if np.isinf(reg):  # a fully shrunk scatter: the principal directions
        _, vectors = eigh(total)
    else:
        _, vectors = eigh(total, within + reg * np.trace(total) / p * np.eye(p))
    return fixed_signs(vectors[:, ::-1][:, :n_directions]), float(reg)


def semantic_directions(Z: np.ndarray, targets: np.ndarray, class_vectors: np.ndarray,
                        n_directions: int, ridge: float) -> np.ndarray:
    """Directions of ``Z`` that predict where classes differ in the word-vector space.

    A ridge regression ``M`` maps the centred features ``Z`` (its labelled rows) to
    ``targets``, each row its class's word vector minus the mean of ``class_vectors``
    (the vectors of every class known at fit time, unseen class names included when
    given). The class vectors' own principal axes ``A`` -- the directions along which
    the known classes differ semantically -- are pulled back through ``M``: the
    directions are the columns of ``M A``, the image projections that estimate an
    image's coordinates along those axes. ``ridge`` is a fraction of the mean variance
    of ``Z``.
    """
    n, p = Z.shape
    gram = Z.T @ Z / n + ridge * np.trace(Z.T @ Z / n) / p * np.eye(p)
    M = np.linalg.solve(gram, Z.T @ targets / n)
    centred = class_vectors - class_vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return fixed_signs(M @ axes[:n_directions].T)


@fill_doc
class DoubleBitHasher(BaseHasher):
    r"""ITQ projections quantised with two bits per direction (double-bit quantisation).

    zeroshash's recommended hasher for zero-shot retrieval on CNN features. It keeps
    what makes PCA hashing and ITQ transfer to unseen classes -- codes quantise a
    variance-preserving linear projection, so neighbourhoods of *any* class survive --
    and removes what costs them most at a given code length, the sign quantiser:

    0. **Normalisation.** Each row is divided by its L2 norm (``normalize="l2"``), in
       ``fit`` and in every encode, so a feature vector's scale does not move its code.
    1. **Projection.** ``k = ceil(bits / 2)`` directions: by default the top
       generalised eigenvectors of the total scatter against the seen classes'
       within-class scatter (plus a ridge), after PCA to ``n_components`` dimensions;
       with ``within_class_reg=None``, the top principal directions (unsupervised).
       The within-class option suppresses the variation that images of one class
       share (pose, background) -- a class-agnostic nuisance, so suppressing it
       transfers to unseen classes (as within-class whitening does in face
       verification on unseen identities).
    2. **Rotation.** ITQ's orthogonal rotation of the ``k`` projections (Gong &
       Lazebnik, CVPR 2011; the same solver and initial draw as
       :class:`~zeroshash.ITQHasher`), which balances variance across directions.
    3. **Double-bit quantisation** (Kong & Li, "Double-Bit Quantization for Hashing",
       AAAI 2012): each rotated projection ``z`` is cut into three regions by two
       thresholds and coded with two bits, ``z >= t_low`` and ``z >= t_high``, so the
       codes of the three regions are ``00``, ``10``, ``11`` and the Hamming distance
       between two items is the L1 distance between their region indices, summed
       over directions. Unlike the sign, it distinguishes "far apart along a
       direction" from "on either side of its mean", which is what a nearest-neighbour
       ranking needs. With odd ``bits`` the last direction gets one bit at its median.

    Deviation from DBQ: the paper places the thresholds by an adaptive 1-D
    clustering; here they are the terciles of each direction on the training data
    (equally filled regions; how the two compare: ``docs/defaults.md``). Kong & Li
    apply DBQ on top of PCA/ITQ/SH projections in the same way; nothing of this hasher
    is tied to a particular paper's zero-shot method, and by default it does not use
    class word vectors (see ``semantic_share``).

    Transductive option (off by default, ``unlabeled_label``): when the database to
    be indexed is at hand, its images -- unseen classes included -- can join the
    unsupervised statistics (mean, PCA, total scatter, rotation, thresholds) as rows
    marked unlabelled in ``y``; the within-class scatter still comes from labelled
    rows only. Its measured effect, against ITQ fitted on the same database, is in the
    README ("Zero-shot quality") and ``benchmarks/results/bench_zero_shot_2core.txt``
    (rows ``DBQ-T``).

    Multi-label ``y`` (a 0/1 indicator matrix; with ``within_class_reg`` only): the
    within-class scatter counts each sample in each of its classes with weight
    ``1 / |labels|`` (class means weighted alike) -- the "copy-weight" transformation
    of multi-label learning, under which every sample weighs 1 in total; see
    :func:`within_class_directions`. One label a sample gives the single-label fit, bit
    for bit. ``unlabeled_label`` (a label value) does not apply to an indicator.

    Hash lookups: a Hamming radius covers a different neighbourhood than with sign
    codes of the same length -- at 16 bits, radius 1 of these codes returns about as
    many items as radius 2 of ITQ's (``zeroshash.diagnostics.radius_lookup_profile``).

    Selection of the defaults (cross-validation over *seen* classes only, by the rule
    of ``docs/zero_shot_protocol.md``): ``benchmarks/select_zero_shot.py``; results on
    held-out images: ``benchmarks/bench_heldout.py``. The word-vector component
    (``semantic_share``) is off by default because it did not pass that rule.

    Parameters
    ----------
    bits : int, default=64
        Code length; ``ceil(bits / 2)`` directions are used, at most
        ``min(n_samples, n_features)``.
    within_class_reg : float, "auto" or None, default=1.0
        A float > 0: within-class whitened directions learned from the seen labels
        ``y`` (required then), with a ridge of this fraction of the mean total variance;
        smaller values suppress within-class variation more strongly. ``"auto"``: the
        ridge of the Ledoit-Wolf shrunk within-class scatter, which falls as training
        images grow in number (:func:`ledoit_wolf_reg`). None: principal directions
        (unsupervised; ``y`` is ignored unless ``semantic_share > 0``). How the default
        was chosen: ``docs/defaults.md``.
    normalize : {"l2", "power"} or None, default="l2"
        Row preprocessing applied before everything else, in ``fit`` and in every
        encode: ``"l2"`` divides each row by its L2 norm; ``"power"`` takes the signed
        square root first (:func:`zeroshash.preprocessing.power_normalize`). The same
        preprocessing for another hasher: ``make_pipeline(PowerNormalizer(), hasher)``.
    double_bit_share : float in [0, 1], default=1.0
        Share of the bits spent on double-bit directions (rounded down to an even
        count); the other bits are sign bits, one per direction, each at its
        direction's training median. 1.0: ``ceil(bits / 2)`` directions, two bits each
        (one sign bit with odd ``bits``); 0.0: ``bits`` sign bits, as ITQ.
    semantic_share : float in [0, 1), default=0.0
        Share of the directions built from the class word vectors
        (:func:`semantic_directions`): a ridge regression of the images onto their
        classes' word vectors, pulled back along the axes where the known classes'
        vectors differ. Needs ``word_vecs``; at most (known classes - 1) such
        directions. 0 fits without word vectors.
    unseen_classes : array-like of labels or None, default=None
        **Known-names mode** (ZSH's setting): labels of classes absent from ``y`` whose
        word vectors are known at fit time; they join the seen classes in choosing the
        semantic axes. Needs ``semantic_share > 0``; the codes then depend on that list.
    n_components : int, default=256
        PCA dimensions kept before the within-class eigenproblem (capped by the
        data). Unused without ``within_class_reg``.
    max_iter : int, default=50
        ITQ rotation iterations (the ITQ paper's 50).
    unlabeled_label : int, str or None, default=None
        **Transductive mode** (off by default). None: every row of ``X`` is a
        labelled training image (the inductive zero-shot protocol). A label value
        (scikit-learn's semi-supervised convention is ``-1``): rows with that label in
        ``y`` are *unlabelled* -- typically the database items to be indexed, images of
        unseen classes among them. They join the unsupervised statistics (mean, PCA,
        total scatter, ITQ rotation, thresholds) but not the within-class scatter, and
        are not a class (``classes_`` leaves the value out). Using the database this
        way is transductive: the codes then depend on the collection being indexed.
    word_vecs : array-like, dict, KeyedVectors, callable or path, default=None
        Class vectors given at construction (so Pipelines and GridSearchCV can carry
        them); see :meth:`~zeroshash.BaseHasher.fit`. Used with ``semantic_share > 0``
        only, where they are required.
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds ITQ's initial rotation.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_features, n_directions)
        Projection directions before the rotation.
    rotation_ : ndarray of shape (n_directions, n_directions)
    bit_direction_ : ndarray of shape (bits,)
        The rotated direction each bit reads.
    thresholds_ : ndarray of shape (bits,)
        Each bit is 1 where its direction's projection is ``>=`` its threshold.
    quantization_loss_ : ndarray of shape (max_iter,)
        ITQ's ``||B - V R||_F^2`` after each iteration; non-increasing.
    n_iter_ : int
    classes_ : ndarray of shape (n_classes,)
        Only with ``within_class_reg`` or ``semantic_share``.
    within_class_reg_ : float or None
        The ridge used (``within_class_reg``'s unit): the parameter's value, the
        Ledoit-Wolf value for ``"auto"``, None without within-class directions.
    n_semantic_ : int
        Directions built from word vectors (the last ones before the rotation).
    %(n_features_in)s

    See Also
    --------
    ITQHasher
        The rotation DBQ applies, on plain principal directions.
    ZSHHasher
        Zero-shot hashing through class word vectors.

    References
    ----------
    .. [1] W. Kong and W.-J. Li, "Double-Bit Quantization for Hashing", AAAI 2012.
    .. [2] Y. Gong and S. Lazebnik, "Iterative Quantization: A Procrustean Approach to Learning
       Binary Codes", CVPR 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import DoubleBitHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> codes = DoubleBitHasher(bits=8, random_state=0).fit(X, y).transform(X)
    >>> codes.shape
    (200, 8)
    >>> bool(np.any((codes[:, 0::2] == 0) & (codes[:, 1::2] == 1)))  # "01" never occurs
    False
    >>> y_semi = np.where(y < 3, y, -1)   # rows of classes 3, 4 unlabelled (transductive)
    >>> DoubleBitHasher(bits=8, unlabeled_label=-1, random_state=0).fit(X, y_semi).classes_
    array([0, 1, 2])
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "within_class_reg": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"}),
                             None],
        "normalize": [StrOptions(set(NORMALIZE_POWER)), None],
        "double_bit_share": [Interval(Real, 0, 1, closed="both")],
        "semantic_share": [Interval(Real, 0, 1, closed="left")],
        "unseen_classes": ["array-like", None],
        "n_components": POSITIVE_INT,
        "max_iter": POSITIVE_INT,
        "unlabeled_label": [Integral, str, None],
        "word_vecs": "no_validation",
    }

    # Labels only shape the whitening: one class is a valid (unsupervised-like) fit.
    _needs_two_classes = False
    _linear_projection = True
    _multilabel = True

    _fitted_attributes = (
        "mean_", "components_", "rotation_", "quantization_loss_", "n_iter_", "bit_direction_",
        "thresholds_", "classes_", "within_class_reg_", "n_semantic_",
    )
    # Added by issue 16 (normalize="l2" became the default then).
    _params_added = {"normalize": None, "double_bit_share": 1.0, "semantic_share": 0.0,
                     "unseen_classes": None, "word_vecs": None}

    def __init__(
        self,
        bits: int = 64,
        *,
        within_class_reg: float | str | None = 1.0,
        normalize: str | None = "l2",
        double_bit_share: float = 1.0,
        semantic_share: float = 0.0,
        unseen_classes=None,
        n_components: int = 256,
        max_iter: int = 50,
        unlabeled_label: int | str | None = None,
        word_vecs=None,
        n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    @property
    def _requires_y(self) -> bool:
        return self.within_class_reg is not None or self.semantic_share > 0

    @property
    def _uses_word_vecs(self) -> bool:
        return self.semantic_share > 0

    def _resolve_class_vectors(self, word_vecs):
        """The seen classes' vectors, then the ``unseen_classes``' (one array)."""
        word_vecs = self._word_vec_source(word_vecs)
        if word_vecs is None:
            raise ValueError(
                f"{type(self).__name__}(semantic_share={self.semantic_share}) builds "
                "semantic directions from class word vectors; pass word_vecs to fit (or "
                "set semantic_share=0)"
            )
        seen = class_embeddings(word_vecs, [c for c in self.classes_
                                            if self.unlabeled_label is None
                                            or c != self.unlabeled_label])
        if self.unseen_classes is None:
            return seen
        unseen = np.asarray(self.unseen_classes)
        if unseen.ndim != 1 or unseen.size == 0:
            raise ValueError(
                f"unseen_classes must be a non-empty 1-D list of class labels; got shape "
                f"{unseen.shape}"
            )
        overlap = np.intersect1d(unseen, self.classes_)
        if overlap.size or np.unique(unseen).size != unseen.size:
            raise ValueError(
                "unseen_classes must be distinct labels absent from y (the classes that "
                f"are not trained on); {overlap.tolist() or 'a label is repeated'}"
            )
        return np.vstack([seen, class_embeddings(word_vecs, unseen)])

    def _check_fit_options(self, y):
        """Option combinations that cannot work, refused before any work."""
        if self.unseen_classes is not None and self.semantic_share == 0:
            raise ValueError(
                "unseen_classes shapes the semantic directions only; it needs "
                "semantic_share > 0"
            )
        if self.semantic_share > 0 and y is not None and y.ndim == 2:
            raise ValueError(
                f"{type(self).__name__}: semantic_share > 0 regresses each image onto its "
                "class's word vector, which is defined for one label per sample; use "
                "semantic_share=0 with a multi-label y"
            )

    def _row_width(self, n_features: int, anchors=None) -> int:
        # normalize copies each block of rows before the product
        extra = n_features if self.normalize is not None else 0
        return super()._row_width(n_features, anchors) + extra

    def _normalized(self, X):
        if self.normalize is None:
            return X
        return power_normalize(X, NORMALIZE_POWER[self.normalize])

    def _split_unlabelled(self, y):
        """(mask of labelled rows or None, y re-indexed); drops the marker from classes_."""
        marker = [k for k, label in enumerate(self.classes_) if label == self.unlabeled_label]
        if not marker:
            return None, y
        labelled = y != marker[0]
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__}: every row has the unlabeled_label "
                f"{self.unlabeled_label!r}; within-class directions need labelled rows "
                "(or use within_class_reg=None)"
            )
        self.classes_ = np.delete(self.classes_, marker[0])
        return labelled, np.where(labelled, y - (y > marker[0]), -1)

    def _fit(self, X, y, class_vectors):
        self._check_fit_options(y)
        if self.normalize is not None and X.shape[1] < 2:
            raise ValueError(
                f"{type(self).__name__}(normalize={self.normalize!r}) needs at least 2 "
                f"features: normalising 1 feature(s) to unit length leaves only its sign; "
                "use normalize=None"
            )
        labelled = None
        if y is not None and y.ndim == 2 and self.unlabeled_label is not None:
            raise ValueError(
                f"{type(self).__name__}: unlabeled_label={self.unlabeled_label!r} marks "
                "unlabelled rows by a label value, which a multi-label indicator y does not "
                "have; fit the labelled rows' indicator with unlabeled_label=None"
            )
        if y is not None and self.unlabeled_label is not None:
            labelled, y = self._split_unlabelled(y)
        n_double_bits = 2 * int(np.floor(self.double_bit_share * self.bits / 2))
        n_double = n_double_bits // 2
        n_directions = n_double + self.bits - n_double_bits
        supervised = self.within_class_reg is not None or self.semantic_share > 0
        if not supervised:
            limit, what = min(X.shape), "min(n_samples, n_features)"
        else:
            limit = min(self.n_components, X.shape[0] - 1, X.shape[1])
            what = "min(n_components, n_samples - 1, n_features)"
        if n_directions > limit:
            raise ValueError(
                f"{type(self).__name__} uses {n_directions} directions at bits={self.bits} "
                f"and double_bit_share={self.double_bit_share} (two bits per direction for "
                f"{n_double_bits} bits, one for the rest), more than the {limit} available "
                f"({what})"
            )
        rng = check_random_state(self.random_state)
        X = np.asarray(self._normalized(X), dtype=np.float64)
        self.within_class_reg_ = None
        self.n_semantic_ = 0
        if not supervised:
            self.mean_, components = principal_directions(X, n_directions)
        else:
            self.mean_, pca = principal_directions(X, limit)
            Z = (X - self.mean_) @ pca
            if labelled is None:
                labelled = np.ones(X.shape[0], dtype=bool)
            n_semantic = 0
            if self.semantic_share > 0:
                rank = np.linalg.matrix_rank(class_vectors - class_vectors.mean(axis=0))
                n_semantic = min(max(1, round(self.semantic_share * n_directions)), rank)
            if self.within_class_reg is None:  # semantic directions beside principal ones
                directions = np.eye(Z.shape[1])[:, :n_directions - n_semantic]
            else:
                directions, self.within_class_reg_ = within_class_directions(
                    Z, y, n_directions - n_semantic, self.within_class_reg, labelled)
            if n_semantic:
                targets = class_vectors[y[labelled]] - class_vectors.mean(axis=0)
                ridge = self.within_class_reg_ if self.within_class_reg_ is not None else 1.0
                semantic = semantic_directions(Z[labelled], targets, class_vectors,
                                               n_semantic, min(ridge, 1e6))
                # Each semantic direction gets the mean spread of the others, so the
                # rotation and the quantiser weigh them alike.
                spread = np.std(Z @ directions, axis=0).mean() if directions.shape[1] else 1.0
                semantic *= spread / np.maximum(np.std(Z @ semantic, axis=0), 1e-300)
                directions = np.column_stack([directions, semantic])
                self.n_semantic_ = n_semantic
            components = pca @ directions
        self.components_ = components
        V = (X - self.mean_) @ components
        self.rotation_, self.quantization_loss_ = itq_rotation(V, self.max_iter, rng)
        self.n_iter_ = self.max_iter
        # The thresholds are quantiles of the very projections _project computes (the same
        # arithmetic), so a training item lying on one codes the same in transform.
        V = centred_product(X, self.mean_, components @ self.rotation_)
        low, high = np.quantile(V[:, :n_double], [1 / 3, 2 / 3], axis=0)
        bit_direction = np.repeat(np.arange(n_double), 2)
        thresholds = np.column_stack([low, high]).ravel()
        sign_directions = np.arange(n_double, n_directions)
        self.bit_direction_ = np.concatenate([bit_direction, sign_directions]).astype(np.intp)
        self.thresholds_ = np.concatenate([thresholds, np.median(V[:, sign_directions], axis=0)])

    def _project(self, X):
        V = centred_product(self._normalized(X), self.mean_, self.components_ @ self.rotation_)
        return V[:, self.bit_direction_] - self.thresholds_
