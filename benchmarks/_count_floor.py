"""The floor for top-k selection: a numba scan that only counts, with no selection.

``count_within`` reads the same word-major codes as ``HammingIndex``'s brute-force
top-k, in the same blocking (16 queries share each chunk of 256 items, four queries per
pass over a chunk), and for every query counts the items within a fixed radius. It
computes every distance the top-k scan computes and keeps nothing, so the top-k time
divided by this one is the cost of selection. One- and two-word (64- and 128-bit)
codes are summed in registers; longer ones word by word into a chunk of distances.
"""

from __future__ import annotations

import numpy as np
from numba import int64, njit, prange, types, void

from zeroshash._bits import popcount64

_ro_u64_2d = types.Array(types.uint64, 2, "C", readonly=True)
_i64_1d = types.Array(types.int64, 1, "C")

CHUNK = 256
QUERY_BLOCK = 16


@njit(void(_ro_u64_2d, _ro_u64_2d, int64, _i64_1d), parallel=True, cache=True, nogil=True)
def count_within(q, db, radius, counts):
    """``counts[i]`` = items within ``radius`` of query ``i``."""
    n_q = q.shape[0]
    n_db = db.shape[1]
    n_words = db.shape[0]
    two = n_words == 2
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        q_start = blk * QUERY_BLOCK
        q_stop = min(q_start + QUERY_BLOCK, n_q)
        dist = np.empty(CHUNK, np.int64)
        for start in range(0, n_db, CHUNK):
            length = min(CHUNK, n_db - start)
            if n_words > 2:
                for qi in range(q_start, q_stop):
                    for j in range(length):
                        dist[j] = popcount64(q[qi, 0] ^ db[0, start + j])
                    for w in range(1, n_words):
                        qw = q[qi, w]
                        col = db[w, start : start + length]
                        for j in range(length):
                            dist[j] += popcount64(qw ^ col[j])
                    hits = 0
                    for j in range(length):
                        hits += dist[j] <= radius
                    if start == 0:
                        counts[qi] = 0
                    counts[qi] += hits
                continue
            c0 = db[0, start : start + length]
            c1 = db[1 if two else 0, start : start + length]
            for b in range(q_start, q_stop, 4):
                # Four queries per pass (the last group may repeat a query; its count
                # is then written twice with the same value).
                i0 = b
                i1 = min(b + 1, q_stop - 1)
                i2 = min(b + 2, q_stop - 1)
                i3 = min(b + 3, q_stop - 1)
                m0 = 0
                m1 = 0
                m2 = 0
                m3 = 0
                a = q[i0, 0]
                e = q[i1, 0]
                f = q[i2, 0]
                g = q[i3, 0]
                if two:
                    a1 = q[i0, 1]
                    e1 = q[i1, 1]
                    f1 = q[i2, 1]
                    g1 = q[i3, 1]
                    for j in range(length):
                        x = c0[j]
                        y = c1[j]
                        m0 += popcount64(a ^ x) + popcount64(a1 ^ y) <= radius
                        m1 += popcount64(e ^ x) + popcount64(e1 ^ y) <= radius
                        m2 += popcount64(f ^ x) + popcount64(f1 ^ y) <= radius
                        m3 += popcount64(g ^ x) + popcount64(g1 ^ y) <= radius
                else:
                    for j in range(length):
                        x = c0[j]
                        m0 += popcount64(a ^ x) <= radius
                        m1 += popcount64(e ^ x) <= radius
                        m2 += popcount64(f ^ x) <= radius
                        m3 += popcount64(g ^ x) <= radius
                if start == 0:
                    counts[i0] = 0
                    counts[i1] = 0
                    counts[i2] = 0
                    counts[i3] = 0
                counts[i0] += m0
                if i1 != i0:
                    counts[i1] += m1
                if i2 != i1:
                    counts[i2] += m2
                if i3 != i2:
                    counts[i3] += m3


def counting_scan(queries_rows: np.ndarray, columns: np.ndarray, radius: int) -> np.ndarray:
    """Counts of items within ``radius`` per query (item-major queries, word-major codes)."""
    counts = np.zeros(queries_rows.shape[0], dtype=np.int64)
    count_within(queries_rows, columns, radius, counts)
    return counts
