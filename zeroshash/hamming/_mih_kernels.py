"""Numba kernels for multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012).

Imports numpy, numba and the bit layer :mod:`zeroshash._bits` only; inputs are trusted
(validated by the Python API).

Each code is cut into ``m`` disjoint substrings of at most 32 bits (contiguous ranges
of the internal word bits, whose layout :mod:`zeroshash._bits` documents). For every
substring a direct-address table maps each possible substring value to the database
positions holding it (CSR: ``offsets``, ``positions``). By pigeonhole, an item within
distance ``R`` of a query is within ``R // m`` of it on at least one substring, so
probing the few table buckets near the query's substrings finds every such item.

Each item is reported once: at the first substring whose probe can reach it (the
dedup rule is written next to each search), so no per-query "seen" set is needed.
Results are sorted by (distance, position), like the brute-force kernels.
"""

from __future__ import annotations

import numpy as np
from numba import int64, njit, prange, types, void

from .._bits import popcount64
from ._kernels import sort_hits_by_distance
from ._topk_kernels import MISSING_DISTANCE, topk_query_block

_ro_u64_1d = types.Array(types.uint64, 1, "C", readonly=True)
_ro_u64_2d = types.Array(types.uint64, 2, "C", readonly=True)
_ro_u64_3d = types.Array(types.uint64, 3, "C", readonly=True)
_u64_1d = types.Array(types.uint64, 1, "C")
_u64_3d = types.Array(types.uint64, 3, "C")
_ro_i32_1d = types.Array(types.int32, 1, "C", readonly=True)
_ro_i32_2d = types.Array(types.int32, 2, "C", readonly=True)
_ro_i64_1d = types.Array(types.int64, 1, "C", readonly=True)
_ro_i64_2d = types.Array(types.int64, 2, "C", readonly=True)
_i32_1d = types.Array(types.int32, 1, "C")
_i32_2d = types.Array(types.int32, 2, "C")
_i64_1d = types.Array(types.int64, 1, "C")
_i64_2d = types.Array(types.int64, 2, "C")

_kernel_options = dict(cache=True, nogil=True)


@njit(int64(_ro_u64_2d, int64, int64, int64), **_kernel_options)
def _column_substring(db, item, start, length):
    """Bits ``start:start+length`` (internal order) of database item ``item``."""
    w = start // 64
    off = start % 64
    v = db[w, item] >> np.uint64(off)
    if off + length > 64:
        v |= db[w + 1, item] << np.uint64(64 - off)
    return np.int64(v & ((np.uint64(1) << np.uint64(length)) - np.uint64(1)))


@njit(int64(_ro_u64_1d, int64, int64), **_kernel_options)
def _row_substring(words, start, length):
    """Bits ``start:start+length`` (internal order) of one query's words."""
    w = start // 64
    off = start % 64
    v = words[w] >> np.uint64(off)
    if off + length > 64:
        v |= words[w + 1] << np.uint64(64 - off)
    return np.int64(v & ((np.uint64(1) << np.uint64(length)) - np.uint64(1)))


@njit(void(_ro_u64_2d, _ro_i64_2d, _ro_i64_1d, _i32_1d, _i32_2d, _u64_3d), **_kernel_options)
def build_tables(db, spans, table_starts, offsets, positions, bucket_codes):
    """Counting-sort every item into each substring's direct-address table.

    ``spans[i] = (bit_start, bit_length)``; table ``i`` owns
    ``offsets[table_starts[i] : table_starts[i] + 2**bit_length + 1]`` and
    ``positions[i]``. Positions within a bucket are in increasing order. Unless
    ``bucket_codes`` is empty, ``bucket_codes[i, :, at]`` receives the code at
    ``positions[i, at]``, so probes read candidates sequentially.
    """
    with_codes = bucket_codes.shape[2] > 0
    n_db = db.shape[1]
    for i in range(spans.shape[0]):
        start = spans[i, 0]
        length = spans[i, 1]
        base = table_starts[i]
        n_buckets = np.int64(1) << length
        table = offsets[base : base + n_buckets + 1]
        table[:] = 0
        keys = np.empty(n_db, np.int64)
        for p in range(n_db):
            key = _column_substring(db, p, start, length)
            keys[p] = key
            table[key + 1] += 1
        for b in range(n_buckets):
            table[b + 1] += table[b]
        fill = table[:n_buckets].copy()
        row = positions[i]
        for p in range(n_db):
            key = keys[p]
            row[fill[key]] = p
            if with_codes:
                for w in range(db.shape[0]):
                    bucket_codes[i, w, fill[key]] = db[w, p]
            fill[key] += 1


