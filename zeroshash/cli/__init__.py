"""The ``zeroshash`` command (also ``python -m zeroshash``).

Subcommands::

    zeroshash fit FEATURES --labels L [--word-vecs W] --method NAME --bits N -o MODEL
    zeroshash encode MODEL FEATURES -o CODES.npy
    zeroshash index CODES.npy [--ids IDS] [--method auto|brute|mih] -o INDEX
    zeroshash search INDEX QUERIES (-k K | --radius R) [--model MODEL] [-o OUT.npz|.csv]
    zeroshash evaluate (--dataset NAME ... | --features F --labels L) [--json]
    zeroshash info FILE
    zeroshash bench [NAME [ARGS ...]]
    zeroshash demo

Input files: features and codes as ``.npy`` (memory-mapped), ``.npz``, ``.csv`` /
``.txt``, ``.fvecs`` / ``.bvecs`` / ``.ivecs``, ``.fbin`` / ``.u8bin`` / ``.i8bin``
(:func:`zeroshash.datasets.load_vectors`); labels and ids one per line in ``.txt`` /
``.csv``, or ``.npy`` (:func:`zeroshash.datasets.load_labels`). A mistake in the
arguments or the files is one line on stderr (``zeroshash: error: ...``) and exit
status 2; ``--verbose`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from ._common import UsageError, format_table, resolve_methods
from ._evaluate import DATASETS, DEMO_COLUMNS, DEMO_METHODS, MOSAIC_DATASETS

__all__ = ["DEMO_COLUMNS", "DEMO_METHODS", "format_table", "main"]

# Exceptions that report a user's mistake (bad file, bad value, bad parameter); any
# other exception is a bug and keeps its traceback.
_USER_ERRORS = (UsageError, ValueError, TypeError, OSError)


def _resolve_methods(methods: Sequence[str]) -> list:
    """The registry's specs for ``methods`` (a ValueError naming every unknown one)."""
    try:
        return resolve_methods(methods)
    except UsageError as error:
        raise ValueError(str(error)) from None


