"""RBF-anchor feature map of the kernel hashers (ZSH, SDH, KSH, ...).

phi(x) = [exp(-||x - a_1||^2 / h), ..., exp(-||x - a_m||^2 / h), 1]

with anchors a_j drawn from the training data and the bandwidth h the mean squared
distance between training samples and anchors. This is the map of the published
SDH and ZSH code (``sigma = mean(sqdist)/2; exp(-sqdist / (2 sigma))``).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import gen_batches

# Rows per block when mapping many samples: bounds the (block x n_anchors) buffers.
_BLOCK_ROWS = 4096


def squared_distances(X: np.ndarray, anchors: np.ndarray, anchor_sq_norms=None) -> np.ndarray:
    """Squared Euclidean distances (n, m) in X's precision, clipped at 0 against rounding."""
    anchors = anchors.astype(X.dtype, copy=False)
    if anchor_sq_norms is None:
        anchor_sq_norms = np.einsum("ij,ij->i", anchors, anchors)
    d2 = X @ anchors.T
    d2 *= -2.0
    d2 += np.einsum("ij,ij->i", X, X)[:, None]
    d2 += anchor_sq_norms.astype(X.dtype, copy=False)[None, :]
    np.maximum(d2, 0.0, out=d2)
    return d2


def choose_anchors(X: np.ndarray, n_anchors: int, rng: np.random.RandomState) -> np.ndarray:
    """Draw min(n_anchors, n_samples) distinct training rows as anchors (float64 copy)."""
    m = min(int(n_anchors), X.shape[0])
    idx = np.sort(rng.choice(X.shape[0], size=m, replace=False))
    return np.array(X[idx], dtype=np.float64)


def bandwidth_from_sq_distances(d2: np.ndarray) -> float:
    """Mean squared sample-anchor distance; 1.0 when all points coincide."""
    h = float(d2.mean(dtype=np.float64)) if d2.size else 0.0
    return h if h > 0.0 and np.isfinite(h) else 1.0


def rbf_features(d2: np.ndarray, bandwidth: float, bias: bool = True) -> np.ndarray:
    """exp(-d2 / bandwidth) in d2's precision, with a trailing column of ones when ``bias``."""
    n, m = d2.shape
    out = np.empty((n, m + 1 if bias else m), dtype=d2.dtype)
    np.multiply(d2, -1.0 / bandwidth, out=out[:, :m])
    np.exp(out[:, :m], out=out[:, :m])
    if bias:
        out[:, m] = 1.0
    return out


def fit_anchor_map(X: np.ndarray, n_anchors: int, rng: np.random.RandomState):
    """Anchors, bandwidth, the float64 training features ``Phi`` (n, m + 1) and distances.

    The first step of every RBF-anchor kernel hasher: draw the anchors, set the
    bandwidth from the training distances and map the training rows. The squared
    sample-anchor distances (n, m), in X's precision, are returned last for methods
    that also build a graph from them.
    """
    anchors = choose_anchors(X, n_anchors, rng)
    d2 = squared_distances(X, anchors)
    bandwidth = bandwidth_from_sq_distances(d2)
    Phi = rbf_features(d2, bandwidth).astype(np.float64, copy=False)
    return anchors, bandwidth, Phi, d2


def project_rbf(X: np.ndarray, anchors: np.ndarray, bandwidth: float, W: np.ndarray) -> np.ndarray:
    """phi(X) @ W in float64, computed block by block so memory stays O(block x n_anchors)."""
    a_sq = np.einsum("ij,ij->i", anchors, anchors)
    out = np.empty((X.shape[0], W.shape[1]), dtype=np.float64)
    for rows in gen_batches(X.shape[0], _BLOCK_ROWS):
        d2 = squared_distances(X[rows], anchors, a_sq).astype(np.float64, copy=False)
        out[rows] = rbf_features(d2, bandwidth) @ W
    return out
