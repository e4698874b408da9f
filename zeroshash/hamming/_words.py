"""Conversion between packed byte codes and the 64-bit word layouts used by the kernels.

Packed codes (``zeroshash._codes``) are ``(n, ceil(bits/8))`` bytes. They are padded
with zero bytes to a whole number of 8-byte words and read as little-endian uint64, so
byte ``b`` of a code lands in bits ``8*(b % 8) ... 8*(b % 8) + 7`` of word ``b // 8``.
Bit positions inside a word differ from the packed layout, but the map is the same
for every code, so popcount of the XOR is still the Hamming distance.
"""

from __future__ import annotations

import numpy as np

_LE_U64 = np.dtype("<u8")


def n_words(bits: int) -> int:
    """Number of 64-bit words holding a code of ``bits`` bits."""
    return (int(bits) + 63) // 64


def packed_to_rows(packed: np.ndarray) -> np.ndarray:
    """``(n, n_bytes)`` uint8 codes to item-major ``(n, n_words)`` native uint64."""
    n, nb = packed.shape
    width = 8 * ((nb + 7) // 8)
    if nb == width:
        raw = np.ascontiguousarray(packed)
    else:
        raw = np.zeros((n, width), dtype=np.uint8)
        raw[:, :nb] = packed
    return raw.view(_LE_U64).astype(np.uint64, copy=False).reshape(n, width // 8)


def packed_to_columns(packed: np.ndarray) -> np.ndarray:
    """``(n, n_bytes)`` uint8 codes to word-major ``(n_words, n)`` native uint64."""
    return np.ascontiguousarray(packed_to_rows(packed).T)


def columns_to_packed(columns: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`packed_to_columns` for codes of ``bits`` bits."""
    nb = (int(bits) + 7) // 8
    rows = np.ascontiguousarray(columns.T).astype(_LE_U64, copy=False)
    return np.ascontiguousarray(rows.view(np.uint8)[:, :nb])
