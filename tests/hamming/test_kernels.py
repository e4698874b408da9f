"""Every kernel against the plain numpy oracle in ``_oracle.py``."""

import numpy as np
import pytest
from _oracle import MISSING, distances, random_codes, range_search, topk
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash._bits import packed_to_columns, packed_to_rows
from zeroshash.hamming import _kernels as K
from zeroshash.hamming import _topk_kernels as T

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def _read_only(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@st.composite
def problems(draw, max_bits=300, max_db=300):
    """Random (queries, database, bits) with frequent duplicates and ties."""
    bits = draw(st.sampled_from([1, 3, 8, 13, 63, 64, 65, 100, 128, 129, 192, 256, max_bits]))
    n_db = draw(st.integers(0, max_db))
    n_q = draw(st.integers(0, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    alphabet = draw(st.sampled_from([None, 1, 3, 20]))
    rng = np.random.default_rng(seed)
    database = random_codes(rng, n_db, bits, alphabet)
    queries = random_codes(rng, n_q, bits, None)
    if n_q and n_db and draw(st.booleans()):
        queries[0] = database[rng.integers(n_db)]
    return queries, database, bits


@pytest.mark.parametrize("kernel", [K.pairwise_serial, K.pairwise_parallel])
@given(problem=problems())
@SETTINGS
def test_pairwise(kernel, problem):
    queries, database, bits = problem
    out = np.empty((queries.shape[0], database.shape[0]), dtype=np.int32)
    kernel(_read_only(packed_to_rows(queries)), _read_only(packed_to_columns(database)), out)
    np.testing.assert_array_equal(out, distances(queries, database, bits))


@pytest.mark.parametrize("kernel", [T.topk_serial, T.topk_parallel])
@given(problem=problems(), k=st.sampled_from([1, 2, 5, 17, 129, 400]))
@SETTINGS
def test_topk(kernel, problem, k):
    queries, database, bits = problem
    dist = np.empty((queries.shape[0], k), dtype=np.int32)
    pos = np.empty((queries.shape[0], k), dtype=np.int64)
    kernel(
        _read_only(packed_to_rows(queries)), _read_only(packed_to_columns(database)), k, dist, pos
    )
    want_d, want_p = topk(queries, database, bits, k)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(pos, want_p)


@pytest.mark.parametrize("parallel", [False, True])
@given(problem=problems(), radius=st.integers(0, 300))
@SETTINGS
def test_range(parallel, problem, radius):
    queries, database, bits = problem
    radius = min(radius, bits)
    rows, columns = packed_to_rows(queries), _read_only(packed_to_columns(database))
    counts = np.zeros(rows.shape[0], dtype=np.int64)
    (K.range_count_parallel if parallel else K.range_count_serial)(rows, columns, radius, counts)
    lims = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    dist = np.empty(lims[-1], dtype=np.int32)
    pos = np.empty(lims[-1], dtype=np.int64)
    fill = K.range_fill_parallel if parallel else K.range_fill_serial
    fill(rows, columns, radius, lims, dist, pos)
    want_lims, want_d, want_p = range_search(queries, database, bits, radius)
    np.testing.assert_array_equal(lims, want_lims)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(pos, want_p)


@given(
    st.lists(st.integers(0, 40), min_size=0, max_size=600),
    st.integers(1, 60),
    st.sampled_from([1, 7, 64, 256]),
)
@SETTINGS
def test_selection_keeps_k_best_earliest_first(values, k, chunk):
    """accept_hits + compact_candidates fed chunk by chunk equal a full stable sort."""
    dist = np.array(values, dtype=np.int32)
    cap = k + chunk
    cand_d = np.empty(cap, np.int32)
    cand_p = np.empty(cap, np.int64)
    hist = np.empty(41, np.int64)
    state = np.empty(4, np.int64)
    T.reset_selection(state, hist, 40)
    for start in range(0, dist.size, chunk):
        part = dist[start : start + chunk].copy()
        if state[T.FILL] + part.size > cap:
            T.compact_candidates(cand_d, cand_p, k, hist, state)
        T.accept_hits(part, part.size, start, k, cand_d, cand_p, hist, state)
        assert state[T.FILL] <= cap
    T.compact_candidates(cand_d, cand_p, k, hist, state)
    fill = state[T.FILL]
    order = np.lexsort((np.arange(dist.size), dist))[:k]
    got = sorted(zip(cand_d[:fill].tolist(), cand_p[:fill].tolist(), strict=True))
    assert got == list(zip(dist[order].tolist(), order.tolist(), strict=True))


def test_sort_hits_is_stable_by_distance():
    dist = np.array([3, 1, 3, 0, 1], dtype=np.int32)
    pos = np.array([0, 1, 2, 3, 4], dtype=np.int64)
    K.sort_hits_by_distance(dist, pos, 0, 5, 3)
    assert dist.tolist() == [0, 1, 1, 3, 3]
    assert pos.tolist() == [3, 1, 4, 0, 2]


def test_memory_mapped_database(tmp_path):
    rng = np.random.default_rng(0)
    database = random_codes(rng, 1000, 96)
    queries = random_codes(rng, 5, 96)
    path = tmp_path / "db.u64"
    packed_to_columns(database).tofile(path)
    mapped = np.memmap(path, dtype=np.uint64, mode="r", shape=(2, 1000))
    dist = np.empty((5, 10), dtype=np.int32)
    pos = np.empty((5, 10), dtype=np.int64)
    T.topk_serial(packed_to_rows(queries), np.asarray(mapped), 10, dist, pos)
    want_d, want_p = topk(queries, database, 96, 10)
    np.testing.assert_array_equal(pos, want_p)
    np.testing.assert_array_equal(dist, want_d)


def test_missing_slots_use_sentinel():
    dist = np.empty((1, 3), dtype=np.int32)
    pos = np.empty((1, 3), dtype=np.int64)
    T.topk_serial(np.zeros((1, 1), np.uint64), np.zeros((1, 0), np.uint64), 3, dist, pos)
    assert dist.tolist() == [[MISSING] * 3] and pos.tolist() == [[-1] * 3]
