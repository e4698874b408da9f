"""Multi-index hashing tables (Norouzi, Punjani & Fleet, CVPR 2012) around the kernels.

The tables are derived data: they are rebuilt from the codes whenever needed and are
never saved or pickled.
"""

from __future__ import annotations

import math

import numpy as np

from ._mih_kernels import (
    build_tables,
    mih_range_block,
    mih_range_parallel,
    mih_topk_block,
    mih_topk_parallel,
)
from ._topk_kernels import topk_parallel, topk_serial
from ._validation import numba_threads

# Widest substring: its direct-address table has 2**26 + 1 int32 offsets (256 MiB).
MAX_SUBSTRING_BITS = 26
# The cost model, in units of one database word read by the linear scan (about 0.3 ns
# on a 2-core AVX2 machine): a bucket probe is a random memory access into the offsets
# (a cache miss on large tables), a candidate word is read sequentially from the
# bucket-ordered copy of the codes. Measured with benchmarks/bench_hamming.py; they
# only steer the choice between exact methods, never the results.
PROBE_COST = 400.0
WORD_COST = 8.0
# Pseudo-queries (database items) whose probes measure how many candidates a range
# plan enumerates on this data.
_PLAN_SAMPLE = 64
# Largest substring radius whose candidates are measured on the sample; beyond it the
# probes alone decide (they grow as C(bits, r)).
_PLAN_MEASURED_REACH = 3

# Estimated work (cost-model units, ~0.3 ns each) a range search needs per thread it
# uses: a parallel launch costs microseconds, and a thread on a core busy with other
# processes finishes last.
_MIN_THREAD_COST = 2_000_000
# Estimated work per block of queries handed to a thread: a block is one kernel call
# (several microseconds of dispatch and scratch buffers), so cheap searches (radius 0
# on clustered codes: about a microsecond a query) use few blocks.
_MIN_BLOCK_COST = 1_000_000
# Queries of a batch probed before the rest (see MultiIndexTables.topk).
_SAMPLE_QUERIES = 8
# Pseudo-queries (database items) whose k-NN probes tell how often probing finishes
# within a budget on this data (MultiIndexTables.knn_win_rate).
_KNN_SAMPLE = 32

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


