"""Conversion between :class:`HammingIndex` and faiss binary indexes (faiss optional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .index import HammingIndex


def _import_faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise ImportError(
            "faiss is required for to_faiss/from_faiss; install it with "
            "`pip install faiss-cpu` (or `conda install -c pytorch faiss-cpu`)"
        ) from exc
    return faiss


def to_faiss(index: HammingIndex) -> Any:
    """Copy ``index`` into a ``faiss.IndexBinaryFlat`` (or ``IndexBinaryIDMap`` of one).

    The plain flat index is returned when ids are ``0..n-1`` in order; otherwise it is
    wrapped in ``faiss.IndexBinaryIDMap`` to keep the ids. faiss needs ``bits % 8 == 0``.
    """
    faiss = _import_faiss()
    if index.bits % 8:
        raise ValueError(f"faiss binary indexes need bits to be a multiple of 8; got {index.bits}")
    flat = faiss.IndexBinaryFlat(index.bits)
    codes = index.reconstruct_all()
    ids = np.asarray(index.ids)
    if np.array_equal(ids, np.arange(len(index))):
        if len(index):
            flat.add(codes)
        return flat
    wrapped = faiss.IndexBinaryIDMap(flat)
    if len(index):
        wrapped.add_with_ids(codes, ids)
    return wrapped


def from_faiss(faiss_index: Any, n_jobs: int | None = None) -> HammingIndex:
    """Build a :class:`HammingIndex` from ``faiss.IndexBinaryFlat`` or an ID map of one."""
    faiss = _import_faiss()
    from .index import HammingIndex

    ids = None
    inner = faiss_index
    if isinstance(faiss_index, faiss.IndexBinaryIDMap):
        ids = faiss.vector_to_array(faiss_index.id_map).astype(np.int64)
        inner = faiss.downcast_IndexBinary(faiss_index.index)
    if not isinstance(inner, faiss.IndexBinaryFlat):
        raise TypeError(
            "from_faiss supports faiss.IndexBinaryFlat and IndexBinaryIDMap over one; "
            f"got {type(faiss_index).__name__}"
        )
    bits = int(inner.d)
    codes = faiss.vector_to_array(inner.xb).reshape(inner.ntotal, bits // 8)
    result = HammingIndex(bits, n_jobs=n_jobs)
    if inner.ntotal:
        result.add(codes, ids=ids)
    return result
