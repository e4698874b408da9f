"""Semantic class vectors: the one place where word vectors are normalised.

Every hasher that embeds classes calls :func:`class_embeddings`, which turns any of
the accepted sources into an ``(n_classes, d)`` float64 matrix ordered like the
sorted class labels (``np.unique(y)``).

Class-name rule (used for gensim ``KeyedVectors`` and for the embedded datasets):
a name is lower-cased and split on whitespace, ``/`` and ``_``; a token holding
``-`` is kept whole when it is in the vocabulary and split on ``-`` otherwise; the
class vector is the mean of its token vectors. A name with any token outside the
vocabulary is *missing*; all missing names are reported in one error. The documented
fallback is fastText: its vectors (:func:`load_word_vectors` on a ``.bin`` model) build
a vector for any token from its character n-grams, so no name is missing.

Attribute matrices (class x attribute, as in AwA, CUB or SUN) are the other semantic
source: pass one as the array form.

Array rule (word-vector and attribute matrices alike): an array with
exactly one row per class of ``classes`` (``np.unique(y)``) is used as is, row ``i``
for ``classes[i]``; this layout takes precedence. Otherwise, when every class is an
integer label in ``0 .. n_rows - 1`` (labels of an integer dtype, or numbers with
integral values such as ``3.0``), row ``c`` is the vector of label ``c``: the rows of
the classes present are picked by label, so one matrix for all the labels of a
dataset (``load_animals().class_vectors``) serves a fit on any subset of them, such
as the seen classes or a cross-validation fold. Where both layouts apply they agree
(the classes are then exactly ``0 .. n_rows - 1``). Any other array is a ValueError
that names both layouts.

Path rule: a ``str`` or path-like source is always a path to a word-vector file, never a
class name. The file is read with :func:`load_word_vectors` (format sniffed) and the
classes are looked up by name as in a gensim ``KeyedVectors``; a missing file is a
FileNotFoundError naming the path.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Callable, Mapping

import numpy as np
from scipy import sparse

__all__ = ["class_embeddings", "class_name_tokens", "load_word_vectors"]

# First int32 of a Facebook fastText .bin file (fastText's FASTTEXT_FILEFORMAT_MAGIC_INT32).
_FASTTEXT_MAGIC = 793712314
_FORMATS = ("auto", "word2vec", "word2vec-binary", "glove", "fasttext")


def _sniff_format(path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) == 4 and int.from_bytes(head, "little", signed=True) == _FASTTEXT_MAGIC:
            return "fasttext"
        f.seek(0)
        first = f.readline(4096)
    if b"\0" in first or not first.endswith(b"\n"):
        return "word2vec-binary"
    fields = first.split()
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        # "count dim" header: word2vec text, or a binary file whose first record follows.
        return "word2vec"
    return "glove"


def load_word_vectors(path, *, format: str = "auto", limit: int | None = None):
    """Word vectors from a word2vec, GloVe or fastText file, through gensim.

    Parameters
    ----------
    path : str or path-like
    format : {"auto", "word2vec", "word2vec-binary", "glove", "fasttext"}, default="auto"
        "word2vec": text with a "count dim" header (``.vec`` files too); "word2vec-binary":
        Google's binary format; "glove": text without a header; "fasttext": a Facebook
        fastText ``.bin`` model, whose subword vectors also give vectors for
        out-of-vocabulary words (class names missing from the vocabulary then resolve
        instead of raising). "auto" reads the file's first bytes to decide, except
        that a word2vec binary and text file with headers are told apart by the bytes
        that follow, so pass the format explicitly when in doubt.
    limit : int, optional
        Read only the first ``limit`` vectors (not for fastText).

    Returns
    -------
    vectors : gensim.models.KeyedVectors (FastTextKeyedVectors for fastText)

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, an unknown format, a ``limit`` that is not a positive integer,
        or a file gensim cannot parse (the path and the format tried are named).

    Examples
    --------
    >>> from gensim.test.utils import datapath
    >>> from zeroshash.semantics import load_word_vectors
    >>> kv = load_word_vectors(datapath("lee_fasttext.vec"))
    >>> kv.vector_size
    10
    """
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import load_facebook_vectors

    if format not in _FORMATS:
        raise ValueError(f"format must be one of {_FORMATS}; got {format!r}")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1
    ):
        raise ValueError(f"limit must be None or a positive integer; got {limit!r}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no word-vector file at {path!r}")
    if format == "auto":
        format = _sniff_format(path)
        if format == "word2vec":
            with open(path, "rb") as f:
                f.readline()
                second = f.readline(4096)
            if b"\0" in second or not second.endswith(b"\n"):
                format = "word2vec-binary"
    try:
        if format == "fasttext":
            if limit is not None:
                raise ValueError("limit is not supported for fastText models")
            return load_facebook_vectors(path)
        return KeyedVectors.load_word2vec_format(
            path, binary=format == "word2vec-binary", no_header=format == "glove", limit=limit
        )
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise ValueError(f"cannot read {path!r} as {format} word vectors: {exc}") from exc

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


class _SubwordVocabulary:
    """Every token counts as known: fastText builds vectors for any word from subwords."""

    def __contains__(self, token) -> bool:
        return True


def _absent_tokens(name: str, vocabulary) -> list[str]:
    """The tokens of ``name`` (as :func:`class_name_tokens` splits it) not in ``vocabulary``."""
    absent = []
    for part in _SPLIT.split(str(name).lower()):
        pieces = [part] if part in vocabulary or "-" not in part else part.split("-")
        absent += [p for p in pieces if p and p not in vocabulary]
    return absent


def _from_keyed_vectors(kv, classes, source: str = "the word vectors") -> np.ndarray:
    # fastText KeyedVectors (bucket > 0) resolve out-of-vocabulary tokens from subwords.
    vocabulary = _SubwordVocabulary() if getattr(kv, "bucket", 0) else kv.key_to_index
    rows, missing = [], []
    for label in classes:
        key = str(label)
        if key in kv.key_to_index:
            rows.append(np.asarray(kv[key], dtype=np.float64))
            continue
        tokens = class_name_tokens(key, vocabulary)
        if tokens is None:
            absent = _absent_tokens(key, vocabulary)
            missing.append(f"{key!r} (missing: {', '.join(absent)})" if absent else repr(key))
            continue
        rows.append(np.mean([np.asarray(kv[t], dtype=np.float64) for t in tokens], axis=0))
    if missing:
        raise ValueError(
            f"{source} hold(s) no vector for {len(missing)} class(es): {'; '.join(missing)} "
            "(a class name is looked up whole, then token by token; see zeroshash.semantics)"
        )
    return _stack(rows, classes)


def _class_vector(value, label) -> np.ndarray:
    """One class's vector from a mapping or callable: real numbers, 1-D (or one row)."""
    arr = np.asarray(value)
    label = label.item() if isinstance(label, np.generic) else label
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"word_vecs gave the class {label!r} a {arr.dtype} value of shape {arr.shape}; a "
            "class vector holds real numbers"
        )
    if arr.ndim != 1 and not (arr.ndim == 2 and arr.shape[0] == 1):
        raise ValueError(
            f"word_vecs gave the class {label!r} an array of shape {arr.shape}; a class vector "
            "is 1-D (d,) or one row (1, d)"
        )
    return arr.astype(np.float64).ravel()


