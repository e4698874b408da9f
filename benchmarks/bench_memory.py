"""Encoding a float16 memory map of 1M, 4M and 10M x 1,280 rows: peak memory and rate.

Usage:  python benchmarks/bench_memory.py [--n 1000000 4000000 10000000] [--methods pcah dbq]
        python benchmarks/bench_memory.py --quick     # 100k and 400k rows: a smoke run
        python benchmarks/bench_memory.py --cold      # drop the file's cached pages first

For each ``n`` a float16 ``.npy`` file of ``n x 1,280`` standard-normal rows (seeded) is
written block by block (``np.lib.format.open_memmap``) into a new temporary directory
(``--tmp-dir``, default the system's temporary directory; free space is checked first
and a short disk refused), measured, and removed -- also on an error or Ctrl-C.

Each measurement runs in a fresh process, so its peak memory is its own. The child
opens the file as a read-only memory map, loads the fitted hasher, resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``) and then runs one of:

* **ours** -- ``hasher.encode(memmap)`` over the whole map: ``PCAHasher(bits=64)`` and
  ``DoubleBitHasher(bits=64, within_class_reg=None)``, fitted (in the parent) on 20,000
  rows of the same distribution. The library works through the map by blocks of rows
  (``zeroshash.base``, "Encoding in chunks"): 64 MiB of float64 rows, 6,553 rows here.
  By default in float64; the ``float32`` runs encode under
  ``zeroshash.config_context(encode_dtype="float32")`` (float16 blocks converted straight
  to float32, the float32 product).
* **peer f32** -- the floor of the same work, a bare NumPy loop over the same blocks:
  ``np.packbits(block.astype(np.float32) @ W32 - shift >= 0)``, ``W32`` the 1,280 x 64
  PCA projection in float32 and ``shift`` = ``mean @ W`` (formed once in float64, then
  rounded), into a preallocated output;
* **peer f64** -- the same loop in PCAH's default arithmetic,
  ``block.astype(np.float64) @ W - mean @ W`` (PCAHasher projects in float64 by
  default, shifting the product rather than centring the block, as scikit-learn's PCA
  does).

Reported per run: rows per second; ``peak RSS`` = ``ru_maxrss`` after the reset, which
counts the pages of the memory-mapped file the process has touched (clean page cache,
dropped by the kernel under memory pressure: it follows the file's size until it no
longer fits in RAM); ``peak anon`` = the largest growth of the process's anonymous
memory (``/proc/self/statm`` resident - shared, sampled every 5 ms) over its value
before the encode -- what the encode itself allocates, the codes it returns included
(8 bytes a row: 80 MB at 10M rows). The targets: peak anon flat in ``n`` (beyond the
codes), and ours within 1.5x of the peer's rate in the same precision. The parent checks
that PCAH's runs gave the same codes as the peer of their precision.

The page cache: a file that fits in RAM is read from memory (it was just written);
one that does not (10M rows = 25.6 GB against 23 GB here) is read from disk by every
run, and both ours and the peer are then as fast as the disk. ``--cold`` drops the
file's cached pages (``posix_fadvise(DONTNEED)``, this file only) before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

D = 1280
BITS = 64
FIT_ROWS = 20_000
SEED = 0
WRITE_BLOCK = 16_384
PEERS = ("peer f32", "peer f64")
METHODS = {"pcah": "PCAHasher(bits=64)", "pcah32": "PCAHasher float32",
           "dbq": "DoubleBitHasher(bits=64)", "dbq32": "DoubleBitHasher float32"}


# -- the child: one measurement in a fresh process -------------------------------------------
class AnonSampler(threading.Thread):
    """The largest anonymous resident memory of this process, sampled every 5 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = self.base = self.anon()
        self.done = threading.Event()

    def anon(self) -> int:
        with open("/proc/self/statm") as statm:
            fields = statm.read().split()
        return (int(fields[1]) - int(fields[2])) * self.page  # resident - file-backed

    def run(self):
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.anon())

    def stop(self) -> int:
        self.done.set()
        self.join()
        return max(self.peak, self.anon()) - self.base


def block_rows(hasher) -> int:
    """Rows per block of the library's encode (the peers use the same blocks)."""
    from sklearn import get_config
    from sklearn.utils._chunking import get_chunk_n_rows

    from zeroshash.base import ENCODE_WORKING_MEMORY

    memory = min(ENCODE_WORKING_MEMORY, get_config()["working_memory"])
    return get_chunk_n_rows(8 * hasher._hash_function()["row_width"], working_memory=memory)


