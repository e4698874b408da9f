"""Numba kernels for Hamming distances: pairwise counts and radius search.

This module imports numpy, numba, the bit layer :mod:`zeroshash._bits` and the compile
notice of :mod:`zeroshash._progress` only (every kernel module of the engine imports this
one first, so a cold numba cache is announced once before compiling). Kernels trust their
input: the Python API (:mod:`zeroshash.hamming.index`) validates shapes,
dtypes and values first.

Word layouts
------------
Kernels work on codes converted to 64-bit words (layout in :mod:`zeroshash._bits`):

* the **database** is word-major, ``db[w, i]`` is word ``w`` of item ``i``, so that
  the inner loop over items reads one contiguous row while the query word stays in a
  register; LLVM turns that loop into an AVX2 table popcount;
* **queries** are item-major, ``q[i, w]``.

Padding bits are zero in both, so popcount of the XOR is the Hamming distance.
"""

from __future__ import annotations

import numpy as np
from numba import int64, njit, prange, types, void

from .._bits import popcount64
from .._progress import announce_compilation

announce_compilation()

# Items walked per pass: 128 codes x 8 bytes x words stays in L1 while a block of
# queries is compared with it.
CHUNK = 256
# Queries compared with each chunk before moving on, so the database is read from
# memory once per block rather than once per query.
QUERY_BLOCK = 16

_ro_u64_2d = types.Array(types.uint64, 2, "C", readonly=True)
_i32_1d = types.Array(types.int32, 1, "C")
_i32_2d = types.Array(types.int32, 2, "C")
_i64_1d = types.Array(types.int64, 1, "C")

_kernel_options = dict(cache=True, nogil=True)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i32_2d), **_kernel_options)
def _pairwise_one_query(q, db, qi, out):
    n_words = db.shape[0]
    n_db = db.shape[1]
    row = out[qi]
    w0 = q[qi, 0]
    col = db[0]
    for j in range(n_db):
        row[j] = popcount64(w0 ^ col[j])
    for w in range(1, n_words):
        qw = q[qi, w]
        col = db[w]
        for j in range(n_db):
            row[j] += popcount64(qw ^ col[j])


@njit(void(_ro_u64_2d, _ro_u64_2d, _i32_2d), **_kernel_options)
def pairwise_serial(q, db, out):
    """All distances: ``out[i, j] = popcount(q[i] ^ db[:, j])``."""
    for qi in range(q.shape[0]):
        _pairwise_one_query(q, db, qi, out)


@njit(void(_ro_u64_2d, _ro_u64_2d, _i32_2d), parallel=True, **_kernel_options)
def pairwise_parallel(q, db, out):
    """Parallel twin of :func:`pairwise_serial` (one query per task)."""
    for qi in prange(q.shape[0]):
        _pairwise_one_query(q, db, qi, out)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i32_1d), **_kernel_options)
def chunk_distances(q, db, qi, start, length, dist):
    """Distances of query ``qi`` to items ``start:start+length`` into ``dist[:length]``.

    Loops start at 0 over slices so numba emits no wrap-around checks and LLVM can
    vectorise them; up to two words are summed in registers before the store.
    """
    n_words = db.shape[0]
    c0 = db[0, start : start + length]
    q0 = q[qi, 0]
    if n_words == 1:
        for j in range(length):
            dist[j] = popcount64(q0 ^ c0[j])
        return
    c1 = db[1, start : start + length]
    q1 = q[qi, 1]
    for j in range(length):
        dist[j] = popcount64(q0 ^ c0[j]) + popcount64(q1 ^ c1[j])
    for w in range(2, n_words):
        col = db[w, start : start + length]
        qw = q[qi, w]
        for j in range(length):
            dist[j] += popcount64(qw ^ col[j])


