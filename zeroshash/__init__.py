"""zeroshash: zero-shot hashing in the scikit-learn API."""

from ._codes import pack_bits, unpack_bits
from .base import BaseHasher
from .hashers import (
    ITQHasher,
    KSHHasher,
    LSHHasher,
    PCAHasher,
    SDHHasher,
    SpectralHasher,
    ZSHHasher,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BaseHasher",
    "ITQHasher",
    "KSHHasher",
    "LSHHasher",
    "PCAHasher",
    "SDHHasher",
    "SpectralHasher",
    "ZSHHasher",
    "pack_bits",
    "unpack_bits",
    "__version__",
]
