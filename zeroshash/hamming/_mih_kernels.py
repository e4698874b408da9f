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
from numba import float64, int64, njit, prange, types, void

from .._bits import popcount64
from ._topk_kernels import MISSING_DISTANCE, count_in

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
_f64_1d = types.Array(types.float64, 1, "C")
_b_1d = types.Array(types.boolean, 1, "C")

_kernel_options = dict(cache=True, nogil=True)


# Helpers called inside the per-candidate loops take scalars only: a call passing an
# array from one explicitly typed kernel to another costs about 100 ns in numba 0.6x
# (measured), more than the work of a candidate.


@njit(int64(types.uint64, types.uint64, int64, int64), **_kernel_options)
def _substring(lo_word, hi_word, off, length):
    """Bits ``off:off+length`` of the 128-bit value ``hi_word:lo_word``, as int64.

    Substring ``(start, length)`` of a code is ``_substring(words[start // 64],
    words[start // 64 + 1] (or 0 past the last word), start % 64, length)``.
    """
    v = lo_word >> np.uint64(off)
    if off + length > 64:
        v |= hi_word << np.uint64(64 - off)
    return np.int64(v & ((np.uint64(1) << np.uint64(length)) - np.uint64(1)))


@njit(
    types.Tuple((_i32_1d, _i64_1d))(_i32_1d, _i64_1d, int64, int64),
    **_kernel_options,
)
def _grown(dist, pos, fill, size):
    """Copies of ``dist[:fill]`` and ``pos[:fill]`` in new buffers of ``size`` slots."""
    bigger_d = np.empty(size, np.int32)
    bigger_p = np.empty(size, np.int64)
    bigger_d[:fill] = dist[:fill]
    bigger_p[:fill] = pos[:fill]
    return bigger_d, bigger_p


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
        w = start // 64
        hi_row = db[w + 1] if w + 1 < db.shape[0] else db[w]
        straddles = start % 64 + length > 64
        for p in range(n_db):
            key = _substring(db[w, p], hi_row[p] if straddles else np.uint64(0), start % 64, length)
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


@njit(types.Tuple((_i64_1d, _i64_1d, _b_1d))(_ro_i64_2d), **_kernel_options)
def _substring_layout(spans):
    """Per substring: first word, bit offset in it, and whether it runs into the next."""
    m = spans.shape[0]
    word_of = np.empty(m, np.int64)
    off_of = np.empty(m, np.int64)
    straddles = np.empty(m, np.bool_)
    for j in range(m):
        word_of[j] = spans[j, 0] // 64
        off_of[j] = spans[j, 0] % 64
        straddles[j] = off_of[j] + spans[j, 1] > 64
    return word_of, off_of, straddles


@njit(float64(int64, int64), **_kernel_options)
def _n_keys(length, r):
    """Number of keys at exactly ``r`` flips of a ``length``-bit substring, C(length, r)."""
    if r > length or r < 0:
        return 0.0
    c = 1.0
    for j in range(r):
        c = c * (length - j) / (j + 1)
    return c


@njit(float64(_ro_i64_2d, int64, int64, int64, float64), **_kernel_options)
def _probes_to_reach(spans, r, i, target, limit):
    """Probes of the k-NN steps after (level ``r``, table ``i``) until the bound reaches
    ``target`` (the step where ``m * level + table >= target``), or more than ``limit``.
    """
    m = spans.shape[0]
    total = 0.0
    rr = r
    ii = i + 1
    if ii == m:
        rr += 1
        ii = 0
    while total <= limit:
        total += _n_keys(spans[ii, 1], rr)
        if m * rr + ii >= target:
            break
        ii += 1
        if ii == m:
            rr += 1
            ii = 0
            all_done = True
            for j in range(m):
                if rr <= spans[j, 1]:
                    all_done = False
            if all_done:
                break
    return total


# Argument types shared by the kernels: queries, codes, then the tables (spans,
# table_starts, offsets, positions, bucket_codes).
_SEARCH_IN = (_ro_u64_2d, _ro_u64_2d, _ro_i64_2d, _ro_i64_1d, _ro_i32_1d, _ro_i32_2d, _ro_u64_3d)
# ... then k, budget, scan_cost, probe_cost, word_cost, screen for k-NN, and after the
# query range (block kernel only) the outputs.
_TOPK_IN = (*_SEARCH_IN, int64, float64, float64, float64, float64, int64)
_TOPK_OUT = (_i32_2d, _i64_2d, _f64_1d)


