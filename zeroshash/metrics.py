"""Retrieval metrics for binary codes under Hamming ranking.

Conventions (the field's; each function restates its own):

* Codes: ``query_codes`` and ``db_codes`` come in one of two forms, both in the bit
  order of :mod:`zeroshash._bits`. The keyword ``bits`` says which; it is never guessed
  from the values (a uint8 array of 0s and 1s could be either):

  - ``bits=None`` (default): 0/1 bit arrays of shape ``(n, n_bits)`` (``transform``
    output, any bool or numeric dtype); the code length is their number of columns;
  - ``bits=N``: packed codes of ``N`` bits, uint8 of shape ``(n, ceil(N / 8))`` with
    zero padding bits (``encode`` output, what
    :meth:`zeroshash.hamming.HammingIndex.reconstruct_all` returns).

  Both forms give identical results; packed codes reach the kernels as they are,
  without unpacking. Inconsistent input raises a ValueError that names it: values
  other than 0/1 in a bit array; packed codes that are not uint8, do not have
  ``ceil(N / 8)`` columns or have a padding bit set; query and database codes of
  different lengths; ``bits`` that is not None or a positive integer. A scipy sparse
  matrix of codes is a TypeError (codes are dense). Cut-offs (``k``, ``n``, ``ranks``)
  and ``radius`` are integers (or whole-valued floats), ``>= 1`` and ``>= 0``; a
  cut-off beyond the database means the whole database.
* Ranking: by Hamming distance, ties broken by database position (a stable sort, as
  in the MATLAB evaluation code of the hashing literature). ``ties="average"`` gives
  instead the tie-aware AP of He, Cakir, Bargal & Sclaroff ("Hashing as Tie-Aware
  Learning to Rank", CVPR 2018): the expected AP over all orders of tied items.
* Relevance: labels as a 1-D array (single-label: relevant when equal) or a 2-D 0/1
  indicator matrix (multi-label: relevant when sharing at least one label).
* A query with no relevant item in the database scores 0 and is counted in means.
* Published mAP figures are computed under other definitions too -- a cut-off, the
  denominator of AP@k, the tie order, dropped queries. :data:`MAP_DEFINITIONS` names
  them (the published ZSH code's ``cat_apcal``, mAP@1000 and mAP@5000, ...);
  :func:`map_scores` computes any of them from one ranking pass.

All statistics come from one linear pass per query (distances are integers up to
``bits``, so counting replaces sorting); see :mod:`zeroshash._ranking_kernels`.

Examples
--------
>>> from zeroshash import pack_bits
>>> from zeroshash.metrics import mean_average_precision
>>> query, db = [[0, 0, 1]], [[0, 1, 1], [1, 1, 0], [0, 0, 1]]
>>> mean_average_precision(query, db, [0], [0, 1, 0])                    # 0/1 bits
1.0
>>> mean_average_precision(pack_bits(query), pack_bits(db), [0], [0, 1, 0], bits=3)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.special import digamma

from ._bits import check_packed, pack_bits, packed_to_rows

__all__ = [
    "MAP_DEFINITIONS",
    "MapDefinition",
    "average_precision_per_query",
    "map_definition",
    "map_scores",
    "mean_average_precision",
    "precision_at_n",
    "precision_recall_by_radius",
    "precision_recall_by_rank",
    "precision_within_radius",
    "recall_at_n",
    "retrieval_scores",
]


def _check_bits(bits) -> int | None:
    """The ``bits`` keyword: None (0/1 bit arrays) or the length of packed codes."""
    if bits is None:
        return None
    if isinstance(bits, bool) or not isinstance(bits, Integral) or bits < 1:
        raise ValueError(
            "bits must be None (the codes are 0/1 bit arrays) or a positive integer "
            f"(the length of packed codes); got {bits!r}"
        )
    return int(bits)


# A cut-off beyond any database: k or N larger than the database are capped at its size.
_NO_CUTOFF = 2**62


def _whole_number(value, name: str, *, minimum: int, none: bool = False) -> int:
    """``value`` as an int ``>= minimum`` (capped at ``_NO_CUTOFF``): an integer, or a
    float with a whole value."""
    expected = f"{name} must be {'None or ' if none else ''}an integer >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{expected}; got {value!r}")
    shown = value.item() if isinstance(value, np.generic) else value
    if not isinstance(value, Integral) and (not np.isfinite(value) or value != int(value)):
        raise ValueError(f"{expected}; got {shown!r}")
    if value < minimum:
        raise ValueError(f"{expected}; got {shown!r}")
    return min(int(value), _NO_CUTOFF)


def _check_cutoffs(values, name: str) -> np.ndarray:
    """Cut-offs (``k``, ``n``, ``ranks``) as int64, each a whole number >= 1 (capped)."""
    arr = np.asarray(values)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be one cut-off or a 1-D list of them; got shape "
                         f"{arr.shape}")
    flat = arr.reshape(-1)
    if arr.dtype.kind in "bO":  # each item checked: bools, Python ints beyond int64, ...
        return np.array([_whole_number(v, name, minimum=1) for v in flat], dtype=np.int64)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integers >= 1; got {arr.dtype} values")
    if flat.size:
        bad = ~np.isfinite(flat) | (flat != np.trunc(flat)) | (flat < 1)
        if bad.any():
            raise ValueError(f"{name} must hold integers >= 1; got {flat[bad][0].item()!r}")
    return np.minimum(flat, _NO_CUTOFF).astype(np.int64)


def _packed_codes(codes, bits: int | None, name: str) -> tuple[np.ndarray, int]:
    """``codes`` in either form (see the module docstring) as packed codes, and their length."""
    if sparse.issparse(codes):
        raise TypeError(f"{name} is a scipy sparse {type(codes).__name__}; binary codes are "
                        "dense arrays (transform or encode output)")
    if bits is not None:
        hint = "0/1 bit arrays (transform output) are passed with bits=None."
        return check_packed(codes, bits, name, hint=hint), bits
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, bits) 0/1 codes; got shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError(
            f"{name} must hold 0/1 bits (a hasher's transform output); for packed codes "
            "(encode output) pass bits=<code length>"
        )
    return pack_bits(arr.astype(np.bool_)), arr.shape[1]


def _check_labels(query_labels, db_labels, n_query: int, n_db: int):
    """Both sides' labels checked against the codes: 1-D labels, or 0/1 indicator rows.

    Returns the two arrays (indicator matrices as given); a ValueError names what does
    not fit. Shared by the metrics and :mod:`zeroshash.plotting`.
    """
    ql, dl = np.asarray(query_labels), np.asarray(db_labels)
    if ql.ndim != dl.ndim or ql.ndim not in (1, 2):
        raise ValueError(
            "labels must both be 1-D (single-label) or both 2-D indicator matrices "
            f"(multi-label); got shapes {ql.shape} and {dl.shape}"
        )
    if ql.shape[0] != n_query or dl.shape[0] != n_db:
        raise ValueError(
            f"labels do not match codes: {ql.shape[0]} query labels for {n_query} queries, "
            f"{dl.shape[0]} database labels for {n_db} items"
        )
    if ql.ndim == 2:
        if ql.shape[1] != dl.shape[1]:
            raise ValueError(f"indicator matrices differ in width: {ql.shape[1]} vs {dl.shape[1]}")
        if not (np.isin(ql, (0, 1)).all() and np.isin(dl, (0, 1)).all()):
            raise ValueError("multi-label indicator matrices must hold only 0 and 1")
    return ql, dl


def _label_masks(query_labels, db_labels, n_query: int, n_db: int):
    """Labels of both sides as uint64 bit masks; relevance = masks intersect."""
    ql, dl = _check_labels(query_labels, db_labels, n_query, n_db)
    if ql.ndim == 2:
        to_mask = lambda ind: packed_to_rows(pack_bits(ind.astype(bool)))  # noqa: E731
        return to_mask(ql), to_mask(dl)
    _, index = np.unique(np.concatenate([ql, dl]), return_inverse=True)
    n_words = int(index.max(initial=0)) // 64 + 1
    masks = np.zeros((index.shape[0], n_words), dtype=np.uint64)
    masks[np.arange(index.shape[0]), index // 64] = np.left_shift(
        np.uint64(1), (index % 64).astype(np.uint64)
    )
    return masks[:n_query], masks[n_query:]


@dataclass(frozen=True)
class _Ranking:
    """Per-query ranking statistics (see the kernels module for the definitions)."""

    ap_sum: np.ndarray  # (n_q,)
    hist: np.ndarray  # (n_q, bits + 1)
    rel_hist: np.ndarray  # (n_q, bits + 1)
    cutoffs: np.ndarray  # (n_c,)
    cut_ap_sum: np.ndarray  # (n_q, n_c)
    cut_rel: np.ndarray  # (n_q, n_c)

    @property
    def n_relevant(self) -> np.ndarray:
        return self.rel_hist.sum(axis=1)


def _ranking(query_codes, db_codes, query_labels, db_labels, cutoffs=(), bits=None) -> _Ranking:
    from ._ranking_kernels import ranking_statistics_parallel, ranking_statistics_serial

    bits = _check_bits(bits)
    q, q_bits = _packed_codes(query_codes, bits, "query_codes")
    db, db_bits = _packed_codes(db_codes, bits, "db_codes")
    if q_bits != db_bits:
        raise ValueError(f"query and database codes differ in length: {q_bits} vs {db_bits} bits")
    q_masks, db_masks = _label_masks(query_labels, db_labels, q.shape[0], db.shape[0])
    cutoffs = np.asarray(cutoffs, dtype=np.int64).reshape(-1)  # checked by the callers
    n_q = q.shape[0]
    out = _Ranking(
        ap_sum=np.zeros(n_q),
        hist=np.zeros((n_q, q_bits + 1), dtype=np.int64),
        rel_hist=np.zeros((n_q, q_bits + 1), dtype=np.int64),
        cutoffs=cutoffs,
        cut_ap_sum=np.zeros((n_q, cutoffs.size)),
        cut_rel=np.zeros((n_q, cutoffs.size), dtype=np.int64),
    )
    if n_q == 0 or db.shape[0] == 0:
        return out
    kernel = ranking_statistics_parallel if n_q >= 128 else ranking_statistics_serial
    kernel(
        packed_to_rows(q), packed_to_rows(db), q_masks, db_masks, cutoffs,
        out.ap_sum, out.hist, out.rel_hist, out.cut_ap_sum, out.cut_rel,
    )  # fmt: skip
    return out


def _harmonic(m: np.ndarray) -> np.ndarray:
    """H(m) = 1 + 1/2 + ... + 1/m, with H(0) = 0, for integer arrays."""
    return digamma(np.asarray(m, dtype=np.float64) + 1.0) + np.euler_gamma


def _tie_aware_ap(ranking: _Ranking) -> np.ndarray:
    """He et al. (2018), eq. 8: expected AP over the orders of tied items.

    For a distance level holding n items, r of them relevant, after N items (R
    relevant) of smaller distance, each position j in N+1..N+n holds a relevant item
    with probability r/n, preceded on average by R + (j-N-1)(r-1)/(n-1) relevant items.
    """
    n, r = ranking.hist.astype(np.float64), ranking.rel_hist.astype(np.float64)
    before = np.cumsum(n, axis=1) - n
    rel_before = np.cumsum(r, axis=1) - r
    s0 = _harmonic(before + n) - _harmonic(before)  # sum of 1/j over the level's positions
    s1 = n - (before + 1.0) * s0  # sum of (j - N - 1)/j
    slope = np.divide(r - 1.0, n - 1.0, out=np.zeros_like(n), where=n > 1)
    share = np.divide(r, n, out=np.zeros_like(n), where=n > 0)
    level = share * ((rel_before + 1.0) * s0 + slope * s1)
    total = np.where(r > 0, level, 0.0).sum(axis=1)
    n_rel = r.sum(axis=1)
    return np.divide(total, n_rel, out=np.zeros_like(total), where=n_rel > 0)


def average_precision_per_query(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, k: int | None = None, ties: str = "stable",
    k_denominator: str = "retrieved", bits: int | None = None,
) -> np.ndarray:  # fmt: skip
    """Average precision of each query under Hamming ranking.

    ``AP = (1 / D) * sum_i P(i) * rel(i)`` over the ranks ``i`` of the (top-``k``)
    ranking, ``P(i)`` the precision of the first ``i`` items.

    Parameters
    ----------
    query_codes : array-like of shape (n_queries, n_bits) or (n_queries, ceil(bits / 8))
        0/1 bits, or packed uint8 codes when ``bits`` is given.
    db_codes : array-like of shape (n_database, n_bits) or (n_database, ceil(bits / 8))
    query_labels, db_labels : array-like, 1-D labels or 2-D 0/1 indicator matrices
    k : int or None, default=None
        Cut-off; None ranks the whole database (mAP@all, ``D`` = number of relevant
        database items).
    ties : {"stable", "average"}, default="stable"
        "stable" orders equal distances by database position; "average" is the
        tie-aware AP (expected over the orders of tied items; ``k=None`` only).
    k_denominator : {"retrieved", "min"}, default="retrieved"
        For AP@k: ``D`` = relevant items retrieved in the top k (the field's
        convention) or ``min(k, R)`` with R all relevant items.
    bits : int or None, default=None
        None: the codes are 0/1 bit arrays. An int: they are packed codes of that many
        bits (``encode`` output). See the module docstring for the rule and the errors.

    Returns
    -------
    ap : ndarray of shape (n_queries,), values in [0, 1]; 0 for a query with no
        relevant item (in the top k).

    Examples
    --------
    >>> from zeroshash import pack_bits
    >>> from zeroshash.metrics import average_precision_per_query
    >>> db = [[0, 0], [0, 1], [1, 1]]          # distances 0, 1, 2 from the query
    >>> average_precision_per_query([[0, 0]], db, [5], [5, 3, 5])   # (1/1 + 2/3) / 2
    array([0.83333333])
    >>> average_precision_per_query([[0, 0]], db, [5], [5, 3, 5], k=2)
    array([1.])
    >>> average_precision_per_query([[0, 0]], db, [5], [5, 3, 5], k=2, k_denominator="min")
    array([0.5])
    >>> average_precision_per_query(pack_bits([[0, 0]]), pack_bits(db), [5], [5, 3, 5], bits=2)
    array([0.83333333])
    """
    definition = _checked_definition(k, ties, k_denominator)
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels,
                       () if definition.k is None else [definition.k], bits=bits)
    return _per_query_ap(ranking, definition, 0)[0]


def mean_average_precision(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, k: int | None = None, ties: str = "stable",
    k_denominator: str = "retrieved", no_relevant: str = "zero", bits: int | None = None,
) -> float:  # fmt: skip
    """Mean of :func:`average_precision_per_query` (mAP@all, or mAP@k with ``k``).

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels, k, ties, k_denominator
        As in :func:`average_precision_per_query`.
    no_relevant : {"zero", "drop"}, default="zero"
        A query with no relevant item (in the top ``k`` when ``k`` is given) scores 0
        and is counted in the mean ("zero"), or is left out of it ("drop", as in the
        published code of HashNet and DPSH). With "drop" and no query left, 0.0.
    bits : int or None, default=None
        None: 0/1 bit arrays; an int: packed codes of that many bits (module docstring).

    See Also
    --------
    map_scores : several published definitions of mAP from one ranking pass.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.metrics import mean_average_precision
    >>> db = [[0, 0], [1, 1], [0, 1]]
    >>> mean_average_precision([[0, 0]], db, [0], [0, 1, 0])
    1.0
    >>> mean_average_precision([[0, 0]], [[0, 0], [0, 0]], [0], [1, 0], ties="average")
    0.75
    >>> packed_db = np.array([[0b00000000], [0b11000000], [0b01000000]], dtype=np.uint8)
    >>> mean_average_precision(np.zeros((1, 1), np.uint8), packed_db, [0], [0, 1, 0], bits=2)
    1.0
    """
    definition = _checked_definition(k, ties, k_denominator, no_relevant)
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels,
                       () if definition.k is None else [definition.k], bits=bits)
    return _map_of(ranking, definition, 0)


def _radius_counts(ranking: _Ranking):
    """Retrieved and relevant-retrieved counts within each radius 0..bits."""
    return np.cumsum(ranking.hist, axis=1), np.cumsum(ranking.rel_hist, axis=1)


def _check_radius(radius) -> int:
    return _whole_number(radius, "radius", minimum=0)


def _counts_within(ranking: _Ranking, radius: int):
    """Per-query (retrieved, relevant retrieved) within ``radius``, retrieved as float."""
    retrieved, hits = _radius_counts(ranking)
    r = min(radius, ranking.hist.shape[1] - 1)
    return retrieved[:, r].astype(np.float64), hits[:, r]


def _precision_from_counts(got: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Per-query precision; 0 for a query retrieving nothing."""
    return np.divide(hits, got, out=np.zeros_like(got), where=got > 0)


