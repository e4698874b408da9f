"""Binary codes at the bit level: bit order, packing, 64-bit words and popcount.

This is the bottom layer of zeroshash. It imports numpy only (numba on first use of
``popcount64``), and every module that touches the bits of a code (the hashers'
``encode``, :mod:`zeroshash.metrics`, :mod:`zeroshash.hamming`) goes through it. The
layouts are documented here, once; the other modules refer to this docstring.

Bit order
---------
A code of ``bits`` bits is stored in two forms:

* **bits**: a ``(n, bits)`` ``uint8`` array of 0/1 values (``transform`` output).
  Bit ``j`` is 1 when the ``j``-th real-valued projection is ``>= 0``.
* **packed**: a ``(n, ceil(bits / 8))`` ``uint8`` array (``encode`` output), made by
  ``np.packbits(bits, axis=1, bitorder="big")``: bit ``j`` of a code is bit
  ``7 - j % 8`` (most significant first) of byte ``j // 8``. When ``bits`` is not a
  multiple of 8 the unused low bits of the last byte (the padding bits) are zero.

This is the layout of ``faiss.IndexBinary*`` codes as produced by ``np.packbits``,
so packed codes can be handed to faiss unchanged. Hamming distances between packed
codes equal Hamming distances between the unpacked bits because padding is zero.

Word layout
-----------
Kernels compare codes 64 bits at a time. Packed codes are padded with zero bytes to a
whole number of 8-byte words and each group of 8 bytes is read as a little-endian
uint64, so byte ``b`` of a code lands in bits ``8*(b % 8) ... 8*(b % 8) + 7`` of word
``b // 8``. Two arrangements of those words are used:

* **rows**, item-major ``(n, n_words)``: queries, and both sides in the ranking
  metrics (:func:`packed_to_rows`);
* **columns**, word-major ``(n_words, n)``: the database of the Hamming index, so that
  a kernel's inner loop over items reads one contiguous row (:func:`packed_to_columns`).

Bit positions inside a word differ from the packed layout, but the map is the same
for every code, so the popcount of the XOR of two codes' words is their Hamming
distance.

Popcount
--------
``popcount64`` is a numba intrinsic for jitted kernels: the number of set bits of a
uint64, as int64, through LLVM's ``llvm.ctpop.i64``. It is built on first access, so
importing this module (and ``zeroshash``) neither imports numba nor compiles anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "MAX_BITS",
    "check_packed",
    "columns_to_packed",
    "n_bytes",
    "n_words",
    "pack_bits",
    "packed_to_columns",
    "packed_to_rows",
    "unpack_bits",
]  # and popcount64, built on first access (see the module docstring)

#: The longest code the family makes and the Hamming engine searches (65,536 bits,
#: 8 KiB a code): a larger ``bits`` is refused before any work.
MAX_BITS = 1 << 16

_LE_U64 = np.dtype("<u8")


def n_bytes(bits: int) -> int:
    """Number of bytes that hold a code of ``bits`` bits.

    Examples
    --------
    >>> from zeroshash._bits import n_bytes
    >>> n_bytes(8), n_bytes(9)
    (1, 2)
    """
    return (int(bits) + 7) // 8


def n_words(bits: int) -> int:
    """Number of 64-bit words that hold a code of ``bits`` bits (see "Word layout").

    Examples
    --------
    A 65-bit code takes 9 bytes packed and two words, i.e. 7 zero bytes of padding:

    >>> from zeroshash._bits import n_bytes, n_words
    >>> [n_words(bits) for bits in (1, 64, 65, 128)], 8 * n_words(65) - n_bytes(65)
    ([1, 1, 2, 2], 7)
    """
    return (int(bits) + 63) // 64


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


def check_packed(codes: Any, bits: int, name: str = "codes", hint: str = "") -> np.ndarray:
    """Return ``codes`` as C-contiguous packed codes of ``bits`` bits, or raise.

    Packed codes are a 2-D ``uint8`` array of ``ceil(bits / 8)`` columns whose padding
    bits are zero (see the module docstring).

    Parameters
    ----------
    codes : array-like
    bits : int
        Code length, ``>= 1``.
    name : str, default="codes"
        What the codes are called in error messages.
    hint : str, default=""
        Appended to every error (e.g. how to pass 0/1 bits instead).

    Returns
    -------
    packed : ndarray of shape (n, ceil(bits / 8)), dtype uint8, C-contiguous

    Raises
    ------
    ValueError
        If ``codes`` is not 2-D, not ``uint8``, has another number of columns, or has a
        padding bit set.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash._bits import check_packed
    >>> check_packed(np.array([[129, 128]], dtype=np.uint8), 9)
    array([[129, 128]], dtype=uint8)
    >>> check_packed(np.array([[129, 129]], dtype=np.uint8), 9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: packed codes have non-zero padding bits in the last byte; ...
    """
    arr = np.asarray(codes)
    width = n_bytes(bits)
    hint = f" {hint}" if hint else ""
    if arr.ndim != 2:
        raise ValueError(
            f"packed {name} must be a 2-D array (n, {width}); got shape {arr.shape}.{hint}"
        )
    if arr.dtype != np.uint8:
        raise ValueError(
            f"packed {name} must have dtype uint8 (encode output); got {arr.dtype}.{hint}"
        )
    if arr.shape[1] != width:
        raise ValueError(
            f"packed {name} of {bits} bits have {width} uint8 columns; got {arr.shape[1]}.{hint}"
        )
    if bits % 8 and arr.shape[0]:
        pad_mask = np.uint8((1 << (8 - bits % 8)) - 1)
        if np.any(arr[:, -1] & pad_mask):
            raise ValueError(
                f"packed {name} have non-zero padding bits in the last byte; "
                f"they were not packed for {bits} bits.{hint}"
            )
    return np.ascontiguousarray(arr)


def packed_to_rows(packed: np.ndarray) -> np.ndarray:
    """``(n, n_bytes)`` uint8 codes to item-major ``(n, n_words)`` native uint64 words.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash._bits import packed_to_rows
    >>> packed_to_rows(np.array([[1, 2]], dtype=np.uint8))  # 1 + 2 * 256, little-endian
    array([[513]], dtype=uint64)
    """
    n, nb = packed.shape
    width = 8 * ((nb + 7) // 8)
    if nb == width:
        raw = np.ascontiguousarray(packed)
    else:
        raw = np.zeros((n, width), dtype=np.uint8)
        raw[:, :nb] = packed
    return raw.view(_LE_U64).astype(np.uint64, copy=False).reshape(n, width // 8)


def packed_to_columns(packed: np.ndarray) -> np.ndarray:
    """``(n, n_bytes)`` uint8 codes to word-major ``(n_words, n)`` native uint64 words.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash._bits import packed_to_columns
    >>> packed_to_columns(np.array([[1], [2]], dtype=np.uint8))
    array([[1, 2]], dtype=uint64)
    """
    return np.ascontiguousarray(packed_to_rows(packed).T)


def columns_to_packed(columns: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`packed_to_columns` for codes of ``bits`` bits.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash._bits import columns_to_packed
    >>> columns_to_packed(np.array([[513]], dtype=np.uint64), 16)
    array([[1, 2]], dtype=uint8)
    """
    nb = n_bytes(bits)
    rows = np.ascontiguousarray(columns.T).astype(_LE_U64, copy=False)
    return np.ascontiguousarray(rows.view(np.uint8)[:, :nb])


def _make_popcount64():
    """Build the ``popcount64`` numba intrinsic (imports numba)."""
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def popcount64(typingctx, x):
        """Number of set bits of a uint64, as int64, via LLVM's ``llvm.ctpop.i64``."""
        if x != types.uint64:
            return None
        sig = types.int64(types.uint64)

        def codegen(context, builder, signature, args):
            # int64 and uint64 are the same LLVM type, so ctpop's result is returned as
            # is; typing it int64 keeps numba from promoting mixed sums to float64.
            return builder.ctpop(args[0])

        return sig, codegen

    return popcount64


def __getattr__(name: str) -> Any:
    # ``from zeroshash._bits import popcount64`` in a kernel module builds it once.
    if name == "popcount64":
        return globals().setdefault("popcount64", _make_popcount64())
    raise AttributeError(f"module 'zeroshash._bits' has no attribute {name!r}")
