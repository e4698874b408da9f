"""mAP@all speed: zeroshash's one-pass counting kernel against sorting peers.

Usage:  python benchmarks/bench_metrics.py [--n-query 10000] [--n-db 100000] [--bits 64]
        python benchmarks/bench_metrics.py --quick    # 1,000 x 20,000, one run: a smoke run

Codes: clustered random codes (100 classes; each code is its class centre with 20% of
bits flipped), single-label relevance. Peers in the same run, on a subsample of
queries (their time scaled to all queries): numpy (stable argsort per query block,
cumulative precision) and scikit-learn (``average_precision_score`` per query on
negated distances; it credits every relevant item of a group of tied items with the
precision at the group's end, which is lower than the tie-aware AP's expectation over
orders -- checked by Monte Carlo over random database orders -- hence the difference).
Prints our time, the peer's, their ratio, and the largest difference in mAP.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial

import numpy as np
from _timing import timed  # noqa: E402  (benchmarks/_timing.py, beside this script)
from sklearn.metrics import average_precision_score

from zeroshash._progress import progress_bar
from zeroshash.metrics import mean_average_precision


def make_codes(n, centres, rng):
    bits, n_classes = centres.shape[1], centres.shape[0]
    labels = rng.randint(0, n_classes, n)
    flips = (rng.rand(n, bits) < 0.2).astype(np.uint8)
    return centres[labels] ^ flips, labels


def numpy_map(q, db, ql, dl):
    out = []
    for start in range(0, len(q), 64):
        qb = q[start:start + 64]
        dist = np.bitwise_count(np.packbits(qb, axis=1)[:, None, :]
                                ^ np.packbits(db, axis=1)[None]).sum(axis=2)
        order = np.argsort(dist, axis=1, kind="stable")
        rel = dl[order] == ql[start:start + 64, None]
        hits = np.cumsum(rel, axis=1)
        n_rel = hits[:, -1]
        ap = (rel * hits / np.arange(1, len(db) + 1)).sum(axis=1)
        out.append(np.where(n_rel > 0, ap / np.maximum(n_rel, 1), 0.0))
    return float(np.concatenate(out).mean())


def sklearn_map(q, db, ql, dl):
    dist = (q[:, None, :] != db[None]).sum(axis=2)
    return float(np.mean([average_precision_score(dl == ql[i], -dist[i]) for i in range(len(q))]))




def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-query", type=int, default=10_000)
    parser.add_argument("--n-db", type=int, default=100_000)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--peer-queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 queries x 20,000 items, 50 peer queries, one run")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_query, args.n_db, args.peer_queries, args.repeats = 1000, 20_000, 50, 1
    rng = np.random.RandomState(0)
    centres = rng.randint(0, 2, (100, args.bits)).astype(np.uint8)
    db, dl = make_codes(args.n_db, centres, rng)
    q, ql = make_codes(args.n_query, centres, rng)
    mean_average_precision(q[:2], db[:10], ql[:2], dl[:10])  # compile / load the kernel

    print(f"{os.cpu_count()} cores; {args.n_query} queries x {args.n_db} items, {args.bits} bits; "
          f"median of {args.repeats}; peers on {args.peer_queries} queries, scaled")
    sub = slice(0, args.peer_queries)
    scale = args.n_query / args.peer_queries
    # The bar moves between the timed calls, never inside them.
    with progress_bar(total=5, desc="bench_metrics", unit="step") as bar:
        bar.set_postfix(step="ours, stable ties")
        ours_s, ours = timed(args.repeats, mean_average_precision, q, db, ql, dl)
        bar.update()
        bar.set_postfix(step="ours, tie-aware")
        tie_s, tie = timed(args.repeats, partial(mean_average_precision, ties="average"),
                           q, db, ql, dl)
        bar.update()
        bar.set_postfix(step="numpy")
        np_s, np_map = timed(1, numpy_map, q[sub], db, ql[sub], dl)
        bar.update()
        bar.set_postfix(step="scikit-learn")
        sk_s, sk_map = timed(1, sklearn_map, q[sub], db, ql[sub], dl)
        bar.update()
        bar.set_postfix(step="ours on the peers' queries")
        ours_sub = mean_average_precision(q[sub], db, ql[sub], dl)
        tie_sub = mean_average_precision(q[sub], db, ql[sub], dl, ties="average")
        bar.update()
    print(f"{'metric':<28}{'ours s':>9}{'peer':>10}{'peer s':>10}{'ratio':>8}{'|d mAP|':>10}")
    print(f"{'mAP@all (stable ties)':<28}{ours_s:9.2f}{'numpy':>10}{np_s * scale:10.1f}"
          f"{np_s * scale / ours_s:7.0f}x{abs(ours_sub - np_map):10.1e}")
    print(f"{'mAP@all (tie-aware)':<28}{tie_s:9.2f}{'sklearn':>10}{sk_s * scale:10.1f}"
          f"{sk_s * scale / tie_s:7.0f}x{abs(tie_sub - sk_map):10.1e}")
    print(f"mAP@all stable {ours:.4f}, tie-aware {tie:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
