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


def multilabel_problem(n: int = 240, seed: int = 0):
    """Six classes in 20-d, each sample carrying one to three labels.

    ``(X, Y, word_vecs)``: ``Y`` the (n, 6) 0/1 indicator (every row and column used),
    ``X`` the mean of the sample's labels' centres plus noise, ``word_vecs`` 3-d class
    vectors that mirror the centres, as in :func:`blob_problem`.
    """
    rng = np.random.RandomState(seed)
    centres = rng.randn(6, 20) * 4
    Y = np.zeros((n, 6), dtype=np.int64)
    Y[np.arange(n), np.arange(n) % 6] = 1
    extra = rng.rand(n, 6) < 0.2
    Y[extra] = 1
    X = (Y @ centres) / Y.sum(axis=1, keepdims=True) + rng.randn(n, 20)
    word_vecs = centres[:, :3] + 0.1 * rng.randn(6, 3)
    return X, Y, word_vecs


def mean_hamming_by_shared_labels(codes: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """Mean Hamming distance over pairs that share a label, and over pairs that share none."""
    codes = codes.astype(np.int64)
    distance = codes.sum(1)[:, None] + codes.sum(1)[None, :] - 2 * codes @ codes.T
    shares = (Y @ Y.T) > 0
    off = ~np.eye(len(Y), dtype=bool)
    return float(distance[shares & off].mean()), float(distance[~shares].mean())
