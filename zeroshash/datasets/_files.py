"""Loaders for the feature and image files people actually have.

* :func:`get_data_home` -- where datasets live (``ZEROSHASH_DATA`` overrides).
* :func:`load_xlsa17` -- the standard zero-shot benchmark files of Xian et al.'s
  "Zero-Shot Learning -- the Good, the Bad and the Ugly" (``res101.mat`` +
  ``att_splits.mat`` for AwA2, CUB, SUN, ...), with the proposed splits.
* :func:`load_idx` / :func:`load_fashion_mnist` -- MNIST-style idx(.gz) files; Debian's
  ``dataset-fashion-mnist`` install is found automatically.
* :func:`load_features` -- ``.npy`` (memory-mapped) or ``.npz`` feature files.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["get_data_home", "load_features", "load_fashion_mnist", "load_idx", "load_xlsa17"]

_DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder holding zeroshash's datasets, created if needed.

    ``data_home`` if given, else the environment variable ``ZEROSHASH_DATA``, else
    ``~/zeroshash_data``.

    Examples
    --------
    >>> import os, tempfile
    >>> from zeroshash.datasets import get_data_home
    >>> folder = tempfile.mkdtemp()
    >>> os.environ["ZEROSHASH_DATA"] = folder
    >>> str(get_data_home()) == folder
    True
    >>> del os.environ["ZEROSHASH_DATA"]
    """
    chosen = data_home or os.environ.get("ZEROSHASH_DATA") or Path.home() / "zeroshash_data"
    path = Path(chosen).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _mat(path: Path, keys: tuple[str, ...]) -> dict:
    import scipy.io

    if not path.is_file():
        raise FileNotFoundError(f"missing xlsa17 file {str(path)!r}")
    try:
        content = scipy.io.loadmat(str(path))
    except Exception as exc:  # scipy raises several types for damaged files
        raise ValueError(f"cannot read {str(path)!r} as a MATLAB file: {exc}") from exc
    missing = [key for key in keys if key not in content]
    if missing:
        raise ValueError(f"{str(path)!r} lacks the xlsa17 variables {missing}")
    return content


def _locations(content: dict, key: str, n: int, path: Path) -> np.ndarray:
    loc = np.asarray(content[key]).ravel().astype(np.int64) - 1  # MATLAB is 1-based
    if loc.size and (loc.min() < 0 or loc.max() >= n):
        raise ValueError(f"{str(path)!r}: {key} points outside the {n} images")
    return loc


def load_xlsa17(name: str, *, data_home=None, root=None) -> Bunch:
    """A zero-shot benchmark in the xlsa17 layout (``res101.mat`` + ``att_splits.mat``).

    Parameters
    ----------
    name : str
        Dataset folder, e.g. ``"AWA2"``, ``"CUB"``, ``"SUN"``.
    data_home : path, optional
        Looks in ``<data_home>/xlsa17/data/<name>`` (see :func:`get_data_home`).
    root : path, optional
        The folder holding ``<name>/res101.mat`` directly; overrides ``data_home``.

    Returns
    -------
    data : Bunch
        ``data`` (n, 2048) float32 ResNet-101 features, ``target`` (n,) 0-based class
        indices, ``target_names``, ``attributes`` (n_classes, n_attributes) float64
        (the normalised ``att``), ``trainval`` / ``test_seen`` / ``test_unseen`` 0-based
        index arrays of the proposed split, ``seen_classes`` / ``unseen_classes``.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing files, or files lacking the xlsa17 variables or holding inconsistent
        sizes (each error names the file and the problem).
    """
    folder = Path(root) / name if root is not None else (
        get_data_home(data_home) / "xlsa17" / "data" / name
    )
    res = _mat(folder / "res101.mat", ("features", "labels"))
    att = _mat(folder / "att_splits.mat",
               ("att", "trainval_loc", "test_seen_loc", "test_unseen_loc"))
    features = np.asarray(res["features"], dtype=np.float32)
    labels = np.asarray(res["labels"]).ravel().astype(np.int64) - 1
    if features.shape[1] != labels.shape[0]:
        raise ValueError(f"res101.mat: {features.shape[1]} feature columns for "
                         f"{labels.shape[0]} labels")
    attributes = np.asarray(att["att"], dtype=np.float64).T
    if labels.min(initial=0) < 0 or labels.max(initial=0) >= attributes.shape[0]:
        raise ValueError(f"res101.mat labels fall outside the {attributes.shape[0]} classes "
                         "of att_splits.mat")
    n = labels.shape[0]
    trainval = _locations(att, "trainval_loc", n, folder)
    test_unseen = _locations(att, "test_unseen_loc", n, folder)
    if "allclasses_names" in att:
        names = np.array([str(np.ravel(c)[0]) for c in np.ravel(att["allclasses_names"])])
    else:
        names = np.array([f"class_{i}" for i in range(attributes.shape[0])])
    return Bunch(
        data=np.ascontiguousarray(features.T),
        target=labels,
        target_names=names,
        attributes=attributes,
        trainval=trainval,
        test_seen=_locations(att, "test_seen_loc", n, folder),
        test_unseen=test_unseen,
        seen_classes=np.unique(labels[trainval]),
        unseen_classes=np.unique(labels[test_unseen]),
        DESCR=f"xlsa17 {name} from {folder} (Xian, Lampert, Schiele & Akata, TPAMI 2018): "
              "ResNet-101 features, class attributes and the proposed split.",
    )


