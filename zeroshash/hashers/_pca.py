"""PCA hashing and Iterative Quantization (Gong & Lazebnik, CVPR 2011)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._docstrings import fill_doc
from .._principal import centred_product, principal_directions
from .._solvers import itq_rotation
from ..base import POSITIVE_INT, BaseHasher

__all__ = ["PCAHasher", "ITQHasher"]


def _check_pca_bits(estimator, X):
    limit = min(X.shape)
    if estimator.bits > limit:
        raise ValueError(
            f"{type(estimator).__name__} takes one principal direction per bit, so bits must "
            f"not exceed min(n_samples, n_features); got bits={estimator.bits} with "
            f"n_samples={X.shape[0]}, n_features={X.shape[1]}"
        )


@fill_doc
class PCAHasher(BaseHasher):
    """PCA hashing: the sign of the top principal components of centred data.

    The classic baseline of the hashing literature (e.g. Wang, Kumar & Chang,
    "Semi-supervised hashing", PAMI 2012; Gong & Lazebnik, CVPR 2011).

    Parameters
    ----------
    bits : int, default=64
        Code length; at most ``min(n_samples, n_features)``.
    %(n_jobs)s

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_features, bits)
        Principal directions, by decreasing variance.
    %(n_features_in)s

    See Also
    --------
    ITQHasher
        The same directions, rotated to lower the quantisation loss.
    LSHHasher
        Random instead of principal directions.

    References
    ----------
    .. [1] J. Wang, S. Kumar and S.-F. Chang, "Semi-Supervised Hashing for Large-Scale Search",
       IEEE TPAMI 34(12), 2012.

    Examples
    --------
    >>> from zeroshash import PCAHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> PCAHasher(bits=8).fit(X).encode(X[:3]).shape
    (3, 1)
    """

    _parameter_constraints: dict = {  # deterministic: no random_state
        key: BaseHasher._parameter_constraints[key] for key in ("bits", "n_jobs")
    }

    _linear_projection = True

    _fitted_attributes = (
        "mean_", "components_",
    )

    def __init__(self, bits: int = 64, *, n_jobs: int | None = None):  # no random_state
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        _check_pca_bits(self, X)
        self.mean_, self.components_ = principal_directions(X, self.bits)

    def _project(self, X):
        return centred_product(X, self.mean_, self.components_)


@fill_doc
class ITQHasher(BaseHasher):
    """Iterative Quantization (ITQ): PCA followed by a learned orthogonal rotation.

    Gong & Lazebnik, "Iterative Quantization: A Procrustean Approach to Learning
    Binary Codes", CVPR 2011. Data are centred and projected on the top ``bits``
    principal directions ``V``; a random orthogonal ``R`` is then refined by
    alternating ``B = sign(V R)`` and the Procrustes solution of
    ``min_R ||B - V R||_F``, which never increases the quantisation loss.

    Parameters
    ----------
    bits : int, default=64
        Code length; at most ``min(n_samples, n_features)``.
    max_iter : int, default=50
        Rotation iterations (the paper's 50).
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the initial random rotation.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_features, bits)
    rotation_ : ndarray of shape (bits, bits)
    quantization_loss_ : ndarray of shape (max_iter,)
        ``||B - V R||_F^2`` after each iteration's rotation update; non-increasing.
    n_iter_ : int
    %(n_features_in)s

    See Also
    --------
    PCAHasher
        The unrotated principal directions.
    DoubleBitHasher
        ITQ's rotation on within-class whitened directions, two bits each.

    References
    ----------
    .. [1] Y. Gong and S. Lazebnik, "Iterative Quantization: A Procrustean Approach to Learning
       Binary Codes", CVPR 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash import ITQHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> itq = ITQHasher(bits=8, random_state=0).fit(X)
    >>> bool(np.all(np.diff(itq.quantization_loss_) <= 1e-9))
    True
    """

    _parameter_constraints: dict = {
        **BaseHasher._parameter_constraints,
        "max_iter": POSITIVE_INT,
    }

    _linear_projection = True

    _fitted_attributes = (
        "mean_", "components_", "rotation_", "quantization_loss_", "n_iter_",
    )

    def __init__(
        self, bits: int = 64, *, max_iter: int = 50, n_jobs: int | None = None, random_state=None,
    ):
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        _check_pca_bits(self, X)
        rng = check_random_state(self.random_state)
        self.mean_, self.components_ = principal_directions(X, self.bits)
        V = (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_
        R, self.quantization_loss_ = itq_rotation(V, self.max_iter, rng)
        self.rotation_ = R
        self.n_iter_ = self.max_iter

    def _project(self, X):
        return centred_product(X, self.mean_, self.components_ @ self.rotation_)