@njit(void(*_TOPK_IN, int64, int64, *_TOPK_OUT), **_kernel_options)
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
    scan_cost,
    probe_cost,
    word_cost,
    screen,
    q_start,
    q_stop,
    out_dist,
    out_pos,
    out_cost,
):
    """Exact k-NN of queries ``q_start:q_stop`` by multi-index hashing.

    Probes substring radius r = 0, 1, 2, ... in every table. After probing radius
    ``r`` in tables ``0..i`` every item within ``m*r + i`` of the query has been seen
    (pigeonhole, also when the substrings cover only part of the code), so the search
    stops once the k-th best distance found is within that bound. An item is taken at
    the step (min substring distance, first table attaining it), hence once; the
    duplicate test runs only for items closer than the current k-th best, which is
    kept exact by a histogram of the distances taken (as in the brute-force kernel).

    Cost is counted in the units of ``scan_cost`` (the linear scan of this query):
    ``probe_cost`` per bucket probed and ``word_cost`` per candidate word. Once a
    query has cost more than ``budget`` and the probes still needed to reach its
    current k-th distance (all of them while fewer than ``k`` items are known) would
    take it past ``scan_cost``, it gives up: ``out_cost[qi] = -1`` and its output
    rows are left for the caller to fill by a scan. Otherwise ``out_cost[qi]`` is the
    cost spent. With ``screen > 0``, a query whose exact-match buckets (one per table)
    hold fewer than ``screen`` items in all gives up before any other probe.
    """
    m = spans.shape[0]
    n_words = db.shape[0]
    n_db = db.shape[1]
    max_dist = 64 * n_words
    max_len = 0
    for i in range(m):
        max_len = max(max_len, spans[i, 1])
    sub_q = np.empty(m, np.int64)
    word_of, off_of, straddles = _substring_layout(spans)
    with_codes = bucket_codes.shape[2] > 0
    cand = np.empty(n_words, np.uint64)
    hist = np.empty(max_dist + 1, np.int64)
    cand_d = np.empty(max(4 * k, 256), np.int32)
    cand_p = np.empty(max(4 * k, 256), np.int64)
    for qi in range(q_start, q_stop):
        words = q[qi]
        for i in range(m):
            wi = word_of[i]
            above = words[wi + 1] if straddles[i] else np.uint64(0)
            sub_q[i] = _substring(words[wi], above, off_of[i], spans[i, 1])
        if screen > 0:
            # The query's own buckets: fewer than ``screen`` items in all of them says
            # it has no dense neighbourhood, so it is scanned without probing.
            found = 0
            for i in range(m):
                key = table_starts[i] + sub_q[i]
                found += offsets[key + 1] - offsets[key]
            if found < screen:
                out_cost[qi] = -1.0
                continue
        hist[:] = 0
        fill = 0
        count = 0
        level = max_dist
        n_taken = 0
        cost = 0.0
        done = False
        gave_up = False
        for r in range(max_len + 1):
            for i in range(m):
                length = spans[i, 1]
                if r <= length:
                    base = table_starts[i]
                    mask = (np.int64(1) << r) - 1
                    checked = False
                    while mask >= 0:
                        key = sub_q[i] ^ mask
                        lo = offsets[base + key]
                        hi = offsets[base + key + 1]
                        cost += probe_cost + (hi - lo) * n_words * word_cost
                        for at in range(lo, hi):
                            d = 0
                            for w in range(n_words):
                                if with_codes:
                                    c = bucket_codes[i, w, at]
                                else:
                                    c = db[w, positions[i, at]]
                                cand[w] = c
                                d += popcount64(c ^ words[w])
                            if d > level:
                                continue
                            # Taken here only if no probe before this step reached it.
                            seen = False
                            for j in range(m):
                                if j != i:
                                    wj = word_of[j]
                                    above = cand[wj + 1] if straddles[j] else np.uint64(0)
                                    sj = _substring(cand[wj], above, off_of[j], spans[j, 1])
                                    dj = popcount64(np.uint64(sj ^ sub_q[j]))
                                    if dj < r or (dj == r and j < i):
                                        seen = True
                                        break
                            if seen:
                                continue
                            p = positions[i, at]
                            if fill == cand_d.shape[0]:
                                kept = 0
                                for c in range(fill):
                                    if cand_d[c] <= level:
                                        cand_d[kept] = cand_d[c]
                                        cand_p[kept] = cand_p[c]
                                        kept += 1
                                fill = kept
                                if 2 * fill > cand_d.shape[0]:
                                    cand_d, cand_p = _grown(
                                        cand_d, cand_p, fill, 2 * cand_d.shape[0]
                                    )
                            cand_d[fill] = d
                            cand_p[fill] = p
                            fill += 1
                            n_taken += 1
                            count, level = count_in(hist, d, count, level, k)
                        mask = _next_same_popcount(mask, length) if r > 0 else -1
                        if cost > budget and not checked:
                            # Over budget inside a step: decide now (once per step) rather
                            # than after the step's C(length, r) probes.
                            checked = True
                            if count < k:
                                gave_up = True
                            else:
                                room = (scan_cost - cost) / probe_cost
                                left = _n_keys(length, r) + _probes_to_reach(
                                    spans, r, i, level, room
                                )
                                gave_up = room < 0 or left > room
                            if gave_up:
                                break
                    if gave_up:
                        break
                # Items still unseen have substring distance > r on tables 0..i and
                # >= r on the others; if a table is too short for that, none is left.
                all_seen = n_taken == n_db
                for j in range(m):
                    if spans[j, 1] < r or (j <= i and spans[j, 1] == r):
                        all_seen = True
                if all_seen or (count >= k and level <= m * r + i):
                    done = True
                elif cost > budget:
                    if count < k:
                        gave_up = True
                    else:
                        room = (scan_cost - cost) / probe_cost
                        gave_up = room < 0 or _probes_to_reach(spans, r, i, level, room) > room
                if done or gave_up:
                    break
            if done or gave_up:
                break
        if gave_up:
            out_cost[qi] = -1.0
            continue
        out_cost[qi] = cost
        # Keep candidates up to the k-th distance, then order by (distance, position).
        keys = np.empty(fill, np.int64)
        n_keep = 0
        for c in range(fill):
            if cand_d[c] <= level:
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


