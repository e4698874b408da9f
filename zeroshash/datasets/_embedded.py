"""Loaders for the real CNN-feature datasets shipped inside the package.

The files were made by the maintainer script ``maintainer/build_embedded.py`` of the
source repository, not part of the installed package (its docstring and each
dataset's DESCR say how). Features are stored
quantised to 8 bits per dimension; loading dequantises them.

Each dataset has a default file (``{name}.npz``) and two optional ones, read
only when asked for: ``{name}_patches.npz`` (3x3-grid patch features, PCA-reduced
to 128 channels) and ``{name}_edges.npz`` (features of edge maps of the same
images). Their rows are checked against the default file's ``source_index``.

``{name}_mosaics.npz`` holds a multi-label set made from the same images (2 x 2 mosaics,
``maintainer/build_mosaics.py``), read by :func:`load_mosaics`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_animals", "load_fashion", "load_mosaics"]

_KEYS = ("data_q", "offset", "scale", "target", "target_names", "class_tokens",
         "class_vectors", "source_index", "descr")
# Optional second files, loaded only when asked: file suffix -> (Bunch field, keys).
_EXTRAS = {
    "patches": ("patches", ("patches_q", "offset", "scale", "pca_explained_variance_ratio",
                            "target", "source_index", "descr")),
    "edges": ("edge_data", ("data_q", "offset", "scale", "target", "source_index", "descr")),
}
_EXTRAS_NOTE = """

Optional arrays (separate files, loaded only on request):

    ``load_{name}(patches=True)`` adds ``patches``, float32 (n, 9, 128): CNN head activations
    pooled to a 3x3 grid (row-major), reduced to 128 channels by a PCA on this dataset's patches.
    ``load_{name}(edges=True)`` adds ``edge_data``, float32 (n, 1280): the same CNN features of
    Sobel edge maps (dark strokes on white) of the same images -- a sketch-like second modality,
    not real sketches.

