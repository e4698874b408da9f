"""Regenerate benchmarks/RESULTS.md and its figures (benchmarks/figures/*.png) in one command.

Usage:  python benchmarks/make_results.py                # 2 datasets, seeds 0-4, 16/32/64 bits
        python benchmarks/make_results.py --quick        # animals, seed 0, 16 bits: a smoke run
        python benchmarks/make_results.py --quick --out DIR

What is measured (written out again in RESULTS.md):

* Table: on both embedded datasets, the ZSH protocol
  (``zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=seed)``)
  for each seed, the demo's methods (registry labels LSH PCAH ITQ ZSH DBQ, made by
  ``get_hasher(label).make(random_state=seed)``; ZSH gets the class word vectors
  ``data.class_vector_dict``) at each code length: unseen-class mAP@all (ties by
  database position), tie-aware mAP@all and precision within Hamming radius 2, as the
  mean and the range over the splits.
* Figures: mAP against code length (both datasets side by side); precision--recall
  curves by Hamming radius and by rank at 32 bits on animals (seed 0, the five methods);
  Hamming-distance histograms of relevant and irrelevant pairs, seen-class against
  unseen-class queries, for DBQ and ITQ at 32 bits on animals (seed 0, generalised
  setting: 50 images of each seen class held out of training and of the database as
  seen-class queries).

Nothing is written until everything is computed and drawn; then each file replaces its
old version atomically. Without ``--out``, RESULTS.md goes to benchmarks/ and the figures
to benchmarks/figures/ (``--quick``: a new temporary directory, printed); with ``--out
DIR``, DIR/RESULTS.md and DIR/figures/.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import zeroshash
from zeroshash import get_hasher
from zeroshash._atomic import atomic_write
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.model_selection import evaluation_rows, zero_shot_retrieval_split

HERE = Path(__file__).resolve().parent
LOADERS = {"animals": load_animals, "fashion": load_fashion}
METHODS = ("LSH", "PCAH", "ITQ", "ZSH", "DBQ")
HISTOGRAM_METHODS = ("DBQ", "ITQ")
N_UNSEEN, N_QUERY_PER_CLASS, N_SEEN_QUERY_PER_CLASS, RADIUS = 3, 100, 50, 2
DPI = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="animals, seed 0, 16 bits; output to a temporary directory "
                        "unless --out is given")
    parser.add_argument("--out", type=Path, default=None,
                        help="write DIR/RESULTS.md and DIR/figures/*.png")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.seeds, args.bits = ("animals",), (0,), (16,)
    else:
        args.datasets, args.seeds, args.bits = tuple(LOADERS), tuple(range(5)), (16, 32, 64)
    # The single-split figures: 32 bits where measured, else the first code length.
    args.figure_bits = 32 if 32 in args.bits else args.bits[0]
    return args


def make(label: str, seed: int, bits: int):
    return get_hasher(label).make(random_state=seed).set_params(bits=bits)


def fit(label: str, seed: int, bits: int, data, train: np.ndarray):
    """A hasher fitted on the ``train`` rows; word vectors for the methods that use them."""
    spec = get_hasher(label)
    word_vecs = data.class_vector_dict if spec.uses_word_vecs else None
    return make(label, seed, bits).fit(data.data[train], data.target[train], word_vecs=word_vecs)


# -- computation ----------------------------------------------------------------------------
def protocol_rows(args, datasets: dict) -> list[dict]:
    """evaluate's rows for every dataset, seed, method and code length (with their keys)."""
    rows = []
    total = len(datasets) * len(args.seeds) * len(METHODS) * len(args.bits)
    with progress_bar(total=total, desc="protocol", unit="fit") as bar:
        for name, data in datasets.items():
            for seed in args.seeds:
                split = zero_shot_retrieval_split(data.target, n_unseen=N_UNSEEN,
                                                  n_query_per_class=N_QUERY_PER_CLASS,
                                                  random_state=seed)
                for label in METHODS:
                    bar.set_postfix(dataset=name, seed=seed, method=label)
                    hasher = {label: get_hasher(label).make(random_state=seed)}
                    for row in evaluation_rows(hasher, data.data, data.target, split,
                                               bits=args.bits, word_vecs=data.class_vector_dict,
                                               radius=RADIUS):
                        rows.append({"dataset": name, "seed": seed, **row})
                        bar.update()
            write_line(f"{name}: {len(args.seeds)} splits measured", file=sys.stderr)
    return rows


