"""Assertions several test files share."""

from __future__ import annotations

import numpy as np


def assert_non_increasing(values, rtol: float = 1e-9) -> None:
    """No step of ``values`` (an objective per iteration) rises by more than rounding.

    Exact block solves never raise an alternation's objective; a rise within
    ``rtol * |value|`` is floating-point noise.
    """
    values = np.asarray(values, dtype=np.float64)
    assert np.all(np.diff(values) <= rtol * np.abs(values[:-1])), values


def public_fitted_attributes(estimator) -> list[str]:
    """The attributes a fit sets (``name_``, not ``_name``): empty after a refused fit."""
    return [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")]


def blob_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Six well-separated classes in 20-d with 3-d class vectors that mirror the geometry.

    ``(X, y, word_vecs)``: 240 rows, 40 a class; the ``blobs`` fixture of conftest.py, for
    module-scoped fixtures too.
    """
    rng = np.random.RandomState(0)
    centres = rng.randn(6, 20) * 4
    y = np.repeat(np.arange(6), 40)
    X = centres[y] + rng.randn(y.size, 20)
    word_vecs = centres[:, :3] + 0.1 * rng.randn(6, 3)
    return X, y, word_vecs