# Queries per task of the parallel twins: enough to amortise a task's scratch buffers.
_TASK_QUERIES = 4


@njit(void(*_TOPK_IN, *_TOPK_OUT), parallel=True, **_kernel_options)
def mih_topk_parallel(
    q, db, spans, table_starts, offsets, positions, bucket_codes,
    k, budget, scan_cost, probe_cost, word_cost, screen, out_dist, out_pos, out_cost,
):  # fmt: skip
    """Parallel twin of :func:`mih_topk_block` over all queries (tasks of 4 queries)."""
    n_q = q.shape[0]
    n_tasks = (n_q + _TASK_QUERIES - 1) // _TASK_QUERIES
    for t in prange(n_tasks):
        start = t * _TASK_QUERIES
        mih_topk_block(
            q, db, spans, table_starts, offsets, positions, bucket_codes,
            k, budget, scan_cost, probe_cost, word_cost, screen,
            start, min(start + _TASK_QUERIES, n_q), out_dist, out_pos, out_cost,
        )  # fmt: skip


@njit(void(_i64_1d, _i64_1d, int64, int64), **_kernel_options)
def sort_runs(vals, tmp, lo, hi):
    """Sort ``vals[lo:hi]`` in place (``tmp`` is scratch of the same length).

    A natural bottom-up merge sort: its passes merge neighbouring ascending runs, so
    input made of few sorted runs (the hits of a few buckets, each in position order)
    costs ``O(n log runs)``; short inputs use insertion sort.
    """
    if hi - lo <= 16:
        for i in range(lo + 1, hi):
            v = vals[i]
            j = i - 1
            while j >= lo and vals[j] > v:
                vals[j + 1] = vals[j]
                j -= 1
            vals[j + 1] = v
        return
    while True:
        i = lo
        passes_merged = False
        while i < hi:
            j = i + 1
            while j < hi and vals[j - 1] <= vals[j]:
                j += 1
            if j == hi:
                if i == lo:
                    return
                for c in range(i, hi):
                    tmp[c] = vals[c]
                break
            e = j + 1
            while e < hi and vals[e - 1] <= vals[e]:
                e += 1
            a = i
            b = j
            out = i
            while a < j and b < e:
                if vals[a] <= vals[b]:
                    tmp[out] = vals[a]
                    a += 1
                else:
                    tmp[out] = vals[b]
                    b += 1
                out += 1
            while a < j:
                tmp[out] = vals[a]
                a += 1
                out += 1
            while b < e:
                tmp[out] = vals[b]
                b += 1
                out += 1
            passes_merged = True
            i = e
        for c in range(lo, hi):
            vals[c] = tmp[c]
        if not passes_merged:
            return


