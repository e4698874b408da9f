"""Pairwise Hamming distances between two sets of codes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._bits import packed_to_columns, packed_to_rows
from ._kernels import pairwise_parallel, pairwise_serial
from ._validation import as_packed_codes, check_bits, numba_threads, resolve_n_jobs


def hamming_distances(x: Any, y: Any, bits: int, n_jobs: int | None = None) -> np.ndarray:
    """All Hamming distances between the codes of ``x`` and those of ``y``.

    Parameters
    ----------
    x : array-like of shape (n_x, ceil(bits/8)) uint8 or (n_x, bits) 0/1
        Packed codes or raw bits (see :class:`HammingIndex`).
    y : array-like of shape (n_y, ceil(bits/8)) uint8 or (n_y, bits) 0/1
    bits : int
        Code length.
    n_jobs : int or None, default=None
        Threads (None or -1: all).

    Returns
    -------
    distances : ndarray of shape (n_x, n_y), int32

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.hamming import hamming_distances
    >>> hamming_distances(np.array([[1, 0, 1]]), np.array([[1, 1, 1], [0, 1, 0]]), bits=3)
    array([[1, 3]], dtype=int32)
    """
    bits = check_bits(bits)
    rows = packed_to_rows(as_packed_codes(x, bits, "x"))
    columns = packed_to_columns(as_packed_codes(y, bits, "y"))
    threads = resolve_n_jobs(n_jobs)
    out = np.empty((rows.shape[0], columns.shape[1]), dtype=np.int32)
    if threads == 1 or rows.shape[0] < 2:
        pairwise_serial(rows, columns, out)
    else:
        with numba_threads(threads):
            pairwise_parallel(rows, columns, out)
    return out
