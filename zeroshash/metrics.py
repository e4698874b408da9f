"""Retrieval metrics for binary codes under Hamming ranking.

Conventions (the field's; every function documents its own):

* Codes are 0/1 arrays of shape ``(n, bits)`` (``transform`` output); packed codes
  can be turned into those with :func:`zeroshash.unpack_bits`. Distances come from
  the Hamming engine (:func:`zeroshash.hamming.hamming_distances`).
* Ranking: by Hamming distance, ties broken by database position (stable order).
* Relevance: single-label; an item is relevant to a query when their labels match.
* A query with no relevant item in the database has AP 0 and is counted in the mean.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import gen_batches

__all__ = [
    "average_precision_per_query",
    "mean_average_precision",
    "precision_within_radius",
]

# Queries per block: bounds the (block x n_database) distance and order buffers.
_QUERY_BLOCK = 256


def _check_codes(codes, name: str) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, bits) 0/1 codes; got shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError(
            f"{name} must hold 0/1 bits (a hasher's transform output); to use packed "
            "codes from encode, unpack them first with zeroshash.unpack_bits"
        )
    return arr.astype(np.uint8, copy=False)


def _distances(query_codes: np.ndarray, db_codes: np.ndarray) -> np.ndarray:
    # Imported here: the engine compiles its kernels on first import.
    from .hamming import hamming_distances

    return hamming_distances(query_codes, db_codes, bits=query_codes.shape[1])


def _check_pair(query_codes, db_codes, query_labels, db_labels):
    q = _check_codes(query_codes, "query_codes")
    db = _check_codes(db_codes, "db_codes")
    if q.shape[1] != db.shape[1]:
        raise ValueError(
            f"query and database codes differ in length: {q.shape[1]} vs {db.shape[1]} bits"
        )
    ql = np.asarray(query_labels).ravel()
    dl = np.asarray(db_labels).ravel()
    if ql.shape[0] != q.shape[0] or dl.shape[0] != db.shape[0]:
        raise ValueError(
            f"labels do not match codes: {ql.shape[0]} query labels for {q.shape[0]} queries, "
            f"{dl.shape[0]} database labels for {db.shape[0]} items"
        )
    return q, db, ql, dl


def average_precision_per_query(
    query_codes, db_codes, query_labels, db_labels, *, k: int | None = None
) -> np.ndarray:
    """Average precision of each query under Hamming ranking.

    ``AP = (1 / R) * sum_i P(i) * rel(i)`` over ranks ``i`` of the (top-``k``)
    ranking, where ``P(i)`` is the precision of the first ``i`` items. For mAP@all
    (``k=None``) ``R`` is the number of relevant database items; for mAP@k it is the
    number of relevant items *retrieved in the top k* (the field's convention). Ties
    in distance are ordered by database position.

    Parameters
    ----------
    query_codes : array-like of shape (n_queries, bits), 0/1
    db_codes : array-like of shape (n_database, bits), 0/1
    query_labels : array-like of shape (n_queries,)
    db_labels : array-like of shape (n_database,)
    k : int or None, default=None
        Cut-off; None ranks the whole database.

    Returns
    -------
    ap : ndarray of shape (n_queries,), values in [0, 1]; 0 for a query with no
        relevant item (in the top k).

    Examples
    --------
    >>> from zeroshash.metrics import average_precision_per_query
    >>> db = [[0, 0], [0, 1], [1, 1]]          # distances 0, 1, 2 from the query
    >>> average_precision_per_query([[0, 0]], db, [5], [5, 3, 5])   # (1/1 + 2/3) / 2
    array([0.83333333])
    >>> average_precision_per_query([[0, 0]], db, [5], [5, 3, 5], k=2)
    array([1.])
    """
    q, db, ql, dl = _check_pair(query_codes, db_codes, query_labels, db_labels)
    n_db = db.shape[0]
    if k is not None and int(k) < 1:
        raise ValueError(f"k must be a positive integer or None; got {k}")
    cut = n_db if k is None else min(int(k), n_db)
    ap = np.zeros(q.shape[0])
    if n_db == 0 or q.shape[0] == 0:
        return ap
    ranks = np.arange(1, cut + 1, dtype=np.float64)
    for rows in gen_batches(q.shape[0], _QUERY_BLOCK):
        dist = _distances(q[rows], db)
        order = np.argsort(dist, axis=1, kind="stable")[:, :cut]
        relevant = dl[order] == ql[rows, None]
        hits = np.cumsum(relevant, axis=1)
        precision_sum = np.sum(np.where(relevant, hits / ranks, 0.0), axis=1)
        n_rel = hits[:, -1].astype(np.float64)
        ap[rows] = np.divide(precision_sum, n_rel, out=np.zeros_like(n_rel), where=n_rel > 0)
    return ap


def mean_average_precision(
    query_codes, db_codes, query_labels, db_labels, *, k: int | None = None
) -> float:
    """Mean of :func:`average_precision_per_query` (mAP@all, or mAP@k with ``k``).

    Examples
    --------
    >>> from zeroshash.metrics import mean_average_precision
    >>> db = [[0, 0], [1, 1], [0, 1]]
    >>> mean_average_precision([[0, 0]], db, [0], [0, 1, 0])
    1.0
    """
    return float(
        np.mean(average_precision_per_query(query_codes, db_codes, query_labels, db_labels, k=k))
    )


def precision_within_radius(
    query_codes, db_codes, query_labels, db_labels, *, radius: int = 2
) -> float:
    """Mean precision of the items within Hamming distance ``radius`` of each query.

    A query that retrieves nothing within the radius counts as precision 0 (the
    convention of the ZSH and SDH evaluation code), so this is the mean over *all*
    queries.

    Examples
    --------
    >>> from zeroshash.metrics import precision_within_radius
    >>> db = [[0, 0, 0], [1, 1, 1], [0, 0, 1]]
    >>> precision_within_radius([[0, 0, 0]], db, [0], [0, 1, 1], radius=1)
    0.5
    """
    if int(radius) < 0:
        raise ValueError(f"radius must be >= 0; got {radius}")
    q, db, ql, dl = _check_pair(query_codes, db_codes, query_labels, db_labels)
    precision = np.zeros(q.shape[0])
    for rows in gen_batches(q.shape[0], _QUERY_BLOCK):
        within = _distances(q[rows], db) <= int(radius)
        retrieved = within.sum(axis=1).astype(np.float64)
        hits = (within & (dl[None, :] == ql[rows, None])).sum(axis=1)
        precision[rows] = np.divide(
            hits, retrieved, out=np.zeros_like(retrieved), where=retrieved > 0
        )
    return float(precision.mean()) if precision.size else 0.0
