"""Zero-shot protocol: seen/unseen class splits and the retrieval evaluation loop.

The retrieval protocol of the ZSH paper (Yang et al., 2016): some classes are held
out as *unseen*; queries are images of unseen classes; the database holds every
other image, of seen and unseen classes; hashers are trained on the seen-class
images of the database only, so neither the queries nor any unseen-class label is
ever used for training.

The *generalised* setting (as generalised zero-shot learning, Xian et al., TPAMI 2019)
also holds out some images of each seen class as queries, out of training and of the
database: :func:`evaluate` then reports unseen-class queries, seen-class queries, both
together, and the harmonic mean of the first two.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._bits import MAX_BITS
from ._progress import progress_bar
from .metrics import map_definition, map_scores, precision_within_radius, retrieval_scores

__all__ = [
    "ZeroShotProtocol",
    "ZeroShotRetrievalSplit",
    "ZeroShotSplit",
    "evaluate",
    "evaluation_rows",
    "make_retrieval_scorer",
    "seen_unseen_split",
    "zero_shot_retrieval_split",
]


def _check_int(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``, or a TypeError / ValueError naming it."""
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer {bounds}; got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {bounds}; got {value!r}")
    return int(value)


def _labels(y) -> np.ndarray:
    """1-D class labels, or a 2-D 0/1 indicator matrix (multi-label) as uint8."""
    if sparse.issparse(y):
        y = y.toarray()
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[1] == 0 or not np.isin(y, (0, 1)).all():
            raise ValueError(
                "a 2-D y is a multi-label indicator matrix (n_samples, n_classes) of 0 and 1"
                + ("; it has no columns" if y.shape[1] == 0 else
                   f"; got values {np.setdiff1d(np.unique(y), (0, 1))[:5].tolist()}")
            )
        return y.astype(np.uint8)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels or a 2-D multi-label "
                         f"indicator matrix; got shape {y.shape}")
    return y


def _classes(y: np.ndarray) -> np.ndarray:
    """The classes present: labels of a 1-D y, carried columns of an indicator matrix."""
    return np.flatnonzero(y.any(axis=0)) if y.ndim == 2 else np.unique(y)


def _members(y: np.ndarray, label) -> np.ndarray:
    """Positions of the samples of class ``label`` (carrying it, for multi-label y)."""
    return np.flatnonzero(y[:, label]) if y.ndim == 2 else np.flatnonzero(y == label)


def _carries(y: np.ndarray, classes) -> np.ndarray:
    """Mask of the samples of any of ``classes`` (carrying any of them, multi-label)."""
    classes = np.asarray(classes)
    if y.ndim == 2:
        return y[:, classes].any(axis=1) if classes.size else np.zeros(y.shape[0], bool)
    return np.isin(y, classes)


