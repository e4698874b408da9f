"""Numba kernels for exact k-nearest-neighbour search in Hamming space.

Imports numpy and numba only; inputs are trusted (validated by the Python API).

Tie order: results are sorted by (distance, database position). Selection exploits
that distances are small integers: each query keeps a distance threshold and a small
candidate buffer filled in position order; when the buffer is full it is cut back to
``k`` with a distance histogram (keeping the earliest positions among ties, which is
exact because the database is scanned in position order) and the threshold drops to
one below the k-th distance. Most chunks then have no hit at all, which costs one
vectorised count.
"""

from __future__ import annotations

import numpy as np
from numba import int32, int64, njit, prange, types, void

from ._kernels import (
    CHUNK,
    QUERY_BLOCK,
    chunk_distances,
    chunk_hit_count,
    sort_hits_by_distance,
)

MISSING_DISTANCE = np.iinfo(np.int32).max
"""Distance reported for result slots with no item (when k exceeds the database)."""

_ro_u64_2d = types.Array(types.uint64, 2, "C", readonly=True)
_i32_1d = types.Array(types.int32, 1, "C")
_i32_2d = types.Array(types.int32, 2, "C")
_i64_1d = types.Array(types.int64, 1, "C")
_i64_2d = types.Array(types.int64, 2, "C")

_kernel_options = dict(cache=True, nogil=True)


@njit(
    types.UniTuple(int64, 2)(_i32_1d, _i64_1d, int64, int64, _i64_1d),
    **_kernel_options,
)
def cut_to_k(cand_dist, cand_pos, fill, k, hist):
    """Keep the best ``k`` of ``fill`` candidates in place; return (k, new threshold).

    Candidates are in position order, so among ties at the k-th distance the first
    ones met are kept. The new threshold is one less than the k-th distance: a later
    item at that distance would lose the tie to every kept one.
    """
    if fill <= k:
        return fill, np.int64(hist.shape[0] - 1)
    hist[:] = 0
    for i in range(fill):
        hist[cand_dist[i]] += 1
    below = 0
    kth = 0
    for d in range(hist.shape[0]):
        if below + hist[d] >= k:
            kth = d
            break
        below += hist[d]
    keep_at_kth = k - below
    out = 0
    for i in range(fill):
        d = cand_dist[i]
        if d < kth or (d == kth and keep_at_kth > 0):
            if d == kth:
                keep_at_kth -= 1
            cand_dist[out] = d
            cand_pos[out] = cand_pos[i]
            out += 1
    return out, np.int64(kth - 1)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i32_2d, _i64_2d), **_kernel_options)
def topk_query_block(q, db, q_start, q_stop, k, out_dist, out_pos):
    n_words = db.shape[0]
    n_db = db.shape[1]
    max_dist = 64 * n_words
    n_block = q_stop - q_start
    # Room for k kept candidates plus one full chunk of hits, and slack so that cuts
    # are rare while the threshold is still loose.
    cap = 2 * k + CHUNK
    cand_dist = np.empty((n_block, cap + 1), np.int32)
    cand_pos = np.empty((n_block, cap + 1), np.int64)
    fill = np.zeros(n_block, np.int64)
    threshold = np.full(n_block, max_dist, np.int64)
    hist = np.empty(max_dist + 1, np.int64)
    dist = np.empty(CHUNK, np.int32)
    for start in range(0, n_db, CHUNK):
        length = min(CHUNK, n_db - start)
        for b in range(n_block):
            t = threshold[b]
            if t < 0:
                continue
            hits = chunk_hit_count(q, db, q_start + b, start, length, t, dist)
            if hits == 0:
                continue
            chunk_distances(q, db, q_start + b, start, length, dist)
            f = fill[b]
            cd = cand_dist[b]
            cp = cand_pos[b]
            if f + hits > cap:
                f, t = cut_to_k(cd, cp, f, k, hist)
                threshold[b] = t
            # Branch-free append: always write, advance only on a hit (cap has one
            # spare slot for the last write).
            t32 = np.int32(t)
            for j in range(length):
                cd[f] = dist[j]
                cp[f] = start + j
                f += dist[j] <= t32
            fill[b] = f
    for b in range(n_block):
        cd = cand_dist[b]
        cp = cand_pos[b]
        f, _ = cut_to_k(cd, cp, fill[b], k, hist)
        sort_hits_by_distance(cd, cp, 0, f, max_dist)
        qi = q_start + b
        for i in range(f):
            out_dist[qi, i] = cd[i]
            out_pos[qi, i] = cp[i]
        for i in range(f, k):
            out_dist[qi, i] = int32(MISSING_DISTANCE)
            out_pos[qi, i] = -1


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i32_2d, _i64_2d), **_kernel_options)
def topk_serial(q, db, k, out_dist, out_pos):
    """Exact k nearest items of each query, sorted by (distance, position).

    Slots beyond the database size get position -1 and ``MISSING_DISTANCE``.
    """
    n_q = q.shape[0]
    for b in range(0, n_q, QUERY_BLOCK):
        topk_query_block(q, db, b, min(b + QUERY_BLOCK, n_q), k, out_dist, out_pos)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i32_2d, _i64_2d), parallel=True, **_kernel_options)
def topk_parallel(q, db, k, out_dist, out_pos):
    """Parallel twin of :func:`topk_serial` (parallel over blocks of queries)."""
    n_q = q.shape[0]
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for b in prange(n_blocks):
        start = b * QUERY_BLOCK
        topk_query_block(q, db, start, min(start + QUERY_BLOCK, n_q), k, out_dist, out_pos)
