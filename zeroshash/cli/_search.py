"""``zeroshash index`` and ``zeroshash search``: Hamming indexes from the command line."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from .._progress import progress_bar, write_line
from ._common import UsageError, existing_file, output_path, read_labels
from ._model import DEFAULT_CHUNK, _load_model, encode_chunks, encoder, model_features

#: Queries searched at a time (results of one chunk are written before the next).
QUERY_CHUNK = 4096


def read_codes(path, option: str, bits: int | None = None) -> tuple[np.ndarray, int]:
    """Codes from a file and their length in bits.

    Packed codes (``encode``'s output, uint8 ``(n, ceil(bits/8))``) or raw 0/1 bits
    ``(n, bits)``. Without ``bits``, a uint8 array is packed codes of ``8 * width`` bits
    (as ``encode`` writes them) and any other dtype raw bits, one column a bit; the
    dtype decides, never the values.
    """
    from ..datasets import load_vectors

    codes = load_vectors(existing_file(path, option), mmap=True)
    if codes.shape[0] == 0:
        raise UsageError(f"{option}: {str(path)!r} holds no codes")
    if bits is None:
        bits = 8 * codes.shape[1] if codes.dtype == np.uint8 else codes.shape[1]
    return codes, bits


def run_index(args) -> int:
    out = output_path(args.output, "--output")
    if args.bits is not None and args.bits < 1:
        raise UsageError(f"--bits must be >= 1; got {args.bits}")
    codes, bits = read_codes(args.codes, "codes", args.bits)
    ids = None
    if args.ids is not None:
        ids = read_labels(args.ids, "--ids", n_rows=codes.shape[0])
        if not np.issubdtype(ids.dtype, np.integer):
            raise UsageError(f"--ids: {str(args.ids)!r} must hold integer ids, one per line")
    from ..hamming import HammingIndex

    index = HammingIndex(bits, method=args.method)
    index.add(codes, ids=ids)
    index.save(out)
    write_line(f"indexed {len(index)} codes of {bits} bits ({args.method}); written to {out}",
               file=sys.stderr)
    return 0


def _queries(args, bits: int) -> np.ndarray:
    """Packed query codes: read from a codes file, or encoded with ``--model``."""
    if args.model is None:
        if args.side != "database":
            raise UsageError("--side chooses a model's encoder: give --model too")
        codes = read_codes(args.queries, "queries", bits)[0]
        if codes.dtype.kind == "f" and np.any((codes != 0) & (codes != 1)):
            raise UsageError(f"queries: {str(args.queries)!r} holds real-valued features, not "
                             "codes; give --model to encode them")
        return codes
    model = _load_model(args.model, "--model")
    if model.bits != bits:
        raise UsageError(f"--model makes {model.bits}-bit codes; the index holds {bits}-bit "
                         "codes")
    encode = encoder(model, args.side)
    X = model_features(args.queries, "queries", model, args.side)
    codes = np.empty((X.shape[0], -(-bits // 8)), dtype=np.uint8)
    encode_chunks(encode, X, DEFAULT_CHUNK, codes, "encode queries")
    return codes


def _check_output(path) -> Path | None:
    if path is None:
        return None
    return output_path(path, "--output", suffixes=(".npz", ".csv"))


def run_search(args) -> int:
    if (args.k is None) == (args.radius is None):
        raise UsageError("give one of -k (nearest neighbours) or --radius (range search)")
    if args.k is not None and args.k < 1:
        raise UsageError(f"-k must be >= 1; got {args.k}")
    if args.radius is not None and args.radius < 0:
        raise UsageError(f"--radius must be >= 0; got {args.radius}")
    out = _check_output(args.output)
    from ..hamming import HammingIndex

    index = HammingIndex.load(existing_file(args.index, "index"))
    queries = _queries(args, index.bits)
    n = queries.shape[0]
    with progress_bar(total=n, desc="search", unit="query", unit_scale=True) as bar:
        if args.k is not None:
            distances = np.empty((n, args.k), dtype=np.int32)
            ids = np.empty((n, args.k), dtype=np.int64)
            for start in range(0, n, QUERY_CHUNK):
                stop = min(n, start + QUERY_CHUNK)
                distances[start:stop], ids[start:stop] = index.search(
                    np.asarray(queries[start:stop]), args.k)
                bar.update(stop - start)
            result = {"distances": distances, "ids": ids}
        else:
            parts, offset, lims = [], 0, [np.zeros(1, dtype=np.int64)]
            for start in range(0, n, QUERY_CHUNK):
                stop = min(n, start + QUERY_CHUNK)
                chunk_lims, chunk_d, chunk_i = index.range_search(
                    np.asarray(queries[start:stop]), args.radius)
                lims.append(chunk_lims[1:].astype(np.int64) + offset)
                offset += int(chunk_lims[-1])
                parts.append((chunk_d, chunk_i))
                bar.update(stop - start)
            result = {
                "lims": np.concatenate(lims),
                "distances": np.concatenate([d for d, _ in parts]).astype(np.int32, copy=False),
                "ids": np.concatenate([i for _, i in parts]).astype(np.int64, copy=False),
            }
    _write_results(result, out)
    return 0


def _csv_rows(result: dict) -> tuple[list[str], np.ndarray]:
    """Header and an int64 table: (query, rank, id, distance) or (query, id, distance)."""
    if "lims" in result:
        counts = np.diff(result["lims"])
        query = np.repeat(np.arange(counts.shape[0]), counts)
        return ["query", "id", "distance"], np.column_stack(
            [query, result["ids"], result["distances"]])
    n, k = result["ids"].shape
    found = result["ids"] >= 0  # missing slots (k beyond the index) are left out
    query, rank = np.nonzero(found)
    return ["query", "rank", "id", "distance"], np.column_stack(
        [query, rank, result["ids"][found], result["distances"][found]])


def _write_csv(fh, header: list[str], table: np.ndarray) -> None:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(header)
    for start in range(0, table.shape[0], 65536):
        writer.writerows(table[start:start + 65536].tolist())


def _write_results(result: dict, out: Path | None) -> None:
    """To ``.npz`` (the arrays), ``.csv`` (one row a hit) or, with no path, CSV on stdout."""
    header, table = _csv_rows(result)
    if out is None:
        _write_csv(sys.stdout, header, table)
        sys.stdout.flush()
        return
    with atomic_write(out) as fh:
        if out.suffix.lower() == ".npz":
            np.savez(fh, **result)
        else:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            _write_csv(text, header, table)
            text.flush()
            text.detach()
    hits = table.shape[0]
    write_line(f"{hits} results for {_n_queries(result)} queries written to "
               f"{os.fspath(out)}", file=sys.stderr)


def _n_queries(result: dict) -> int:
    return result["lims"].shape[0] - 1 if "lims" in result else result["ids"].shape[0]
