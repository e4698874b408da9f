"""HammingIndex from several threads, and adding in batches (issue 15).

Searches run their numba kernels without the GIL, so threads really do search one index
at the same time; the results must not depend on it.
"""

import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _oracle import assert_same, random_codes

from zeroshash.hamming import HammingIndex
from zeroshash.hamming import index as index_module

N_THREADS = 8
METHODS = ["brute", "mih"]


def _key(result: tuple) -> tuple:
    """Hashable form of a search or range-search result."""
    return tuple(a.tobytes() for a in result)


def _queries(rng, database, n):
    """Queries near items of the database (so that MIH probes find neighbours)."""
    picks = database[rng.integers(0, database.shape[0], n)].copy()
    picks[:, 0] ^= rng.integers(0, 256, n, dtype=np.uint8) & 0b10010000
    return picks


@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(15)
    return {bits: random_codes(rng, 6000, bits, alphabet=40) for bits in (64, 100)}


@pytest.mark.parametrize("bits", [64, 100])
@pytest.mark.parametrize("method", METHODS)
def test_concurrent_searches_equal_serial_results(clustered, bits, method, monkeypatch):
    database = clustered[bits]
    rng = np.random.default_rng(bits)
    query_sets = [_queries(rng, database, int(rng.integers(1, 40))) for _ in range(6)]
    reference = HammingIndex(bits, n_jobs=1, method=method)
    reference.add(database)
    want = [(_key(reference.search(q, 7)), _key(reference.range_search(q, 3))) for q in query_sets]

    builds = []

    class CountingTables(index_module.MultiIndexTables):
        def __init__(self, *args, **kwargs):
            builds.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(index_module, "MultiIndexTables", CountingTables)
    for _ in range(3):  # fresh indexes: the threads race to build the MIH tables
        builds.clear()
        index = HammingIndex(bits, n_jobs=2, method=method)
        index.add(database)
        barrier = threading.Barrier(N_THREADS)

        def work(worker: int, index=index, barrier=barrier) -> list:
            barrier.wait()
            mismatches = []
            for rep in range(12):
                i = (worker + rep) % len(query_sets)
                if (worker + rep) % 2:
                    got = (_key(index.search(query_sets[i], 7)), None)
                    if got[0] != want[i][0]:
                        mismatches.append(("search", worker, rep))
                else:
                    got = _key(index.range_search(query_sets[i], 3))
                    if got != want[i][1]:
                        mismatches.append(("range", worker, rep))
            return mismatches

        with ThreadPoolExecutor(N_THREADS) as pool:
            mismatches = sum(pool.map(work, range(N_THREADS)), [])
        assert mismatches == []
        assert len(builds) == (1 if method == "mih" else 0)


def _mutations(rng, base, with_removals):
    """A writer's script: (op, argument) pairs, applied to an index holding ``base``.

    Added codes are near items of ``base``, so each add changes the search results.
    """
    ops = []
    next_id = base.shape[0]
    for step in range(24):
        if with_removals and step % 3 == 2:
            ops.append(("remove", rng.choice(next_id, 150, replace=False)))
        else:
            n = int(rng.integers(1, 400))
            ops.append(("add", _queries(rng, base, n)))
            next_id += n
    return ops


def _apply(index, op):
    kind, arg = op
    if kind == "add":
        index.add(arg)
    else:
        index.remove_ids(arg)


@pytest.mark.parametrize("with_removals", [False, True], ids=["add", "add+remove"])
@pytest.mark.parametrize("method", METHODS)
def test_search_during_writes_sees_one_consistent_state(with_removals, method):
    """Every result equals the serial result on a state between the search's start and end."""
    bits = 100
    rng = np.random.default_rng(151 + with_removals)
    base = random_codes(rng, 20000, bits, alphabet=40)
    ops = _mutations(rng, base, with_removals)
    queries = _queries(rng, base, 12)
    # Serial results on each state the writer goes through.
    serial = HammingIndex(bits, n_jobs=1, method=method)
    serial.add(base)
    states = [(_key(serial.search(queries, 9)), _key(serial.range_search(queries, 4)))]
    for op in ops:
        _apply(serial, op)
        states.append((_key(serial.search(queries, 9)), _key(serial.range_search(queries, 4))))

    for _ in range(2):
        index = HammingIndex(bits, n_jobs=2, method=method)
        index.add(base)
        done = threading.Event()
        applied = [0]  # number of writer operations known to be complete
        seen = set()  # states the searches saw

        def writer(index=index, done=done, applied=applied) -> list:
            for op in ops:
                time.sleep(0.002)  # spread the writes over many searches
                _apply(index, op)
                applied[0] += 1
            done.set()
            return []

        def reader(worker: int, index=index, done=done, applied=applied, seen=seen) -> list:
            bad = []
            rep = 0
            while not done.is_set() or rep < 4:
                first = applied[0]
                if (worker + rep) % 2:
                    got, which = _key(index.search(queries, 9)), 0
                else:
                    got, which = _key(index.range_search(queries, 4)), 1
                last = min(applied[0] + 1, len(ops))
                match = [s for s in range(first, last + 1) if states[s][which] == got]
                if match:
                    seen.add(match[0])
                else:
                    bad.append((worker, rep, which, first, last))
                rep += 1
            return bad

        with ThreadPoolExecutor(N_THREADS) as pool:
            futures = [pool.submit(writer)]
            futures += [pool.submit(reader, w) for w in range(N_THREADS - 1)]
            bad = sum((f.result() for f in futures), [])
        assert bad == [], f"{len(bad)} searches saw no consistent state, e.g. {bad[:3]}"
        assert len(seen) >= 3  # the searches did overlap the writes
        assert _key(index.search(queries, 9)) == states[-1][0]