@njit(int64(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, int64, _i32_1d), **_kernel_options)
def chunk_hit_count(q, db, qi, start, length, radius, dist):
    """Number of items ``start:start+length`` within ``radius`` of query ``qi``.

    This is the hot loop of every scan. Up to four words are summed in registers and
    compared at once (no store, one vectorised pass); longer codes go through
    ``dist``, which is left holding garbage either way.
    """
    n_words = db.shape[0]
    # Counting misses compiles to compare + subtract; counting hits needs one more op.
    misses = 0
    if n_words == 1:
        c0 = db[0, start : start + length]
        q0 = q[qi, 0]
        for j in range(length):
            misses += popcount64(q0 ^ c0[j]) > radius
    elif n_words == 2:
        c0 = db[0, start : start + length]
        c1 = db[1, start : start + length]
        q0 = q[qi, 0]
        q1 = q[qi, 1]
        for j in range(length):
            misses += popcount64(q0 ^ c0[j]) + popcount64(q1 ^ c1[j]) > radius
    elif n_words == 3:
        c0 = db[0, start : start + length]
        c1 = db[1, start : start + length]
        c2 = db[2, start : start + length]
        q0 = q[qi, 0]
        q1 = q[qi, 1]
        q2 = q[qi, 2]
        for j in range(length):
            d = popcount64(q0 ^ c0[j]) + popcount64(q1 ^ c1[j]) + popcount64(q2 ^ c2[j])
            misses += d > radius
    elif n_words == 4:
        c0 = db[0, start : start + length]
        c1 = db[1, start : start + length]
        c2 = db[2, start : start + length]
        c3 = db[3, start : start + length]
        q0 = q[qi, 0]
        q1 = q[qi, 1]
        q2 = q[qi, 2]
        q3 = q[qi, 3]
        for j in range(length):
            d = popcount64(q0 ^ c0[j]) + popcount64(q1 ^ c1[j])
            d += popcount64(q2 ^ c2[j]) + popcount64(q3 ^ c3[j])
            misses += d > radius
    else:
        chunk_distances(q, db, qi, start, length, dist)
        r32 = np.int32(radius)
        for j in range(length):
            misses += dist[j] > r32
    return length - misses


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i64_1d, _i64_1d), **_kernel_options)
def chunk_hit_counts4(q, db, qi, start, length, limits, hits):
    """:func:`chunk_hit_count` for the four queries ``qi..qi+3`` in one pass.

    Each database word is loaded once for four queries and the loop set-up is paid
    once, which matters because a chunk is short. One- and two-word codes only; the
    caller uses :func:`chunk_hit_count` otherwise.
    """
    l0 = limits[0]
    l1 = limits[1]
    l2 = limits[2]
    l3 = limits[3]
    m0 = 0
    m1 = 0
    m2 = 0
    m3 = 0
    c0 = db[0, start : start + length]
    a0 = q[qi, 0]
    b0 = q[qi + 1, 0]
    e0 = q[qi + 2, 0]
    f0 = q[qi + 3, 0]
    if db.shape[0] == 1:
        for j in range(length):
            x = c0[j]
            m0 += popcount64(a0 ^ x) > l0
            m1 += popcount64(b0 ^ x) > l1
            m2 += popcount64(e0 ^ x) > l2
            m3 += popcount64(f0 ^ x) > l3
    else:
        c1 = db[1, start : start + length]
        a1 = q[qi, 1]
        b1 = q[qi + 1, 1]
        e1 = q[qi + 2, 1]
        f1 = q[qi + 3, 1]
        for j in range(length):
            x = c0[j]
            y = c1[j]
            m0 += popcount64(a0 ^ x) + popcount64(a1 ^ y) > l0
            m1 += popcount64(b0 ^ x) + popcount64(b1 ^ y) > l1
            m2 += popcount64(e0 ^ x) + popcount64(e1 ^ y) > l2
            m3 += popcount64(f0 ^ x) + popcount64(f1 ^ y) > l3
    hits[0] = length - m0
    hits[1] = length - m1
    hits[2] = length - m2
    hits[3] = length - m3