def _precision_at_radius(ranking: _Ranking, radius: int) -> np.ndarray:
    """Per-query precision within ``radius``; 0 for a query retrieving nothing."""
    return _precision_from_counts(*_counts_within(ranking, radius))


def _ap_all(ranking: _Ranking) -> np.ndarray:
    """Per-query AP over the whole (stable) ranking; 0 with no relevant item."""
    n_rel = ranking.n_relevant.astype(np.float64)
    return np.divide(ranking.ap_sum, n_rel, out=np.zeros_like(n_rel), where=n_rel > 0)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _check_no_relevant(no_relevant) -> None:
    if no_relevant not in ("zero", "drop"):
        raise ValueError(f"no_relevant must be 'zero' or 'drop'; got {no_relevant!r}")


@dataclass(frozen=True)
class MapDefinition:
    """One definition of mean average precision under Hamming ranking.

    Parameters
    ----------
    name : str
        The key under which :func:`map_scores` (and :func:`zeroshash.model_selection.evaluate`)
        report it.
    k : int or None
        Cut-off: the AP of the top ``k`` items (``min(k, n_database)``); None ranks the
        whole database.
    ties : {"stable", "average"}
        Equal distances in database order, or the tie-aware expectation (``k=None``).
    k_denominator : {"retrieved", "min"}
        AP@k divided by the relevant items retrieved in the top ``k``, or by
        ``min(k, R)``, R all relevant items (ignored with ``k=None``: all relevant).
    no_relevant : {"zero", "drop"}
        A query with no relevant item (in the top ``k``) scores 0 and counts in the
        mean, or is dropped from it.
    source : str, default=""
        Where the definition comes from (papers and their evaluation code).

    Examples
    --------
    >>> from zeroshash.metrics import MAP_DEFINITIONS
    >>> for part in MAP_DEFINITIONS["map_zsh"].describe().split("; "):
    ...     print(part)
    map_zsh: top min(10000, n_database) ranked
    AP / relevant items retrieved there
    ties in database order
    a query with none there counts 0
    """

    name: str
    k: int | None
    ties: str = "stable"
    k_denominator: str = "retrieved"
    no_relevant: str = "zero"
    source: str = ""

    def describe(self) -> str:
        """One line: cut-off, denominator, tie rule, queries with no relevant item."""
        if self.k is None:
            cut, denominator = "whole database ranked", "AP / all relevant items"
        else:
            cut = f"top min({self.k}, n_database) ranked"
            denominator = ("AP / relevant items retrieved there"
                           if self.k_denominator == "retrieved" else "AP / min(k, relevant items)")
        ties = ("ties in database order" if self.ties == "stable"
                else "tied items averaged over their orders (He et al., CVPR 2018)")
        where = "" if self.k is None else " there"
        empty = (f"a query with none{where} counts 0" if self.no_relevant == "zero"
                 else f"a query with none{where} is dropped from the mean")
        return f"{self.name}: {cut}; {denominator}; {ties}; {empty}"