def seen_unseen_split(y, *, n_unseen: int | None = None, unseen=None, random_state=None):
    """Split the classes of ``y`` into seen and unseen classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class labels, or a 0/1 indicator matrix (multi-label: the classes are the
        columns carried by at least one sample).
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
    classes = _classes(_labels(y))
    if (n_unseen is None) == (unseen is None):
        raise ValueError("give exactly one of n_unseen and unseen")
    if unseen is not None:
        unseen = np.unique(np.asarray(unseen))
        unknown = np.setdiff1d(unseen, classes)
        if unknown.size:
            raise ValueError(f"unseen classes not present in y: {unknown.tolist()!r}")
    else:
        if isinstance(n_unseen, (bool, np.bool_)) or not isinstance(n_unseen, Integral) \
                or not 1 <= n_unseen < classes.size:
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
    #: Held-out queries of seen classes (the generalised setting); empty by default.
    seen_query: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def zero_shot_retrieval_split(
    y,
    *,
    n_unseen: int | None = 3,
    unseen=None,
    n_query_per_class: int = 100,
    n_train: int | None = None,
    n_seen_query_per_class: int = 0,
    random_state=None,
) -> ZeroShotRetrievalSplit:
    """Train / database / query indices under the ZSH retrieval protocol.

    Queries: ``n_query_per_class`` random images of each unseen class. Database:
    all other images (seen and unseen classes). Train: the seen-class images of
    the database (a random ``n_train`` of them if given). With
    ``n_seen_query_per_class > 0``, that many images of each seen class are held out
    as ``seen_query`` (out of the database and of training) for the generalised
    setting, where queries come from seen and unseen classes.

    Multi-label ``y`` (a 0/1 indicator matrix, one column a class): unseen *labels* are
    drawn; the queries are ``n_query_per_class`` images carrying each unseen label; the
    training images carry seen labels only (an image with any unseen label, or with
    none, is never trained on); relevance is sharing a label. Seen-class queries
    (``n_seen_query_per_class``) carry the seen label they are drawn for and no unseen
    one.

    The database indices come in a seeded random order. Rankings break distance
    ties by database position, so a database kept in the dataset's order -- the
    embedded datasets are sorted by class -- would let that order leak into the
    stable mAP (codes with many ties would look better or worse than they are).

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.model_selection import zero_shot_retrieval_split
    >>> y = np.repeat(np.arange(5), 20)
    >>> s = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=5, random_state=0)
    >>> len(s.query), len(s.database), len(s.train)
    (10, 90, 60)
    """
    y = _labels(y)
    _check_int(n_query_per_class, "n_query_per_class", 1)
    _check_int(n_seen_query_per_class, "n_seen_query_per_class", 0)
    if n_train is not None:
        _check_int(n_train, "n_train (None: all seen-class images)", 1)
    rng = check_random_state(random_state)
    if unseen is not None:
        n_unseen = None
    seen, unseen = seen_unseen_split(y, n_unseen=n_unseen, unseen=unseen, random_state=rng)
    taken = np.zeros(y.shape[0], dtype=bool)  # multi-label: an image is drawn once at most
    with_unseen = _carries(y, unseen)

    def draw(classes, per_class, kind, allowed):
        picked = []
        for label in classes:
            members = _members(y, label)
            members = members[allowed[members] & ~taken[members]]
            if members.size <= per_class:
                raise ValueError(
                    f"{kind} class {label!r} has {members.size} images"
                    + (" left to draw from" if y.ndim == 2 else "")
                    + f"; need more than {per_class} queries per class to leave some in "
                    "the database"
                )
            chosen = rng.choice(members, size=per_class, replace=False)
            taken[chosen] = True
            picked.append(chosen)
        return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)

    query = draw(unseen, n_query_per_class, "unseen", np.ones(y.shape[0], dtype=bool))
    seen_query = (draw(seen, n_seen_query_per_class, "seen", ~with_unseen)
                  if n_seen_query_per_class else np.zeros(0, dtype=np.int64))
    database = np.setdiff1d(np.arange(y.shape[0]), np.concatenate([query, seen_query]))
    trainable = ~with_unseen & (y.any(axis=1) if y.ndim == 2 else True)
    train = database[trainable[database]]
    if n_train is not None and n_train < train.size:
        train = np.sort(rng.choice(train, size=n_train, replace=False))
    # Ranking ties are broken by database position: a database in the dataset's own
    # order (often sorted by class) would bias that tie-break, so it is shuffled.
    database = rng.permutation(database)
    return ZeroShotRetrievalSplit(train, database, query, seen, unseen, seen_query)


class ZeroShotProtocol:
    """Repeated zero-shot retrieval splits (the ZSH protocol), one per seed.

    Parameters
    ----------
    n_splits : int, default=5
    n_unseen : int, default=3
        Unseen classes drawn afresh for each split.
    n_query_per_class : int, default=100
    n_train : int or None, default=None
    random_state : int or None, default=0
        Split ``i`` uses seed ``random_state + i`` (None: unseeded).

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.model_selection import ZeroShotProtocol
    >>> y = np.repeat(np.arange(6), 20)
    >>> splits = list(ZeroShotProtocol(n_splits=2, n_unseen=2, n_query_per_class=5).split(y))
    >>> [len(s.query) for s in splits]
    [10, 10]
    """

    def __init__(self, n_splits: int = 5, *, n_unseen: int = 3, n_query_per_class: int = 100,
                 n_train: int | None = None, random_state: int | None = 0):
        self.n_splits = n_splits
        self.n_unseen = n_unseen
        self.n_query_per_class = n_query_per_class
        self.n_train = n_train
        self.random_state = random_state

    def split(self, y):
        """Yield one :class:`ZeroShotRetrievalSplit` per seed."""
        _check_int(self.n_splits, "n_splits", 1)
        for i in range(self.n_splits):
            seed = None if self.random_state is None else self.random_state + i
            yield zero_shot_retrieval_split(
                y, n_unseen=self.n_unseen, n_query_per_class=self.n_query_per_class,
                n_train=self.n_train, random_state=seed,
            )


class ZeroShotSplit:
    """Cross-validator with class-disjoint folds: test classes are never trained on.

    For model selection under the zero-shot setting, on *seen* classes only: each
    fold holds out some classes as pseudo-unseen (test) and trains on the others.
    With ``n_unseen=None`` the classes are shuffled and partitioned into
    ``n_splits`` groups, each held out once (as ``GroupKFold`` over classes);
    with ``n_unseen`` set, every split draws that many held-out classes at random.
    With a multi-label ``y`` (0/1 indicator matrix), a sample carrying any held-out
    label is a test sample, and the training samples carry kept labels only (samples
    with no label are in neither).

    Parameters
    ----------
    n_splits : int, default=5
    n_unseen : int or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.model_selection import ZeroShotSplit
    >>> y = np.repeat(np.arange(4), 3)
    >>> for train, test in ZeroShotSplit(n_splits=2, random_state=0).split(None, y):
    ...     print(np.unique(y[train]), np.unique(y[test]))
    [0 1] [2 3]
    [2 3] [0 1]
    """

    def __init__(self, n_splits: int = 5, *, n_unseen: int | None = None, random_state=None):
        self.n_splits = n_splits
        self.n_unseen = n_unseen
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X, y, groups=None):
        """Yield (train, test) index arrays whose classes are disjoint."""
        if y is None:
            raise ValueError("ZeroShotSplit needs y: folds are made of whole classes")
        y = _labels(y)
        if X is not None and len(X) != y.shape[0]:
            raise ValueError(f"X has {len(X)} rows but y has {y.shape[0]} labels")
        classes = _classes(y)
        rng = check_random_state(self.random_state)
        if not isinstance(self.n_splits, Integral) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an integer >= 2; got {self.n_splits!r}")
        if self.n_unseen is None:
            if self.n_splits > classes.size:
                raise ValueError(
                    f"n_splits={self.n_splits} exceeds the {classes.size} classes of y"
                )
            held_out = np.array_split(rng.permutation(classes), self.n_splits)
        else:
            held_out = [
                seen_unseen_split(y, n_unseen=self.n_unseen, random_state=rng)[1]
                for _ in range(self.n_splits)
            ]
        labelled = y.any(axis=1) if y.ndim == 2 else np.ones(y.shape[0], dtype=bool)
        for test_classes in held_out:
            test_mask = _carries(y, test_classes)
            yield np.flatnonzero(~test_mask & labelled), np.flatnonzero(test_mask)


def make_retrieval_scorer(*, metric: str = "map", query_fraction: float = 0.2,
                          radius: int = 2, random_state: int = 0):
    """A scorer ``(hasher, X, y) -> float`` for ``GridSearchCV(scoring=...)``.

    The fitted hasher encodes the held-out items; a seeded ``query_fraction`` of them
    are queries and the rest the database (queries never retrieve themselves). With a
    class-disjoint cross-validator (:class:`ZeroShotSplit`) this is mAP on classes the
    hasher did not see.

    Parameters
    ----------
    metric : str, default="map"
        ``"precision_radius"``, or a mAP definition of
        :data:`zeroshash.metrics.MAP_DEFINITIONS` (``"map"``, ``"map_tie_aware"``,
        ``"map_zsh"``, ``"map@1000"``, ...; any ``"map@K"``).
    query_fraction : float in (0, 1), default=0.2
    radius : int, default=2
        For ``"precision_radius"``.
    random_state : int, default=0
        Seeds the query/database split of each fold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from zeroshash import PCAHasher
    >>> from zeroshash.model_selection import ZeroShotSplit, make_retrieval_scorer
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat(np.arange(6), 30)
    >>> X = rng.randn(6, 12)[y] * 3 + rng.randn(180, 12)
    >>> search = GridSearchCV(PCAHasher(), {"bits": [4, 8]}, scoring=make_retrieval_scorer(),
    ...                       cv=ZeroShotSplit(n_splits=3, random_state=0)).fit(X, y)
    >>> search.best_params_["bits"] in (4, 8)
    True
    """
    if metric != "precision_radius":
        try:
            definition = map_definition(metric)
        except (TypeError, ValueError) as error:
            raise ValueError(f"unknown metric {metric!r}: {error}") from None
    if isinstance(query_fraction, bool) or not isinstance(query_fraction, Real):
        raise TypeError(f"query_fraction must be a number in (0, 1); got {query_fraction!r}")
    if not 0 < query_fraction < 1:
        raise ValueError(f"query_fraction must lie in (0, 1); got {query_fraction}")
    _check_int(radius, "radius", 0)  # here, not after the first fold's fit

    def score(hasher, X, y) -> float:
        y = np.asarray(y)
        order = np.random.RandomState(random_state).permutation(y.shape[0])
        n_query = max(1, int(round(query_fraction * y.shape[0])))
        query, database = np.sort(order[:n_query]), np.sort(order[n_query:])
        codes = hasher.transform(X)
        args = (codes[query], codes[database], y[query], y[database])
        if metric == "precision_radius":
            return precision_within_radius(*args, radius=radius)
        return map_scores(*args, definitions=[definition])[definition.name]

    return score


def evaluate(hashers: dict, X, y, split: ZeroShotRetrievalSplit, *, bits=(16, 32, 64),
             word_vecs=None, radius: int = 2, X_query=None,
             maps=("map", "map_tie_aware")) -> list[dict]:
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
        array must be ordered like ``np.unique(y[split.train])``. The hashers that do
        not (``_uses_word_vecs`` false, e.g. LSH or ITQ) are fitted without them, so one
        call can score the whole family without their "word_vecs is ignored" warning.
    radius : int
        Hamming radius for the precision column.
    X_query : array-like, optional
        A second modality for cross-modal retrieval (e.g. sketches or edge maps),
        row ``i`` paired with ``X[i]``. When given, the queries are
        ``X_query[split.query]`` and the database stays ``X[split.database]``.
        Hashers with a query-side encoder (``transform_query``, e.g.
        :class:`~zeroshash.CrossModalHasher`) are fitted with
        ``X_query=X_query[split.train]`` and encode the queries with it; any other
        hasher is fitted on ``X`` alone and encodes both modalities with its one
        hash function (the single-modality baseline).
    maps : iterable of str, default=("map", "map_tie_aware")
        The mAP definitions to report, by name (:data:`zeroshash.metrics.MAP_DEFINITIONS`:
        ``"map"`` mAP@all with ties by database position, ``"map_tie_aware"``,
        ``"map_zsh"`` the published ZSH code's, ``"map@1000"``, any ``"map@K"``, ...).

    Returns
    -------
    rows : list of dict
        Keys: method, bits, one per definition of ``maps`` (unseen-class queries),
        precision_r (within ``radius``), fit_seconds, encode_seconds. When
        ``split.seen_query`` is not empty (the generalised setting,
        ``zero_shot_retrieval_split(n_seen_query_per_class=...)``), every score ``s``
        also comes as ``s_seen`` (the held-out seen-class queries), ``s_all`` (both
        query sets together) and ``s_h``, the harmonic mean of ``s`` and ``s_seen``
        (0 when either is 0), which is high only when both are.

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
    if isinstance(bits, Iterable) and not isinstance(bits, str):
        bits = tuple(bits)  # read once, whatever the iterable
    rows_iter = evaluation_rows(hashers, X, y, split, bits=bits, word_vecs=word_vecs,
                                radius=radius, X_query=X_query, maps=maps)  # checks inputs
    rows = []
    with progress_bar(total=len(hashers) * len(bits), desc="evaluate", unit="fit") as bar:
        for row in rows_iter:
            rows.append(row)
            bar.set_postfix(method=row["method"], bits=row["bits"], refresh=False)
            bar.update()
    return rows


def evaluation_rows(hashers: dict, X, y, split: ZeroShotRetrievalSplit, *, bits=(16, 32, 64),
                    word_vecs=None, radius: int = 2, X_query=None,
                    maps=("map", "map_tie_aware")):
    """:func:`evaluate` one row at a time: yields each row as soon as it is measured.

    The same parameters and rows as :func:`evaluate` (which adds a progress bar on a
    terminal); for printing or saving results while the rest is still running. The
    inputs are checked at the call, before the first row. Example: the command line's
    ``demo`` (:mod:`zeroshash.cli`) prints each row as it comes.
    """
    if not isinstance(hashers, Mapping):
        raise TypeError(f"hashers must be a dict name -> hasher; got {type(hashers).__name__}")
    for name, hasher in hashers.items():
        if not callable(getattr(hasher, "get_params", None)):
            raise TypeError(f"hashers[{name!r}] is a {type(hasher).__name__}, not a hasher")
    if not isinstance(bits, Iterable) or isinstance(bits, str):
        raise TypeError(f"bits must be an iterable of code lengths such as (16, 32); got "
                        f"{bits!r}")
    bits = tuple(_check_int(b, "every code length in bits", 1, MAX_BITS) for b in bits)
    _check_int(radius, "radius", 0)
    if isinstance(maps, str) or not isinstance(maps, Iterable):
        raise TypeError(f"maps must be an iterable of mAP definition names such as "
                        f"('map', 'map_zsh'); got {maps!r}")
    maps = tuple(map_definition(name).name for name in maps)
    if not maps or len(set(maps)) != len(maps):
        raise ValueError(f"maps must name at least one mAP definition, each once; got {maps}")
    if not isinstance(split, ZeroShotRetrievalSplit):
        raise TypeError(f"split must be a ZeroShotRetrievalSplit; got {type(split).__name__}")
    X = np.asarray(X)
    y = _labels(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    largest = max((int(part.max()) for part in
                   (split.train, split.database, split.query, split.seen_query) if part.size),
                  default=-1)
    if largest >= y.shape[0]:
        raise ValueError(f"split indexes item {largest}, but X and y hold {y.shape[0]} items: "
                         "the split was made for other data")
    if X_query is not None:
        X_query = np.asarray(X_query)
        if X_query.shape[0] != X.shape[0]:
            raise ValueError(f"X_query has {X_query.shape[0]} rows but X has {X.shape[0]}; "
                             "row i of each must be the same item")
    return _rows(hashers, X, y, split, bits, word_vecs, radius, X_query, maps)


def _scores_by_query_set(query_codes, db_codes, query_labels, db_labels, n_unseen: int, *,
                        radius: int = 2, maps=("map", "map_tie_aware")) -> dict:
    """:func:`~zeroshash.metrics.retrieval_scores` of the unseen, seen and all queries.

    The first ``n_unseen`` query rows are the unseen-class queries, the rest the
    held-out seen-class queries. Returns ``{"unseen": scores}``, plus ``"seen"`` and
    ``"all"`` (both sets together) when there are seen-class queries.
    """
    parts = {"unseen": slice(0, n_unseen)}
    if len(query_labels) > n_unseen:
        parts.update(seen=slice(n_unseen, None), all=slice(None))
    query_labels = np.asarray(query_labels)
    return {
        part: retrieval_scores(query_codes[rows], db_codes, query_labels[rows], db_labels,
                               radius=radius, maps=maps)
        for part, rows in parts.items()
    }


def _harmonic_mean(a: float, b: float) -> float:
    return 2.0 * a * b / (a + b) if a > 0 and b > 0 else 0.0


def _rows(hashers, X, y, split, bits, word_vecs, radius, X_query, maps):
    generalised = split.seen_query.size > 0
    for name, hasher in hashers.items():
        cross_modal = X_query is not None and hasattr(hasher, "transform_query")
        for n_bits in bits:
            model = clone(hasher).set_params(bits=n_bits)
            fit_params = {"X_query": X_query[split.train]} if cross_modal else {}
            uses_word_vecs = getattr(model, "_uses_word_vecs", True)
            start = time.perf_counter()
            model.fit(X[split.train], y[split.train],
                      word_vecs=word_vecs if uses_word_vecs else None, **fit_params)
            fit_seconds = time.perf_counter() - start
            start = time.perf_counter()
            db_codes = model.transform(X[split.database])
            queries = np.concatenate([split.query, split.seen_query]).astype(np.int64)
            if X_query is None:
                query_codes = model.transform(X[queries])
            elif cross_modal:
                query_codes = model.transform_query(X_query[queries])
            else:
                query_codes = model.transform(X_query[queries])
            encode_seconds = time.perf_counter() - start
            by_part = _scores_by_query_set(query_codes, db_codes, y[queries], y[split.database],
                                          split.query.size, radius=radius, maps=maps)
            scores = by_part["unseen"]
            if generalised:
                seen, both = by_part["seen"], by_part["all"]
                scores.update({f"{k}_seen": v for k, v in seen.items()})
                scores.update({f"{k}_all": v for k, v in both.items()})
                scores.update({f"{k}_h": _harmonic_mean(scores[k], seen[k]) for k in seen})
            yield (
                {
                    "method": name,
                    "bits": n_bits,
                    **scores,
                    "fit_seconds": fit_seconds,
                    "encode_seconds": encode_seconds,
                }
            )
