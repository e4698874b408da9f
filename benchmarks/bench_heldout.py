"""Zero-shot quality on images nobody tuned on (issue 16): reporting only, chooses nothing.

Usage:  python benchmarks/bench_heldout.py [--protocols heldout embedded] [--jobs 2]
        python benchmarks/bench_heldout.py --quick      # seed 0, animals, embedded: smoke

The protocols are fixed in ``docs/zero_shot_protocol.md`` (committed before any number
of them was computed):

* **heldout**: EfficientNet-Lite2 features (``maintainer/build_heldout.py``) of the
  Animal-MNIST images outside the embedded subset (6,000) and of the Fashion-MNIST test
  split (10,000). Seeds 0-9; 3 unseen classes; 100 queries per unseen class and 50
  held-out queries per seen class; the database is every other held-out image; 5,000
  seen-class training images (animals: drawn from the seen-class images of all 10,000
  Animal-MNIST images, queries excepted, because the held-out part has only 4,200).
* **embedded**: the embedded Lite0 datasets under the same split rule (seeds 0-9,
  training on every seen-class database image, 2,450).

Methods: ``PCAH`` and ``ITQ`` on raw features and with the flagship's preprocessing
(``[power]`` etc., a ``PowerNormalizer`` in front); ``DBQ``, ``DoubleBitHasher()`` at
its defaults (the flagship); ``DBQ-old``, the defaults before issue 16; ``DBQ+wv``, the
flagship with ``semantic_share=0.25`` and the seen classes' GloVe vectors;
``DBQ+names``, the same with the unseen class names known at fit time
(``unseen_classes``, ZSH's setting).

Metrics, every query having relevant items: unseen-class **tie-aware mAP@all**
(``ties="average"``) per split and its mean; ``wins``, the splits where the method beats
the best of the four baselines in that split; ``P@r2``, precision within Hamming radius
2 of the unseen queries (a query retrieving nothing counts 0); ``seen``, the tie-aware
mAP@all of the seen-class queries.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import threadpool_limits

from zeroshash import DoubleBitHasher, ITQHasher, PCAHasher
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.hashers._double_bit import NORMALIZE_POWER
from zeroshash.metrics import mean_average_precision, precision_within_radius
from zeroshash.model_selection import zero_shot_retrieval_split
from zeroshash.preprocessing import PowerNormalizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _heldout import load_heldout  # noqa: E402

BITS = (16, 32, 64)
OLD_DEFAULTS = {"within_class_reg": 3.0, "normalize": None, "double_bit_share": 1.0,
                "semantic_share": 0.0}


def flagship_prep() -> str | None:
    return DoubleBitHasher().normalize


def methods(seed: int, bits: int, unseen) -> dict:
    prep = flagship_prep()
    out = {"PCAH": PCAHasher(bits=bits, n_jobs=1),
           "ITQ": ITQHasher(bits=bits, random_state=seed, n_jobs=1)}
    if prep is not None:
        out[f"PCAH[{prep}]"] = make_pipeline(PowerNormalizer(NORMALIZE_POWER[prep]),
                                             PCAHasher(bits=bits, n_jobs=1))
        out[f"ITQ[{prep}]"] = make_pipeline(PowerNormalizer(NORMALIZE_POWER[prep]),
                                            ITQHasher(bits=bits, random_state=seed, n_jobs=1))
    flagship = DoubleBitHasher(bits=bits, random_state=seed, n_jobs=1)
    out["DBQ"] = flagship
    out["DBQ-old"] = DoubleBitHasher(bits=bits, random_state=seed, n_jobs=1, **OLD_DEFAULTS)
    share = flagship.semantic_share or 0.25
    if flagship.semantic_share:
        out["DBQ-wv"] = DoubleBitHasher(bits=bits, random_state=seed, n_jobs=1,
                                        semantic_share=0.0)
    else:
        out["DBQ+wv"] = DoubleBitHasher(bits=bits, random_state=seed, n_jobs=1,
                                        semantic_share=share)
    out["DBQ+names"] = DoubleBitHasher(bits=bits, random_state=seed, n_jobs=1,
                                       semantic_share=share, unseen_classes=unseen)
    return out


BASELINES = ("PCAH", "ITQ")


def split_of(protocol, data, seed):
    """(train, database, query, seen_query, unseen classes) as positions into data's rows."""
    y = data.target
    if protocol == "embedded":
        s = zero_shot_retrieval_split(y, n_unseen=3, n_seen_query_per_class=50, random_state=seed)
        return s.train, s.database, s.query, s.seen_query, s.unseen_classes
    held = np.flatnonzero(~data.embedded)
    s = zero_shot_retrieval_split(y[held], n_unseen=3, n_seen_query_per_class=50,
                                  n_train=None if data.embedded.any() else 5000,
                                  random_state=seed)
    database, query, seen_query = held[s.database], held[s.query], held[s.seen_query]
    if not data.embedded.any():
        return held[s.train], database, query, seen_query, s.unseen_classes
    # animals: 5,000 from every seen-class image but the queries (embedded ones included)
    rng = np.random.default_rng(1000 + seed)
    pool = np.setdiff1d(np.flatnonzero(np.isin(y, s.seen_classes)),
                        np.concatenate([query, seen_query]))
    return np.sort(rng.choice(pool, size=5000, replace=False)), database, query, seen_query, \
        s.unseen_classes