@njit(
    void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i64_1d, _i64_1d, _i32_1d), **_kernel_options
)
def block_hit_counts(q, db, q_start, start, length, limits, hits, dist):
    """``hits[b]``: items of the chunk within ``limits[b]`` of query ``q_start + b``.

    Queries go four at a time through :func:`chunk_hit_counts4` when the codes have
    at most two words. A negative limit gives 0 without scanning.
    """
    n_block = limits.shape[0]
    n_quad = 4 * (n_block // 4) if db.shape[0] <= 2 else 0
    for b in range(0, n_quad, 4):
        chunk_hit_counts4(q, db, q_start + b, start, length, limits[b : b + 4], hits[b : b + 4])
    for b in range(n_quad, n_block):
        limit = limits[b]
        hits[b] = (
            chunk_hit_count(q, db, q_start + b, start, length, limit, dist) if limit >= 0 else 0
        )


@njit(void(_i32_1d, _i64_1d, int64, int64, int64), **_kernel_options)
def sort_hits_by_distance(dist, pos, lo, hi, max_dist):
    """Stable counting sort of ``dist[lo:hi]`` (values ``0..max_dist``), moving ``pos``.

    Hits arrive in position order, so a stable sort by distance gives the documented
    tie order: distance, then smaller database position.
    """
    n = hi - lo
    if n < 2:
        return
    counts = np.zeros(max_dist + 2, np.int64)
    for i in range(n):
        counts[dist[lo + i] + 1] += 1
    for d in range(max_dist + 1):
        counts[d + 1] += counts[d]
    tmp_d = dist[lo:hi].copy()
    tmp_p = pos[lo:hi].copy()
    for i in range(n):
        d = tmp_d[i]
        at = lo + counts[d]
        dist[at] = d
        pos[at] = tmp_p[i]
        counts[d] += 1


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i64_1d), **_kernel_options)
def _range_count_block(q, db, q_start, q_stop, radius, counts):
    n_db = db.shape[1]
    dist = np.empty(CHUNK, np.int32)
    limits = np.full(q_stop - q_start, radius, np.int64)
    hits = np.empty(q_stop - q_start, np.int64)
    for start in range(0, n_db, CHUNK):
        length = min(CHUNK, n_db - start)
        block_hit_counts(q, db, q_start, start, length, limits, hits, dist)
        for b in range(q_stop - q_start):
            counts[q_start + b] += hits[b]


@njit(
    void(_ro_u64_2d, _ro_u64_2d, int64, int64, int64, _i64_1d, _i32_1d, _i64_1d),
    **_kernel_options,
)
def _range_fill_block(q, db, q_start, q_stop, radius, lims, out_dist, out_pos):
    """Write the hits of queries ``q_start:q_stop`` sorted by (distance, position)."""
    n_db = db.shape[1]
    dist = np.empty(CHUNK, np.int32)
    r = np.int32(radius)
    fill = lims[q_start:q_stop].copy()
    limits = np.full(q_stop - q_start, radius, np.int64)
    hits = np.empty(q_stop - q_start, np.int64)
    for start in range(0, n_db, CHUNK):
        length = min(CHUNK, n_db - start)
        block_hit_counts(q, db, q_start, start, length, limits, hits, dist)
        for b in range(q_stop - q_start):
            if hits[b] == 0:
                continue
            chunk_distances(q, db, q_start + b, start, length, dist)
            f = fill[b]
            for j in range(length):
                if dist[j] <= r:
                    out_dist[f] = dist[j]
                    out_pos[f] = start + j
                    f += 1
            fill[b] = f
    for qi in range(q_start, q_stop):
        sort_hits_by_distance(out_dist, out_pos, lims[qi], lims[qi + 1], radius)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i64_1d), **_kernel_options)
def range_count_serial(q, db, radius, counts):
    """``counts[i]`` += number of items within ``radius`` (inclusive) of query ``i``."""
    n_q = q.shape[0]
    for b in range(0, n_q, QUERY_BLOCK):
        _range_count_block(q, db, b, min(b + QUERY_BLOCK, n_q), radius, counts)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i64_1d), parallel=True, **_kernel_options)
def range_count_parallel(q, db, radius, counts):
    """Parallel twin of :func:`range_count_serial` (parallel over query blocks)."""
    n_q = q.shape[0]
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for b in prange(n_blocks):
        start = b * QUERY_BLOCK
        _range_count_block(q, db, start, min(start + QUERY_BLOCK, n_q), radius, counts)


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i64_1d, _i32_1d, _i64_1d), **_kernel_options)
def range_fill_serial(q, db, radius, lims, out_dist, out_pos):
    """Fill the CSR result whose offsets ``lims`` came from :func:`range_count_serial`."""
    n_q = q.shape[0]
    for b in range(0, n_q, QUERY_BLOCK):
        _range_fill_block(q, db, b, min(b + QUERY_BLOCK, n_q), radius, lims, out_dist, out_pos)


@njit(
    void(_ro_u64_2d, _ro_u64_2d, int64, _i64_1d, _i32_1d, _i64_1d),
    parallel=True,
    **_kernel_options,
)
def range_fill_parallel(q, db, radius, lims, out_dist, out_pos):
    """Parallel twin of :func:`range_fill_serial`."""
    n_q = q.shape[0]
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for b in prange(n_blocks):
        start = b * QUERY_BLOCK
        _range_fill_block(
            q, db, start, min(start + QUERY_BLOCK, n_q), radius, lims, out_dist, out_pos
        )
