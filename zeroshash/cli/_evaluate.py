"""``zeroshash demo`` and ``zeroshash evaluate``: the zero-shot protocol as a results table.

Both split each dataset as the ZSH paper does (:func:`zero_shot_retrieval_split`):
``n_unseen`` classes are unseen, ``queries_per_class`` images of each are the
queries, every other image is the database, and the hashers are fitted on the
seen-class database images only. ``demo`` runs on the embedded datasets with fixed
choices; ``evaluate`` takes the embedded datasets or the user's files, several seeds,
any radius, and writes JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar, write_line
from ._common import (
    RowPrinter,
    UsageError,
    read_features,
    read_labels,
    read_word_vecs,
    resolve_methods,
)

DATASETS = ("animals", "fashion")
#: The multi-label mosaic sets (``zeroshash.datasets.load_mosaics``), for ``evaluate``.
MOSAIC_DATASETS = ("animals-mosaics", "fashion-mosaics")
#: The demo's rows unless ``--methods`` says otherwise: registry labels (see
#: :func:`zeroshash.get_hasher`; any registered name or label is accepted).
DEMO_METHODS = ("LSH", "PCAH", "ITQ", "ZSH", "DBQ")

#: The mAP definitions of the tables unless ``--map`` says otherwise.
DEFAULT_MAPS = ("map", "map_tie_aware")
#: Column headers of the named mAP definitions; any other is headed by its name.
MAP_HEADERS = {"map": "unseen mAP@all", "map_tie_aware": "tie-aware"}
#: Headers of the generalised table: (unseen, seen, both, harmonic mean) per score.
PARTS = (("", "U"), ("_seen", "S"), ("_all", "U+S"), ("_h", "H"))


def metric_note(maps=DEFAULT_MAPS, radius: int = 2, generalised: bool = False) -> str:
    """How a table scores: every mAP definition, the precision column, the query sets."""
    return "; ".join(metric_lines(maps, radius, generalised))


def print_metric_note(maps, radius: int, generalised: bool) -> None:
    """The note under a table, one definition a line."""
    write_line("\nmetrics:")
    for line in metric_lines(maps, radius, generalised):
        write_line(f"  {line}")


def metric_lines(maps=DEFAULT_MAPS, radius: int = 2, generalised: bool = False) -> list:
    """The parts of :func:`metric_note`."""
    from ..metrics import map_definition

    parts = [map_definition(name).describe() for name in maps]
    parts.append(f"P@r<={radius}: precision of the items within Hamming radius {radius}, "
                 "a query retrieving nothing counts 0")
    if generalised:
        parts.append("U: unseen-class queries; S: held-out seen-class queries (out of "
                     "training and of the database); U+S: both together; H: harmonic mean "
                     "of U and S")
    parts.append("every query has relevant items (its class, or with multi-label data each "
                 "of its labels, is in the database)")
    return parts


#: How the demo's table scores, printed under it.
METRIC_NOTE = metric_note()


def _map_header(name: str, generalised: bool) -> str:
    if generalised:
        return {"map": "mAP@all", "map_tie_aware": "tie-aware"}.get(name, name)
    return MAP_HEADERS.get(name, name)


def demo_columns(radius: int = 2, maps=DEFAULT_MAPS, generalised: bool = False) -> tuple:
    """The table's (key, header, format) triples."""
    scores = [(name, _map_header(name, generalised)) for name in maps]
    scores.append(("precision_r", f"P@r<={radius}"))
    if generalised:
        columns = tuple((key + suffix, f"{header} {part}", ".4f")
                        for key, header in scores for suffix, part in PARTS)
    else:
        columns = tuple((key, header, ".4f") for key, header in scores)
    return (
        ("dataset", "dataset", "s"),
        ("method", "method", "s"),
        ("bits", "bits", "d"),
        *columns,
        ("fit_seconds", "fit s", ".2f"),
    )


DEMO_COLUMNS = demo_columns(2)


@dataclass
class Problem:
    """One dataset to score: features (per input kind), labels, class vectors."""

    name: str
    X: np.ndarray
    y: np.ndarray
    word_vecs: object
    patches: np.ndarray | None = None
    X_query: np.ndarray | None = None
    class_names: np.ndarray | None = None
    kind: str = "features"

    def inputs(self, spec):
        """``(X, X_query)`` for a registered hasher, or a UsageError naming what is missing."""
        if spec.input_kind == "patches":
            if self.patches is None:
                raise UsageError(f"{spec.label} reads patch features: give --patches")
            return self.patches, None
        return self.X, self.X_query

    def describe(self, split) -> str:
        names = self.class_names
        unseen = ", ".join(str(names[c]) if names is not None else str(c)
                           for c in split.unseen_classes)
        return (f"{self.name}: {self.X.shape[0]} images, {self.X.shape[1]}-d features; "
                f"unseen classes: {unseen}; {len(split.query)} queries"
                + (f" + {len(split.seen_query)} seen-class queries" if len(split.seen_query)
                   else "")
                + f", {len(split.database)} database items, {len(split.train)} training images")