#: Named definitions of mAP. Any ``"map@K"`` (and ``"map@K/drop"``) is also accepted by
#: :func:`map_definition` and :func:`map_scores`; these are the ones with a source.
MAP_DEFINITIONS: dict[str, MapDefinition] = {
    definition.name: definition
    for definition in (
        MapDefinition(
            "map", None,
            source="mAP@all with a stable sort: the MATLAB evaluation code of the shallow "
                   "hashing literature without a cut-off; this project's 'unseen mAP@all'",
        ),
        MapDefinition(
            "map_tie_aware", None, ties="average",
            source="He, Cakir, Bargal & Sclaroff, 'Hashing as Tie-Aware Learning to Rank', "
                   "CVPR 2018; the project's headline figure: no database order can "
                   "flatter ties",
        ),
        MapDefinition(
            "map_zsh", 10_000,
            source="cat_apcal of the published ZSH code (Yang et al., ACM MM 2016): "
                   "K = min(n_database, 10000), AP normalised by the relevant items "
                   "retrieved in the top K, ties in database order (MATLAB's sort is "
                   "stable), a query with none there counts 0",
        ),
        MapDefinition(
            "map@1000", 1000,
            source="mAP@1000 (HashNet, Cao et al., ICCV 2017, on ImageNet; the deep "
                   "hashing papers that reuse its evaluation). Its published code drops "
                   "queries with none relevant in the top k (map@1000/drop) and orders "
                   "ties by numpy's unstable argsort",
        ),
        MapDefinition(
            "map@5000", 5000,
            source="mAP@5000 (HashNet, Cao et al., ICCV 2017, on NUS-WIDE and MS-COCO; "
                   "the deep hashing papers that reuse its evaluation); see map@1000",
        ),
    )
}


