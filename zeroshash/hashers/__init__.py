"""The hashers, one private module per method."""

from ._lsh import LSHHasher
from ._pca import ITQHasher, PCAHasher
from ._sdh import SDHHasher
from ._zsh import ZSHHasher

__all__ = ["ITQHasher", "LSHHasher", "PCAHasher", "SDHHasher", "ZSHHasher"]