def _missing_classes(missing) -> ValueError:
    return ValueError(
        f"word_vecs has no vector for {len(missing)} class(es): {np.asarray(missing).tolist()!r}"
    )


def _from_mapping(mapping: Mapping, classes) -> np.ndarray:
    missing = [label for label in classes if label not in mapping or mapping[label] is None]
    if missing:
        raise _missing_classes(missing)
    return _stack([_class_vector(mapping[label], label) for label in classes], classes)


def _from_callable(func: Callable, classes) -> np.ndarray:
    # None (``dict.get`` of an absent key) means no vector, as a missing mapping key does.
    values = [func(label) for label in classes]
    missing = [label for label, value in zip(classes, values) if value is None]
    if missing:
        raise _missing_classes(missing)
    return _stack([_class_vector(v, label) for label, v in zip(classes, values)], classes)


def _integer_labels(classes) -> np.ndarray | None:
    """``classes`` as int64 when every class is an integer label (integral value), else None."""
    if classes.dtype.kind == "O" and all(
        isinstance(c, numbers.Real) and not isinstance(c, (bool, np.bool_)) for c in classes
    ):
        classes = np.asarray(classes.tolist(), dtype=np.float64)
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f" and np.isfinite(classes).all() and (classes % 1 == 0).all():
        return classes.astype(np.int64)
    return None


