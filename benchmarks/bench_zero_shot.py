"""Zero-shot quality, per split: DoubleBitHasher against PCAH, ITQ and the published ZSH.

Usage:  python benchmarks/bench_zero_shot.py [--seeds 0 1 2 3 4] [--bits 16 32 64]
        python benchmarks/bench_zero_shot.py --quick    # seed 0, 16 bits, animals: a smoke run

Part 1, the ZSH protocol: on each embedded dataset and seed, 3 unseen classes
(``zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)``), 100 queries per
unseen class, the database all other images, training on its seen-class images.
Printed per method and code length: unseen-class mAP@all of every split, the mean,
precision within Hamming radius 2 (mean), and for DBQ the number of splits where it
beats both ITQ and PCAH. Then, for the inductive methods, what a radius-2 hash lookup
returns (``zeroshash.diagnostics.radius_lookup_profile``, means over the splits): the
share of queries that find nothing within radius 2, the median number of items found,
the precision over the queries that find something, and precision@100 (the same
number of items for every method).

Part 2, the generalised setting: the same seeds with 50 images of each seen class
held out of training and of the database as seen-class queries
(``n_seen_query_per_class=50``); mAP@all for unseen-class queries, seen-class
queries, and both together (``zeroshash.diagnostics.seen_unseen_retrieval``).

Methods: the registered ``PCAH``, ``ITQ``, ``ZSH`` and ``DBQ`` (``zeroshash.get_hasher``,
at their defaults, ``random_state=seed`` where they take one): ``ZSH`` is the
published configuration (its defaults) with the class word vectors (the others are
fitted without them); ``DBQ`` is ``DoubleBitHasher()`` (its defaults: within-class
whitened directions learned on the seen classes, ITQ rotation, two bits per
direction). Extra rows: ``DBQ-pca``, ``DoubleBitHasher(within_class_reg=None)``, the
unsupervised option (principal directions); ``DBQ-T``, the **transductive** option
``DoubleBitHasher(unlabeled_label=-1)`` fitted on the whole database, its seen-class
images labelled and its other images (the unseen classes' database images) marked -1:
the codes then depend on the collection being indexed, so it is compared with the
same transductive use of the unsupervised baselines, ``PCAH-T`` and ``ITQ-T`` (fitted
on the whole database): its ``wins`` column counts splits where it beats both. The
queries are never used in any fit. How the defaults were chosen:
``benchmarks/select_zero_shot.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from zeroshash import DoubleBitHasher, get_hasher
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.diagnostics import radius_lookup_profile, seen_unseen_retrieval
from zeroshash.metrics import map_definition, precision_at_n, retrieval_scores
from zeroshash.model_selection import zero_shot_retrieval_split

LOADERS = {"animals": load_animals, "fashion": load_fashion}


#: The registered methods compared (registry labels); the variants below are extra rows.
REGISTERED = ("PCAH", "ITQ", "ZSH", "DBQ")


def hashers(seed):
    rows = {label: get_hasher(label).make(random_state=seed) for label in REGISTERED}
    return {
        **rows,
        "DBQ-pca": DoubleBitHasher(within_class_reg=None, random_state=seed),
        "PCAH-T": get_hasher("PCAH").make(random_state=seed),
        "ITQ-T": get_hasher("ITQ").make(random_state=seed),
        "DBQ-T": DoubleBitHasher(unlabeled_label=-1, random_state=seed),
    }


def fit(method, hasher, X, y, split, word_vecs):
    """Inductive methods: the seen-class training images; ``-T``: the whole database."""
    if not method.endswith("-T"):
        word_vecs = word_vecs if hasher._uses_word_vecs else None  # ZSH's only
        return hasher.fit(X[split.train], y[split.train], word_vecs=word_vecs)
    labelled = np.isin(split.database, split.train)
    return hasher.fit(X[split.database], np.where(labelled, y[split.database], -1))


LOOKUP_METHODS = REGISTERED  # the inductive methods


def protocol_table(name, X, y, word_vecs, seeds, bits, bar):
    maps, prec, lookup = {}, {}, {}
    for seed in seeds:
        split = zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)
        for method, hasher in hashers(seed).items():
            for b in bits:
                bar.set_postfix(dataset=name, part="protocol", seed=seed, method=method, bits=b)
                model = fit(method, hasher.set_params(bits=b), X, y, split, word_vecs)
                query_codes = model.transform(X[split.query])
                db_codes = model.transform(X[split.database])
                labels = y[split.query], y[split.database]
                row = retrieval_scores(query_codes, db_codes, *labels, radius=2)
                if method in LOOKUP_METHODS:
                    profile = radius_lookup_profile(query_codes, db_codes, *labels, radius=2)
                    profile["p100"] = precision_at_n(query_codes, db_codes, *labels, n=100)
                    lookup.setdefault((method, b), []).append(profile)
                maps.setdefault((method, b), []).append(row["map"])
                prec.setdefault((method, b), []).append(row["precision_r"])
                bar.update()
    write_line(f"dataset: {name}, ZSH protocol, unseen-class mAP@all per split (seeds {seeds})")
    write_line(f"metric: {map_definition('map').describe()} (every query has relevant items); "
               "P@r2: precision within Hamming radius 2, a query retrieving nothing counts 0")
    write_line(f"{'method':<7} {'bits':>4} | " + " ".join(f"{'s' + str(s):>6}" for s in seeds)
               + f" | {'mean':>6} {'P@r2':>6} {'wins':>5}")
    for b in bits:
        for method in hashers(0):
            values = np.asarray(maps[method, b])
            suffix = "-T" if method.endswith("-T") else ""
            reference = np.maximum(maps["ITQ" + suffix, b], maps["PCAH" + suffix, b])
            wins = (f"{int(np.sum(values > reference))}/{len(seeds)}"
                    if method.startswith("DBQ") else "")
            write_line(f"{method:<7} {b:>4} | " + " ".join(f"{v:6.4f}" for v in values)
                       + f" | {values.mean():6.4f} {np.mean(prec[method, b]):6.3f} {wins:>5}")
        write_line("")
    write_line(f"dataset: {name}, radius-2 lookup, means over the splits")
    write_line(f"{'method':<7} {'bits':>4} | {'P@r2':>6} {'empty':>6} {'median n':>8} "
               f"{'P@r2 non-empty':>14} | {'P@100':>6}")
    for b in bits:
        for method in LOOKUP_METHODS:
            rows = lookup[method, b]

            def mean(key, rows=rows):
                return np.mean([r[key] for r in rows])

            nonempty = np.nanmean([r["precision_nonempty"] for r in rows])
            write_line(f"{method:<7} {b:>4} | {mean('precision'):6.3f} "
                       f"{mean('empty_fraction'):6.2f} {mean('retrieved_median'):8.0f} "
                       f"{nonempty:14.3f} | {mean('p100'):6.3f}")
        write_line("")


def generalised_table(name, X, y, word_vecs, seeds, bits, bar):
    scores = {}
    for seed in seeds:
        split = zero_shot_retrieval_split(y, n_unseen=3, n_seen_query_per_class=50,
                                          random_state=seed)
        for method, hasher in hashers(seed).items():
            for b in bits:
                bar.set_postfix(dataset=name, part="generalised", seed=seed, method=method,
                                bits=b)
                model = fit(method, hasher.set_params(bits=b), X, y, split, word_vecs)
                result = seen_unseen_retrieval(model, X, y, split)
                for part in ("unseen", "seen", "generalised"):
                    scores.setdefault((method, b, part), []).append(result[part]["map"])
                bar.update()
    write_line(f"dataset: {name}, generalised setting (50 held-out queries per seen class), "
               f"mAP@all, mean over seeds {seeds}")
    write_line(f"metric: {map_definition('map').describe()}")
    write_line(f"{'method':<7} " + " ".join(
        f"| {b:>2} bits: {'unseen':>6} {'seen':>6} {'all':>6}" for b in bits))
    for method in hashers(0):
        cells = [f"| {'':>8} " + " ".join(f"{np.mean(scores[method, b, part]):6.4f}"
                                           for part in ("unseen", "seen", "generalised"))
                 for b in bits]
        write_line(f"{method:<7} " + " ".join(cells))
    write_line("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--skip-generalised", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: seed 0, 16 bits, animals only")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.bits, args.datasets = [0], [16], ["animals"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}\n")
    start = time.perf_counter()
    parts = 1 if args.skip_generalised else 2
    n_fits = parts * len(args.datasets) * len(args.seeds) * len(hashers(0)) * len(args.bits)
    with progress_bar(total=n_fits, desc="bench_zero_shot", unit="fit") as bar:
        for name in args.datasets:
            bar.set_postfix(dataset=name)
            data = LOADERS[name]()
            X, y, word_vecs = data.data, data.target, data.class_vector_dict
            protocol_table(name, X, y, word_vecs, args.seeds, args.bits, bar)
            if not args.skip_generalised:
                generalised_table(name, X, y, word_vecs, args.seeds, args.bits, bar)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