def figure_bytes(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def map_figure(rows: list[dict], datasets: dict) -> bytes:
    import matplotlib.pyplot as plt

    from zeroshash.plotting import CodeLengthCurveDisplay

    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 4.2),
                             squeeze=False, sharey=True, layout="constrained")
    for ax, name in zip(axes[0], datasets):
        CodeLengthCurveDisplay.from_evaluation([r for r in rows if r["dataset"] == name],
                                               metric="map", ax=ax, band_kwargs={"alpha": 0.1})
        n_splits = len({r["seed"] for r in rows if r["dataset"] == name})
        ax.set_title(f"{name}: mean, band min-max over {n_splits} split(s)")
        ax.grid(alpha=0.3)
        ax.get_legend().remove()
    for ax in axes[0, 1:]:
        ax.set_ylabel("")
    # One legend for both panels, below them, so that no band is hidden.
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
               ncol=len(METHODS))
    return figure_bytes(fig)


def pr_figure(args, data) -> bytes:
    import matplotlib.pyplot as plt

    from zeroshash.plotting import PrecisionRecallDisplay

    seed, bits = args.seeds[0], args.figure_bits
    split = zero_shot_retrieval_split(data.target, n_unseen=N_UNSEEN,
                                      n_query_per_class=N_QUERY_PER_CLASS, random_state=seed)
    fig, (by_radius, by_rank) = plt.subplots(1, 2, figsize=(11, 4.8))
    X, y = data.data, data.target
    for label in METHODS:
        model = fit(label, seed, bits, data, split.train)
        for ax, by in ((by_radius, "radius"), (by_rank, "rank")):
            PrecisionRecallDisplay.from_estimator(
                model, X[split.query], y[split.query], X[split.database], y[split.database],
                by=by, name=label, ax=ax)
    n_db = len(split.database)
    by_radius.set_title(f"by Hamming radius 0..{bits} (items within the radius)")
    by_rank.set_title(f"by rank: top N of the Hamming ranking, N = 1..{n_db}")
    for ax in (by_radius, by_rank):
        ax.grid(alpha=0.3)
    fig.suptitle(f"animals, {bits} bits, seed {seed}: unseen-class queries "
                 "(legend: tie-aware mAP@all)")
    return figure_bytes(fig)


def histogram_figure(args, data) -> tuple[bytes, dict]:
    import matplotlib.pyplot as plt

    from zeroshash.plotting import HammingDistanceDisplay

    seed, bits = args.seeds[0], args.figure_bits
    split = zero_shot_retrieval_split(data.target, n_unseen=N_UNSEEN,
                                      n_query_per_class=N_QUERY_PER_CLASS,
                                      n_seen_query_per_class=N_SEEN_QUERY_PER_CLASS,
                                      random_state=seed)
    queries = np.concatenate([split.seen_query, split.query])
    X, y = data.data, data.target
    fig, axes = plt.subplots(len(HISTOGRAM_METHODS), 2, figsize=(11, 3.8 * len(HISTOGRAM_METHODS)),
                             sharey=True, layout="constrained")
    means = {}
    for row, label in zip(axes, HISTOGRAM_METHODS):
        model = fit(label, seed, bits, data, split.train)
        display = HammingDistanceDisplay.from_estimator(
            model, X[queries], y[queries], X[split.database], y[split.database],
            seen_classes=split.seen_classes, name=f"{label} {bits} bits", ax=row)
        levels = np.arange(bits + 1)
        for panel, kind in enumerate(("seen", "unseen")):
            rel, irr = display.relevant_counts[panel], display.irrelevant_counts[panel]
            means[label, kind] = (levels @ rel / rel.sum(), levels @ irr / irr.sum())
    fig.suptitle(f"animals, seed {seed}: Hamming distances from queries to database items")
    info = {"split": split, "n_seen_query": len(split.seen_query),
            "n_unseen_query": len(split.query), "n_database": len(split.database),
            "n_train": len(split.train), "means": means}
    return figure_bytes(fig), info


