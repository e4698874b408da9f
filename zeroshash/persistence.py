"""Model files without pickle: :func:`save_model` and :func:`load_model`.

A model file is one ``.npz`` archive (``numpy.savez``, uncompressed) that
``numpy.load(path, allow_pickle=False)`` opens: every member is a plain numeric,
boolean or fixed-width string array, so loading runs no code from the file. Its
members are

* one member per fitted array attribute, under the attribute's name (``projection_``,
  ``classes_``, ...);
* ``__manifest__.json``: a ``uint8`` array holding the UTF-8 bytes of a JSON object.

The manifest (format version 1)::

    {
     "format": "zeroshash.model",
     "format_version": 1,
     "zeroshash_version": "0.1.0.dev0",
     "hasher": "zsh",                      # the registry's name (zeroshash.get_hasher)
     "class": "ZSHHasher",                 # for people; loading uses "hasher" only
     "params": {"bits": 64, "word_vecs": null, ...},        # get_params(deep=False)
     "attributes": {"n_iter_": {"type": "int", "value": 12},
                    "bandwidth_": {"type": "float", "value": 687.6165859443},
                    ...},                  # fitted scalars
     "arrays": [{"name": "anchors_", "dtype": "<f8", "shape": [300, 20]},
                {"name": "classes_", "dtype": "<U5", "shape": [6], "object": true},
                ...],                      # the array members, sorted by name
     "checksum": {"algorithm": "sha256", "value": "9f2c..."}
    }

What is stored
    The hasher's declared fitted state (``_fitted_attributes``, also
    ``get_hasher(name).fitted_attributes``) plus ``n_features_in_`` and
    ``feature_names_in_``, those of them that the fit set (a DoubleBitHasher fitted
    without labels has no ``classes_``). Arrays of kind bool, int, uint, float and
    complex and fixed-width strings are stored as they are (dtype, byte order and
    shape kept). An object array whose items are all ``str`` (``classes_`` from string
    labels, ``feature_names_in_``) is stored as a fixed-width string array marked
    ``"object": true`` and loaded back as an object array of ``str``. Scalars are
    typed: ``"bool"``, ``"int"``, ``"float"``, ``"str"``, ``"none"``, or
    ``"numpy"`` with the scalar's ``"dtype"`` (a NumPy bool, integer or float scalar
    comes back as the same NumPy type). Any other type (an object array of other
    items, a tuple, a list, an estimator) is refused when saving, never pickled.
Parameters
    ``get_params(deep=False)``; values must be numbers, ``str``, ``bool`` or None
    (NumPy scalars are stored as the Python number). Anything else -- a
    ``word_vecs`` dict, callable or array, a ``RandomState`` -- is refused with an
    error naming the parameter: set it to None first (``hasher.set_params(word_vecs=
    None)``; neither is needed to encode). Refusing, rather than silently storing
    None, keeps a loaded model's ``get_params()`` equal to the saved one's. A
    non-finite float parameter is written as ``{"float": "inf"}`` (``"nan"``,
    ``"-inf"``), and a non-finite float attribute's ``"value"`` as that string, so the
    manifest stays standard JSON.
Checksum
    SHA-256 over the manifest without its ``"checksum"`` entry, serialised as
    ``json.dumps(manifest, sort_keys=True, separators=(",", ":"))`` in UTF-8, followed
    by the C-order bytes of each array member in the order of ``"arrays"``. (The zip
    container adds its own CRC-32 per member.)

Loading reads the manifest first and refuses, with a :class:`ModelFileError` (a
``ValueError``) naming the file and the problem: a file that is not a zip archive, a
``.npy`` array, an archive without a manifest, another format or a newer format
version, a checksum mismatch, members that do not match the manifest, and a hasher
name that is not registered. The estimator is built from the registry's class
(``cls(**params)``, parameters validated) -- nothing that the file names is ever
imported -- and only the declared fitted attributes are set.

Writes are atomic: the archive is written to a temporary file in the target
directory, ``fsync``-ed and moved onto ``path`` (``os.replace``); on any failure no
partial file remains and a file already at ``path`` is unchanged. The path is used
exactly as given -- no ``.npz`` is appended (``numpy.savez`` is handed an open file),
so ``load_model`` takes the same string; ``.npz`` is the suggested suffix. The
zeroshash version is recorded for information: a file of format version 1 loads in
any zeroshash that reads that format.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from zeroshash import ZSHHasher, load_model, save_model
>>> from zeroshash.persistence import read_manifest
>>> rng = np.random.RandomState(0)
>>> X, y, word_vecs = rng.randn(60, 8), np.repeat([0, 1, 2], 20), rng.randn(3, 4)
>>> hasher = ZSHHasher(bits=16, n_anchors=20, max_iter=3, random_state=0)
>>> hasher = hasher.fit(X, y, word_vecs)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "zsh.npz")
...     save_model(hasher, path)
...     loaded = load_model(path)
...     manifest = read_manifest(path)
>>> np.array_equal(loaded.encode(X), hasher.encode(X))
True
>>> manifest["hasher"], manifest["format_version"], manifest["params"]["bits"]
('zsh', 1, 16)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._atomic import atomic_write
from ._registry import all_hashers, get_hasher
from .base import BaseHasher

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "load_model", "read_manifest",
           "save_model"]

#: The manifest's ``"format"``.
FORMAT = "zeroshash.model"
#: The format version this zeroshash writes, and the newest it reads.
FORMAT_VERSION = 1
MANIFEST = "__manifest__.json"
_ALWAYS = ("n_features_in_", "feature_names_in_")  # fitted by sklearn's validate_data
_ARRAY_KINDS = "biufcUS"  # bool, int, uint, float, complex, fixed-width str / bytes
_NUMPY_SCALAR_KINDS = "biuf"
_NPY_MAGIC = b"\x93NUMPY"


class ModelFileError(ValueError):
    """A file that :func:`load_model` refuses: foreign, damaged, truncated or newer."""


# -- saving -----------------------------------------------------------------------------
def save_model(hasher: BaseHasher, path: str | os.PathLike) -> None:
    """Write a fitted hasher to a model file (no pickle; format in the module docstring).

    Parameters
    ----------
    hasher : BaseHasher
        A fitted hasher of a registered class (:func:`zeroshash.all_hashers`).
    path : str or path-like
        The file to write, used exactly as given (no suffix is added; ``.npz`` is the
        suggested one). Written atomically: an existing file is replaced only by a
        complete new one, and left as it was if writing fails.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the hasher is not fitted.
    TypeError
        If the hasher's class is not registered, or a fitted attribute has a type a
        model file cannot hold.
    ValueError
        If a parameter is not a number, str, bool or None (its message names it).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from zeroshash import ITQHasher, load_model, save_model
    >>> X = np.random.RandomState(0).randn(50, 6)
    >>> itq = ITQHasher(bits=4, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(itq, os.path.join(folder, "itq.npz"))
    ...     loaded = load_model(os.path.join(folder, "itq.npz"))
    >>> loaded
    ITQHasher(bits=4, random_state=0)
    >>> np.array_equal(loaded.transform(X), itq.transform(X))
    True
    """
    spec = _spec_of(hasher)
    check_is_fitted(hasher)
    from . import __version__

    state = vars(hasher)
    declared = spec.fitted_attributes + _ALWAYS
    undeclared = sorted(
        k for k in state if k.endswith("_") and not k.startswith("_") and k not in declared
    )
    if undeclared:
        raise TypeError(
            f"{type(hasher).__name__} has fitted attributes {undeclared} that it does not "
            "declare in _fitted_attributes; a model file would lose them"
        )
    arrays, attributes = {}, {}
    for name in declared:
        if name not in state:
            continue
        value = state[name]
        if isinstance(value, np.ndarray):
            arrays[name] = _storable_array(hasher, name, value)
        else:
            attributes[name] = _encode_scalar(hasher, name, value)
    members = [_array_entry(name, arrays[name][0], arrays[name][1]) for name in sorted(arrays)]
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "zeroshash_version": __version__,
        "hasher": spec.name,
        "class": type(hasher).__name__,
        "params": {
            key: _encode_param(hasher, key, value)
            for key, value in hasher.get_params(deep=False).items()
        },
        "attributes": attributes,
        "arrays": members,
    }
    ordered = [arrays[entry["name"]][0] for entry in members]
    manifest["checksum"] = {"algorithm": "sha256", "value": _checksum(manifest, ordered)}
    text = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")
    content = {entry["name"]: arr for entry, arr in zip(members, ordered)}
    content[MANIFEST] = np.frombuffer(text, dtype=np.uint8)
    with atomic_write(path) as fh:
        np.savez(fh, **content)


def _spec_of(hasher):
    for spec in all_hashers():
        if type(hasher) is spec.estimator:
            return spec
    raise TypeError(
        f"save_model saves the registered hashers (zeroshash.all_hashers()); "
        f"{type(hasher).__module__}.{type(hasher).__qualname__} is not one of them"
    )


def _storable_array(hasher, name: str, value: np.ndarray) -> tuple[np.ndarray, bool]:
    """(plain array to store, whether it stands for an object array of str)."""
    where = f"{type(hasher).__name__}.{name}"
    if type(value) is not np.ndarray and not isinstance(value, np.memmap):
        raise TypeError(f"{where} is a {type(value).__name__}; a model file holds plain "
                        "ndarrays only")
    value = np.asarray(value)
    if value.dtype.kind == "O":
        if not all(type(item) is str for item in value.flat):
            kinds = sorted({type(item).__name__ for item in value.flat})
            raise TypeError(f"{where} is an object array of {', '.join(kinds)}; a model file "
                            "holds object arrays of str only")
        return (value.astype(np.str_) if value.size else value.astype("<U1")), True
    if value.dtype.kind not in _ARRAY_KINDS or value.dtype.fields is not None:
        raise TypeError(f"{where} has dtype {value.dtype}, which a model file cannot hold")
    return value, False


def _array_entry(name: str, arr: np.ndarray, from_object: bool) -> dict:
    entry = {"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if from_object:
        entry["object"] = True
    return entry


def _float_value(value: float):
    return value if math.isfinite(value) else repr(value)  # "nan", "inf", "-inf"


def _encode_scalar(hasher, name: str, value) -> dict:
    kind = type(value)
    if value is None:
        return {"type": "none", "value": None}
    if kind in (bool, int, str):
        return {"type": kind.__name__, "value": value}
    if kind is float:
        return {"type": "float", "value": _float_value(value)}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMPY_SCALAR_KINDS:
        item = value.item()
        item = _float_value(item) if isinstance(item, float) else item
        return {"type": "numpy", "dtype": value.dtype.str, "value": item}
    raise TypeError(f"{type(hasher).__name__}.{name} is a {kind.__name__}; a model file "
                    "holds arrays and bool, int, float, str or None scalars only")


def _encode_param(hasher, key: str, value):
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    raise ValueError(
        f"cannot save {type(hasher).__name__}: its parameter {key}={_short(value)} (of type "
        f"{type(value).__name__}) cannot be stored; a model file holds numbers, str, bool "
        f"and None only. It is not needed to encode: set it to None first "
        f"(hasher.set_params({key}=None))"
    )


def _short(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 40 else text[:37] + "..."


def _checksum(manifest: dict, arrays: list[np.ndarray]) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    )
    for arr in arrays:
        digest.update(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
    return digest.hexdigest()


# -- loading ----------------------------------------------------------------------------
def read_manifest(path: str | os.PathLike) -> dict:
    """The manifest of a model file, after checking the format name and version.

    Reads only the manifest member (not the arrays, and not the checksum): what
    ``zeroshash info`` shows.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    manifest : dict
        As described in the module docstring.

    Raises
    ------
    ModelFileError
        If the file is not a zeroshash model file or has a newer format version.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from zeroshash import LSHHasher, save_model
    >>> from zeroshash.persistence import read_manifest
    >>> lsh = LSHHasher(bits=8, random_state=0).fit(np.eye(4))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(lsh, os.path.join(folder, "lsh.npz"))
    ...     manifest = read_manifest(os.path.join(folder, "lsh.npz"))
    >>> manifest["class"], [entry["name"] for entry in manifest["arrays"]]
    ('LSHHasher', ['mean_', 'projection_'])
    """
    with _open_archive(path) as npz:
        return _manifest_of(npz, os.fspath(path))


def load_model(path: str | os.PathLike) -> BaseHasher:
    """Read a hasher written by :func:`save_model` (nothing is unpickled or imported).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    hasher : BaseHasher
        A fitted hasher of the registered class the file names, with the saved
        parameters and fitted attributes: its ``transform`` / ``encode`` (and
        ``transform_query``, ``database_codes_``, ...) are bit-identical to the saved
        hasher's.

    Raises
    ------
    ModelFileError
        If the file is not a zeroshash model file (not a zip archive, a ``.npy``
        array, no manifest), is damaged or truncated (checksum, members, manifest), has a
        newer format version, or names a hasher that is not registered. The message
        names the file and the problem.
    FileNotFoundError
        If there is no file at ``path``.

    Examples
    --------
    A path-like works as a string does:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from numpy.random import RandomState
    >>> from zeroshash import PCAHasher, load_model, save_model
    >>> X = RandomState(0).randn(40, 5)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "pcah.npz"
    ...     save_model(PCAHasher(bits=3).fit(X), path)
    ...     pcah = load_model(path)
    >>> pcah.transform(X[:2])
    array([[1, 1, 1],
           [0, 1, 1]], dtype=uint8)
    """
    name = os.fspath(path)
    with _open_archive(path) as npz:
        manifest = _manifest_of(npz, name)
        try:
            return _build(npz, manifest, name)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ModelFileError(f"model file {name!r}: malformed manifest ({exc})") from exc


class _open_archive:
    """``np.load`` of a model file, foreign and broken files turned into ModelFileError."""

    def __init__(self, path: str | os.PathLike):
        self.name = os.fspath(path)

    def __enter__(self):
        with open(self.name, "rb") as fh:
            head = fh.read(len(_NPY_MAGIC))
            is_zip = zipfile.is_zipfile(fh)
        if head == _NPY_MAGIC:
            self._refuse("is a single .npy array, not a zeroshash model file (.npz archive)")
        if not is_zip:
            self._refuse("is not a zeroshash model file: not a zip (.npz) archive, or a "
                         "truncated one")
        try:
            self.npz = np.load(self.name, allow_pickle=False)
        except Exception as exc:  # zipfile / numpy errors of a damaged archive
            self._refuse(f"is damaged: cannot open the archive ({exc})", exc)
        return self

    def __exit__(self, *exc_info):
        self.npz.close()

    def _refuse(self, problem: str, cause: BaseException | None = None):
        raise ModelFileError(f"model file {self.name!r} {problem}") from cause

    def member(self, key: str) -> np.ndarray:
        try:
            return self.npz[key]
        except Exception as exc:  # bad CRC, truncated member, bad .npy header, pickle
            self._refuse(f"is damaged: member {key!r} cannot be read ({exc})", exc)

    @property
    def files(self) -> list[str]:
        return self.npz.files


def _manifest_of(npz: _open_archive, name: str) -> dict:
    if MANIFEST not in npz.files:
        raise ModelFileError(f"model file {name!r} is not a zeroshash model file: the .npz "
                             f"archive has no {MANIFEST} member")
    raw = npz.member(MANIFEST)
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"{MANIFEST} is a {raw.dtype} array of shape {raw.shape}")
        manifest = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("the manifest is not a JSON object")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ModelFileError(f"model file {name!r} is damaged: unreadable manifest "
                             f"({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise ModelFileError(f"model file {name!r} is not a zeroshash model file: its "
                             f"manifest's format is {manifest.get('format')!r}, not {FORMAT!r}")
    version = manifest.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"model file {name!r} is damaged: format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"model file {name!r} has format version {version}, newer than the version "
            f"{FORMAT_VERSION} this zeroshash reads (it was written by zeroshash "
            f"{manifest.get('zeroshash_version')}); upgrade zeroshash to load it"
        )
    return manifest


def _build(npz: _open_archive, manifest: dict, name: str) -> BaseHasher:
    entries = manifest["arrays"]
    names = [entry["name"] for entry in entries]
    stored = sorted(set(npz.files) - {MANIFEST})
    if sorted(names) != stored or len(set(names)) != len(names):
        raise ModelFileError(f"model file {name!r} is damaged: its arrays {stored} do not "
                             f"match the manifest's {names}")
    arrays = []
    for entry in entries:
        arr = npz.member(entry["name"])
        dtype = np.dtype(entry["dtype"])
        if dtype.kind not in _ARRAY_KINDS or arr.dtype != dtype or \
                list(arr.shape) != entry["shape"]:
            raise ModelFileError(
                f"model file {name!r} is damaged: member {entry['name']!r} is {arr.dtype} "
                f"{arr.shape}, the manifest says {entry['dtype']} {tuple(entry['shape'])}")
        arrays.append(arr)
    expected = manifest["checksum"]
    if expected.get("algorithm") != "sha256" or expected.get("value") != _checksum(manifest,
                                                                                 arrays):
        raise ModelFileError(f"model file {name!r} is damaged: checksum mismatch (the arrays "
                             "or the manifest changed after saving)")
    try:
        spec = get_hasher(manifest["hasher"])
    except ValueError as exc:
        raise ModelFileError(f"model file {name!r} names a hasher that is not registered: "
                             f"{exc}") from exc
    if manifest["hasher"] != spec.name:
        raise ModelFileError(f"model file {name!r} names the hasher {manifest['hasher']!r}; "
                             f"expected the registry's name {spec.name!r}")
    cls = spec.estimator
    params = {key: _decode_param(value) for key, value in manifest["params"].items()}
    # A file written before a parameter existed behaves as the hasher did then, not as
    # the parameter's (possibly different) default says.
    for key, value in getattr(cls, "_params_added", {}).items():
        params.setdefault(key, value)
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise ModelFileError(f"model file {name!r}: {cls.__name__} has no parameters "
                             f"{unknown}")
    hasher = cls(**params)
    hasher._validate_params()  # sklearn's constraints: a bad value is a ValueError here
    allowed = set(spec.fitted_attributes + _ALWAYS)
    fitted = {key: _decode_scalar(value) for key, value in manifest["attributes"].items()}
    for entry, arr in zip(entries, arrays):
        fitted[entry["name"]] = arr.astype(object) if entry.get("object") else arr
    extra = sorted(set(fitted) - allowed)
    if extra:
        raise ModelFileError(f"model file {name!r}: {cls.__name__} has no fitted "
                             f"attributes {extra}")
    for key, value in fitted.items():
        setattr(hasher, key, value)
    return hasher


def _decode_float(value) -> float:
    if isinstance(value, str):
        if value not in ("nan", "inf", "-inf"):
            raise ValueError(f"bad float {value!r}")
        return float(value)
    if type(value) not in (int, float):
        raise TypeError(f"bad float {value!r}")
    return float(value)


def _decode_param(value):
    if isinstance(value, dict):
        return _decode_float(value["float"])
    if value is not None and type(value) not in (bool, int, float, str):
        raise TypeError(f"parameter value {value!r}")
    return value


def _decode_scalar(entry: dict):
    kind, value = entry["type"], entry["value"]
    if kind == "none" and value is None:
        return None
    if kind in ("bool", "int", "str") and type(value).__name__ == kind:
        return value
    if kind == "float":
        return _decode_float(value)
    if kind == "numpy":
        dtype = np.dtype(entry["dtype"])
        if dtype.kind not in _NUMPY_SCALAR_KINDS:
            raise TypeError(f"scalar dtype {dtype}")
        return dtype.type(_decode_float(value) if dtype.kind == "f" else value)
    raise TypeError(f"scalar {entry!r}")
