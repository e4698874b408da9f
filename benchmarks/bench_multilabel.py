"""Multi-label zero-shot retrieval on the mosaic sets; one set of codes under each mAP definition.

Usage:  python benchmarks/bench_multilabel.py [--seeds 0 1 2 3 4] [--bits 16 32 64]
        python benchmarks/bench_multilabel.py --quick    # seed 0, 32 bits, animals

Part 1, multi-label: on ``load_mosaics("animals")`` and ``load_mosaics("fashion")``
(2,000 mosaics of 2 x 2 embedded images each, labels = the union of the tiles'
classes; see their DESCR), for each seed ``zero_shot_retrieval_split(Y, n_unseen=3,
n_query_per_class=50, random_state=seed)`` on the 0/1 indicator matrix: 3 unseen
labels, 50 queries carrying each, the database every other mosaic, training on the
database mosaics that carry seen labels only. Relevant = sharing a label. Methods at
their registered defaults (``random_state=seed``): ``ZSH`` (with the class word
vectors; its semantic target is the mean of the sample's label vectors, as the
paper), ``SDH`` (regression onto the label indicator), ``DBQ`` (the flagship;
within-class scatter of a multi-label sample shared among its labels), ``ITQ`` and
``PCAH`` (unsupervised). Printed per dataset, method and code length: tie-aware
mAP@all of each split, the mean, and the mean precision within Hamming radius 2.

Part 2, evaluation variants: seed 0, 32 bits, on each single-label embedded dataset
(the ZSH protocol: 3 unseen classes, 100 queries per class) and each mosaic set, the
same codes scored under every named definition of ``zeroshash.metrics.MAP_DEFINITIONS``
plus ``map@100``, ``map@100/drop`` and ``map@1000/drop``. Each column's definition
(cut-off, denominator, tie rule, how a query with no relevant item counts) is printed
under the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

from zeroshash import get_hasher
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals, load_fashion, load_mosaics
from zeroshash.metrics import map_definition
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split

METHODS = ("PCAH", "ITQ", "SDH", "ZSH", "DBQ")
VARIANTS = ("map", "map_tie_aware", "map_zsh", "map@100", "map@100/drop", "map@1000",
            "map@1000/drop", "map@5000")


def _hashers(seed: int) -> dict:
    out = {}
    for label in METHODS:
        spec = get_hasher(label)
        out[label] = spec.make(random_state=seed)
    return out


def multilabel(datasets, seeds, bits) -> None:
    write_line("== Part 1: multi-label zero-shot retrieval on the mosaic sets")
    write_line("metric: tie-aware mAP@all (He et al., CVPR 2018; every query has a relevant "
               "item: a label it shares with the database), relevance = sharing a label; "
               "P@r<=2: precision within Hamming radius 2, a query retrieving nothing counts 0\n")
    for name in datasets:
        data = load_mosaics(name)
        rows = {}
        with progress_bar(total=len(seeds), desc=f"{name} mosaics", unit="split") as bar:
            for seed in seeds:
                split = zero_shot_retrieval_split(data.target, n_unseen=3, n_query_per_class=50,
                                                  random_state=seed)
                if seed == seeds[0]:
                    write_line(f"{name} mosaics: {len(split.query)} queries, "
                               f"{len(split.database)} database items, "
                               f"{len(split.train)} training mosaics (seed {seed}; "
                               f"unseen labels {split.unseen_classes.tolist()})")
                for row in evaluate(_hashers(seed), data.data, data.target, split, bits=bits,
                                    word_vecs=data.class_vector_dict,
                                    maps=("map_tie_aware",)):
                    rows.setdefault((row["method"], row["bits"]), []).append(row)
                bar.update()
        write_line(f"\n{'method':<6} {'bits':>4}  " + " ".join(f"{'s' + str(s):>6}" for s in seeds)
                   + f"  {'mean':>6}  {'P@r<=2':>6}")
        for n_bits in bits:
            best = max(np.mean([r["map_tie_aware"] for r in rows[(m, n_bits)]]) for m in METHODS)
            for method in METHODS:
                got = rows[(method, n_bits)]
                maps = [r["map_tie_aware"] for r in got]
                mark = " *" if np.mean(maps) == best else ""
                write_line(f"{method:<6} {n_bits:>4}  " + " ".join(f"{v:6.4f}" for v in maps)
                           + f"  {np.mean(maps):6.4f}  "
                           + f"{np.mean([r['precision_r'] for r in got]):6.4f}{mark}")
        write_line("(* best mean at that length)\n")


def variants(datasets) -> None:
    write_line("== Part 2: the same codes under each mAP definition (seed 0, 32 bits)")
    columns = VARIANTS
    write_line(f"{'data':<16} {'method':<6} " + " ".join(f"{c:>13}" for c in columns))
    problems = []
    for name in datasets:
        single = {"animals": load_animals, "fashion": load_fashion}[name]()
        problems.append((name, single.data, single.target, single.class_vector_dict,
                         dict(n_unseen=3, n_query_per_class=100)))
        mosaics = load_mosaics(name)
        problems.append((f"{name} mosaics", mosaics.data, mosaics.target,
                         mosaics.class_vector_dict, dict(n_unseen=3, n_query_per_class=50)))
    for label, X, y, word_vecs, protocol in problems:
        split = zero_shot_retrieval_split(y, random_state=0, **protocol)
        for row in evaluate(_hashers(0), X, y, split, bits=(32,), word_vecs=word_vecs,
                            maps=columns):
            write_line(f"{label:<16} {row['method']:<6} "
                       + " ".join(f"{row[c]:13.4f}" for c in columns))
    write_line("\ndefinitions:")
    for name in columns:
        write_line(f"  {map_definition(name).describe()}")
    write_line("  (databases: 3,700 single-label images, 1,850 mosaics: map_zsh and map@5000 rank "
               "the whole database, so they equal map)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--datasets", nargs="+", default=["animals", "fashion"],
                        choices=["animals", "fashion"])
    parser.add_argument("--quick", action="store_true", help="seed 0, 32 bits, animals")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.bits, args.datasets = [0], [32], ["animals"]
    write_line(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, numpy {np.__version__}; load average "
               f"{os.getloadavg()[0]:.2f} at start")
    multilabel(args.datasets, args.seeds, args.bits)
    variants(args.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
