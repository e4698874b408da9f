"""Plots of Hamming retrieval, in scikit-learn's Display style.

Three displays, each a class that stores the computed values, draws them with
``plot(ax=None, ...)`` and remembers the artists (``ax_``, ``figure_``, ``line_`` ...);
the classmethods ``from_estimator`` and ``from_predictions`` (or ``from_evaluation``)
compute the values and plot in one call:

* :class:`PrecisionRecallDisplay` -- precision against recall of Hamming retrieval,
  one point per Hamming radius or per rank cut-off;
* :class:`CodeLengthCurveDisplay` -- a retrieval score against the code length, one
  line per method (the rows of :func:`zeroshash.model_selection.evaluate`);
* :class:`HammingDistanceDisplay` -- histograms of the Hamming distances from queries
  to relevant and to irrelevant database items, seen-class and unseen-class queries
  apart.

Codes are passed as in :mod:`zeroshash.metrics`: ``bits=None`` for 0/1 bit arrays
(``transform`` output), ``bits=N`` for packed codes of ``N`` bits (``encode`` output).

matplotlib is imported when something is drawn, never by ``import zeroshash.plotting``;
without it the displays raise an ImportError naming the extra to install
(``pip install "zeroshash[plot]"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._bits import pack_bits
from .metrics import (
    _check_bits,
    _check_labels,
    _packed_codes,
    mean_average_precision,
    precision_recall_by_radius,
    precision_recall_by_rank,
)

__all__ = [
    "CodeLengthCurveDisplay",
    "HammingDistanceDisplay",
    "PrecisionRecallDisplay",
    "default_ranks",
    "distance_histograms",
]

#: Axis labels of the scores in :func:`zeroshash.model_selection.evaluate`'s rows.
METRIC_LABELS = {
    "map": "unseen-class mAP@all (ties by database position)",
    "map_tie_aware": "unseen-class mAP@all (tie-aware)",
    "precision_r": "unseen-class precision within Hamming radius {radius}",
}

#: Largest number of (query, item) distances held at once by HammingDistanceDisplay.
_MAX_BLOCK_PAIRS = 1 << 22


def _check_matplotlib(caller: str) -> None:
    """ImportError naming the ``plot`` extra when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f'{caller} requires matplotlib; install it with: pip install "zeroshash[plot]"'
        ) from error


