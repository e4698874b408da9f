"""Zero-shot protocol: seen/unseen class splits and the retrieval evaluation loop.

The retrieval protocol of the ZSH paper (Yang et al., 2016): some classes are held
out as *unseen*; queries are images of unseen classes; the database holds every
other image, of seen and unseen classes; hashers are trained on the seen-class
images of the database only, so neither the queries nor any unseen-class label is
ever used for training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from .metrics import mean_average_precision, precision_within_radius

__all__ = ["ZeroShotRetrievalSplit", "evaluate", "seen_unseen_split", "zero_shot_retrieval_split"]


def seen_unseen_split(y, *, n_unseen: int | None = None, unseen=None, random_state=None):
    """Split the classes of ``y`` into seen and unseen classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    n_unseen : int, optional
        Number of classes to draw at random as unseen.
    unseen : array-like, optional
        The unseen classes, given explicitly (exclusive with ``n_unseen``).
    random_state : int, RandomState instance or None
        Seeds the draw of ``n_unseen`` classes.

    Returns
    -------
    seen_classes, unseen_classes : ndarray, sorted

    Examples
    --------
    >>> from zeroshash.model_selection import seen_unseen_split
    >>> seen_unseen_split([0, 1, 2, 3, 3], unseen=[1, 3])
    (array([0, 2]), array([1, 3]))
    """
    classes = np.unique(np.asarray(y))
    if (n_unseen is None) == (unseen is None):
        raise ValueError("give exactly one of n_unseen and unseen")
    if unseen is not None:
        unseen = np.unique(np.asarray(unseen))
        unknown = np.setdiff1d(unseen, classes)
        if unknown.size:
            raise ValueError(f"unseen classes not present in y: {unknown.tolist()!r}")
    else:
        if not isinstance(n_unseen, Integral) or not 1 <= n_unseen < classes.size:
            raise ValueError(
                f"n_unseen must be an integer in [1, {classes.size - 1}] for "
                f"{classes.size} classes; got {n_unseen!r}"
            )
        rng = check_random_state(random_state)
        unseen = np.sort(rng.choice(classes, size=n_unseen, replace=False))
    seen = np.setdiff1d(classes, unseen)
    if seen.size == 0:
        raise ValueError("every class is unseen: no class is left to train on")
    return seen, unseen


@dataclass(frozen=True)
class ZeroShotRetrievalSplit:
    """Index sets of one zero-shot retrieval split (positions into ``y``)."""

    train: np.ndarray
    database: np.ndarray
    query: np.ndarray
    seen_classes: np.ndarray
    unseen_classes: np.ndarray


def zero_shot_retrieval_split(
    y,
    *,
    n_unseen: int | None = 3,
    unseen=None,
    n_query_per_class: int = 100,
    n_train: int | None = None,
    random_state=None,
) -> ZeroShotRetrievalSplit:
    """Train / database / query indices under the ZSH retrieval protocol.

    Queries: ``n_query_per_class`` random images of each unseen class. Database:
    all other images (seen and unseen classes). Train: the seen-class images of
    the database (a random ``n_train`` of them if given).

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.model_selection import zero_shot_retrieval_split
    >>> y = np.repeat(np.arange(5), 20)
    >>> s = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=5, random_state=0)
    >>> len(s.query), len(s.database), len(s.train)
    (10, 90, 60)
    """
    y = np.asarray(y)
    rng = check_random_state(random_state)
    if unseen is not None:
        n_unseen = None
    seen, unseen = seen_unseen_split(y, n_unseen=n_unseen, unseen=unseen, random_state=rng)
    query = []
    for label in unseen:
        members = np.flatnonzero(y == label)
        if members.size <= n_query_per_class:
            raise ValueError(
                f"unseen class {label!r} has {members.size} images; need more than "
                f"n_query_per_class={n_query_per_class} to leave some in the database"
            )
        query.append(rng.choice(members, size=n_query_per_class, replace=False))
    query = np.sort(np.concatenate(query))
    database = np.setdiff1d(np.arange(y.shape[0]), query)
    train = database[np.isin(y[database], seen)]
    if n_train is not None and n_train < train.size:
        train = np.sort(rng.choice(train, size=n_train, replace=False))
    return ZeroShotRetrievalSplit(train, database, query, seen, unseen)


def evaluate(hashers: dict, X, y, split: ZeroShotRetrievalSplit, *, bits=(16, 32, 64),
             word_vecs=None, radius: int = 2) -> list[dict]:
    """Fit each hasher at each code length on ``split.train`` and score retrieval.

    Parameters
    ----------
    hashers : dict name -> hasher
        Unfitted hashers; each is cloned and given ``bits`` per row.
    X, y : arrays
        All features and labels; the split's indices point into them.
    split : ZeroShotRetrievalSplit
    bits : iterable of int
    word_vecs : optional
        Class vectors for the hashers that use them (see ``BaseHasher.fit``); an
        array must be ordered like ``np.unique(y[split.train])``.
    radius : int
        Hamming radius for the precision column.

    Returns
    -------
    rows : list of dict
        Keys: method, bits, map (mAP@all), precision_r (within ``radius``),
        fit_seconds, encode_seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import LSHHasher
    >>> from zeroshash.model_selection import evaluate, zero_shot_retrieval_split
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat(np.arange(4), 30)
    >>> X = rng.randn(4, 10)[y] * 3 + rng.randn(120, 10)
    >>> split = zero_shot_retrieval_split(y, n_unseen=1, n_query_per_class=10, random_state=0)
    >>> rows = evaluate({"LSH": LSHHasher(random_state=0)}, X, y, split, bits=(8, 16))
    >>> [(row["method"], row["bits"]) for row in rows]
    [('LSH', 8), ('LSH', 16)]
    """
    X = np.asarray(X)
    y = np.asarray(y)
    rows = []
    for name, hasher in hashers.items():
        for n_bits in bits:
            model = clone(hasher).set_params(bits=n_bits)
            start = time.perf_counter()
            model.fit(X[split.train], y[split.train], word_vecs=word_vecs)
            fit_seconds = time.perf_counter() - start
            start = time.perf_counter()
            db_codes = model.transform(X[split.database])
            query_codes = model.transform(X[split.query])
            encode_seconds = time.perf_counter() - start
            rows.append(
                {
                    "method": name,
                    "bits": n_bits,
                    "map": mean_average_precision(
                        query_codes, db_codes, y[split.query], y[split.database]
                    ),
                    "precision_r": precision_within_radius(
                        query_codes, db_codes, y[split.query], y[split.database], radius=radius
                    ),
                    "fit_seconds": fit_seconds,
                    "encode_seconds": encode_seconds,
                }
            )
    return rows