def map_definition(name) -> MapDefinition:
    """The :class:`MapDefinition` of a name of :data:`MAP_DEFINITIONS` or ``"map@K[/drop]"``.

    ``"map@K"`` is AP@K over the top ``K`` items, divided by the relevant items
    retrieved there, ties in database order, a query with none there counting 0;
    ``"map@K/drop"`` drops such queries from the mean instead.

    Examples
    --------
    >>> from zeroshash.metrics import map_definition
    >>> definition = map_definition("map@100/drop")
    >>> definition.k, definition.k_denominator, definition.ties, definition.no_relevant
    (100, 'retrieved', 'stable', 'drop')
    """
    if isinstance(name, MapDefinition):
        return name
    if not isinstance(name, str):
        raise TypeError(f"a mAP definition is a name such as 'map_zsh' or 'map@1000'; "
                        f"got {name!r}")
    if name in MAP_DEFINITIONS:
        return MAP_DEFINITIONS[name]
    cut, _, policy = name.partition("/")
    if cut.startswith("map@") and cut[4:].isdigit() and int(cut[4:]) >= 1 and policy in (
        "", "drop",
    ):
        k = int(cut[4:])
        known = MAP_DEFINITIONS.get(f"map@{k}")
        return MapDefinition(name, k, no_relevant=policy or "zero",
                             source=known.source if known else "")
    raise ValueError(
        f"unknown mAP definition {name!r}; use one of {sorted(MAP_DEFINITIONS)} or "
        "'map@K' / 'map@K/drop' with K a positive integer"
    )


