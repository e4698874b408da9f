"""Spectral Hashing (Weiss, Torralba & Fergus, NIPS 2008)."""

from __future__ import annotations

import numpy as np

from .._docstrings import fill_doc
from .._principal import principal_directions
from ..base import BaseHasher

__all__ = ["SpectralHasher"]

# MATLAB's eps, which the published code adds to the box bounds.
_EPS = np.finfo(np.float64).eps


@fill_doc
class SpectralHasher(BaseHasher):
    r"""Spectral Hashing: thresholded analytical Laplacian eigenfunctions.

    Weiss, Torralba & Fergus, "Spectral Hashing", NIPS 2008. The data are rotated
    onto their top ``min(bits, n_features)`` principal directions and assumed
    uniform on the box ``[mn_j, mx_j]`` spanned by the training data along each
    direction. The eigenfunctions of the weighted Laplacian of such a box are
    products of the 1-D ones

    .. math::

        \Phi_k(x) = \sin\!\left(\frac{\pi}{2} + \frac{k \pi}{mx - mn} (x - mn)\right),
        \qquad \text{eigenvalue increasing in } \left(\frac{k \pi}{mx - mn}\right)^2,

    and the code keeps the ``bits`` single-direction modes ``(j, k)``, ``k >= 1``,
    with the smallest eigenvalues (i.e. the smallest frequencies ``k pi / (mx_j -
    mn_j)``; the trivial constant mode is excluded). Bit ``i`` is the sign of its
    eigenfunction; :meth:`decision_function` returns the eigenfunction values.

    A transcription of the published ``trainSH.m`` / ``compressSH.m``: PCA from the
    covariance, projections *not* centred (the bounds absorb the offset), bounds
    ``min - eps`` and ``max + eps`` over the training data, at most
    ``ceil((bits + 1) (mx_j - mn_j) / max_j (mx_j - mn_j))`` modes enumerated per
    direction, the modes sorted by ``sum(omega^2)`` (ties kept in enumeration
    order). The method has no hyper-parameter other than ``bits``. Unlike PCA
    hashing, ``bits`` may exceed the feature count: a wide direction then carries
    several bits of increasing frequency.

    Parameters
    ----------
    bits : int, default=64
        Code length.
    %(n_jobs)s

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_components)
        Principal directions (``n_components = min(bits, n_features)``).
    mn_ : ndarray of shape (n_components,)
        Lower box bound per direction (training minimum minus eps).
    mx_ : ndarray of shape (n_components,)
        Upper box bound per direction (training maximum plus eps).
    modes_ : ndarray of shape (bits, n_components), dtype int
        Frequency ``k`` of each bit along each direction (one non-zero per row).
    %(n_features_in)s

    See Also
    --------
    PCAHasher
        One sign bit per principal direction.
    ITQHasher
        Rotated principal directions.

    References
    ----------
    .. [1] Y. Weiss, A. Torralba and R. Fergus, "Spectral Hashing", NIPS 2008.

    Examples
    --------
    >>> from zeroshash import SpectralHasher
    >>> from zeroshash.datasets import make_zero_shot_blobs
    >>> X, y, word_vecs = make_zero_shot_blobs(random_state=0)
    >>> sh = SpectralHasher(bits=8).fit(X[:, :3])   # 8 bits from 3 directions
    >>> sh.modes_.sum(axis=1)                       # frequency of each bit's mode
    array([1, 1, 1, 2, 2, 3, 2, 4])
    >>> sh.transform(X[:2, :3]).shape
    (2, 8)
    """

    _parameter_constraints: dict = {  # deterministic: no random_state
        key: BaseHasher._parameter_constraints[key] for key in ("bits", "n_jobs")
    }

    _fitted_attributes = (
        "components_", "mn_", "mx_", "modes_",
    )

    def __init__(self, bits: int = 64, *, n_jobs: int | None = None):  # no random_state
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        nbits = self.bits
        npca = min(nbits, X.shape[1])
        _, pc = principal_directions(X, npca)
        Xp = np.asarray(X, dtype=np.float64) @ pc  # no need to remove the mean
        mn = Xp.min(axis=0) - _EPS
        mx = Xp.max(axis=0) + _EPS

        R = mx - mn
        max_mode = np.ceil((nbits + 1) * R / R.max()).astype(np.intp)
        n_modes = int(max_mode.sum()) - npca + 1
        modes = np.ones((n_modes, npca), dtype=np.intp)
        m = 0
        for i in range(npca):
            modes[m + 1 : m + max_mode[i], i] = np.arange(2, max_mode[i] + 1)
            m += max_mode[i] - 1
        modes -= 1
        omegas = modes * (np.pi / R)
        eig_val = -np.sum(omegas**2, axis=1)
        order = np.argsort(-eig_val, kind="stable")

        self.components_ = pc
        self.mn_ = mn
        self.mx_ = mx
        self.modes_ = modes[order[1 : nbits + 1]]

    def _project(self, X):
        Xp = np.asarray(X, dtype=np.float64) @ self.components_ - self.mn_
        omegas = self.modes_ * (np.pi / (self.mx_ - self.mn_))
        U = np.empty((X.shape[0], self.bits))
        for i in range(self.bits):
            U[:, i] = np.prod(np.sin(Xp * omegas[i] + np.pi / 2), axis=1)
        return U