# -- the report -----------------------------------------------------------------------------
def git_commit() -> str:
    """HEAD, and the package or script files that differ from it (if any)."""
    def git(*arguments):
        return subprocess.run(["git", *arguments], cwd=HERE.parent, capture_output=True,
                              text=True, check=True).stdout.rstrip("\n")

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        changed = git("status", "--porcelain", "--", "zeroshash", "benchmarks/make_results.py")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    if not changed:
        return f"`{head}`"
    files = ", ".join(line[3:] for line in changed.splitlines())
    return f"`{head}`, with uncommitted changes to: {files}"


def machine() -> str:
    """Platform, CPUs, versions and the load average (the machine may be shared)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        usable = os.cpu_count()
    return (f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} logical CPUs "
            f"({usable} usable by this process), Python {platform.python_version()}, "
            f"numpy {np.__version__}, zeroshash {zeroshash.__version__}; load average "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")


def cell(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ({min(values):.4f}–{max(values):.4f})"


def results_table(rows: list[dict], args) -> str:
    lines = ["| dataset | method | bits | mAP@all | tie-aware mAP@all | P@r<=2 |",
             "|---|---|---:|---|---|---|"]
    for name in args.datasets:
        for label in METHODS:
            for bits in args.bits:
                mine = [r for r in rows if (r["dataset"], r["method"], r["bits"])
                        == (name, label, bits)]
                lines.append(f"| {name} | {label} | {bits} | "
                             + " | ".join(cell([r[key] for r in mine])
                                          for key in ("map", "map_tie_aware", "precision_r"))
                             + " |")
    return "\n".join(lines)


def report(args, rows, datasets, hist_info, figures, seconds: float, command: str,
           context: dict) -> str:
    bits = args.figure_bits
    seeds = ", ".join(str(s) for s in args.seeds)
    unseen = {}
    for name, data in datasets.items():
        per_seed = []
        for seed in args.seeds:
            split = zero_shot_retrieval_split(data.target, n_unseen=N_UNSEEN,
                                              n_query_per_class=N_QUERY_PER_CLASS,
                                              random_state=seed)
            per_seed.append(f"{seed}: " + ", ".join(str(data.target_names[c])
                                                     for c in split.unseen_classes))
        unseen[name] = "; ".join(per_seed)
    unseen_text = "; ".join(f"{n} — {u}" for n, u in unseen.items())
    data = datasets["animals"]
    means = hist_info["means"]
    hist_lines = "\n".join(
        f"| {label} | {kind} | {means[label, kind][0]:.2f} | {means[label, kind][1]:.2f} |"
        for label in HISTOGRAM_METHODS for kind in ("seen", "unseen"))
    hist_unseen = ", ".join(str(data.target_names[c])
                            for c in hist_info["split"].unseen_classes)
    figure_links = "\n\n".join(f"![{title}](figures/{fname})" for fname, title in figures)
    return f"""# Results: zero-shot retrieval on the embedded datasets

Generated by `{command}` (`benchmarks/make_results.py`; do not edit by hand).

* Date: {context["date"]:%Y-%m-%d %H:%M} UTC (start of the run)
* Git commit: {context["commit"]}
* Machine: {context["machine"]}; at the end: load average {context["load_end"]}
* Run time: {seconds:.0f} s for everything below (on a shared machine this depends on
  the other load: see the load averages).

## Protocol

For each dataset ({", ".join(args.datasets)}; {", ".join(
        f"{n}: {d.data.shape[0]} images, {d.data.shape[1]}-d CNN features"
        for n, d in datasets.items())}) and each seed ({seeds}), the ZSH split
`zero_shot_retrieval_split(y, n_unseen={N_UNSEEN}, n_query_per_class={N_QUERY_PER_CLASS},
random_state=seed)`: {N_UNSEEN} of the {len(data.target_names)} classes are unseen;
{N_QUERY_PER_CLASS} random images of each unseen class are the queries; every other image
(seen and unseen classes) is the database, in a seeded random order; the hashers are
trained on the database's seen-class images only. Unseen classes per seed:
{unseen_text}.

Methods: the registry labels {", ".join(METHODS)}, each made by
`zeroshash.get_hasher(label).make(random_state=seed)` at its defaults with `bits` set;
ZSH (the only one of them that uses word vectors) is fitted with the class word vectors
`data.class_vector_dict`. Rows come from `zeroshash.model_selection.evaluation_rows`.

## Metrics

All over the unseen-class queries, the database ranked by Hamming distance to each query:

* **mAP@all**: mean over queries of average precision over the whole ranked database
  (cut-off: all; relevant = same class), distance ties broken by database position.
