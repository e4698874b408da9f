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

The methods are the registry's (``zeroshash.all_hashers()``, in its order; a newly
registered hasher appears here without editing this script), each with its
published default hyper-parameters and ``random_state=seed`` where it takes one
(PCAH and SH are deterministic); the methods that use class word vectors (the
``uses_word_vecs`` trait, e.g. ZSH) get them, the others are fitted without.

Inputs differ where the method needs them (the ``input_kind`` trait): a patch-input
method (e.g. PartAlign) reads the patch-level features (``patches=True``: 3x3 grid of
128-d patches), and a two-modality method (e.g. CrossModal) is scored in a second table,
*cross-modal*, where the queries are the unseen images' edge maps through the same
CNN (``edges=True``; a stand-in for sketches, not sketches) and the database is the
images; the single-modality baselines there (PCAH, ITQ, DBQ) encode both modalities
with their one hash function (``evaluate(..., X_query=...)``).
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
from types import SimpleNamespace

import numpy as np

from zeroshash import all_hashers, get_hasher
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.metrics import map_definition
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split

#: Which table an input kind is scored in, and on which features.
TABLES = {"features": "image", "patches": "image", "two_modalities": "cross-modal"}
#: Single-modality methods also scored in the cross-modal table (one function, both sides).
CROSS_MODAL_BASELINES = ("PCAH", "ITQ", "DBQ")


def hashers(seed, methods=None):
    """Label -> unfitted hasher for every registered method (or those of ``methods``)."""
    specs = all_hashers() if methods is None else [get_hasher(m) for m in methods]
    return {spec.label: spec.make(random_state=seed) for spec in specs}


def tasks(methods: dict, data):
    """(table, method, hasher, X, X_query) for each method: which table, which inputs."""
    out = []
    for method, hasher in methods.items():
        kind = get_hasher(method).input_kind
        if TABLES[kind] == "image":
            X = data.patches if kind == "patches" else data.data
            out.append(("image", method, hasher, X, None))
        if TABLES[kind] == "cross-modal" or method in CROSS_MODAL_BASELINES:
            out.append(("cross-modal", method, hasher, data.data, data.edge_data))
    return out


def print_table(title, results, bits):
    write_line(title)
    header = f"{'method':<10}" + "".join(
        f" | {b:>2} bits: {'mAP':>13} {'tie-aw':>6} {'P@r2':>6} {'fit s':>6}" for b in bits)
    write_line(header)
    write_line("-" * len(header))
    for method in dict.fromkeys(key[0] for key in results):
        cells = []
        for b in bits:
            rows = results[method, b]
            maps = np.array([r["map"] for r in rows])
            tie = np.mean([r["map_tie_aware"] for r in rows])
            prec = np.mean([r["precision_r"] for r in rows])
            fit = np.mean([r["fit_seconds"] for r in rows])
            cells.append(f" | {'':>7} {maps.mean():.4f}+-{maps.std():.3f} {tie:6.4f} "
                         f"{prec:6.3f} {fit:6.2f}")
        write_line(f"{method:<10}" + "".join(cells))
    write_line("metrics (zeroshash.metrics.MAP_DEFINITIONS, every query has relevant items):")
    for name in ("map", "map_tie_aware"):
        write_line(f"  {map_definition(name).describe()}")
    write_line("  P@r2: precision within Hamming radius 2, a query retrieving nothing counts 0")
    write_line("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument("--quick", action="store_true", help="seed 0 only")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="registered labels or names (default: all of "
                        + " ".join(spec.label for spec in all_hashers()) + ")")
    parser.add_argument("--wait-while", metavar="PATH", default=None,
                        help="pause before each fit while PATH exists")
    args = parser.parse_args(argv)
    try:
        hashers(0, args.methods)
    except ValueError as error:
        parser.error(str(error))
    seeds = [0] if args.quick else args.seeds

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"seeds {seeds}, 3 unseen classes, bits {args.bits}; mean over seeds "
          f"(mAP: mean +- std)\n")
    start = time.perf_counter()
    datasets = (("animals", load_animals), ("fashion", load_fashion))
    no_data = SimpleNamespace(data=None, patches=None, edge_data=None)
    n_fits = len(datasets) * len(seeds) * len(tasks(hashers(0, args.methods), no_data))
    with progress_bar(total=n_fits * len(args.bits), desc="bench_methods", unit="fit") as bar:
        for name, loader in datasets:
            bar.set_postfix(dataset=name)
            data = loader(patches=True, edges=True)
            y, word_vecs = data.target, data.class_vector_dict
            results = {"image": defaultdict(list), "cross-modal": defaultdict(list)}
            for seed in seeds:
                split = zero_shot_retrieval_split(y, n_unseen=3, random_state=seed)
                methods = hashers(seed, args.methods)
                for table, method, hasher, X, X_query in tasks(methods, data):
                    for n_bits in args.bits:
                        while args.wait_while and os.path.exists(args.wait_while):
                            time.sleep(10)
                        bar.set_postfix(dataset=name, seed=seed, method=f"{method} ({table})",
                                        bits=n_bits)
                        (row,) = evaluate({method: hasher}, X, y, split, bits=(n_bits,),
                                          word_vecs=word_vecs, X_query=X_query)
                        results[table][method, n_bits].append(row)
                        bar.update()
            shape = f"{data.data.shape[0]} x {data.data.shape[1]}, {len(np.unique(y))} classes"
            if results["image"]:
                print_table(f"dataset: {name} ({shape}); image queries, image database "
                            "(PartAlign: patch features)", results["image"], args.bits)
            if results["cross-modal"]:
                print_table(f"dataset: {name} ({shape}); cross-modal: edge-map queries, image "
                            "database", results["cross-modal"], args.bits)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