def load_idx(path) -> np.ndarray:
    """An MNIST-style idx array (plain or ``.gz``).

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> import numpy as np
    >>> from zeroshash.datasets import load_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> load_idx(path)
    array([7, 8, 9], dtype=uint8)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read idx file {str(path)!r}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{str(path)!r} is not an idx file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{str(path)!r}: truncated idx header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{str(path)!r} holds {len(raw)} bytes; its header announces "
                         f"{expected} (truncated or damaged)")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_fashion_mnist(kind: str = "train", *, path=None):
    """Fashion-MNIST images (n, 28, 28) uint8 and labels (n,) from idx(.gz) files.

    Parameters
    ----------
    kind : {"train", "t10k"}
    path : folder, optional
        Holding ``<kind>-images-idx3-ubyte(.gz)`` and ``<kind>-labels-idx1-ubyte(.gz)``.
        By default the folder of Debian's ``dataset-fashion-mnist`` package
        (``/usr/share/datasets/fashion-mnist``), then ``<data home>/fashion-mnist``.
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"kind must be 'train' or 't10k'; got {kind!r}")
    candidates = [Path(path)] if path is not None else [
        _DEBIAN_FASHION, get_data_home() / "fashion-mnist"
    ]
    for folder in candidates:
        for suffix in (".gz", ""):
            images = folder / f"{kind}-images-idx3-ubyte{suffix}"
            labels = folder / f"{kind}-labels-idx1-ubyte{suffix}"
            if images.is_file() and labels.is_file():
                X, y = load_idx(images), load_idx(labels)
                if X.shape[0] != y.shape[0]:
                    raise ValueError(f"{folder}: {X.shape[0]} images but {y.shape[0]} labels")
                return X, y
    raise FileNotFoundError(
        f"no Fashion-MNIST {kind} idx files in {[str(c) for c in candidates]} "
        "(on Debian: apt-get install dataset-fashion-mnist)"
    )


def load_features(path, *, mmap: bool = True):
    """Features (and labels, if stored) from a ``.npy`` or ``.npz`` file.

    ``.npy``: returns the array, memory-mapped read-only when ``mmap``. ``.npz``:
    returns ``(data, target)`` from keys ``data``/``target`` (or ``X``/``y``); target
    is None when absent. Object arrays are refused (no pickle is ever loaded).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from zeroshash.datasets import load_features
    >>> path = os.path.join(tempfile.mkdtemp(), "feats.npz")
    >>> np.savez(path, data=np.ones((2, 3), np.float32), target=np.array([0, 1]))
    >>> X, y = load_features(path)
    >>> X.shape, y.tolist()
    ((2, 3), [0, 1])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no feature file at {str(path)!r}")
    if path.suffix not in (".npy", ".npz"):
        raise ValueError(f"{str(path)!r}: feature files must be .npy or .npz")
    try:
        if path.suffix == ".npy":
            return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"cannot read features from {str(path)!r}: {exc}") from exc
    data_key = next((k for k in ("data", "X") if k in arrays), None)
    if data_key is None:
        raise ValueError(f"{str(path)!r} has no 'data' or 'X' array (keys: {sorted(arrays)})")
    target_key = next((k for k in ("target", "y") if k in arrays), None)
    return arrays[data_key], (arrays[target_key] if target_key else None)
