"""Exact Hamming-space search: numba kernels, brute-force and multi-index hashing index.

Public API: :class:`HammingIndex`, :func:`hamming_distances` and ``MISSING_DISTANCE``
(the distance reported in result slots with no item).
"""

from .distances import hamming_distances
from .index import MISSING_DISTANCE, HammingIndex

__all__ = ["HammingIndex", "hamming_distances", "MISSING_DISTANCE"]
