"""Fit time of every hasher on an idle machine and beside one competing busy process.

Usage:  python benchmarks/bench_threads.py [--repeats 3] [--methods pcah itq ...]
        python benchmarks/bench_threads.py --quick    # two hashers, one run: a smoke run

Each registered hasher (``zeroshash.all_hashers()``, ``spec.make(random_state=0,
bits=16)``) is fitted on the 2,800 seen-class rows of the embedded animals data
(``zero_shot_retrieval_split(y, n_unseen=3, random_state=0)``: 7 seen classes of 400
images, 1,280-d CNN features; PartAlign reads the patch-level features
``load_animals(patches=True).patches``, CrossModal gets the edge-map features as
``X_query``; the word-vector methods get the GloVe class vectors). Two settings:

* ``n_jobs=None`` -- the default: one BLAS / OpenMP thread per fit;
* ``n_jobs=-1`` -- every core, the BLAS default (what every fit did before ``n_jobs``).

Each is timed on the machine as it is ("idle") and beside one competing CPU-bound
process ("busy": a pure-Python busy loop, started before and stopped after each timed
fit). Times are medians over ``--repeats`` runs after one untimed warm-up fit; within
a repeat the four timings are interleaved so drift in the machine's load hits all alike.
``busy/idle`` is the slow-down a competing process causes (target: below 2 for every
hasher); ``1-thr/all idle`` is what one thread costs on an idle machine against all
cores. The header gives the load average before the run: above the core count's
worth of other work, "idle" is not idle and the run should be repeated.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import threadpoolctl
from sklearn.base import clone

from zeroshash import OneHotFallbackWarning, all_hashers
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals
from zeroshash.model_selection import zero_shot_retrieval_split

#: The two settings compared: the default, and all cores (the behaviour before n_jobs).
SETTINGS = {"ours": None, "peer": -1}
QUICK_METHODS = ("pcah", "dbq")
#: A load average above this before the run means the machine is not idle.
BUSY_LOAD = 1.5


def training_data():
    """The seen-class rows of the animals data: features, patches, edge maps, labels."""
    data = load_animals(patches=True, edges=True)
    split = zero_shot_retrieval_split(data.target, n_unseen=3, random_state=0)
    train = split.train
    return {"features": data.data[train], "patches": data.patches[train],
            "edges": data.edge_data[train], "y": data.target[train],
            "word_vecs": data.class_vectors}


def fit_call(spec, n_jobs, data):
    """A function fitting a new ``spec`` hasher (bits=16, seed 0) with ``n_jobs``."""
    hasher = spec.make(random_state=0, bits=16).set_params(n_jobs=n_jobs)
    X = data["patches"] if spec.input_kind == "patches" else data["features"]
    kwargs = {"word_vecs": data["word_vecs"]} if spec.uses_word_vecs else {}
    if spec.input_kind == "two_modalities":
        kwargs["X_query"] = data["edges"]
    y = data["y"] if spec.supervised else None
    return lambda: clone(hasher).fit(X, y, **kwargs)


class BusyProcess:
    """One competing CPU-bound process (a pure-Python loop) while the block runs."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.3)  # past the interpreter's start-up: spinning when the timing starts
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def timed(fit, busy):
    if busy:
        with BusyProcess():
            start = time.perf_counter()
            fit()
            return time.perf_counter() - start
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def blas_threads() -> int:
    return max((info["num_threads"] for info in threadpoolctl.threadpool_info()
                if info["user_api"] == "blas"), default=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=None,
                        help="registry names (default: every registered hasher)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: two hashers (" + ", ".join(QUICK_METHODS) + "), one run")
    args = parser.parse_args(argv)
    if args.quick:
        args.methods, args.repeats = list(QUICK_METHODS), 1
    specs = [s for s in all_hashers() if args.methods is None or s.name in args.methods]
    load = os.getloadavg()[0]
    data = training_data()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}, BLAS default threads "
          f"{blas_threads()}")
    print(f"data: animals seen-class rows, {data['features'].shape[0]} x "
          f"{data['features'].shape[1]}; bits=16, random_state=0; median of {args.repeats} "
          "runs; busy = beside one pure-Python busy-loop process")
    print(f"load average (1 min) before the run: {load:.2f}"
          + (f" -- above {BUSY_LOAD}: the machine was shared, 'idle' times are not idle; "
             "rerun on a quiet machine" if load > BUSY_LOAD else ""))
    print("ours: n_jobs=None (1 thread, the default); peer: n_jobs=-1 (all cores, the "
          "behaviour before n_jobs)\n")
    header = (f"{'method':<11} {'idle s':>7} {'busy s':>7} {'busy/idle':>9} "
              f"{'peer idle s':>11} {'peer busy s':>11} {'busy/idle':>9} "
              f"{'1-thr/all idle':>14}")
    print(header)
    print("-" * len(header))
    worst = {"ours": 0.0, "peer": 0.0}
    totals = {(who, cond): 0.0 for who in SETTINGS for cond in ("idle", "busy")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OneHotFallbackWarning)
        # The bar moves between the timed calls, never inside them.
        with progress_bar(total=len(specs) * args.repeats, desc="bench_threads",
                          unit="fit set") as bar:
            for spec in specs:
                fits = {who: fit_call(spec, n_jobs, data) for who, n_jobs in SETTINGS.items()}
                bar.set_postfix(method=spec.label, stage="warm-up")
                for fit in fits.values():
                    fit()
                times = {key: [] for key in totals}
                for repeat in range(args.repeats):
                    for cond in ("idle", "busy"):
                        for who in SETTINGS:
                            bar.set_postfix(method=spec.label, run=repeat + 1,
                                            stage=f"{who} {cond}")
                            times[who, cond].append(timed(fits[who], cond == "busy"))
                    bar.update()
                med = {key: statistics.median(value) for key, value in times.items()}
                for key, value in med.items():
                    totals[key] += value
                ratio = {who: med[who, "busy"] / med[who, "idle"] for who in SETTINGS}
                for who in SETTINGS:
                    worst[who] = max(worst[who], ratio[who])
                write_line(
                    f"{spec.label:<11} {med['ours', 'idle']:7.2f} {med['ours', 'busy']:7.2f} "
                    f"{ratio['ours']:8.1f}x {med['peer', 'idle']:11.2f} "
                    f"{med['peer', 'busy']:11.2f} {ratio['peer']:8.1f}x "
                    f"{med['ours', 'idle'] / med['peer', 'idle']:13.2f}x")
    print("-" * len(header))
    print(f"{'all':<11} {totals['ours', 'idle']:7.2f} {totals['ours', 'busy']:7.2f} "
          f"{totals['ours', 'busy'] / totals['ours', 'idle']:8.1f}x "
          f"{totals['peer', 'idle']:11.2f} {totals['peer', 'busy']:11.2f} "
          f"{totals['peer', 'busy'] / totals['peer', 'idle']:8.1f}x "
          f"{totals['ours', 'idle'] / totals['peer', 'idle']:13.2f}x")
    print(f"\nworst busy/idle: ours {worst['ours']:.1f}x, peer {worst['peer']:.1f}x "
          f"(target: ours below 2x); load average after the run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