def peer(X, W, mean, rows: int, single: bool) -> np.ndarray:
    """Packed codes of ``X`` by a bare loop over blocks: the floor of the same work."""
    out = np.empty((X.shape[0], (W.shape[1] + 7) // 8), dtype=np.uint8)
    for start in range(0, X.shape[0], rows):
        block = X[start : start + rows]
        if single:  # ``mean`` is the shift mean @ W here, computed once in float64
            projections = block.astype(np.float32) @ W - mean.astype(np.float32)
        else:
            projections = block.astype(np.float64) @ W - mean @ W
        out[start : start + rows] = np.packbits(projections >= 0, axis=1)
    return out


def child(kind: str, data: str, model_dir: str, codes_out: str) -> None:
    with open(Path(model_dir) / "pcah.pkl", "rb") as f:
        pcah = pickle.load(f)
    hasher = pcah
    model = kind.removesuffix("32")
    if kind in METHODS:
        with open(Path(model_dir) / f"{model}.pkl", "rb") as f:
            hasher = pickle.load(f)
    X = np.load(data, mmap_mode="r")
    rows = block_rows(pcah)
    W32 = pcah.components_.astype(np.float32)
    with open("/proc/self/clear_refs", "w") as f:  # peak RSS from here on
        f.write("5")
    sampler = AnonSampler()
    sampler.start()
    start = time.perf_counter()
    if kind == "peer f32":
        codes = peer(X, W32, pcah.mean_ @ pcah.components_, rows, single=True)
    elif kind == "peer f64":
        codes = peer(X, pcah.components_, pcah.mean_, rows, single=False)
    elif kind.endswith("32"):
        from zeroshash import config_context

        with config_context(encode_dtype="float32"):
            codes = hasher.encode(X)
    else:
        codes = hasher.encode(X)
    seconds = time.perf_counter() - start
    anon = sampler.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.save(codes_out, codes)
    print(json.dumps({"seconds": seconds, "peak_rss": peak_rss, "peak_anon": anon,
                      "rows_per_block": rows}))


# -- the parent ---------------------------------------------------------------------------------
def write_data(path: Path, n: int) -> None:
    """n x D standard-normal float16 rows, seeded, written block by block."""
    from zeroshash._progress import progress_bar

    rng = np.random.default_rng(SEED)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, D))
    with progress_bar(total=n, desc=f"write {n:,} rows", unit="row", unit_scale=True) as bar:
        for start in range(0, n, WRITE_BLOCK):
            stop = min(n, start + WRITE_BLOCK)
            X[start:stop] = rng.standard_normal((stop - start, D), dtype=np.float32)
            bar.update(stop - start)
    X.flush()
    del X


def fit_models(model_dir: Path, methods) -> None:
    """PCAH (always: the peers use its projection) and the methods asked for."""
    from zeroshash import DoubleBitHasher, PCAHasher

    # The same distribution as the files (another seed): what a model is fitted on.
    X = np.random.default_rng(SEED + 1).standard_normal((FIT_ROWS, D), dtype=np.float32)
    X = X.astype(np.float16)
    models = {"pcah": PCAHasher(bits=BITS),
              "dbq": DoubleBitHasher(bits=BITS, within_class_reg=None, random_state=0)}
    for name in {"pcah", *(m.removesuffix("32") for m in methods)}:
        with open(model_dir / f"{name}.pkl", "wb") as f:
            pickle.dump(models[name].fit(X), f)


def drop_cached_pages(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure(kind: str, data: Path, model_dir: Path, cold: bool) -> dict:
    if cold:
        drop_cached_pages(data)
    codes = model_dir / f"codes-{kind.replace(' ', '-')}.npy"
    run = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--data", str(data),
         "--model-dir", str(model_dir), "--codes", str(codes)],
        capture_output=True, text=True, check=False,
    )
    if run.returncode:
        raise RuntimeError(f"the {kind} run failed:\n{run.stderr}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["codes"] = codes
    return result


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f}"