def run_split(protocol, name, data, seed):
    rows = {}
    with threadpool_limits(1):
        X, y = data.data, data.target
        train, database, query, seen_query, unseen = split_of(protocol, data, seed)
        for bits in BITS:
            for method, model in methods(seed, bits, unseen).items():
                hasher = model[-1] if isinstance(model, Pipeline) else model
                if hasher._uses_word_vecs:
                    hasher.set_params(word_vecs=data.class_vectors)
                model.fit(X[train], y[train])
                db = model.transform(X[database])
                q, sq = model.transform(X[query]), model.transform(X[seen_query])
                rows[method, bits] = {
                    "map": mean_average_precision(q, db, y[query], y[database], ties="average"),
                    "p_r2": precision_within_radius(q, db, y[query], y[database], radius=2),
                    "seen": mean_average_precision(sq, db, y[seen_query], y[database],
                                                   ties="average"),
                }
        sizes = (len(train), len(database), len(query), len(seen_query))
    return protocol, name, seed, rows, sizes


def loaders(protocol, names):
    if protocol == "embedded":
        out = {}
        for name, load in (("animals", load_animals), ("fashion", load_fashion)):
            if name in names:
                d = load()
                d.embedded = np.zeros(len(d.target), dtype=bool)
                out[name] = d
        return out
    return {name: load_heldout(name) for name in names}


def report(protocol, name, results, seeds, sizes):
    print(f"\n{protocol} protocol, {name}: train {sizes[0]}, database {sizes[1]}, "
          f"{sizes[2]} unseen queries, {sizes[3]} seen queries (seed {seeds[0]}); "
          "tie-aware mAP@all of the unseen queries per seed")
    print(f"{'method':<12} {'bits':>4} | " + " ".join(f"{'s' + str(s):>6}" for s in seeds)
          + f" | {'mean':>6} {'wins':>5} {'P@r2':>6} {'seen':>6}")
    for bits in BITS:
        names = list(results[seeds[0]].keys())
        names = [m for m, b in names if b == bits]
        per = {m: np.array([results[s][m, bits]["map"] for s in seeds]) for m in names}
        base = np.max([per[m] for m in names if m.split("[")[0] in BASELINES], axis=0)
        for m in names:
            baseline = m.split("[")[0] in BASELINES
            wins = "" if baseline else f"{int(np.sum(per[m] > base))}/{len(seeds)}"
            p = np.mean([results[s][m, bits]["p_r2"] for s in seeds])
            seen = np.mean([results[s][m, bits]["seen"] for s in seeds])
            print(f"{m:<12} {bits:>4} | " + " ".join(f"{v:6.4f}" for v in per[m])
                  + f" | {per[m].mean():6.4f} {wins:>5} {p:6.3f} {seen:6.4f}")
        print(f"{'best base':<12} {bits:>4} | " + " ".join(f"{v:6.4f}" for v in base)
              + f" | {base.mean():6.4f}")
        print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocols", nargs="+", default=["heldout", "embedded"],
                        choices=["heldout", "embedded"])
    parser.add_argument("--datasets", nargs="+", default=["animals", "fashion"],
                        choices=["animals", "fashion"])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--jobs", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--json", default=None, help="also write every score to this file")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.protocols, args.seeds = ["embedded"], [0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"flagship: {DoubleBitHasher()!r} (preprocessing {flagship_prep()})")
    start = time.perf_counter()
    if args.quick:
        args.datasets = ["animals"]
    data = {p: loaders(p, args.datasets) for p in args.protocols}
    tasks = [(p, n, d, s) for p in args.protocols for n, d in data[p].items() for s in args.seeds]
    out = Parallel(n_jobs=args.jobs)(delayed(run_split)(*t) for t in tasks)
    results, sizes = {}, {}
    for protocol, name, seed, rows, size in out:
        results.setdefault((protocol, name), {})[seed] = rows
        sizes.setdefault((protocol, name), size)
    for (protocol, name), per_seed in results.items():
        report(protocol, name, per_seed, args.seeds, sizes[protocol, name])
    if args.json:
        import json

        flat = [{"protocol": p, "dataset": n, "seed": s, "method": m, "bits": b, **v}
                for (p, n), per_seed in results.items() for s, rows in per_seed.items()
                for (m, b), v in rows.items()]
        with open(args.json, "w") as f:
            json.dump({"flagship": repr(DoubleBitHasher()), "rows": flat}, f, indent=0)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
