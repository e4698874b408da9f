"""How DoubleBitHasher's defaults were chosen: cross-validation over seen classes only.

Usage:  python benchmarks/select_zero_shot.py [--seeds 0 1 2 3 4] [--bits 16 32 64]
        [--inner 6]
        python benchmarks/select_zero_shot.py --quick    # a smoke run (seconds)

For each embedded dataset and each outer split of the ZSH protocol
(``zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)``), only the split's
training images -- its 7 seen classes -- are used: ``--inner`` times, 2 of those
classes are drawn as pseudo-unseen (``zero_shot_retrieval_split(y_train, n_unseen=2,
random_state=...)``), each candidate is trained on the rest and scored by the
pseudo-unseen queries' mAP@all. The unseen test classes and queries are never read.

Printed per dataset and code length: each candidate's validation mAP (mean over
splits and inner draws), the candidate each outer split would pick, and -- for
reference only, not used to choose -- the picked candidate's test mAP on that split's
real unseen classes.

Candidates: ``ITQ`` (sign quantisation; ``DoubleBitHasher`` must beat it to earn its
place), ``DBQ-pca`` (principal directions, ``within_class_reg=None``) and
``DBQ-wc10`` ... ``DBQ-wc0.1`` (``within_class_reg`` 10, 3, 1, 0.3 and 0.1).

``--quick`` shrinks the run to a smoke test: seed 0, 16 bits, one inner draw, animals
only (its "chosen default" then means nothing).

The rule that picks the one default for every dataset and code length, printed last:
the DBQ candidate whose validation mAP beats ITQ's by the largest margin in its worst
(dataset, bits) cell -- the target is to beat the baselines everywhere, so the worst
cell is what counts (ties go to the larger mean validation mAP).
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
from zeroshash.metrics import mean_average_precision
from zeroshash.model_selection import zero_shot_retrieval_split

LOADERS = {"animals": load_animals, "fashion": load_fashion}


def candidates(seed, bits):
    return {
        "ITQ": get_hasher("ITQ").make(bits=bits, random_state=seed),
        "DBQ-pca": DoubleBitHasher(bits=bits, within_class_reg=None, random_state=seed),
        "DBQ-wc10": DoubleBitHasher(bits=bits, within_class_reg=10.0, random_state=seed),
        "DBQ-wc3": DoubleBitHasher(bits=bits, within_class_reg=3.0, random_state=seed),
        "DBQ-wc1": DoubleBitHasher(bits=bits, within_class_reg=1.0, random_state=seed),
        "DBQ-wc0.3": DoubleBitHasher(bits=bits, within_class_reg=0.3, random_state=seed),
        "DBQ-wc0.1": DoubleBitHasher(bits=bits, within_class_reg=0.1, random_state=seed),
    }


def unseen_map(hasher, X, y, split):
    hasher.fit(X[split.train], y[split.train])
    return mean_average_precision(hasher.transform(X[split.query]),
                                  hasher.transform(X[split.database]),
                                  y[split.query], y[split.database])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--inner", type=int, default=6, help="pseudo-unseen draws per split")
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: seed 0, 16 bits, 1 inner draw, animals only")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.bits, args.inner, args.datasets = [0], [16], 1, ["animals"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"seeds {args.seeds}, {args.inner} pseudo-unseen draws (2 of the 7 seen classes) "
          f"per split\n")
    start = time.perf_counter()
    cells = {}
    # Per candidate and outer split: one fit per inner draw, one on the outer split.
    n_fits = (len(args.datasets) * len(args.bits) * len(args.seeds)
              * len(candidates(0, args.bits[0])) * (args.inner + 1))
    with progress_bar(total=n_fits, desc="select_zero_shot", unit="fit") as bar:
        for name in args.datasets:
            bar.set_postfix(dataset=name)
            data = LOADERS[name]()
            X, y = data.data, data.target
            for bits in args.bits:
                val, test, picks = {}, {}, []
                for seed in args.seeds:
                    outer = zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)
                    X_seen, y_seen = X[outer.train], y[outer.train]
                    inner = [zero_shot_retrieval_split(y_seen, n_unseen=2,
                                                       random_state=10_000 + 100 * seed + j)
                             for j in range(args.inner)]
                    split_val = {}
                    for method, hasher in candidates(seed, bits).items():
                        bar.set_postfix(dataset=name, bits=bits, seed=seed, method=method)
                        inner_maps = []
                        for s in inner:
                            inner_maps.append(unseen_map(hasher, X_seen, y_seen, s))
                            bar.update()
                        split_val[method] = np.mean(inner_maps)
                        val.setdefault(method, []).append(split_val[method])
                        test.setdefault(method, []).append(unseen_map(hasher, X, y, outer))
                        bar.update()
                    picks.append(max(split_val, key=split_val.get))
                cells[name, bits] = {m: float(np.mean(v)) for m, v in val.items()}
                write_line(f"{name} {bits} bits: validation mAP (seen classes only) "
                           + ", ".join(f"{m} {np.mean(v):.4f}" for m, v in val.items()))
                picked_test = [test[m][i] for i, m in enumerate(picks)]
                write_line(f"{'':>{len(name) + 9}}per-split pick {picks}; its test mAP "
                           f"{np.mean(picked_test):.4f}; test mAP per candidate "
                           + ", ".join(f"{m} {np.mean(v):.4f}" for m, v in test.items()))
            write_line("")
    dbq = [m for m in next(iter(cells.values())) if m.startswith("DBQ")]
    margin = {m: min(c[m] - c["ITQ"] for c in cells.values()) for m in dbq}
    mean_val = {m: np.mean([c[m] for c in cells.values()]) for m in dbq}
    print("worst-cell margin over ITQ (mean validation mAP): " + ", ".join(
        f"{m} {margin[m]:+.4f} ({mean_val[m]:.4f})" for m in dbq))
    chosen = max(dbq, key=lambda m: (round(margin[m], 4), mean_val[m]))
    print(f"chosen default: {chosen}")
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
