"""What the subcommands share: user errors, input files, hasher parameters, tables.

A user's mistake -- a missing file, a wrong shape, an unknown method or parameter --
is raised as :class:`UsageError` (or as the ``ValueError`` / ``TypeError`` /
``OSError`` that the library raises for bad input) and printed by
:func:`zeroshash.cli.main` as one line on stderr with exit status 2.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._progress import write_line

#: Word-vector arguments with these suffixes are a class x dim array (one row per
#: class); anything else is a word2vec / GloVe / fastText file looked up by class name.
ARRAY_SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".fvecs", ".fbin")


class UsageError(Exception):
    """A mistake in the command's arguments or input files, reported in one line."""


# -- hashers and their parameters ------------------------------------------------------------


def resolve_methods(methods: Sequence[str], option: str = "--methods") -> list:
    """The registry's specs for ``methods``, in order; one error naming every unknown one."""
    from .._registry import all_hashers, get_hasher

    specs, unknown = [], []
    for method in methods:
        try:
            specs.append(get_hasher(method))
        except ValueError:
            unknown.append(method)
    if unknown:
        choices = " ".join(spec.label for spec in all_hashers())
        raise UsageError(f"{option}: unknown method(s) {' '.join(unknown)}; "
                         f"the registered hashers are: {choices}")
    return specs


def parse_value(text: str):
    """A ``--param`` value: JSON (``3``, ``1e-3``, ``true``, ``null``, ``"x"``), else the text.

    ``None``/``none``, ``True``/``False`` (Python's spelling) are accepted too.

    Examples
    --------
    >>> [parse_value(v) for v in ["3", "1e-3", "true", "None", "eigh", "[1, 2]"]]
    [3, 0.001, True, None, 'eigh', [1, 2]]
    """
    spelled = {"none": None, "true": True, "false": False}
    if text.strip().lower() in spelled:
        return spelled[text.strip().lower()]
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_params(pairs: Sequence[str] | None) -> dict:
    """``["key=value", ...]`` as a dict (values by :func:`parse_value`)."""
    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param: expected key=value; got {pair!r}")
        if key in params:
            raise UsageError(f"--param: {key} is given twice")
        params[key] = parse_value(value)
    return params


def make_hasher(spec, params: dict, *, bits: int | None = None, seed: int | None = None):
    """``spec``'s estimator with ``params``, validated before any data is read."""
    reserved = {"bits": "--bits", "random_state": "--seed", "word_vecs": "--word-vecs"}
    for key, option in reserved.items():
        if key in params:
            raise UsageError(f"--param: set {key} with {option}")
    names = set(spec.estimator._get_param_names())
    unknown = sorted(set(params) - names)
    if unknown:
        raise UsageError(f"--param: {spec.label} has no parameter {', '.join(unknown)}; its "
                         f"parameters are: {', '.join(sorted(names - set(reserved)))}")
    if bits is not None:
        params = {**params, "bits": bits}
    hasher = spec.make(random_state=seed, **params)
    try:
        hasher._validate_params()
    except ValueError as error:  # sklearn's InvalidParameterError
        raise UsageError(f"--param: {error}") from None
    return hasher


# -- input files -------------------------------------------------------------------------------


def existing_file(path: str | os.PathLike, option: str) -> Path:
    """``path`` as a Path, or a UsageError naming the option when there is no such file."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise UsageError(f"{option}: {str(path)!r} {what}")
    return path


def output_path(path: str | os.PathLike, option: str, suffixes: Sequence[str] = ()) -> Path:
    """An output path whose directory exists (checked before any work)."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{option}: {str(path)!r} must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise UsageError(f"{option}: {str(path)!r} is a directory")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"{option}: the directory of {str(path)!r} does not exist")
    return path


def read_features(path: str | os.PathLike, option: str, *, input_kind: str = "features",
                  n_features: int | None = None) -> np.ndarray:
    """Features of one modality, memory-mapped where the format allows.

    ``input_kind="patches"`` reads a 3-D ``(n, n_patches, d)`` array from ``.npy`` or
    ``.npz``; every other kind a 2-D matrix by :func:`zeroshash.datasets.load_vectors`.
    ``n_features`` (a fitted model's) is checked here, before any encoding.
    """
    from ..datasets import load_vectors

    path = existing_file(path, option)
    if input_kind == "patches":
        X = _read_patches(path, option)
    else:
        X = load_vectors(path, mmap=True)
    if X.shape[0] == 0:
        raise UsageError(f"{option}: {str(path)!r} holds no rows")
    if n_features is not None and X.shape[-1] != n_features:
        raise UsageError(f"{option}: {str(path)!r} has {X.shape[-1]} features per row; the "
                         f"model was fitted on {n_features}")
    return X


def _read_patches(path: Path, option: str) -> np.ndarray:
    if path.suffix.lower() not in (".npy", ".npz"):
        raise UsageError(f"{option}: patch features are read from a 3-D .npy or .npz array; "
                         f"got {str(path)!r}")
    if path.suffix.lower() == ".npy":
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    else:
        with np.load(path, allow_pickle=False) as npz:
            key = next((k for k in ("patches", "data", "X") if k in npz.files), None)
            if key is None:
                raise UsageError(f"{option}: {str(path)!r} has no 'patches', 'data' or 'X' "
                                 f"array (keys: {sorted(npz.files)})")
            X = npz[key]
    if X.ndim != 3:
        raise UsageError(f"{option}: patch features must be 3-D (n, n_patches, d); "
                         f"{str(path)!r} holds shape {X.shape}")
    return X