def _checked_definition(k, ties: str, k_denominator: str,
                        no_relevant: str = "zero") -> MapDefinition:
    """The parameters of :func:`mean_average_precision` checked, as a definition."""
    _check_no_relevant(no_relevant)
    if ties not in ("stable", "average"):
        raise ValueError(f"ties must be 'stable' or 'average'; got {ties!r}")
    if k_denominator not in ("retrieved", "min"):
        raise ValueError(f"k_denominator must be 'retrieved' or 'min'; got {k_denominator!r}")
    if k is not None:
        k = _whole_number(k, "k", minimum=1, none=True)
    if ties == "average" and k is not None:
        raise ValueError("ties='average' (tie-aware AP) is defined here for k=None only")
    return MapDefinition("custom", k, ties, k_denominator, no_relevant)


def _per_query_ap(ranking: _Ranking, definition: MapDefinition, column: int):
    """Per-query AP under ``definition`` and which queries have a relevant item (in the
    top k); ``column`` is the definition's cut-off's column of the ranking."""
    if definition.k is None:
        ap = _tie_aware_ap(ranking) if definition.ties == "average" else _ap_all(ranking)
        return ap, ranking.n_relevant > 0
    hits = ranking.cut_rel[:, column]
    if definition.k_denominator == "retrieved":
        denominator = hits.astype(np.float64)
    else:
        denominator = np.minimum(float(definition.k), ranking.n_relevant.astype(np.float64))
    total = ranking.cut_ap_sum[:, column]
    ap = np.divide(total, denominator, out=np.zeros_like(total), where=denominator > 0)
    return ap, hits > 0


