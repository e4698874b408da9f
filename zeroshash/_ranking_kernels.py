"""Ranking statistics of Hamming retrieval, two linear passes per query (numba only).

Hamming distances are small integers, so a query's ranking (by distance, ties by
database position) needs no sort. Pass 1 computes each item's distance and relevance
and the per-distance histograms of all and of relevant items; their prefix sums give,
for every distance level, how many items (relevant items) rank before it. Pass 2 walks
the items in position order, counting how many of each level were met so far, which
yields each relevant item's exact rank and the number of relevant items up to it.

Imports numpy, numba, the bit layer :mod:`zeroshash._bits` and the compile notice of
:mod:`zeroshash._progress` only. Inputs are trusted
(the metrics module validates): codes and label masks as item-major uint64 words (the
"rows" layout of :mod:`zeroshash._bits`); relevance is "label masks intersect".
"""

from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, prange, types, uint8, uint16, void

from ._bits import popcount64
from ._progress import announce_compilation

announce_compilation()

_ro_u64_2d = types.Array(types.uint64, 2, "C", readonly=True)
_ro_i64_1d = types.Array(types.int64, 1, "C", readonly=True)
_u16_1d = types.Array(uint16, 1, "C")
_u8_1d = types.Array(uint8, 1, "C")
_i64_1d = types.Array(int64, 1, "C")
_i64_2d = types.Array(int64, 2, "C")
_f64_1d = types.Array(float64, 1, "C")
_f64_2d = types.Array(float64, 2, "C")

_QUERY_SIG = void(
    int64, _ro_u64_2d, _ro_u64_2d, _ro_u64_2d, _ro_u64_2d, _ro_i64_1d,
    _u16_1d, _u8_1d, _i64_1d, _f64_1d, _i64_2d, _i64_2d, _f64_2d, _i64_2d,
)  # fmt: skip


@njit(_QUERY_SIG, cache=True, nogil=True)
def query_statistics(qi, q_words, db_words, q_masks, db_masks, cutoffs,
                     dist_buf, rel_buf, level_buf, ap_sum, hist, rel_hist, cut_ap_sum, cut_rel):
    """Fill row ``qi`` of the outputs for query ``qi``.

    ap_sum[qi]        sum over relevant items of precision at their rank (whole ranking)
    hist, rel_hist    items / relevant items at each distance
    cut_ap_sum[qi, c] the same sum restricted to ranks <= cutoffs[c]
    cut_rel[qi, c]    relevant items with rank <= cutoffs[c]
    level_buf         scratch of 4 * (bits + 1) int64
    """
    n = db_words.shape[0]
    n_words = q_words.shape[1]
    n_mask = q_masks.shape[1]
    levels = hist.shape[1]
    n_cut = cutoffs.shape[0]
    for i in range(n):
        d = 0
        for j in range(n_words):
            d += popcount64(q_words[qi, j] ^ db_words[i, j])
        r = 0
        for j in range(n_mask):
            if (q_masks[qi, j] & db_masks[i, j]) != 0:
                r = 1
                break
        dist_buf[i] = d
        rel_buf[i] = r
        hist[qi, d] += 1
        rel_hist[qi, d] += r
    # level_buf = [items before level, relevant before level, seen in level, relevant seen]
    before = 0
    rel_before = 0
    for t in range(levels):
        level_buf[t] = before
        level_buf[levels + t] = rel_before
        level_buf[2 * levels + t] = 0
        level_buf[3 * levels + t] = 0
        before += hist[qi, t]
        rel_before += rel_hist[qi, t]
    ap = 0.0
    for i in range(n):
        t = np.int64(dist_buf[i])
        level_buf[2 * levels + t] += 1
        if rel_buf[i] != 0:
            level_buf[3 * levels + t] += 1
            rank = level_buf[t] + level_buf[2 * levels + t]
            hits = level_buf[levels + t] + level_buf[3 * levels + t]
            precision = hits / rank
            ap += precision
            for c in range(n_cut):
                if rank <= cutoffs[c]:
                    cut_ap_sum[qi, c] += precision
                    cut_rel[qi, c] += 1
    ap_sum[qi] = ap


_BATCH_SIG = void(
    _ro_u64_2d, _ro_u64_2d, _ro_u64_2d, _ro_u64_2d, _ro_i64_1d,
    _f64_1d, _i64_2d, _i64_2d, _f64_2d, _i64_2d,
)  # fmt: skip


@njit(_BATCH_SIG, cache=True, nogil=True)
def ranking_statistics_serial(q_words, db_words, q_masks, db_masks, cutoffs,
                              ap_sum, hist, rel_hist, cut_ap_sum, cut_rel):
    n = db_words.shape[0]
    dist_buf = np.empty(n, np.uint16)
    rel_buf = np.empty(n, np.uint8)
    level_buf = np.empty(4 * hist.shape[1], np.int64)
    for qi in range(q_words.shape[0]):
        query_statistics(qi, q_words, db_words, q_masks, db_masks, cutoffs, dist_buf, rel_buf,
                         level_buf, ap_sum, hist, rel_hist, cut_ap_sum, cut_rel)


@njit(_BATCH_SIG, cache=True, nogil=True, parallel=True)
def ranking_statistics_parallel(q_words, db_words, q_masks, db_masks, cutoffs,
                                ap_sum, hist, rel_hist, cut_ap_sum, cut_rel):
    n = db_words.shape[0]
    n_q = q_words.shape[0]
    # Query blocks own their scratch buffers; 64 queries amortise the allocation.
    n_blocks = (n_q + 63) // 64
    for b in prange(n_blocks):
        dist_buf = np.empty(n, np.uint16)
        rel_buf = np.empty(n, np.uint8)
        level_buf = np.empty(4 * hist.shape[1], np.int64)
        for qi in range(b * 64, min(n_q, (b + 1) * 64)):
            query_statistics(qi, q_words, db_words, q_masks, db_masks, cutoffs, dist_buf,
                             rel_buf, level_buf, ap_sum, hist, rel_hist, cut_ap_sum, cut_rel)
