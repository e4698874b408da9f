"""The published demos' RBF-anchor map (``demo_SDH.m``, ``MDH/demo_mySVM.m``), transcribed once.

Anchors are ``n_anchors`` random training rows, ``sigma = mean(sqdist) / 2`` and
``PhiX = [exp(-sqdist / (2 sigma)), 1]``; random numbers are drawn in zeroshash's order.
"""

import numpy as np
from scipy.spatial.distance import cdist


def published_anchor_map(X, n_anchors, rng):
    """Anchors, ``sigma`` and the training features ``PhiX`` (n, m + 1)."""
    n = X.shape[0]
    anchor = X[np.sort(rng.choice(n, size=min(n_anchors, n), replace=False))]
    sq = cdist(X, anchor, "sqeuclidean")
    sigma = sq.mean() / 2
    return anchor, sigma, np.hstack([np.exp(-sq / (2 * sigma)), np.ones((n, 1))])
