"""Multi-index hashing returns exactly the brute-force results (same tie order)."""

import numpy as np
import pytest
from _oracle import assert_same, random_codes, range_search, topk
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash._bits import packed_to_columns, packed_to_rows
from zeroshash.hamming import HammingIndex
from zeroshash.hamming._mih import MultiIndexTables, choose_n_substrings


def clustered(rng, n, bits, n_centres, flips):
    centres = rng.integers(0, 2, (n_centres, bits), dtype=np.uint8)
    raw = centres[rng.integers(0, n_centres, n)]
    for _ in range(flips):
        raw[np.arange(n), rng.integers(0, bits, n)] ^= 1
    return np.packbits(raw, axis=1).reshape(n, (bits + 7) // 8)


def small_tables(rng, bits, n, m, seed, n_random, n_own, centre_share):
    """Clustered codes, queries (random codes then database items), and tables of at
    least ``m`` substrings of at most 10 bits (exhaustive probing stays cheap)."""
    database = clustered(rng, n, bits, n_centres=max(1, n // centre_share), flips=2)
    queries = np.concatenate([random_codes(rng, n_random, bits), database[:n_own]])
    m = max(m, -(-8 * ((bits + 7) // 8) // 10))
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, bits, n_substrings=m, store_codes=seed % 2 == 0)
    return database, queries, columns, rows, tables


@given(
    bits=st.sampled_from([8, 31, 64, 96, 130]),
    n=st.integers(1, 400),
    m=st.integers(1, 6),
    k=st.sampled_from([1, 3, 10, 50, 500]),
    radius=st.integers(0, 12),
    seed=st.integers(0, 999),
    parallel=st.booleans(),
    screen=st.sampled_from([0, 0, 1, 5, 10**9]),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_tables_equal_brute_force(bits, n, m, k, radius, seed, parallel, screen):
    rng = np.random.default_rng(seed)
    database, queries, columns, rows, tables = small_tables(rng, bits, n, m, seed, 3, 3, 20)
    threads = 2 if parallel else 1
    # An unlimited budget keeps every query on the probing path, unless screened out
    # (then scanned).
    dist, pos = tables.topk(rows, columns, k, threads, budget=2**62, screen=screen)
    want_d, want_p = topk(queries, database, bits, k)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(pos, want_p)
    lims, rdist, rpos = tables.range(rows, columns, radius, threads)
    assert_same((lims, rdist, rpos), range_search(queries, database, bits, radius))


@pytest.mark.parametrize(("bits", "m"), [(64, 3), (96, 4), (130, 6)])
@pytest.mark.parametrize("store_codes", [False, True])
def test_wide_substrings_across_word_boundaries(bits, m, store_codes):
    rng = np.random.default_rng(bits)
    database = clustered(rng, 300, bits, n_centres=10, flips=3)
    queries = clustered(rng, 8, bits, n_centres=10, flips=2)
    queries[:4] = database[:4]
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, bits, n_substrings=m, store_codes=store_codes)
    assert tables.spans[:, 1].max() >= 21
    dist, pos = tables.topk(rows, columns, 5, 1, budget=2**62)
    assert_same((dist, pos), topk(queries, database, bits, 5))
    for radius in (0, 2, 2 * m + 1):
        got = tables.range(rows, columns, radius, 1)
        assert_same(got, range_search(queries, database, bits, radius))


@pytest.mark.parametrize("n_queries", [6, 100])
def test_budget_fallback_is_exact(n_queries):
    """Per-query fallback (few queries) and whole-batch fallback (many) are exact."""
    rng = np.random.default_rng(1)
    database = random_codes(rng, 2000, 64)
    queries = random_codes(rng, n_queries, 64)
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, 64)
    for budget, threads in [(0, 1), (50, 2), (2**62, 1), (2**62, 2)]:
        dist, pos = tables.topk(rows, columns, 7, threads, budget=budget)
        want_d, want_p = topk(queries, database, 64, 7)
        np.testing.assert_array_equal(dist, want_d)
        np.testing.assert_array_equal(pos, want_p)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_index_with_mih_equals_brute(n_jobs):
    rng = np.random.default_rng(5)
    database = clustered(rng, 3000, 64, n_centres=40, flips=3)
    queries = np.concatenate([clustered(rng, 20, 64, 40, 4), random_codes(rng, 5, 64)])
    mih = HammingIndex(64, n_jobs=n_jobs, method="mih")
    brute = HammingIndex(64, n_jobs=n_jobs)
    for index in (mih, brute):
        index.add(database[:2000])
        index.add(database[2000:])
        index.remove_ids(np.arange(0, 3000, 11))
    for k in (1, 10, 100):
        assert_same(mih.search(queries, k), brute.search(queries, k))
    for radius in (0, 1, 3, 8, 64):
        assert_same(mih.range_search(queries, radius), brute.range_search(queries, radius))


def test_choose_n_substrings_and_validation():
    assert choose_n_substrings(64, 10_000_000) == 3
    assert choose_n_substrings(128, 1_000_000) == 6
    assert choose_n_substrings(256, 2) == 256
    columns = packed_to_columns(np.zeros((5, 8), np.uint8))
    with pytest.raises(ValueError, match="n_substrings must be between 3 and 64"):
        MultiIndexTables(columns, 64, n_substrings=2)
    with pytest.raises(TypeError, match="n_substrings"):
        HammingIndex(64, method="mih", n_substrings=2.0)


def substring_values(columns, spans):
    """Per table, the substring value of every item, from the bits one by one."""
    # Internal bit b of an item is bit b % 64 of word b // 64.
    internal = np.concatenate(
        [
            ((columns[w][:, None] >> np.arange(64, dtype=np.uint64)) & 1)
            for w in range(len(columns))
        ],
        axis=1,
    )
    return [
        (internal[:, start : start + length] << np.arange(length, dtype=np.uint64)).sum(1)
        for start, length in spans
    ]


@pytest.mark.parametrize(("bits", "m"), [(12, 2), (64, 3), (100, 5)])
def test_build_tables_against_numpy(bits, m):
    """Each bucket holds exactly the items with that substring value, in order."""
    rng = np.random.default_rng(m)
    database = random_codes(rng, 500, bits, alphabet=40)
    columns = packed_to_columns(database)
    tables = MultiIndexTables(columns, bits, n_substrings=m, store_codes=True)
    for i, keys in enumerate(substring_values(columns, tables.spans)):
        length = tables.spans[i, 1]
        base = tables.table_starts[i]
        offsets = tables.offsets[base : base + 2**length + 1]
        np.testing.assert_array_equal(np.diff(offsets), np.bincount(keys, minlength=2**length))
        np.testing.assert_array_equal(tables.positions[i], np.argsort(keys, kind="stable"))
        np.testing.assert_array_equal(tables.bucket_codes[i], columns[:, tables.positions[i]])


def _plan_is_exact(reach, spans, radius):
    probed = reach >= 0
    full = np.any(probed & (reach >= spans[:, 1]))
    return full or int((reach[probed] + 1).sum()) >= radius + 1


@given(
    bits=st.sampled_from([16, 31, 64, 100]),
    n=st.integers(1, 300),
    m=st.integers(1, 5),
    radius=st.integers(0, 9),
    seed=st.integers(0, 999),
    data=st.data(),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_every_exact_range_plan_equals_brute_force(bits, n, m, radius, seed, data):
    """Forced plans: any subset of tables with any reaches meeting the pigeonhole bound
    (single table with flips, exact match in radius + 1 tables, mixed) is exact."""
    rng = np.random.default_rng(seed)
    database, queries, columns, rows, tables = small_tables(rng, bits, n, m, seed, 2, 4, 15)
    spans = tables.spans
    reach = np.array(
        [data.draw(st.integers(-1, min(radius, int(length)))) for length in spans[:, 1]],
        dtype=np.int64,
    )
    # Raise the reaches until the plan is exact, as a planner must.
    i = 0
    while not _plan_is_exact(reach, spans, radius):
        reach[i % m] = min(reach[i % m] + 1, spans[i % m, 1])
        i += 1
    reach.flags.writeable = False
    want = range_search(queries, database, bits, radius)
    assert_same(tables.range(rows, columns, radius, 1, reach=reach), want)
    assert_same(tables.range(rows, columns, radius, 2, reach=reach), want)


@pytest.mark.parametrize("radius", range(0, 9))
def test_chosen_range_plans_are_exact(radius):
    rng = np.random.default_rng(radius)
    database = clustered(rng, 4000, 64, n_centres=30, flips=3)
    queries = np.concatenate([clustered(rng, 10, 64, 30, 2), random_codes(rng, 3, 64)])
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, 64)
    reach, cost = tables.range_plan(radius, 1)
    assert _plan_is_exact(reach, tables.spans, radius) and cost > 0
    assert_same(tables.range(rows, columns, radius, 2), range_search(queries, database, 64, radius))


@pytest.mark.parametrize(("thread_cost", "block_cost"), [(1, 1), (1, 10**5), (10**12, 1)])
def test_range_blocks_and_threads_are_exact(thread_cost, block_cost, monkeypatch):
    """Any split of a batch into blocks and threads gives the same CSR result."""
    import zeroshash.hamming._mih as mih_module

    monkeypatch.setattr(mih_module, "_MIN_THREAD_COST", thread_cost)
    monkeypatch.setattr(mih_module, "_MIN_BLOCK_COST", block_cost)
    rng = np.random.default_rng(8)
    database = clustered(rng, 4000, 64, n_centres=30, flips=3)
    queries = np.concatenate([database[:300] ^ np.uint8(4), random_codes(rng, 100, 64)])
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, 64)
    for radius in (0, 2):
        want = range_search(queries, database, 64, radius)
        assert_same(tables.range(rows, columns, radius, 2), want)


@pytest.mark.parametrize("n_blocks", [1, 2, 7, 40])
def test_range_parallel_kernel_against_numpy(n_blocks):
    """The parallel range kernel over any number of blocks (more blocks than queries
    too) returns the oracle's hits, query by query."""
    from zeroshash.hamming._mih_kernels import mih_range_parallel

    rng = np.random.default_rng(n_blocks)
    database = clustered(rng, 3000, 64, n_centres=25, flips=3)
    queries = np.concatenate([database[:25] ^ np.uint8(8), random_codes(rng, 5, 64)])
    columns, rows = packed_to_columns(database), packed_to_rows(queries)
    tables = MultiIndexTables(columns, 64)
    for radius in (0, 3):
        reach = tables.range_plan(radius, 1)[0]
        args = (*tables._tables(), reach, radius, n_blocks)
        counts, dist, pos = mih_range_parallel(rows, columns, *args)
        lims = np.concatenate([[0], np.cumsum(counts)])
        assert_same((lims, dist, pos), range_search(queries, database, 64, radius))


def test_single_table_plan_for_radius_zero_and_exact_match_for_small_radii():
    """On clustered codes, r=0 probes one table (the query's smallest bucket) and r < m
    exact-match lookups in r + 1 tables: fewer candidates than flips."""
    rng = np.random.default_rng(3)
    database = clustered(rng, 20000, 64, n_centres=50, flips=3)
    tables = MultiIndexTables(packed_to_columns(database), 64, n_substrings=3)
    for radius in (0, 1, 2):
        reach = tables.range_plan(radius, 1)[0]
        assert sorted(reach.tolist()) == [-1] * (2 - radius) + [0] * (radius + 1)


@pytest.mark.parametrize("n_queries", [1, 5, 40, 100])
@pytest.mark.parametrize("budget", [0.0, 100.0, 5000.0, None, 2.0**62])
def test_topk_give_up_and_batch_scan_are_exact(n_queries, budget):
    """Queries that give up (any budget), the batch sample and the batch scan are exact,
    on uniform codes (most give up) and clustered ones (few do)."""
    rng = np.random.default_rng(n_queries)
    for database in (random_codes(rng, 3000, 64), clustered(rng, 3000, 64, 20, 3)):
        queries = np.concatenate([database[: n_queries // 2], random_codes(rng, n_queries, 64)])
        queries = queries[:n_queries]
        columns, rows = packed_to_columns(database), packed_to_rows(queries)
        tables = MultiIndexTables(columns, 64)
        want = topk(queries, database, 64, 7)
        for threads in (1, 2):
            assert_same(tables.topk(rows, columns, 7, threads, budget=budget), want)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_auto_equals_brute_on_clustered_and_uniform_codes(n_jobs, monkeypatch):
    import zeroshash.hamming.index as index_module

    monkeypatch.setattr(index_module, "AUTO_MIN_ITEMS", 0)
    rng = np.random.default_rng(11)
    for database in (clustered(rng, 5000, 64, 40, 3), random_codes(rng, 5000, 64)):
        queries = np.concatenate([database[:30] ^ np.uint8(1), random_codes(rng, 20, 64)])
        auto = HammingIndex(64, n_jobs=n_jobs)
        brute = HammingIndex(64, n_jobs=n_jobs, method="brute")
        assert auto.method == "auto"
        for index in (auto, brute):
            index.add(database)
        for k in (1, 10, 100):
            assert_same(auto.search(queries, k), brute.search(queries, k))
            for i in (0, 25, 49):  # lone queries
                assert_same(auto.search(queries[i : i + 1], k), brute.search(queries[i : i + 1], k))
        for radius in (0, 2, 5, 20):
            assert_same(auto.range_search(queries, radius), brute.range_search(queries, radius))
        assert auto._snapshot._tables is not None  # the tables were used


def test_auto_scans_small_indexes_without_tables():
    rng = np.random.default_rng(2)
    index = HammingIndex(64)
    index.add(random_codes(rng, 500, 64))
    index.search(random_codes(rng, 3, 64), 5)
    index.range_search(random_codes(rng, 3, 64), 3)
    assert index._snapshot._tables is None


@pytest.mark.parametrize(("bits", "m"), [(12, 2), (64, 3), (100, 5), (130, 6)])
def test_bucket_items_against_numpy(bits, m):
    """The screen's count: items sharing a substring with the query, summed over tables."""
    rng = np.random.default_rng(bits)
    database = random_codes(rng, 600, bits, alphabet=30)
    queries = np.concatenate([database[:5], random_codes(rng, 5, bits)])
    columns = packed_to_columns(database)
    tables = MultiIndexTables(columns, bits, n_substrings=m)
    db_keys = substring_values(columns, tables.spans)
    q_keys = substring_values(packed_to_columns(queries), tables.spans)
    rows = packed_to_rows(queries)
    for qi in range(queries.shape[0]):
        want = sum(int((d == q[qi]).sum()) for d, q in zip(db_keys, q_keys, strict=True))
        assert tables.bucket_items(rows[qi]) == want


def test_knn_win_rate_tells_clustered_from_uniform_codes():
    rng = np.random.default_rng(4)
    for database, low, high in (
        (random_codes(rng, 20000, 64), 0.0, 0.1),
        (clustered(rng, 20000, 64, 20, 2), 0.9, 1.0),
    ):
        columns = packed_to_columns(database)
        tables = MultiIndexTables(columns, 64)
        budget = 0.05 * tables.scan_cost(1)
        rate = tables.knn_win_rate(10, columns, budget)
        assert low <= rate <= high
        assert tables.knn_win_rate(16, columns, budget) == rate  # k rounded up to 16
        assert 0.0 <= tables.knn_win_rate(20000, columns, budget) <= 1.0


@pytest.mark.parametrize("min_win_rate", [0.0, 1.1])
def test_auto_screened_and_unscreened_lone_queries_equal_brute(min_win_rate, monkeypatch):
    """Screening every query (win rate threshold above 1) or none keeps auto exact, for
    lone queries (the screen in Python) and small batches (the screen in the kernel)."""
    import zeroshash.hamming.index as index_module

    monkeypatch.setattr(index_module, "AUTO_MIN_ITEMS", 0)
    monkeypatch.setattr(index_module, "AUTO_MIN_WIN_RATE", min_win_rate)
    rng = np.random.default_rng(12)
    database = np.concatenate([clustered(rng, 3000, 64, 30, 2), random_codes(rng, 3000, 64)])
    queries = np.concatenate([database[:6] ^ np.uint8(2), random_codes(rng, 6, 64)])
    auto = HammingIndex(64, n_jobs=2)
    brute = HammingIndex(64, method="brute")
    for index in (auto, brute):
        index.add(database)
    for k in (1, 10, 64):
        assert_same(auto.search(queries, k), brute.search(queries, k))
        for i in range(queries.shape[0]):
            one = queries[i : i + 1]
            assert_same(auto.search(one, k), brute.search(one, k))


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 40, 300])
def test_sort_runs_against_numpy(n):
    from zeroshash.hamming._mih_kernels import sort_runs

    rng = np.random.default_rng(n)
    # A few ascending runs, as the hits of a few buckets, and plain random values.
    runs = np.concatenate([np.sort(rng.integers(0, 1000, size)) for size in (n // 3, n - n // 3)])
    for values in (runs, rng.integers(0, 50, n)):
        got = np.concatenate([[7, 7], values, [3]]).astype(np.int64)
        sort_runs(got, np.empty_like(got), 2, 2 + n)
        np.testing.assert_array_equal(got[2 : 2 + n], np.sort(values))
        assert got[:2].tolist() == [7, 7] and got[-1] == 3