@njit(
    types.Tuple((_i64_1d, _i32_1d, _i64_1d))(*_SEARCH_IN, _ro_i64_1d, int64, int64, int64),
    **_kernel_options,
)
def mih_range_block(
    q, db, spans, table_starts, offsets, positions, bucket_codes, reach, radius, q_start, q_stop
):
    """Items within ``radius`` of queries ``q_start:q_stop`` by multi-index hashing.

    Table ``i`` is probed up to substring radius ``reach[i]`` (-1: not probed). A plan
    of exact-match lookups in ``t < m`` tables (every probed reach 0) uses, for each
    query, the ``t`` tables whose buckets for it are smallest. The
    plan is exact when ``sum(reach[i] + 1) >= radius + 1`` over the probed tables (or
    one probed table is enumerated whole): an item missed by all probes is at least
    that far away on the probed substrings alone. One probed table with
    ``reach = radius`` is a single-table lookup with bit flips. An item is taken by
    the first table whose probe reaches it, and the duplicate test runs only for items
    within ``radius``. Returns ``(counts, dist, pos)`` with the hits of each query
    contiguous and sorted by (distance, position).
    """
    m = spans.shape[0]
    n_words = db.shape[0]
    n_q = q_stop - q_start
    word_of, off_of, straddles = _substring_layout(spans)
    with_codes = bucket_codes.shape[2] > 0
    one_word = n_words == 1 and with_codes
    qreach = np.empty(m, np.int64)
    size = np.empty(m, np.int64)
    n_exact = 0
    exact_match = True
    for i in range(m):
        if reach[i] == 0:
            n_exact += 1
        elif reach[i] > 0:
            exact_match = False
    exact_match = exact_match and n_exact < m
    sub_q = np.empty(m, np.int64)
    cand = np.empty(n_words, np.uint64)
    counts = np.zeros(n_q, np.int64)
    out_d = np.empty(256, np.int32)
    out_p = np.empty(256, np.int64)
    keys = np.empty(256, np.int64)
    scratch = np.empty(256, np.int64)
    top = min(radius, 64 * n_words)
    by_dist = np.empty(top + 2, np.int64)
    n_out = 0
    for qi in range(q_start, q_stop):
        words = q[qi]
        first_hit = n_out
        for i in range(m):
            wi = word_of[i]
            above = words[wi + 1] if straddles[i] else np.uint64(0)
            sub_q[i] = _substring(words[wi], above, off_of[i], spans[i, 1])
        q0 = words[0]
        qreach[:] = reach
        if exact_match:
            # Exact-match lookups in t tables: any t of them are exact, so take the t
            # whose buckets for this query are smallest (m probes of the offsets).
            for i in range(m):
                size[i] = (
                    offsets[table_starts[i] + sub_q[i] + 1] - offsets[table_starts[i] + sub_q[i]]
                )
                qreach[i] = -1
            for _ in range(n_exact):
                best = -1
                for i in range(m):
                    if qreach[i] < 0 and (best < 0 or size[i] < size[best]):
                        best = i
                qreach[best] = 0
        for i in range(m):
            base = table_starts[i]
            length = spans[i, 1]
            for r in range(min(qreach[i], length) + 1):
                mask = (np.int64(1) << r) - 1
                while mask >= 0:
                    key = sub_q[i] ^ mask
                    lo = offsets[base + key]
                    hi = offsets[base + key + 1]
                    mask = _next_same_popcount(mask, length) if r > 0 else -1
                    if n_out + hi - lo > out_d.shape[0]:
                        grown = max(2 * out_d.shape[0], n_out + hi - lo)
                        out_d, out_p = _grown(out_d, out_p, n_out, grown)
                    if one_word:
                        # Count first in one vectorised pass: most buckets have no hit.
                        codes = bucket_codes[i, 0, lo:hi]
                        hits = 0
                        for j in range(hi - lo):
                            hits += popcount64(q0 ^ codes[j]) <= radius
                        if hits == 0:
                            continue
                        for j in range(hi - lo):
                            c = codes[j]
                            d = popcount64(q0 ^ c)
                            if d > radius:
                                continue
                            seen = False
                            for t in range(i):
                                if qreach[t] >= 0:
                                    st = _substring(c, np.uint64(0), off_of[t], spans[t, 1])
                                    if popcount64(np.uint64(st ^ sub_q[t])) <= qreach[t]:
                                        seen = True
                                        break
                            if not seen:
                                out_d[n_out] = d
                                out_p[n_out] = positions[i, lo + j]
                                n_out += 1
                        continue
                    for at in range(lo, hi):
                        d = 0
                        for w in range(n_words):
                            c = bucket_codes[i, w, at] if with_codes else db[w, positions[i, at]]
                            cand[w] = c
                            d += popcount64(c ^ words[w])
                        if d > radius:
                            continue
                        # Taken by the first probed table whose reach covers it.
                        seen = False
                        for j in range(i):
                            if qreach[j] >= 0:
                                wj = word_of[j]
                                above = cand[wj + 1] if straddles[j] else np.uint64(0)
                                sj = _substring(cand[wj], above, off_of[j], spans[j, 1])
                                if popcount64(np.uint64(sj ^ sub_q[j])) <= qreach[j]:
                                    seen = True
                                    break
                        if not seen:
                            out_d[n_out] = d
                            out_p[n_out] = positions[i, at]
                            n_out += 1
        n_hits = n_out - first_hit
        counts[qi - q_start] = n_hits
        if n_hits > 1:
            # Stable counting sort by distance, then each distance's positions (a few
            # ascending runs, one per bucket) by merging.
            if keys.shape[0] < n_hits:
                keys = np.empty(2 * n_hits, np.int64)
                scratch = np.empty(2 * n_hits, np.int64)
            by_dist[: top + 2] = 0
            for c in range(first_hit, n_out):
                by_dist[out_d[c] + 1] += 1
            for d in range(top + 1):
                by_dist[d + 1] += by_dist[d]
            for c in range(first_hit, n_out):
                d = out_d[c]
                keys[by_dist[d]] = out_p[c]
                by_dist[d] += 1
            start = 0
            for d in range(top + 1):
                end = by_dist[d]
                if end - start > 1:
                    sort_runs(keys, scratch, start, end)
                for c in range(start, end):
                    out_d[first_hit + c] = d
                    out_p[first_hit + c] = keys[c]
                start = end
    return counts, out_d[:n_out].copy(), out_p[:n_out].copy()


