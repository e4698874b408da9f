"""Vector and label files in the formats search and learning tools exchange.

:func:`load_vectors` / :func:`save_vectors` read and write a 2-D array of vectors, and
:func:`load_labels` / :func:`save_labels` a 1-D array of labels; the format is chosen by
the file's suffix (case-insensitive). No format ever unpickles anything, the binary
formats are memory-mapped on request (no copy: the array reads the file's pages), and
every write is atomic: the file appears complete under its name, or not at all (a file
already there is kept unchanged when a write fails).

Vector formats
--------------
``.npy``
    NumPy's own format (``np.save``), any 2-D array of bool, integer or float values.
    Memory-mapped when ``mmap=True``.
``.npz``
    A NumPy zip archive (``np.savez``); the array named by ``key``, else ``data``, else
    ``X``, else the archive's only member. :func:`save_vectors` stores it as ``data``.
    Always read into memory (a zip member cannot be mapped).
``.fvecs``, ``.ivecs``, ``.bvecs``
    The ANN community's format (the TEXMEX corpus: SIFT1M, GIST1M, ...; faiss and
    ann-benchmarks read it). The file is a sequence of records, one per vector, with no
    file header::

        offset 0        int32 d, little-endian       the vector's dimension, d > 0
        offset 4        d components                 little-endian
                        float32 (.fvecs), int32 (.ivecs): 4 bytes each
                        uint8 (.bvecs): 1 byte each

    so each record is ``4 + 4 * d`` bytes (``4 + d`` for ``.bvecs``) and an ``n``-vector
    file is exactly ``n`` times that. All vectors of a file have the same ``d``: every
    record's header is checked, and a file whose size is not a whole number of records
    is refused as truncated. An empty file holds no vectors and is refused (it could not
    say their dimension).
``.fbin``, ``.u8bin``, ``.i8bin``, ``.ibin``
    The big-ann-benchmarks format (BIGANN, Deep1B, Text2Image, ...): an 8-byte header
    then the vectors row after row::

        offset 0        uint32 n, little-endian      number of vectors
        offset 4        uint32 d, little-endian      dimension, d > 0
        offset 8        n * d components, row-major, little-endian
                        float32 (.fbin), uint8 (.u8bin), int8 (.i8bin), int32 (.ibin)

    The file is exactly ``8 + n * d * itemsize`` bytes; any other size is refused.
``.csv``, ``.tsv``, ``.txt``
    A numeric text matrix, one vector per line, its numbers separated by commas (when
    the first data line holds a comma), by tabs (``.tsv``), else by any whitespace.
    ``#`` starts a comment; blank lines are skipped. A ``.csv`` file may start with one
    header line of column names (a line none of whose fields is a number), which is
    skipped. Always read as float64 (a single column gives shape ``(n, 1)``).
    :func:`save_vectors` writes every float exactly (the shortest text that reads back
    as the same float64) and integers as integers.

Label formats
-------------
``.txt``, ``.csv``, ``.tsv``
    One label per line, surrounding whitespace stripped (so ``Ankle boot`` stays one
    label). Blank lines at the end are ignored; a blank line before the last label is an
    error. The labels are returned as int64 if every one is a (decimal) integer, else as
    a NumPy string array. No comments and no header: each line is a label.
``.npy``, ``.npz``
    A 1-D array, or an ``(n, 1)`` one (flattened); for ``.npz`` the array named by
    ``key``, else ``target``, else ``y``, else the only member.
``.ivecs``
    The ``.ivecs`` format above with ``d == 1``, returned as int64.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from scipy import sparse

from .._atomic import atomic_write

__all__ = ["load_labels", "load_vectors", "save_labels", "save_vectors"]

_XVECS = {".fvecs": np.dtype("<f4"), ".ivecs": np.dtype("<i4"), ".bvecs": np.dtype("u1")}
_XBIN = {
    ".fbin": np.dtype("<f4"),
    ".u8bin": np.dtype("u1"),
    ".i8bin": np.dtype("i1"),
    ".ibin": np.dtype("<i4"),
}
_TEXT = (".csv", ".tsv", ".txt")
_VECTOR_SUFFIXES = (".npy", ".npz", *_XVECS, *_XBIN, *_TEXT)
_LABEL_SUFFIXES = (*_TEXT, ".npy", ".npz", ".ivecs")
_NUMERIC = "biuf"  # bool, signed and unsigned integers, floats
_CHUNK_BYTES = 1 << 24  # writes go out in blocks of about this size
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMPY_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


def _show(path: str | os.PathLike) -> str:
    return repr(os.fspath(path))


def _suffix(path: str | os.PathLike, supported: tuple[str, ...], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in supported:
        raise ValueError(
            f"{_show(path)}: unknown {what} file suffix {suffix or '(none)'!r}; "
            f"supported suffixes: {', '.join(supported)}"
        )
    return suffix


def _existing(path: str | os.PathLike) -> Path:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"no such file: {_show(path)}")
    if not file.is_file():
        raise IsADirectoryError(f"{_show(path)} is a directory, not a file")
    return file


def _no_key(path: str | os.PathLike, key: str | None) -> None:
    if key is not None:
        raise ValueError(f"{_show(path)}: key={key!r} applies to .npz files only")


# --------------------------------------------------------------------------- reading


def _load_numpy(path: Path, suffix: str, *, key: str | None, mmap: bool,
                preferred: tuple[str, ...]) -> np.ndarray:
    """The array of a ``.npy`` file, or the chosen member of a ``.npz`` one."""
    if suffix == ".npy":
        _no_key(path, key)
        try:
            content = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except _NUMPY_ERRORS as exc:
            raise ValueError(f"cannot read {_show(path)} as a .npy file: {exc}") from exc
        if not isinstance(content, np.ndarray):
            content.close()
            raise ValueError(f"{_show(path)} is a zip archive (.npz), not a .npy file")
        return content
    # Our own handle: np.load leaves the file it opened open when the zip is damaged.
    with open(path, "rb") as fh:
        try:
            content = np.load(fh, allow_pickle=False)
        except _NUMPY_ERRORS as exc:
            raise ValueError(f"cannot read {_show(path)} as a .npz file: {exc}") from exc
        if isinstance(content, np.ndarray):
            raise ValueError(f"{_show(path)} is a .npy file, not a zip archive (.npz)")
        return _npz_member(path, content, key, preferred)


def _npz_member(path: Path, content, key: str | None,
                preferred: tuple[str, ...]) -> np.ndarray:
    """The array of an open ``.npz`` archive named by ``key`` or ``preferred``."""
    with content:
        files = list(content.files)
        if key is not None:
            if key not in files:
                raise ValueError(f"{_show(path)} has no array {key!r} (it holds {files})")
            name = key
        else:
            name = next((k for k in preferred if k in files), None)
            if name is None and len(files) == 1:
                name = files[0]
            if name is None:
                raise ValueError(
                    f"{_show(path)}: none of its {len(files)} arrays {files} is named "
                    f"{' or '.join(map(repr, preferred))}; choose one with key="
                )
        try:
            return content[name]
        except _NUMPY_ERRORS as exc:
            raise ValueError(f"cannot read array {name!r} of {_show(path)}: {exc}") from exc


def _check_vectors(array: np.ndarray, path: str | os.PathLike) -> np.ndarray:
    if array.dtype.kind not in _NUMERIC:
        raise ValueError(f"{_show(path)} holds {array.dtype} values; vectors must be "
                         "numeric (bool, integer or float)")
    if array.ndim != 2:
        raise ValueError(f"{_show(path)} holds a {array.ndim}-D array of shape "
                         f"{array.shape}; vectors need a 2-D (n_vectors, dimension) array")
    return array


def _load_xvecs(path: Path, suffix: str, mmap: bool) -> np.ndarray:
    """``.fvecs`` / ``.ivecs`` / ``.bvecs``: records of (int32 d, d components)."""
    component = _XVECS[suffix]
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{_show(path)} is empty: it holds no vectors")
    if size < 4:
        raise ValueError(f"{_show(path)}: truncated: {size:,} bytes cannot hold the 4-byte "
                         "dimension header of a vector")
    with open(path, "rb") as f:
        (d,) = struct.unpack("<i", f.read(4))
    if d <= 0:
        raise ValueError(f"{_show(path)}: damaged: the first vector's dimension header "
                         f"reads {d:,}; it must be positive")
    record = np.dtype([("d", "<i4"), ("x", component, (d,))])
    n, rest = divmod(size, record.itemsize)
    if n:
        rows = np.memmap(path, dtype=record, mode="r", shape=(n,))
        dims = rows["d"]
        bad = np.flatnonzero(dims != d)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{_show(path)}: inconsistent dimensions: vector {i:,} declares "
                f"{int(dims[i]):,} components, the first vector {d:,} (a {suffix} file's "
                "vectors all have the same dimension)"
            )
    if rest:
        raise ValueError(
            f"{_show(path)}: truncated: {size:,} bytes is not a whole number of "
            f"{record.itemsize:,}-byte records (4-byte header + {d:,} components of "
            f"{component.itemsize} byte{'s' if component.itemsize > 1 else ''})"
        )
    vectors = rows["x"]
    if mmap:
        return vectors
    return np.array(vectors, dtype=component.newbyteorder("="))


def _load_xbin(path: Path, suffix: str, mmap: bool) -> np.ndarray:
    """``.fbin`` / ``.u8bin`` / ``.i8bin`` / ``.ibin``: uint32 n, uint32 d, n*d values."""
    component = _XBIN[suffix]
    size = path.stat().st_size
    if size < 8:
        raise ValueError(f"{_show(path)}: truncated: {size:,} bytes cannot hold the 8-byte "
                         "header (uint32 n, uint32 d)")
    with open(path, "rb") as f:
        n, d = struct.unpack("<II", f.read(8))
    if d == 0:
        raise ValueError(f"{_show(path)}: damaged: its header announces dimension 0")
    expected = 8 + n * d * component.itemsize
    if size != expected:
        problem = "truncated" if size < expected else "size mismatch"
        raise ValueError(
            f"{_show(path)}: {problem}: its header announces n={n:,} vectors of d={d:,} "
            f"{component.name} components, so 8 + {n:,} x {d:,} x {component.itemsize} = "
            f"{expected:,} bytes, but the file holds {size:,} bytes"
        )
    native = component.newbyteorder("=")
    if n == 0:
        return np.empty((0, d), dtype=native)
    if mmap:
        return np.memmap(path, dtype=component, mode="r", offset=8, shape=(n, d))
    data = np.fromfile(path, dtype=component, count=n * d, offset=8).reshape(n, d)
    return data.astype(native, copy=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_text_matrix(path: Path, suffix: str) -> np.ndarray:
    """A numeric text matrix (see the module docstring) as float64."""
    first = None
    try:
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f):
                content = line.split("#", 1)[0].strip()
                if content:
                    first = (number, content)
                    break
    except UnicodeDecodeError as exc:
        raise ValueError(f"{_show(path)} is not UTF-8 text: {exc}") from exc
    if first is None:
        raise ValueError(f"{_show(path)} holds no numbers")
    number, content = first
    delimiter = "," if "," in content else ("\t" if suffix == ".tsv" else None)
    fields = [field.strip() for field in content.split(delimiter)]
    skip = 0
    if not any(_is_number(field) for field in fields if field):
        if suffix != ".csv":
            raise ValueError(f"{_show(path)}: line {number + 1} holds no numbers "
                             f"({content[:60]!r}); a header line is allowed in .csv files only")
        skip = number + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(path, dtype=np.float64, delimiter=delimiter, comments="#",
                              skiprows=skip, ndmin=2, encoding="utf-8-sig")
    except ValueError as exc:
        raise ValueError(f"cannot read {_show(path)} as a numeric matrix: {exc}") from exc
    if data.size == 0:
        raise ValueError(f"{_show(path)} holds no numbers (only a header line)")
    return data


def load_vectors(path: str | os.PathLike, *, mmap: bool = True,
                 key: str | None = None) -> np.ndarray:
    """A 2-D array of vectors from a file, its format chosen by the suffix.

    Parameters
    ----------
    path : str or path-like
        A ``.npy``, ``.npz``, ``.fvecs``, ``.ivecs``, ``.bvecs``, ``.fbin``, ``.u8bin``,
        ``.i8bin``, ``.ibin``, ``.csv``, ``.tsv`` or ``.txt`` file (the suffix in any
        case); the layouts are described in :mod:`zeroshash.datasets._formats`.
    mmap : bool, default=True
        Memory-map the binary formats (``.npy``, the vecs and bin formats): the result is
        a read-only view of the file's pages (a :class:`numpy.memmap`), read only where
        used and never copied. With False the vectors are read into memory. ``.npz`` and
        text files are always read into memory.
    key : str, optional
        The array to take from a ``.npz`` archive; by default ``data``, else ``X``, else
        the archive's only array. Refused for other formats.

    Returns
    -------
    vectors : ndarray of shape (n_vectors, dimension)
        The file's dtype for ``.npy``/``.npz`` (bool, integer or float); float32 for
        ``.fvecs``/``.fbin``, int32 for ``.ivecs``/``.ibin``, uint8 for ``.bvecs``/
        ``.u8bin``, int8 for ``.i8bin``; float64 for text.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (:class:`IsADirectoryError` if ``path`` is a folder).
    ValueError
        An unknown suffix (the message lists the supported ones), or a file that does
        not hold a 2-D numeric array: wrong dimensionality, non-numeric or object
        dtype, truncated or damaged content, inconsistent vector dimensions. Each
        message names the file and the problem.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from zeroshash.datasets import load_vectors, save_vectors
    >>> path = os.path.join(tempfile.mkdtemp(), "base.fvecs")
    >>> save_vectors(path, np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> os.path.getsize(path)  # 2 records of 4 + 3 * 4 bytes
    32
    >>> X = load_vectors(path)
    >>> X.shape, X.dtype, isinstance(X, np.memmap)
    ((2, 3), dtype('float32'), True)
    >>> X.tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    suffix = _suffix(path, _VECTOR_SUFFIXES, "vector")
    if suffix != ".npz":
        _no_key(path, key)
    file = _existing(path)
    if suffix in (".npy", ".npz"):
        array = _load_numpy(file, suffix, key=key, mmap=mmap, preferred=("data", "X"))
        return _check_vectors(array, path)
    if suffix in _XVECS:
        return _load_xvecs(file, suffix, mmap)
    if suffix in _XBIN:
        return _load_xbin(file, suffix, mmap)
    return _load_text_matrix(file, suffix)


def _load_text_labels(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{_show(path)} is not UTF-8 text: {exc}") from exc
    lines = [line.strip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ValueError(f"{_show(path)} holds no labels")
    blank = next((i for i, line in enumerate(lines) if not line), None)
    if blank is not None:
        raise ValueError(f"{_show(path)}: line {blank + 1:,} is blank; every line up to "
                         "the last label must hold one label")
    if all(_INTEGER.fullmatch(line) for line in lines):
        try:
            return np.array([int(line) for line in lines], dtype=np.int64)
        except OverflowError:
            pass  # identifiers beyond int64 stay text
    return np.array(lines, dtype=str)


def load_labels(path: str | os.PathLike, *, key: str | None = None) -> np.ndarray:
    """A 1-D array of labels from a file, its format chosen by the suffix.

    Parameters
    ----------
    path : str or path-like
        A ``.txt``, ``.csv`` or ``.tsv`` file of one label per line, a ``.npy`` or
        ``.npz`` array, or an ``.ivecs`` file of dimension 1 (suffix in any case).
    key : str, optional
        The array to take from a ``.npz`` archive; by default ``target``, else ``y``,
        else the archive's only array. Refused for other formats.

    Returns
    -------
    labels : ndarray of shape (n_labels,) or (n_labels, n_classes)
        Text: int64 when every label is a decimal integer, else the labels as strings
        (whitespace inside a label kept, around it stripped). ``.npy``/``.npz``: the
        stored dtype (bool, integer, float or string); a 2-D array of 0s and 1s with two
        columns or more is a multi-label indicator matrix, returned as uint8
        (:func:`zeroshash.multilabel_indicator` builds one from label sets).
        ``.ivecs``: int64.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (:class:`IsADirectoryError` if ``path`` is a folder).
    ValueError
        An unknown suffix, an empty label file, a blank line before the last label (the
        message gives its line number), an array that is not 1-D or ``(n, 1)``, an
        object or non-label dtype, an ``.ivecs`` file of dimension other than 1, or a
        damaged file. Each message names the file.

    Examples
    --------
    >>> import os, tempfile
    >>> from zeroshash.datasets import load_labels
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "labels.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("Ankle boot\\n  T-shirt \\nAnkle boot\\n\\n")
    >>> load_labels(path)
    array(['Ankle boot', 'T-shirt', 'Ankle boot'], dtype='<U10')
    >>> with open(path, "w") as f:
    ...     _ = f.write("3\\n-1\\n7\\n")
    >>> load_labels(path)
    array([ 3, -1,  7])
    """
    suffix = _suffix(path, _LABEL_SUFFIXES, "label")
    if suffix != ".npz":
        _no_key(path, key)
    file = _existing(path)
    if suffix in _TEXT:
        return _load_text_labels(file)
    if suffix == ".ivecs":
        vectors = _load_xvecs(file, suffix, mmap=False)
        if vectors.shape[1] != 1:
            raise ValueError(f"{_show(path)} holds vectors of dimension {vectors.shape[1]:,}; "
                             "an .ivecs label file has dimension 1")
        return vectors.ravel().astype(np.int64)
    labels = _load_numpy(file, suffix, key=key, mmap=False, preferred=("target", "y"))
    if labels.dtype.kind not in _NUMERIC + "US":
        raise ValueError(f"{_show(path)} holds {labels.dtype} values; labels must be "
                         "bool, integer, float or string")
    if labels.ndim == 2 and labels.shape[1] == 1:
        return labels.ravel()
    if labels.ndim == 2 and labels.shape[1] >= 2 and labels.dtype.kind in _NUMERIC:
        if not np.isin(labels, (0, 1)).all():
            raise ValueError(f"{_show(path)} holds a 2-D array of shape {labels.shape} with "
                             "values other than 0 and 1; a 2-D label array is a multi-label "
                             "indicator matrix (n_samples, n_classes) of 0 and 1")
        return labels.astype(np.uint8)
    if labels.ndim != 1:
        raise ValueError(f"{_show(path)} holds an array of shape {labels.shape}; labels "
                         "need a 1-D (n,) or (n, 1) array, or a 2-D 0/1 multi-label "
                         "indicator matrix (n, n_classes)")
    return labels


# --------------------------------------------------------------------------- writing


def _write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Run ``write`` on a file that replaces ``path`` only once complete."""
    target = Path(path)
    folder = target.absolute().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save {_show(path)}: no folder {str(folder)!r}")
    if target.is_dir():
        raise IsADirectoryError(f"cannot save {_show(path)}: it is a directory")
    try:
        with atomic_write(target) as fh:
            write(fh)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise type(exc)(exc.errno, f"cannot save {_show(path)}: {exc.strerror}") from exc


def _as_array(values, path: str | os.PathLike, what: str) -> np.ndarray:
    if sparse.issparse(values):  # np.asarray would make a 0-d object array of it
        raise TypeError(f"cannot save {_show(path)}: the {what} are a scipy sparse "
                        f"{type(values).__name__}; the formats hold dense arrays (call "
                        ".toarray() on a small matrix)")
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot save {_show(path)}: the {what} are not an array: "
                         f"{exc}") from exc


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _cast(block: np.ndarray, target: np.dtype, path: str | os.PathLike, suffix: str,
          start: int) -> np.ndarray:
    """``block`` (rows ``start``... of the array) as ``target``, refusing lossy casts.

    Floats may round to float32 but not overflow it; integer formats take only finite
    whole numbers within their range.
    """
    kind = block.dtype.kind

    def refuse(mask: np.ndarray, problem: str) -> None:
        i, j = _first(mask)
        raise ValueError(f"cannot save {_show(path)}: row {start + i:,}, column {j:,} "
                         f"holds {block[i, j].item()!r}, {problem}")

    if target.kind == "f":
        with np.errstate(over="ignore"):
            out = block.astype(target)
        if kind == "f":
            over = np.isinf(out) & np.isfinite(block)
            if over.any():
                refuse(over, f"beyond the range of {suffix}'s float32 (+-3.4e38)")
        return out
    if kind == "f":
        finite = np.isfinite(block)
        if not finite.all():
            refuse(~finite, f"but {suffix} stores {target.name} integers")
        fractional = block != np.trunc(block)
        if fractional.any():
            refuse(fractional, f"not a whole number, but {suffix} stores {target.name} "
                               "integers")
    if kind != "b":
        info = np.iinfo(target)
        outside = (block < info.min) | (block > info.max)
        if outside.any():
            refuse(outside, f"outside the range {info.min}..{info.max} of {suffix}'s "
                            f"{target.name}")
    return block.astype(target)


def _rows_per_block(row_bytes: int) -> int:
    return max(1, _CHUNK_BYTES // max(1, row_bytes))


def _write_xvecs(fh: BinaryIO, array: np.ndarray, suffix: str,
                 path: str | os.PathLike) -> None:
    n, d = array.shape
    record = np.dtype([("d", "<i4"), ("x", _XVECS[suffix], (d,))])
    step = _rows_per_block(record.itemsize)
    for start in range(0, n, step):
        part = array[start:start + step]
        block = np.empty(part.shape[0], dtype=record)
        block["d"] = d
        block["x"] = _cast(part, _XVECS[suffix], path, suffix, start)
        fh.write(block.tobytes())


def _write_xbin(fh: BinaryIO, array: np.ndarray, suffix: str,
                path: str | os.PathLike) -> None:
    n, d = array.shape
    component = _XBIN[suffix]
    fh.write(struct.pack("<II", n, d))
    step = _rows_per_block(d * component.itemsize)
    for start in range(0, n, step):
        fh.write(_cast(array[start:start + step], component, path, suffix, start).tobytes())


def _write_lines(fh: BinaryIO, lines: Iterable[str]) -> None:
    fh.write("".join(f"{line}\n" for line in lines).encode("utf-8"))


def _write_text_matrix(fh: BinaryIO, array: np.ndarray, suffix: str) -> None:
    separator = {".csv": ",", ".tsv": "\t"}.get(suffix, " ")
    n, d = array.shape
    step = _rows_per_block(d * 24)
    floats = array.dtype.kind == "f"
    for start in range(0, n, step):
        block = array[start:start + step]
        # float64's repr is the shortest text that reads back as the same number.
        if floats:
            block = block.astype(np.float64)
        elif block.dtype.kind == "b":
            block = block.astype(np.uint8)
        rows = block.tolist()
        _write_lines(fh, (separator.join(map(repr, row)) for row in rows))


def save_vectors(path: str | os.PathLike, array) -> None:
    """Write a 2-D array of vectors to a file, its format chosen by the suffix.

    The inverse of :func:`load_vectors`. The write is atomic: a failure (a value the
    format cannot hold, a full disk, ...) leaves no partial file, and a file already at
    ``path`` unchanged.

    Parameters
    ----------
    path : str or path-like
        A ``.npy``, ``.npz`` (stored as ``data``), ``.fvecs``, ``.ivecs``, ``.bvecs``,
        ``.fbin``, ``.u8bin``, ``.i8bin``, ``.ibin``, ``.csv``, ``.tsv`` or ``.txt`` file
        in an existing folder; replaced if it exists.
    array : array-like of shape (n_vectors, dimension)
        Bool, integer or float values. ``.npy``/``.npz`` keep the dtype; the other
        binary formats cast to theirs (float32, int32, uint8 or int8) after checking
        that every value fits: integer formats take only finite whole numbers within
        their range (e.g. 0..255 for ``.bvecs``/``.u8bin``), float32 formats any value
        that does not overflow float32 (others round to the nearest float32). Text
        formats write floats exactly and integers up to 2**53 (they read back as
        float64).

    Raises
    ------
    FileNotFoundError
        The folder of ``path`` does not exist (the message names ``path``).
    ValueError
        An unknown suffix, an array that is not 2-D or not numeric, a value the format
        cannot hold (the message gives its row and column), or a shape the format cannot
        record: no vectors (``.fvecs``/``.ivecs``/``.bvecs``/text), dimension 0, or sizes
        beyond the format's header fields.
    TypeError
        A scipy sparse matrix (the formats hold dense arrays).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from zeroshash.datasets import load_vectors, save_vectors
    >>> folder = tempfile.mkdtemp()
    >>> save_vectors(os.path.join(folder, "codes.u8bin"), [[0, 255], [7, 8], [1, 2]])
    >>> with open(os.path.join(folder, "codes.u8bin"), "rb") as f:
    ...     f.read()  # uint32 n = 3, uint32 d = 2, then the bytes row by row
    b'\\x03\\x00\\x00\\x00\\x02\\x00\\x00\\x00\\x00\\xff\\x07\\x08\\x01\\x02'
    >>> try:
    ...     save_vectors(os.path.join(folder, "codes.bvecs"), [[0, 256]])
    ... except ValueError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    row 0, column 1 holds 256, outside the range 0..255 of .bvecs's uint8
    >>> save_vectors(os.path.join(folder, "small.csv"), [[0.1, 2.0], [3.0, -1e-300]])
    >>> print(open(os.path.join(folder, "small.csv")).read(), end="")
    0.1,2.0
    3.0,-1e-300
    >>> load_vectors(os.path.join(folder, "small.csv"))[1, 1]
    np.float64(-1e-300)
    """
    suffix = _suffix(path, _VECTOR_SUFFIXES, "vector")
    array = _as_array(array, path, "vectors")
    if array.dtype.kind not in _NUMERIC:
        raise ValueError(f"cannot save {_show(path)}: vectors must be numeric (bool, "
                         f"integer or float), not {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"cannot save {_show(path)}: vectors need a 2-D (n_vectors, "
                         f"dimension) array, not shape {array.shape}")
    n, d = array.shape
    writer: Callable[[BinaryIO], None]
    if suffix == ".npy":
        def writer(fh):
            np.save(fh, array, allow_pickle=False)
    elif suffix == ".npz":
        def writer(fh):
            np.savez(fh, data=array)
    else:
        if d == 0:
            raise ValueError(f"cannot save {_show(path)}: {suffix} cannot hold vectors of "
                             "dimension 0")
        if n == 0 and suffix not in _XBIN:
            raise ValueError(f"cannot save {_show(path)}: an empty {suffix} file cannot "
                             "record the dimension; there are no vectors")
        if suffix in _XVECS:
            if d > np.iinfo(np.int32).max:
                raise ValueError(f"cannot save {_show(path)}: dimension {d:,} exceeds "
                                 f"{suffix}'s int32 header")

            def writer(fh):
                _write_xvecs(fh, array, suffix, path)
        elif suffix in _XBIN:
            limit = np.iinfo(np.uint32).max
            if n > limit or d > limit:
                raise ValueError(f"cannot save {_show(path)}: shape {array.shape} exceeds "
                                 f"{suffix}'s uint32 header")

            def writer(fh):
                _write_xbin(fh, array, suffix, path)
        else:
            if array.dtype.kind in "iu":
                big = (array > 2**53) | (array < -(2**53))
                if big.any():
                    i, j = _first(big)
                    raise ValueError(
                        f"cannot save {_show(path)}: row {i:,}, column {j:,} holds "
                        f"{array[i, j].item()}, beyond 2**53, which text files cannot hold "
                        "exactly (they read back as float64)"
                    )

            def writer(fh):
                _write_text_matrix(fh, array, suffix)
    _write_atomically(path, writer)


def _text_labels(labels: np.ndarray, path: str | os.PathLike) -> list[str]:
    """The lines of a text label file, refusing labels that would not read back."""
    kind = labels.dtype.kind
    if kind == "f":
        whole = np.isfinite(labels) & (labels == np.trunc(labels))
        if not whole.all():
            i = int(np.flatnonzero(~whole)[0])
            raise ValueError(f"cannot save {_show(path)}: label {i:,} is "
                             f"{labels[i].item()!r}; text labels are integers or strings")
        labels = labels.astype(np.int64)
    if labels.dtype.kind in "biu":
        return [str(int(v)) for v in labels.tolist()]
    lines = labels.tolist()
    for i, line in enumerate(lines):
        if "\n" in line or "\r" in line:
            raise ValueError(f"cannot save {_show(path)}: label {i:,} ({line!r}) contains "
                             "a line break")
        if not line.strip():
            raise ValueError(f"cannot save {_show(path)}: label {i:,} is blank")
        if line != line.strip():
            raise ValueError(f"cannot save {_show(path)}: label {i:,} ({line!r}) starts or "
                             "ends with whitespace, which a text label file strips")
    return lines


def save_labels(path: str | os.PathLike, labels) -> None:
    """Write a 1-D array of labels to a file, its format chosen by the suffix.

    The inverse of :func:`load_labels`, written atomically (a failure leaves no partial
    file and a file already at ``path`` unchanged).

    Parameters
    ----------
    path : str or path-like
        A ``.txt``, ``.csv`` or ``.tsv`` file (one label per line), ``.npy``, ``.npz``
        (stored as ``target``) or ``.ivecs`` (dimension 1) file in an existing folder.
    labels : array-like of shape (n_labels,) or (n_labels, 1), or (n_labels, n_classes)
        Integer, bool, float or string labels; or a 0/1 multi-label indicator matrix
        (``.npy`` / ``.npz`` only, stored as uint8). Text files take integers (and floats
        that are whole numbers, written as integers) or strings without line breaks,
        blank labels or surrounding whitespace; note that string labels which all look
        like integers read back as int64. ``.ivecs`` takes int32 integers.

    Raises
    ------
    FileNotFoundError
        The folder of ``path`` does not exist (the message names ``path``).
    ValueError
        An unknown suffix, labels that are not 1-D, of an unsupported dtype, or that the
        format cannot hold (the message names the label).
    TypeError
        A scipy sparse matrix.

    Examples
    --------
    >>> import os, tempfile
    >>> from zeroshash.datasets import load_labels, save_labels
    >>> path = os.path.join(tempfile.mkdtemp(), "classes.txt")
    >>> save_labels(path, ["cat", "Ankle boot"])
    >>> open(path).read()
    'cat\\nAnkle boot\\n'
    >>> load_labels(path).tolist()
    ['cat', 'Ankle boot']
    >>> try:
    ...     save_labels(path, ["two\\nlines", "cat"])
    ... except ValueError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    label 0 ('two\\nlines') contains a line break
    >>> load_labels(path).tolist()  # unchanged
    ['cat', 'Ankle boot']
    """
    suffix = _suffix(path, _LABEL_SUFFIXES, "label")
    labels = _as_array(labels, path, "labels")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    indicator = (labels.ndim == 2 and labels.shape[1] >= 2 and labels.dtype.kind in _NUMERIC
                 and bool(np.isin(labels, (0, 1)).all()))
    if indicator and suffix not in (".npy", ".npz"):
        raise ValueError(f"cannot save {_show(path)}: a multi-label indicator matrix goes to "
                         ".npy or .npz")
    if indicator:
        labels = labels.astype(np.uint8)
    elif labels.ndim != 1:
        raise ValueError(f"cannot save {_show(path)}: labels need a 1-D array (or a 2-D 0/1 "
                         f"multi-label indicator matrix), not shape {labels.shape}")
    if labels.dtype.kind == "O":
        if not all(isinstance(label, str) for label in labels.tolist()):
            raise ValueError(f"cannot save {_show(path)}: object labels must all be strings")
        labels = labels.astype(str)
    if labels.dtype.kind == "S":
        try:
            labels = np.char.decode(labels, "utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"cannot save {_show(path)}: labels are not UTF-8: "
                             f"{exc}") from exc
    if labels.dtype.kind not in _NUMERIC + "U":
        raise ValueError(f"cannot save {_show(path)}: labels must be bool, integer, float "
                         f"or string, not {labels.dtype}")
    writer: Callable[[BinaryIO], None]
    if suffix == ".npy":
        def writer(fh):
            np.save(fh, labels, allow_pickle=False)
    elif suffix == ".npz":
        def writer(fh):
            np.savez(fh, target=labels)
    elif suffix == ".ivecs":
        if labels.dtype.kind not in _NUMERIC or labels.size == 0:
            raise ValueError(f"cannot save {_show(path)}: an .ivecs label file holds one "
                             "or more integer labels")
        column = labels.reshape(-1, 1)

        def writer(fh):
            _write_xvecs(fh, column, suffix, path)
    else:
        if labels.size == 0:
            raise ValueError(f"cannot save {_show(path)}: a text label file cannot hold "
                             "zero labels")
        lines = _text_labels(labels, path)

        def writer(fh):
            _write_lines(fh, lines)
    _write_atomically(path, writer)
