"""ZSHHasher fit / encode time and peak memory against n, beside the published loop.

Usage:  python benchmarks/bench_fit.py [--sizes 5000 20000 50000] [--repeats 3]
        python benchmarks/bench_fit.py --quick    # n = 2000, one run: a smoke run

Data: synthetic CNN-like features (non-negative, 10 clustered classes, 1,280-d,
float32) with 50-d class vectors; 64 bits, 1,000 anchors, 10 iterations
(``tol=0``, so every run does all of them). ZSHHasher runs at its defaults, which are
the published setting (lambda = 1, epsilon = 1e-3, nu = 1e-5: ``semantic_ridge=1``,
``hash_ridge = epsilon / nu = 100``). Timings recorded before those were the defaults
(benchmarks/results/bench_fit_2core.txt) used lambda = epsilon = 1e-2
(``semantic_ridge=1e-2``, ``hash_ridge=1000``); with the iteration count fixed, the
work does not depend on these values, but rerun rather than compare across them.
The peer is a literal numpy/scipy transcription of the published training loop
(tests/hashers/_reference_zsh.py: scipy cdist, the P system solved every iteration, each
bit row updated by deleting it from B and W), run in the same process on the
same data with the same setting in its own (published) names. Times are medians over
--repeats runs; peak memory is the largest traced allocation (tracemalloc) during one
fit.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hashers"))

from _reference_zsh import reference_zsh  # noqa: E402
from _timing import timed  # noqa: E402  (benchmarks/_timing.py, beside this script)

from zeroshash import ZSHHasher  # noqa: E402
from zeroshash._progress import progress_bar, write_line  # noqa: E402

#: ZSHHasher's settings: its defaults (the published ones), all iterations run.
PARAMS = dict(bits=64, n_anchors=1000, max_iter=10, tol=0.0)


def published_args(hasher):
    """The hasher's setting in the published code's names (epsilon absolute, not / nu)."""
    p = hasher.get_params()
    return dict(bits=p["bits"], n_anchors=p["n_anchors"], max_iter=p["max_iter"],
                lam=p["semantic_ridge"], nu=p["nu"], epsilon=p["hash_ridge"] * p["nu"])


def make_data(n, d=1280, n_classes=10, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.gamma(0.5, 1.0, size=(n_classes, d))
    y = rng.randint(0, n_classes, size=n)
    X = np.maximum(centres[y] + 0.8 * rng.randn(n, d), 0).astype(np.float32)
    return X, y, rng.randn(n_classes, 50)




def peak_mib(func):
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-max-n", type=int, default=20000,
                        help="run the published-loop peer only up to this n (it is slow)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: n = 2000, one run, peer included")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.peer_max_n = [2000], 1, 2000
    zsh = ZSHHasher(**PARAMS, random_state=0)
    peer_args = published_args(zsh)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"{zsh!r}; published loop {peer_args}; median of {args.repeats} runs\n")
    header = (f"{'n':>7} {'fit s':>8} {'peer fit s':>11} {'speed-up':>9} {'fit us/row':>11} "
              f"{'encode s':>9} {'peak MiB':>9} {'peer MiB':>9}")
    print(header)
    print("-" * len(header))
    # The bar moves between the timed calls, never inside them.
    with progress_bar(total=len(args.sizes), desc="bench_fit", unit="size") as bar:
        for n in args.sizes:
            bar.set_postfix(n=n, stage="fit")
            X, y, C = make_data(n)
            fit = partial(clone(zsh).fit, X, y, C)
            fit_s, model = timed(args.repeats, fit)
            bar.set_postfix(n=n, stage="encode")
            encode_s, _ = timed(args.repeats, model.encode, X)
            bar.set_postfix(n=n, stage="peak memory")
            peak = peak_mib(fit)
            if n <= args.peer_max_n:
                bar.set_postfix(n=n, stage="published loop")
                peer = partial(reference_zsh, X, y, C, seed=0, **peer_args)
                peer_s, _ = timed(max(1, args.repeats if n <= 5000 else 1), peer)
                peer_peak = peak_mib(peer)
                peer_cols = f"{peer_s:11.2f} {peer_s / fit_s:8.1f}x"
                peer_mem = f"{peer_peak:9.0f}"
            else:
                peer_cols, peer_mem = f"{'-':>11} {'-':>9}", f"{'-':>9}"
            write_line(f"{n:7d} {fit_s:8.2f} {peer_cols} {fit_s / n * 1e6:11.1f} "
                       f"{encode_s:9.2f} {peak:9.0f} {peer_mem}")
            bar.update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
