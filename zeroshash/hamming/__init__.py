"""Exact Hamming-space search: numba kernels, brute-force and multi-index hashing index.

Public API: :class:`HammingIndex`, :func:`hamming_distances` and ``MISSING_DISTANCE``
(the distance reported in result slots with no item). They load on first use: the
engine's kernels compile then (once per install, then numba's cache), so importing a
private helper of this package compiles nothing.
"""

from importlib import import_module

__all__ = ["HammingIndex", "hamming_distances", "MISSING_DISTANCE"]

_LAZY = {
    "HammingIndex": ".index",
    "MISSING_DISTANCE": ".index",
    "hamming_distances": ".distances",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'zeroshash.hamming' has no attribute {name!r}")