* **tie-aware mAP@all**: the same with each query's AP averaged over all orders of the
  items tied at a distance (He, Cakir, Bargal & Sclaroff, CVPR 2018).
* **P@r<=2**: mean over queries of the precision of the items within Hamming distance
  {RADIUS}; a query with no item within radius {RADIUS} counts 0.

Every query has relevant items (its class is in the database), so no query is dropped
or scored 0 for want of one. In `zeroshash.metrics.MAP_DEFINITIONS` these are `map` and
`map_tie_aware`; the published ZSH code's `cat_apcal` (`map_zsh`, top 10,000) equals
`map` on these databases of 3,700 items.

Each cell: mean over the {len(args.seeds)} split(s) (min–max over the splits).

{results_table(rows, args)}

## Figures

* `figures/{figures[0][0]}`: the mAP@all column above (ties by database position)
  against the code length, one panel per dataset; the line is the mean over the splits,
  the band spans the minimum to the maximum.
* `figures/{figures[1][0]}`: precision–recall curves on animals, {bits} bits, seed
  {args.seeds[0]} (`PrecisionRecallDisplay`): left, one point per Hamming radius 0..{bits}
  (items within the radius retrieved; precision 0 for a query that retrieves nothing, so
  the curves start low where small radii find nothing); right, one point per rank
  cut-off N (the top N of the ranking, ties by database position; about 100 values of N
  from 1 to the database size). Legend: tie-aware mAP@all.
* `figures/{figures[2][0]}`: histograms of the Hamming distances from queries to
  relevant (same class) and to irrelevant database items, each normalised to sum to 1
  (`HammingDistanceDisplay`), for {" and ".join(HISTOGRAM_METHODS)} at {bits} bits on
  animals. What was done: the split of seed {args.seeds[0]} with
  `n_seen_query_per_class={N_SEEN_QUERY_PER_CLASS}` (the generalised setting of README.md):
  besides the {hist_info["n_unseen_query"]} unseen-class queries ({hist_unseen}),
  {N_SEEN_QUERY_PER_CLASS} random images of each of the
  {len(hist_info["split"].seen_classes)} seen classes
  ({hist_info["n_seen_query"]} seen-class queries) are held out of training and of the
  database. The hashers are trained on the remaining {hist_info["n_train"]} seen-class
  images; the database is the other {hist_info["n_database"]} images of all classes.
  Left panels: seen-class queries; right: unseen-class queries; every (query, database
  item) pair counted once. Mean distances:

| method | queries | mean distance to relevant items | to irrelevant items |
|---|---|---:|---:|
{hist_lines}

{figure_links}
"""


def main(argv=None) -> int:
    args = parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    command = "python benchmarks/make_results.py" + (" --quick" if args.quick else "")
    start = time.perf_counter()
    context = {"date": datetime.datetime.now(datetime.timezone.utc), "commit": git_commit(),
               "machine": machine()}
    datasets = {name: LOADERS[name]() for name in args.datasets}
    rows = protocol_rows(args, datasets)
    write_line("drawing the figures", file=sys.stderr)
    bits = args.figure_bits
    figures = [("map_vs_bits.png", map_figure(rows, datasets)),
               (f"pr_curves_animals_{bits}bits.png", pr_figure(args, datasets["animals"]))]
    hist_png, hist_info = histogram_figure(args, datasets["animals"])
    figures.append((f"hamming_histograms_animals_{bits}bits.png", hist_png))
    titles = ["mAP@all against code length",
              f"precision-recall curves, animals, {bits} bits",
              f"Hamming-distance histograms, animals, {bits} bits"]
    seconds = time.perf_counter() - start
    context["load_end"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text = report(args, rows, datasets, hist_info,
                  [(name, title) for (name, _), title in zip(figures, titles)], seconds, command,
                  context)

    # Everything computed: now the files, each replaced atomically.
    if args.out is not None:
        out = args.out
    elif args.quick:
        out = Path(tempfile.mkdtemp(prefix="zeroshash-results-"))
    else:
        out = HERE
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for name, png in figures:
        with atomic_write(out / "figures" / name) as fh:
            fh.write(png)
    with atomic_write(out / "RESULTS.md") as fh:
        fh.write(text.encode("utf-8"))
    write_line(f"wrote {out / 'RESULTS.md'} and {len(figures)} figures in {out / 'figures'} "
               f"({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
