"""Binary code layout shared by every part of zeroshash.

Bit order
---------
A code of ``bits`` bits is stored in two forms:

* **bits**: a ``(n, bits)`` ``uint8`` array of 0/1 values (``transform`` output).
  Bit ``j`` is 1 when the ``j``-th real-valued projection is ``>= 0``.
* **packed**: a ``(n, ceil(bits / 8))`` ``uint8`` array (``encode`` output), made by
  ``np.packbits(bits, axis=1, bitorder="big")``: bit ``j`` of a code is bit
  ``7 - j % 8`` (most significant first) of byte ``j // 8``. When ``bits`` is not a
  multiple of 8 the unused low bits of the last byte are zero.

This is the layout of ``faiss.IndexBinary*`` codes as produced by ``np.packbits``,
so packed codes can be handed to faiss unchanged. Hamming distances between packed
codes equal Hamming distances between the unpacked bits because padding is zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack_bits", "unpack_bits", "n_bytes"]


def n_bytes(bits: int) -> int:
    """Number of bytes that hold a code of ``bits`` bits."""
    return (int(bits) + 7) // 8


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack a ``(n, bits)`` 0/1 array into ``(n, ceil(bits/8))`` bytes (big-endian bits).

    Parameters
    ----------
    bits : array-like of shape (n_samples, n_bits)
        Values must be 0 or 1 (booleans are accepted).

    Returns
    -------
    packed : ndarray of shape (n_samples, ceil(n_bits / 8)), dtype uint8, C-contiguous

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import pack_bits
    >>> pack_bits(np.array([[1, 0, 0, 0, 0, 0, 0, 1, 1]]))
    array([[129, 128]], dtype=uint8)
    """
    arr = np.asarray(bits)
    if arr.ndim != 2:
        raise ValueError(f"bits must be a 2-D array (n_samples, n_bits); got shape {arr.shape}")
    if arr.dtype != np.bool_:
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError("bits must contain only 0 and 1")
        arr = arr.astype(np.bool_)
    return np.ascontiguousarray(np.packbits(arr, axis=1, bitorder="big"))


def unpack_bits(packed: np.ndarray, n_bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: ``(n, ceil(n_bits/8))`` bytes to ``(n, n_bits)`` 0/1 uint8.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import unpack_bits
    >>> unpack_bits(np.array([[129, 128]], dtype=np.uint8), 9)
    array([[1, 0, 0, 0, 0, 0, 0, 1, 1]], dtype=uint8)
    """
    arr = np.asarray(packed)
    if arr.dtype != np.uint8 or arr.ndim != 2:
        raise ValueError(
            f"packed codes must be a 2-D uint8 array; got dtype {arr.dtype}, shape {arr.shape}"
        )
    n_bits = int(n_bits)
    if n_bits < 1 or arr.shape[1] != n_bytes(n_bits):
        raise ValueError(
            f"packed codes of {arr.shape[1]} bytes cannot hold {n_bits} bits "
            f"(expected {n_bytes(max(n_bits, 1))} bytes)"
        )
    return np.unpackbits(arr, axis=1, count=n_bits, bitorder="big")