Both align row by row with ``data``; their own descriptions are appended when loaded.
"""


def _check_flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _open(name, suffix=""):
    path = resources.files("zeroshash.datasets").joinpath("data", f"{name}{suffix}.npz")
    return resources.as_file(path)


def _read_file(name: str, suffix: str, keys) -> dict:
    """The arrays ``keys`` of the packaged ``{name}{suffix}.npz``, or an OSError naming
    what is missing."""
    label = f"{name}{suffix}"
    with _open(name, suffix) as file:
        if not file.exists():
            raise OSError(f"embedded file {label}.npz is missing from this installation")
        with np.load(file, allow_pickle=False) as npz:
            missing = [key for key in keys if key not in npz.files]
            if missing:
                raise OSError(f"embedded dataset {label!r} is damaged: keys {missing} are missing")
            return {key: npz[key] for key in keys}


def _load_extra(name, extra, source_index, target):
    field, keys = _EXTRAS[extra]
    label = f"{name}_{extra}"
    npz = _read_file(name, f"_{extra}", keys)
    if not (np.array_equal(npz["source_index"], source_index)
            and np.array_equal(npz["target"], target)):
        raise OSError(f"embedded dataset {label!r} does not match {name!r} row by row")
    q = npz["patches_q" if extra == "patches" else "data_q"]
    values = npz["offset"] + npz["scale"] * q.astype(np.float32)
    return field, values.astype(np.float32, copy=False), str(npz["descr"])


def _load(name: str, return_X_y: bool, patches: bool = False, edges: bool = False):
    return_X_y = _check_flag("return_X_y", return_X_y)
    wanted = [extra for extra, flag in (("patches", patches), ("edges", edges))
              if _check_flag(extra, flag)]
    if return_X_y and wanted:
        raise ValueError("return_X_y=True returns (data, target) only; "
                         "ask for patches/edges with return_X_y=False")
    with _open(name) as file, np.load(file, allow_pickle=False) as npz:
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
        vectors = npz["class_vectors"].astype(np.float64)
        bunch = Bunch(
            data=data.astype(np.float32, copy=False),
            target=target,
            target_names=target_names,
            class_tokens=npz["class_tokens"],
            class_vectors=npz["class_vectors"].astype(np.float32),
            class_vector_dict=dict(enumerate(vectors)),
            class_vectors_by_name=dict(zip(target_names.tolist(), vectors)),
            source_index=npz["source_index"].astype(np.int64),
            DESCR=str(npz["descr"]) + _EXTRAS_NOTE.format(name=name),
        )
        raw_source_index, raw_target = npz["source_index"], npz["target"]
    for extra in wanted:
        field, values, descr = _load_extra(name, extra, raw_source_index, raw_target)
        bunch[field] = values
        bunch.DESCR += "\n\n" + descr
    return bunch


def load_animals(*, return_X_y: bool = False, patches: bool = False, edges: bool = False):
    """Animal-MNIST images (10 animal classes) as EfficientNet-Lite0 features.

    1,280-d ImageNet CNN features of a fixed sample of Animal-MNIST images, with
    GloVe 6B 50-d class vectors; see ``DESCR`` for provenance, licences, the
    sample size and how the file was made.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch (not with ``patches`` or
        ``edges``).
    patches : bool, default=False
        Also load ``patches``: patch-level features of the same images, the CNN's
        spatial map pooled to a 3x3 grid (row-major) and PCA-reduced to 128
        channels, float32 (n, 9, 128). Kept in a separate file.
    edges : bool, default=False
        Also load ``edge_data``: the same CNN's 1280-d features of Sobel edge maps
        of the same images (dark strokes on white), float32 (n, 1280) -- a
        sketch-like second modality made from the images, not real sketches.
        Kept in a separate file.

    Returns
    -------
    data : Bunch
        ``data`` (n, 1280) float32, ``target`` (n,) int class indices,
        ``target_names`` (10,) class names (bear, bird, cat, cow, dog, elephant,
        giraffe, horse, sheep, zebra), ``class_vectors`` (10, 50) float32 rows
        ordered like the class indices (row ``c`` for label ``c``, so the array
        serves as ``word_vecs`` for a fit on any subset of the labels),
        ``class_vector_dict`` (class index -> float64 vector, for ``word_vecs`` with
        ``target`` labels), ``class_vectors_by_name`` (class name, as in
        ``target_names`` -> float64 vector, for ``word_vecs`` with string labels
        ``target_names[target]``), ``class_tokens``, ``source_index``, ``DESCR``; and
        ``patches`` / ``edge_data`` when asked, row i describing the same image
        as ``data[i]``.

    Examples
    --------
    >>> from zeroshash.datasets import load_animals
    >>> animals = load_animals()
    >>> animals.data.shape[1], animals.class_vectors.shape
    (1280, (10, 50))

    Integer labels take ``class_vector_dict`` (or ``class_vectors``); string labels
    take ``class_vectors_by_name``:

    >>> from zeroshash import ZSHHasher
    >>> names = animals.target_names[animals.target]
    >>> seen = animals.target < 7
    >>> zsh = ZSHHasher(bits=16, n_anchors=50, random_state=0)
    >>> zsh = zsh.fit(animals.data[seen], names[seen], animals.class_vectors_by_name)
    >>> zsh.classes_.tolist()
    ['bear', 'bird', 'cat', 'cow', 'dog', 'elephant', 'giraffe']
    >>> both = load_animals(patches=True, edges=True)
    >>> both.patches.shape[1:], both.edge_data.shape[1]
    ((9, 128), 1280)
    """
    return _load("animals", return_X_y, patches, edges)


def load_fashion(*, return_X_y: bool = False, patches: bool = False, edges: bool = False):
    """Fashion-MNIST images (10 clothing classes) as EfficientNet-Lite0 features.

    Same layout as :func:`load_animals`; classes T-shirt/top, Trouser, Pullover,
    Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch (not with ``patches`` or
        ``edges``).
    patches : bool, default=False
        Also load ``patches``, float32 (n, 9, 128); see :func:`load_animals`.
    edges : bool, default=False
        Also load ``edge_data``, float32 (n, 1280), features of edge maps of the
        same images (not real sketches); see :func:`load_animals`.

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
    >>> fashion.class_vectors_by_name["Ankle boot"].shape
    (50,)
    """
    return _load("fashion", return_X_y, patches, edges)


_MOSAIC_KEYS = ("data_q", "offset", "scale", "target", "tile_index", "target_names",
                "class_tokens", "class_vectors", "source_index", "descr")


def load_mosaics(dataset: str = "animals", *, return_X_y: bool = False):
    """A multi-label set: 2 x 2 mosaics of the embedded images, as CNN features.

    Each row is a 56 x 56 picture of four tiles, each tile one of the images of
    :func:`load_animals` (or :func:`load_fashion`), passed through the same
    EfficientNet-Lite0; its labels are the union of its tiles' classes (1 to 4 of
    the 10, 2.45 on average). Real images in a synthetic arrangement -- not natural
    multi-label photographs; ``DESCR`` says exactly how the file was made.

    Parameters
    ----------
    dataset : {"animals", "fashion"}, default="animals"
        Whose images the tiles are.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (2000, 1280) float32; ``target`` (2000, 10) uint8, a 0/1 indicator
        matrix (column ``c`` = class ``c``); ``target_names``, ``class_tokens``,
        ``class_vectors`` (10, 50), ``class_vector_dict`` and ``class_vectors_by_name``
        as in :func:`load_animals`; ``tile_index`` (2000, 4), the rows of the tiles in
        the single-label dataset (row-major: top-left, top-right, bottom-left,
        bottom-right); ``DESCR``.

    See Also
    --------
    zeroshash.model_selection.zero_shot_retrieval_split : takes the indicator ``target``
        (unseen labels; queries carry one, training images carry none).

    Examples
    --------
    >>> from zeroshash.datasets import load_mosaics
    >>> mosaics = load_mosaics("animals")
    >>> mosaics.data.shape, mosaics.target.shape
    ((2000, 1280), (2000, 10))
    >>> int(mosaics.target.sum(axis=1).min()), int(mosaics.target.sum(axis=1).max())
    (1, 4)
    """
    if dataset not in ("animals", "fashion"):
        raise ValueError(f"dataset must be 'animals' or 'fashion'; got {dataset!r}")
    return_X_y = _check_flag("return_X_y", return_X_y)
    label = f"{dataset}_mosaics"
    arrays = _read_file(dataset, "_mosaics", _MOSAIC_KEYS)
    single = _load(dataset, False)
    target, tiles = arrays["target"], arrays["tile_index"]
    n = arrays["data_q"].shape[0]
    if (target.shape != (n, single.target_names.shape[0]) or tiles.shape != (n, 4)
            or not np.array_equal(arrays["source_index"], single.source_index)
            or tiles.min(initial=0) < 0 or tiles.max(initial=0) >= single.target.shape[0]):
        raise OSError(f"embedded dataset {label!r} does not match {dataset!r}")
    union = np.zeros_like(target)
    for t in range(tiles.shape[1]):
        union[np.arange(n), single.target[tiles[:, t]]] = 1
    if not np.array_equal(union, target):
        raise OSError(f"embedded dataset {label!r} is damaged: labels differ from its tiles'")
    data = (arrays["offset"][None, :] + arrays["scale"][None, :]
            * arrays["data_q"].astype(np.float32)).astype(np.float32, copy=False)
    target = target.astype(np.uint8)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, target_names=single.target_names,
        class_tokens=single.class_tokens, class_vectors=single.class_vectors,
        class_vector_dict=single.class_vector_dict,
        class_vectors_by_name=single.class_vectors_by_name,
        tile_index=tiles.astype(np.int64), DESCR=str(arrays["descr"]),
    )
