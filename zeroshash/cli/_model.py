"""``zeroshash fit``, ``encode`` and ``info``: model files from the command line."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import suppress
from pathlib import Path

import numpy as np

from .._progress import progress_bar, write_line
from ._common import (
    UsageError,
    existing_file,
    human_seconds,
    make_hasher,
    output_path,
    parse_params,
    read_features,
    read_labels,
    read_word_vecs,
    resolve_methods,
)

#: Rows encoded at a time: 8,192 x 1,280 float64 features are 84 MB.
DEFAULT_CHUNK = 8192


def run_fit(args) -> int:
    (spec,) = resolve_methods([args.method], option="--method")
    hasher = make_hasher(spec, parse_params(args.param), bits=args.bits, seed=args.seed)
    out = output_path(args.output, "--output")
    if spec.supervised and args.labels is None:
        raise UsageError(f"{spec.label} learns from labels: give --labels")
    if args.word_vecs is not None and not hasher._uses_word_vecs:
        raise UsageError(f"--word-vecs: {spec.label} does not use word vectors (those that do: "
                         "ZSH, BiBranch, PartAlign, CrossModal, Asymmetric, and DBQ with "
                         "--param semantic_share=...)")
    if args.query_features is not None and spec.input_kind != "two_modalities":
        raise UsageError(f"--query-features: {spec.label} learns one modality")
    X = read_features(args.features, "features", input_kind=spec.input_kind)
    y = None if args.labels is None else read_labels(args.labels, "--labels", X.shape[0])
    word_vecs = read_word_vecs(args.word_vecs, args.class_names,
                               n_columns=y.shape[1] if y is not None and y.ndim == 2 else None)
    fit_params = {}
    if args.query_features is not None:
        X_query = read_features(args.query_features, "--query-features")
        if X_query.shape[0] != X.shape[0]:
            raise UsageError(f"--query-features has {X_query.shape[0]} rows for {X.shape[0]} "
                             "rows of features (row i of each is the same item)")
        fit_params["X_query"] = np.asarray(X_query)
    start = time.perf_counter()
    if hasher._uses_word_vecs:
        hasher.fit(np.asarray(X), y, word_vecs=word_vecs, **fit_params)
    else:
        hasher.fit(np.asarray(X), y)
    seconds = time.perf_counter() - start
    from ..persistence import save_model

    save_model(hasher, out)
    classes = f", {len(hasher.classes_)} classes" if hasattr(hasher, "classes_") else ""
    write_line(f"fitted {spec.label} ({hasher.bits} bits) on {X.shape[0]} rows of "
               f"{X.shape[-1]} features{classes} in {human_seconds(seconds)}; "
               f"model written to {out}", file=sys.stderr)
    return 0


def _load_model(path, option: str = "model"):
    from ..persistence import load_model

    return load_model(existing_file(path, option))


def encoder(model, side: str, option: str = "--side"):
    """The function ``X -> packed codes`` for ``side`` ("database" or "query")."""
    if side == "query":
        if not hasattr(model, "encode_query"):
            raise UsageError(f"{option} query: {type(model).__name__} has one hash function "
                             "for both sides; leave out --side")
        return model.encode_query
    return model.encode


def model_features(path, option: str, model, side: str) -> np.ndarray:
    """Features to encode with ``model``: its input kind, its feature count checked first."""
    kind = "patches" if getattr(model, "_input_kind", "") == "patches" else "features"
    expected = model.n_query_features_in_ if side == "query" else model.n_features_in_
    return read_features(path, option, input_kind=kind, n_features=int(expected))


def encode_chunks(encode, X: np.ndarray, chunk: int, out: np.ndarray, desc: str) -> None:
    """``out[i] = encode(X[i])``, ``chunk`` rows at a time, with a bar on a terminal."""
    n = X.shape[0]
    with progress_bar(total=n, desc=desc, unit="row", unit_scale=True) as bar:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            out[start:stop] = encode(np.asarray(X[start:stop]))
            bar.update(stop - start)


def run_encode(args) -> int:
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be >= 1; got {args.chunk_size}")
    out = output_path(args.output, "--output", suffixes=(".npy",))
    model = _load_model(args.model)
    encode = encoder(model, args.side)
    X = model_features(args.features, "features", model, args.side)
    n, width = X.shape[0], -(-model.bits // 8)
    # Written in place of a temporary .npy beside the target, then moved onto it: a
    # failure leaves no partial file and an existing file unchanged.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.npy")
    try:
        codes = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, width))
        encode_chunks(encode, X, args.chunk_size, codes, "encode")
        codes.flush()
        del codes
        os.replace(tmp, out)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    write_line(f"encoded {n} rows into {model.bits}-bit codes ({width} bytes each); "
               f"written to {out}", file=sys.stderr)
    return 0


# -- info --------------------------------------------------------------------------------------


def file_info(path: Path) -> dict:
    """What a model or index file holds, checked (checksums verified)."""
    from ..hamming._io import MAGIC

    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == MAGIC:
        from ..hamming._io import VERSION, load_index

        data = load_index(path, mmap=True, verify=True)
        return {"file": str(path), "kind": "zeroshash Hamming index", "format_version": VERSION,
                "bits": data.bits, "items": int(data.ids.shape[0]), "method": data.method,
                "n_substrings": data.n_substrings or "automatic",
                "ids": (f"{int(data.ids.min())}..{int(data.ids.max())}" if data.ids.size
                        else "none"),
                "next_id": data.next_id, "bytes": path.stat().st_size}
    if head[:2] == b"PK":
        from ..persistence import load_model, read_manifest

        manifest = read_manifest(path)
        load_model(path)  # the whole check: checksum, members, parameters
        arrays = {a["name"]: a["shape"] for a in manifest["arrays"]}
        return {"file": str(path), "kind": "zeroshash model",
                "format_version": manifest["format_version"],
                "zeroshash_version": manifest["zeroshash_version"],
                "hasher": manifest["hasher"], "class": manifest["class"],
                "bits": manifest["params"].get("bits"),
                "n_features_in": manifest["attributes"].get("n_features_in_", {}).get("value"),
                "params": manifest["params"], "arrays": arrays,
                "bytes": path.stat().st_size}
    raise UsageError(f"{str(path)!r} is neither a zeroshash model file nor an index file")


def run_info(args) -> int:
    info = file_info(existing_file(args.file, "file"))
    if args.json:
        json.dump(info, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
        return 0
    width = max(len(key) for key in info)
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        write_line(f"{key.replace('_', ' '):<{width}}  {value}")
    return 0
