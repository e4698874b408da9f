"""HammingIndex: input forms, validation, ids, threads, pickling."""

import pickle

import joblib
import numpy as np
import pytest
from _oracle import MISSING, assert_same, random_codes, range_search, topk
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash import pack_bits, unpack_bits
from zeroshash.hamming import MISSING_DISTANCE, HammingIndex, hamming_distances


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    return random_codes(rng, 700, 100, alphabet=60), random_codes(rng, 30, 100)


def test_sentinel_matches_faiss_convention():
    assert MISSING_DISTANCE == MISSING == 2**31 - 1


@pytest.mark.parametrize("n_jobs", [1, 2, -1, None])
def test_search_equals_oracle_for_every_thread_count(data, n_jobs):
    database, queries = data
    index = HammingIndex(100, n_jobs=n_jobs)
    index.add(database)
    dist, ids = index.search(queries, 25)
    want_d, want_p = topk(queries, database, 100, 25)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(ids, want_p)
    lims, rdist, rids = index.range_search(queries, 40)
    want = range_search(queries, database, 100, 40)
    assert_same((lims, rdist, rids), want)


def test_raw_bits_and_packed_give_same_results(data):
    database, queries = data
    a, b = HammingIndex(100), HammingIndex(100)
    a.add(database)
    b.add(unpack_bits(database, 100).astype(np.float32))
    np.testing.assert_array_equal(a.reconstruct_all(), b.reconstruct_all())
    assert_same(a.search(queries, 5), b.search(unpack_bits(queries, 100) == 1, 5))


def test_single_bit_codes_are_told_apart_by_value():
    index = HammingIndex(1)
    index.add(np.array([[0], [128]], dtype=np.uint8))  # packed
    index.add(np.array([[0], [1]], dtype=np.uint8))  # raw bits
    assert index.reconstruct_all().ravel().tolist() == [0, 128, 0, 128]
    dist, ids = index.search(np.array([[1]]), 4)
    assert dist.tolist() == [[0, 0, 1, 1]] and ids.tolist() == [[1, 3, 0, 2]]


def test_k_larger_than_index_and_empty_index():
    index = HammingIndex(16)
    dist, ids = index.search(np.zeros((2, 2), np.uint8), 3)
    assert (ids == -1).all() and (dist == MISSING_DISTANCE).all()
    lims, rdist, rids = index.range_search(np.zeros((2, 2), np.uint8), 16)
    assert lims.tolist() == [0, 0, 0] and rdist.size == rids.size == 0
    index.add(np.ones((1, 2), np.uint8))
    dist, ids = index.search(np.zeros((1, 2), np.uint8), 3)
    assert dist.tolist() == [[2, MISSING_DISTANCE, MISSING_DISTANCE]]
    assert ids.tolist() == [[0, -1, -1]]
    dist, ids = index.search(np.zeros((0, 2), np.uint8), 3)
    assert dist.shape == ids.shape == (0, 3)


def test_ids_and_remove_ids(data):
    database, queries = data
    index = HammingIndex(100, n_jobs=1)
    index.add(database[:300], ids=np.arange(300) * 10)
    index.add(database[300:])
    assert index.ids[300] == 2991
    removed = index.remove_ids(np.arange(0, 3000, 20))
    assert removed == 150 and len(index) == 550
    keep = np.ones(700, bool)
    keep[:300:2] = False
    dist, ids = index.search(queries, 9)
    want_d, want_p = topk(queries, database[keep], 100, 9)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(ids, index.ids[want_p])
    assert index.remove_ids(np.array([123456789])) == 0
    with pytest.raises(ValueError, match="already in the index"):
        index.add(database[:1], ids=[10])


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (np.zeros(3, np.uint8), "2-D"),
        (np.zeros((2, 5), np.uint8), "5 columns"),
        (np.zeros((2, 2), np.int32), "dtype uint8"),
        (np.full((2, 12), 2), "only 0 and 1"),
        (np.full((2, 12), np.nan), "NaN"),
        (np.array([[0, 1]], np.uint8), "padding bits"),
        (np.array([["a"] * 12]), "numeric"),
    ],
)
def test_bad_codes_are_refused(codes, message):
    index = HammingIndex(12)
    with pytest.raises(ValueError, match=message):
        index.add(codes)
    assert len(index) == 0
    with pytest.raises(ValueError, match=message):
        index.search(codes, 1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="bits"):
        HammingIndex(0)
    with pytest.raises(TypeError, match="bits"):
        HammingIndex(8.0)
    with pytest.raises(ValueError, match="method"):
        HammingIndex(8, method="lsh")
    with pytest.raises(ValueError, match="n_jobs"):
        HammingIndex(8, n_jobs=0)
    index = HammingIndex(8)
    index.add(np.zeros((2, 1), np.uint8))
    q = np.zeros((1, 1), np.uint8)
    with pytest.raises(ValueError, match="k must be >= 1"):
        index.search(q, 0)
    with pytest.raises(TypeError, match="k must be"):
        index.search(q, 2.5)
    with pytest.raises(ValueError, match="radius must be >= 0"):
        index.range_search(q, -1)
    with pytest.raises(ValueError, match="finite"):
        index.range_search(q, float("nan"))
    with pytest.raises(ValueError, match="whole number"):
        index.range_search(q, 1.5)
    with pytest.raises(ValueError, match="length 2"):
        index.add(np.zeros((2, 1), np.uint8), ids=[1])
    with pytest.raises(ValueError, match="unique"):
        index.add(np.zeros((2, 1), np.uint8), ids=[5, 5])
    with pytest.raises(ValueError, match=">= 0"):
        index.add(np.zeros((1, 1), np.uint8), ids=[-3])
    assert len(index) == 2


def test_radius_beyond_bits_returns_everything():
    index = HammingIndex(8)
    index.add(np.arange(256, dtype=np.uint8)[:, None])
    lims, _, _ = index.range_search(np.zeros((1, 1), np.uint8), 1000)
    assert lims.tolist() == [0, 256]


@pytest.mark.parametrize("method", ["brute", "mih"])
def test_pickle_and_joblib_round_trip(data, method, tmp_path):
    database, queries = data
    index = HammingIndex(100, n_jobs=1, method=method)
    index.add(database, ids=np.arange(700)[::-1])
    expected = index.search(queries, 5)
    for clone in (
        pickle.loads(pickle.dumps(index)),
        joblib.load(joblib.dump(index, tmp_path / "index.joblib")[0]),
    ):
        assert (clone.bits, clone.method, clone.n_jobs) == (100, method, 1)
        np.testing.assert_array_equal(clone.reconstruct_all(), database)
        assert_same(clone.search(queries, 5), expected)
        clone.add(database[:1])
        assert clone.ids[-1] == 700


@given(st.integers(1, 200), st.integers(0, 20), st.integers(0, 20), st.integers(0, 99))
@settings(max_examples=25, deadline=None, derandomize=True)
def test_hamming_distances(bits, n_x, n_y, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n_x, bits))
    y = rng.integers(0, 2, (n_y, bits))
    want = (x[:, None, :] != y[None, :, :]).sum(axis=2)
    for n_jobs in (1, 2):
        np.testing.assert_array_equal(hamming_distances(x, pack_bits(y), bits, n_jobs), want)
