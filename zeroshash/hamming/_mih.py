"""Multi-index hashing tables (Norouzi, Punjani & Fleet, CVPR 2012) around the kernels.

The tables are derived data: they are rebuilt from the codes whenever needed and are
never saved or pickled.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._mih_kernels import build_tables, mih_range_block, mih_topk_block, mih_topk_parallel
from ._topk_kernels import topk_parallel, topk_serial

# Widest substring: its direct-address table has 2**26 + 1 int32 offsets (256 MiB).
MAX_SUBSTRING_BITS = 26
# Probes plus candidate words a query may cost, per database word scanned by the
# linear alternative, before it is finished by that linear scan instead. A probe is a
# random memory access, roughly 30 sequential words of scanning.
_COST_PER_SCANNED_WORD = 1 / 32
# Queries probed before deciding whether the rest of a batch is better scanned.
_PROBE_BATCH = 32


def choose_n_substrings(bits: int, n_items: int) -> int:
    """Number of substrings ``m``: about ``bits / log2(n_items)`` as the paper advises.

    Substrings then have about ``log2(n_items)`` bits, so each table has about as many
    buckets as items. ``m`` is raised when needed to keep substrings within
    ``MAX_SUBSTRING_BITS`` bits, and is at least 1.

    Examples
    --------
    >>> from zeroshash.hamming._mih import choose_n_substrings
    >>> choose_n_substrings(64, 10_000_000)
    3
    """
    width = 8 * ((bits + 7) // 8)
    by_size = round(bits / math.log2(max(n_items, 2)))
    return int(min(width, max(1, by_size, math.ceil(width / MAX_SUBSTRING_BITS))))


class MultiIndexTables:
    """Direct-address substring tables over word-major codes ``columns`` (n_words, n).

    Parameters
    ----------
    columns : ndarray of shape (n_words, n_items), uint64
        Database codes in the kernels' word-major layout.
    bits : int
        Code length.
    n_substrings : int or None
        Number of substrings ``m``; None chooses :func:`choose_n_substrings`.
    store_codes : bool or None
        Keep a copy of the codes in bucket order for every table, so that candidates
        are read sequentially rather than by random access: several times faster on
        large databases, for ``m * n_words * 8`` bytes per item. None: only for codes
        of up to 128 bits.

    Notes
    -----
    Memory per item: ``4 * m`` bytes of positions (plus the copies above), and per
    table ``4 * (2**substring_bits + 1)`` bytes of bucket offsets.
    """

    def __init__(
        self,
        columns: np.ndarray,
        bits: int,
        n_substrings: int | None = None,
        store_codes: bool | None = None,
    ):
        n_items = columns.shape[1]
        if n_items >= 2**31 - 1:
            raise ValueError("multi-index hashing supports fewer than 2**31 - 1 items")
        width = 8 * ((bits + 7) // 8)
        m = choose_n_substrings(bits, n_items) if n_substrings is None else int(n_substrings)
        if not math.ceil(width / MAX_SUBSTRING_BITS) <= m <= width:
            raise ValueError(
                f"n_substrings must be between {math.ceil(width / MAX_SUBSTRING_BITS)} and "
                f"{width} for {bits}-bit codes; got {m}"
            )
        bounds = np.linspace(0, width, m + 1).round().astype(np.int64)
        self.spans = np.ascontiguousarray(np.stack([bounds[:-1], np.diff(bounds)], axis=1))
        sizes = (np.int64(1) << self.spans[:, 1]) + 1
        self.table_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.offsets = np.empty(int(sizes.sum()), dtype=np.int32)
        self.positions = np.empty((m, n_items), dtype=np.int32)
        if store_codes is None:
            store_codes = columns.shape[0] <= 2
        self.bucket_codes = np.empty(
            (m, columns.shape[0], n_items if store_codes else 0), dtype=np.uint64
        )
        build_tables(
            columns, self.spans, self.table_starts, self.offsets, self.positions, self.bucket_codes
        )
        self.n_items = n_items

    @property
    def n_substrings(self) -> int:
        """Number of substrings (tables)."""
        return int(self.spans.shape[0])

    def _tables(self) -> tuple:
        return self.spans, self.table_starts, self.offsets, self.positions, self.bucket_codes

    def topk(
        self,
        rows: np.ndarray,
        columns: np.ndarray,
        k: int,
        n_threads: int,
        budget: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k-NN positions of the item-major queries ``rows``, like ``topk_serial``.

        ``budget`` caps the probes plus candidate words of a query before it switches
        to a linear scan (default: about the scan's own cost).
        """
        n_q = rows.shape[0]
        out_dist = np.empty((n_q, k), dtype=np.int32)
        out_pos = np.empty((n_q, k), dtype=np.int64)
        if budget is None:
            budget = int(columns.shape[0] * columns.shape[1] * _COST_PER_SCANNED_WORD) + 1024
        cost = np.zeros(n_q, dtype=np.int64)
        # Probe a first batch; when most of it had to fall back to scanning (data
        # without near neighbours), scan the rest as one batch, which is faster than
        # giving up query by query. Both paths are exact.
        first = min(n_q, _PROBE_BATCH) if n_q > 2 * _PROBE_BATCH else n_q
        self._topk_probe(rows, columns, k, budget, 0, first, n_threads, out_dist, out_pos, cost)
        if first < n_q:
            rest = rows[first:]
            if np.mean(cost[:first] > budget) > 0.5:
                scan = topk_serial if n_threads == 1 else topk_parallel
                scan(rest, columns, k, out_dist[first:], out_pos[first:])
            else:
                self._topk_probe(
                    rows, columns, k, budget, first, n_q, n_threads, out_dist, out_pos, cost
                )
        return out_dist, out_pos

    def _topk_probe(self, rows, columns, k, budget, start, stop, n_threads, dist, pos, cost):
        if n_threads == 1 or stop - start < 2:
            mih_topk_block(rows, columns, *self._tables(), k, budget, start, stop, dist, pos, cost)
        else:
            # The parallel twin runs all its queries; hand it views of the slice.
            mih_topk_parallel(
                rows[start:stop],
                columns,
                *self._tables(),
                k,
                budget,
                dist[start:stop],
                pos[start:stop],
                cost[start:stop],
            )

    def range_probe_count(self, radius: int) -> int:
        """Number of buckets one range query of ``radius`` probes."""
        m = self.n_substrings
        total = 0
        for i, length in enumerate(self.spans[:, 1]):
            reach = min(radius // m if i <= radius % m else radius // m - 1, int(length))
            total += sum(math.comb(int(length), r) for r in range(reach + 1))
        return total

    def range_is_worthwhile(self, radius: int, n_words: int) -> bool:
        """Whether probing beats a linear scan for ``radius`` (both are exact)."""
        scan_cost = n_words * self.n_items * _COST_PER_SCANNED_WORD
        return self.range_probe_count(radius) <= scan_cost

    def range(
        self, rows: np.ndarray, columns: np.ndarray, radius: int, n_threads: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items within ``radius`` of each query as a ``(lims, dist, pos)`` CSR triple.

        Queries are split into contiguous blocks run on ``n_threads`` Python threads;
        the kernel releases the GIL, so they run in parallel.
        """
        n_q = rows.shape[0]
        n_blocks = max(1, min(n_q, 4 * n_threads)) if n_threads > 1 else 1
        edges = np.linspace(0, n_q, n_blocks + 1).round().astype(np.int64)

        def run(b: int) -> tuple:
            return mih_range_block(
                rows, columns, *self._tables(), radius, int(edges[b]), int(edges[b + 1])
            )

        if n_blocks == 1:
            parts = [run(0)]
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                parts = list(pool.map(run, range(n_blocks)))
        lims = np.zeros(n_q + 1, dtype=np.int64)
        np.cumsum(np.concatenate([p[0] for p in parts]), out=lims[1:])
        dist = np.concatenate([p[1] for p in parts])
        pos = np.concatenate([p[2] for p in parts])
        return lims, dist, pos