@njit(int64(_ro_u64_1d, _ro_u64_1d), **_kernel_options)
def _words_distance(a, b):
    d = 0
    for w in range(a.shape[0]):
        d += popcount64(a[w] ^ b[w])
    return d


@njit(void(_ro_u64_2d, _ro_u64_3d, int64, int64, int64, _u64_1d), **_kernel_options)
def _load_candidate(db, bucket_codes, table, at, item, out):
    """Copy the code of ``item`` (entry ``at`` of ``table``) into ``out``.

    The bucket-ordered copy is read sequentially; the database column is a random
    access (a cache miss on large databases).
    """
    if bucket_codes.shape[2] > 0:
        for w in range(out.shape[0]):
            out[w] = bucket_codes[table, w, at]
    else:
        for w in range(out.shape[0]):
            out[w] = db[w, item]


@njit(int64(int64, int64), **_kernel_options)
def _next_same_popcount(mask, length):
    """Next larger integer with the same number of set bits (Gosper's hack), or -1."""
    if mask == 0:
        return -1
    low = mask & -mask
    ripple = mask + low
    nxt = (((ripple ^ mask) >> 2) // low) | ripple
    if nxt >= (np.int64(1) << length):
        return -1
    return nxt


@njit(
    types.Tuple((_i32_1d, _i64_1d, int64))(_i32_1d, _i64_1d, int64, int64, int64),
    **_kernel_options,
)
def _append(dist, pos, n, d, p):
    """Append (d, p) at index ``n``, doubling the buffers when full."""
    if n == dist.shape[0]:
        bigger_d = np.empty(2 * n, np.int32)
        bigger_p = np.empty(2 * n, np.int64)
        bigger_d[:n] = dist
        bigger_p[:n] = pos
        dist = bigger_d
        pos = bigger_p
    dist[n] = d
    pos[n] = p
    return dist, pos, n + 1


@njit(
    void(
        _ro_u64_2d,
        _ro_u64_2d,
        _ro_i64_2d,
        _ro_i64_1d,
        _ro_i32_1d,
        _ro_i32_2d,
        _ro_u64_3d,
        int64,
        int64,
        int64,
        int64,
        _i32_2d,
        _i64_2d,
        _i64_1d,
    ),
    **_kernel_options,
)
def mih_topk_block(
    q,
    db,
    spans,
    table_starts,
    offsets,
    positions,
    bucket_codes,
    k,
    budget,
    q_start,
    q_stop,
    out_dist,
    out_pos,
    out_cost,
):
    """Exact k-NN of queries ``q_start:q_stop`` by multi-index hashing.

    Probes substring radius r = 0, 1, 2, ... in every table. After probing radius
    ``r`` in tables ``0..i`` every item within ``m*r + i`` of the query has been seen
    (pigeonhole), so the search stops once the k-th best distance found is within
    that bound. An item is reported at the step (min substring distance, first
    table attaining it), hence once. A query that has cost more than ``budget``
    probes plus candidate words is finished by a linear scan instead (also exact);
    ``out_cost[qi]`` receives the cost, so callers can tell.
    """
    m = spans.shape[0]
    n_words = db.shape[0]
    n_db = db.shape[1]
    max_dist = 64 * n_words
    max_len = 0
    for i in range(m):
        max_len = max(max_len, spans[i, 1])
    sub_q = np.empty(m, np.int64)
    cand = np.empty(n_words, np.uint64)
    hist = np.empty(max_dist + 1, np.int64)
    for qi in range(q_start, q_stop):
        words = q[qi]
        for i in range(m):
            sub_q[i] = _row_substring(words, spans[i, 0], spans[i, 1])
        hist[:] = 0
        cand_d = np.empty(max(2 * k, 64), np.int32)
        cand_p = np.empty(max(2 * k, 64), np.int64)
        n_cand = 0
        cost = 0
        done = False
        scanned = False
        for r in range(max_len + 1):
            for i in range(m):
                length = spans[i, 1]
                if r <= length:
                    base = table_starts[i]
                    mask = (np.int64(1) << r) - 1
                    while mask >= 0:
                        key = sub_q[i] ^ mask
                        lo = offsets[base + key]
                        hi = offsets[base + key + 1]
                        cost += 1 + (hi - lo) * n_words
                        for at in range(lo, hi):
                            p = positions[i, at]
                            _load_candidate(db, bucket_codes, i, at, p, cand)
                            first = True
                            for j in range(m):
                                if j != i:
                                    dj = popcount64(
                                        np.uint64(
                                            _row_substring(cand, spans[j, 0], spans[j, 1])
                                            ^ sub_q[j]
                                        )
                                    )
                                    if dj < r or (dj == r and j < i):
                                        first = False
                                        break
                            if first:
                                d = _words_distance(cand, words)
                                cand_d, cand_p, n_cand = _append(cand_d, cand_p, n_cand, d, p)
                                hist[d] += 1
                        mask = _next_same_popcount(mask, length) if r > 0 else -1
                # Items still unseen have substring distance > r on tables 0..i and
                # >= r on the others; if a table is too short for that, none is left.
                all_seen = n_cand == n_db
                for j in range(i + 1):
                    if spans[j, 1] <= r:
                        all_seen = True
                bound = m * r + i
                if n_cand >= k:
                    below = 0
                    kth = 0
                    for d in range(max_dist + 1):
                        below += hist[d]
                        if below >= k:
                            kth = d
                            break
                    if kth <= bound:
                        done = True
                if all_seen:
                    done = True
                if not done and cost > budget:
                    topk_query_block(q, db, qi, qi + 1, k, out_dist, out_pos)
                    scanned = True
                    done = True
                if done:
                    break
            if done:
                break
        out_cost[qi] = cost
        if scanned:
            continue
        # Keep candidates up to the k-th distance, then order by (distance, position).
        below = 0
        kth = max_dist
        for d in range(max_dist + 1):
            below += hist[d]
            if below >= k:
                kth = d
                break
        keys = np.empty(n_cand, np.int64)
        n_keep = 0
        for c in range(n_cand):
            if cand_d[c] <= kth:
                keys[n_keep] = np.int64(cand_d[c]) * (n_db + 1) + cand_p[c]
                n_keep += 1
        order = np.sort(keys[:n_keep])
        n_out = min(k, n_keep)
        for c in range(n_out):
            out_dist[qi, c] = order[c] // (n_db + 1)
            out_pos[qi, c] = order[c] % (n_db + 1)
        for c in range(n_out, k):
            out_dist[qi, c] = MISSING_DISTANCE
            out_pos[qi, c] = -1


@njit(
    void(
        _ro_u64_2d,
        _ro_u64_2d,
        _ro_i64_2d,
        _ro_i64_1d,
        _ro_i32_1d,
        _ro_i32_2d,
        _ro_u64_3d,
        int64,
        int64,
        _i32_2d,
        _i64_2d,
        _i64_1d,
    ),
    parallel=True,
    **_kernel_options,
)
def mih_topk_parallel(
    q,
    db,
    spans,
    table_starts,
    offsets,
    positions,
    bucket_codes,
    k,
    budget,
    out_dist,
    out_pos,
    out_cost,
):
    """Parallel twin of :func:`mih_topk_block` over all queries (one task per query)."""
    for qi in prange(q.shape[0]):
        mih_topk_block(
            q,
            db,
            spans,
            table_starts,
            offsets,
            positions,
            bucket_codes,
            k,
            budget,
            qi,
            qi + 1,
            out_dist,
            out_pos,
            out_cost,
        )


@njit(void(_i32_1d, _i64_1d, int64, int64), **_kernel_options)
def sort_by_position(dist, pos, lo, hi):
    """Sort ``pos[lo:hi]`` increasingly, moving ``dist`` along."""
    if hi - lo < 2:
        return
    order = np.argsort(pos[lo:hi])
    tmp_d = dist[lo:hi].copy()
    tmp_p = pos[lo:hi].copy()
    for c in range(hi - lo):
        dist[lo + c] = tmp_d[order[c]]
        pos[lo + c] = tmp_p[order[c]]


@njit(
    types.Tuple((_i64_1d, _i32_1d, _i64_1d))(
        _ro_u64_2d,
        _ro_u64_2d,
        _ro_i64_2d,
        _ro_i64_1d,
        _ro_i32_1d,
        _ro_i32_2d,
        _ro_u64_3d,
        int64,
        int64,
        int64,
    ),
    **_kernel_options,
)
def mih_range_block(
    q, db, spans, table_starts, offsets, positions, bucket_codes, radius, q_start, q_stop
):
    """Items within ``radius`` of queries ``q_start:q_stop`` by multi-index hashing.

    With ``radius = m*r + a`` (``0 <= a < m``), tables ``0..a`` are probed up to
    substring radius ``r`` and the others up to ``r - 1``: an item missed by all of
    them would be at least ``(a+1)(r+1) + (m-a-1)r = radius + 1`` away. An item is
    reported by the first table whose probe reaches it. Returns ``(counts, dist,
    pos)`` with the hits of each query contiguous and sorted by (distance, position).
    """
    m = spans.shape[0]
    n_q = q_stop - q_start
    r_base = radius // m
    r_extra = radius % m
    sub_q = np.empty(m, np.int64)
    cand = np.empty(db.shape[0], np.uint64)
    reach = np.empty(m, np.int64)
    for i in range(m):
        reach[i] = min(r_base if i <= r_extra else r_base - 1, spans[i, 1])
    counts = np.zeros(n_q, np.int64)
    out_d = np.empty(64, np.int32)
    out_p = np.empty(64, np.int64)
    n_out = 0
    for qi in range(q_start, q_stop):
        words = q[qi]
        first_hit = n_out
        for i in range(m):
            sub_q[i] = _row_substring(words, spans[i, 0], spans[i, 1])
        for i in range(m):
            base = table_starts[i]
            length = spans[i, 1]
            for r in range(reach[i] + 1):
                mask = (np.int64(1) << r) - 1
                while mask >= 0:
                    key = sub_q[i] ^ mask
                    for at in range(offsets[base + key], offsets[base + key + 1]):
                        p = positions[i, at]
                        _load_candidate(db, bucket_codes, i, at, p, cand)
                        first = True
                        for j in range(i):
                            dj = popcount64(
                                np.uint64(_row_substring(cand, spans[j, 0], spans[j, 1]) ^ sub_q[j])
                            )
                            if dj <= reach[j]:
                                first = False
                                break
                        if first:
                            d = _words_distance(cand, words)
                            if d <= radius:
                                out_d, out_p, n_out = _append(out_d, out_p, n_out, d, p)
                    mask = _next_same_popcount(mask, length) if r > 0 else -1
        counts[qi - q_start] = n_out - first_hit
        sort_by_position(out_d, out_p, first_hit, n_out)
        sort_hits_by_distance(out_d, out_p, first_hit, n_out, radius)
    return counts, out_d[:n_out].copy(), out_p[:n_out].copy()
