"""Principal directions and the centred product shared by linear hashers (PCAH, ITQ, ...)."""

from __future__ import annotations

import numpy as np

from ._config import get_config


def principal_directions(X: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and the top ``n_components`` principal directions (d, n_components).

    Eigen-decomposition of the d x d covariance (d is a feature count, small next to
    n for CNN features). Directions come in decreasing variance with a fixed sign
    (largest-magnitude entry positive), so results do not depend on the LAPACK build.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = Xc.T @ Xc / max(X.shape[0] - 1, 1)
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1][:n_components]
    components = eigvec[:, order]
    flip = np.sign(components[np.argmax(np.abs(components), axis=0), np.arange(len(order))])
    components *= np.where(flip == 0, 1.0, flip)
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
