"""The one base class of every zeroshash hasher.

Contract
--------
``fit(X, y=None, word_vecs=None)``
    Learn a hash function. Unsupervised hashers ignore ``y`` and ``word_vecs``;
    supervised ones learn from the labels ``y`` of *seen* classes and, where the
    method embeds classes semantically, from ``word_vecs`` (see
    :func:`zeroshash.semantics.class_embeddings` for the accepted forms). ``y`` is one
    label per sample, or -- for the hashers whose method defines it (``_multilabel``)
    -- a 0/1 indicator matrix of several labels per sample (see "Multi-label y").
``decision_function(X)``
    The real-valued projections, shape ``(n_samples, bits)``, before the sign.
``transform(X)``
    The codes as 0/1 ``uint8``, shape ``(n_samples, bits)``; bit ``j`` is 1 when
    projection ``j`` is ``>= 0`` (so a projection of exactly zero gives 1).
``encode(X)``
    The codes packed 8 bits a byte, shape ``(n_samples, ceil(bits / 8))``, in the
    bit order documented in :mod:`zeroshash._bits` (``np.packbits``, big-endian).

Subclasses implement ``_fit(X, y, class_vectors)`` and ``_project(X)``; they may
override ``_validate_X`` for inputs that are not a plain 2-D matrix (patch-level
features of shape ``(n, n_patches, d)``, two modalities) and declare their traits as
class attributes -- ``_requires_y``, ``_uses_word_vecs``, ``_input_kind``,
``_asymmetric`` -- and their fitted state, ``_fitted_attributes``; the registry
(:func:`zeroshash.all_hashers`) reads them. Hashers whose database codes
are not the query hash function (asymmetric methods) keep ``transform`` as the
function for *new* items and add their own database-side method.

Multi-label y
-------------
A ``y`` of shape ``(n_samples, n_classes)`` with ``n_classes >= 2`` is a label
indicator matrix (scikit-learn's ``"multilabel-indicator"``; :func:`multilabel_indicator`
builds one from label sets): ``Y[i, c] = 1`` where sample ``i`` carries label ``c``.
It is validated here, once, before any work: values other than 0/1, a sample with no
label (it has neither a semantic target nor a similar sample), lengths that disagree
with ``X`` and a hasher whose method does not define multi-label learning
(``_multilabel`` False; its ``_multilabel_refusal`` says why) are each a ValueError.
``classes_`` is then the indices of the columns some sample carries -- all of them,
``np.arange(n_classes)`` (scikit-learn's convention for indicators), unless some column
is empty, as the unseen labels' columns are in a zero-shot training split: those
classes are absent from the fit, as a label absent from a 1-D ``y`` is. Word vectors are
looked up by column index: an array with one row per column (or one per class of
``classes_``), or ``class_embeddings(source, classes)`` with
the class names that :func:`multilabel_indicator` returned, which turns a dict, a
``KeyedVectors`` or a file keyed by name into that array. ``_fit`` receives the
indicator as a float64 0/1 matrix (single-label ``y`` stays the 1-D class indices), and
the hashers read it through the shared label helpers of :mod:`zeroshash._solvers`
(:func:`~zeroshash._solvers.sample_targets`,
:func:`~zeroshash._solvers.label_indicator`, :class:`~zeroshash._solvers.SharedLabels`),
each of which reduces exactly to the single-label computation for one-hot rows.

Encoding in chunks
------------------
``decision_function``, ``transform`` and ``encode`` work through ``X`` in blocks of
rows, so encoding a memory-mapped file of any length holds only one block's
intermediates at a time. A block holds as many rows as fit in a *working memory* of
:data:`ENCODE_WORKING_MEMORY` MiB (64) -- or scikit-learn's ``working_memory``
(``sklearn.set_config(working_memory=...)``, ``sklearn.config_context``) where that is
smaller -- counting each row at ``8 * max(n_features, n_anchors + 1, bits)`` bytes, the
float64 width of its largest intermediate. A NumPy array (a ``np.memmap`` included) is
validated block by block, each block by ``_validate_X`` as a whole ``X`` was, so nothing
of the size of ``X`` is made: a float16 file is converted a block at a time, and the
output (``(n, bits)`` projections or 0/1 codes, or ``(n, ceil(bits / 8))`` packed bytes)
is the only array that grows with ``n``. The linear hashers (PCAH, ITQ, DBQ, LSH,
COSDISH; ``_linear_projection``) shift the ``(rows, bits)`` product rather than
centring the block (``X @ W - mean @ W``), so a block's float64 copy is their one
block-sized array (their peak is about the budget); other methods' ``_project`` may
hold two or three. Under ``zeroshash.config_context(encode_dtype="float32")`` the linear
hashers project in float32 instead, a float16 block converted straight to float32
(:mod:`zeroshash._config`). The input's dtype
is kept as ``_validate_X`` keeps it (float32 stays float32, other dtypes become
float64), block by block, so the arithmetic is the unblocked one. The first block's
checks (feature count and names, dtype) stand for all columns; where they fail, ``X``
is validated whole, so errors are those of an unblocked call. Other inputs (lists,
data frames) are validated whole, then projected by blocks. An input of at most one
block takes one step, the path it always took. Projections agree with the unblocked
ones to rounding (BLAS may sum a block's rows in another order than a whole matrix's),
so a code bit can differ only where a projection is within rounding of zero.
"""

