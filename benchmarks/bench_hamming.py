"""Benchmark of the Hamming engine against faiss, numpy and scikit-learn.

Everything runs in one process. For each setting the figure is the median
wall-clock time of ``--repeats`` runs; the table gives our figure, the peer's figure
from the same run and their ratio (peer time / our time, i.e. our throughput
advantage). numpy and scikit-learn are too slow for the full problem: they run on
a subsample of queries (and, for scikit-learn, of the database) and their times are
scaled linearly to the full size, which the table says.

Sections: exhaustive top-k against faiss's ``IndexBinaryFlat``, numpy and scikit-learn,
each k beside the counting-only scan of the same codes (``_count_floor.py``, the floor of
selection); multi-index hashing on 10M clustered 64-bit codes (range r = 0..3 and k-NN,
with the automatic number of substrings and with the others of ``--mih-m-sweep``)
against every faiss ``IndexBinaryHash`` / ``IndexBinaryMultiHash`` setting, each with its
recall against the exact results, and the fastest exact one; ``method="auto"`` against
brute force and MIH, for a batch and for queries one at a time, on the clustered codes
and on uniform random ones (no near neighbours).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_hamming.py            # full run (~15 min)
    PYTHONPATH=. python benchmarks/bench_hamming.py --quick    # smoke run (~1 min)
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
from _count_floor import counting_scan  # benchmarks/_count_floor.py, beside this script
from _timing import timed  # noqa: E402  (benchmarks/_timing.py, beside this script)

from zeroshash._bits import packed_to_rows
from zeroshash._progress import progress_bar, write_line
from zeroshash.hamming import HammingIndex

TARGETS = {64: 2.5, 128: 1.8}  # required throughput ratio vs faiss at k = 10 and 100


def random_packed(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, bits // 8), dtype=np.uint8)


def clustered_packed(rng, n: int, n_centres: int, max_flips: int) -> np.ndarray:
    """64-bit codes: a random centre each, with 0..max_flips random bits flipped."""
    centres = rng.integers(0, 2**63, size=n_centres, dtype=np.int64).view(np.uint64)
    codes = centres[rng.integers(0, n_centres, size=n)]
    flips = rng.integers(0, max_flips + 1, size=n)
    for f in range(1, max_flips + 1):
        chosen = flips >= f
        codes[chosen] ^= np.uint64(1) << rng.integers(0, 64, size=int(chosen.sum())).astype(
            np.uint64
        )
    return codes.astype("<u8").view(np.uint8).reshape(n, 8)


def numpy_search(db_words: np.ndarray, q_words: np.ndarray, k: int, block: int = 8):
    """Blocked XOR + np.bitwise_count top-k (k smallest, unordered ties)."""
    out = np.empty((q_words.shape[0], k), dtype=np.int64)
    for start in range(0, q_words.shape[0], block):
        q = q_words[start : start + block]
        dist = np.bitwise_count(db_words[None, :, :] ^ q[:, None, :]).sum(axis=2, dtype=np.int32)
        part = np.argpartition(dist, k - 1, axis=1)[:, :k]
        out[start : start + block] = part
    return out


class Table:
    """The rows as they are measured, printed above the progress bar, which each one moves."""

    def __init__(self, bar) -> None:
        self.rows: list[tuple] = []
        self.bar = bar

    def add(self, *row) -> None:
        self.rows.append(row)
        write_line("  " + " | ".join(str(c) for c in row))
        self.bar.update()


def n_rows(args, all_threads: int) -> int:
    """How many rows the run adds to its table (the progress bar's total)."""
    rows = 0
    if not args.skip_flat:
        per_bits = len(args.ks) * (len({1, all_threads}) + 2 + (not args.skip_sklearn))
        rows += len(args.bits) * per_bits
    if not args.skip_mih:
        tasks = len(args.radii) + len(args.mih_ks)
        rows += tasks * (1 + (not args.skip_faiss_hash)) + 4 * len(args.mih_ks)
    return rows


def bench_flat(args, rng, table: Table, all_threads: int) -> list[tuple]:
    import faiss

    checks = []
    for bits in args.bits:
        table.bar.set_postfix(part="flat", bits=bits)
        db = random_packed(rng, args.n_db, bits)
        queries = random_packed(rng, args.n_queries, bits)
        flat = faiss.IndexBinaryFlat(bits)
        flat.add(db)
        ours = {t: HammingIndex(bits, n_jobs=t, method="brute") for t in sorted({1, all_threads})}
        for index in ours.values():
            index.add(db)
        ours[1].search(queries[:4], 1)  # load / compile kernels outside the timings
        # The floor of selection: the same scan, counting only (benchmarks/_count_floor.py).
        q_rows = packed_to_rows(queries)
        columns = ours[all_threads]._snapshot.columns()
        counting_scan(q_rows[:4], columns, bits // 4)
        t_floor, _ = timed(args.repeats, counting_scan, q_rows, columns, bits // 4)
        write_line(f"  counting-only scan {bits}b t={all_threads}: {t_floor:.3f}s (the floor)")
        for k in args.ks:
            for threads in sorted({1, all_threads}):
                t_ours, (d_ours, _) = timed(args.repeats, ours[threads].search, queries, k)
                faiss.omp_set_num_threads(threads)
                t_faiss, (d_faiss, _) = timed(args.repeats, flat.search, queries, k)
                exact = bool(np.array_equal(d_ours, d_faiss))
                ratio = t_faiss / t_ours
                target = TARGETS.get(bits) if k in (10, 100) else None
                met = "-" if target is None else ("yes" if ratio >= target else "NO")
                table.add(
                    f"flat {bits}b k={k} t={threads}",
                    f"ours {t_ours:.3f}s",
                    f"faiss {t_faiss:.3f}s",
                    f"{ratio:.2f}x",
                    f"target {target}x: {met}" if target else "",
                    "same distances" if exact else "DISTANCES DIFFER",
                )
                checks.append((bits, k, threads, ratio, target, exact))
                if threads == all_threads:
                    over = t_ours / t_floor
                    table.add(
                        f"top-k {bits}b k={k} t={threads} vs counting floor",
                        f"ours {t_ours:.3f}s",
                        f"count-only {t_floor:.3f}s",
                        f"ours / floor = {over:.2f}",
                        f"target <= 1.3: {'yes' if over <= 1.3 else 'NO'}" if k == 100 else "",
                        "",
                    )
        # numpy and scikit-learn: single thread, query (and database) subsamples.
        n_q_sub = max(1, args.n_queries // 10)
        db_words = np.ascontiguousarray(db).view("<u8").astype(np.uint64)
        q_words = np.ascontiguousarray(queries[:n_q_sub]).view("<u8").astype(np.uint64)
        for k in args.ks:
            t_ours, _ = timed(args.repeats, ours[1].search, queries[:n_q_sub], k)
            t_np, _ = timed(max(1, args.repeats // 2), numpy_search, db_words, q_words, k)
            scale = args.n_queries / n_q_sub
            table.add(
                f"numpy {bits}b k={k} t=1",
                f"ours {t_ours * scale:.3f}s",
                f"numpy {t_np * scale:.3f}s",
                f"{t_np / t_ours:.2f}x",
                f"(both on {n_q_sub} queries, scaled x{scale:g})",
                "",
            )
        if not args.skip_sklearn:
            from sklearn.neighbors import NearestNeighbors

            n_sub = min(args.sklearn_n_db, args.n_db)
            raw = np.unpackbits(db[:n_sub], axis=1).astype(bool)
            raw_q = np.unpackbits(queries[:n_q_sub], axis=1).astype(bool)
            nn = NearestNeighbors(metric="hamming", algorithm="brute", n_jobs=1).fit(raw)
            for k in args.ks:
                t_sk, _ = timed(max(1, args.repeats // 2), nn.kneighbors, raw_q, k)
                t_ours, _ = timed(args.repeats, ours[1].search, queries[:n_q_sub], k)
                scale_sk = (args.n_db / n_sub) * (args.n_queries / n_q_sub)
                scale_ours = args.n_queries / n_q_sub
                table.add(
                    f"sklearn {bits}b k={k} t=1",
                    f"ours {t_ours * scale_ours:.3f}s",
                    f"sklearn {t_sk * scale_sk:.1f}s",
                    f"{t_sk * scale_sk / (t_ours * scale_ours):.0f}x",
                    f"(sklearn on {n_sub} items x {n_q_sub} queries, scaled x{scale_sk:g})",
                    "",
                )
    return checks


def _same_range(a: tuple, b: tuple) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _range_recall(lims, ids, exact_lims, exact_ids) -> float:
    """Fraction of the exact (query, id) hits a peer returned."""
    found = total = 0
    for i in range(len(exact_lims) - 1):
        want = exact_ids[exact_lims[i] : exact_lims[i + 1]]
        got = ids[lims[i] : lims[i + 1]]
        found += np.isin(want, got).sum()
        total += want.size
    return found / max(total, 1)


def faiss_hash_settings(bits: int) -> list[tuple[str, object, int]]:
    """(label, factory, nflip) for faiss's hash indexes, IndexBinaryHash with
    one table of b bits and IndexBinaryMultiHash with nhash tables of b bits."""
    import faiss

    out = []
    for b in (16, 20, 24):
        for nflip in (0, 1, 2, 3):
            out.append(
                (
                    f"faiss Hash b={b} nflip={nflip}",
                    lambda b=b: faiss.IndexBinaryHash(bits, b),
                    nflip,
                )
            )
    for nhash, b in ((2, 24), (3, 21)):
        for nflip in (0, 1, 2):
            out.append(
                (
                    f"faiss MultiHash nhash={nhash} b={b} nflip={nflip}",
                    lambda nhash=nhash, b=b: faiss.IndexBinaryMultiHash(bits, nhash, b),
                    nflip,
                )
            )
    return out


def bench_faiss_hash(args, db, queries, exact_range: dict, exact_knn) -> dict:
    """Every faiss hash setting on the clustered data: time and recall against exact.

    Returns, per task ("range r" / "knn k"), the fastest setting whose results equal
    the exact ones on this data (label, time).
    """
    import faiss

    faiss.omp_set_num_threads(numba.config.NUMBA_NUM_THREADS)
    best: dict = {}
    built: dict = {}
    for label, make, nflip in faiss_hash_settings(64):
        key = label.rsplit(" nflip", 1)[0]
        if key not in built:
            built.clear()  # one faiss index in memory at a time
            built[key] = make()
            built[key].add(db)
        index = built[key]
        index.nflip = nflip
        for radius in args.radii:
            # faiss's radius is exclusive: distance < radius.
            t, (lims, _, ids) = timed(args.repeats, index.range_search, queries, radius + 1)
            e_lims, _, e_ids = exact_range[radius]
            recall = _range_recall(lims, ids, e_lims, e_ids)
            exact = recall == 1.0 and lims[-1] == e_lims[-1]
            write_line(f"    {label} range r={radius}: {t:.4f}s recall {recall:.4f}")
            task = f"range r={radius}"
            if exact and (task not in best or t < best[task][1]):
                best[task] = (label, t)
        for k in args.mih_ks:
            t, (dist, _) = timed(args.repeats, index.search, queries, k)
            recall = float(np.mean(dist == exact_knn[k]))
            write_line(f"    {label} knn k={k}: {t:.4f}s recall {recall:.4f} (distances)")
            task = f"knn k={k}"
            if recall == 1.0 and (task not in best or t < best[task][1]):
                best[task] = (label, t)
    built.clear()
    return best


def bench_substrings(args, db, queries, exact_range: dict, exact_knn: dict, threads: int):
    """The same MIH tasks with other numbers of substrings than the automatic choice."""
    for m in args.mih_m_sweep:
        index = HammingIndex(64, n_jobs=threads, method="mih", n_substrings=m)
        index.add(db)
        start = time.perf_counter()
        index.search(queries[:1], 1)  # builds the tables
        build = time.perf_counter() - start
        parts, same = [], True
        for radius in args.radii:
            t, res = timed(args.repeats, index.range_search, queries, radius)
            same &= _same_range(res, exact_range[radius])
            parts.append(f"r={radius} {t:.4f}s")
        for k in args.mih_ks:
            t, res = timed(args.repeats, index.search, queries, k)
            same &= _same_range(res, exact_knn[k])
            parts.append(f"k={k} {t:.4f}s")
        write_line(
            f"  mih with n_substrings={m} (built in {build:.2f}s): " + ", ".join(parts)
            + ("; identical" if same else "; DIFFER")
        )
        del index


def _lone(index: HammingIndex, queries: np.ndarray, k: int) -> None:
    for i in range(queries.shape[0]):
        index.search(queries[i : i + 1], k)


def bench_auto(args, table: Table, name: str, indexes: dict, queries, n_lone: int) -> list:
    """Batch and one-query-at-a-time k-NN for brute / mih / auto on one data set."""
    checks = []
    for k in args.mih_ks:
        batch = {m: timed(args.repeats, ix.search, queries, k) for m, ix in indexes.items()}
        exact = all(_same_range(batch[m][1], batch["brute"][1]) for m in indexes if m != "brute")
        lone = {
            m: timed(args.repeats, _lone, ix, queries[:n_lone], k)[0] / n_lone
            for m, ix in indexes.items()
        }
        for mode, times in (("batch", {m: t for m, (t, _) in batch.items()}), ("lone", lone)):
            better = min(times["brute"], times["mih"])
            ratio = times["auto"] / better
            unit = (lambda t: f"{t:.4f}s") if mode == "batch" else (lambda t: f"{t * 1e3:.3f}ms")
            table.add(
                f"{name} knn k={k} {mode}"
                + (f" ({queries.shape[0]} queries)" if mode == "batch" else " (per query)"),
                f"auto {unit(times['auto'])}",
                f"brute {unit(times['brute'])} mih {unit(times['mih'])}",
                f"auto / better = {ratio:.2f}",
                f"target <= 1.1: {'yes' if ratio <= 1.1 else 'NO'}",
                "identical" if exact else "DIFFER",
            )
            checks.append(("auto", name, mode, k, ratio, exact))
    return checks


def bench_mih(args, rng, table: Table, all_threads: int) -> list[tuple]:
    checks = []
    table.bar.set_postfix(part="mih", bits=64)
    db = clustered_packed(rng, args.mih_n_db, args.mih_centres, args.mih_flips)
    # Queries look like the data: database items with one more random bit flipped.
    queries = db[rng.integers(0, args.mih_n_db, size=args.n_queries)].copy()
    rows = np.arange(args.n_queries)
    byte = rng.integers(0, 8, size=args.n_queries)
    queries[rows, byte] ^= np.left_shift(1, rng.integers(0, 8, size=args.n_queries)).astype(
        np.uint8
    )
    indexes = {m: HammingIndex(64, n_jobs=all_threads, method=m) for m in ("brute", "mih", "auto")}
    for index in indexes.values():
        index.add(db)
    brute, mih = indexes["brute"], indexes["mih"]
    start = time.perf_counter()
    mih.search(queries[:1], 1)  # builds the tables
    build = time.perf_counter() - start
    indexes["auto"].search(queries[:1], 1)
    tables = mih._mih_tables()
    write_line(
        f"  MIH tables: m={tables.n_substrings} substrings, built in {build:.2f}s for "
        f"{args.mih_n_db} items; range plans (substring radius per table, -1 unprobed): "
        + ", ".join(f"r={r}: {tables.range_plan(r, 1)[0].tolist()}" for r in args.radii)
    )
    ours: dict = {}
    exact_range: dict = {}
    for radius in args.radii:
        t_b, res_b = timed(args.repeats, brute.range_search, queries, radius)
        t_m, res_m = timed(args.repeats, mih.range_search, queries, radius)
        exact = _same_range(res_b, res_m)
        exact_range[radius] = res_b
        ours[f"range r={radius}"] = (t_m, exact, f"{res_b[0][-1] / args.n_queries:.0f} hits/query")
        ratio = t_b / t_m
        table.add(
            f"mih 64b range r={radius} t={all_threads}",
            f"mih {t_m:.4f}s",
            f"brute {t_b:.3f}s",
            f"{ratio:.1f}x",
            "",
            f"identical ({res_b[0][-1] / args.n_queries:.0f} hits/query)" if exact else "DIFFER",
        )
        checks.append(("range", radius, ratio, exact))
    exact_knn, exact_full = {}, {}
    for k in args.mih_ks:
        t_b, res_b = timed(args.repeats, brute.search, queries, k)
        t_m, res_m = timed(args.repeats, mih.search, queries, k)
        exact = _same_range(res_b, res_m)
        exact_knn[k] = res_b[0]
        exact_full[k] = res_b
        ours[f"knn k={k}"] = (t_m, exact, "")
        table.add(
            f"mih 64b knn k={k} t={all_threads}",
            f"mih {t_m:.4f}s",
            f"brute {t_b:.3f}s",
            f"{t_b / t_m:.1f}x",
            "",
            "identical" if exact else "DIFFER",
        )
        checks.append(("knn", k, t_b / t_m, exact))
    bench_substrings(args, db, queries, exact_range, exact_full, all_threads)
    if not args.skip_faiss_hash:
        table.bar.set_postfix(part="faiss hash", bits=64)
        write_line("  faiss hash indexes on the same data (recall against exact):")
        best = bench_faiss_hash(args, db, queries, exact_range, exact_knn)
        for task, (t_m, exact, note) in ours.items():
            if task not in best:
                table.add(
                    f"vs faiss {task}", f"mih {t_m:.4f}s", "no exact faiss setting", "", "", ""
                )
                continue
            label, t_f = best[task]
            ratio = t_f / t_m
            table.add(
                f"vs faiss {task} t={all_threads}",
                f"mih {t_m:.4f}s",
                f"{label} {t_f:.4f}s (fastest exact)",
                f"{ratio:.2f}x",
                f"target >= 1x: {'yes' if ratio >= 1 else 'NO'}",
                ("identical " if exact else "DIFFER ") + note,
            )
            checks.append(("faiss", task, ratio, exact))
    table.bar.set_postfix(part="auto clustered", bits=64)
    checks += bench_auto(args, table, f"clustered n={args.mih_n_db}", indexes, queries, args.n_lone)
    del indexes, brute, mih
    # Where the data does not allow it: uniform random codes have no near neighbours,
    # so probing must reach large substring radii.
    table.bar.set_postfix(part="auto uniform", bits=64)
    uniform = random_packed(rng, args.n_db, 64)
    u_queries = random_packed(rng, args.n_queries, 64)
    indexes = {m: HammingIndex(64, n_jobs=all_threads, method=m) for m in ("brute", "mih", "auto")}
    for index in indexes.values():
        index.add(uniform)
        index.search(u_queries[:1], 1)
    checks += bench_auto(args, table, f"UNIFORM n={args.n_db}", indexes, u_queries, args.n_lone)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-db", type=int, default=1_000_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--bits", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sklearn-n-db", type=int, default=20_000)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--mih-n-db", type=int, default=10_000_000)
    parser.add_argument("--mih-centres", type=int, default=5000)
    parser.add_argument("--mih-flips", type=int, default=4)
    parser.add_argument("--radii", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--mih-ks", type=int, nargs="+", default=[10])
    parser.add_argument(
        "--mih-m-sweep",
        type=int,
        nargs="*",
        default=[4, 5],
        help="numbers of substrings also timed on the MIH tasks (besides the automatic one)",
    )
    parser.add_argument("--skip-flat", action="store_true")
    parser.add_argument("--skip-mih", action="store_true")
    parser.add_argument("--skip-faiss-hash", action="store_true")
    parser.add_argument("--n-lone", type=int, default=200, help="queries run one at a time")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_db, args.n_queries, args.repeats = 100_000, 200, 2
        args.mih_n_db, args.sklearn_n_db, args.mih_centres = 500_000, 5000, 500
        args.n_lone = 20
    all_threads = numba.config.NUMBA_NUM_THREADS
    rng = np.random.default_rng(0)
    print(
        f"machine: {os.cpu_count()} cores, numba threads {all_threads}, "
        f"load average at start {os.getloadavg()[0]:.2f}; median of {args.repeats} runs"
    )
    print("  setting | ours | peer | peer time / our time | target | check")
    with progress_bar(total=n_rows(args, all_threads), desc="bench_hamming", unit="row") as bar:
        table = Table(bar)
        if not args.skip_flat:
            bench_flat(args, rng, table, all_threads)
        if not args.skip_mih:
            bench_mih(args, rng, table, all_threads)
    print(f"load average at end {os.getloadavg()[0]:.2f} (other processes share the cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
