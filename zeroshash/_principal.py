"""Principal directions and the centred product shared by linear hashers (PCAH, ITQ, ...)."""

from __future__ import annotations

import numpy as np

from ._config import get_config


def fixed_signs(vectors: np.ndarray) -> np.ndarray:
    """Columns of ``vectors``, each signed so that its largest-magnitude entry is positive.

    Eigen- and singular vectors are defined up to sign; fixing it makes results
    independent of the LAPACK build.
    """
    flip = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
    return vectors * np.where(flip == 0, 1.0, flip)


def principal_axes(X: np.ndarray, n_components: int):
    """Mean (d,), the top principal directions (d, n_components) and their variances.

    Eigen-decomposition of the d x d covariance (d is a feature count, small next to
    n for CNN features). Directions come in decreasing variance with fixed signs
    (:func:`fixed_signs`).
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = Xc.T @ Xc / max(X.shape[0] - 1, 1)
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1][:n_components]
    return mean, fixed_signs(eigvec[:, order]), eigval[order]


def principal_directions(X: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and the top ``n_components`` principal directions (d, n_components)."""
    mean, components, _ = principal_axes(X, n_components)
    return mean, components


def centred_product(X: np.ndarray, mean: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``(X - mean) @ W``, computed as ``X @ W - mean @ W``, in the configured precision.

    The shift is applied to the ``(n, k)`` product instead of the ``(n, d)`` input, so
    ``X`` is read once and no centred copy of it is made (scikit-learn's
    ``PCA.transform`` does the same). The two forms agree to rounding. The product is
    float64, or float32 under ``zeroshash.config_context(encode_dtype="float32")``
    (``mean @ W`` is formed in float64 either way, then rounded once).
    """
    dtype = np.dtype(get_config()["encode_dtype"])
    P = np.asarray(X, dtype=dtype) @ W.astype(dtype, copy=False)
    P -= (mean @ W).astype(dtype, copy=False)
    return P
