"""Command line: ``zeroshash demo`` (more subcommands join as the toolkit grows)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]

_DATASETS = ("animals", "fashion")


def _hashers(random_state: int) -> dict:
    from .hashers import DoubleBitHasher, ITQHasher, LSHHasher, PCAHasher, ZSHHasher

    return {
        "LSH": LSHHasher(random_state=random_state),
        "PCAH": PCAHasher(),
        "ITQ": ITQHasher(random_state=random_state),
        "ZSH": ZSHHasher(random_state=random_state),
        "DBQ": DoubleBitHasher(random_state=random_state),
    }


def format_table(rows: list[dict], columns: Sequence[tuple[str, str, str]]) -> str:
    """Plain-text table; ``columns`` holds (key, header, format) triples."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        cells.append([format(row[key], fmt) for key, _, fmt in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _demo(args) -> int:
    from . import datasets
    from .model_selection import evaluate, zero_shot_retrieval_split

    hashers = _hashers(args.seed)
    unknown = [m for m in args.methods if m not in hashers]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {sorted(hashers)}")
    chosen = {m: hashers[m] for m in args.methods}
    rows = []
    for name in args.dataset:
        data = getattr(datasets, f"load_{name}")()
        split = zero_shot_retrieval_split(
            data.target,
            n_unseen=args.n_unseen,
            n_query_per_class=args.queries_per_class,
            random_state=args.seed,
        )
        unseen = ", ".join(str(data.target_names[c]) for c in split.unseen_classes)
        print(
            f"{name}: {data.data.shape[0]} images, {data.data.shape[1]}-d CNN features; "
            f"unseen classes: {unseen}; {len(split.query)} queries, "
            f"{len(split.database)} database items, {len(split.train)} training images",
            flush=True,
        )
        for row in evaluate(
            chosen, data.data, data.target, split, bits=args.bits,
            word_vecs=data.class_vector_dict, radius=2,
        ):
            rows.append({"dataset": name, **row})
    print()
    print(
        format_table(
            rows,
            [
                ("dataset", "dataset", "s"),
                ("method", "method", "s"),
                ("bits", "bits", "d"),
                ("map", "unseen mAP@all", ".4f"),
                ("map_tie_aware", "tie-aware", ".4f"),
                ("precision_r", "P@r<=2", ".4f"),
                ("fit_seconds", "fit s", ".2f"),
            ],
        )
    )
    return 0


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="zeroshash", description="Zero-shot hashing: binary codes for unseen classes."
    )
    parser.add_argument("--version", action="version", version=f"zeroshash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="zero-shot retrieval on the embedded datasets, printing a results table",
        description="Train on seen classes, query with images of unseen classes, and "
        "print unseen-class mAP@all, precision within Hamming radius 2 and fit time.",
    )
    demo.add_argument("--dataset", nargs="+", choices=_DATASETS, default=list(_DATASETS))
    demo.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    demo.add_argument("--methods", nargs="+", default=["LSH", "PCAH", "ITQ", "ZSH", "DBQ"])
    demo.add_argument("--n-unseen", type=int, default=3, help="unseen classes (default 3)")
    demo.add_argument("--queries-per-class", type=int, default=100)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zeroshash`` command."""
    args = _build_parser().parse_args(argv)
    if any(b < 1 for b in getattr(args, "bits", [1])):
        print("zeroshash: error: --bits values must be >= 1", file=sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
