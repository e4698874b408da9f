"""Feature preprocessing that retrieval work on CNN descriptors uses, as transformers.

* :class:`PowerNormalizer` -- signed power ("signed square root" at ``power=0.5``) then
  L2 normalisation of each row; ``power=1`` is plain L2 normalisation;
* :class:`ShrinkageWhitener` -- PCA whitening with the eigenvalues shrunk towards their
  mean, then L2 normalisation.

Both fit in a :class:`~sklearn.pipeline.Pipeline` in front of any hasher, which is how a
baseline gets the same preprocessing as :class:`~zeroshash.DoubleBitHasher` (whose
``normalize`` parameter applies :func:`power_normalize` itself).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._docstrings import fill_doc
from ._principal import principal_axes

__all__ = ["PowerNormalizer", "ShrinkageWhitener", "power_normalize"]


def power_normalize(X: np.ndarray, power: float = 0.5) -> np.ndarray:
    """``sign(X) * |X| ** power``, then each row divided by its L2 norm (a new array).

    A row of zeros stays zero. ``power=1`` is plain L2 normalisation.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Real features (float32 stays float32, anything else becomes float64).
    power : float, default=0.5
        In (0, 1]; 0.5 is the signed square root.

    Returns
    -------
    ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.preprocessing import power_normalize
    >>> power_normalize(np.array([[9.0, -16.0], [0.0, 0.0]]))
    array([[ 0.6, -0.8],
           [ 0. ,  0. ]])
    """
    X = np.asarray(X)
    X = X.astype(np.float32 if X.dtype == np.float32 else np.float64, copy=True)
    if power != 1:
        X = np.copysign(np.abs(X) ** X.dtype.type(power), X)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    # Rows whose sum of squares under- or overflows are scaled by their largest entry
    # first; the others are divided by their norm directly.
    extreme = ((norms == 0) | ~np.isfinite(norms)) & np.any(X != 0, axis=1)
    if extreme.any():
        rows = X[extreme] / np.abs(X[extreme]).max(axis=1, keepdims=True)
        X[extreme] = rows / np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
        norms[extreme] = 1
    norms[norms == 0] = 1
    X /= norms[:, None]
    return X


@fill_doc
class PowerNormalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Signed power normalisation then L2 normalisation of each sample (stateless).

    ``x -> sign(x) |x|^power / || sign(x) |x|^power ||_2``. The signed square root
    (``power=0.5``) damps the few large activations that dominate pooled CNN
    descriptors (the "power normalisation" of Perronnin, Sanchez & Mensink, 2010, used
    on CNN descriptors since); ``power=1`` is plain L2 normalisation, which makes
    Euclidean ranking cosine ranking.

    Parameters
    ----------
    power : float, default=0.5
        Exponent in (0, 1].

    Attributes
    ----------
    %(n_features_in)s

    See Also
    --------
    ShrinkageWhitener : PCA whitening with shrunk eigenvalues.
    sklearn.preprocessing.Normalizer : L2 normalisation alone.

    References
    ----------
    .. [1] F. Perronnin, J. Sanchez and T. Mensink, "Improving the Fisher Kernel for
       Large-Scale Image Classification", ECCV 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.preprocessing import PowerNormalizer
    >>> PowerNormalizer().fit_transform(np.array([[9.0, 16.0]]))
    array([[0.6, 0.8]])
    """

    _parameter_constraints: dict = {"power": [Interval(Real, 0, 1, closed="right")]}

    def __init__(self, power: float = 0.5):
        self.power = power

    def fit(self, X, y=None):
        """Check ``X`` and record its width; nothing is learned."""
        self._validate_params()
        validate_data(self, X, dtype=[np.float64, np.float32])
        return self

    def transform(self, X) -> np.ndarray:
        """Power- then L2-normalise each row of ``X`` (stateless: no fit needed)."""
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return power_normalize(X, self.power)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = False
        return tags


