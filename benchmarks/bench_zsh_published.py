"""ZSHHasher's defaults against the published ZSH code, on unseen-class retrieval.

Usage:  python benchmarks/bench_zsh_published.py [--seeds 0 1 2 3 4] [--bits 16 32 64]
        python benchmarks/bench_zsh_published.py --quick      # one seed, 16 bits: a smoke run

On each embedded dataset and seed, the ZSH protocol (3 unseen classes, 100 queries per
unseen class, the database all other images, training on its seen-class images, the
class word vectors of the embedded data). Three fits per cell, with the same anchors and
initial codes (same seed, same random draws):

* ``published``: a literal numpy transcription of the authors' training loop
  (``tests/hashers/_reference_zsh.py``: ``MDH/mdh.m`` as called by
  ``MDH/demo_mySVM.m`` -> ``MDH/mySVM_binary.m``, lambda = 1, epsilon = 1e-3, nu = 1e-5,
  10 iterations, 1,000 anchors), its codes ``sign(phi(x)^T P)``;
* ``ZSH``: ``ZSHHasher()`` at its defaults (the published path's values);
* ``ZSH-old``: the defaults before they were brought to the published path
  (``semantic_ridge=1e-2``, ``hash_ridge=1000``, i.e. lambda = 1e-2, epsilon = 1e-2).

Printed: unseen-class mAP@all (ties by database position) per cell, each estimator's
ratio to the published code's, and the mean ratio over all cells.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hashers"))

from _reference_zsh import reference_zsh  # noqa: E402

from zeroshash import ZSHHasher, pack_bits  # noqa: E402
from zeroshash._kernel_map import project_rbf  # noqa: E402
from zeroshash._progress import progress_bar, write_line  # noqa: E402
from zeroshash.datasets import load_animals, load_fashion  # noqa: E402
from zeroshash.metrics import mean_average_precision  # noqa: E402
from zeroshash.model_selection import zero_shot_retrieval_split  # noqa: E402

LOADERS = {"animals": load_animals, "fashion": load_fashion}
OLD = {"semantic_ridge": 1e-2, "hash_ridge": 1000.0}


def published_codes(X_train, y_train, C_train, X, bits, seed):
    """Codes of the published loop: sign(phi(x)^T P), the bandwidth as it defines it."""
    _, y_idx = np.unique(y_train, return_inverse=True)
    ref = reference_zsh(X_train, y_idx, C_train, bits=bits, n_anchors=1000, lam=1.0,
                        nu=1e-5, epsilon=1e-3, max_iter=10, seed=seed)
    return pack_bits(project_rbf(X, ref["anchors"], ref["sigma2"], ref["P"]) >= 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--quick", action="store_true", help="one seed, 16 bits, animals")
    args = parser.parse_args()
    datasets = list(LOADERS)
    if args.quick:
        args.seeds, args.bits, datasets = [0], [16], ["animals"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}\n")
    print(f"{'dataset':>8} {'bits':>4} {'seed':>4} | {'published':>9} {'ZSH':>7} {'ratio':>6} "
          f"| {'ZSH-old':>7} {'ratio':>6}")
    ratios = {"ZSH": [], "ZSH-old": []}
    # Three fits per cell: the published loop, ZSH, ZSH-old.
    n_fits = 3 * len(datasets) * len(args.seeds) * len(args.bits)
    with progress_bar(total=n_fits, desc="bench_zsh_published", unit="fit") as bar:
        for name in datasets:
            bar.set_postfix(dataset=name)
            data = LOADERS[name]()
            X, y = data.data, data.target
            for seed in args.seeds:
                split = zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)
                Xt, yt = X[split.train], y[split.train]
                C_train = data.class_vectors[np.unique(yt)].astype(np.float64)
                q, db = split.query, split.database
                for bits in args.bits:
                    scores = {}
                    bar.set_postfix(dataset=name, seed=seed, bits=bits, method="published")
                    codes = published_codes(Xt, yt, C_train, X, bits, seed)
                    scores["published"] = mean_average_precision(
                        codes[q], codes[db], y[q], y[db], bits=bits)
                    bar.update()
                    for label, extra in (("ZSH", {}), ("ZSH-old", OLD)):
                        bar.set_postfix(dataset=name, seed=seed, bits=bits, method=label)
                        zsh = ZSHHasher(bits=bits, random_state=seed, **extra)
                        codes = zsh.fit(Xt, yt, data.class_vectors).encode(X)
                        scores[label] = mean_average_precision(
                            codes[q], codes[db], y[q], y[db], bits=bits)
                        ratios[label].append(scores[label] / scores["published"])
                        bar.update()
                    write_line(f"{name:>8} {bits:4d} {seed:4d} | {scores['published']:9.4f} "
                               f"{scores['ZSH']:7.4f} {ratios['ZSH'][-1]:6.3f} | "
                               f"{scores['ZSH-old']:7.4f} {ratios['ZSH-old'][-1]:6.3f}")
    for label, values in ratios.items():
        print(f"\n{label}: mean ratio to the published code {np.mean(values):.3f} over "
              f"{len(values)} cells (min {np.min(values):.3f}, max {np.max(values):.3f})")


if __name__ == "__main__":
    main()
