"""Dask scale-out: blockwise encoding of dask arrays and a Hamming index sharded over workers.

Optional: needs ``dask`` (``pip install zeroshash[dask]``); the index needs
``distributed`` too. ``import zeroshash`` never imports this module.

* :func:`dask_encode` / :func:`dask_transform` encode a ``dask.array`` block by block
  with any fitted hasher, with the output's chunks and dtype declared up front.
* :class:`ShardedHammingIndex` keeps one :class:`~zeroshash.hamming.HammingIndex` per
  shard in the memory of a ``distributed`` cluster's workers; its searches return
  exactly what one ``HammingIndex`` over the same codes, added in the same order, does
  (ties included).

This module does not use joblib: parallelism comes from the dask scheduler (the
workers' threads and processes) and, inside a shard, from the index's ``n_jobs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import dask
import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.sizeof import sizeof
from sklearn.utils.validation import check_is_fitted

if TYPE_CHECKING:
    from .hamming import HammingIndex

__all__ = ["ShardedHammingIndex", "dask_encode", "dask_transform"]

_METHODS = ("brute", "mih")


# -- encoding ---------------------------------------------------------------------------


def _apply_block(block: np.ndarray, hasher: Any, method: str, width: int,
                 encode_dtype: str = "float64") -> np.ndarray:
    """One block through ``hasher.<method>``; empty blocks give empty codes.

    ``encode_dtype`` is the caller's ``zeroshash.get_config()`` setting, applied on the
    worker (a thread's configuration does not travel with the task by itself).
    """
    if block.shape[0] == 0:  # sklearn refuses 0 samples; an empty block has no codes
        return np.empty((0, width), dtype=np.uint8)
    from ._config import config_context

    with config_context(encode_dtype=encode_dtype):
        out = np.asarray(getattr(hasher, method)(block))
    if out.shape != (block.shape[0], width) or out.dtype != np.uint8:
        raise ValueError(
            f"{type(hasher).__name__}.{method} returned {out.dtype} codes of shape "
            f"{out.shape} for a block of {block.shape[0]} rows; expected uint8 of shape "
            f"({block.shape[0]}, {width})"
        )
    return out


def _expected_features(hasher: Any, query: bool) -> tuple[str, int | None]:
    attr = "n_query_features_in_" if query else "n_features_in_"
    n = getattr(hasher, attr, None)
    return attr, (None if n is None else int(n))


def _check_encode_input(hasher: Any, X: Any, query: bool) -> tuple[str, int]:
    """Validate hasher and X; return the hasher's code length and X's layout name."""
    name = type(hasher).__name__
    if not callable(getattr(hasher, "fit", None)) or not callable(
        getattr(hasher, "encode", None)
    ):
        raise TypeError(f"hasher must be a zeroshash hasher (with fit and encode); got {name}")
    if query and not callable(getattr(hasher, "encode_query", None)):
        raise ValueError(
            f"query=True needs a hasher with a query encoder (encode_query), such as "
            f"CrossModalHasher; {name} has none: its encode serves queries and database alike"
        )
    check_is_fitted(hasher)
    bits = getattr(hasher, "bits", None)
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or bits < 1:
        raise TypeError(f"{name}.bits must be a positive int (the code length); got {bits!r}")
    if not isinstance(X, da.Array):
        hint = (
            "for a dask DataFrame use X.to_dask_array(lengths=True)"
            if hasattr(X, "to_dask_array")
            else "wrap an in-memory array with dask.array.from_array, or call the hasher's "
            "own encode on it"
        )
        raise TypeError(f"X must be a dask.array.Array; got {type(X).__name__} ({hint})")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numbers (bool, integer or float); got dtype {X.dtype}")
    patches = getattr(hasher, "_input_kind", "features") == "patches"
    if X.ndim == 3 and patches and not query:
        layout = (getattr(hasher, "n_patches_", None), getattr(hasher, "patch_dim_", None))
        if tuple(X.shape[1:]) != layout:
            raise ValueError(
                f"X has patches of shape (n_patches, patch_dim)={tuple(X.shape[1:])}, but "
                f"{name} was fitted on {layout}"
            )
        return "patches", int(bits)
    if X.ndim != 2:
        shapes = (
            "(n_samples, n_features) or (n_samples, n_patches, patch_dim)"
            if patches and not query
            else "(n_samples, n_features)"
        )
        raise ValueError(f"{name} expects X of shape {shapes}; got a {X.ndim}-D dask array")
    attr, n_features = _expected_features(hasher, query)
    if np.isnan(X.shape[1]):
        raise ValueError("X has an unknown number of columns; call X.compute_chunk_sizes()")
    if n_features is not None and X.shape[1] != n_features:
        side = "query-modality features" if query else "features"
        raise ValueError(
            f"X has {X.shape[1]} features, but {name} is expecting {n_features} {side} "
            f"as input ({attr})"
        )
    return "features", int(bits)


def _map_codes(hasher: Any, X: Any, *, packed: bool, query: bool) -> da.Array:
    layout, bits = _check_encode_input(hasher, X, query)
    method = ("encode" if packed else "transform") + ("_query" if query else "")
    width = (bits + 7) // 8 if packed else bits
    # Every block holds all feature columns (and all patches): one chunk per row block.
    whole = {axis: -1 for axis in range(1, X.ndim)}
    X = X.rechunk(whole)
    # The hasher is one node of the graph that every block's task refers to: it is
    # serialised once and each worker fetches it once, whatever the number of blocks.
    model = dask.delayed(hasher, pure=False, traverse=False)
    from ._config import get_config

    encode_dtype = get_config()["encode_dtype"]  # taken now, applied on the workers
    return da.map_blocks(
        _apply_block,
        X,
        model,
        method,
        width,
        encode_dtype,
        dtype=np.uint8,
        chunks=(X.chunks[0], (width,)),
        drop_axis=2 if layout == "patches" else None,
        meta=np.empty((0, 0), dtype=np.uint8),
        name=f"zeroshash-{method}-{tokenize(X, model.key, method, encode_dtype)}",
    )


def dask_encode(hasher: Any, X: Any, *, query: bool = False) -> da.Array:
    """Packed binary codes of a dask array, computed block by block: ``hasher.encode``.

    Parameters
    ----------
    hasher : fitted hasher
        Any zeroshash hasher (an estimator with ``encode``).
    X : dask.array.Array of shape (n_samples, n_features)
        The features; ``(n_samples, n_patches, patch_dim)`` patches for a patch-level
        hasher (``PartAlignHasher``). It is rechunked so that each block holds all
        columns (its row chunks are kept, unknown row chunks included).
    query : bool, default=False
        Use the hasher's query encoder (``encode_query``, e.g. ``CrossModalHasher``'s
        query modality) instead of ``encode``.

    Returns
    -------
    codes : dask.array.Array of shape (n_samples, ceil(bits / 8)), dtype uint8
        Lazy; one block per row block of ``X``, a single chunk along the columns. The
        hasher is one node of the graph, sent to each worker once.

    Raises
    ------
    TypeError
        If ``X`` is not a dask array of numbers, or ``hasher`` is not a hasher.
    ValueError
        If ``X`` has the wrong number of features or dimensions, or ``query=True``
        for a hasher without a query encoder.
    sklearn.exceptions.NotFittedError
        If the hasher is not fitted.

    See Also
    --------
    dask_transform : The same codes as 0/1 bits, one column per bit.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from zeroshash import LSHHasher
    >>> from zeroshash.dask import dask_encode
    >>> X = np.random.RandomState(0).randn(100, 20)
    >>> hasher = LSHHasher(bits=12, random_state=0).fit(X)
    >>> codes = dask_encode(hasher, da.from_array(X, chunks=(40, 5)))
    >>> codes.chunks, codes.dtype
    (((40, 40, 20), (2,)), dtype('uint8'))
    >>> np.array_equal(codes.compute(scheduler="sync"), hasher.encode(X))
    True
    """
    return _map_codes(hasher, X, packed=True, query=query)


def dask_transform(hasher: Any, X: Any, *, query: bool = False) -> da.Array:
    """Binary codes of a dask array as 0/1 bits, block by block: ``hasher.transform``.

    Parameters
    ----------
    hasher : fitted hasher
        Any zeroshash hasher.
    X : dask.array.Array of shape (n_samples, n_features)
        As in :func:`dask_encode`.
    query : bool, default=False
        Use the hasher's ``transform_query`` instead of ``transform``.

    Returns
    -------
    bits : dask.array.Array of shape (n_samples, bits), dtype uint8
        Lazy; one block per row block of ``X``, a single chunk along the columns.

    Raises
    ------
    TypeError, ValueError, sklearn.exceptions.NotFittedError
        As :func:`dask_encode`.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from zeroshash import PCAHasher
    >>> from zeroshash.dask import dask_transform
    >>> X = np.random.RandomState(0).randn(50, 8)
    >>> hasher = PCAHasher(bits=4).fit(X)
    >>> bits = dask_transform(hasher, da.from_array(X, chunks=(20, 8)))
    >>> bits.shape, bits.chunks[1]
    ((50, 4), (4,))
    >>> np.array_equal(bits.compute(scheduler="sync"), hasher.transform(X))
    True
    """
    return _map_codes(hasher, X, packed=False, query=query)


# -- sharded index ----------------------------------------------------------------------


def _index_nbytes(index: HammingIndex) -> int:
    """Memory of an index's codes (64-bit words) and ids, for dask's memory accounting."""
    return len(index) * (8 * ((index.bits + 63) // 64) + 8) + 256


_SIZEOF_REGISTERED: list = []


def _hamming_index() -> type[HammingIndex]:
    """The HammingIndex class, its size registered with dask.

    Imported on first use, so that encoding alone never loads the Hamming engine on
    the workers. The registration lets the scheduler see a shard's real size (it
    would otherwise count ~50 bytes, and might move shards between workers as if they
    were free to copy).
    """
    from .hamming import HammingIndex

    if not _SIZEOF_REGISTERED:
        sizeof.register(HammingIndex)(_index_nbytes)
        _SIZEOF_REGISTERED.append(True)
    return HammingIndex


def _build_shard(
    codes: np.ndarray,
    ids: np.ndarray | None,
    bits: int,
    method: str,
    n_jobs: int | None,
    block: int,
) -> HammingIndex:
    index = _hamming_index()(bits, n_jobs=n_jobs, method=method)
    try:
        index.add(codes, ids=ids)
    except ValueError as exc:
        raise ValueError(f"row block {block} of codes: {exc}") from None
    return index


def _describe_shard(index: Any) -> dict:
    if not isinstance(index, _hamming_index()):
        return {"type": type(index).__name__}
    ids = index.ids
    n = len(index)
    return {
        "type": "HammingIndex",
        "bits": index.bits,
        "n": n,
        "min": int(ids.min()) if n else 0,
        "max": int(ids.max()) if n else -1,
        "successive": bool(np.array_equal(ids, np.arange(n))),
    }


def _shard_ids(index: HammingIndex) -> np.ndarray:
    return np.array(index.ids)


def _n_shared(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.isin(a, b).sum())


def _shard_search(index: HammingIndex, queries: np.ndarray, k: int):
    return index.search(queries, k)


def _shard_range_search(index: HammingIndex, queries: np.ndarray, radius: int):
    return index.range_search(queries, radius)


def _import_module_plugin():
    """A worker plugin importing this module on every worker (present and future)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class _ImportZeroshashDask(WorkerPlugin):
        name = "zeroshash.dask"

        def setup(self, worker) -> None:  # noqa: ARG002 - the plugin interface
            from zeroshash.dask import _hamming_index

            _hamming_index()  # registers the shards' sizeof

    return _ImportZeroshashDask()


