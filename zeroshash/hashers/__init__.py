"""The hashers, one private module per method."""

from ._asymmetric import AsymmetricHasher
from ._bibranch import BiBranchHasher
from ._cosdish import COSDISHHasher
from ._cross_modal import CrossModalHasher
from ._double_bit import DoubleBitHasher
from ._ksh import KSHHasher
from ._lsh import LSHHasher
from ._part_align import PartAlignHasher
from ._pca import ITQHasher, PCAHasher
from ._sdh import SDHHasher
from ._sh import SpectralHasher
from ._zsh import ZSHHasher

__all__ = ["AsymmetricHasher", "BiBranchHasher", "COSDISHHasher", "CrossModalHasher",
           "DoubleBitHasher", "ITQHasher", "KSHHasher", "LSHHasher", "PartAlignHasher",
           "PCAHasher", "SDHHasher", "SpectralHasher", "ZSHHasher"]