def _map_of(ranking: _Ranking, definition: MapDefinition, column: int) -> float:
    """``definition``'s mAP from a ranking (``column``: its cut-off's column)."""
    ap, counted = _per_query_ap(ranking, definition, column)
    return _mean(ap if definition.no_relevant == "zero" else ap[counted])


def map_scores(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, definitions=("map", "map_tie_aware"), bits: int | None = None,
) -> dict:  # fmt: skip
    """mAP under several definitions, from one ranking pass.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels
        As in :func:`average_precision_per_query`.
    definitions : iterable of str or MapDefinition, default=("map", "map_tie_aware")
        Names of :data:`MAP_DEFINITIONS`, ``"map@K"`` / ``"map@K/drop"``, or
        :class:`MapDefinition` objects.
    bits : int or None, default=None
        None: 0/1 bit arrays; an int: packed codes of that many bits (module docstring).

    Returns
    -------
    scores : dict
        Definition name -> mAP, in the order given.

    See Also
    --------
    MAP_DEFINITIONS : the named definitions and where they come from.
    mean_average_precision : one definition, with its parameters spelled out.

    Examples
    --------
    >>> from zeroshash.metrics import map_scores
    >>> db = [[0, 0], [0, 0], [1, 1], [0, 1]]
    >>> scores = map_scores([[0, 0]], db, [1], [0, 1, 1, 0],
    ...                     definitions=["map", "map_tie_aware", "map_zsh", "map@1"])
    >>> {name: round(value, 4) for name, value in scores.items()}
    {'map': 0.5, 'map_tie_aware': 0.625, 'map_zsh': 0.5, 'map@1': 0.0}
    """
    if isinstance(definitions, (str, MapDefinition)):
        definitions = [definitions]
    definitions = [map_definition(name) for name in definitions]
    if not definitions:
        raise ValueError("definitions is empty: name at least one mAP definition")
    names = [d.name for d in definitions]
    if len(set(names)) != len(names):
        raise ValueError(f"definitions repeats a name: {names}")
    cutoffs = sorted({d.k for d in definitions if d.k is not None})
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, cutoffs, bits=bits)
    return {
        d.name: _map_of(ranking, d, cutoffs.index(d.k) if d.k is not None else 0)
        for d in definitions
    }


