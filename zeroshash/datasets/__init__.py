"""Datasets: real CNN features shipped with the package, and loaders for common files."""

from ._embedded import load_animals, load_fashion
from ._files import get_data_home, load_fashion_mnist, load_features, load_idx, load_xlsa17

__all__ = [
    "get_data_home",
    "load_animals",
    "load_fashion",
    "load_fashion_mnist",
    "load_features",
    "load_idx",
    "load_xlsa17",
]
