"""Exact Hamming-space index: brute force or multi-index hashing, same results."""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

import numba
import numpy as np

from .._bits import columns_to_packed, n_words, packed_to_columns, packed_to_rows
from . import _faiss
from ._io import IndexData, load_index, save_index
from ._kernels import (
    range_count_parallel,
    range_count_serial,
    range_fill_parallel,
    range_fill_serial,
)
from ._mih import MultiIndexTables
from ._topk_kernels import MISSING_DISTANCE, topk_parallel, topk_serial
from ._validation import (
    as_dense_array,
    as_packed_codes,
    check_bits,
    check_ids,
    check_k,
    check_n_substrings,
    check_radius,
    check_result_size,
    numba_threads,
    resolve_n_jobs,
)

_METHODS = ("brute", "mih", "auto")
# method="auto": indexes smaller than this are always scanned (a scan of them costs a
# few microseconds per query, and the tables are not worth their memory).
AUTO_MIN_ITEMS = 1 << 15
# method="auto": probes a k-NN query may spend, as a fraction of its scan's cost, before
# it is scanned unless the probes left are known to finish within the scan's cost.
AUTO_EXPLORE = 0.05
# method="auto": when fewer than this fraction of data-like queries (database items)
# finish their k-NN probes within the AUTO_EXPLORE budget, queries are screened: one
# whose exact-match buckets hold fewer than k items is scanned without probing. Where
# a fraction w of queries wins by probing, MIH as a whole costs about 1 - w scans, so
# scanning even every winner costs at most 1 / (1 - w) of it: about 1.1 at w = 0.1.
AUTO_MIN_WIN_RATE = 0.1
_STATE_VERSION = 1
# Serialises parallel kernel launches under numba's "workqueue" threading layer, the one
# layer that is not threadsafe (concurrent launches abort the process).
_LAUNCH_LOCK = threading.Lock()