@fill_doc
class ShrinkageWhitener(TransformerMixin, BaseEstimator):
    """PCA whitening with the eigenvalues shrunk towards their mean, then L2 normalisation.

    ``x -> U^T (x - mean) / sqrt(lambda + shrinkage * mean(lambda))`` over the top
    ``n_components`` principal axes ``U`` with variances ``lambda``, then each row
    divided by its L2 norm (``norm="l2"``). Plain whitening (``shrinkage=0``) gives
    every axis unit variance, so the weakest, noisiest axes weigh as much as the
    strongest; shrinkage keeps them weaker (Jegou & Chum, ECCV 2012, whiten CNN-era
    descriptors and L2-normalise after).

    Parameters
    ----------
    n_components : int or None, default=None
        Principal axes kept (None: all, at most ``min(n_samples - 1, n_features)``).
    shrinkage : float, default=1.0
        Added to each eigenvalue, as a multiple of their mean; >= 0.
    norm : {"l2"} or None, default="l2"
        L2-normalise the whitened rows, or not.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_features, n_components_)
        Principal axes by decreasing variance (largest-magnitude entry positive).
    explained_variance_ : ndarray of shape (n_components_,)
    scale_ : ndarray of shape (n_components_,)
        ``1 / sqrt(explained_variance_ + shrinkage * mean variance)``.
    n_components_ : int
    %(n_features_in)s

    See Also
    --------
    PowerNormalizer : signed power and L2 normalisation.
    sklearn.decomposition.PCA : ``whiten=True`` is this with ``shrinkage=0``, no norm.

    References
    ----------
    .. [1] H. Jegou and O. Chum, "Negative Evidences and Co-occurrences in Image
       Retrieval: the Benefit of PCA and Whitening", ECCV 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.preprocessing import ShrinkageWhitener
    >>> X = np.random.default_rng(0).normal(size=(50, 6))
    >>> ShrinkageWhitener(n_components=4).fit_transform(X).shape
    (50, 4)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "shrinkage": [Interval(Real, 0, None, closed="left")],
        "norm": [StrOptions({"l2"}), None],
    }

    def __init__(self, n_components: int | None = None, *, shrinkage: float = 1.0,
                 norm: str | None = "l2"):
        self.n_components = n_components
        self.shrinkage = shrinkage
        self.norm = norm

    def fit(self, X, y=None):
        """Learn the mean, the principal axes and the shrunk scales from ``X``."""
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        limit = min(X.shape[0] - 1, X.shape[1])
        if self.n_components is not None and self.n_components > limit:
            raise ValueError(
                f"ShrinkageWhitener: n_components={self.n_components} exceeds "
                f"min(n_samples - 1, n_features) = {limit}"
            )
        k = limit if self.n_components is None else self.n_components
        self.mean_, self.components_, values = principal_axes(X, k)
        values = np.clip(values, 0, None)
        # the mean of all d eigenvalues is the mean variance of the features
        mean_variance = max(X.var(axis=0, ddof=1).mean(), np.finfo(float).tiny)
        self.explained_variance_ = values
        floor = self.shrinkage * mean_variance
        if floor == 0 and np.any(values == 0):
            raise ValueError(
                "ShrinkageWhitener: an axis has zero variance, which whitening without "
                "shrinkage would divide by; set shrinkage > 0 or fewer n_components"
            )
        self.scale_ = 1.0 / np.sqrt(values + floor)
        self.n_components_ = k
        return self

    def transform(self, X) -> np.ndarray:
        """Whiten (and L2-normalise) ``X``."""
        check_is_fitted(self, "scale_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Z = (X @ self.components_ - self.mean_ @ self.components_) * self.scale_
        return power_normalize(Z, 1.0) if self.norm == "l2" else Z

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``shrinkagewhitener0`` ... one name per kept axis."""
        check_is_fitted(self, "n_components_")
        return np.array([f"shrinkagewhitener{i}" for i in range(self.n_components_)],
                        dtype=object)
