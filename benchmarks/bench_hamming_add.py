"""Adding codes to a HammingIndex in batches: amortised growth against copying every time.

``n`` random 64-bit codes (10M; 1M with ``--quick``) are added to an empty
:class:`~zeroshash.hamming.HammingIndex` in batches of 100k and of 10k codes, by

* ours: ``HammingIndex.add`` (a word-major buffer that grows geometrically; adding
  ``n`` items in ``b`` batches copies O(n) words in total);
* peer: the behaviour before issue 15, reimplemented below as a subclass
  (``np.concatenate`` of all the codes and ids on every ``add``: O(n * b));
* one single ``add`` of all the codes (the floor).

Each run is a fresh child process; it reports the wall time of the adds, the peak of
the memory traced by ``tracemalloc`` during them (numpy's allocations, capacity not yet
written included; the ``n`` input codes, made beforehand, are not counted), and the
child's peak RSS (``resource.getrusage``) minus its RSS just before the adds (pages
actually touched; an upper bound, as the peak may predate the adds). Every way is
checked to give the same codes and ids as the single add, and a k-NN search on the
result is checked equal. Ratios are peer / ours and ours / single add.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_hamming_add.py            # full run (a few minutes)
    PYTHONPATH=. python benchmarks/bench_hamming_add.py --quick    # smoke run (~10 s)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from zeroshash._bits import packed_to_columns
from zeroshash._progress import progress_bar, write_line
from zeroshash.hamming import HammingIndex
from zeroshash.hamming._validation import as_packed_codes
from zeroshash.hamming.index import _Snapshot

BITS = 64


class ConcatenatingIndex(HammingIndex):
    """The pre-issue-15 ``add``: concatenate all columns and ids on every call."""

    def add(self, codes, ids=None) -> None:  # noqa: D102 - the peer, default ids only
        packed = as_packed_codes(codes, self.bits, "codes")
        n_new = packed.shape[0]
        if n_new == 0:
            return
        snap = self._snapshot
        new_ids = np.arange(snap.next_id, snap.next_id + n_new, dtype=np.int64)
        columns = np.ascontiguousarray(
            np.concatenate([snap.columns(), packed_to_columns(packed)], axis=1)
        )
        all_ids = np.concatenate([snap.ids, new_ids])
        self._snapshot = _Snapshot.of(columns, all_ids, int(new_ids[-1]) + 1)


def make_codes(n: int) -> np.ndarray:
    return np.random.default_rng(15).integers(0, 256, (n, BITS // 8), dtype=np.uint8)


def resident_mb() -> float:
    """Current resident set size (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def child(way: str, n: int, batch: int) -> dict:
    """One measurement, in this (fresh) process."""
    codes = make_codes(n)
    cls = ConcatenatingIndex if way == "peer" else HammingIndex
    index = cls(BITS, n_jobs=1)
    rss_before = resident_mb()
    tracemalloc.start()
    start = time.perf_counter()
    for lo in range(0, n, batch):
        index.add(codes[lo : lo + batch])
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256(index.reconstruct_all().tobytes() + index.ids.tobytes())
    queries = codes[:: max(1, n // 50)][:50]
    dist, ids = index.search(queries, 10)
    return {
        "seconds": elapsed,
        "traced_peak_mb": peak / 2**20,
        "rss_growth_mb": maxrss_kb / 2**10 - rss_before,
        "digest": digest.hexdigest(),
        "search": hashlib.sha256(dist.tobytes() + ids.tobytes()).hexdigest(),
    }


def run_child(way: str, n: int, batch: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", way, str(n), str(batch)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M codes (smoke run)")
    parser.add_argument("--n", type=int, default=None, help="number of codes")
    parser.add_argument("--child", nargs=3, metavar=("WAY", "N", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        way, n, batch = args.child
        print(json.dumps(child(way, int(n), int(batch))))
        return
    n = args.n or (1_000_000 if args.quick else 10_000_000)
    load = os.getloadavg()
    write_line(
        f"{n:,} random {BITS}-bit codes added to an empty HammingIndex; each run in a fresh "
        f"process; {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at start (the machine may be shared)"
    )
    plan = [("single", n)] + [(way, b) for b in (100_000, 10_000) for way in ("ours", "peer")]
    results = {}
    bar = progress_bar(plan, desc="adds")
    for way, batch in bar:
        bar.set_postfix_str(f"{way} batch={batch:,}")
        results[way, batch] = run_child(way, n, batch)
    single = results["single", n]
    write_line("")
    write_line(f"{'way':<28}{'batch':>10}{'adds':>7}{'time s':>9}{'traced MB':>11}{'+RSS MB':>11}")
    for (way, batch), r in results.items():
        label = {
            "single": "one add (floor)",
            "ours": "ours (amortised growth)",
            "peer": "peer (concatenate)",
        }[way]
        write_line(
            f"{label:<28}{batch:>10,}{-(-n // batch):>7}{r['seconds']:>9.2f}"
            f"{r['traced_peak_mb']:>11.1f}{r['rss_growth_mb']:>11.1f}"
        )
    write_line("")
    write_line(
        f"{'batch':>10}{'peer/ours time':>16}{'peer/ours traced':>18}"
        f"{'ours/one-add time':>19}{'ours/one-add traced':>21}"
    )
    for batch in (100_000, 10_000):
        ours, peer = results["ours", batch], results["peer", batch]
        write_line(
            f"{batch:>10,}{peer['seconds'] / ours['seconds']:>16.1f}"
            f"{peer['traced_peak_mb'] / ours['traced_peak_mb']:>18.2f}"
            f"{ours['seconds'] / single['seconds']:>19.2f}"
            f"{ours['traced_peak_mb'] / single['traced_peak_mb']:>21.2f}"
        )
    same = all(
        r["digest"] == single["digest"] and r["search"] == single["search"]
        for r in results.values()
    )
    write_line("")
    write_line("all ways give the same codes, ids and k-NN results: " + ("yes" if same else "NO"))
    load = os.getloadavg()
    write_line(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
