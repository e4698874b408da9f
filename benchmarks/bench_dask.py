"""Benchmark of the sharded Hamming index on a local dask cluster against one local index.

A ``distributed.LocalCluster`` of ``--workers`` worker processes (one thread each)
holds a :class:`zeroshash.dask.ShardedHammingIndex` with one shard per worker (built
on the workers from a dask array of codes); the peer is one local
:class:`~zeroshash.hamming.HammingIndex` over the same codes in this process, using
all cores (``n_jobs=-1``). Both answer the same 1,000 queries with k-NN (``k=10``)
and a radius search (``r=2``); the table gives the median wall time of ``--repeats``
runs, the ratio (peer time / sharded time) and whether the results are identical.

Codes: 64-bit, clustered as in ``bench_hamming.py``'s MIH benchmark (5,000 random
centres, each item a centre with 0-4 random bits flipped; queries are database items
with one more bit flipped) -- ``--uniform`` for uniform random codes. Memory per
worker is the worker process's RSS (psutil) before and after its shard is built.

From the measured rates the script prints a sizing note for ``--size-for`` items
(default 100M): memory per worker, and the workers needed to answer 1,000 queries
within ``--target`` seconds, from the brute-force scan rate per item and the
per-call overhead measured here.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_dask.py            # 10M codes (~5 min)
    PYTHONPATH=. python benchmarks/bench_dask.py --quick    # 1M codes (~1 min)
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from _timing import timed  # noqa: E402  (benchmarks/_timing.py, beside this script)

from zeroshash._progress import progress_bar, write_line

N_CENTRES, MAX_FLIPS, SEED = 5000, 4, 0




def make_block(block: int, n: int, uniform: bool) -> np.ndarray:
    """Row block ``block`` of the database: ``n`` packed 64-bit codes, seeded by the block.

    Clustered as ``bench_hamming.clustered_packed``: a random centre each (the same
    centres for every block), with 0..MAX_FLIPS random bits flipped.
    """
    rng = np.random.default_rng([SEED, block])
    if uniform:
        return rng.integers(0, 256, size=(n, 8), dtype=np.uint8)
    centres = np.random.default_rng(SEED).integers(0, 2**63, size=N_CENTRES, dtype=np.int64)
    codes = centres.view(np.uint64)[rng.integers(0, N_CENTRES, size=n)]
    flips = rng.integers(0, MAX_FLIPS + 1, size=n)
    for f in range(1, MAX_FLIPS + 1):
        chosen = flips >= f
        shift = rng.integers(0, 64, size=int(chosen.sum())).astype(np.uint64)
        codes[chosen] ^= np.uint64(1) << shift
    return codes.astype("<u8").view(np.uint8).reshape(n, 8)


def make_queries(db: np.ndarray, n_queries: int) -> np.ndarray:
    """Database items with one more random bit flipped."""
    rng = np.random.default_rng(SEED + 1)
    queries = db[rng.integers(0, db.shape[0], size=n_queries)].copy()
    rows = np.arange(n_queries)
    byte = rng.integers(0, 8, size=n_queries)
    queries[rows, byte] ^= np.left_shift(1, rng.integers(0, 8, size=n_queries)).astype(np.uint8)
    return queries


def worker_rss(client) -> dict:
    """Resident memory of each worker process (after a garbage collection)."""
    import psutil

    def rss() -> int:
        gc.collect()
        return psutil.Process().memory_info().rss

    return client.run(rss)


def shard_compute_time(index, queries, k, radius, repeats) -> float:
    """Median time of one shard's own search, measured on its worker (runs in a task)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if k is not None:
            index.search(queries, k)
        else:
            index.range_search(queries, radius)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def identical(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-db", type=int, default=10_000_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--radius", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=["brute", "mih"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--uniform", action="store_true", help="uniform random codes")
    parser.add_argument("--size-for", type=float, default=100e6, help="items in the sizing note")
    parser.add_argument("--target", type=float, default=1.0, help="seconds per 1,000 queries")
    parser.add_argument("--quick", action="store_true", help="1M codes, 2 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_db, args.repeats = 1_000_000, 2

    import dask
    import dask.array as da
    import numba
    from distributed import Client, LocalCluster

    from zeroshash.dask import ShardedHammingIndex
    from zeroshash.hamming import HammingIndex

    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(
        f"# benchmarks/bench_dask.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip()
        + f", {datetime.date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; dask {dask.__version__}, numba {numba.__version__}, "
        f"numpy {np.__version__}"
    )
    print(f"# uptime at start: {uptime}")
    data = "uniform random" if args.uniform else (
        f"clustered ({N_CENTRES} centres, 0-{MAX_FLIPS} bits flipped)"
    )
    print(
        f"# {args.n_db:,} codes x 64 bits, {data}; {args.n_queries:,} queries (database "
        f"items with one bit flipped); median of {args.repeats} runs"
    )
    print(
        f"# sharded: LocalCluster of {args.workers} worker processes x 1 thread, one shard "
        f"per worker (n_jobs=1); peer: one local HammingIndex, n_jobs=-1 "
        f"({numba.config.NUMBA_NUM_THREADS} threads)"
    )

    bounds = np.linspace(0, args.n_db, args.workers + 1).astype(np.int64)
    sizes = np.diff(bounds)
    stages = 2 + len(args.methods) * 2
    bar = progress_bar(total=stages, desc="bench_dask", unit="stage")
    bar.set_postfix(stage="data")
    db = np.concatenate([make_block(b, int(n), args.uniform) for b, n in enumerate(sizes)])
    queries = make_queries(db, args.n_queries)
    bar.update()

    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    rows, model = [], {}
    try:
        bar.set_postfix(stage="cluster warm-up")
        # Load the Hamming engine in every worker before measuring their baseline memory.
        warm = ShardedHammingIndex([HammingIndex(64) for _ in range(args.workers)])
        warm.search(queries[:2], 1)
        base = worker_rss(client)
        # The per-call cost that does not scan items (scatter, scheduling, gather, merge):
        # the same queries on shards of 1,000 items each.
        tiny = [HammingIndex(64) for _ in range(args.workers)]
        for b, shard in enumerate(tiny):
            shard.add(make_block(b, 1000, args.uniform))
        tiny = ShardedHammingIndex(tiny)
        tiny.search(queries, args.k)
        fixed = {
            "knn": timed(args.repeats + 2, tiny.search, queries, args.k)[0],
            "range": timed(args.repeats + 2, tiny.range_search, queries, args.radius)[0],
        }
        del warm, tiny
        write_line(
            f"  per-call overhead (same queries, {args.workers} shards of 1,000 items): "
            f"k-NN {fixed['knn']:.3f}s, range {fixed['range']:.3f}s"
        )
        bar.update()
        codes = da.concatenate(
            [
                da.from_delayed(
                    dask.delayed(make_block)(b, int(n), args.uniform),
                    shape=(int(n), 8),
                    dtype=np.uint8,
                )
                for b, n in enumerate(sizes)
            ]
        )
        for method in args.methods:
            bar.set_postfix(stage=f"{method}: build")
            peer = HammingIndex(64, n_jobs=-1, method=method)
            peer.add(db)
            start = time.perf_counter()
            sharded = ShardedHammingIndex.from_dask_array(codes, 64, method=method, n_jobs=1)
            build = time.perf_counter() - start
            # Warm-up: first searches build MIH tables and load kernels.
            peer.search(queries[:32], args.k)
            sharded.search(queries[:32], args.k)
            shard_keys = {s.key for s in sharded.shards}
            placement = {
                w: len(shard_keys.intersection(keys)) for w, keys in client.has_what().items()
            }
            rss = worker_rss(client)
            per_worker = {
                w: (rss[w] - base[w]) / max(1, args.n_db / args.workers) for w in rss
            }
            write_line(
                f"  {method}: shards built on the workers in {build:.1f}s; shards per worker "
                f"{sorted(placement.values())}; worker RSS "
                + ", ".join(f"{rss[w] / 2**20:.0f} MiB (+{(rss[w] - base[w]) / 2**20:.0f})"
                            for w in sorted(rss))
                + f"; {statistics.mean(per_worker.values()):.1f} bytes per item per worker"
            )
            model[method] = {"bytes_per_item": statistics.mean(per_worker.values()),
                             "base_rss": statistics.mean(base.values())}
            bar.update()
            bar.set_postfix(stage=f"{method}: search")
            for op, k, radius in (("knn", args.k, None), ("range", None, args.radius)):
                if op == "knn":
                    t_peer, r_peer = timed(args.repeats, peer.search, queries, k)
                    t_ours, r_ours = timed(args.repeats, sharded.search, queries, k)
                    setting = f"{method} k={k}"
                else:
                    t_peer, r_peer = timed(args.repeats, peer.range_search, queries, radius)
                    t_ours, r_ours = timed(args.repeats, sharded.range_search, queries, radius)
                    setting = f"{method} r={radius}"
                compute = max(
                    client.gather(
                        client.map(
                            shard_compute_time, sharded.shards, queries=queries, k=k,
                            radius=radius, repeats=args.repeats, pure=False,
                        )
                    )
                )
                same = identical(r_peer, r_ours)
                hits = f", {r_ours[0][-1] / args.n_queries:.0f} hits/query" if op == "range" else ""
                row = (
                    f"{setting}",
                    f"sharded {t_ours:.3f}s",
                    f"peer {t_peer:.3f}s",
                    f"{t_peer / t_ours:.2f}x",
                    f"slowest shard alone {compute:.3f}s, rest {t_ours - compute:.3f}s",
                    ("identical" if same else "DIFFER") + hits,
                )
                rows.append(row)
                write_line("  " + " | ".join(row))
                model[method][op] = {
                    "wall": t_ours, "compute": compute, "overhead": fixed[op],
                    "per_item": compute / (args.n_db / args.workers), "same": same,
                }
            del sharded, peer
            gc.collect()
            bar.update()
    finally:
        bar.close()
        client.close()
        cluster.close()

    print()
    print("  setting | sharded (time per 1,000 queries) | peer | peer time / sharded time | "
          "slowest shard's own search, the rest | check")
    for row in rows:
        print("  " + " | ".join(row))
    print()
    sizing_note(args, model)
    ok = all(m[op]["same"] for m in model.values() for op in ("knn", "range"))
    print(f"load average at end {os.getloadavg()[0]:.2f} (other processes share the cores); "
          f"all results identical: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


def sizing_note(args, model: dict) -> None:
    """Memory and workers for ``args.size_for`` items, from the measured rates."""
    n = args.size_for
    scale = args.n_queries / 1000
    print(f"Sizing note for {n / 1e6:.0f}M items x 64 bits, 1,000 queries within "
          f"{args.target:g}s (from this run's rates; one 1-thread worker per core):")
    for method, m in model.items():
        bpi, base = m["bytes_per_item"], m["base_rss"]
        what = "8 code + 8 id" if method == "brute" else "codes, ids and the MIH tables"
        print(f"  {method} memory: {bpi:.1f} bytes per item measured ({what}), worker "
              f"baseline {base / 2**20:.0f} MiB -> {n * bpi / 2**30:.1f} GiB of shards in all; "
              f"per worker {n * bpi / 2**30:.1f} GiB / workers + {base / 2**30:.2f} GiB")
    for method, m in model.items():
        bpi, base = m["bytes_per_item"], m["base_rss"]
        for op in ("knn", "range"):
            rate = m[op]["per_item"] / scale  # seconds per item per 1,000 queries, 1 thread
            overhead = m[op]["overhead"] / scale
            label = f"k={args.k}" if op == "knn" else f"r={args.radius}"
            line = (f"  {method} {label}: {rate * 1e6:.3f}s per million items per 1,000 queries "
                    f"on one thread, overhead {overhead:.3f}s per call")
            budget = args.target - overhead
            if method == "mih":
                line += (" (MIH time depends on the data's neighbourhoods, not only on the "
                         "items: an indication, not a sizing rule)")
            if budget <= 0:
                line += f" -> the per-call overhead alone exceeds {args.target:g}s"
            else:
                workers = max(1, math.ceil(rate * n / budget))
                per = n / workers
                line += (f" -> {workers} workers ({per / 1e6:.1f}M items, "
                         f"{(per * bpi + base) / 2**30:.2f} GiB each): "
                         f"~{overhead + rate * per:.2f}s per 1,000 queries")
            print(line)
    print("  (model: time = overhead + rate x items per worker. The brute-force scan is "
          "linear in a worker's items; the overhead -- scatter, scheduling, gather, merge, "
          f"measured on tiny shards with {args.workers} workers -- grows with the number of "
          "workers (the client merges workers x k results per query) and, for range "
          "search, with the hits, which on clustered data grow with the items. Rates come "
          "from this run: on a loaded machine they are pessimistic.)")


if __name__ == "__main__":
    raise SystemExit(main())
