"""On-disk format of :class:`~zeroshash.hamming.HammingIndex` (no pickle).

Layout (all integers little-endian)::

    offset  size  field
    0       8     magic b"ZSHAMIDX"
    8       4     format version (uint32, currently 1)
    12      4     bits (uint32)
    16      4     n_words = ceil(bits / 64) (uint32)
    20      4     method: 0 brute force, 1 multi-index hashing, 2 auto (uint32)
    24      8     count: number of items (uint64)
    32      8     next default id (int64)
    40      4     n_substrings, 0 for automatic (uint32)
    44      4     CRC-32 of the payload (uint32)
    48      12    reserved, zero
    60      4     CRC-32 of bytes 0..59 (uint32)
    64      ...   payload: codes as n_words x count uint64 (word-major, the search
                  layout, so a memory map is searched in place), then count int64 ids

The file size must be exactly ``64 + 8 * count * (n_words + 1)``. Files are written
to a temporary file in the target directory and moved into place, so a crash never
leaves a half-written index under the final name.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .._atomic import atomic_write
from .._bits import MAX_BITS
from ._validation import check_n_substrings

MAGIC = b"ZSHAMIDX"
VERSION = 1
HEADER_SIZE = 64
_HEADER = struct.Struct("<8sIIIIQqII12s")
_METHODS = ("brute", "mih", "auto")
_BLOCK = 1 << 24


@dataclass
class IndexData:
    """What a saved index holds."""

    bits: int
    method: str
    n_substrings: int | None
    next_id: int
    columns: np.ndarray
    ids: np.ndarray


def _crc_of_arrays(arrays: list[np.ndarray]) -> int:
    crc = 0
    for arr in arrays:
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        for start in range(0, flat.size, _BLOCK):
            crc = zlib.crc32(flat[start : start + _BLOCK], crc)
    return crc


def save_index(path: str | os.PathLike, data: IndexData) -> None:
    """Write ``data`` atomically to ``path``."""
    path = os.fspath(path)
    columns = np.ascontiguousarray(data.columns, dtype="<u8")
    ids = np.ascontiguousarray(data.ids, dtype="<i8")
    n_words, count = columns.shape
    head = _HEADER.pack(
        MAGIC,
        VERSION,
        data.bits,
        n_words,
        _METHODS.index(data.method),
        count,
        data.next_id,
        data.n_substrings or 0,
        _crc_of_arrays([columns, ids]),
        bytes(12),
    )
    head += struct.pack("<I", zlib.crc32(head))
    with atomic_write(path) as fh:
        fh.write(head)
        for arr in (columns, ids):
            flat = arr.reshape(-1).view(np.uint8)
            for start in range(0, flat.size, _BLOCK):
                fh.write(flat[start : start + _BLOCK])


def load_index(path: str | os.PathLike, mmap: bool = True, verify: bool = True) -> IndexData:
    """Read an index written by :func:`save_index`, refusing damaged files."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(HEADER_SIZE)
    if len(head) < HEADER_SIZE or head[:8] != MAGIC:
        raise ValueError(f"{path!r} is not a zeroshash Hamming index (bad magic or too short)")
    if struct.unpack("<I", head[60:])[0] != zlib.crc32(head[:60]):
        raise ValueError(f"{path!r}: header checksum mismatch; the file is damaged")
    _, version, bits, n_words, method, count, next_id, n_sub, crc, _ = _HEADER.unpack(head[:60])
    if version > VERSION:
        raise ValueError(
            f"{path!r} has index format version {version}, newer than the version {VERSION} "
            "this zeroshash reads; upgrade zeroshash to load it"
        )
    if version != VERSION:
        raise ValueError(f"{path!r}: unsupported format version {version} (expected {VERSION})")
    # Fields a writer of this format never produces: refused here, naming the file,
    # rather than by the index constructor or a later search or add.
    damaged = ValueError(f"{path!r}: inconsistent header; the file is damaged")
    if (
        not 1 <= bits <= MAX_BITS
        or n_words != (bits + 63) // 64
        or method >= len(_METHODS)
        or next_id < 0
    ):
        raise damaged
    try:
        check_n_substrings(n_sub or None, bits)
    except ValueError:
        raise damaged from None
    expected = HEADER_SIZE + 8 * count * (n_words + 1)
    if size != expected:
        raise ValueError(
            f"{path!r}: file has {size} bytes but its header announces {expected}; "
            "the file is truncated or damaged"
        )
    words_bytes = 8 * count * n_words
    if mmap and count:
        columns = np.memmap(path, dtype="<u8", mode="r", offset=HEADER_SIZE, shape=(n_words, count))
        ids = np.memmap(path, dtype="<i8", mode="r", offset=HEADER_SIZE + words_bytes, shape=count)
        columns, ids = np.asarray(columns), np.asarray(ids)
    else:
        with open(path, "rb") as fh:
            fh.seek(HEADER_SIZE)
            columns = np.fromfile(fh, dtype="<u8", count=n_words * count).reshape(n_words, count)
            ids = np.fromfile(fh, dtype="<i8", count=count)
    if verify and _crc_of_arrays([columns, ids]) != crc:
        raise ValueError(f"{path!r}: payload checksum mismatch; the file is damaged")
    return IndexData(
        bits=bits,
        method=_METHODS[method],
        n_substrings=n_sub or None,
        next_id=next_id,
        columns=columns.astype(np.uint64, copy=False),
        ids=ids.astype(np.int64, copy=False),
    )
