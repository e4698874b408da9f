"""zeroshash.dask: blockwise encoding of dask arrays and the sharded Hamming index.

One 2-process LocalCluster serves the module. The sharded index must return exactly
what one HammingIndex over the same codes, added in the same order, returns -- ties
included -- so the codes here are drawn from a few distinct values.
"""

import pickle
import subprocess
import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from _helpers import blob_problem  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from zeroshash import (  # noqa: E402
    CrossModalHasher,
    LSHHasher,
    PartAlignHasher,
    get_hasher,
)
from zeroshash.dask import ShardedHammingIndex, dask_encode, dask_transform  # noqa: E402
from zeroshash.hamming import MISSING_DISTANCE, HammingIndex  # noqa: E402

BITS = 16


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _fast(spec, bits=12):
    names = spec.estimator().get_params()
    fast = {"n_anchors": 20, "max_iter": 3, "n_parts": 3}
    params = {"bits": bits, **{k: v for k, v in fast.items() if k in names}}
    if "random_state" in names:
        params["random_state"] = 0
    return spec.estimator(**params)


@pytest.fixture(scope="module")
def data():
    return blob_problem()


def few_codes(rng, n, n_distinct=6, bits=BITS):
    """``n`` packed codes drawn from ``n_distinct`` values: ties everywhere."""
    pool = rng.integers(0, 256, size=(n_distinct, (bits + 7) // 8), dtype=np.uint8)
    return pool[rng.integers(0, n_distinct, size=n)]


def single(codes, bits=BITS, ids=None):
    index = HammingIndex(bits)
    index.add(codes, ids=ids)
    return index


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


# -- encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lsh", "itq", "sh", "zsh", "dbq"])
def test_encode_matches_hasher(client, data, name):
    X, y, word_vecs = data
    spec = get_hasher(name)
    hasher = _fast(spec).fit(X, y, word_vecs if spec.uses_word_vecs else None)
    dX = da.from_array(X, chunks=(50, 7))  # columns split: rechunked to one column block
    codes = dask_encode(hasher, dX)
    bits = dask_transform(hasher, dX)
    # Declared before any compute.
    assert codes.shape == (240, 2) and codes.dtype == np.uint8
    assert codes.chunks == ((50, 50, 50, 50, 40), (2,))
    assert bits.shape == (240, 12) and bits.dtype == np.uint8
    assert bits.chunks == ((50, 50, 50, 50, 40), (12,))
    computed_codes, computed_bits = client.compute([codes, bits], sync=True)
    np.testing.assert_array_equal(computed_codes, hasher.encode(X))
    np.testing.assert_array_equal(computed_bits, hasher.transform(X))


def test_encode_dtype_travels_to_the_workers(client, data):
    from zeroshash import config_context

    X, y, _ = data
    hasher = get_hasher("pcah").make(bits=12).fit(X)
    X16 = X.astype(np.float16)
    dX = da.from_array(X16, chunks=(50, -1))
    with config_context(encode_dtype="float32"):
        graph = dask_encode(hasher, dX)
        local = hasher.decision_function(X16)
        want = hasher.encode(X16)
    np.testing.assert_array_equal(client.compute(graph, sync=True), want)
    # taken when the graph was built: computing it outside the context changes nothing
    np.testing.assert_array_equal(graph.compute(), want)
    assert local.dtype == np.float32
    default = dask_encode(hasher, dX)
    assert default.name != graph.name  # the setting is part of the graph's key
    np.testing.assert_array_equal(client.compute(default, sync=True), hasher.encode(X16))


def test_encode_query_side(client, data):
    X, y, word_vecs = data
    S = np.random.RandomState(1).randn(X.shape[0], 9) + X[:, :9]
    hasher = CrossModalHasher(
        bits=10, n_anchors=20, n_components=4, max_iter=3, random_state=0
    ).fit(X, y, word_vecs, X_query=S)
    queries = dask_encode(hasher, da.from_array(S, chunks=(100, 4)), query=True)
    assert queries.chunks == ((100, 100, 40), (2,))
    np.testing.assert_array_equal(queries.compute(), hasher.encode_query(S))
    q_bits = dask_transform(hasher, da.from_array(S, chunks=100), query=True)
    np.testing.assert_array_equal(q_bits.compute(), hasher.transform_query(S))
    db = dask_encode(hasher, da.from_array(X, chunks=(100, 4)))
    np.testing.assert_array_equal(db.compute(), hasher.encode(X))
    with pytest.raises(ValueError, match="expecting 9 query-modality features"):
        dask_encode(hasher, da.from_array(X), query=True)


def test_encode_patches(client, data):
    X, y, word_vecs = data
    X3 = X.reshape(240, 4, 5)
    hasher = PartAlignHasher(bits=12, n_parts=3, n_anchors=20, max_iter=3, random_state=0)
    hasher.fit(X3, y, word_vecs)
    codes = dask_encode(hasher, da.from_array(X3, chunks=(70, 2, 3)))
    assert codes.chunks == ((70, 70, 70, 30), (2,)) and codes.dtype == np.uint8
    np.testing.assert_array_equal(codes.compute(), hasher.encode(X3))
    flat = dask_encode(hasher, da.from_array(X, chunks=(70, 6)))
    np.testing.assert_array_equal(flat.compute(), hasher.encode(X))
    with pytest.raises(ValueError, match=r"patches of shape .*\(2, 10\).*fitted on \(4, 5\)"):
        dask_encode(hasher, da.from_array(X.reshape(240, 2, 10)))


def test_encode_unknown_and_empty_row_chunks(client, data):
    X, _, _ = data
    hasher = LSHHasher(bits=9, random_state=0).fit(X)
    dX = da.from_array(X, chunks=(60, 5))
    keep = X[:, 0] > 0
    filtered = dask_encode(hasher, dX[da.from_array(keep, chunks=60)])
    assert np.isnan(filtered.shape[0]) and filtered.chunks[1] == (2,)
    np.testing.assert_array_equal(filtered.compute(), hasher.encode(X[keep]))
    with_empty = dask_encode(hasher, da.concatenate([dX[:0], dX, dX[:0]]))
    np.testing.assert_array_equal(with_empty.compute(), hasher.encode(X))


def test_hasher_is_one_node_of_the_graph(data):
    X, _, _ = data
    rng = np.random.RandomState(0)
    wide = rng.randn(40, 2000)
    hasher = LSHHasher(bits=256, random_state=0).fit(wide)  # ~4 MB of hyperplanes
    codes = dask_encode(hasher, da.from_array(wide, chunks=(2, 500)))  # 20 row blocks
    graph = dict(codes.__dask_graph__())
    sizes = {key: len(pickle.dumps(task)) for key, task in graph.items()}
    hasher_size = len(pickle.dumps(hasher))
    holding = [key for key, size in sizes.items() if size > hasher_size // 2]
    assert len(holding) == 1
    encode_tasks = [key for key in graph if str(key[0] if isinstance(key, tuple) else key)
                    .startswith("zeroshash-encode")]
    assert len(encode_tasks) == 20
    assert max(sizes[key] for key in encode_tasks) < 2000
    np.testing.assert_array_equal(codes.compute(scheduler="sync"), hasher.encode(wide))


def test_encode_refuses_bad_input(data):
    X, _, _ = data
    dX = da.from_array(X, chunks=50)
    with pytest.raises(NotFittedError):
        dask_encode(LSHHasher(bits=8), dX)
    hasher = LSHHasher(bits=8, random_state=0).fit(X)
    with pytest.raises(TypeError, match="X must be a dask.array.Array; got ndarray"):
        dask_encode(hasher, X)
    with pytest.raises(ValueError, match="X has 19 features, but LSHHasher is expecting 20"):
        dask_encode(hasher, dX[:, 1:])
    with pytest.raises(ValueError, match=r"of shape \(n_samples, n_features\); got a 3-D"):
        dask_encode(hasher, dX.reshape(240, 4, 5))
    with pytest.raises(ValueError, match="query=True needs a hasher with a query encoder"):
        dask_encode(hasher, dX, query=True)
    with pytest.raises(TypeError, match="X must hold numbers"):
        dask_encode(hasher, da.from_array(X.astype(str), chunks=50))
    with pytest.raises(TypeError, match="hasher must be a zeroshash hasher"):
        dask_encode(object(), dX)


def test_import_zeroshash_does_not_import_dask():
    code = "import sys, zeroshash; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- sharded index ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tied():
    rng = np.random.default_rng(0)
    codes = few_codes(rng, 200)
    queries = np.concatenate([few_codes(rng, 20), codes[:5]])
    return codes, queries


@pytest.mark.parametrize("method", ["brute", "mih", "auto"])
def test_knn_equals_single_index_with_ties(client, tied, method):
    codes, queries = tied
    sharded = ShardedHammingIndex.from_dask_array(
        da.from_array(codes, chunks=((70, 3, 60, 67), (2,))), BITS, method=method, client=client
    )
    assert (sharded.n_shards, len(sharded), sharded.bits) == (4, 200, BITS)
    assert sharded.shard_sizes == (70, 3, 60, 67)
    reference = single(codes)
    for k in (1, 5, 50, 200, 250):  # larger than a shard; than the index (missing slots)
        result = sharded.search(queries, k)
        assert_same(result, reference.search(queries, k))
    dist, ids = sharded.search(queries, 250)
    assert np.all(ids[:, 200:] == -1) and np.all(dist[:, 200:] == MISSING_DISTANCE)


def test_range_search_equals_single_index(client, tied):
    codes, queries = tied
    sharded = ShardedHammingIndex.from_dask_array(
        da.from_array(codes, chunks=((50, 1, 99, 50), (1, 1))), BITS
    )
    reference = single(codes)
    for radius in (0, 3, 8, BITS):
        assert_same(sharded.range_search(queries, radius), reference.range_search(queries, radius))


@pytest.mark.parametrize("ids_kind", ["numpy", "dask"])
def test_explicit_ids_keep_insertion_order_for_ties(client, tied, ids_kind):
    codes, queries = tied
    ids = np.random.default_rng(1).permutation(200) * 7 + 3  # not increasing with position
    given = ids if ids_kind == "numpy" else da.from_array(ids, chunks=33)
    sharded = ShardedHammingIndex.from_dask_array(
        da.from_array(codes, chunks=(45, 2)), BITS, ids=given
    )
    assert not sharded.successive_ids
    np.testing.assert_array_equal(sharded.ids, ids)
    reference = single(codes, ids=ids)
    for k in (1, 7, 230):
        assert_same(sharded.search(queries, k), reference.search(queries, k))
    assert_same(sharded.range_search(queries, 4), reference.range_search(queries, 4))


def test_raw_bit_codes_and_pipeline(client, data):
    X, _, _ = data
    hasher = LSHHasher(bits=10, random_state=0).fit(X)
    dX = da.from_array(X, chunks=(64, 20))
    from_bits = ShardedHammingIndex.from_dask_array(dask_transform(hasher, dX), 10)
    from_codes = ShardedHammingIndex.from_dask_array(dask_encode(hasher, dX), 10)
    queries = hasher.encode(X[::10])
    reference = single(hasher.encode(X), bits=10)
    assert_same(from_bits.search(queries, 12), reference.search(queries, 12))
    assert_same(from_codes.search(hasher.transform(X[::10]), 12), reference.search(queries, 12))
    assert_same(from_codes.range_search(queries, 2), reference.range_search(queries, 2))


def test_unknown_row_chunks_with_default_ids(client, tied):
    codes, queries = tied
    dc = da.from_array(codes, chunks=(40, 2))
    keep = codes[:, 0] % 2 == 0
    sharded = ShardedHammingIndex.from_dask_array(dc[da.from_array(keep, chunks=40)], BITS)
    assert sharded.n_shards == 5 and len(sharded) == keep.sum()
    assert_same(sharded.search(queries, 9), single(codes[keep]).search(queries, 9))


def test_from_shards(client, tied):
    codes, queries = tied
    parts = [codes[:30], codes[30:31], codes[31:]]
    fresh = [single(part) for part in parts]
    sharded = ShardedHammingIndex(fresh)  # successive ids: positions
    np.testing.assert_array_equal(sharded.ids, np.arange(200))
    assert_same(sharded.search(queries, 40), single(codes).search(queries, 40))
    ids = np.arange(200)[::-1] * 2
    own = [single(part, ids=i) for part, i in zip(parts, np.split(ids, [30, 31]), strict=True)]
    futures = client.scatter(own[:2]) + [own[2]]  # futures and local shards mixed
    sharded = ShardedHammingIndex(futures, successive_ids=False)
    assert_same(sharded.search(queries, 40), single(codes, ids=ids).search(queries, 40))
    assert_same(sharded.range_search(queries, 5), single(codes, ids=ids).range_search(queries, 5))


def test_empty_queries_and_empty_shards(client, tied):
    codes, _ = tied
    sharded = ShardedHammingIndex([single(codes[:0]), single(codes[:3]), single(codes[:0])])
    dist, ids = sharded.search(codes[:0], 4)
    assert dist.shape == ids.shape == (0, 4)
    lims, dist, ids = sharded.range_search(codes[:0], 2)
    assert lims.tolist() == [0] and dist.size == ids.size == 0
    assert_same(sharded.search(codes[:4], 5), single(codes[:3]).search(codes[:4], 5))


def test_shard_sizes_are_reported_to_the_scheduler(client, tied):
    codes, _ = tied
    sharded = ShardedHammingIndex.from_dask_array(da.from_array(codes, chunks=100), BITS)
    nbytes = client.nbytes([shard.key for shard in sharded.shards], summary=False)
    assert all(nbytes[shard.key] >= 100 * 16 for shard in sharded.shards)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(0, 60),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    k=st.integers(1, 70),
    radius=st.integers(0, BITS),
    explicit=st.booleans(),
)
def test_random_shard_splits(client, seed, n, cuts, k, radius, explicit):
    rng = np.random.default_rng(seed)
    codes = few_codes(rng, n, n_distinct=4)
    queries = few_codes(rng, 6, n_distinct=4)
    ids = rng.permutation(3 * n)[:n] if explicit else None
    edges = sorted({0, n, *(c for c in cuts if c <= n)})
    shards = [
        single(codes[a:b], ids=None if ids is None else ids[a:b])
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ] or [single(codes)]
    sharded = ShardedHammingIndex(shards, successive_ids=not explicit)
    reference = single(codes, ids=ids)
    assert_same(sharded.search(queries, k), reference.search(queries, k))
    assert_same(sharded.range_search(queries, radius), reference.range_search(queries, radius))


def test_index_refuses_bad_input(client, tied):
    codes, queries = tied
    dc = da.from_array(codes, chunks=50)
    with pytest.raises(TypeError, match="codes must be a dask.array.Array"):
        ShardedHammingIndex.from_dask_array(codes, BITS)
    with pytest.raises(ValueError, match="codes has 2 columns, which fits neither 100-bit"):
        ShardedHammingIndex.from_dask_array(dc, 12 * 8 + 4)
    with pytest.raises(ValueError, match="method must be one of"):
        ShardedHammingIndex.from_dask_array(dc, BITS, method="lsh")
    with pytest.raises((TypeError, ValueError), match="bits"):
        ShardedHammingIndex.from_dask_array(dc, 0)
    with pytest.raises(ValueError, match="ids must be a 1-D integer array of length 200"):
        ShardedHammingIndex.from_dask_array(dc, BITS, ids=np.arange(199))
    with pytest.raises(ValueError, match=r"ids must be unique; repeated: \[5\]"):
        ShardedHammingIndex.from_dask_array(dc, BITS, ids=np.r_[np.arange(199), 5])
    with pytest.raises(ValueError, match="ids must be non-negative"):
        ShardedHammingIndex.from_dask_array(dc, BITS, ids=np.arange(200) - 1)
    with pytest.raises(ValueError, match="shards 0 and 3 share 1 ids"):  # found on the workers
        ShardedHammingIndex.from_dask_array(dc, BITS, ids=da.from_array(np.r_[np.arange(199), 5]))
    bad_bits = da.from_array(np.r_[np.zeros((4, BITS)), np.full((4, BITS), 2)], chunks=4)
    with pytest.raises(ValueError, match="row block 1 of codes: raw-bit codes must contain only"):
        ShardedHammingIndex.from_dask_array(bad_bits, BITS)  # raised by a shard's build
    with pytest.raises(ValueError, match="shard 1 does not"):
        ShardedHammingIndex([single(codes[:3]), single(codes[3:], ids=np.arange(3, 200))])
    with pytest.raises(ValueError, match="different code lengths"):
        ShardedHammingIndex([single(codes), single(codes[:, :1], bits=8)])
    with pytest.raises(ValueError, match="shards is empty"):
        ShardedHammingIndex([])
    with pytest.raises(TypeError, match="shard 1 is a ndarray"):
        ShardedHammingIndex([single(codes), codes])
    with pytest.raises(TypeError, match="shard 0 is a ndarray, not a HammingIndex"):
        ShardedHammingIndex(client.scatter([codes]))
    sharded = ShardedHammingIndex.from_dask_array(dc, BITS)
    with pytest.raises(ValueError, match="k"):
        sharded.search(queries, 0)
    with pytest.raises(ValueError, match="k=1000000000000 asks for .* result slots"):
        sharded.search(queries, 10**12)  # refused before any query reaches a worker
    with pytest.raises(ValueError, match="radius"):
        sharded.range_search(queries, -1)
    with pytest.raises(ValueError, match="queries has 3 columns"):
        sharded.search(queries[:, [0, 1, 1]], 3)