def read_labels(path: str | os.PathLike, option: str, n_rows: int | None = None) -> np.ndarray:
    """Labels, one per row of the features (checked against ``n_rows``)."""
    from ..datasets import load_labels

    path = existing_file(path, option)
    y = load_labels(path)
    if n_rows is not None and y.shape[0] != n_rows:
        raise UsageError(f"{option}: {str(path)!r} has {y.shape[0]} labels for {n_rows} rows "
                         "of features")
    return y


def read_word_vecs(path: str | os.PathLike | None, class_names: str | os.PathLike | None,
                   n_columns: int | None = None):
    """The ``word_vecs`` a fit takes, from ``--word-vecs`` and ``--class-names``.

    A file with a suffix of :data:`ARRAY_SUFFIXES` is a class x dim array: with
    ``class_names`` (one name per line, row ``i`` is name ``i``) it becomes a dict
    ``name -> vector``, which string labels -- or integer labels, when the names are
    integers -- pick their rows from; without, row ``c`` is integer label ``c``'s (or
    the rows follow the sorted labels: see :func:`zeroshash.semantics.class_embeddings`).
    Any other file is a word2vec / GloVe / fastText file looked up by class name.

    ``n_columns`` is given for multi-label labels (an indicator matrix of that many
    columns): an array then has one row per column, and a word-vector file is looked up
    by ``class_names``, which name the columns.
    """
    from ..datasets import load_labels, load_vectors

    if path is None:
        if class_names is not None:
            raise UsageError("--class-names names the rows of a --word-vecs array; "
                             "give --word-vecs too")
        return None
    path = existing_file(path, "--word-vecs")
    if n_columns is not None:
        return _multilabel_word_vecs(path, class_names, n_columns)
    if path.suffix.lower() not in ARRAY_SUFFIXES:
        if class_names is not None:
            raise UsageError(f"--class-names applies to an array file ({', '.join(ARRAY_SUFFIXES)}"
                             f"); {str(path)!r} is read as a word-vector file keyed by words")
        return path
    vectors = np.asarray(load_vectors(path, mmap=False))
    if class_names is None:
        return vectors
    names = load_labels(existing_file(class_names, "--class-names"))
    if names.shape[0] != vectors.shape[0]:
        raise UsageError(f"--class-names: {names.shape[0]} names for the {vectors.shape[0]} "
                         f"rows of {str(path)!r}")
    if np.unique(names).shape[0] != names.shape[0]:
        raise UsageError(f"--class-names: {str(class_names)!r} names a class twice")
    return {name.item(): row for name, row in zip(names, vectors)}


def _multilabel_word_vecs(path, class_names, n_columns: int) -> np.ndarray:
    """One vector per indicator column (see :func:`read_word_vecs`)."""
    from ..datasets import load_labels, load_vectors
    from ..semantics import class_embeddings

    names = None
    if class_names is not None:
        names = load_labels(existing_file(class_names, "--class-names"))
        if names.ndim != 1 or names.shape[0] != n_columns:
            raise UsageError(f"--class-names: {names.shape[0]} names for the {n_columns} "
                             "columns of the multi-label --labels")
    if path.suffix.lower() in ARRAY_SUFFIXES:
        vectors = np.asarray(load_vectors(path, mmap=False))
        if vectors.shape[0] != n_columns:
            raise UsageError(f"--word-vecs: {str(path)!r} has {vectors.shape[0]} rows; with "
                             f"multi-label --labels it needs one per column ({n_columns})")
        return vectors
    if names is None:
        raise UsageError("--word-vecs is a word-vector file looked up by class name: with "
                         "multi-label --labels, give --class-names (one name per column)")
    return class_embeddings(path, names)


# -- output ------------------------------------------------------------------------------------


def human_seconds(seconds: float) -> str:
    """``0.42 s``, ``12.3 s``, ``3 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = math.floor(seconds / 60)
    return f"{minutes} min {seconds - 60 * minutes:02.0f} s"


def _cells(row: dict, columns: Sequence[tuple[str, str, str]]) -> list[str]:
    return [format(row[key], fmt) for key, _, fmt in columns]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.rjust(w) for c, w in zip(cells, widths))


def _widths(cells: list[list[str]]) -> list[int]:
    return [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]


def format_table(rows: list[dict], columns: Sequence[tuple[str, str, str]]) -> str:
    """Plain-text table; ``columns`` holds (key, header, format) triples."""
    cells = [[header for _, header, _ in columns]]
    cells += [_cells(row, columns) for row in rows]
    widths = _widths(cells)
    lines = [_line(r, widths) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class RowPrinter:
    """:func:`format_table`'s layout printed a row at a time, each as soon as it comes.

    Widths come from the headers and a ``widest`` row of the longest values expected; a
    longer value (a fit over 99.99 s) widens its own row only.
    """

    def __init__(self, columns, widest: dict, file=None):
        self.columns = columns
        self.file = file
        header = [h for _, h, _ in columns]
        self.widths = _widths([header, _cells(widest, columns)])
        write_line(_line(header, self.widths), file=file)
        write_line("  ".join("-" * w for w in self.widths), file=file)

    def __call__(self, row: dict) -> None:
        write_line(_line(_cells(row, self.columns), self.widths), file=self.file)