@njit(
    types.Tuple((_i64_1d, _i32_1d, _i64_1d))(*_SEARCH_IN, _ro_i64_1d, int64, int64),
    parallel=True,
    **_kernel_options,
)
def mih_range_parallel(
    q, db, spans, table_starts, offsets, positions, bucket_codes, reach, radius, n_blocks
):
    """Parallel twin of :func:`mih_range_block` over all queries, in ``n_blocks``
    contiguous blocks; returns ``(counts, dist, pos)`` for all of them, in order."""
    n_q = q.shape[0]
    counts = np.empty(n_q, np.int64)
    ends = np.zeros(n_blocks + 1, np.int64)
    parts_d = [np.empty(0, np.int32) for _ in range(n_blocks)]
    parts_p = [np.empty(0, np.int64) for _ in range(n_blocks)]
    for b in prange(n_blocks):
        start = n_q * b // n_blocks
        stop = n_q * (b + 1) // n_blocks
        c, d, p = mih_range_block(
            q, db, spans, table_starts, offsets, positions, bucket_codes, reach, radius,
            start, stop,
        )  # fmt: skip
        counts[start:stop] = c
        parts_d[b] = d
        parts_p[b] = p
        ends[b + 1] = d.shape[0]
    for b in range(n_blocks):
        ends[b + 1] += ends[b]
    dist = np.empty(ends[n_blocks], np.int32)
    pos = np.empty(ends[n_blocks], np.int64)
    for b in prange(n_blocks):
        dist[ends[b] : ends[b + 1]] = parts_d[b]
        pos[ends[b] : ends[b + 1]] = parts_p[b]
    return counts, dist, pos