def _resolve_client(client: Any, futures: Sequence[Any] = ()) -> Any:
    from distributed import Client, get_client

    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client; got {type(client).__name__}")
        return client
    if futures:
        return futures[0].client
    try:
        return get_client()
    except ValueError as exc:
        raise ValueError(
            "ShardedHammingIndex needs a distributed cluster: pass client=, or create a "
            "distributed.Client first"
        ) from exc


class ShardedHammingIndex:
    """Exact Hamming index split into shards that live on ``distributed`` workers.

    Each shard is a :class:`~zeroshash.hamming.HammingIndex` held in a worker's memory
    (a ``distributed`` future). A search sends the queries to the workers once, every
    shard answers for its items, and the answers are merged on the client. The results
    are exactly those of one ``HammingIndex`` over the concatenation of the shards'
    codes, in shard order, with the same ids -- distances, ids and ties.

    Build one from a dask array of codes (one shard per row block) with
    :meth:`from_dask_array`, or from existing shards with the constructor.

    Parameters
    ----------
    shards : sequence of HammingIndex or distributed.Future
        The shards, in order. Local indexes are scattered to the workers; futures
        (of ``HammingIndex`` objects) must belong to ``client``'s cluster. All shards
        must have the same ``bits``.
    successive_ids : bool, default=True
        As in faiss's ``IndexShards``. True: each shard must hold the ids ``0 .. n_s -
        1`` in order (as a fresh index does), and item ``j`` of shard ``s`` gets the
        global id ``offset_s + j``, where ``offset_s`` is the number of items in the
        shards before it; the global ids are then the positions ``0 .. len - 1``.
        False: the shards' own ids are the global ids; they must be unique across the
        shards (checked on the workers).
    client : distributed.Client, optional
        Default: the client of the first future, else the current client.

    Attributes
    ----------
    client : distributed.Client
    shards : tuple of distributed.Future
        The shards, in order.
    bits : int
        Code length.
    n_shards : int
    shard_sizes : tuple of int
        Items per shard.
    successive_ids : bool

    Notes
    -----
    **Ids.** With ``successive_ids=True`` (the default of :meth:`from_dask_array` when
    no ids are given) an item's id is its row position in the concatenated shards --
    for :meth:`from_dask_array`, its row in the dask array (block offset plus row in
    the block). With explicit ids (``successive_ids=False``, or ``ids=`` in
    :meth:`from_dask_array`) the ids are the shards' own, unique over the index.

    **Result order.** As in ``HammingIndex``, results are sorted by distance and ties
    are broken by *position*: here the position in the concatenation of the shards in
    shard order, i.e. by (distance, shard number, position in the shard). This is the
    order of a single ``HammingIndex`` to which the shards' codes were added in shard
    order; with successive ids it is the order of the ids themselves. It is *not* the
    order of explicit ids. Missing slots (``k`` larger than the index) get id -1 and
    distance ``2**31 - 1``.

    **Placement.** Shards stay on the workers that built or received them; their size
    is reported to the scheduler (codes and ids: ``8 * ceil(bits / 64) + 8`` bytes per
    item) through ``dask.sizeof``, registered on every worker by a worker plugin named
    ``"zeroshash.dask"``. Each shard search runs in one worker thread with the shard's
    own ``n_jobs`` (1 by default in :meth:`from_dask_array`): parallelism comes from
    the shards, so have at least as many shards as worker threads. Shards built by
    :meth:`from_dask_array` keep their graph, so ``distributed`` can rebuild one lost
    with its worker; scattered local shards cannot be rebuilt.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from distributed import Client
    >>> from zeroshash.dask import ShardedHammingIndex
    >>> codes = np.array([[0], [3], [255], [1], [3]], dtype=np.uint8)
    >>> with Client(processes=False, n_workers=1, dashboard_address=None) as client:
    ...     index = ShardedHammingIndex.from_dask_array(da.from_array(codes, chunks=2), 8)
    ...     print(index.n_shards, len(index))
    ...     print(index.search(np.array([[1]], dtype=np.uint8), k=3))
    3 5
    (array([[0, 1, 1]], dtype=int32), array([[3, 0, 1]]))
    """

    def __init__(
        self,
        shards: Sequence[Any],
        *,
        successive_ids: bool = True,
        client: Any = None,
    ) -> None:
        from distributed import Future

        HammingIndex = _hamming_index()  # noqa: N806 - the class
        if isinstance(shards, HammingIndex | Future) or not isinstance(shards, Sequence):
            raise TypeError(
                "shards must be a list of HammingIndex or distributed.Future of HammingIndex; "
                f"got {type(shards).__name__}"
            )
        if not shards:
            raise ValueError("shards is empty: a ShardedHammingIndex needs at least one shard")
        if not isinstance(successive_ids, bool | np.bool_):
            raise TypeError(f"successive_ids must be a bool; got {successive_ids!r}")
        for s, shard in enumerate(shards):
            if not isinstance(shard, HammingIndex | Future):
                raise TypeError(
                    f"shard {s} is a {type(shard).__name__}; shards must be HammingIndex "
                    "objects or distributed.Future of HammingIndex"
                )
        futures_given = [shard for shard in shards if isinstance(shard, Future)]
        client = _resolve_client(client, futures_given)
        for s, shard in enumerate(shards):
            if isinstance(shard, Future) and shard.client is not client:
                raise ValueError(f"shard {s} is a future of another client than client=")
        local = [s for s, shard in enumerate(shards) if isinstance(shard, HammingIndex)]
        bits_seen = {shards[s].bits for s in local}
        if len(bits_seen) > 1:
            raise ValueError(f"the shards have different code lengths: bits {sorted(bits_seen)}")
        client.register_plugin(_import_module_plugin(), name="zeroshash.dask")
        futures = list(shards)
        if local:
            scattered = client.scatter([shards[s] for s in local], hash=False)
            for s, future in zip(local, scattered, strict=True):
                futures[s] = future
        # Waits for the shards (a failed build raises its error here).
        infos = client.gather(client.map(_describe_shard, futures, pure=False))
        for s, info in enumerate(infos):
            if info["type"] != "HammingIndex":
                raise TypeError(f"shard {s} is a {info['type']}, not a HammingIndex")
        bits_seen = {info["bits"] for info in infos}
        if len(bits_seen) > 1:
            raise ValueError(f"the shards have different code lengths: bits {sorted(bits_seen)}")
        if successive_ids:
            for s, info in enumerate(infos):
                if not info["successive"]:
                    raise ValueError(
                        f"with successive_ids=True each shard must hold the ids 0 .. n-1 in "
                        f"order; shard {s} does not (use successive_ids=False to keep the "
                        "shards' own ids)"
                    )
        else:
            self._check_unique_ids(client, futures, infos)
        self.client = client
        self.shards = tuple(futures)
        self.bits = int(infos[0]["bits"])
        self.shard_sizes = tuple(int(info["n"]) for info in infos)
        self.successive_ids = bool(successive_ids)
        self._offsets = np.concatenate([[0], np.cumsum(self.shard_sizes)]).astype(np.int64)

    @staticmethod
    def _check_unique_ids(client: Any, futures: list, infos: list[dict]) -> None:
        """Ids unique over the shards: compare the shards whose id ranges overlap."""
        ranges = sorted(
            (info["min"], info["max"], s) for s, info in enumerate(infos) if info["n"]
        )
        pairs = [
            (a[2], b[2]) for i, a in enumerate(ranges) for b in ranges[i + 1 :] if b[0] <= a[1]
        ]
        if not pairs:
            return
        involved = sorted({s for pair in pairs for s in pair})
        # Only the ids travel (8 bytes per item), between workers, never to the client.
        id_futures = client.map(_shard_ids, [futures[s] for s in involved], pure=False)
        ids = dict(zip(involved, id_futures, strict=True))
        shared = client.gather(
            [client.submit(_n_shared, ids[a], ids[b], pure=False) for a, b in pairs]
        )
        for (a, b), n in zip(pairs, shared, strict=True):
            if n:
                lo, hi = sorted((a, b))
                raise ValueError(
                    f"ids must be unique over the shards; shards {lo} and {hi} share {n} ids"
                )

    @classmethod
    def from_dask_array(
        cls,
        codes: Any,
        bits: int,
        *,
        ids: Any = None,
        method: str = "brute",
        n_jobs: int | None = 1,
        client: Any = None,
    ) -> ShardedHammingIndex:
        """Build one shard per row block of a dask array of codes, on the workers.

        Parameters
        ----------
        codes : dask.array.Array of shape (n, ceil(bits/8)) uint8 or (n, bits) 0/1
            Packed codes (e.g. :func:`dask_encode` output) or raw bits. Each row block
            becomes a shard (column chunks are merged first). Row chunks may be unknown
            when ``ids`` is None.
        bits : int
            Code length.
        ids : dask.array.Array or array-like of shape (n,), optional
            Explicit ids, unique non-negative integers (a dask array is rechunked to
            the row chunks of ``codes``). Default: the row positions ``0 .. n - 1``
            (successive ids).
        method : {"brute", "mih", "auto"}, default="brute"
            The shards' search method (see ``HammingIndex``). Brute force by default,
            so a worker's memory is its codes and ids (16 bytes an item at 64 bits);
            "mih" and "auto" build multi-index tables on each shard (``auto`` for
            shards of 32,768 items or more, at its first search).
        n_jobs : int or None, default=1
            Threads per shard search (``HammingIndex``'s ``n_jobs``).
        client : distributed.Client, optional
            Default: the current client.

        Returns
        -------
        index : ShardedHammingIndex
            Once the shards are built (this call waits; a block's error is raised here).

        Raises
        ------
        TypeError
            If ``codes`` is not a dask array.
        ValueError
            If ``codes`` or ``ids`` have a wrong shape or type, ``bits`` or ``method``
            is invalid, or the ids are not unique.

        Examples
        --------
        >>> import dask.array as da
        >>> import numpy as np
        >>> from distributed import Client
        >>> from zeroshash.dask import ShardedHammingIndex
        >>> codes = da.from_array(np.array([[0, 1], [1, 1], [0, 0]]), chunks=(2, 1))
        >>> with Client(processes=False, n_workers=1, dashboard_address=None) as client:
        ...     index = ShardedHammingIndex.from_dask_array(codes, 2, ids=[30, 10, 20])
        ...     print(index.shard_sizes, index.ids)
        ...     print(index.range_search(np.array([[0, 1]]), radius=1))
        (2, 1) [30 10 20]
        (array([0, 3]), array([0, 1, 1], dtype=int32), array([30, 10, 20]))
        """
        # Validates bits, method and n_jobs with HammingIndex's own messages.
        _hamming_index()(bits, n_jobs=n_jobs, method=method)
        if not isinstance(codes, da.Array):
            raise TypeError(
                f"codes must be a dask.array.Array; got {type(codes).__name__} (build a "
                "HammingIndex for in-memory codes, or wrap them with dask.array.from_array)"
            )
        from .hamming._validation import check_code_shape

        check_code_shape(codes.shape, bits, "codes")
        if codes.dtype.kind not in "biuf":
            raise ValueError(f"codes must be numeric 0/1 bits or packed uint8; got {codes.dtype}")
        codes = codes.rechunk({1: -1})
        id_blocks: list = [None] * codes.numblocks[0]
        if ids is not None:
            id_blocks = cls._id_blocks(ids, codes)
        client = _resolve_client(client)
        build = dask.delayed(_build_shard, pure=False)
        shards = [
            build(block, id_block, int(bits), method, n_jobs, b)
            for b, (block, id_block) in enumerate(
                zip(codes.to_delayed().ravel(), id_blocks, strict=True)
            )
        ]
        return cls(client.compute(shards), successive_ids=ids is None, client=client)

    @staticmethod
    def _id_blocks(ids: Any, codes: da.Array) -> list:
        n = codes.shape[0]
        if any(np.isnan(c) for c in codes.chunks[0]):
            raise ValueError(
                "explicit ids need the row chunks of codes to be known; call "
                "codes.compute_chunk_sizes() first"
            )
        if isinstance(ids, da.Array):
            if ids.ndim != 1 or ids.shape[0] != n or ids.dtype.kind not in "iu":
                raise ValueError(
                    f"ids must be a 1-D integer array of length {n} (one per code); got "
                    f"{ids.dtype} of shape {ids.shape}"
                )
            return list(ids.rechunk((codes.chunks[0],)).to_delayed().ravel())
        arr = np.asarray(ids)
        if arr.ndim != 1 or arr.shape[0] != n or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(
                f"ids must be a 1-D integer array of length {n} (one per code); got "
                f"{arr.dtype} of shape {arr.shape}"
            )
        arr = arr.astype(np.int64)
        if arr.size and arr.min() < 0:
            raise ValueError(f"ids must be non-negative; got {int(arr.min())}")
        unique, counts = np.unique(arr, return_counts=True)
        if unique.size < arr.size:
            raise ValueError(f"ids must be unique; repeated: {unique[counts > 1][:10].tolist()}")
        edges = np.concatenate([[0], np.cumsum(codes.chunks[0])]).astype(np.int64)
        return [arr[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]

    # -- contents -------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._offsets[-1])

    @property
    def n_shards(self) -> int:
        """Number of shards."""
        return len(self.shards)

    @property
    def ids(self) -> np.ndarray:
        """Global ids of all items in index order (shard order, then position).

        With successive ids this is ``arange(len(self))``; otherwise the shards' ids are
        fetched from the workers (8 bytes per item travel to the client).
        """
        if self.successive_ids:
            return np.arange(len(self), dtype=np.int64)
        parts = self.client.gather(self.client.map(_shard_ids, self.shards, pure=False))
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __repr__(self) -> str:
        return (
            f"ShardedHammingIndex(bits={self.bits}, n_shards={self.n_shards}, "
            f"n_items={len(self)}, successive_ids={self.successive_ids})"
        )

    # -- search ---------------------------------------------------------------------------

    def _probe(self) -> HammingIndex:
        return _hamming_index()(self.bits)

    def _packed_queries(self, queries: Any) -> np.ndarray:
        """Validate and pack the queries locally, with HammingIndex's own checks."""
        probe = self._probe()
        probe.search(queries, 1)  # checks them, named "queries", against no items
        probe.add(queries)
        return probe.reconstruct_all()

    def _global_ids(self, ids: np.ndarray, shard: int) -> np.ndarray:
        if not self.successive_ids or self._offsets[shard] == 0:
            return ids
        return np.where(ids >= 0, ids + self._offsets[shard], ids)

    def _scatter(self, queries: np.ndarray) -> Any:
        # Once per call to each worker, whatever the number of shards on it.
        return self.client.scatter(queries, broadcast=True, hash=False)

    def search(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``k`` nearest items of each query, over all shards.

        Parameters
        ----------
        queries : array-like of shape (n_queries, ceil(bits/8)) uint8 or (n_queries, bits)
            Packed codes or raw bits.
        k : int
            Number of neighbours, ``>= 1``; may exceed ``len(self)`` or any shard.

        Returns
        -------
        distances : ndarray of shape (n_queries, k), int32
            Sorted increasingly; ``2**31 - 1`` in missing slots.
        ids : ndarray of shape (n_queries, k), int64
            Global ids, ties broken by position (shard number, then position in the
            shard; see the class notes); -1 in missing slots.

        Examples
        --------
        See the class examples.
        """
        packed = self._packed_queries(queries)
        from .hamming._validation import check_result_size

        self._probe().search(packed[:0], k)  # validates k
        k = int(k)
        check_result_size(packed.shape[0], k, len(self))
        if packed.shape[0] == 0:
            return np.empty((0, k), dtype=np.int32), np.empty((0, k), dtype=np.int64)
        q = self._scatter(packed)
        parts = self.client.gather(
            self.client.map(_shard_search, self.shards, queries=q, k=k, pure=False)
        )
        dist = np.concatenate([d for d, _ in parts], axis=1)
        ids = np.concatenate([self._global_ids(i, s) for s, (_, i) in enumerate(parts)], axis=1)
        if len(parts) == 1:
            return dist, ids
        # A stable sort on distance keeps shard order, and each shard's order, for ties.
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(dist, order, axis=1), np.take_along_axis(ids, order, axis=1)

    def range_search(self, queries: Any, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All items within ``radius`` (inclusive) of each query, over all shards.

        Parameters
        ----------
        queries : array-like of shape (n_queries, ceil(bits/8)) uint8 or (n_queries, bits)
            Packed codes or raw bits.
        radius : int
            Largest distance returned, ``>= 0`` (inclusive, as ``HammingIndex``).

        Returns
        -------
        lims : ndarray of shape (n_queries + 1,), int64
            The results of query ``i`` are ``distances[lims[i]:lims[i+1]]`` and
            ``ids[lims[i]:lims[i+1]]`` (faiss's ``range_search`` layout).
        distances : ndarray of shape (lims[-1],), int32
            Sorted by distance within each query.
        ids : ndarray of shape (lims[-1],), int64
            Global ids, ties broken by position (see the class notes).

        Examples
        --------
        See :meth:`from_dask_array`.
        """
        packed = self._packed_queries(queries)
        self._probe().range_search(packed[:0], radius)  # validates radius
        radius = int(radius)
        n_q = packed.shape[0]
        if n_q == 0:
            return np.zeros(1, dtype=np.int64), np.empty(0, np.int32), np.empty(0, np.int64)
        q = self._scatter(packed)
        parts = self.client.gather(
            self.client.map(_shard_range_search, self.shards, queries=q, radius=radius, pure=False)
        )
        if len(parts) == 1:
            lims, dist, ids = parts[0]
            return lims, dist, self._global_ids(ids, 0)
        counts = np.zeros(n_q, dtype=np.int64)
        for lims, _, _ in parts:
            counts += np.diff(lims)
        lims = np.zeros(n_q + 1, dtype=np.int64)
        np.cumsum(counts, out=lims[1:])
        query_of = np.concatenate(
            [np.repeat(np.arange(n_q, dtype=np.int64), np.diff(p[0])) for p in parts]
        )
        dist = np.concatenate([p[1] for p in parts])
        ids = np.concatenate([self._global_ids(p[2], s) for s, p in enumerate(parts)])
        # Group by query, then distance; the stable sort keeps shard order for ties.
        order = np.argsort(query_of * (self.bits + 1) + dist, kind="stable")
        return lims, dist[order], ids[order]