def precision_within_radius(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, radius: int = 2, bits: int | None = None,
) -> float:  # fmt: skip
    """Mean precision of the items within Hamming distance ``radius`` of each query.

    A query that retrieves nothing within the radius counts as precision 0 (the
    convention of the ZSH and SDH evaluation code), so this is the mean over *all*
    queries.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels
        As in :func:`average_precision_per_query`.
    radius : int, default=2
        Largest Hamming distance retrieved (inclusive).
    bits : int or None, default=None
        None: 0/1 bit arrays; an int: packed codes of that many bits (module docstring).

    Examples
    --------
    >>> from zeroshash import pack_bits
    >>> from zeroshash.metrics import precision_within_radius
    >>> db = [[0, 0, 0], [1, 1, 1], [0, 0, 1]]
    >>> precision_within_radius([[0, 0, 0]], db, [0], [0, 1, 1], radius=1)
    0.5
    >>> pack_bits(db).ravel().tolist()                   # packed: one byte per code
    [0, 224, 32]
    >>> precision_within_radius(pack_bits([[0, 0, 0]]), pack_bits(db), [0], [0, 1, 1],
    ...                         radius=1, bits=3)
    0.5
    """
    radius = _check_radius(radius)
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, bits=bits)
    return _mean(_precision_at_radius(ranking, radius))


def precision_recall_by_radius(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, bits: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Mean precision and recall of the items within each Hamming radius 0..bits.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels
        As in :func:`average_precision_per_query`; ``bits`` (default None) too: None
        for 0/1 bit arrays, an int for packed codes of that many bits.

    Returns
    -------
    radius : ndarray (bits + 1,)
    precision : ndarray (bits + 1,)
        Mean over queries; a query retrieving nothing at a radius counts 0 there.
    recall : ndarray (bits + 1,)
        Mean over queries of relevant retrieved / relevant (0 with none relevant).

    Examples
    --------
    >>> from zeroshash.metrics import precision_recall_by_radius
    >>> r, p, rec = precision_recall_by_radius([[0, 0]], [[0, 0], [0, 1], [1, 1]], [1], [1, 0, 1])
    >>> p.tolist(), rec.tolist()
    ([1.0, 0.5, 0.6666666666666666], [0.5, 0.5, 1.0])
    >>> import numpy as np
    >>> packed = np.array([[0], [64], [192]], dtype=np.uint8)      # the same codes, packed
    >>> r, p, rec = precision_recall_by_radius(packed[:1], packed, [1], [1, 0, 1], bits=2)
    >>> r.tolist(), p.tolist()
    ([0, 1, 2], [1.0, 0.5, 0.6666666666666666])
    """
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, bits=bits)
    retrieved, hits = _radius_counts(ranking)
    retrieved = retrieved.astype(np.float64)
    n_rel = ranking.n_relevant.astype(np.float64)[:, None]
    precision = np.divide(hits, retrieved, out=np.zeros_like(retrieved), where=retrieved > 0)
    recall = np.divide(hits, n_rel, out=np.zeros(hits.shape), where=n_rel > 0)
    return np.arange(ranking.hist.shape[1]), precision.mean(axis=0), recall.mean(axis=0)


def precision_recall_by_rank(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, ranks: ArrayLike, bits: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Mean precision@N and recall@N for each N in ``ranks`` (stable tie order).

    ``N`` larger than the database is capped at its size.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels
        As in :func:`average_precision_per_query`.
    ranks : array-like of int
        The cut-offs ``N``, each ``>= 1``.
    bits : int or None, default=None
        None: 0/1 bit arrays; an int: packed codes of that many bits (module docstring).

    Returns
    -------
    ranks : ndarray (n_ranks,)
    precision : ndarray (n_ranks,)
    recall : ndarray (n_ranks,)

    Examples
    --------
    >>> from zeroshash.metrics import precision_recall_by_rank
    >>> n, p, r = precision_recall_by_rank([[0, 0]], [[0, 0], [0, 1], [1, 1]], [1], [1, 0, 1],
    ...                                    ranks=[1, 2, 3])
    >>> p.tolist(), r.tolist()
    ([1.0, 0.5, 0.6666666666666666], [0.5, 0.5, 1.0])
    """
    ranks = _check_cutoffs(ranks, "ranks")
    n_db = np.asarray(db_codes).shape[0]
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, ranks, bits=bits)
    shown = np.minimum(ranks, n_db).astype(np.float64)
    precision = np.divide(ranking.cut_rel, shown, out=np.zeros(ranking.cut_rel.shape),
                          where=shown > 0)
    n_rel = ranking.n_relevant.astype(np.float64)[:, None]
    recall = np.divide(ranking.cut_rel, n_rel, out=np.zeros(ranking.cut_rel.shape),
                       where=n_rel > 0)
    return ranks, precision.mean(axis=0), recall.mean(axis=0)


