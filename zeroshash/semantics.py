"""Semantic class vectors: the one place where word vectors are normalised.

Every hasher that embeds classes calls :func:`class_embeddings`, which turns any of
the accepted sources into an ``(n_classes, d)`` float64 matrix ordered like the
sorted class labels (``np.unique(y)``).

Class-name rule (used for gensim ``KeyedVectors`` and for the embedded datasets):
a name is lower-cased and split on whitespace, ``/`` and ``_``; a token holding
``-`` is kept whole when it is in the vocabulary and split on ``-`` otherwise; the
class vector is the mean of its token vectors. A name with any token outside the
vocabulary is *missing*; all missing names are reported in one error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["class_embeddings", "class_name_tokens"]

_SPLIT = re.compile(r"[\s/_]+")


def class_name_tokens(name: str, vocabulary) -> list[str] | None:
    """Tokens of a class name under the package's class-name rule.

    Parameters
    ----------
    name : str
        A class name such as ``"Ankle boot"`` or ``"T-shirt/top"``.
    vocabulary : container of str
        Anything supporting ``in`` (a set, a dict, ``KeyedVectors.key_to_index``).

    Returns
    -------
    tokens : list of str, or None when some token is not in the vocabulary.

    Examples
    --------
    >>> from zeroshash.semantics import class_name_tokens
    >>> class_name_tokens("T-shirt/top", {"t-shirt", "top"})
    ['t-shirt', 'top']
    >>> class_name_tokens("ankle_boot", {"ankle", "boot"})
    ['ankle', 'boot']
    >>> class_name_tokens("sea-lion", {"sea", "lion"})
    ['sea', 'lion']
    >>> class_name_tokens("okapi", {"zebra"}) is None
    True
    """
    tokens: list[str] = []
    for part in _SPLIT.split(str(name).lower()):
        if not part:
            continue
        if part in vocabulary or "-" not in part:
            tokens.append(part)
        else:
            tokens.extend(p for p in part.split("-") if p)
    if not tokens or any(t not in vocabulary for t in tokens):
        return None
    return tokens


def _stack(rows, classes) -> np.ndarray:
    lengths = {row.shape[0] for row in rows}
    if len(lengths) > 1:
        detail = {str(c): r.shape[0] for c, r in zip(classes, rows)}
        raise ValueError(f"word vectors differ in length across classes: {detail}")
    return np.vstack(rows)


def _from_keyed_vectors(kv, classes) -> np.ndarray:
    rows, missing = [], []
    for label in classes:
        key = str(label)
        if key in kv.key_to_index:
            rows.append(np.asarray(kv[key], dtype=np.float64))
            continue
        tokens = class_name_tokens(key, kv.key_to_index)
        if tokens is None:
            missing.append(key)
            continue
        rows.append(np.mean([np.asarray(kv[t], dtype=np.float64) for t in tokens], axis=0))
    if missing:
        raise ValueError(
            f"no word vector for {len(missing)} class(es): {missing!r} "
            "(a class name is looked up whole, then token by token; see zeroshash.semantics)"
        )
    return _stack(rows, classes)


def _from_mapping(mapping: Mapping, classes) -> np.ndarray:
    missing = [label for label in classes if label not in mapping]
    if missing:
        raise ValueError(
            f"word_vecs has no vector for {len(missing)} class(es): "
            f"{np.asarray(missing).tolist()!r}"
        )
    rows = [np.asarray(mapping[label], dtype=np.float64).ravel() for label in classes]
    return _stack(rows, classes)


def _from_callable(func: Callable, classes) -> np.ndarray:
    return _stack([np.asarray(func(label), dtype=np.float64).ravel() for label in classes], classes)


def class_embeddings(word_vecs, classes) -> np.ndarray:
    """Class vectors as an ``(n_classes, d)`` float64 array ordered like ``classes``.

    Parameters
    ----------
    word_vecs : array-like, dict, gensim KeyedVectors or callable
        * array of shape ``(n_classes, d)``: row ``i`` belongs to ``classes[i]``
          (``classes`` is ``np.unique(y)``, the order hashers store in ``classes_``);
        * mapping ``label -> vector``;
        * gensim ``KeyedVectors`` (or anything with ``key_to_index`` and ``[]``):
          labels are looked up by name under the class-name rule of this module;
        * callable ``label -> vector``.
    classes : array-like of shape (n_classes,)
        The class labels, sorted.

    Returns
    -------
    vectors : ndarray of shape (n_classes, d), dtype float64

    Raises
    ------
    ValueError
        If a class has no vector (all such classes are listed), if the rows disagree
        in length, if the array has the wrong number of rows, or if a vector holds
        NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.semantics import class_embeddings
    >>> class_embeddings({"cat": [1.0, 0.0], "dog": [0.0, 1.0]}, np.array(["cat", "dog"]))
    array([[1., 0.],
           [0., 1.]])
    """
    classes = np.asarray(classes)
    if hasattr(word_vecs, "key_to_index"):
        vectors = _from_keyed_vectors(word_vecs, classes)
    elif isinstance(word_vecs, Mapping):
        vectors = _from_mapping(word_vecs, classes)
    elif callable(word_vecs):
        vectors = _from_callable(word_vecs, classes)
    else:
        vectors = np.asarray(word_vecs, dtype=np.float64)
        if vectors.ndim != 2:
            raise ValueError(
                f"word_vecs as an array must be 2-D (n_classes, d); got shape {vectors.shape}"
            )
        if vectors.shape[0] != classes.shape[0]:
            raise ValueError(
                f"word_vecs has {vectors.shape[0]} rows but y has {classes.shape[0]} classes; "
                "an array must hold one row per class of np.unique(y), in that order "
                "(pass a dict label -> vector when the classes of y vary, e.g. under CV)"
            )
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise ValueError(f"word vectors must be non-empty 1-D vectors; got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        bad = classes[~np.isfinite(vectors).all(axis=1)].tolist()
        raise ValueError(f"word vectors contain NaN or infinity for class(es) {bad!r}")
    return vectors