def _new_axes(ax):
    """``ax``, or the axes of a new figure; and its figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def _check_by(by: str) -> str:
    if by not in ("radius", "rank"):
        raise ValueError(f"by must be 'radius' or 'rank'; got {by!r}")
    return by


def default_ranks(n_database: int) -> np.ndarray:
    """The rank cut-offs of a precision--recall curve by rank over ``n_database`` items.

    About 100 cut-offs from 1 to ``n_database``: half spaced evenly on a log scale (the
    top of the ranking), half evenly on a linear scale (up to recall 1).

    Parameters
    ----------
    n_database : int
        Database size, ``>= 1``.

    Returns
    -------
    ranks : ndarray of int64, sorted, unique, from 1 to ``n_database``

    Examples
    --------
    >>> from zeroshash.plotting import default_ranks
    >>> default_ranks(5).tolist()
    [1, 2, 3, 4, 5]
    >>> ranks = default_ranks(10_000)
    >>> int(ranks[0]), int(ranks[-1]), len(ranks) <= 100
    (1, 10000, True)
    """
    if n_database < 1:
        raise ValueError(f"the database is empty: no rank cut-offs for {n_database} items")
    grid = np.concatenate([np.geomspace(1, n_database, 50), np.linspace(1, n_database, 50)])
    return np.unique(np.rint(grid).astype(np.int64))


def _query_codes(hasher, X_query, use_query_encoder: bool | None) -> np.ndarray:
    """Packed query codes: the query-side encoder where there is one (cross-modal hashers)."""
    has_encoder = hasattr(hasher, "transform_query")
    if use_query_encoder is None:
        use_query_encoder = has_encoder
    if use_query_encoder and not has_encoder:
        raise ValueError(
            f"use_query_encoder=True but {type(hasher).__name__} has no transform_query"
        )
    if use_query_encoder:
        return pack_bits(hasher.transform_query(X_query))
    return hasher.encode(X_query)


class PrecisionRecallDisplay:
    """Precision--recall curve of Hamming retrieval.

    One point per Hamming radius 0..bits (``by="radius"``: the items within the
    radius are retrieved; :func:`~zeroshash.metrics.precision_recall_by_radius`) or
    per rank cut-off N (``by="rank"``: the top N of the Hamming ranking, ties by
    database position; :func:`~zeroshash.metrics.precision_recall_by_rank`).
    Precision and recall are means over the queries; a query that retrieves nothing
    counts precision 0.

    Use :meth:`from_estimator` or :meth:`from_predictions` to compute and plot; the
    parameters are stored as attributes.

    Parameters
    ----------
    precision : ndarray of shape (n_points,)
    recall : ndarray of shape (n_points,)
    thresholds : ndarray of shape (n_points,), default=None
        The Hamming radii or the rank cut-offs of the points.
    by : {"radius", "rank"}, default="radius"
        What ``thresholds`` are.
    average_precision : float, default=None
        Shown in the legend as ``"name (mAP = 0.41)"``; the ``from_*`` methods store
        the tie-aware mAP@all (``mean_average_precision(..., ties="average")``).
    name : str, default=None
        Name of the curve in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    zeroshash.metrics.precision_recall_by_radius : The points by Hamming radius.
    zeroshash.metrics.precision_recall_by_rank : The points by rank cut-off.
    CodeLengthCurveDisplay : mAP against code length, several methods.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from zeroshash import PCAHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> from zeroshash.plotting import PrecisionRecallDisplay
    >>> X, y, _ = make_zero_shot_blobs(n_samples=300, random_state=0)
    >>> hasher = PCAHasher(bits=8).fit(X[:200])
    >>> display = PrecisionRecallDisplay.from_estimator(hasher, X[200:], y[200:], X[:200], y[:200])
    >>> display.thresholds.tolist()                            # the Hamming radii
    [0, 1, 2, 3, 4, 5, 6, 7, 8]
    >>> display.line_.get_label()
    'PCAHasher (mAP = 0.38)'
    """

    def __init__(self, precision: ArrayLike, recall: ArrayLike, *,
                 thresholds: ArrayLike | None = None, by: str = "radius",
                 average_precision: float | None = None, name: str | None = None):
        self.precision = precision
        self.recall = recall
        self.thresholds = thresholds
        self.by = by
        self.average_precision = average_precision
        self.name = name

    def plot(self, ax=None, *, name: str | None = None, **kwargs: Any) -> PrecisionRecallDisplay:
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.
        name : str, default=None
            Name of the curve in the legend; None: the display's ``name``.
        **kwargs : dict
            Passed to matplotlib's ``plot`` (over the defaults: dots at the points
            for ``by="radius"``).

        Returns
        -------
        display : PrecisionRecallDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        _check_by(self.by)
        self.ax_, self.figure_ = _new_axes(ax)
        name = self.name if name is None else name
        label = _curve_label(name, self.average_precision)
        style = {"marker": "o", "markersize": 3} if self.by == "radius" else {}
        if label is not None:
            style["label"] = label
        style.update(kwargs)
        (self.line_,) = self.ax_.plot(self.recall, self.precision, **style)
        self.ax_.set(xlabel="Recall", ylabel="Precision", xlim=(-0.01, 1.01), ylim=(-0.01, 1.01))
        if self.line_.get_label() and not self.line_.get_label().startswith("_"):
            self.ax_.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, hasher, X_query: ArrayLike, y_query: ArrayLike, X_db: ArrayLike,
                       y_db: ArrayLike, *, by: str = "radius", ranks: ArrayLike | None = None,
                       use_query_encoder: bool | None = None, name: str | None = None,
                       ax=None, **kwargs: Any) -> PrecisionRecallDisplay:
        """Encode queries and database with a fitted hasher, then plot their curve.

        Parameters
        ----------
        hasher : fitted hasher
            Its ``encode`` gives the database codes (and the query codes, see
            ``use_query_encoder``); its ``bits`` their length.
        X_query : array-like of shape (n_queries, n_features)
        y_query : array-like, 1-D labels or 2-D 0/1 indicator matrix
        X_db : array-like of shape (n_database, n_features)
        y_db : array-like, labels as ``y_query``
            Relevant: equal labels (1-D) or sharing a label (2-D).
        by : {"radius", "rank"}, default="radius"
            Points per Hamming radius 0..bits or per rank cut-off.
        ranks : array-like of int, default=None
            The cut-offs for ``by="rank"``; None: :func:`default_ranks` of the database
            size.
        use_query_encoder : bool or None, default=None
            How the queries are encoded. None: with ``hasher.transform_query`` if the
            hasher has one (a cross-modal hasher, whose queries are of the second
            modality, as in :func:`~zeroshash.model_selection.evaluate` with
            ``X_query``), else with ``hasher.encode``. True: with ``transform_query``
            (an error if there is none). False: with ``hasher.encode`` (queries of the
            database's modality).
        name : str, default=None
            Legend name; None: the hasher's class name.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to matplotlib's ``plot``.

        Returns
        -------
        display : PrecisionRecallDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        _check_by(by)
        query_codes = _query_codes(hasher, X_query, use_query_encoder)
        db_codes = hasher.encode(X_db)
        name = type(hasher).__name__ if name is None else name
        return cls.from_predictions(query_codes, db_codes, y_query, y_db, bits=hasher.bits,
                                    by=by, ranks=ranks, name=name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, query_codes: ArrayLike, db_codes: ArrayLike,
                         query_labels: ArrayLike, db_labels: ArrayLike, *,
                         bits: int | None = None, by: str = "radius",
                         ranks: ArrayLike | None = None, name: str | None = None, ax=None,
                         **kwargs: Any) -> PrecisionRecallDisplay:
        """Plot the curve of given codes.

        Parameters
        ----------
        query_codes : array-like of shape (n_queries, n_bits) or (n_queries, ceil(bits / 8))
            0/1 bits, or packed uint8 codes when ``bits`` is given.
        db_codes : array-like of shape (n_database, n_bits) or (n_database, ceil(bits / 8))
        query_labels, db_labels : array-like, 1-D labels or 2-D 0/1 indicator matrices
        bits : int or None, default=None
            None: the codes are 0/1 bit arrays; an int: packed codes of that many bits
            (see :mod:`zeroshash.metrics`).
        by : {"radius", "rank"}, default="radius"
        ranks : array-like of int, default=None
            The cut-offs for ``by="rank"``; None: :func:`default_ranks`.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to matplotlib's ``plot``.

        Returns
        -------
        display : PrecisionRecallDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        _check_by(by)
        if by == "radius" and ranks is not None:
            raise ValueError("ranks are the cut-offs of by='rank'; by='radius' takes none")
        args = (query_codes, db_codes, query_labels, db_labels)
        if by == "radius":
            thresholds, precision, recall = precision_recall_by_radius(*args, bits=bits)
        else:
            if ranks is None:
                ranks = default_ranks(np.asarray(db_codes).shape[0])
            thresholds, precision, recall = precision_recall_by_rank(*args, ranks=ranks,
                                                                     bits=bits)
        average_precision = mean_average_precision(*args, ties="average", bits=bits)
        display = cls(precision, recall, thresholds=thresholds, by=by,
                      average_precision=average_precision, name=name)
        return display.plot(ax=ax, **kwargs)


def _curve_label(name: str | None, average_precision: float | None) -> str | None:
    """sklearn's legend label: ``"name (mAP = 0.41)"``, either part alone, or None."""
    if average_precision is not None and name is not None:
        return f"{name} (mAP = {average_precision:0.2f})"
    if average_precision is not None:
        return f"mAP = {average_precision:0.2f}"
    return name


class CodeLengthCurveDisplay:
    """A retrieval score against the code length, one line per method.

    Like scikit-learn's ``ValidationCurveDisplay`` with the code length as the
    parameter: where a (method, code length) was scored on several splits, the line
    is the mean and a band spans the minimum to the maximum.

    Use :meth:`from_evaluation` (rows of :func:`zeroshash.model_selection.evaluate`)
    or :meth:`from_estimator` (which runs ``evaluate``); the parameters are stored as
    attributes.

    Parameters
    ----------
    bits : ndarray of shape (n_bits,)
        The code lengths, increasing.
    scores_mean : ndarray of shape (n_methods, n_bits)
        Mean score of each method at each code length (NaN where not scored).
    methods : sequence of str
        Names of the methods, one per row of ``scores_mean``.
    scores_min, scores_max : ndarray of shape (n_methods, n_bits), default=None
        Range over the splits; None: no band.
    n_splits : ndarray of shape (n_methods, n_bits), default=None
        Number of splits behind each mean.
    metric : str, default="map_tie_aware"
        The key of the score in ``evaluate``'s rows.
    metric_label : str, default=None
        The y-axis label; None: the metric's label in :data:`METRIC_LABELS` (radius
        2 for ``"precision_r"``), or ``metric`` itself.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per method.
    bands_ : list of matplotlib PolyCollection or None
        The min--max band of each method; None where all splits agree (or one split).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    zeroshash.model_selection.evaluate : The rows this display plots.
    PrecisionRecallDisplay : Precision--recall curve of one hasher.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from zeroshash import LSHHasher, PCAHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> from zeroshash.model_selection import zero_shot_retrieval_split
    >>> from zeroshash.plotting import CodeLengthCurveDisplay
    >>> X, y, _ = make_zero_shot_blobs(n_samples=300, random_state=0)
    >>> split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10, random_state=0)
    >>> display = CodeLengthCurveDisplay.from_estimator(
    ...     {"LSH": LSHHasher(random_state=0), "PCAH": PCAHasher()}, X, y, split, bits=(4, 8))
    >>> display.methods, display.bits.tolist()
    (['LSH', 'PCAH'], [4, 8])
    >>> display.ax_.get_ylabel()
    'unseen-class mAP@all (tie-aware)'
    """

    def __init__(self, bits: ArrayLike, scores_mean: ArrayLike, *, methods: Sequence[str],
                 scores_min: ArrayLike | None = None, scores_max: ArrayLike | None = None,
                 n_splits: ArrayLike | None = None, metric: str = "map_tie_aware",
                 metric_label: str | None = None):
        self.bits = bits
        self.scores_mean = scores_mean
        self.methods = methods
        self.scores_min = scores_min
        self.scores_max = scores_max
        self.n_splits = n_splits
        self.metric = metric
        self.metric_label = metric_label

    def plot(self, ax=None, *, band_kwargs: Mapping[str, Any] | None = None,
             **kwargs: Any) -> CodeLengthCurveDisplay:
        """Draw one line per method (and its min--max band).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.
        band_kwargs : dict, default=None
            Passed to matplotlib's ``fill_between`` for the bands (over the defaults:
            the line's colour, ``alpha=0.2``, no edge).
        **kwargs : dict
            Passed to matplotlib's ``plot`` for every line (over the default dot
            markers).

        Returns
        -------
        display : CodeLengthCurveDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.ticker import NullLocator

        self.ax_, self.figure_ = _new_axes(ax)
        bits = np.asarray(self.bits)
        mean = np.atleast_2d(np.asarray(self.scores_mean, dtype=np.float64))
        if mean.shape != (len(self.methods), bits.size):
            raise ValueError(f"scores_mean has shape {mean.shape}; expected (n_methods, n_bits) "
                             f"= ({len(self.methods)}, {bits.size})")
        has_band = self.scores_min is not None and self.scores_max is not None
        low = np.atleast_2d(np.asarray(self.scores_min, dtype=np.float64)) if has_band else None
        high = np.atleast_2d(np.asarray(self.scores_max, dtype=np.float64)) if has_band else None
        self.lines_, self.bands_ = [], []
        for i, method in enumerate(self.methods):
            style = {"marker": "o", "label": method, **kwargs}
            (line,) = self.ax_.plot(bits, mean[i], **style)
            self.lines_.append(line)
            band = None
            if has_band and np.nan_to_num(high[i] - low[i]).max(initial=0.0) > 0:
                band_style = {"color": line.get_color(), "alpha": 0.2, "linewidth": 0,
                              **(band_kwargs or {})}
                band = self.ax_.fill_between(bits, low[i], high[i], **band_style)
            self.bands_.append(band)
        if bits.size and bits.min() > 0:
            self.ax_.set_xscale("log", base=2)
            self.ax_.xaxis.set_minor_locator(NullLocator())
        self.ax_.set_xticks(bits, labels=[str(b) for b in bits])
        self.ax_.set(xlabel="code length (bits)", ylabel=self._ylabel())
        if self.methods:
            self.ax_.legend(loc="best")
        return self

    def _ylabel(self) -> str:
        if self.metric_label is not None:
            return self.metric_label
        return METRIC_LABELS.get(self.metric, self.metric).format(radius=2)

    @classmethod
    def from_evaluation(cls, rows: Iterable[Mapping], *, metric: str = "map_tie_aware",
                        radius: int = 2, ax=None, band_kwargs: Mapping[str, Any] | None = None,
                        **kwargs: Any) -> CodeLengthCurveDisplay:
        """Plot the rows of :func:`zeroshash.model_selection.evaluate`.

        Parameters
        ----------
        rows : iterable of dict
            Each with ``"method"``, ``"bits"`` and the ``metric``; rows of several
            splits (several ``evaluate`` calls, concatenated) give the mean and a
            min--max band. Methods appear in the order of their first row.
        metric : str, default="map_tie_aware"
            ``"map"`` (mAP@all, ties by database position), ``"map_tie_aware"`` or
            ``"precision_r"`` (precision within the Hamming radius), or any other key
            of the rows.
        radius : int, default=2
            The radius ``"precision_r"`` was measured at (``evaluate``'s ``radius``),
            for the axis label.
        ax : matplotlib Axes, default=None
        band_kwargs : dict, default=None
            Passed to matplotlib's ``fill_between`` for the min--max bands.
        **kwargs : dict
            Passed to matplotlib's ``plot``.

        Returns
        -------
        display : CodeLengthCurveDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_evaluation")
        rows = list(rows)
        if not rows:
            raise ValueError("rows is empty: nothing to plot")
        missing = {"method", "bits", metric} - set(rows[0])
        if missing:
            raise ValueError(f"the rows have no {sorted(missing)}; their keys are "
                             f"{sorted(rows[0])}")
        methods = list(dict.fromkeys(row["method"] for row in rows))
        bits = np.unique([int(row["bits"]) for row in rows])
        scores: dict[tuple[int, int], list[float]] = {}
        for row in rows:
            key = (methods.index(row["method"]), int(np.searchsorted(bits, int(row["bits"]))))
            scores.setdefault(key, []).append(float(row[metric]))
        shape = (len(methods), bits.size)
        mean, low, high = (np.full(shape, np.nan) for _ in range(3))
        n_splits = np.zeros(shape, dtype=np.int64)
        for (i, j), values in scores.items():
            mean[i, j], low[i, j], high[i, j] = np.mean(values), min(values), max(values)
            n_splits[i, j] = len(values)
        label = METRIC_LABELS.get(metric, metric).format(radius=radius)
        display = cls(bits, mean, methods=methods, scores_min=low, scores_max=high,
                      n_splits=n_splits, metric=metric, metric_label=label)
        return display.plot(ax=ax, band_kwargs=band_kwargs, **kwargs)

    @classmethod
    def from_estimator(cls, hashers: Mapping[str, Any], X: ArrayLike, y: ArrayLike, split, *,
                       bits: Iterable[int] = (16, 32, 64), word_vecs=None,
                       metric: str = "map_tie_aware", radius: int = 2, ax=None,
                       band_kwargs: Mapping[str, Any] | None = None,
                       **kwargs: Any) -> CodeLengthCurveDisplay:
        """Score hashers at several code lengths with ``evaluate``, then plot.

        Parameters
        ----------
        hashers : dict name -> hasher
            Unfitted hashers (cloned and given each code length).
        X, y : array-like
            All features and labels; the split's indices point into them.
        split : ZeroShotRetrievalSplit or sequence of them
            Several splits give the mean and a min--max band.
        bits : iterable of int, default=(16, 32, 64)
        word_vecs : optional
            Class vectors for the hashers that use them (as in ``evaluate``).
        metric : str, default="map_tie_aware"
            See :meth:`from_evaluation`.
        radius : int, default=2
            Hamming radius of ``"precision_r"``.
        ax : matplotlib Axes, default=None
        band_kwargs : dict, default=None
            Passed to matplotlib's ``fill_between`` for the min--max bands.
        **kwargs : dict
            Passed to matplotlib's ``plot``.

        Returns
        -------
        display : CodeLengthCurveDisplay
        """
        from .model_selection import ZeroShotRetrievalSplit, evaluate

        _check_matplotlib(f"{cls.__name__}.from_estimator")
        if metric not in ("map", "map_tie_aware", "precision_r"):
            raise ValueError(f"metric must be 'map', 'map_tie_aware' or 'precision_r'; "
                             f"got {metric!r}")
        splits = [split] if isinstance(split, ZeroShotRetrievalSplit) else list(split)
        bits = tuple(bits)
        rows = [row for s in splits for row in evaluate(hashers, X, y, s, bits=bits,
                                                        word_vecs=word_vecs, radius=radius)]
        return cls.from_evaluation(rows, metric=metric, radius=radius, ax=ax,
                                   band_kwargs=band_kwargs, **kwargs)


def _labels_for_counts(query_labels, db_labels, n_query: int, n_db: int):
    """The metrics' label check; indicator rows as int32 (for the relevance products)."""
    ql, dl = _check_labels(query_labels, db_labels, n_query, n_db)
    if ql.ndim == 2:
        ql, dl = ql.astype(np.int32), dl.astype(np.int32)
    return ql, dl


def distance_histograms(query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
                        db_labels: ArrayLike, *, bits: int | None = None,
                        query_groups: ArrayLike | None = None, n_groups: int | None = None,
                        max_pairs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Count the (query, item) pairs at each Hamming distance, relevant and irrelevant apart.

    The distances are computed a block of queries at a time (at most ``max_pairs`` at
    once) and counted with ``np.bincount``, so memory stays bounded for any database.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels, bits
        As in :func:`zeroshash.metrics.mean_average_precision`; relevant: equal labels
        (1-D) or sharing a label (2-D indicator matrices).
    query_groups : array-like of int of shape (n_queries,), default=None
        The group (histogram) of each query, ``0 .. n_groups - 1``; None: one group.
    n_groups : int, default=None
        Number of groups; None: ``max(query_groups) + 1``.
    max_pairs : int, default=None
        Largest number of distances held at once; None: 4,194,304.

    Returns
    -------
    relevant_counts : ndarray of shape (n_groups, bits + 1), int64
        ``[g, d]``: pairs of a group-``g`` query and a relevant item at distance ``d``.
    irrelevant_counts : ndarray of shape (n_groups, bits + 1), int64

    Examples
    --------
    >>> from zeroshash.plotting import distance_histograms
    >>> relevant, irrelevant = distance_histograms([[0, 0]], [[0, 0], [0, 1], [1, 1]],
    ...                                            [1], [1, 0, 1])
    >>> relevant.tolist(), irrelevant.tolist()
    ([[1, 0, 1]], [[0, 1, 0]])
    """
    from ._progress import progress_bar
    from .hamming import hamming_distances

    bits = _check_bits(bits)
    q, q_bits = _packed_codes(query_codes, bits, "query_codes")
    db, db_bits = _packed_codes(db_codes, bits, "db_codes")
    if q_bits != db_bits:
        raise ValueError(f"query and database codes differ in length: {q_bits} vs {db_bits} bits")
    ql, dl = _labels_for_counts(query_labels, db_labels, q.shape[0], db.shape[0])
    n_q, n_db, n_levels = q.shape[0], db.shape[0], q_bits + 1
    if query_groups is None:
        groups = np.zeros(n_q, dtype=np.int64)
        n_groups = 1 if n_groups is None else n_groups
    else:
        groups = np.asarray(query_groups, dtype=np.int64).reshape(-1)
        if groups.shape[0] != n_q:
            raise ValueError(f"query_groups has {groups.shape[0]} entries for {n_q} queries")
        if n_groups is None:
            n_groups = int(groups.max(initial=-1)) + 1
        if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
            raise ValueError(f"query_groups must lie in 0..{n_groups - 1}")
    max_pairs = _MAX_BLOCK_PAIRS if max_pairs is None else int(max_pairs)
    block = max(1, max_pairs // max(n_db, 1))
    counts = np.zeros(n_groups * 2 * n_levels, dtype=np.int64)
    starts = range(0, n_q if n_db else 0, block)
    for start in progress_bar(starts, desc="Hamming distances", unit="block", delay=2):
        stop = min(start + block, n_q)
        distances = hamming_distances(q[start:stop], db, q_bits)  # int32 (b, n_db)
        if ql.ndim == 1:
            relevant = ql[start:stop, None] == dl[None, :]
        else:
            relevant = (ql[start:stop] @ dl.T) > 0
        # One bin per (group, relevant, distance): key = (2 g + rel) * (bits + 1) + d.
        distances += (relevant * n_levels).astype(np.int32)
        distances += (2 * n_levels * groups[start:stop, None]).astype(np.int32)
        counts += np.bincount(distances.ravel(), minlength=counts.size)
    counts = counts.reshape(n_groups, 2, n_levels)
    return counts[:, 1], counts[:, 0]


class HammingDistanceDisplay:
    """Histograms of the Hamming distances from queries to relevant and irrelevant items.

    For each panel (all queries, or seen-class and unseen-class queries apart), two
    normalised histograms over the integer distances 0..bits: of the (query, item)
    pairs where the item is relevant (same label) and where it is not. Codes that
    separate classes put the first to the left of the second; how far they overlap is
    what a Hamming radius or ranking cannot undo.

    Use :meth:`from_estimator` or :meth:`from_predictions`; the parameters are stored
    as attributes.

    Parameters
    ----------
    relevant_counts : ndarray of shape (n_panels, bits + 1)
        Pairs of a query and a relevant item at each distance (see
        :func:`distance_histograms`).
    irrelevant_counts : ndarray of shape (n_panels, bits + 1)
    panel_names : sequence of str, default=None
        Title of each panel; None: ``"all queries"`` for one panel.
    n_queries : sequence of int, default=None
        Queries behind each panel, shown in the titles.
    name : str, default=None
        Prefix of the titles (e.g. the method).

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (n_panels,)
    ax_ : matplotlib Axes
        The first (or only) panel's axes.
    bars_ : list of (BarContainer, BarContainer)
        Per panel, the relevant and the irrelevant histogram.
    figure_ : matplotlib Figure

    See Also
    --------
    distance_histograms : The blocked counting behind the display.
    zeroshash.diagnostics : Further numeric diagnostics of codes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from zeroshash import PCAHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> from zeroshash.plotting import HammingDistanceDisplay
    >>> X, y, _ = make_zero_shot_blobs(n_samples=300, random_state=0)
    >>> hasher = PCAHasher(bits=8).fit(X[:200][y[:200] < 3])          # classes 0-2 seen
    >>> display = HammingDistanceDisplay.from_estimator(
    ...     hasher, X[200:], y[200:], X[:200], y[:200], seen_classes=[0, 1, 2])
    >>> [ax.get_title() for ax in display.axes_]
    ['PCAHasher: seen-class queries (n=56)', 'PCAHasher: unseen-class queries (n=44)']
    >>> int(display.relevant_counts.sum() + display.irrelevant_counts.sum())  # 100 x 200
    20000
    """

    def __init__(self, relevant_counts: ArrayLike, irrelevant_counts: ArrayLike, *,
                 panel_names: Sequence[str] | None = None,
                 n_queries: Sequence[int] | None = None, name: str | None = None):
        self.relevant_counts = relevant_counts
        self.irrelevant_counts = irrelevant_counts
        self.panel_names = panel_names
        self.n_queries = n_queries
        self.name = name

    def plot(self, ax=None, *, name: str | None = None, **kwargs: Any) -> HammingDistanceDisplay:
        """Draw one panel per row of the counts.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One axes per panel; None: a new figure of 1 x n_panels.
        name : str, default=None
            Prefix of the titles; None: the display's ``name``.
        **kwargs : dict
            Passed to matplotlib's ``bar`` for both histograms.

        Returns
        -------
        display : HammingDistanceDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        relevant = np.atleast_2d(np.asarray(self.relevant_counts, dtype=np.float64))
        irrelevant = np.atleast_2d(np.asarray(self.irrelevant_counts, dtype=np.float64))
        if relevant.shape != irrelevant.shape:
            raise ValueError(f"relevant_counts {relevant.shape} and irrelevant_counts "
                             f"{irrelevant.shape} differ in shape")
        n_panels, n_levels = relevant.shape
        names = self.panel_names
        if names is None:
            names = ["all queries"] if n_panels == 1 else [f"panel {i}" for i in range(n_panels)]
        if len(names) != n_panels:
            raise ValueError(f"{len(names)} panel_names for {n_panels} panels")
        if ax is None:
            _, ax = plt.subplots(1, n_panels, figsize=(4.5 * n_panels, 3.5), squeeze=False)
        axes = np.asarray(ax, dtype=object).reshape(-1)
        if axes.size != n_panels:
            raise ValueError(f"{n_panels} panels need {n_panels} axes; got {axes.size}")
        self.axes_, self.ax_, self.figure_ = axes, axes[0], axes[0].figure
        name = self.name if name is None else name
        distances = np.arange(n_levels)
        self.bars_ = []
        for i, axis in enumerate(axes):
            pair = []
            for counts, label, color in ((relevant[i], "relevant items", "tab:blue"),
                                         (irrelevant[i], "irrelevant items", "tab:orange")):
                total = counts.sum()
                density = counts / total if total else np.zeros_like(counts)
                style = {"width": 1.0, "alpha": 0.55, "color": color, "label": label, **kwargs}
                pair.append(axis.bar(distances, density, **style))
            self.bars_.append(tuple(pair))
            title = names[i]
            if self.n_queries is not None:
                title = f"{title} (n={int(self.n_queries[i])})"
            if name is not None:
                title = f"{name}: {title}"
            axis.set(title=title, xlabel="Hamming distance", ylabel="share of pairs",
                     xlim=(-0.5, n_levels - 0.5))
            axis.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, hasher, X_query: ArrayLike, y_query: ArrayLike, X_db: ArrayLike,
                       y_db: ArrayLike, *, seen_classes: ArrayLike | None = None,
                       use_query_encoder: bool | None = None, name: str | None = None,
                       ax=None, **kwargs: Any) -> HammingDistanceDisplay:
        """Encode queries and database with a fitted hasher, then plot the histograms.

        Parameters
        ----------
        hasher : fitted hasher
            Its ``encode`` gives the database codes; its ``bits`` their length.
        X_query : array-like of shape (n_queries, n_features)
        y_query : array-like of shape (n_queries,) or 2-D 0/1 indicator matrix
        X_db : array-like of shape (n_database, n_features)
        y_db : array-like, labels as ``y_query``
        seen_classes : array-like, default=None
            With it, two panels: queries whose label is a seen class, and the others
            (1-D labels only).
        use_query_encoder : bool or None, default=None
            How the queries are encoded. None: with ``hasher.transform_query`` if the
            hasher has one (a cross-modal hasher, whose queries are of the second
            modality, as in :func:`~zeroshash.model_selection.evaluate` with
            ``X_query``), else with ``hasher.encode``. True: with ``transform_query``
            (an error if there is none). False: with ``hasher.encode`` (queries of the
            database's modality).
        name : str, default=None
            Prefix of the titles; None: the hasher's class name.
        ax : matplotlib Axes or array of 2 Axes, default=None
        **kwargs : dict
            Passed to matplotlib's ``bar``.

        Returns
        -------
        display : HammingDistanceDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        query_codes = _query_codes(hasher, X_query, use_query_encoder)
        db_codes = hasher.encode(X_db)
        name = type(hasher).__name__ if name is None else name
        return cls.from_predictions(query_codes, db_codes, y_query, y_db, bits=hasher.bits,
                                    seen_classes=seen_classes, name=name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, query_codes: ArrayLike, db_codes: ArrayLike,
                         query_labels: ArrayLike, db_labels: ArrayLike, *,
                         bits: int | None = None, seen_classes: ArrayLike | None = None,
                         name: str | None = None, ax=None,
                         **kwargs: Any) -> HammingDistanceDisplay:
        """Plot the histograms of given codes.

        Parameters
        ----------
        query_codes : array-like of shape (n_queries, n_bits) or (n_queries, ceil(bits / 8))
            0/1 bits, or packed uint8 codes when ``bits`` is given.
        db_codes : array-like of shape (n_database, n_bits) or (n_database, ceil(bits / 8))
        query_labels, db_labels : array-like, 1-D labels or 2-D 0/1 indicator matrices
        bits : int or None, default=None
            None: 0/1 bit arrays; an int: packed codes of that many bits.
        seen_classes : array-like, default=None
            With it, two panels: seen-class queries and unseen-class queries (any
            label not in ``seen_classes``); 1-D labels only.
        name : str, default=None
            Prefix of the titles.
        ax : matplotlib Axes or array of 2 Axes, default=None
            With ``seen_classes``, two axes (None: a new 1 x 2 figure).
        **kwargs : dict
            Passed to matplotlib's ``bar``.

        Returns
        -------
        display : HammingDistanceDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        if seen_classes is None:
            groups, panel_names = None, ["all queries"]
            n_queries = [np.asarray(query_labels).shape[0]]
        else:
            labels = np.asarray(query_labels)
            if labels.ndim != 1:
                raise ValueError("seen_classes needs 1-D query labels; got labels of shape "
                                 f"{labels.shape}")
            groups = (~np.isin(labels, np.asarray(seen_classes))).astype(np.int64)
            panel_names = ["seen-class queries", "unseen-class queries"]
            n_queries = [int((groups == 0).sum()), int((groups == 1).sum())]
        relevant, irrelevant = distance_histograms(
            query_codes, db_codes, query_labels, db_labels, bits=bits, query_groups=groups,
            n_groups=len(panel_names),
        )
        display = cls(relevant, irrelevant, panel_names=panel_names, n_queries=n_queries,
                      name=name)
        return display.plot(ax=ax, **kwargs)

