"""Input checks shared by the Hamming index API. Every check runs before any work."""

from __future__ import annotations

import numbers
import operator
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np
from scipy import sparse

from .._bits import MAX_BITS, check_packed, n_bytes, pack_bits


def check_bits(bits: object) -> int:
    """Return ``bits`` as an int in ``1..MAX_BITS`` or raise."""
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral):
        raise TypeError(f"bits must be an integer; got {bits!r}")
    bits = int(bits)
    if not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be between 1 and {MAX_BITS}; got {bits}")
    return bits


def check_k(k: object) -> int:
    """Return ``k`` as a positive int or raise."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a positive integer; got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    return int(k)


#: Bytes of one k-NN result slot: an int32 distance and an int64 id.
RESULT_SLOT_BYTES = 12


def _physical_memory() -> int | None:
    """This machine's RAM in bytes, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_result_size(n_queries: int, k: int, n_items: int) -> None:
    """Refuse a k-NN search whose ``(n_queries, k)`` result cannot fit in memory.

    ``k`` beyond the number of items is allowed (the slots are padded), but a result
    larger than the machine's RAM would only die inside the allocation, after any work
    done before it; this check names the problem first.
    """
    need = n_queries * k * RESULT_SLOT_BYTES
    memory = _physical_memory()
    if memory is not None and need > memory:
        raise ValueError(
            f"k={k} asks for {n_queries:,} x {k:,} result slots ({need / 2**30:,.1f} GiB at "
            f"{RESULT_SLOT_BYTES} bytes a slot), more than this machine's "
            f"{memory / 2**30:,.1f} GiB of memory; the index holds {n_items:,} items, and "
            f"slots beyond them are only padding (search fewer queries at a time, or "
            f"lower k)"
        )


def check_radius(radius: object, bits: int) -> int:
    """Return an integral, non-negative ``radius`` clipped to ``bits`` or raise."""
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise TypeError(f"radius must be a non-negative integer; got {radius!r}")
    if isinstance(radius, numbers.Integral):  # any size: np.isfinite fails beyond int64
        if radius < 0:
            raise ValueError(f"radius must be >= 0; got {radius}")
        return min(int(radius), bits)
    if not np.isfinite(radius):
        raise ValueError(f"radius must be finite; got {radius}")
    if radius != int(radius):
        raise ValueError(f"radius must be a whole number of bits; got {radius}")
    if radius < 0:
        raise ValueError(f"radius must be >= 0; got {radius}")
    return min(int(radius), bits)


def check_n_substrings(n_substrings: object, bits: int) -> int | None:
    """Return ``n_substrings`` (None: automatic) if multi-index hashing can use it, or raise.

    The bounds are those of :class:`~zeroshash.hamming._mih.MultiIndexTables`, checked
    when the index is made rather than at its first search.
    """
    from ._mih import MAX_SUBSTRING_BITS

    if n_substrings is None:
        return None
    if isinstance(n_substrings, bool) or not isinstance(n_substrings, numbers.Integral):
        raise TypeError(f"n_substrings must be None or an int; got {n_substrings!r}")
    width = 8 * n_bytes(bits)
    low = -(-width // MAX_SUBSTRING_BITS)
    if not low <= n_substrings <= width:
        raise ValueError(
            f"n_substrings must be between {low} and {width} for {bits}-bit codes; "
            f"got {n_substrings}"
        )
    return int(n_substrings)


def resolve_n_jobs(n_jobs: object) -> int:
    """Number of threads for ``n_jobs`` (None or -1: all of numba's threads).

    Negative values count back from all threads as in scikit-learn: -2 is all but one.
    """
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return available
    try:
        n_jobs = operator.index(n_jobs)
    except TypeError:
        raise TypeError(f"n_jobs must be None or a non-zero integer; got {n_jobs!r}") from None
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use None or -1 for all threads)")
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return min(n_jobs, available)


def as_dense_array(values: object, name: str) -> np.ndarray:
    """``np.asarray(values)``, refusing what would not become a plain numeric array.

    A scipy sparse matrix is refused by name (``np.asarray`` would wrap it in a 0-d
    object array and the shape checks would report "shape ()"), and a ragged nested
    list gets an error that names the argument.
    """
    if sparse.issparse(values):
        raise TypeError(
            f"{name} is a scipy sparse {type(values).__name__}; binary codes and ids are "
            "dense arrays (call .toarray() on a small matrix)"
        )
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} is not a rectangular array: {exc}") from exc


def check_code_shape(shape: tuple, bits: int, name: str) -> None:
    """ValueError unless ``shape`` is 2-D with the columns of packed codes or raw bits.

    Shared by the in-memory codes below and the dask arrays of :mod:`zeroshash.dask`.
    """
    width = n_bytes(bits)
    if len(shape) != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, {width}) packed uint8 or (n, {bits}) "
            f"bits; got shape {shape}"
        )
    if shape[1] not in (width, bits):
        raise ValueError(
            f"{name} has {shape[1]} columns, which fits neither {bits}-bit packed codes "
            f"({width} uint8 columns) nor raw bits ({bits} columns of 0/1)"
        )


def as_packed_codes(codes: object, bits: int, name: str = "codes") -> np.ndarray:
    """Return ``codes`` as C-contiguous packed ``(n, ceil(bits/8))`` uint8 codes.

    Two input forms (layouts in :mod:`zeroshash._bits`) are accepted and told apart by
    the second dimension:

    * packed codes: ``(n, ceil(bits/8))`` uint8 with zero padding bits;
    * raw bits: ``(n, bits)`` of 0/1 values (bool, integer or float dtype).

    When both widths coincide (``bits == 1``) the values decide: 0/128 is packed
    (the bit sits in the most significant position), 0/1 is raw bits (all zeros reads
    the same either way).
    """
    arr = as_dense_array(codes, name)
    width = n_bytes(bits)
    check_code_shape(arr.shape, bits, name)
    is_packed = arr.shape[1] == width and (bits != width or _looks_packed_single_bit(arr))
    if is_packed:
        return check_packed(arr, bits, name, hint=f"Raw bits need {bits} columns.")
    return pack_bits(_check_bit_values(arr, name))


def _looks_packed_single_bit(arr: np.ndarray) -> bool:
    return arr.dtype == np.uint8 and not np.any(arr == 1)


def _check_bit_values(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be numeric 0/1 bits or packed uint8; got {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contain NaN or infinite values")
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"raw-bit {name} must contain only 0 and 1")
    return arr.astype(np.bool_)


def check_ids(ids: object, n: int) -> np.ndarray:
    """Return ``ids`` as a C-contiguous int64 vector of length ``n`` (unique, >= 0)."""
    arr = as_dense_array(ids, "ids")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"ids must be a 1-D array of length {n}; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids must be integers; got dtype {arr.dtype}")
    if arr.size and arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
        raise ValueError("ids must fit in int64")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError("ids must be >= 0 (-1 marks missing results)")
    if np.unique(arr).size != arr.size:
        raise ValueError("ids must be unique")
    return arr


@contextmanager
def numba_threads(n_threads: int) -> Iterator[None]:
    """Run numba parallel kernels on ``n_threads`` threads, restoring the previous count."""
    previous = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