from __future__ import annotations

import os
import sys
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from functools import cache, partial
from numbers import Integral, Real

import numpy as np
import sklearn
from joblib import effective_n_jobs
from scipy import sparse
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import gen_batches
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from ._bits import MAX_BITS, pack_bits
from ._config import get_config as zeroshash_config
from .semantics import class_embeddings

__all__ = ["ENCODE_WORKING_MEMORY", "BaseHasher", "fit_threads", "multilabel_indicator"]

#: MiB that one block's largest intermediate may take when ``decision_function``,
#: ``transform`` and ``encode`` work through X by blocks of rows (see "Encoding in
#: chunks" above); scikit-learn's ``working_memory`` lowers it where smaller.
ENCODE_WORKING_MEMORY = 64

# Parameter constraints the family's members share (sklearn's _param_validation).
NONNEGATIVE = [Interval(Real, 0, None, closed="left")]
POSITIVE = [Interval(Real, 0, None, closed="neither")]
POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
#: joblib's n_jobs: a nonzero int (-1 all cores, -2 all but one...) or None.
N_JOBS = [
    Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None,
]

# Where a warning raised inside a fit is attributed: the first frame outside these.
_LIBRARY_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep for module in (sys.modules[__name__], sklearn)
)


def caller_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that names the user's line.

    Called where the warning is raised: it counts the frames of zeroshash and
    scikit-learn (a ``fit`` wrapped by sklearn's ``_fit_context``, a ``Pipeline``)
    between there and the first frame outside both.
    """
    frame, level = sys._getframe(1), 1  # stacklevel 1: the frame that warns
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    return level


@cache
def _threadpools() -> ThreadpoolController:
    """The process's BLAS and OpenMP thread pools, found once (a scan takes milliseconds).

    Every library a fit uses (numpy's and scipy's BLAS, scikit-learn's OpenMP) is loaded
    by ``import zeroshash``, so the first scan already holds them.
    """
    return ThreadpoolController()


@contextmanager
def fit_threads(n_jobs):
    """Run the block with BLAS and OpenMP on at most ``effective_n_jobs(n_jobs)`` threads.

    ``n_jobs`` follows joblib (:func:`joblib.effective_n_jobs`): None means 1 unless
    inside a ``joblib.parallel_config(n_jobs=...)`` context, -1 every core, -2 all but
    one. The cap only ever lowers the thread count in force, so an enclosing
    ``threadpoolctl.threadpool_limits``, ``OMP_NUM_THREADS`` or the cap joblib's workers
    run under (``GridSearchCV(n_jobs=...)``) still holds; inner limits (a method's
    single-threaded loop) can lower it further. No fit runs numba kernels, so numba's
    threads are left alone.
    """
    wanted = effective_n_jobs(n_jobs)
    controller = _threadpools()
    limits = {}
    for api in ("blas", "openmp"):
        pools = controller.select(user_api=api).lib_controllers
        if pools:
            limits[api] = min(wanted, *(pool.num_threads for pool in pools))
    with controller.limit(limits=limits):
        yield


@contextmanager
def all_or_nothing(estimator):
    """On any error inside, put back the estimator's attributes as they were.

    A fit that fails half-way (bad input found after validation recorded
    ``n_features_in_``, a solver error) must not leave a model that looks fitted, nor
    half-overwrite a previously fitted one.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def multilabel_indicator(label_sets, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 indicator matrix of label sets, for a multi-label ``fit``.

    Built on scikit-learn's :class:`~sklearn.preprocessing.MultiLabelBinarizer`.

    Parameters
    ----------
    label_sets : iterable of iterables of labels
        The labels of each sample, e.g. ``[{"dog", "grass"}, {"sky"}]``. A sample's
        labels are a collection (set, list, tuple), never a bare ``str`` (whose
        characters would be read as labels).
    classes : array-like of shape (n_classes,), default=None
        The classes, in column order; every label must be one of them (a class no
        sample carries gives a column of zeros, which ``fit`` refuses). None: the
        sorted labels that occur.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), dtype uint8
        ``Y[i, c] = 1`` where sample ``i`` carries ``classes[c]``.
    classes : ndarray of shape (n_classes,)
        The label of each column. Hashers fitted on ``Y`` store ``classes_ =
        np.arange(n_classes)`` (the column indices); look word vectors up by these
        names with ``zeroshash.semantics.class_embeddings(word_vecs, classes)``.

    Raises
    ------
    TypeError
        If a sample's labels are a ``str`` or not a collection.
    ValueError
        If a label is not among the given ``classes``.

    Examples
    --------
    >>> from zeroshash import multilabel_indicator
    >>> Y, classes = multilabel_indicator([{"dog", "grass"}, {"sky"}, {"dog"}])
    >>> Y
    array([[1, 1, 0],
           [0, 0, 1],
           [1, 0, 0]], dtype=uint8)
    >>> classes
    array(['dog', 'grass', 'sky'], dtype=object)
    """
    label_sets = list(label_sets)
    for i, labels in enumerate(label_sets):
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
            raise TypeError(
                f"label_sets[{i}] is {labels!r}; each sample's labels are a collection "
                f"(set, list or tuple) of labels, e.g. {{{labels!r}}} rather than {labels!r}"
            )
    binarizer = MultiLabelBinarizer(classes=None if classes is None else list(classes))
    if classes is not None:
        known = set(binarizer.classes)
        unknown = sorted({repr(label) for labels in label_sets for label in labels
                          if label not in known})
        if unknown:
            raise ValueError(
                f"label_sets hold label(s) not among classes: {', '.join(unknown[:10])}"
                + (" ..." if len(unknown) > 10 else "")
            )
    Y = binarizer.fit_transform(label_sets).astype(np.uint8)
    return Y, np.asarray(binarizer.classes_, dtype=object)


def _is_multilabel(y) -> bool:
    """True for a 2-D ``y`` of at least 2 columns (dense or sparse): an indicator matrix."""
    if sparse.issparse(y):
        return len(y.shape) == 2 and y.shape[1] > 1
    if isinstance(y, (list, tuple)) and any(isinstance(e, (set, frozenset)) for e in y):
        raise TypeError(
            "y holds sets of labels; give multi-label y as a 0/1 indicator matrix of shape "
            "(n_samples, n_classes): zeroshash.multilabel_indicator(label_sets) builds one"
        )
    shape = getattr(y, "shape", None)
    if shape is not None:
        return len(shape) == 2 and shape[1] > 1
    try:
        shape = np.asarray(y).shape
    except ValueError:  # ragged nested lists: label sets of different sizes
        raise TypeError(
            "y is a ragged sequence (label lists of different lengths?); give multi-label y "
            "as a 0/1 indicator matrix of shape (n_samples, n_classes): "
            "zeroshash.multilabel_indicator(label_sets) builds one"
        ) from None
    return len(shape) == 2 and shape[1] > 1


def _listed(indices, limit: int = 10) -> str:
    indices = np.asarray(indices).tolist()
    return ", ".join(map(str, indices[:limit])) + (" ..." if len(indices) > limit else "")


class BaseHasher(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class for hashers: real features in, binary codes out.

    Not meant to be used directly; see the concrete hashers. Parameters common to
    the family are ``bits`` (code length, an int from 1 to ``MAX_BITS`` = 65,536),
    ``n_jobs`` (threads of the fit, applied here around ``_fit`` by
    :func:`fit_threads`) and ``random_state``.
    """

    _parameter_constraints: dict = {
        "bits": [Interval(Integral, 1, MAX_BITS, closed="both")],
        "n_jobs": N_JOBS,
        "random_state": ["random_state"],
    }

    #: True for hashers that learn from labels (``y`` is then required).
    _requires_y: bool = False
    #: The hash function is a product and a shift (``_principal.centred_product``), so
    #: ``encode_dtype="float32"`` applies to it.
    _linear_projection: bool = False
    #: True for hashers that embed classes with word vectors / attributes.
    _uses_word_vecs: bool = False
    #: False where one class is a valid training set (e.g. a hasher whose labels only
    #: refine an unsupervised fit).
    _needs_two_classes: bool = True
    #: What ``X`` holds: "features" (n, d), "patches" (n, n_patches, patch_dim) or
    #: "two_modalities" (``X`` plus a paired ``X_query`` given to ``fit``).
    _input_kind: str = "features"
    #: True where the database side has codes of its own (learned for the training rows)
    #: beside the query hash function ``transform``.
    _asymmetric: bool = False
    #: True where the method defines its mathematics for a multi-label ``y`` (an indicator
    #: matrix); the others refuse one, with ``_multilabel_refusal`` as the reason.
    _multilabel: bool = False
    _multilabel_refusal: str = "its method is defined for one label per sample only"
    #: Parameters added after model files of this class were first written, each with
    #: the value that gives the behaviour of before; :func:`zeroshash.load_model` uses it
    #: for a file that lacks the parameter.
    _params_added: dict = {}
    #: The fitted state: every attribute ``fit`` sets (besides ``n_features_in_`` and
    #: ``feature_names_in_``). Model files store exactly these.
    _fitted_attributes: tuple = ()

    @abstractmethod
    def __init__(self, bits: int = 64, *, n_jobs: int | None = None, random_state=None):
        self._store_params(locals())

    def _validate_params(self) -> None:
        """sklearn's parameter check, plus: a bool is refused where a number is meant.

        ``Interval(Integral, ...)`` and ``Interval(Real, ...)`` accept ``True`` (a bool
        is an int), which would fit a 1-bit model or fail deep inside; a parameter whose
        constraints do not name ``"boolean"`` gets an ``InvalidParameterError`` instead.
        """
        super()._validate_params()
        for key, constraints in self._parameter_constraints.items():
            value = getattr(self, key, None)
            if (isinstance(value, (bool, np.bool_)) and "boolean" not in constraints
                    and any(isinstance(c, Interval) for c in constraints)):
                raise InvalidParameterError(
                    f"The {key!r} parameter of {type(self).__name__} must be a number, not "
                    f"a bool. Got {value!r} instead."
                )

    def _store_params(self, params: dict) -> None:
        """Store the constructor's arguments (its ``locals()``) as attributes, unchanged.

        scikit-learn's convention -- ``__init__`` stores its parameters and does nothing
        else; validation happens in ``fit`` -- applied to every parameter of the
        subclass's signature at once.
        """
        for name in self._get_param_names():
            setattr(self, name, params[name])

    # -- fitting --------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, word_vecs=None):
        """Learn the hash function.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features (for zero-shot use: images of *seen* classes only).
        y : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
            Class labels. Required by supervised hashers, ignored by unsupervised ones.
            A 0/1 indicator matrix of shape (n_samples, n_classes) gives several labels
            per sample (multi-label; :func:`zeroshash.multilabel_indicator` builds one
            from label sets) to the hashers whose method defines it; the others refuse
            it with a ValueError saying why. ``classes_`` is then the column indices.
        word_vecs : array-like, dict, KeyedVectors, callable, str or Path, default=None
            Semantic class vectors (hashers that use them only): an array with one row
            per class of ``np.unique(y)`` in that order, or one row per integer label
            (row ``c`` for label ``c``, so a matrix of all labels serves a fit on the
            seen ones); a dict ``label -> vector``; a gensim ``KeyedVectors`` (labels
            looked up by name); the path of a word2vec, GloVe or fastText file (looked
            up the same way); or a callable ``label -> vector``. See
            :func:`zeroshash.semantics.class_embeddings`. Hashers without a semantic side
            ignore it, with a warning. Giving both this argument and a constructor
            parameter ``word_vecs`` is an error. With a multi-label indicator ``y`` the
            classes are its column indices: an array then has one row per column, and
            ``zeroshash.semantics.class_embeddings(source, classes)`` looks up the class
            names that :func:`zeroshash.multilabel_indicator` returned.

        Returns
        -------
        self : object
            The fitted hasher.
        """
        return self._fit_checked(X, y, word_vecs)

    def _fit_checked(self, X, y, word_vecs, **inputs):
        """Validate, resolve the class vectors and ``_fit``; on failure change nothing.

        ``inputs`` are a subclass's further fit inputs (e.g. a second modality), passed
        on to its ``_fit`` as keywords. ``_fit`` runs on the threads ``n_jobs`` allows
        (:func:`fit_threads`), so no method sets its own.
        """
        with all_or_nothing(self):
            X, y = self._validate_fit_data(X, y)
            if self._uses_word_vecs:
                class_vectors = self._resolve_class_vectors(word_vecs)
            else:
                # One loop can fit the whole family; say so when the vectors go unused.
                if word_vecs is not None:
                    warnings.warn(
                        f"{type(self).__name__} does not use word vectors; word_vecs is "
                        "ignored",
                        UserWarning,
                        stacklevel=caller_stacklevel(),
                    )
                class_vectors = None
            with fit_threads(getattr(self, "n_jobs", None)):
                self._fit(X, y, class_vectors, **inputs)
        return self

    def _validate_X(self, X, *, reset: bool):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])

    def _validate_fit_data(self, X, y):
        if self._requires_y and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X = self._validate_X(X, reset=True)
        if self._requires_y and _is_multilabel(y):
            y = self._validate_multilabel(X, y)
        elif self._requires_y:
            y = column_or_1d(y, warn=True)
            check_consistent_length(X, y)
            check_classification_targets(y)
            self.classes_, y = np.unique(y, return_inverse=True)
        else:
            y = None
        if X.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to learn a hash function; "
                f"got {X.shape[0]} sample"
            )
        if y is not None and self.classes_.shape[0] < 2 and self._needs_two_classes:
            raise ValueError(
                f"{type(self).__name__} is supervised and needs samples of at least 2 "
                f"classes; y holds only the class {self.classes_[0].item()!r}"
            )
        return X, y

    def _validate_multilabel(self, X, y) -> np.ndarray:
        """A multi-label ``y`` checked (see "Multi-label y"): float64 0/1, ``classes_`` set."""
        name = type(self).__name__
        Y = y.toarray() if sparse.issparse(y) else np.asarray(y)
        if Y.dtype.kind == "O":  # numbers in an object array (a list of mixed ints)
            try:
                Y = Y.astype(np.float64)
            except (TypeError, ValueError):
                pass
        numeric = Y.dtype.kind in "biuf"
        ones = (Y == 0) | (Y == 1) if numeric else np.zeros(Y.shape, bool)
        if not ones.all() or type_of_target(Y) != "multilabel-indicator":
            shown = np.unique(Y[~ones])[:5].tolist() if numeric else f"dtype {Y.dtype}"
            raise ValueError(
                f"y of shape {Y.shape} is read as a multi-label indicator matrix (n_samples, "
                f"n_classes), which holds only 0 and 1; got {shown}. Build one from label "
                "sets with zeroshash.multilabel_indicator"
            )
        check_consistent_length(X, Y)
        if not self._multilabel:
            raise ValueError(
                f"{name} does not support multi-label y: {self._multilabel_refusal}. Give "
                "one label per sample (a 1-D y), or use a hasher that supports it (see the "
                "README, 'Multi-label data')"
            )
        unlabelled = np.flatnonzero(~Y.any(axis=1))
        if unlabelled.size:
            raise ValueError(
                f"y has {unlabelled.size} sample(s) with no label (rows {_listed(unlabelled)}): "
                "a sample without labels has no semantic target and no similar sample; drop "
                "these rows"
            )
        # Columns no sample carries are classes absent from this fit (the unseen labels
        # of a zero-shot split): as with a 1-D y, classes_ holds the labels present.
        carried = np.flatnonzero(Y.any(axis=0))
        self.classes_ = carried if carried.size < Y.shape[1] else np.arange(Y.shape[1])
        return np.ascontiguousarray(Y[:, carried] if carried.size < Y.shape[1] else Y,
                                    dtype=np.float64)

    def _word_vec_source(self, word_vecs):
        """The class vectors given to ``fit`` or to the constructor (once), or None."""
        init_vecs = getattr(self, "word_vecs", None)
        if word_vecs is not None and init_vecs is not None:
            raise ValueError(
                "word_vecs was given both to the constructor and to fit(); give it once"
            )
        return word_vecs if word_vecs is not None else init_vecs

    def _resolve_class_vectors(self, word_vecs):
        """Class vectors as an (n_classes, d) float64 array, or None (one-hot mode)."""
        source = self._word_vec_source(word_vecs)
        if source is None:
            return None
        return class_embeddings(source, self.classes_)

    @abstractmethod
    def _fit(self, X, y, class_vectors):
        """Fit on validated data.

        ``y`` holds class indices into ``classes_`` (1-D), or for a multi-label fit the
        (n_samples, n_classes) float64 0/1 indicator, or None.
        """

    # -- encoding -------------------------------------------------------------------------
    @abstractmethod
    def _project(self, X):
        """Real-valued projections (n_samples, bits) of validated X."""

    def decision_function(self, X) -> np.ndarray:
        """Real-valued projections before the sign.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Worked through by blocks of rows (see :class:`BaseHasher`), so a memory map
            of any length may be given.

        Returns
        -------
        projections : ndarray of shape (n_samples, bits), dtype float64
        """
        check_is_fitted(self)
        return self._in_chunks(X, "projections", **self._hash_function())

    def transform(self, X) -> np.ndarray:
        """Binary codes as 0/1 values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Worked through by blocks of rows (see :class:`BaseHasher`), so a memory map
            of any length may be given.

        Returns
        -------
        codes : ndarray of shape (n_samples, bits), dtype uint8
            Bit ``j`` is 1 where ``decision_function(X)[:, j] >= 0``.
        """
        check_is_fitted(self)
        return self._in_chunks(X, "bits", **self._hash_function())

    def encode(self, X) -> np.ndarray:
        """Binary codes packed 8 to a byte (``np.packbits`` order, big-endian).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Worked through by blocks of rows (see :class:`BaseHasher`), so a memory map
            of any length may be given; the 0/1 codes of all rows are never held at once.

        Returns
        -------
        packed : ndarray of shape (n_samples, ceil(bits / 8)), dtype uint8
        """
        check_is_fitted(self)
        return self._in_chunks(X, "packed", **self._hash_function())

    def _hash_function(self) -> dict:
        """The database side's validation, projection and row width, for :meth:`_in_chunks`."""
        return {
            "validate": partial(self._validate_X, reset=False),
            "project": self._project,
            "row_width": self._row_width(self.n_features_in_, getattr(self, "anchors_", None)),
        }

    def _row_width(self, n_features: int, anchors=None) -> int:
        """Float64 values per row of the largest intermediate: features, kernel or bits."""
        n_kernel = 0 if anchors is None else anchors.shape[0] + 1  # + 1: the bias column
        return max(int(n_features), n_kernel, int(self.bits), 1)

    def _in_chunks(self, X, output: str, *, validate, project, row_width: int) -> np.ndarray:
        """``output`` ("projections", "bits" or "packed") of ``X``, a block of rows at a time.

        Parameters
        ----------
        X : array-like
            The input as given by the user.
        output : {"projections", "bits", "packed"}
            What ``decision_function``, ``transform`` and ``encode`` return.
        validate : callable
            Validated (n, n_features) array of a user input (a whole ``X`` or a block).
        project : callable
            Projections (n, bits) of a validated array.
        row_width : int
            Float64 values per row of the largest intermediate; with the working memory
            it sets the rows per block.

        Returns
        -------
        out : ndarray
            One row per row of ``X``: the blocks' results written into one array.
        """
        finish = _FINISH[output]
        if (self._linear_projection and isinstance(X, np.ndarray) and X.dtype == np.float16
                and zeroshash_config()["encode_dtype"] == "float32"):
            validate = partial(_as_float32_then, validate)  # float16 -> float32, never float64
        working_memory = min(ENCODE_WORKING_MEMORY, get_config()["working_memory"])
        rows = get_chunk_n_rows(row_bytes=8 * row_width, working_memory=working_memory)
        if isinstance(X, np.ndarray) and X.ndim >= 2 and X.shape[0] > rows:
            n = X.shape[0]
            blocks = _validated_blocks(X, rows, validate)
        else:
            X = validate(X)
            n = X.shape[0]
            if n <= rows:
                return finish(project(X))  # one block: the whole input
            blocks = ((block, X[block]) for block in gen_batches(n, rows))
        out = None
        for block, chunk in blocks:
            result = finish(project(chunk))
            del chunk  # not alive while the next block is validated
            if out is None:
                out = np.empty((n, *result.shape[1:]), dtype=result.dtype)
            out[block] = result
        return out

    @property
    def _n_features_out(self) -> int:
        return self.bits

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # output is binary codes, never X's dtype
        tags.target_tags.required = self._requires_y
        return tags


#: The last step of each encoding method, applied to a block's projections.
_FINISH = {
    "projections": lambda projections: projections,
    "bits": lambda projections: (projections >= 0).astype(np.uint8),
    "packed": lambda projections: pack_bits(projections >= 0),
}


def _as_float32_then(validate, X):
    return validate(np.asarray(X, dtype=np.float32))


def _validated_blocks(X: np.ndarray, rows: int, validate):
    """``(slice, validated block)`` for the blocks of ``rows`` rows of an array ``X``.

    The first block's checks (feature count and names, dtype) stand for all of ``X``'s
    columns. Where it fails, ``X`` is validated whole, as unblocked, so that the error
    is the one an unblocked call raises (messages may quote ``X``'s shape or values).
    """
    blocks = gen_batches(X.shape[0], rows)
    first = next(blocks)
    try:
        chunk = validate(X[first])
    except Exception:
        validate(X)
        raise
    yield first, chunk
    del chunk
    for block in blocks:
        yield block, validate(X[block])
