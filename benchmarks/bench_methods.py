"""The papers' comparison table: every hasher under the zero-shot retrieval protocol.

Usage:  python benchmarks/bench_methods.py [--seeds 0 1 2 3 4] [--quick] [--bits 16 32 64]

For each embedded dataset (``load_animals``, ``load_fashion``: 4,000 images x 1,280
CNN features, 10 classes, GloVe class vectors) and each seed, 3 classes are drawn
as unseen (``zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)``):
queries are 100 images of each unseen class, the database all other images, and
each hasher is trained on the database's seen-class images only (``evaluate``).
Reported per method and code length, as the mean (and standard deviation of the
mAP) over seeds:

* ``mAP``: unseen-class mAP over the whole database, Hamming ranking with ties
  broken by database order;
* ``tie-aw``: the tie-aware mAP (He et al., 2018: expected over orders of tied items);
* ``P@r2``: precision within Hamming radius 2;
* ``fit s``: training seconds.

Every method runs with its published default hyper-parameters and
``random_state=seed``; ZSH gets the class word vectors, the others ignore them.
``--quick`` runs seed 0 only. On a shared machine, ``--wait-while PATH`` pauses
before each fit while the file PATH exists (e.g. a lock that
another user's timing run holds).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict

import numpy as np

from zeroshash import (
    COSDISHHasher,
    DoubleBitHasher,
    ITQHasher,
    KSHHasher,
    LSHHasher,
    PCAHasher,
    SDHHasher,
    SpectralHasher,
    ZSHHasher,
)
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split


def hashers(seed):
    return {
        "LSH": LSHHasher(random_state=seed),
        "PCAH": PCAHasher(),
        "ITQ": ITQHasher(random_state=seed),
        "SH": SpectralHasher(),
        "SDH": SDHHasher(random_state=seed),
        "KSH": KSHHasher(random_state=seed),
        "COSDISH": COSDISHHasher(random_state=seed),
        "ZSH": ZSHHasher(random_state=seed),
        "DBQ": DoubleBitHasher(random_state=seed),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--quick", action="store_true", help="seed 0 only")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="subset of " + " ".join(hashers(0)))
    parser.add_argument("--wait-while", metavar="PATH", default=None,
                        help="pause before each fit while PATH exists")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else args.seeds

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"seeds {seeds}, 3 unseen classes, bits {args.bits}; mean over seeds "
          f"(mAP: mean +- std)\n")
    start = time.perf_counter()
    for name, loader in (("animals", load_animals), ("fashion", load_fashion)):
        data = loader()
        X, y, word_vecs = data.data, data.target, data.class_vector_dict
        results = defaultdict(list)
        for seed in seeds:
            split = zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)
            methods = hashers(seed)
            if args.methods:
                methods = {k: v for k, v in methods.items() if k in args.methods}
            for method, hasher in methods.items():
                for n_bits in args.bits:
                    while args.wait_while and os.path.exists(args.wait_while):
                        time.sleep(10)
                    (row,) = evaluate({method: hasher}, X, y, split, bits=(n_bits,),
                                      word_vecs=word_vecs)
                    results[method, n_bits].append(row)
                print(f"  {name} seed {seed} {method} done", file=sys.stderr, flush=True)
        print(f"dataset: {name} ({X.shape[0]} x {X.shape[1]}, {len(np.unique(y))} classes)")
        header = f"{'method':<7}" + "".join(
            f" | {b:>2} bits: {'mAP':>13} {'tie-aw':>6} {'P@r2':>6} {'fit s':>6}"
            for b in args.bits)
        print(header)
        print("-" * len(header))
        for method in dict.fromkeys(key[0] for key in results):
            cells = []
            for b in args.bits:
                rows = results[method, b]
                maps = np.array([r["map"] for r in rows])
                tie = np.mean([r["map_tie_aware"] for r in rows])
                prec = np.mean([r["precision_r"] for r in rows])
                fit = np.mean([r["fit_seconds"] for r in rows])
                cells.append(f" | {'':>7} {maps.mean():.4f}+-{maps.std():.3f} {tie:6.4f} "
                             f"{prec:6.3f} {fit:6.2f}")
            print(f"{method:<7}" + "".join(cells))
        print(flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