def test_concurrent_adds_and_removals_are_atomic():
    bits = 64
    rng = np.random.default_rng(5)
    batches = [random_codes(rng, 50, bits) for _ in range(64)]
    index = HammingIndex(bits, n_jobs=1)

    def add(i: int) -> None:
        index.add(batches[i], ids=np.arange(50) + 1000 * i)
        if i % 4 == 0:
            assert index.remove_ids(np.arange(10) + 1000 * i) == 10

    with ThreadPoolExecutor(N_THREADS) as pool:
        list(pool.map(add, range(len(batches))))
    assert len(index) == 64 * 50 - 16 * 10
    order = np.argsort(index.ids)
    want_ids = np.concatenate(
        [np.arange(10 if i % 4 == 0 else 0, 50) + 1000 * i for i in range(len(batches))]
    )
    np.testing.assert_array_equal(index.ids[order], want_ids)
    want_codes = np.concatenate([b[10:] if i % 4 == 0 else b for i, b in enumerate(batches)])
    np.testing.assert_array_equal(index.reconstruct_all()[order], want_codes)


# -- adding in batches ----------------------------------------------------------------


def _batches(rng, n, n_batches):
    cuts = np.sort(rng.integers(0, n + 1, n_batches - 1))
    return np.split(np.arange(n), cuts)  # includes empty and tiny batches


@pytest.mark.parametrize("bits", [7, 64, 100, 200])
@pytest.mark.parametrize("method", METHODS)
def test_adding_in_batches_equals_one_add(bits, method, tmp_path):
    rng = np.random.default_rng(bits)
    codes = random_codes(rng, 2500, bits, alphabet=50)
    ids = rng.permutation(10**6)[:2500]
    queries = _queries(rng, codes, 20)
    whole = HammingIndex(bits, n_jobs=1, method=method)
    whole.add(codes, ids=ids)
    batched = HammingIndex(bits, n_jobs=1, method=method)
    for part in _batches(rng, 2500, 60):
        batched.add(codes[part], ids=ids[part])
        assert len(batched) == part[-1] + 1 if part.size else True

    def check(a, b):
        np.testing.assert_array_equal(a.reconstruct_all(), b.reconstruct_all())
        np.testing.assert_array_equal(a.ids, b.ids)
        assert_same(a.search(queries, 11), b.search(queries, 11))
        assert_same(a.range_search(queries, bits // 8), b.range_search(queries, bits // 8))

    check(batched, whole)
    whole.save(tmp_path / "whole.zsh")
    batched.save(tmp_path / "batched.zsh")
    assert (tmp_path / "whole.zsh").read_bytes() == (tmp_path / "batched.zsh").read_bytes()
    check(pickle.loads(pickle.dumps(batched)), whole)

    # Removals, more batches, and batches after a read-only memory-mapped load.
    gone = ids[::3]
    assert whole.remove_ids(gone) == batched.remove_ids(gone)
    extra = random_codes(rng, 700, bits, alphabet=50)
    whole.add(extra)
    for part in _batches(rng, 700, 25):
        batched.add(extra[part])
    check(batched, whole)
    mapped = HammingIndex.load(tmp_path / "batched.zsh", mmap=True, n_jobs=1)
    reread = HammingIndex.load(tmp_path / "whole.zsh", mmap=False, n_jobs=1)
    for part in _batches(rng, 700, 25):
        mapped.add(extra[part])
    reread.add(extra)
    check(mapped, reread)
    with pytest.raises(ValueError):  # the file itself stays read-only
        np.asarray(HammingIndex.load(tmp_path / "batched.zsh")._columns)[0, 0] = 1


def test_batched_adds_grow_the_buffer_geometrically():
    """n items in b batches cost O(n), not O(n * b): the storage is reallocated rarely."""
    index = HammingIndex(64, n_jobs=1)
    rng = np.random.default_rng(0)
    previous, reallocations = None, 0
    for _ in range(1000):
        index.add(random_codes(rng, 10, 64))
        reallocations += index._snapshot.buffer is not previous
        previous = index._snapshot.buffer
    assert len(index) == 10_000
    assert reallocations <= 12  # about log2(1000) + 1


@pytest.mark.parametrize(("layer", "serialised"), [("workqueue", True), ("omp", False)])
def test_parallel_launches_are_serialised_only_under_workqueue(layer, serialised, monkeypatch):
    monkeypatch.setattr(index_module.numba, "threading_layer", lambda: layer)
    assert (index_module._launch_guard() is index_module._LAUNCH_LOCK) == serialised