def embedded_problem(name: str, specs) -> Problem:
    from .. import datasets

    if name in MOSAIC_DATASETS:
        needs_more = [spec.label for spec in specs if spec.input_kind == "patches"]
        if needs_more:
            raise UsageError(f"{', '.join(needs_more)} read(s) patch features, which the "
                             f"mosaic sets do not have")
        data = datasets.load_mosaics(name.split("-")[0])
        return Problem(name, data.data, data.target, data.class_vector_dict,
                       class_names=np.asarray(data.target_names), kind="CNN features")
    patches = any(spec.input_kind == "patches" for spec in specs)
    data = getattr(datasets, f"load_{name}")(patches=patches)
    return Problem(name, data.data, data.target, data.class_vector_dict,
                   patches=data.patches if patches else None,
                   class_names=np.asarray(data.target_names), kind="CNN features")


def file_problem(args, specs) -> Problem:
    features = read_features(args.features, "--features")
    labels = read_labels(args.labels, "--labels", n_rows=features.shape[0])
    word_vecs = read_word_vecs(args.word_vecs, args.class_names,
                               n_columns=labels.shape[1] if labels.ndim == 2 else None)
    patches = None
    if args.patches is not None:
        patches = read_features(args.patches, "--patches", input_kind="patches")
    elif any(spec.input_kind == "patches" for spec in specs):
        raise UsageError(f"{', '.join(s.label for s in specs if s.input_kind == 'patches')} "
                         "read(s) patch features: give --patches")
    X_query = None
    if args.query_features is not None:
        X_query = read_features(args.query_features, "--query-features")
    for extra, option in ((patches, "--patches"), (X_query, "--query-features")):
        if extra is not None and extra.shape[0] != features.shape[0]:
            raise UsageError(f"{option} has {extra.shape[0]} rows; --features has "
                             f"{features.shape[0]} (row i of each is the same item)")
    return Problem(str(args.features), np.asarray(features), labels, word_vecs,
                   patches=None if patches is None else np.asarray(patches),
                   X_query=None if X_query is None else np.asarray(X_query))


def _check_protocol(y: np.ndarray, n_unseen: int, per_class: int, name: str,
                    seen_per_class: int = 0) -> None:
    if y.ndim == 2:  # multi-label: images carrying each label
        counts = y.sum(axis=0)
        classes = np.flatnonzero(counts)
        counts = counts[classes]
    else:
        classes, counts = np.unique(y, return_counts=True)
    if n_unseen < 1 or n_unseen >= classes.shape[0]:
        raise UsageError(f"--n-unseen must lie in 1..{classes.shape[0] - 1} for {name} "
                         f"({classes.shape[0]} classes); got {n_unseen}")
    if per_class < 1:
        raise UsageError(f"--queries-per-class must be >= 1; got {per_class}")
    if seen_per_class < 0:
        raise UsageError(f"--seen-queries-per-class must be >= 1; got {seen_per_class}")
    if max(per_class, seen_per_class) >= counts.min():
        option = ("--queries-per-class" if per_class >= seen_per_class
                  else "--seen-queries-per-class")
        raise UsageError(f"{option} must be below the smallest class of {name} "
                         f"({counts.min()} images) to leave some in the database; "
                         f"got {max(per_class, seen_per_class)}")


def make_splits(problems: list[Problem], specs, seeds, *, n_unseen: int, per_class: int,
                seen_per_class: int = 0, announce: bool = True) -> list[tuple]:
    """``(problem, seed, split)`` for every dataset and seed, checked before any fit.

    ``seen_per_class > 0`` is the generalised setting: that many images of each seen
    class are held out as queries too.
    """
    from ..model_selection import zero_shot_retrieval_split

    splits = []
    for problem in problems:
        _check_protocol(problem.y, n_unseen, per_class, problem.name, seen_per_class)
        for spec in specs:
            problem.inputs(spec)  # refuse a missing input before any fit
        for seed in seeds:
            split = zero_shot_retrieval_split(problem.y, n_unseen=n_unseen,
                                              n_query_per_class=per_class,
                                              n_seen_query_per_class=seen_per_class,
                                              random_state=seed)
            if announce:
                prefix = f"seed {seed}: " if len(seeds) > 1 else ""
                write_line(prefix + problem.describe(split))
            splits.append((problem, seed, split))
    if announce:
        write_line("")
    return splits


def score(splits: list[tuple], specs, bits, *, radius: int, maps=DEFAULT_MAPS,
          on_row=None) -> list[dict]:
    """Every (dataset, seed, method, bits) row, each passed to ``on_row`` as it comes."""
    from ..model_selection import evaluation_rows

    rows = []
    total = len(splits) * len(specs) * len(bits)
    with progress_bar(total=total, desc="evaluate", unit="row") as bar:
        for problem, seed, split in splits:
            for spec in specs:
                bar.set_postfix(dataset=problem.name, method=spec.label)
                X, X_query = problem.inputs(spec)
                for row in evaluation_rows(
                    {spec.label: spec.make(random_state=seed)}, X, problem.y, split,
                    bits=bits, word_vecs=problem.word_vecs, radius=radius, X_query=X_query,
                    maps=maps,
                ):
                    row = {"dataset": problem.name, "seed": seed, **row}
                    rows.append(row)
                    if on_row is not None:
                        on_row(row)
                    bar.update()
    return rows


