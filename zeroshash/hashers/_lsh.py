"""Locality-sensitive hashing by sign random projections (Charikar, STOC 2002)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._docstrings import fill_doc
from .._principal import centred_product
from ..base import BaseHasher

__all__ = ["LSHHasher"]


@fill_doc
class LSHHasher(BaseHasher):
    """Sign random projections: ``h(x) = sign(w^T (x - mu))`` with Gaussian ``w``.

    Charikar, "Similarity Estimation Techniques from Rounding Algorithms", STOC 2002:
    the probability that two codes differ in a bit is their angle over pi. The data
    are centred on the training mean first, as in the usual evaluation code of the
    hashing literature (Gong & Lazebnik's); ``center=False`` gives the plain form.

    Parameters
    ----------
    bits : int, default=64
        Code length.
    center : bool, default=True
        Subtract the training mean before projecting.
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the projections.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Training mean (zeros when ``center=False``).
    projection_ : ndarray of shape (n_features, bits)
        Gaussian random directions.
    %(n_features_in)s

    See Also
    --------
    PCAHasher
        Projections on the principal directions instead of random ones.
    ITQHasher
        Principal directions rotated to lower the quantisation loss.

    References
    ----------
    .. [1] M. S. Charikar, "Similarity Estimation Techniques from Rounding Algorithms", STOC 2002.

    Examples
    --------
    >>> from zeroshash import LSHHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> LSHHasher(bits=8, random_state=0).fit(X).transform(X[:3]).shape
    (3, 8)
    """

    _parameter_constraints: dict = {**BaseHasher._parameter_constraints, "center": ["boolean"]}

    _linear_projection = True

    _fitted_attributes = (
        "mean_", "projection_",
    )

    def __init__(
        self, bits: int = 64, *, center: bool = True, n_jobs: int | None = None,
        random_state=None,
    ):
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        rng = check_random_state(self.random_state)
        self.mean_ = X.mean(axis=0, dtype=np.float64) if self.center else np.zeros(X.shape[1])
        self.projection_ = rng.standard_normal((X.shape[1], self.bits))

    def _project(self, X):
        return centred_product(X, self.mean_, self.projection_)
