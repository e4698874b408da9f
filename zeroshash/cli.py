"""Command line: ``zeroshash demo`` (more subcommands join as the toolkit grows)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._progress import progress_bar, write_line

__all__ = ["main"]

_DATASETS = ("animals", "fashion")
#: The demo's rows unless ``--methods`` says otherwise: registry labels (see
#: :func:`zeroshash.get_hasher`; any registered name or label is accepted).
DEMO_METHODS = ("LSH", "PCAH", "ITQ", "ZSH", "DBQ")


def _resolve_methods(methods: Sequence[str]) -> list:
    """The registry's specs for ``methods``, in order; ValueError naming every unknown one."""
    from ._registry import all_hashers, get_hasher

    specs, unknown = [], []
    for method in methods:
        try:
            specs.append(get_hasher(method))
        except ValueError:
            unknown.append(method)
    if unknown:
        choices = " ".join(spec.label for spec in all_hashers())
        raise ValueError(f"--methods: unknown method(s) {' '.join(unknown)}; "
                         f"the registered hashers are: {choices}")
    return specs


#: The demo's table: (key, header, format) triples.
DEMO_COLUMNS = (
    ("dataset", "dataset", "s"),
    ("method", "method", "s"),
    ("bits", "bits", "d"),
    ("map", "unseen mAP@all", ".4f"),
    ("map_tie_aware", "tie-aware", ".4f"),
    ("precision_r", "P@r<=2", ".4f"),
    ("fit_seconds", "fit s", ".2f"),
)


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


class _RowPrinter:
    """:func:`format_table`'s layout printed a row at a time, each as soon as it comes.

    Widths come from the headers and a ``widest`` row of the longest values expected; a
    longer value (a fit over 99.99 s) widens its own row only.
    """

    def __init__(self, columns, widest: dict):
        self.columns = columns
        header = [h for _, h, _ in columns]
        self.widths = _widths([header, _cells(widest, columns)])
        write_line(_line(header, self.widths))
        write_line("  ".join("-" * w for w in self.widths))

    def __call__(self, row: dict) -> None:
        write_line(_line(_cells(row, self.columns), self.widths))


def _demo(args) -> int:
    from . import datasets
    from .model_selection import evaluation_rows, zero_shot_retrieval_split

    specs = _resolve_methods(args.methods)
    patches = any(spec.input_kind == "patches" for spec in specs)
    problems = []
    for name in args.dataset:
        data = getattr(datasets, f"load_{name}")(patches=patches)
        split = zero_shot_retrieval_split(
            data.target,
            n_unseen=args.n_unseen,
            n_query_per_class=args.queries_per_class,
            random_state=args.seed,
        )
        unseen = ", ".join(str(data.target_names[c]) for c in split.unseen_classes)
        write_line(
            f"{name}: {data.data.shape[0]} images, {data.data.shape[1]}-d CNN features; "
            f"unseen classes: {unseen}; {len(split.query)} queries, "
            f"{len(split.database)} database items, {len(split.train)} training images"
        )
        if patches:
            write_line(f"  ({', '.join(s.label for s in specs if s.input_kind == 'patches')}: "
                       f"{data.patches.shape[1]} patches of {data.patches.shape[2]}-d features)")
        problems.append((name, data, split))
    write_line("")
    widest = {"dataset": max(args.dataset, key=len),
              "method": max((spec.label for spec in specs), key=len), "bits": max(args.bits),
              "map": 1.0, "map_tie_aware": 1.0, "precision_r": 1.0, "fit_seconds": 99.99}
    print_row = _RowPrinter(DEMO_COLUMNS, widest)
    # On a terminal, a bar over all rows on stderr; each row prints as soon as measured.
    with progress_bar(total=len(problems) * len(specs) * len(args.bits), desc="demo",
                      unit="row") as bar:
        for name, data, split in problems:
            for spec in specs:
                bar.set_postfix(dataset=name, method=spec.label)
                # Patch-input hashers (PartAlign) read the 3x3 grid of patch features.
                X = data.patches if spec.input_kind == "patches" else data.data
                for row in evaluation_rows(
                    {spec.label: spec.make(random_state=args.seed)}, X, data.target, split,
                    bits=args.bits, word_vecs=data.class_vector_dict, radius=2,
                ):
                    print_row({"dataset": name, **row})
                    bar.update()
    return 0


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from ._registry import all_hashers

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
    demo.add_argument(
        "--methods", nargs="+", default=list(DEMO_METHODS), metavar="METHOD",
        help="registered hashers by label or name, case-insensitive (default: "
        f"{' '.join(DEMO_METHODS)}; any of: {' '.join(s.label for s in all_hashers())})",
    )
    demo.add_argument("--n-unseen", type=int, default=3, help="unseen classes (default 3)")
    demo.add_argument("--queries-per-class", type=int, default=100)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zeroshash`` command."""
    args = _build_parser().parse_args(argv)
    if any(b < 1 for b in getattr(args, "bits", [1])):
        return _usage_error("--bits values must be >= 1")
    try:
        _resolve_methods(getattr(args, "methods", ()))
    except ValueError as error:
        return _usage_error(str(error))
    return args.handler(args)


def _usage_error(message: str) -> int:
    """One line on stderr, argparse's form, and its exit status (2)."""
    print(f"zeroshash: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