def check_disk(directory: Path, n: int) -> None:
    need = n * D * 2 + 2**30  # the file, and 1 GiB to spare
    free = shutil.disk_usage(directory).free
    if free < need:
        raise SystemExit(
            f"bench_memory: {n:,} x {D} float16 rows need {need / 1e9:.1f} GB free in "
            f"{directory}; it has {free / 1e9:.1f} GB. Give --tmp-dir on a larger disk or "
            "a smaller --n."
        )


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", nargs="+", type=int, default=[1_000_000, 4_000_000, 10_000_000],
                        help="rows of each file (default 1M 4M 10M)")
    parser.add_argument("--quick", action="store_true", help="100k and 400k rows")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--tmp-dir", default=None,
                        help="where the temporary files go (default: the system's)")
    parser.add_argument("--cold", action="store_true",
                        help="drop the file's cached pages before every run")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--codes", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.data, args.model_dir, args.codes)
        return 0

    from zeroshash._progress import progress_bar, write_line

    sizes = [100_000, 400_000] if args.quick else sorted(args.n)
    parent = Path(args.tmp_dir or tempfile.gettempdir())
    check_disk(parent, max(sizes))
    signal.signal(signal.SIGTERM, interrupted)  # as Ctrl-C: the files are removed either way
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    import threadpoolctl

    threads = max((p["num_threads"] for p in threadpoolctl.threadpool_info()
                   if p["user_api"] == "blas"), default=1)
    write_line(f"machine: {platform.machine()}, {os.cpu_count()} cores, {ram / 2**30:.0f} GiB "
               f"RAM, Python {platform.python_version()}, numpy {np.__version__}, BLAS "
               f"threads {threads}")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    write_line(f"uptime before the run: {uptime.strip()}")
    cache = "cold: cached pages dropped before each run" if args.cold else "warm: as written"
    write_line(f"data: float16 .npy memory maps of n x {D} standard-normal rows in {parent} "
               f"({cache}); models fitted on {FIT_ROWS:,} rows; bits={BITS}")
    write_line("peak RSS: ru_maxrss of the run (touched pages of the mapped file included); "
               "peak anon: growth of anonymous memory during the encode (codes included)")
    write_line("")
    header = (f"{'n':>12} {'run':<29} {'seconds':>8} {'rows/s':>10} {'vs f32':>7} "
              f"{'vs f64':>7} {'peak RSS MiB':>13} {'peak anon MiB':>14} {'codes':>8}")
    write_line(header)
    write_line("-" * len(header))
    kinds = [*PEERS, *args.methods]
    workdir = Path(tempfile.mkdtemp(prefix="zeroshash-bench-memory-", dir=parent))
    try:
        fit_models(workdir, args.methods)
        with progress_bar(total=len(sizes) * len(kinds), desc="runs", unit="run") as bar:
            for n in sizes:
                data = workdir / f"X-{n}.npy"
                write_data(data, n)
                fits = "fits in RAM" if n * D * 2 < 0.8 * ram else "does NOT fit in RAM"
                results = {}
                for kind in kinds:
                    bar.set_postfix_str(f"n={n:,} {kind}")
                    results[kind] = measure(kind, data, workdir, args.cold)
                    bar.update()
                reference = np.load(results["peer f64"]["codes"])
                for kind in kinds:
                    r = results[kind]
                    agree = "-"  # DBQ: no peer computes its codes
                    if kind in ("peer f32", "peer f64", "pcah", "pcah32"):
                        # float32 runs against the float32 peer, the others against f64
                        want = (np.load(results["peer f32"]["codes"]) if kind == "pcah32"
                                else reference)
                        codes = np.load(r["codes"])
                        agree = "same" if np.array_equal(codes, want) else (
                            f"{np.mean(codes != want):.1e}")
                    rate = n / r["seconds"]
                    label = kind if kind in PEERS else f"ours {METHODS[kind]}"
                    slower = [r["seconds"] / results[p]["seconds"] for p in PEERS]
                    write_line(f"{n:>12,} {label:<29} {r['seconds']:>8.1f} {rate:>10,.0f} "
                               f"{slower[0]:>6.2f}x {slower[1]:>6.2f}x "
                               f"{mib(r['peak_rss']):>13} {mib(r['peak_anon']):>14} {agree:>8}")
                write_line(f"{'':>12} file {n * D * 2 / 1e9:.1f} GB ({fits}); codes "
                           f"{mib(n * BITS // 8)} MiB; load now "
                           f"{os.getloadavg()[0]:.2f}")
                data.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    write_line("")
    write_line("vs f32 / vs f64: the run's time over the peer's (target for ours: <= 1.5x); "
               "codes: 'same' as the float64 peer (PCAH's arithmetic; the float32 run: as "
               "the float32 peer), else the fraction of differing bytes")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    write_line(f"uptime after the run: {uptime.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
