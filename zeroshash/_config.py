"""Library-wide settings: ``get_config``, ``set_config`` and ``config_context``.

Modelled on scikit-learn's (``sklearn.get_config``): a process-wide default that
``set_config`` changes, overridden per thread by ``config_context``.

``encode_dtype`` -- the precision of the projections of the *linear* hash functions
(PCAH, ITQ, DBQ, LSH, COSDISH: a product and a shift) in ``decision_function``,
``transform`` and ``encode``:

* ``"float64"`` (default): every input is projected in float64, so the codes do not
  depend on the input's dtype or on the blocks it is cut into (beyond BLAS rounding).
* ``"float32"``: each block is converted to float32 (a float16 memory map straight to
  float32, never float64) and projected with the float32 product -- about twice the
  float64 product's speed and half its block memory. A code bit can differ from the
  float64 one where its projection lies within float32 rounding of zero (on the
  embedded datasets at 32 bits, fitted on 7 classes and coding all 4,000 images: 0 of
  128,000 bits for PCAH and ITQ; 16 and 17 for DBQ, whose thresholds are quantiles of
  the training projections, so a few training items lie exactly on them).

Kernel hash functions (ZSH, KSH, SDH, ...) always compute in float64: their squared
distances ``|x|^2 + |a|^2 - 2 x.a`` lose too much in float32. Fits are unaffected.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

__all__ = ["config_context", "get_config", "set_config"]

_DEFAULTS = {"encode_dtype": "float64"}
_global = dict(_DEFAULTS)
_local = threading.local()


def _check_encode_dtype(value) -> str:
    try:
        name = np.dtype(value).name
    except TypeError:
        name = None
    if name not in ("float64", "float32"):
        raise ValueError(f"encode_dtype must be 'float64' or 'float32'; got {value!r}")
    return name


def _overrides() -> dict:
    """This thread's ``config_context`` settings (empty outside any)."""
    if not hasattr(_local, "overrides"):
        _local.overrides = {}
    return _local.overrides


def get_config() -> dict:
    """The settings in force in this thread, as a new dict.

    Returns
    -------
    config : dict
        ``encode_dtype``: ``"float64"`` or ``"float32"`` (see the module notes).

    Examples
    --------
    >>> import zeroshash
    >>> zeroshash.get_config()["encode_dtype"]
    'float64'
    """
    return {**_global, **_overrides()}


def set_config(encode_dtype=None) -> None:
    """Change the settings, process-wide (threads inside a ``config_context`` excepted).

    Parameters
    ----------
    encode_dtype : {"float64", "float32"} or a numpy float dtype, optional
        The precision of the linear hash functions' projections; None leaves it.

    See Also
    --------
    config_context : the same for a ``with`` block.
    """
    if encode_dtype is not None:
        _global["encode_dtype"] = _check_encode_dtype(encode_dtype)


@contextmanager
def config_context(*, encode_dtype=None):
    """Settings for a ``with`` block in this thread, restored on leaving it.

    Parameters
    ----------
    encode_dtype : {"float64", "float32"} or a numpy float dtype, optional
        The precision of the linear hash functions' projections; None leaves it.

    Examples
    --------
    >>> import numpy as np
    >>> import zeroshash
    >>> X = np.random.default_rng(0).standard_normal((500, 32)).astype(np.float16)
    >>> pcah = zeroshash.PCAHasher(bits=16).fit(X)
    >>> with zeroshash.config_context(encode_dtype="float32"):
    ...     fast = pcah.encode(X)                 # float16 -> float32, float32 product
    >>> bool((fast == pcah.encode(X)).mean() > 0.99)  # float64 by default: nearly the same
    True
    """
    overrides = _overrides()
    saved = dict(overrides)
    if encode_dtype is not None:
        overrides["encode_dtype"] = _check_encode_dtype(encode_dtype)
    try:
        yield
    finally:
        overrides.clear()
        overrides.update(saved)
