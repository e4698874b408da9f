"""Conversion between packed codes and faiss binary indexes (faiss optional).

The functions take and return plain arrays (packed codes in the layout of
:mod:`zeroshash._bits`, which is faiss's), so this module does not depend on
:class:`~zeroshash.hamming.HammingIndex`; the index's ``to_faiss`` and ``from_faiss``
call them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _import_faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise ImportError(
            "faiss is required for to_faiss/from_faiss; install it with "
            "`pip install faiss-cpu` (or `conda install -c pytorch faiss-cpu`)"
        ) from exc
    return faiss


def codes_to_faiss(bits: int, codes: np.ndarray, ids: np.ndarray) -> Any:
    """Copy packed ``codes`` with ``ids`` into a ``faiss.IndexBinaryFlat`` (or an ID map).

    The plain flat index is returned when ids are ``0..n-1`` in order; otherwise it is
    wrapped in ``faiss.IndexBinaryIDMap`` to keep the ids. faiss needs ``bits % 8 == 0``.
    """
    faiss = _import_faiss()
    if bits % 8:
        raise ValueError(f"faiss binary indexes need bits to be a multiple of 8; got {bits}")
    flat = faiss.IndexBinaryFlat(bits)
    ids = np.asarray(ids)
    if np.array_equal(ids, np.arange(codes.shape[0])):
        if codes.shape[0]:
            flat.add(codes)
        return flat
    wrapped = faiss.IndexBinaryIDMap(flat)
    if codes.shape[0]:
        wrapped.add_with_ids(codes, ids)
    return wrapped


def codes_from_faiss(faiss_index: Any) -> tuple[int, np.ndarray, np.ndarray | None]:
    """``(bits, packed codes, ids or None)`` of a ``faiss.IndexBinaryFlat`` or ID map of one.

    ``ids`` is None for a plain flat index (its items are numbered ``0..n-1``).
    """
    faiss = _import_faiss()
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
    return bits, codes, ids