def _widest(problems, specs, bits, columns) -> dict:
    widest = {"dataset": max((p.name for p in problems), key=len),
              "method": max((spec.label for spec in specs), key=len), "bits": max(bits),
              "seed": 0, "fit_seconds": 99.99}
    return {key: widest.get(key, 1.0) for key, _, _ in columns}


def _protocol_choices(args) -> tuple:
    """``(maps, seen queries per class, generalised)`` from the options, checked."""
    from ..metrics import map_definition

    maps = tuple(getattr(args, "map", None) or DEFAULT_MAPS)
    try:
        maps = tuple(map_definition(name).name for name in maps)
    except ValueError as error:
        raise UsageError(f"--map: {error}") from None
    if len(set(maps)) != len(maps):
        raise UsageError(f"--map names a definition twice: {' '.join(maps)}")
    seen = args.seen_queries_per_class
    if seen is not None and not args.generalised:
        raise UsageError("--seen-queries-per-class goes with --generalised")
    if args.generalised:
        seen = args.queries_per_class if seen is None else seen
        if seen < 1:
            raise UsageError(f"--seen-queries-per-class must be >= 1; got {seen}")
    return maps, (seen or 0), bool(args.generalised)


def run_demo(args) -> int:
    specs = resolve_methods(args.methods)
    maps, seen, generalised = _protocol_choices(args)
    problems = [embedded_problem(name, specs) for name in args.dataset]
    splits = make_splits(problems, specs, [args.seed], n_unseen=args.n_unseen,
                         per_class=args.queries_per_class, seen_per_class=seen)
    columns = demo_columns(2, maps, generalised)
    printer = RowPrinter(columns, _widest(problems, specs, args.bits, columns))
    score(splits, specs, args.bits, radius=2, maps=maps, on_row=printer)
    print_metric_note(maps, 2, generalised)
    return 0


def _means(rows: list[dict], score_keys) -> list[dict]:
    """Mean of each score over the seeds, per (dataset, method, bits), first-seen order."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["method"], row["bits"]), []).append(row)
    keys = (*score_keys, "fit_seconds", "encode_seconds")
    return [{"dataset": d, "method": m, "bits": b, "splits": len(group),
             **{k: float(np.mean([r[k] for r in group])) for k in keys}}
            for (d, m, b), group in groups.items()]


def run_evaluate(args) -> int:
    specs = resolve_methods(args.methods)
    maps, seen, generalised = _protocol_choices(args)
    if args.features is None and args.labels is not None:
        raise UsageError("--labels goes with --features")
    if args.features is not None:
        if args.labels is None:
            raise UsageError("--features needs --labels (the protocol splits by class)")
        if args.dataset:
            raise UsageError("give either --dataset or --features, not both")
        problems = [file_problem(args, specs)]
    else:
        for option in ("word_vecs", "class_names", "patches", "query_features"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option.replace('_', '-')} goes with --features")
        problems = [embedded_problem(name, specs) for name in (args.dataset or DATASETS)]
    seeds = args.seeds
    columns = demo_columns(args.radius, maps, generalised)
    if len(seeds) > 1:
        columns = columns[:3] + (("seed", "seed", "d"),) + columns[3:]
    note = metric_note(maps, args.radius, generalised)
    quiet = args.json
    splits = make_splits(problems, specs, seeds, n_unseen=args.n_unseen,
                         per_class=args.queries_per_class, seen_per_class=seen,
                         announce=not quiet)
    printer = None if quiet else RowPrinter(columns, _widest(problems, specs, args.bits,
                                                             columns))
    rows = score(splits, specs, args.bits, radius=args.radius, maps=maps, on_row=printer)
    score_keys = [key for key in rows[0] if key not in
                  ("dataset", "seed", "method", "bits", "fit_seconds", "encode_seconds")]
    means = _means(rows, score_keys)
    if quiet:
        json.dump({"protocol": {"n_unseen": args.n_unseen,
                                "queries_per_class": args.queries_per_class,
                                "seen_queries_per_class": seen,
                                "seeds": list(seeds), "radius": args.radius,
                                "maps": list(maps)},
                   "metrics": note, "rows": rows, "means": means},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if len(seeds) > 1:
        from ._common import format_table

        mean_columns = (columns[:3] + (("splits", "splits", "d"),) + columns[4:])
        write_line(f"\nmeans over {len(seeds)} splits:")
        write_line(format_table(means, mean_columns))
    print_metric_note(maps, args.radius, generalised)
    return 0
