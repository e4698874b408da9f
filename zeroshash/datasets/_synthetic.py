"""Small synthetic zero-shot problems, for examples and quick experiments."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_zero_shot_blobs"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "word_dim": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_zero_shot_blobs(
    n_samples: int = 200,
    n_classes: int = 5,
    n_features: int = 16,
    word_dim: int = 8,
    *,
    noise: float = 1.0,
    random_state=None,
):
    """Gaussian classes whose centres are a linear image of their class word vectors.

    Because the feature-space geometry of the classes follows their word vectors, what a
    hasher learns from some classes' vectors transfers to the others -- the premise of
    zero-shot hashing, in a form small enough for examples and tests.

    Parameters
    ----------
    n_samples : int, default=200
        Samples, spread as evenly as possible over the classes (in random order).
    n_classes : int, default=5
    n_features : int, default=16
    word_dim : int, default=8
        Dimension of the class word vectors.
    noise : float, default=1.0
        Standard deviation of the samples around their class centre; the centres are
        spread with unit variance per feature.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), dtype int
        Labels ``0 .. n_classes - 1``.
    word_vecs : ndarray of shape (n_classes, word_dim)
        Row ``c`` is the word vector of class ``c`` (the per-label layout that
        :func:`zeroshash.semantics.class_embeddings` accepts for any subset of classes).

    Examples
    --------
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> X.shape, y.shape, word_vecs.shape
    ((200, 16), (200,), (5, 8))
    >>> [int((y == c).sum()) for c in range(5)]
    [40, 40, 40, 40, 40]
    """
    rng = check_random_state(random_state)
    word_vecs = rng.standard_normal((n_classes, word_dim))
    centres = word_vecs @ rng.standard_normal((word_dim, n_features)) / np.sqrt(word_dim)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    X = centres[y] + noise * rng.standard_normal((n_samples, n_features))
    return X, y, word_vecs