def _from_array(word_vecs, classes) -> np.ndarray:
    if sparse.issparse(word_vecs):
        raise TypeError(
            f"word_vecs is a scipy sparse {type(word_vecs).__name__}; class vectors are a dense "
            "(n_classes, d) array (call .toarray())"
        )
    vectors = np.asarray(word_vecs)
    try:
        if vectors.dtype.kind not in "biufO":
            raise TypeError(vectors.dtype)
        vectors = vectors.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"word_vecs as an array must hold real numbers; got dtype {vectors.dtype} "
            f"(shape {vectors.shape})"
        ) from None
    if vectors.ndim != 2:
        raise ValueError(
            f"word_vecs as an array must be 2-D (n_classes, d); got shape {vectors.shape}"
        )
    n_rows, n_classes = vectors.shape[0], classes.shape[0]
    if n_rows == n_classes:
        return vectors
    labels = _integer_labels(classes)
    if labels is not None and labels.size and labels.min() >= 0 and labels.max() < n_rows:
        return vectors[labels]
    if labels is None:
        found = f"labels such as {classes.tolist()[0]!r}, not integers"
    elif labels.size == 0:
        found = "no labels"
    else:
        found = f"integer labels {labels.min()}..{labels.max()}"
    raise ValueError(
        f"word_vecs has {n_rows} rows but y has {n_classes} classes ({found}); an array must "
        f"hold either one row per class of np.unique(y), in that order ({n_classes} rows), "
        f"or one row per integer label, row c for label c (labels within 0..{n_rows - 1} "
        f"for {n_rows} rows)"
    )


def _from_path(path, classes) -> np.ndarray:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"word_vecs={path!r} is read as the path of a word-vector file (a str source is "
            "always a path, never a class name), but there is no file at that path"
        )
    return _from_keyed_vectors(load_word_vectors(path), classes, source=repr(path))


def class_embeddings(word_vecs, classes) -> np.ndarray:
    """Class vectors as an ``(n_classes, d)`` float64 array ordered like ``classes``.

    Parameters
    ----------
    word_vecs : array-like, dict, gensim KeyedVectors, callable, str or path-like
        * array of shape ``(n_rows, d)``: an array with exactly one row per class of
          ``classes`` is used as is, row ``i`` for ``classes[i]`` (``classes`` is
          ``np.unique(y)``, the order hashers store in ``classes_``); this layout takes
          precedence. Otherwise, when every class is an integer label in
          ``0 .. n_rows - 1`` (integer dtype labels, or integral values), row ``c`` is
          the vector of label ``c`` (rows picked by label), so one matrix for all of a
          dataset's labels serves a fit on any subset of them;
        * mapping ``label -> vector``;
        * gensim ``KeyedVectors`` (or anything with ``key_to_index`` and ``[]``):
          labels are looked up by name under the class-name rule of this module;
        * callable ``label -> vector``;
        * ``str`` or path-like: always the path of a word-vector file (never a class
          name), read with :func:`load_word_vectors` (format sniffed); labels are then
          looked up by name as for ``KeyedVectors``.
    classes : array-like of shape (n_classes,)
        The class labels, sorted.

    Returns
    -------
    vectors : ndarray of shape (n_classes, d), dtype float64

    Raises
    ------
    ValueError
        If a class has no vector (all such classes are listed; a mapping value or a
        callable's result of None counts as no vector), if the rows disagree in
        length, if an array fits neither layout (both are named, with the array's row
        count and the number and range of the classes), if a vector holds NaN or
        infinity, or values that are not real numbers, or if a class's vector from a
        mapping or callable is not 1-D (a single ``(1, d)`` row is accepted).
    TypeError
        If the array is a scipy sparse matrix (class vectors are dense).
    FileNotFoundError
        If a str or path-like source names no file.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.semantics import class_embeddings
    >>> class_embeddings({"cat": [1.0, 0.0], "dog": [0.0, 1.0]}, np.array(["cat", "dog"]))
    array([[1., 0.],
           [0., 1.]])

    A matrix with one row per label, for a ``y`` that holds labels 0 and 2 only:

    >>> per_label = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> class_embeddings(per_label, np.array([0, 2]))
    array([[1., 0.],
           [1., 1.]])

    A word-vector file, given by its path:

    >>> from gensim.test.utils import datapath
    >>> class_embeddings(datapath("lee_fasttext.vec"), np.array(["the", "of"])).shape
    (2, 10)
    """
    classes = np.asarray(classes)
    if isinstance(word_vecs, (str, os.PathLike)):
        vectors = _from_path(word_vecs, classes)
    elif hasattr(word_vecs, "key_to_index"):
        vectors = _from_keyed_vectors(word_vecs, classes)
    elif isinstance(word_vecs, Mapping):
        vectors = _from_mapping(word_vecs, classes)
    elif callable(word_vecs):
        vectors = _from_callable(word_vecs, classes)
    else:
        vectors = _from_array(word_vecs, classes)
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise ValueError(f"word vectors must be non-empty 1-D vectors; got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        bad = classes[~np.isfinite(vectors).all(axis=1)].tolist()
        raise ValueError(f"word vectors contain NaN or infinity for class(es) {bad!r}")
    return vectors
