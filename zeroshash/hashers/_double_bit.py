"""Double-bit quantised ITQ, with an optional within-class whitening learned on seen classes."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._principal import centred_product, principal_directions
from .._solvers import itq_rotation, label_weights
from ..base import POSITIVE_INT, BaseHasher

__all__ = ["DoubleBitHasher"]


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
    scatter the labelled rows only.

    A multi-label ``y`` (the (n, k) 0/1 indicator) counts each sample in each of its
    classes with weight ``1 / |labels|``, class means weighted alike: the "copy-weight"
    problem transformation of multi-label learning (Tsoumakas, Katakis & Vlahavas,
    "Mining Multi-label Data", 2010) applied to the scatter, under which every sample
    weighs 1 in total, as in the single-label scatter it reduces to.
    """
    n, p = Z.shape
    total = Z.T @ Z / n
    if labelled is None:
        labelled = np.ones(n, dtype=bool)
    within = np.zeros_like(total)
    if y.ndim == 2:
        weights = label_weights(y[labelled], y.shape[1])
        for label in range(weights.shape[1]):
            w = weights[:, label]
            member = Z[labelled][w > 0]
            w = w[w > 0]
            member = member - np.average(member, axis=0, weights=w)
            within += (member * w[:, None]).T @ member
    else:
        for label in np.unique(y[labelled]):
            member = Z[labelled & (y == label)]
            member = member - member.mean(axis=0)
            within += member.T @ member
    within /= np.count_nonzero(labelled)
    ridge = reg * np.trace(total) / p
    _, vectors = eigh(total, within + ridge * np.eye(p))
    directions = vectors[:, ::-1][:, :n_directions]
    flip = np.sign(directions[np.argmax(np.abs(directions), axis=0), np.arange(n_directions)])
    return directions * np.where(flip == 0, 1.0, flip)


@fill_doc
class DoubleBitHasher(BaseHasher):
    r"""ITQ projections quantised with two bits per direction (double-bit quantisation).

    zeroshash's recommended hasher for zero-shot retrieval on CNN features. It keeps
    what makes PCA hashing and ITQ transfer to unseen classes -- codes quantise a
    variance-preserving linear projection, so neighbourhoods of *any* class survive --
    and removes what costs them most at a given code length, the sign quantiser:

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
    (equally filled regions). Kong & Li apply DBQ on top of PCA/ITQ/SH projections
    in the same way; nothing of this hasher is tied to a particular paper's
    zero-shot method, and it does not use class word vectors.

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

    Selection of the defaults (cross-validation over *seen* classes only):
    ``benchmarks/select_zero_shot.py``; per-split results: ``benchmarks/bench_zero_shot.py``.

    Parameters
    ----------
    bits : int, default=64
        Code length; ``ceil(bits / 2)`` directions are used, at most
        ``min(n_samples, n_features)``.
    within_class_reg : float or None, default=3.0
        A float > 0: within-class whitened directions learned from the seen labels
        ``y`` (required then); smaller values suppress within-class variation more
        strongly. None: principal directions (unsupervised; ``y`` is ignored). The
        default was chosen by cross-validation over seen classes only
        (``benchmarks/select_zero_shot.py``; ``docs/defaults.md``).
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
        Only with ``within_class_reg``.
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
        "within_class_reg": [Interval(Real, 0, None, closed="neither"), None],
        "n_components": POSITIVE_INT,
        "max_iter": POSITIVE_INT,
        "unlabeled_label": [Integral, str, None],
    }

    # Labels only shape the whitening: one class is a valid (unsupervised-like) fit.
    _needs_two_classes = False
    _linear_projection = True
    _multilabel = True

    _fitted_attributes = (
        "mean_", "components_", "rotation_", "quantization_loss_", "n_iter_", "bit_direction_",
            "thresholds_", "classes_",
    )

    def __init__(
        self,
        bits: int = 64,
        *,
        within_class_reg: float | None = 3.0,
        n_components: int = 256,
        max_iter: int = 50,
        unlabeled_label: int | str | None = None,
        n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    @property
    def _requires_y(self) -> bool:
        return self.within_class_reg is not None

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
        labelled = None
        if y is not None and y.ndim == 2 and self.unlabeled_label is not None:
            raise ValueError(
                f"{type(self).__name__}: unlabeled_label={self.unlabeled_label!r} marks "
                "unlabelled rows by a label value, which a multi-label indicator y does not "
                "have; fit the labelled rows' indicator with unlabeled_label=None"
            )
        if y is not None and self.unlabeled_label is not None:
            labelled, y = self._split_unlabelled(y)
        n_directions = (self.bits + 1) // 2
        if self.within_class_reg is None:
            limit, what = min(X.shape), "min(n_samples, n_features)"
        else:
            limit = min(self.n_components, X.shape[0] - 1, X.shape[1])
            what = "min(n_components, n_samples - 1, n_features)"
        if n_directions > limit:
            raise ValueError(
                f"{type(self).__name__} uses ceil(bits / 2) = {n_directions} directions, more "
                f"than the {limit} available ({what}); got bits={self.bits}"
            )
        rng = check_random_state(self.random_state)
        X = np.asarray(X, dtype=np.float64)
        if self.within_class_reg is None:
            self.mean_, components = principal_directions(X, n_directions)
        else:
            self.mean_, pca = principal_directions(X, limit)
            Z = (X - self.mean_) @ pca
            components = pca @ within_class_directions(Z, y, n_directions, self.within_class_reg,
                                                       labelled)
        self.components_ = components
        V = (X - self.mean_) @ components
        self.rotation_, self.quantization_loss_ = itq_rotation(V, self.max_iter, rng)
        self.n_iter_ = self.max_iter
        # The thresholds are quantiles of the very projections _project computes (the same
        # arithmetic), so a training item lying on one codes the same in transform.
        V = centred_product(X, self.mean_, components @ self.rotation_)
        n_double = self.bits // 2
        low, high = np.quantile(V[:, :n_double], [1 / 3, 2 / 3], axis=0)
        bit_direction = np.repeat(np.arange(n_double), 2)
        thresholds = np.column_stack([low, high]).ravel()
        if self.bits % 2:
            bit_direction = np.append(bit_direction, n_directions - 1)
            thresholds = np.append(thresholds, np.median(V[:, -1]))
        self.bit_direction_ = bit_direction
        self.thresholds_ = thresholds

    def _project(self, X):
        V = centred_product(X, self.mean_, self.components_ @ self.rotation_)
        return V[:, self.bit_direction_] - self.thresholds_
