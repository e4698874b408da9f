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
