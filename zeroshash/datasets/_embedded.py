"""Loaders for the real CNN-feature datasets shipped inside the package.

The files were made by ``python -m zeroshash.datasets._build_embedded`` (that
module's docstring and each dataset's DESCR say how). Features are stored
quantised to 8 bits per dimension; loading dequantises them.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_animals", "load_fashion"]

_KEYS = ("data_q", "offset", "scale", "target", "target_names", "class_tokens",
         "class_vectors", "source_index", "descr")


def _load(name: str, return_X_y: bool):
    path = resources.files("zeroshash.datasets").joinpath("data", f"{name}.npz")
    with resources.as_file(path) as file, np.load(file, allow_pickle=False) as npz:
        missing = [key for key in _KEYS if key not in npz.files]
        if missing:
            raise OSError(f"embedded dataset {name!r} is damaged: keys {missing} are missing")
        data_q = npz["data_q"]
        data = npz["offset"][None, :] + npz["scale"][None, :] * data_q.astype(np.float32)
        target = npz["target"].astype(np.int64)
        if data.shape[0] != target.shape[0]:
            raise OSError(f"embedded dataset {name!r} is damaged: {data.shape[0]} rows, "
                          f"{target.shape[0]} labels")
        if return_X_y:
            return data.astype(np.float32, copy=False), target
        target_names = npz["target_names"]
        return Bunch(
            data=data.astype(np.float32, copy=False),
            target=target,
            target_names=target_names,
            class_tokens=npz["class_tokens"],
            class_vectors=npz["class_vectors"].astype(np.float32),
            class_vector_dict={i: v for i, v in enumerate(npz["class_vectors"].astype(np.float64))},
            source_index=npz["source_index"].astype(np.int64),
            DESCR=str(npz["descr"]),
        )


def load_animals(*, return_X_y: bool = False):
    """Animal-MNIST images (10 animal classes) as EfficientNet-Lite0 features.

    1,280-d ImageNet CNN features of a fixed sample of Animal-MNIST images, with
    GloVe 6B 50-d class vectors; see ``DESCR`` for provenance, licences, the
    sample size and how the file was made.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (n, 1280) float32, ``target`` (n,) int class indices,
        ``target_names`` (10,) class names (bear, bird, cat, cow, dog, elephant,
        giraffe, horse, sheep, zebra), ``class_vectors`` (10, 50) float32 rows
        ordered like the class indices, ``class_vector_dict`` (index -> vector, for
        ``word_vecs``), ``class_tokens``, ``source_index``, ``DESCR``.

    Examples
    --------
    >>> from zeroshash.datasets import load_animals
    >>> animals = load_animals()
    >>> animals.data.shape[1], animals.class_vectors.shape
    (1280, (10, 50))
    """
    return _load("animals", return_X_y)


def load_fashion(*, return_X_y: bool = False):
    """Fashion-MNIST images (10 clothing classes) as EfficientNet-Lite0 features.

    Same layout as :func:`load_animals`; classes T-shirt/top, Trouser, Pullover,
    Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        See :func:`load_animals`.

    Examples
    --------
    >>> from zeroshash.datasets import load_fashion
    >>> fashion = load_fashion()
    >>> fashion.target_names[:2].tolist()
    ['T-shirt/top', 'Trouser']
    """
    return _load("fashion", return_X_y)
