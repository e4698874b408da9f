"""The one base class of every zeroshash hasher.

Contract
--------
``fit(X, y=None, word_vecs=None)``
    Learn a hash function. Unsupervised hashers ignore ``y`` and ``word_vecs``;
    supervised ones learn from the labels ``y`` of *seen* classes and, where the
    method embeds classes semantically, from ``word_vecs`` (see
    :func:`zeroshash.semantics.class_embeddings` for the accepted forms).
``decision_function(X)``
    The real-valued projections, shape ``(n_samples, bits)``, before the sign.
``transform(X)``
    The codes as 0/1 ``uint8``, shape ``(n_samples, bits)``; bit ``j`` is 1 when
    projection ``j`` is ``>= 0`` (so a projection of exactly zero gives 1).
``encode(X)``
    The codes packed 8 bits a byte, shape ``(n_samples, ceil(bits / 8))``, in the
    bit order documented in :mod:`zeroshash._codes` (``np.packbits``, big-endian).

Subclasses implement ``_fit(X, y, class_vectors)`` and ``_project(X)``; they may
override ``_validate_X`` for inputs that are not a plain 2-D matrix (patch-level
features of shape ``(n, n_patches, d)``, two modalities) and declare
``_uses_word_vecs = True`` when ``word_vecs`` matter. Hashers whose database codes
are not the query hash function (asymmetric methods) keep ``transform`` as the
function for *new* items and add their own database-side method.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._bits import pack_bits
from .semantics import class_embeddings

__all__ = ["BaseHasher"]


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


class BaseHasher(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class for hashers: real features in, binary codes out.

    Not meant to be used directly; see the concrete hashers. Parameters common to
    the family are ``bits`` (code length, an int >= 1) and ``random_state``.
    """

    _parameter_constraints: dict = {
        "bits": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    #: True for hashers that learn from labels (``y`` is then required).
    _requires_y: bool = False
    #: True for hashers that embed classes with word vectors / attributes.
    _uses_word_vecs: bool = False

    @abstractmethod
    def __init__(self, bits: int = 64, *, random_state=None):
        self.bits = bits
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, word_vecs=None):
        """Learn the hash function.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features (for zero-shot use: images of *seen* classes only).
        y : array-like of shape (n_samples,), default=None
            Class labels. Required by supervised hashers, ignored by unsupervised ones.
        word_vecs : array-like, dict, KeyedVectors or callable, default=None
            Semantic class vectors (hashers that use them only): an array of shape
            ``(n_classes, d)`` ordered like ``np.unique(y)``, a dict ``label -> vector``,
            a gensim ``KeyedVectors`` (labels looked up by name) or a callable
            ``label -> vector``. Ignored by hashers without a semantic side. Giving both
            this argument and a constructor parameter ``word_vecs`` is an error.

        Returns
        -------
        self : object
            The fitted hasher.
        """
        with all_or_nothing(self):
            X, y = self._validate_fit_data(X, y)
            # Hashers without a semantic side ignore word_vecs, so one loop can fit them all.
            class_vectors = (self._resolve_class_vectors(word_vecs) if self._uses_word_vecs
                             else None)
            self._fit(X, y, class_vectors)
        return self

    def _validate_X(self, X, *, reset: bool):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])

    def _validate_fit_data(self, X, y):
        if self._requires_y and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X = self._validate_X(X, reset=True)
        if self._requires_y:
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
        return X, y

    def _resolve_class_vectors(self, word_vecs):
        """Class vectors as an (n_classes, d) float64 array, or None (one-hot mode)."""
        init_vecs = getattr(self, "word_vecs", None)
        if word_vecs is not None and init_vecs is not None:
            raise ValueError(
                "word_vecs was given both to the constructor and to fit(); give it once"
            )
        source = word_vecs if word_vecs is not None else init_vecs
        if source is None:
            return None
        return class_embeddings(source, self.classes_)

    @abstractmethod
    def _fit(self, X, y, class_vectors):
        """Fit on validated data. ``y`` holds class indices into ``classes_`` (or None)."""

    # -- encoding -------------------------------------------------------------------------
    @abstractmethod
    def _project(self, X):
        """Real-valued projections (n_samples, bits) of validated X."""

    def decision_function(self, X) -> np.ndarray:
        """Real-valued projections before the sign.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        projections : ndarray of shape (n_samples, bits), dtype float64
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._project(X)

    def transform(self, X) -> np.ndarray:
        """Binary codes as 0/1 values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, bits), dtype uint8
            Bit ``j`` is 1 where ``decision_function(X)[:, j] >= 0``.
        """
        return (self.decision_function(X) >= 0).astype(np.uint8)

    def encode(self, X) -> np.ndarray:
        """Binary codes packed 8 to a byte (``np.packbits`` order, big-endian).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        packed : ndarray of shape (n_samples, ceil(bits / 8)), dtype uint8
        """
        return pack_bits(self.transform(X))

    @property
    def _n_features_out(self) -> int:
        return self.bits

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # output is binary codes, never X's dtype
        tags.target_tags.required = self._requires_y
        return tags