def _substring_keys(columns: np.ndarray, items: np.ndarray, start: int, length: int) -> np.ndarray:
    """Bits ``start:start+length`` (internal order) of the items ``items``, as int64."""
    w, off = divmod(start, 64)
    v = columns[w, items] >> np.uint64(off)
    if off + length > 64:
        v |= columns[w + 1, items] << np.uint64(64 - off)
    return (v & np.uint64((1 << length) - 1)).astype(np.int64)


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
        # Substring keys of a fixed sample of items: the data statistics of the plans.
        sample = np.random.default_rng(0).integers(0, max(n_items, 1), _PLAN_SAMPLE)
        self._sample_keys = (
            np.stack([_substring_keys(columns, sample, int(a), int(b)) for a, b in self.spans])
            if n_items
            else np.zeros((m, 0), dtype=np.int64)
        )
        # (word, bit offset, length, first offset) of each table, for bucket_items.
        self._layout = [
            (int(a) // 64, int(a) % 64, int(b), int(base))
            for (a, b), base in zip(self.spans, self.table_starts, strict=True)
        ]
        self._sample_rows = np.ascontiguousarray(columns[:, sample[:_KNN_SAMPLE]].T)
        self._sample_rows.flags.writeable = False
        self._win_rates: dict[tuple[int, float], float] = {}
        self._candidate_cache: dict[tuple[int, int], float] = {}
        self._plans: dict[int, tuple[np.ndarray, float]] = {}
        self.last_gave_up = 0

    @property
    def n_substrings(self) -> int:
        """Number of substrings (tables)."""
        return int(self.spans.shape[0])

    def _tables(self) -> tuple:
        return self.spans, self.table_starts, self.offsets, self.positions, self.bucket_codes

    def scan_cost(self, n_words: int) -> float:
        """Cost of one query's linear scan, in the units of the cost model."""
        return float(n_words) * self.n_items

    def topk(
        self,
        rows: np.ndarray,
        columns: np.ndarray,
        k: int,
        n_threads: int,
        budget: float | None = None,
        screen: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k-NN positions of the item-major queries ``rows``, like ``topk_serial``.

        A query is probed until it has cost ``budget`` (default: the cost of its linear
        scan, in the units of the cost model); past it, it goes on only while the
        probes left to reach its current k-th distance keep it within the cost of a
        scan. With ``screen > 0``, a query whose exact-match buckets hold fewer than
        ``screen`` items in all is not probed further. Queries that give up are scanned
        together, as one batch, at the end (both paths are exact). The first 8 queries
        of a batch of 32 or more are probed first; when all of them give up, the rest
        is scanned without probing.
        """
        n_q = rows.shape[0]
        out_dist = np.empty((n_q, k), dtype=np.int32)
        out_pos = np.empty((n_q, k), dtype=np.int64)
        scan_cost = self.scan_cost(columns.shape[0])
        if budget is None:
            budget = scan_cost
        cost = np.zeros(n_q, dtype=np.float64)
        args = (*self._tables(), k, float(budget), scan_cost, PROBE_COST, WORD_COST, int(screen))
        # A few queries first, on this thread: when every one of them gives up (codes
        # without near neighbours), the batch is scanned without probing the rest.
        first = min(n_q, _SAMPLE_QUERIES) if n_q >= 4 * _SAMPLE_QUERIES else n_q
        if first < n_q or n_threads == 1 or n_q < 2:
            mih_topk_block(rows, columns, *args, 0, first, out_dist, out_pos, cost)
        else:
            mih_topk_parallel(rows, columns, *args, out_dist, out_pos, cost)
        if first < n_q:
            if np.all(cost[:first] < 0):
                cost[first:] = -1.0
            elif n_threads == 1:
                mih_topk_block(rows, columns, *args, first, n_q, out_dist, out_pos, cost)
            else:
                mih_topk_parallel(
                    rows[first:], columns, *args, out_dist[first:], out_pos[first:], cost[first:]
                )
        gave_up = np.flatnonzero(cost < 0)
        scan = topk_serial if n_threads == 1 or gave_up.size < 2 else topk_parallel
        if gave_up.size == n_q:  # typically a lone query, or codes without near neighbours
            scan(rows, columns, k, out_dist, out_pos)
        elif gave_up.size:
            sub = np.ascontiguousarray(rows[gave_up])
            sub_dist = np.empty((gave_up.size, k), dtype=np.int32)
            sub_pos = np.empty((gave_up.size, k), dtype=np.int64)
            scan(sub, columns, k, sub_dist, sub_pos)
            out_dist[gave_up] = sub_dist
            out_pos[gave_up] = sub_pos
        self.last_gave_up = int(gave_up.size)
        return out_dist, out_pos

    def bucket_items(self, row: np.ndarray) -> int:
        """Items in the exact-match buckets of one query (its words ``row``), all tables.

        The screen of :meth:`topk` for a single query, in plain Python (a few
        microseconds, no kernel call).
        """
        words = row.tolist()
        total = 0
        for w, off, length, base in self._layout:
            v = words[w] >> off
            if off + length > 64:
                v |= words[w + 1] << (64 - off)
            at = base + (v & ((1 << length) - 1))
            total += int(self.offsets[at + 1]) - int(self.offsets[at])
        return total

    def knn_win_rate(self, k: int, columns: np.ndarray, budget: float) -> float:
        """Fraction of data-like queries whose k-NN probing finishes within ``budget``.

        Measured once per ``budget`` and power of two at or above ``k`` (rounded up,
        at most the number of items), on 32 database items as pseudo-queries, by the
        k-NN kernel itself: a pseudo-query wins when it does not give up (see
        :meth:`topk`). Near zero on codes without near neighbours (uniform random
        codes), near one on clustered codes.
        """
        k_class = min(1 << (int(k) - 1).bit_length(), max(self.n_items, 1))
        key = (k_class, float(budget))
        rate = self._win_rates.get(key)
        if rate is None:
            rows = self._sample_rows
            n_s = rows.shape[0]
            if n_s == 0:
                return 0.0
            dist = np.empty((n_s, k_class), dtype=np.int32)
            pos = np.empty((n_s, k_class), dtype=np.int64)
            cost = np.zeros(n_s, dtype=np.float64)
            scan_cost = self.scan_cost(columns.shape[0])
            args = (k_class, float(budget), scan_cost, PROBE_COST, WORD_COST, 0)
            mih_topk_block(rows, columns, *self._tables(), *args, 0, n_s, dist, pos, cost)
            rate = float(np.mean(cost >= 0))
            self._win_rates[key] = rate
        return rate

    # -- range search ---------------------------------------------------------------

    def _candidates(self, table: int, reach: int) -> float:
        """Mean candidates a data-like query enumerates in ``table`` up to ``reach`` flips.

        Measured on a fixed sample of database items (their own bucket included) for
        small reaches; larger ones extrapolate the last measured level as uniform data.
        """
        key = (table, reach)
        cached = self._candidate_cache.get(key)
        if cached is not None:
            return cached
        length = int(self.spans[table, 1])
        sizes = np.diff(self._table_offsets(table).astype(np.int64))
        if reach <= _PLAN_MEASURED_REACH:
            masks = np.zeros(1, dtype=np.int64)
            level = masks
            for r in range(1, reach + 1):
                flips = np.int64(1) << np.arange(length, dtype=np.int64)
                level = np.unique((level[:, None] ^ flips[None, :]).ravel())
                level = level[np.array([bin(int(x)).count("1") == r for x in level])]
                masks = np.concatenate([masks, level])
            found = sizes[(self._sample_keys[table][:, None] ^ masks[None, :]).ravel()]
            value = float(found.sum()) / self._sample_keys.shape[1]
        else:
            extra = sum(math.comb(length, r) for r in range(_PLAN_MEASURED_REACH + 1, reach + 1))
            uniform = extra * self.n_items / len(sizes)
            value = self._candidates(table, _PLAN_MEASURED_REACH) + uniform
        self._candidate_cache[key] = value
        return value

    def _table_offsets(self, table: int) -> np.ndarray:
        start = int(self.table_starts[table])
        return self.offsets[start : start + (1 << int(self.spans[table, 1])) + 1]

    def range_plan(self, radius: int, n_words: int) -> tuple[np.ndarray, float]:
        """The cheapest exact probe plan for ``radius`` and its estimated cost per query.

        Candidates: probe ``t`` of the tables (the least occupied first), the
        ``radius + 1`` units of the pigeonhole bound shared as evenly as possible, for
        every ``t``: ``t = 1`` is a single-table lookup with ``radius`` bit flips,
        ``t = radius + 1`` an exact-match lookup in ``radius + 1`` tables. The cost is
        probes times ``PROBE_COST`` plus candidate words (measured on a sample of the
        data, see :meth:`_candidates`) times ``WORD_COST``. Returns ``reach`` (substring
        radius per table, -1 for tables not probed) for :meth:`range`.
        """
        cached = self._plans.get(radius)
        if cached is not None:
            return cached
        m = self.n_substrings
        occupancy = [self._candidates(i, 0) for i in range(m)]
        order = np.argsort(occupancy, kind="stable")
        best: tuple[np.ndarray, float] | None = None
        for t in range(1, min(m, radius + 1) + 1):
            reach = np.full(m, -1, dtype=np.int64)
            units = radius + 1
            for slot, table in enumerate(order[:t]):
                reach[table] = units // t + (slot < units % t) - 1
            cost = 0.0
            for table in order[:t]:
                length = int(self.spans[table, 1])
                r = min(int(reach[table]), length)
                probes = sum(math.comb(length, j) for j in range(r + 1))
                cost += probes * PROBE_COST
                if cost > (best[1] if best else math.inf):
                    break
                cost += self._candidates(int(table), r) * n_words * WORD_COST
            if best is None or cost < best[1]:
                best = (reach, cost)
        assert best is not None
        best[0].flags.writeable = False
        self._plans[radius] = best
        return best

    def range_is_worthwhile(self, radius: int, n_words: int) -> bool:
        """Whether probing beats a linear scan for ``radius`` (both are exact).

        The scan reads the codes twice (counting, then filling the exact-size output).
        """
        return self.range_plan(radius, n_words)[1] <= 2 * self.scan_cost(n_words)

    def range(
        self,
        rows: np.ndarray,
        columns: np.ndarray,
        radius: int,
        n_threads: int,
        reach: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items within ``radius`` of each query as a ``(lims, dist, pos)`` CSR triple.

        ``reach`` is the probe plan (default: :meth:`range_plan`); the caller of a
        forced plan must keep it exact (see ``mih_range_block``). Queries are split into
        contiguous blocks (up to 8 per thread, fewer for cheap searches) that
        ``n_threads`` of numba's threads share (``mih_range_parallel``).
        """
        n_q = rows.shape[0]
        max_blocks = max(1, min(n_q // 32, 8 * n_threads))
        if reach is None:
            reach, cost = self.range_plan(radius, columns.shape[0])
            # Threads and blocks only for work worth handing over (_MIN_THREAD_COST,
            # _MIN_BLOCK_COST).
            n_threads = max(1, min(n_threads, int(cost * n_q // _MIN_THREAD_COST)))
            max_blocks = min(max_blocks, int(cost * n_q // _MIN_BLOCK_COST))
        # Several blocks per thread, so that a thread slowed by other processes on its
        # core holds back a small share of the work.
        n_blocks = max(1, min(n_q, max(n_threads, max_blocks))) if n_threads > 1 else 1
        n_threads = min(n_threads, n_blocks)
        tables = self._tables()
        if n_blocks == 1:
            counts, dist, pos = mih_range_block(rows, columns, *tables, reach, radius, 0, n_q)
        else:
            # On numba's threads, as the other parallel kernels (the caller serialises
            # launches where numba's threading layer needs it).
            with numba_threads(n_threads):
                counts, dist, pos = mih_range_parallel(
                    rows, columns, *tables, reach, radius, n_blocks
                )
        lims = np.zeros(n_q + 1, dtype=np.int64)
        np.cumsum(counts, out=lims[1:])
        return lims, dist, pos
