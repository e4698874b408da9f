"""Numba kernels for exact k-nearest-neighbour search in Hamming space.

Imports numpy and numba only; inputs are trusted (validated by the Python API).

Tie order: results are sorted by (distance, database position). Selection exploits
that distances are small integers: each query keeps a candidate buffer filled in
position order and a histogram of its distances, which gives the exact k-th best
distance after every accepted item (no heap, no sort). Only items strictly closer
than it are accepted later (they come later in position order and would lose a tie),
so most chunks have no hit at all, which costs one vectorised count. When the buffer
is full it is compacted back to ``k`` items, keeping the earliest among ties.
"""

from __future__ import annotations

import numpy as np
from numba import int32, int64, njit, prange, types, void

from ._kernels import (
    CHUNK,
    QUERY_BLOCK,
    chunk_distances,
    chunk_hit_count,
    chunk_hit_counts4,
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


# Per-query selection state, one int64 row: buffer fill, number of buffered items
# at distance <= LEVEL, LEVEL (the k-th best distance once COUNT >= k), and LIMIT
# (largest distance still accepted).
FILL, COUNT, LEVEL, LIMIT = 0, 1, 2, 3


@njit(void(_i64_1d, _i64_1d, int64), **_kernel_options)
def reset_selection(state, hist, max_dist):
    """Start a selection: empty buffer, everything accepted."""
    hist[:] = 0
    state[FILL] = 0
    state[COUNT] = 0
    state[LEVEL] = max_dist
    state[LIMIT] = max_dist


@njit(types.UniTuple(int64, 2)(_i64_1d, int64, int64, int64, int64), **_kernel_options)
def count_in(hist, d, count, level, k):
    """Count one more item at distance ``d``; return the new ``(count, level)``.

    ``hist`` counts the items kept per distance and ``count`` those at or below
    ``level``; once ``count >= k``, ``level`` is the k-th best distance (levels whose
    items are no longer needed are dropped from ``count`` and ``hist``).
    """
    hist[d] += 1
    count += 1
    if count >= k:
        while count - hist[level] >= k:
            count -= hist[level]
            hist[level] = 0
            level -= 1
    return count, level


@njit(void(_i32_1d, int64, int64, int64, _i32_1d, _i64_1d, _i64_1d, _i64_1d), **_kernel_options)
def accept_hits(dist, length, start, k, cand_dist, cand_pos, hist, state):
    """Append the items of ``dist[:length]`` (positions ``start...``) within the limit.

    The limit is kept exact after every accepted item: ``hist`` counts buffered
    items per distance, and once ``k`` are at or below ``LEVEL`` that level drops
    while the items above it are not needed. New items must then be strictly
    closer than the k-th best, as they come later in position order and would lose
    the tie. Hits are rare, so groups of 16 are tested with a vectorised count
    first. The buffer needs room for ``length`` more items.
    """
    fill = state[FILL]
    count = state[COUNT]
    level = state[LEVEL]
    limit = state[LIMIT]
    for g in range(0, length, 16):
        group = dist[g : min(g + 16, length)]
        lim32 = np.int32(limit)
        hits = 0
        for j in range(group.shape[0]):
            hits += group[j] <= lim32
        if hits == 0:
            continue
        for j in range(group.shape[0]):
            d = group[j]
            if d <= limit:
                cand_dist[fill] = d
                cand_pos[fill] = start + g + j
                fill += 1
                count, level = count_in(hist, d, count, level, k)
                if count >= k:
                    limit = level - 1
    state[FILL] = fill
    state[COUNT] = count
    state[LEVEL] = level
    state[LIMIT] = limit


@njit(void(_i32_1d, _i64_1d, int64, _i64_1d, _i64_1d), **_kernel_options)
def compact_candidates(cand_dist, cand_pos, k, hist, state):
    """Drop buffered items that can no longer be among the k best, keeping order.

    Among items at the k-th distance the earliest are kept (position order).
    """
    if state[COUNT] < k:
        return
    level = state[LEVEL]
    quota = k - (state[COUNT] - hist[level])
    keep_at_level = quota
    out = 0
    for i in range(state[FILL]):
        d = cand_dist[i]
        if d < level or (d == level and keep_at_level > 0):
            if d == level:
                keep_at_level -= 1
            cand_dist[out] = d
            cand_pos[out] = cand_pos[i]
            out += 1
    hist[level] = quota - keep_at_level
    state[FILL] = out
    state[COUNT] = out


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i32_2d, _i64_2d), **_kernel_options)
def topk_query_block(q, db, q_start, q_stop, k, out_dist, out_pos):
    """Exact top-k of queries ``q_start:q_stop``, the database read once per chunk."""
    n_words = db.shape[0]
    n_db = db.shape[1]
    max_dist = 64 * n_words
    n_block = q_stop - q_start
    # k kept candidates plus one full chunk of hits.
    cap = k + CHUNK
    cand_dist = np.empty((n_block, cap), np.int32)
    cand_pos = np.empty((n_block, cap), np.int64)
    state = np.empty((n_block, 4), np.int64)
    hist = np.empty((n_block, max_dist + 1), np.int64)
    for b in range(n_block):
        reset_selection(state[b], hist[b], max_dist)
    dist = np.empty(CHUNK, np.int32)
    hits = np.zeros(n_block, np.int64)
    limits = np.empty(4, np.int64)
    # Quads of queries share one pass over each chunk (one- and two-word codes).
    n_quad = 4 * (n_block // 4) if n_words <= 2 else 0
    for start in range(0, n_db, CHUNK):
        length = min(CHUNK, n_db - start)
        for b in range(0, n_quad, 4):
            for i in range(4):
                limits[i] = state[b + i, LIMIT]
            chunk_hit_counts4(q, db, q_start + b, start, length, limits, hits[b : b + 4])
        for b in range(n_quad, n_block):
            limit = state[b, LIMIT]
            hits[b] = (
                chunk_hit_count(q, db, q_start + b, start, length, limit, dist) if limit >= 0 else 0
            )
        for b in range(n_block):
            if hits[b] == 0:
                continue
            st = state[b]
            chunk_distances(q, db, q_start + b, start, length, dist)
            if st[FILL] + hits[b] > cap:
                compact_candidates(cand_dist[b], cand_pos[b], k, hist[b], st)
            accept_hits(dist, length, start, k, cand_dist[b], cand_pos[b], hist[b], st)
    for b in range(n_block):
        cd = cand_dist[b]
        cp = cand_pos[b]
        compact_candidates(cd, cp, k, hist[b], state[b])
        f = state[b, FILL]
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