def _launch_guard() -> contextlib.AbstractContextManager:
    """Context for launching a ``parallel=True`` kernel from any thread."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet; this launch picks the layer
        return _LAUNCH_LOCK
    return _LAUNCH_LOCK if layer == "workqueue" else contextlib.nullcontext()


class _Snapshot:
    """One state of an index: everything a search reads, read once.

    A snapshot never changes after it is published. ``buffer`` is word-major storage
    ``(n_words, capacity)`` and ``id_buffer`` ``(capacity,)``, of which the first ``n``
    items are the index. A later ``add`` may write items past ``n`` into the same buffers
    (amortised growth, like a vector) but never touches the first ``n``: the current
    snapshot always has the largest ``n`` of the snapshots sharing its buffers, and
    ``remove_ids`` writes new buffers. The kernels need C-contiguous ``(n_words, n)``
    columns, which ``buffer[:, :n]`` is only when ``n_words == 1`` or the buffer is full;
    otherwise :meth:`columns` makes a compact copy once. Derived data (that copy, the MIH
    tables) is built under the snapshot's lock and published once.
    """

    __slots__ = (
        "buffer",
        "id_buffer",
        "n",
        "next_id",
        "identity",
        "_lock",
        "_columns",
        "_tables",
    )

    def __init__(
        self,
        buffer: np.ndarray,
        id_buffer: np.ndarray,
        n: int,
        next_id: int,
        identity: bool | None = None,
    ):
        self.buffer = buffer
        self.id_buffer = id_buffer
        self.n = n
        self.next_id = next_id
        # Whether the ids are the positions 0..n-1 (then results need no id lookup, a
        # random access per hit).
        if identity is None:
            ids = id_buffer[:n]
            identity = n == 0 or (
                ids[0] == 0 and ids[-1] == n - 1 and np.array_equal(ids, np.arange(n))
            )
        self.identity = bool(identity)
        self._lock = threading.Lock()
        self._columns: np.ndarray | None = None
        self._tables: tuple[int | None, MultiIndexTables] | None = None

    @classmethod
    def of(cls, columns: np.ndarray, ids: np.ndarray, next_id: int) -> _Snapshot:
        """Snapshot of full buffers (``columns`` C-contiguous, possibly read-only)."""
        return cls(columns, ids, int(ids.shape[0]), int(next_id))

    @property
    def ids(self) -> np.ndarray:
        view = self.id_buffer[: self.n]
        view.flags.writeable = False
        return view

    def columns(self) -> np.ndarray:
        """Read-only C-contiguous word-major codes ``(n_words, n)``."""
        columns = self._columns
        if columns is None:
            with self._lock:
                if self._columns is None:
                    view = self.buffer[:, : self.n]
                    if not view.flags.c_contiguous:
                        view = np.ascontiguousarray(view)
                    view.flags.writeable = False
                    self._columns = view
                columns = self._columns
        return columns

    def tables(self, bits: int, n_substrings: int | None) -> MultiIndexTables:
        """The MIH tables over this snapshot, built by the first caller only."""
        cached = self._tables
        if cached is None or cached[0] != n_substrings:
            columns = self.columns()
            with self._lock:
                cached = self._tables
                if cached is None or cached[0] != n_substrings:
                    cached = (n_substrings, MultiIndexTables(columns, bits, n_substrings))
                    self._tables = cached
        return cached[1]

    def appended(self, rows: np.ndarray, ids: np.ndarray, next_id: int) -> _Snapshot:
        """A new snapshot with item-major words ``rows`` ``(b, n_words)`` appended."""
        n, b = self.n, rows.shape[0]
        buffer, id_buffer = self.buffer, self.id_buffer
        if n + b > buffer.shape[1] or not buffer.flags.writeable or not id_buffer.flags.writeable:
            # Geometric growth: n items added in any batches are copied O(1) times each
            # on average. A first add allocates exactly its size.
            capacity = max(n + b, 2 * n)
            buffer = np.empty((buffer.shape[0], capacity), dtype=np.uint64)
            id_buffer = np.empty(capacity, dtype=np.int64)
            buffer[:, :n] = self.buffer[:, :n]
            id_buffer[:n] = self.id_buffer[:n]
        buffer[:, n : n + b] = rows.T
        id_buffer[n : n + b] = ids
        identity = self.identity and np.array_equal(ids, np.arange(n, n + b))
        return _Snapshot(buffer, id_buffer, n + b, next_id, identity)


class HammingIndex:
    """Exact nearest-neighbour index over binary codes under the Hamming distance.

    Parameters
    ----------
    bits : int
        Code length in bits (any value from 1 to 65536).
    n_jobs : int or None, default=None
        Threads used by searches. None or -1 uses all of numba's threads, -2 all but
        one, and so on. Results do not depend on it.
    method : {"auto", "brute", "mih"}, default="auto"
        ``"brute"``: blocked linear scan. ``"mih"``: multi-index hashing (Norouzi et
        al., CVPR 2012), sublinear on clustered data and for small radii; a k-NN
        query whose probes cost more than its scan would is finished by the scan
        (queries that give up are scanned together), and a range search whose probe
        plan is estimated to cost more than a scan is scanned. ``"auto"`` chooses per
        call and per query: indexes of fewer than ``AUTO_MIN_ITEMS`` (32,768) items
        are scanned; otherwise a k-NN query probes for at most ``AUTO_EXPLORE`` (5%)
        of its scan's cost unless the probes left to reach its current k-th distance
        are known to fit in that cost, and is scanned otherwise; a range search probes
        when its plan's estimated cost is below the scan's. On data where fewer than
        ``AUTO_MIN_WIN_RATE`` (10%) of 32 database items, taken as queries, finish
        their probes within that budget (measured once per power of two of ``k``), a
        query whose exact-match buckets hold fewer than ``k`` items is scanned
        without probing: a lone query on codes without near neighbours costs its scan
        and a few microseconds. All three return exactly the same results (the choice
        only moves the time). Like ``"mih"``, ``"auto"`` builds the multi-index tables
        at the first search of an index that large (about 2 s and 360 MB for 10
        million 64-bit codes).
    n_substrings : int or None, default=None
        Substrings (tables) for ``method="mih"`` and ``"auto"``; None picks about
        ``bits / log2(len(index))``. A range search probes the cheapest exact subset
        of them for its radius (from a single table with bit flips to exact-match
        lookups in ``radius + 1`` tables), chosen from the number of probes and the
        candidates the tables hold for a sample of the data.

    Notes
    -----
    **Input codes.** ``add`` and the searches accept packed codes (``encode``
    output: ``(n, ceil(bits/8))`` uint8, zero padding bits) or raw bits (``transform``
    output: ``(n, bits)`` of 0/1 in any bool, integer or float dtype). The number of
    columns tells them apart; when ``bits == 1`` both have one column and the values
    decide (0/128 is packed, 0/1 is raw bits).

    **Result order.** Neighbours are sorted by distance, then by position in the
    index (insertion order; ``remove_ids`` keeps the order of the remaining items).
    Missing slots, when ``k`` exceeds the number of items, get id -1 and distance
    ``MISSING_DISTANCE`` (``2**31 - 1``, as faiss).

    **Ids.** Without explicit ids, items get consecutive ids starting after the
    largest id used so far (0, 1, 2, ... for a fresh index). Ids are unique.

    **Thread safety.** An index may be shared by threads. ``search`` and
    ``range_search`` may run concurrently with each other and with ``add`` and
    ``remove_ids``; their kernels release the GIL, so searches from several threads run
    in parallel, and their results are identical to serial calls. Each call reads the
    index once, as an immutable snapshot: a search concurrent with ``add`` or
    ``remove_ids`` sees the index entirely before or entirely after that change, never
    a mix. ``add`` and ``remove_ids`` are atomic and serialised by a lock (concurrent
    adds all land, in an unspecified order). ``len``, ``ids``, ``reconstruct_all``,
    ``save``, pickling and ``to_faiss`` each read one snapshot too; two such calls in a
    row may of course see different states if another thread writes in between. The
    multi-index tables are built once per state, by the first search that needs them,
    while other searches wait for them. Changing the attributes (``method``,
    ``n_jobs``, ``n_substrings``) while other threads use the index is not supported.
    Under numba's ``"workqueue"`` threading layer, which is not threadsafe, parallel
    kernel launches are serialised (the ``"omp"`` and ``"tbb"`` layers run them
    concurrently).

    **Adding in batches.** Codes are stored in a buffer that grows geometrically, so
    adding ``n`` items in any number of batches costs ``O(n)`` copying in total, as one
    ``add`` does. With codes longer than 64 bits the first search after an ``add``
    also makes one compact copy of the codes (the kernels need them contiguous), as it
    rebuilds the multi-index tables: adding in batches and searching once is cheap,
    interleaving many small adds with searches costs ``O(n)`` per search.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.hamming import HammingIndex
    >>> codes = np.array([[0b00000000], [0b00000011], [0b11111111]], dtype=np.uint8)
    >>> index = HammingIndex(8)
    >>> index.add(codes)
    >>> distances, ids = index.search(np.array([[0b00000001]], dtype=np.uint8), k=2)
    >>> distances, ids
    (array([[1, 1]], dtype=int32), array([[0, 1]]))
    """

    def __init__(
        self,
        bits: int,
        n_jobs: int | None = None,
        method: str = "auto",
        n_substrings: int | None = None,
    ) -> None:
        self.bits = check_bits(bits)
        resolve_n_jobs(n_jobs)
        self.n_jobs = n_jobs
        if not isinstance(method, str) or method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {method!r}")
        self.method = method
        self.n_substrings = check_n_substrings(n_substrings, self.bits)
        self._write_lock = threading.Lock()
        self._snapshot = _Snapshot.of(
            np.zeros((n_words(self.bits), 0), dtype=np.uint64), np.zeros(0, dtype=np.int64), 0
        )

    # The state as a search sees it; read ``self._snapshot`` once per call.

    @property
    def _columns(self) -> np.ndarray:
        return self._snapshot.columns()

    @property
    def _ids(self) -> np.ndarray:
        return self._snapshot.ids

    @property
    def _next_id(self) -> int:
        return self._snapshot.next_id

    # -- contents -------------------------------------------------------------------

    def __len__(self) -> int:
        return self._snapshot.n

    def __repr__(self) -> str:
        return (
            f"HammingIndex(bits={self.bits}, n_jobs={self.n_jobs}, method={self.method!r}, "
            f"n_items={len(self)})"
        )

    @property
    def ids(self) -> np.ndarray:
        """Ids of the items in index order (read-only view).

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(8)
        >>> index.add(np.zeros((2, 1), dtype=np.uint8), ids=[7, 3])
        >>> index.ids
        array([7, 3])
        """
        return self._snapshot.ids

    def reconstruct_all(self) -> np.ndarray:
        """Packed codes of all items in index order, ``(len(self), ceil(bits/8))`` uint8.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(9)
        >>> index.add(np.array([[1, 0, 0, 0, 0, 0, 0, 1, 1]]))
        >>> index.reconstruct_all()
        array([[129, 128]], dtype=uint8)
        """
        return columns_to_packed(self._snapshot.columns(), self.bits)

    def add(self, codes: Any, ids: Any = None) -> None:
        """Append codes to the index.

        Parameters
        ----------
        codes : array-like of shape (n, ceil(bits/8)) uint8 or (n, bits) 0/1
            Packed codes or raw bits (see the class notes).
        ids : array-like of shape (n,), optional
            Unique non-negative integer ids not already in the index. Default:
            consecutive ids after the largest id used so far.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(3)
        >>> index.add(np.array([[1, 0, 1], [0, 0, 0]]), ids=[10, 20])
        >>> len(index), index.ids.tolist()
        (2, [10, 20])
        """
        packed = as_packed_codes(codes, self.bits, "codes")
        n_new = packed.shape[0]
        given = None if ids is None else check_ids(ids, n_new)
        with self._write_lock:
            snap = self._snapshot
            if given is None:
                new_ids = np.arange(snap.next_id, snap.next_id + n_new, dtype=np.int64)
            else:
                new_ids = given
                clash = new_ids[np.isin(new_ids, snap.ids)]
                if clash.size:
                    raise ValueError(f"ids already in the index: {clash[:10].tolist()}")
            if snap.n + n_new >= 2**31 - 1 and self.method == "mih":
                raise ValueError("multi-index hashing supports fewer than 2**31 - 1 items")
            if n_new == 0:
                return
            next_id = max(snap.next_id, int(new_ids.max()) + 1)
            self._snapshot = snap.appended(packed_to_rows(packed), new_ids, next_id)

    def remove_ids(self, ids: Any) -> int:
        """Remove the items with the given ids; return how many were removed.

        Ids not in the index are ignored, as in faiss.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(8)
        >>> index.add(np.zeros((3, 1), dtype=np.uint8))
        >>> index.remove_ids([0, 2, 7]), index.ids.tolist()
        (2, [1])
        """
        targets = as_dense_array(ids, "ids")
        if targets.ndim != 1 or (targets.size and not np.issubdtype(targets.dtype, np.integer)):
            raise ValueError(
                f"ids must be a 1-D integer array; got {targets.dtype} {targets.shape}"
            )
        with self._write_lock:
            snap = self._snapshot
            keep = ~np.isin(snap.ids, targets)
            removed = int(snap.n - keep.sum())
            if removed:
                # New buffers: searches may still be reading the old ones.
                columns = np.ascontiguousarray(snap.buffer[:, : snap.n][:, keep])
                self._snapshot = _Snapshot.of(columns, snap.ids[keep], snap.next_id)
        return removed

    # -- search ---------------------------------------------------------------------

    def _threads(self) -> int:
        return resolve_n_jobs(self.n_jobs)

    def _query_rows(self, queries: Any) -> np.ndarray:
        return packed_to_rows(as_packed_codes(queries, self.bits, "queries"))

    def _mih_tables(self) -> MultiIndexTables:
        return self._snapshot.tables(self.bits, self.n_substrings)

    def _uses_tables(self, snap: _Snapshot) -> bool:
        """Whether this call may probe the multi-index tables (building them if needed)."""
        if self.method == "mih":
            return snap.n > 0
        return self.method == "auto" and AUTO_MIN_ITEMS <= snap.n < 2**31 - 1

    @staticmethod
    def _positions_to_ids(snap: _Snapshot, pos: np.ndarray) -> np.ndarray:
        if snap.identity:
            return pos  # fresh from the kernel; -1 in missing slots already
        out = np.full(pos.shape, -1, dtype=np.int64)
        found = pos >= 0
        out[found] = snap.ids[pos[found]]
        return out

    def search(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``k`` nearest items of each query.

        Parameters
        ----------
        queries : array-like of shape (n_queries, ceil(bits/8)) uint8 or (n_queries, bits)
            Packed codes or raw bits.
        k : int
            Number of neighbours, ``>= 1``; may exceed ``len(self)`` (the extra slots
            are padding), but a result larger than the machine's memory is refused
            with a ValueError before any work.

        Returns
        -------
        distances : ndarray of shape (n_queries, k), int32
            Sorted increasingly; ``MISSING_DISTANCE`` in missing slots.
        ids : ndarray of shape (n_queries, k), int64
            Item ids, ties broken by smaller index position; -1 in missing slots.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(4)
        >>> index.add(np.array([[0, 0, 0, 0], [1, 1, 1, 1]]))
        >>> index.search(np.array([[1, 1, 0, 1]]), k=3)
        (array([[         1,          3, 2147483647]], dtype=int32), array([[ 1,  0, -1]]))
        """
        k = check_k(k)
        rows = self._query_rows(queries)
        threads = self._threads()
        snap = self._snapshot
        check_result_size(rows.shape[0], k, snap.n)
        columns = snap.columns()
        tables = None
        if self._uses_tables(snap) and (self.method == "mih" or k < snap.n):
            tables = snap.tables(self.bits, self.n_substrings)
        budget = None
        screen = 0
        if tables is not None and self.method == "auto":
            budget = AUTO_EXPLORE * tables.scan_cost(columns.shape[0])
            if tables.knn_win_rate(k, columns, budget) < AUTO_MIN_WIN_RATE:
                screen = k
                if rows.shape[0] == 1 and tables.bucket_items(rows[0]) < k:
                    tables = None  # a lone query screened out: straight to the scan
        if tables is not None:
            if rows.shape[0] == 1:  # serial kernels only
                dist, pos = tables.topk(rows, columns, k, 1, budget, screen)
            else:
                with numba_threads(threads), _launch_guard():
                    dist, pos = tables.topk(rows, columns, k, threads, budget, screen)
        else:
            dist = np.empty((rows.shape[0], k), dtype=np.int32)
            pos = np.empty((rows.shape[0], k), dtype=np.int64)
            if threads == 1 or rows.shape[0] < 2:
                topk_serial(rows, columns, k, dist, pos)
            else:
                with numba_threads(threads), _launch_guard():
                    topk_parallel(rows, columns, k, dist, pos)
        return dist, self._positions_to_ids(snap, pos)

    def range_search(self, queries: Any, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All items within ``radius`` (inclusive) of each query.

        Parameters
        ----------
        queries : array-like of shape (n_queries, ceil(bits/8)) uint8 or (n_queries, bits)
            Packed codes or raw bits.
        radius : int
            Largest distance returned, ``>= 0``. Unlike faiss (``distance < radius``)
            the bound is inclusive: ``radius=0`` returns exact duplicates.

        Returns
        -------
        lims : ndarray of shape (n_queries + 1,), int64
            The results of query ``i`` are ``distances[lims[i]:lims[i+1]]`` and
            ``ids[lims[i]:lims[i+1]]`` (the CSR layout of faiss's ``range_search``).
        distances : ndarray of shape (lims[-1],), int32
            Sorted by distance within each query.
        ids : ndarray of shape (lims[-1],), int64
            Ties broken by smaller index position.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(4)
        >>> index.add(np.array([[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 1]]))
        >>> lims, distances, ids = index.range_search(np.array([[0, 0, 0, 0]]), radius=1)
        >>> lims, distances, ids
        (array([0, 2]), array([0, 1], dtype=int32), array([0, 2]))
        """
        radius = check_radius(radius, self.bits)
        rows = self._query_rows(queries)
        threads = self._threads()
        parallel = threads > 1 and rows.shape[0] > 1
        snap = self._snapshot
        columns = snap.columns()
        if self._uses_tables(snap):
            tables = snap.tables(self.bits, self.n_substrings)
            if tables.range_is_worthwhile(radius, columns.shape[0]):
                with _launch_guard() if parallel else contextlib.nullcontext():
                    lims, dist, pos = tables.range(rows, columns, radius, threads)
                # Every position is a hit.
                return lims, dist, pos if snap.identity else snap.ids[pos]
        counts = np.zeros(rows.shape[0], dtype=np.int64)
        lims = np.zeros(rows.shape[0] + 1, dtype=np.int64)
        guard = _launch_guard() if parallel else contextlib.nullcontext()
        with numba_threads(threads if parallel else numba.get_num_threads()), guard:
            # Counting and filling must scan the same codes: the fill writes exactly
            # the counted number of hits.
            (range_count_parallel if parallel else range_count_serial)(
                rows, columns, radius, counts
            )
            np.cumsum(counts, out=lims[1:])
            dist = np.empty(lims[-1], dtype=np.int32)
            pos = np.empty(lims[-1], dtype=np.int64)
            (range_fill_parallel if parallel else range_fill_serial)(
                rows, columns, radius, lims, dist, pos
            )
        return lims, dist, self._positions_to_ids(snap, pos)

    # -- persistence ----------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the index to ``path`` in the documented binary format (see ``_io``).

        The file holds magic, version, bits, count and CRC-32 checksums; it is written
        to a temporary file in the same directory and then moved into place.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(16)
        >>> index.add(np.arange(6, dtype=np.uint8).reshape(3, 2))
        >>> path = os.path.join(tempfile.mkdtemp(), "codes.zsh")
        >>> index.save(path)
        >>> loaded = HammingIndex.load(path)
        >>> np.array_equal(loaded.reconstruct_all(), index.reconstruct_all())
        True
        """
        snap = self._snapshot
        save_index(
            path,
            IndexData(
                bits=self.bits,
                method=self.method,
                n_substrings=self.n_substrings,
                next_id=snap.next_id,
                columns=snap.columns(),
                ids=snap.ids,
            ),
        )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        mmap: bool = True,
        n_jobs: int | None = None,
        verify: bool = True,
    ) -> HammingIndex:
        """Load an index written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
        mmap : bool, default=True
            Map the codes read-only instead of reading them; searches run on the map.
            ``add`` and ``remove_ids`` then work on an in-memory copy.
        n_jobs : int or None, default=None
            As in the constructor (thread counts are not saved).
        verify : bool, default=True
            Check the payload checksum (reads the whole file once).

        Raises
        ------
        ValueError
            If the file is not an index, has another format version, is truncated, or
            fails a checksum.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> path = os.path.join(tempfile.mkdtemp(), "codes.zsh")
        >>> index = HammingIndex(8)
        >>> index.add(np.array([[3], [5]], dtype=np.uint8))
        >>> index.save(path)
        >>> HammingIndex.load(path, mmap=True).search(np.array([[1]], dtype=np.uint8), k=1)
        (array([[1]], dtype=int32), array([[0]]))
        """
        data = load_index(path, mmap=mmap, verify=verify)
        index = cls(data.bits, n_jobs=n_jobs, method=data.method, n_substrings=data.n_substrings)
        index._snapshot = _Snapshot.of(data.columns, data.ids, data.next_id)
        return index

    def __getstate__(self) -> dict:
        snap = self._snapshot
        return {
            "version": _STATE_VERSION,
            "bits": self.bits,
            "n_jobs": self.n_jobs,
            "method": self.method,
            "n_substrings": self.n_substrings,
            "next_id": snap.next_id,
            "codes": columns_to_packed(snap.columns(), self.bits),
            "ids": np.array(snap.ids),
        }

    def __setstate__(self, state: dict) -> None:
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported HammingIndex pickle version {state.get('version')}")
        self.__init__(state["bits"], state["n_jobs"], state["method"], state["n_substrings"])
        self._snapshot = _Snapshot.of(
            packed_to_columns(state["codes"]), np.asarray(state["ids"]), state["next_id"]
        )

    # -- faiss interop --------------------------------------------------------------

    def to_faiss(self) -> Any:
        """Copy the index into faiss (requires faiss and ``bits % 8 == 0``).

        Returns
        -------
        faiss.IndexBinaryFlat or faiss.IndexBinaryIDMap
            A flat index when the ids are ``0..n-1`` in order, otherwise an
            ``IndexBinaryIDMap`` over one that keeps the ids.

        Examples
        --------
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> index = HammingIndex(16)
        >>> index.add(np.array([[1, 2], [3, 4]], dtype=np.uint8))
        >>> flat = index.to_faiss()  # needs faiss
        >>> flat.ntotal, flat.d
        (2, 16)
        """
        snap = self._snapshot
        return _faiss.codes_to_faiss(
            self.bits, columns_to_packed(snap.columns(), self.bits), snap.ids
        )

    @classmethod
    def from_faiss(cls, faiss_index: Any, n_jobs: int | None = None) -> HammingIndex:
        """Build an index from ``faiss.IndexBinaryFlat`` or ``IndexBinaryIDMap`` over one.

        Parameters
        ----------
        faiss_index : faiss.IndexBinaryFlat or faiss.IndexBinaryIDMap
        n_jobs : int or None, default=None
            As in the constructor.

        Examples
        --------
        >>> import faiss  # needs faiss
        >>> import numpy as np
        >>> from zeroshash.hamming import HammingIndex
        >>> flat = faiss.IndexBinaryFlat(16)
        >>> flat.add(np.array([[1, 2], [3, 4]], dtype=np.uint8))
        >>> index = HammingIndex.from_faiss(flat)
        >>> len(index), index.reconstruct_all().tolist()
        (2, [[1, 2], [3, 4]])
        """
        bits, codes, ids = _faiss.codes_from_faiss(faiss_index)
        index = cls(bits, n_jobs=n_jobs)
        if codes.shape[0]:
            index.add(codes, ids=ids)
        return index


__all__ = ["HammingIndex", "MISSING_DISTANCE"]