def _int_at_least(low: int):
    """An argparse type: an integer >= ``low``, else argparse's one-line error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}; got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_nonnegative_int = _int_at_least(0)


def _method_help() -> str:
    from .._registry import all_hashers

    return " ".join(spec.name for spec in all_hashers())


def _add_word_vec_options(parser) -> None:
    parser.add_argument(
        "--word-vecs", metavar="FILE",
        help="class word vectors: a word2vec / GloVe / fastText file looked up by class "
        "name, or a class x dim array (.npy .npz .csv .tsv .fvecs .fbin) whose row c is "
        "integer label c's, or whose rows --class-names names (with multi-label --labels: "
        "one row per column)")
    parser.add_argument("--class-names", metavar="FILE",
                        help="one class name per line: the names of the --word-vecs rows "
                        "(with multi-label --labels, of its columns)")


def _add_fit(sub, common) -> None:
    from ._model import run_fit

    p = sub.add_parser(
        "fit", parents=[common], help="fit a hasher on features and labels; write a model file",
        description="Fit a registered hasher and write it as a model file "
        "(zeroshash.save_model: arrays + JSON manifest, no pickle).")
    p.add_argument("features", help="features (n, d): .npy .npz .csv .txt .fvecs .bvecs .fbin")
    p.add_argument("--labels", metavar="FILE",
                   help="one label per row of the features (.txt/.csv one per line, or .npy); "
                   "multi-label: a 2-D 0/1 indicator .npy/.npz (n_rows, n_classes)")
    _add_word_vec_options(p)
    p.add_argument("--query-features", metavar="FILE",
                   help="CrossModal: the paired query-modality features (row i of each is "
                   "one item)")
    p.add_argument("--method", required=True, metavar="NAME",
                   help=f"a registered hasher, by name or label: {_method_help()}")
    p.add_argument("--bits", type=_positive_int, default=64, help="code length (default 64)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a hasher parameter, repeatable (values read as JSON: 3, 1e-3, true, "
                   "null; else text), e.g. --param semantic_ridge=1")
    p.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="the model file to write (.npz suggested)")
    p.set_defaults(handler=run_fit)


def _add_encode(sub, common) -> None:
    from ._model import DEFAULT_CHUNK, run_encode

    p = sub.add_parser(
        "encode", parents=[common], help="encode features into packed codes (.npy)",
        description="Encode features with a model file, in chunks (a memory-mapped .npy "
        "input is never read whole), into packed codes: uint8 (n, ceil(bits/8)), "
        "np.packbits order.")
    p.add_argument("model", help="a model file written by 'zeroshash fit' or save_model")
    p.add_argument("features", help="features to encode (any format 'fit' reads)")
    p.add_argument("-o", "--output", required=True, metavar="CODES.npy")
    p.add_argument("--side", choices=("database", "query"), default="database",
                   help="CrossModal: 'query' encodes the query modality (default database)")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK,
                   help=f"rows encoded at a time (default {DEFAULT_CHUNK})")
    p.set_defaults(handler=run_encode)


def _add_index(sub, common) -> None:
    from ._search import run_index

    p = sub.add_parser(
        "index", parents=[common], help="build a Hamming index file from codes",
        description="Build a HammingIndex over codes and write it (its own checksummed "
        "format; HammingIndex.load maps it).")
    p.add_argument("codes", help="packed codes (encode's .npy) or 0/1 bits, one row an item")
    p.add_argument("--ids", metavar="FILE",
                   help="one integer id per code (default 0, 1, 2, ...)")
    p.add_argument("--bits", type=int,
                   help="code length (default: 8 x the width for uint8 codes, as 'encode' "
                   "writes them; the number of columns for 0/1 bits of any other dtype); "
                   "give it for codes of a length that is not a multiple of 8, or for 0/1 "
                   "bits stored as uint8")
    p.add_argument("--method", choices=("auto", "brute", "mih"), default="auto",
                   help="brute-force scan, multi-index hashing, or auto: the faster of "
                   "the two per search and per query (all give the same results)")
    p.add_argument("-o", "--output", required=True, metavar="INDEX")
    p.set_defaults(handler=run_index)


def _add_search(sub, common) -> None:
    from ._search import run_search

    p = sub.add_parser(
        "search", parents=[common], help="k nearest neighbours or a radius search",
        description="Search an index with query codes, or with query features and "
        "--model. Output: .npz (k-NN: distances, ids (n, k); radius: lims, distances, ids "
        "as faiss's range_search), .csv (one row a hit), or CSV on stdout.")
    p.add_argument("index", help="an index file written by 'zeroshash index'")
    p.add_argument("queries", help="query codes, or query features with --model")
    p.add_argument("-k", type=int, help="neighbours per query")
    p.add_argument("--radius", type=int, help="every item within this Hamming distance")
    p.add_argument("--model", metavar="MODEL", help="encode the queries with this model first")
    p.add_argument("--side", choices=("database", "query"), default="database",
                   help="with --model, CrossModal: 'query' encodes the query modality")
    p.add_argument("-o", "--output", metavar="OUT", help=".npz or .csv (default: CSV on stdout)")
    p.set_defaults(handler=run_search)


def _add_protocol_options(p, *, methods_help: str) -> None:
    p.add_argument("--bits", nargs="+", type=_positive_int, default=[16, 32, 64])
    p.add_argument("--methods", nargs="+", default=list(DEMO_METHODS), metavar="METHOD",
                   help=methods_help)
    p.add_argument("--n-unseen", type=int, default=3, help="unseen classes (default 3)")
    p.add_argument("--queries-per-class", type=int, default=100,
                   help="queries drawn from each unseen class (default 100)")
    p.add_argument("--generalised", action="store_true",
                   help="the generalised setting: hold out images of each seen class as "
                   "queries too, and report unseen (U), seen (S), both (U+S) and the "
                   "harmonic mean of U and S (H)")
    p.add_argument("--seen-queries-per-class", type=int, metavar="N",
                   help="with --generalised: queries held out of each seen class (default: "
                   "--queries-per-class)")
    p.add_argument("--map", nargs="+", metavar="NAME",
                   help="mAP definitions to report (default: map map_tie_aware): "
                   "map (@all, ties in database order), map_tie_aware, map_zsh (the "
                   "published ZSH code's cat_apcal: top 10,000), map@1000, map@5000, any "
                   "map@K, or map@K/drop (queries with none relevant in the top K dropped)")


def _add_evaluate(sub, common) -> None:
    from ._evaluate import run_evaluate

    p = sub.add_parser(
        "evaluate", parents=[common], help="the zero-shot protocol on files or embedded data",
        description="Split by class (unseen classes' images are the queries; every other "
        "image the database; hashers fit on the seen-class database images), fit each "
        "method at each code length and print unseen-class mAP@all, tie-aware mAP@all and "
        "precision within a Hamming radius.")
    p.add_argument("--dataset", nargs="+", choices=(*DATASETS, *MOSAIC_DATASETS),
                   help="embedded datasets (default: animals fashion, unless --features is "
                   "given); the *-mosaics sets are multi-label (2x2 mosaics of the same "
                   "images, zeroshash.datasets.load_mosaics)")
    p.add_argument("--features", metavar="FILE", help="your features (n, d)")
    p.add_argument("--labels", metavar="FILE",
                   help="their labels, one per row (or a 2-D 0/1 multi-label indicator .npy)")
    _add_word_vec_options(p)
    p.add_argument("--patches", metavar="FILE",
                   help="PartAlign: patch features (n, n_patches, d) as .npy or .npz")
    p.add_argument("--query-features", metavar="FILE",
                   help="cross-modal retrieval: the queries' modality, row i paired with "
                   "--features row i")
    _add_protocol_options(p, methods_help="registered hashers by name or label (default: "
                          f"{' '.join(DEMO_METHODS)})")
    p.add_argument("--seeds", nargs="+", type=int, default=[0],
                   help="one split per seed; with several, the means follow (default 0)")
    p.add_argument("--radius", type=_nonnegative_int, default=2,
                   help="Hamming radius of the precision column (default 2)")
    p.add_argument("--json", action="store_true",
                   help="print the rows, means and metric definitions as JSON instead")
    p.set_defaults(handler=run_evaluate)


def _add_info(sub, common) -> None:
    from ._model import run_info

    p = sub.add_parser(
        "info", parents=[common], help="what a model or index file holds",
        description="Class, parameters, bits, items and format version of a model or index "
        "file, after checking it (checksums included).")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_info)


def _add_bench(sub, common) -> None:
    from ._bench import run_bench

    p = sub.add_parser(
        "bench", parents=[common], help="run a benchmark script of a source checkout",
        description="Run benchmarks/bench_NAME.py (or NAME.py) with the given arguments; "
        "without NAME, list them. The scripts are in the source repository, not the wheel.")
    p.add_argument("name", nargs="?", help="e.g. hamming, persistence, make_results")
    p.add_argument("script_args", nargs=argparse.REMAINDER,
                   help="passed to the script (e.g. --quick)")
    p.add_argument("--dir", help="the benchmarks folder (default ./benchmarks, then the "
                   "checkout the package was installed from)")
    p.add_argument("--list", action="store_true", help="list the scripts")
    p.set_defaults(handler=run_bench)


def _add_demo(sub, common) -> None:
    from ._evaluate import run_demo

    p = sub.add_parser(
        "demo", parents=[common],
        help="zero-shot retrieval on the embedded datasets, printing a results table",
        description="Train on seen classes, query with images of unseen classes, and "
        "print unseen-class mAP@all, precision within Hamming radius 2 and fit time.")
    p.add_argument("--dataset", nargs="+", choices=(*DATASETS, *MOSAIC_DATASETS),
                   default=list(DATASETS),
                   help="embedded datasets (default: animals fashion); the *-mosaics sets are "
                   "multi-label (zeroshash.datasets.load_mosaics)")
    from .._registry import all_hashers

    _add_protocol_options(p, methods_help="registered hashers by label or name, "
                          f"case-insensitive (default: {' '.join(DEMO_METHODS)}; any of: "
                          f"{' '.join(s.label for s in all_hashers())})")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=run_demo)


def _build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true",
                        help="on an error, print the traceback too")
    parser = argparse.ArgumentParser(
        prog="zeroshash",
        description="Zero-shot hashing: binary codes for unseen classes.")
    parser.add_argument("--version", action="version", version=f"zeroshash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_fit, _add_encode, _add_index, _add_search, _add_evaluate, _add_info,
                _add_bench, _add_demo):
        add(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zeroshash`` command; returns its exit status."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or argparse's one-line usage error
        return int(stop.code or 0)
    try:
        if hasattr(args, "methods"):
            resolve_methods(args.methods)  # before any data is read
        return args.handler(args)
    except BrokenPipeError:  # stdout closed early (`zeroshash search ... | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE
    except _USER_ERRORS as error:
        if args.verbose:
            traceback.print_exc()
        return _usage_error(error)
    except KeyboardInterrupt:
        print("zeroshash: interrupted", file=sys.stderr)
        return 130


def _usage_error(error: BaseException) -> int:
    """One line on stderr, argparse's form, and its exit status (2)."""
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    print(f"zeroshash: error: {message}", file=sys.stderr)
    return 2

