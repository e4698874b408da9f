"""Datasets: real CNN features shipped with the package, loaders for common files, and a
small synthetic zero-shot problem for examples."""

from ._embedded import load_animals, load_fashion, load_mosaics
from ._files import get_data_home, load_fashion_mnist, load_features, load_idx, load_xlsa17
from ._formats import load_labels, load_vectors, save_labels, save_vectors
from ._synthetic import make_zero_shot_blobs

__all__ = [
    "get_data_home",
    "load_animals",
    "load_fashion",
    "load_fashion_mnist",
    "load_features",
    "load_idx",
    "load_labels",
    "load_mosaics",
    "load_vectors",
    "load_xlsa17",
    "make_zero_shot_blobs",
    "save_labels",
    "save_vectors",
]
