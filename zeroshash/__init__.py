"""zeroshash: zero-shot hashing in the scikit-learn API."""

from ._codes import pack_bits, unpack_bits

__version__ = "0.1.0.dev0"

__all__ = ["pack_bits", "unpack_bits", "__version__"]
