"""zeroshash: zero-shot hashing in the scikit-learn API."""

from importlib import import_module

from ._alternating import OneHotFallbackWarning
from ._bits import pack_bits, unpack_bits
from ._config import config_context, get_config, set_config
from ._registry import HasherSpec, all_hashers, get_hasher
from .base import BaseHasher, multilabel_indicator
from .hashers import (
    AsymmetricHasher,
    BiBranchHasher,
    COSDISHHasher,
    CrossModalHasher,
    DoubleBitHasher,
    ITQHasher,
    KSHHasher,
    LSHHasher,
    PartAlignHasher,
    PCAHasher,
    SDHHasher,
    SpectralHasher,
    ZSHHasher,
)
from .persistence import load_model, save_model

__version__ = "0.1.0.dev0"

__all__ = [
    "AsymmetricHasher",
    "BaseHasher",
    "BiBranchHasher",
    "COSDISHHasher",
    "CrossModalHasher",
    "DoubleBitHasher",
    "HammingIndex",
    "HasherSpec",
    "ITQHasher",
    "KSHHasher",
    "LSHHasher",
    "OneHotFallbackWarning",
    "PartAlignHasher",
    "PCAHasher",
    "SDHHasher",
    "SpectralHasher",
    "ZSHHasher",
    "all_hashers",
    "config_context",
    "get_config",
    "get_hasher",
    "load_model",
    "multilabel_indicator",
    "pack_bits",
    "save_model",
    "set_config",
    "unpack_bits",
    "__version__",
]

# The Hamming engine compiles its numba kernels when first imported (once per
# install, then cached); load it on first use so `import zeroshash` stays light.
_LAZY = {"HammingIndex": "zeroshash.hamming"}
# Subpackages reachable as attributes after a bare `import zeroshash`
# (`zeroshash.datasets.load_animals()`), each imported on first use.
_SUBMODULES = (
    "dask", "datasets", "diagnostics", "hamming", "metrics", "model_selection", "persistence",
    "plotting", "preprocessing", "semantics",
)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return import_module(f"zeroshash.{name}")
    raise AttributeError(f"module 'zeroshash' has no attribute {name!r}")