def precision_at_n(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, n: int, bits: int | None = None,
) -> float:  # fmt: skip
    """Mean precision of the top ``n`` items (stable tie order; ``n`` capped at the database).

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels, bits
        As in :func:`precision_recall_by_rank` (``bits``: None for 0/1 bit arrays, an
        int for packed codes of that many bits).
    n : int
        Cut-off, ``>= 1``.

    Examples
    --------
    >>> from zeroshash.metrics import precision_at_n
    >>> precision_at_n([[0, 0]], [[0, 0], [0, 1], [1, 1]], [1], [1, 0, 1], n=2)
    0.5
    """
    n = _whole_number(n, "n", minimum=1)
    return float(precision_recall_by_rank(query_codes, db_codes, query_labels, db_labels,
                                          ranks=[n], bits=bits)[1][0])


def recall_at_n(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, n: int, bits: int | None = None,
) -> float:  # fmt: skip
    """Mean share of each query's relevant items found in its top ``n``.

    Parameters are those of :func:`precision_at_n` (``bits=None``: 0/1 bit arrays;
    ``bits=N``: packed codes of ``N`` bits).

    Examples
    --------
    >>> from zeroshash.metrics import recall_at_n
    >>> recall_at_n([[0, 0]], [[0, 0], [0, 1], [1, 1]], [1], [1, 0, 1], n=2)
    0.5
    >>> from zeroshash import pack_bits
    >>> packed = pack_bits([[0, 0], [0, 1], [1, 1]])
    >>> recall_at_n(packed[:1], packed, [1], [1, 0, 1], n=2, bits=2)
    0.5
    """
    n = _whole_number(n, "n", minimum=1)
    return float(precision_recall_by_rank(query_codes, db_codes, query_labels, db_labels,
                                          ranks=[n], bits=bits)[2][0])


def retrieval_scores(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, radius: int = 2, bits: int | None = None,
    maps=("map", "map_tie_aware"),
) -> dict:  # fmt: skip
    """mAP (by default @all, stable and tie-aware) and precision within ``radius``, in one pass.

    Parameters
    ----------
    query_codes, db_codes, query_labels, db_labels, radius, bits
        As in :func:`precision_within_radius` (``bits``: None for 0/1 bit arrays, an
        int for packed codes of that many bits).
    maps : iterable of str or MapDefinition, default=("map", "map_tie_aware")
        The mAP definitions to report, as in :func:`map_scores`.

    Returns
    -------
    scores : dict
        One key per definition of ``maps`` (by default ``map``, ``map_tie_aware``),
        then ``precision_r`` (means over queries, with the conventions of
        :data:`MAP_DEFINITIONS` and :func:`precision_within_radius`).

    Examples
    --------
    >>> from zeroshash.metrics import retrieval_scores
    >>> scores = retrieval_scores([[0, 0]], [[0, 0], [0, 0], [1, 1]], [1], [0, 1, 1], radius=0)
    >>> {name: round(value, 4) for name, value in scores.items()}
    {'map': 0.5833, 'map_tie_aware': 0.7083, 'precision_r': 0.5}
    """
    radius = _check_radius(radius)
    definitions = [map_definition(name) for name in
                   ([maps] if isinstance(maps, (str, MapDefinition)) else maps)]
    if "precision_r" in {d.name for d in definitions}:
        raise ValueError("'precision_r' names the precision column, not a mAP definition")
    cutoffs = sorted({d.k for d in definitions if d.k is not None})
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, cutoffs, bits=bits)
    scores = {
        d.name: _map_of(ranking, d, cutoffs.index(d.k) if d.k is not None else 0)
        for d in definitions
    }
    scores["precision_r"] = _mean(_precision_at_radius(ranking, radius))
    return scores
