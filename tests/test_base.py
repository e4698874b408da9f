"""The base class's encoding by blocks of rows (zeroshash/base.py, "Encoding in chunks"),
and its multi-label y ("Multi-label y"; the per-hasher checks are in tests/test_common.py,
the refusals in tests/test_bad_inputs.py).

Every registered hasher gives the same codes whether ``X`` is encoded whole or in many
blocks (a tiny ``working_memory`` forces them), its ``_project`` never sees more rows
than the budget allows, a memory-mapped float16 file is encoded block by block without
being copied whole, and errors are the ones an unblocked call raises.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
import test_common as common

from zeroshash import ZSHHasher, all_hashers, multilabel_indicator, pack_bits
from zeroshash.base import ENCODE_WORKING_MEMORY

SPECS = all_hashers()
NAMES = [spec.name for spec in SPECS]


def fitted(spec, blobs, **extra):
    X, y, word_vecs = blobs
    hasher = spec.estimator(**common.fast_params(spec, **extra))
    return hasher.fit(X, y, word_vecs if spec.uses_word_vecs else None)


def row_width(hasher, query: bool = False) -> int:
    if query:
        return hasher._row_width(hasher.n_query_features_in_, hasher.query_anchors_)
    return hasher._hash_function()["row_width"]


def blocks_of(hasher, rows: int, query: bool = False):
    """A ``working_memory`` (MiB) that holds exactly ``rows`` rows of the hasher's blocks."""
    return sklearn.config_context(working_memory=rows * 8 * row_width(hasher, query) / 2**20)


def assert_same_outputs(whole, blocked, single: bool = False):
    """Codes identical; projections equal to rounding (BLAS may sum a block differently).

    ``single``: the input was float32, which the kernel hashers' distances keep.
    """
    (p0, b0, e0), (p1, b1, e1) = whole, blocked
    rtol, atol = (1e-3, 1e-4) if single else (1e-10, 1e-12)
    np.testing.assert_allclose(p1, p0, rtol=rtol, atol=atol)
    assert b1.dtype == b0.dtype == e1.dtype == e0.dtype == np.uint8
    np.testing.assert_array_equal(b1, b0)
    np.testing.assert_array_equal(e1, e0)
    np.testing.assert_array_equal(e1, pack_bits(b1))


def outputs(hasher, X, query: bool = False):
    suffix = "_query" if query else ""
    methods = ("decision_function", "transform", "encode")
    return tuple(getattr(hasher, method + suffix)(X) for method in methods)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
@pytest.mark.parametrize("form", ["float64", "float32", "float16", "list"])
def test_blocks_give_the_unblocked_codes(spec, blobs, form):
    hasher = fitted(spec, blobs)
    X = blobs[0] if form == "list" else blobs[0].astype(form)
    if form == "list":
        X = X.tolist()
    whole = outputs(hasher, X)
    with blocks_of(hasher, 7):  # 240 rows: 34 blocks of 7 and one of 2
        blocked = outputs(hasher, X)
    assert_same_outputs(whole, blocked, single=form == "float32")
    assert whole[0].dtype == blocked[0].dtype


def test_query_side_is_blocked_too(blobs):
    spec = next(s for s in SPECS if s.name == "cross_modal")
    X, y, word_vecs = blobs
    S = np.hstack([X, np.tanh(X[:, :10])])  # a second modality, wider than the anchors
    hasher = spec.estimator(**common.fast_params(spec)).fit(X, y, word_vecs, X_query=S)
    assert row_width(hasher, query=True) != row_width(hasher)
    whole = outputs(hasher, S, query=True)
    seen = record_rows(hasher, "_project_query")
    with blocks_of(hasher, 5, query=True):
        blocked = outputs(hasher, S, query=True)
    assert_same_outputs(whole, blocked)
    assert max(seen) == 5 and sum(seen) == 3 * S.shape[0]  # three methods
    with blocks_of(hasher, 5, query=True), pytest.raises(ValueError, match="expecting 30 query"):
        hasher.encode_query(X)


def record_rows(hasher, name: str = "_project") -> list:
    """Wrap the hasher's ``name`` method so each call's row count is recorded."""
    seen, method = [], getattr(hasher, name)

    def recording(X):
        seen.append(X.shape[0])
        return method(X)

    setattr(hasher, name, recording)
    return seen


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_project_never_sees_more_rows_than_the_budget(spec, blobs):
    hasher = fitted(spec, blobs)
    seen = record_rows(hasher)
    n = blobs[0].shape[0]
    for rows in (1, 13, n - 1, n, 10 * n):
        seen.clear()
        with blocks_of(hasher, rows):
            hasher.encode(blobs[0])
        assert max(seen) == min(rows, n)
        assert len(seen) == math.ceil(n / rows) and sum(seen) == n


def test_default_budget_is_64_mib_of_float64_rows_and_working_memory_lowers_it():
    rng = np.random.RandomState(0)
    d = 1280
    hasher = common.SPECS[NAMES.index("pcah")].estimator(bits=8).fit(rng.randn(50, d))
    assert row_width(hasher) == d and ENCODE_WORKING_MEMORY == 64
    X = rng.randn(20_000, d).astype(np.float16)
    seen = record_rows(hasher)
    codes = hasher.encode(X)
    per_block = 64 * 2**20 // (8 * d)  # 6553 rows
    assert seen == [per_block] * 3 + [20_000 - 3 * per_block]
    seen.clear()
    with sklearn.config_context(working_memory=32):  # sklearn's knob lowers the budget
        np.testing.assert_array_equal(hasher.encode(X), codes)
    assert max(seen) == 32 * 2**20 // (8 * d)
    seen.clear()
    with sklearn.config_context(working_memory=4096):  # ... but does not raise it
        hasher.encode(X)
    assert max(seen) == per_block


def test_memory_map_is_validated_block_by_block(blobs, tmp_path):
    spec = next(s for s in SPECS if s.name == "zsh")
    hasher = fitted(spec, blobs)
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float16, shape=blobs[0].shape
    )
    X[:] = blobs[0]
    X.flush()
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    expected = hasher.encode(np.asarray(X))
    validated = []
    validate = hasher._validate_X

    def recording(X, *, reset):
        out = validate(X, reset=reset)
        validated.append((X.shape[0], out.dtype))
        return out

    hasher._validate_X = recording
    with blocks_of(hasher, 50):
        np.testing.assert_array_equal(hasher.encode(X), expected)
    # Five blocks, each converted as a whole float16 X was (to float64); never all rows.
    assert validated == [(50, np.float64)] * 4 + [(40, np.float64)]


def test_patches_are_blocked_along_samples(blobs):
    spec = next(s for s in SPECS if s.name == "part_align")
    X, y, word_vecs = blobs
    patches = X.reshape(-1, 4, 5)
    hasher = spec.estimator(**common.fast_params(spec)).fit(patches, y, word_vecs)
    whole = outputs(hasher, patches)
    with blocks_of(hasher, 9):
        assert_same_outputs(whole, outputs(hasher, patches))
        assert_same_outputs(whole, outputs(hasher, X))  # the 2-D form of the same patches


def error_of(call) -> str:
    with pytest.raises(Exception) as info:
        call()
    return f"{type(info.value).__name__}: {info.value}"


BAD_INPUTS = {
    "too few features": lambda X: X[:, :5],
    "no features": lambda X: X[:, :0],
    "3-D": lambda X: X[:, :, None],
    "NaN in a late row": lambda X: np.where(np.arange(len(X))[:, None] == 200, np.nan, X),
    "infinity": lambda X: np.where(np.arange(len(X))[:, None] == 3, np.inf, X),
    "strings": lambda X: np.where(X > 2, "a", X.astype(str)).astype(object),
    "complex": lambda X: X + 1j,
}


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_blocked_errors_are_the_unblocked_ones(spec, blobs, case):
    hasher = fitted(spec, blobs)
    X = BAD_INPUTS[case](blobs[0])
    if spec.name == "part_align" and case == "3-D":
        X = blobs[0].reshape(-1, 2, 10)  # 3-D is valid input here; wrong patches are not
    unblocked = error_of(lambda: hasher.encode(X))
    with blocks_of(hasher, 7):
        assert error_of(lambda: hasher.encode(X)) == unblocked
        assert error_of(lambda: hasher.decision_function(X)) == unblocked
    if case == "too few features":
        assert f"has 5 features, but {spec.estimator.__name__} is expecting 20" in unblocked


def test_feature_names_are_checked_on_blocks(blobs):
    spec = next(s for s in SPECS if s.name == "dbq")
    X, y, _ = blobs
    hasher = fitted(spec, blobs)
    codes = hasher.encode(X)
    # As if fitted on a data frame (pandas is optional): names without a frame warn.
    hasher.feature_names_in_ = np.array([f"f{i}" for i in range(X.shape[1])], dtype=object)
    with blocks_of(hasher, 11), pytest.warns(UserWarning, match="not have valid feature names"):
        np.testing.assert_array_equal(hasher.encode(X), codes)


def test_data_frames_are_validated_whole_then_projected_by_blocks(blobs):
    pd = pytest.importorskip("pandas")
    spec = next(s for s in SPECS if s.name == "dbq")
    X, y, _ = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    hasher = spec.estimator(**common.fast_params(spec)).fit(frame, y)
    codes = hasher.encode(frame)
    seen = record_rows(hasher)
    with blocks_of(hasher, 11):
        np.testing.assert_array_equal(hasher.encode(frame), codes)
        with pytest.raises(ValueError, match="feature names should match"):
            hasher.encode(frame.rename(columns={"f0": "g0"}))
    assert max(seen) == 11


# -- multi-label y ------------------------------------------------------------------------
def test_multilabel_indicator_from_label_sets():
    Y, classes = multilabel_indicator([{"dog", "grass"}, ("sky",), ["dog"]])
    np.testing.assert_array_equal(Y, [[1, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert Y.dtype == np.uint8 and classes.tolist() == ["dog", "grass", "sky"]
    Y, classes = multilabel_indicator([{"dog"}, {"sky"}], classes=["sky", "cat", "dog"])
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0]])  # the given column order
    assert classes.tolist() == ["sky", "cat", "dog"]
    Y, _ = multilabel_indicator([{np.int64(1)}, [2, 1]], classes=[1, 2])  # by equality
    np.testing.assert_array_equal(Y, [[1, 0], [1, 1]])


@pytest.mark.parametrize(("label_sets", "classes", "exc", "match"), [
    (["dog", {"sky"}], None, TypeError, r"label_sets\[0\] is 'dog'; .* \{'dog'\}"),
    ([{"dog"}, 3], None, TypeError, r"label_sets\[1\] is 3"),
    ([{"dog"}, {"okapi"}], ["dog", "sky"], ValueError, "not among classes: 'okapi'"),
])
def test_multilabel_indicator_refuses(label_sets, classes, exc, match):
    with pytest.raises(exc, match=match):
        multilabel_indicator(label_sets, classes=classes)


def test_multilabel_fit_looks_word_vectors_up_by_class_name(blobs):
    """classes_ are the column indices; class_embeddings maps named vectors onto them."""
    from zeroshash.semantics import class_embeddings

    X, y, word_vecs = blobs
    names = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])
    label_sets = [{names[c], names[(c + 1) % 6]} if i % 3 == 0 else {names[c]}
                  for i, c in enumerate(y)]
    Y, classes = multilabel_indicator(label_sets)
    by_name = dict(zip(names, word_vecs))
    params = {"bits": 16, "n_anchors": 30, "max_iter": 3, "random_state": 0}
    named = ZSHHasher(**params).fit(X, Y, class_embeddings(by_name, classes))
    by_row = ZSHHasher(**params).fit(X, Y, word_vecs)  # one row per column, in order
    np.testing.assert_array_equal(named.classes_, np.arange(6))
    np.testing.assert_array_equal(named.encode(X), by_row.encode(X))
    as_sparse = ZSHHasher(**params).fit(X, sp.csr_matrix(Y), word_vecs)
    np.testing.assert_array_equal(as_sparse.encode(X), by_row.encode(X))


def test_empty_indicator_columns_are_classes_absent_from_the_fit(blobs):
    # A zero-shot training split of an indicator: the unseen labels' columns are empty.
    X, y, word_vecs = blobs
    Y = np.eye(6, dtype=np.uint8)[y]
    seen = y != 2
    params = {"bits": 16, "n_anchors": 30, "max_iter": 3, "random_state": 0}
    with_empty = ZSHHasher(**params).fit(X[seen], Y[seen], word_vecs)  # rows picked by label
    np.testing.assert_array_equal(with_empty.classes_, [0, 1, 3, 4, 5])
    dropped = ZSHHasher(**params).fit(X[seen], Y[seen][:, [0, 1, 3, 4, 5]],
                                      word_vecs[[0, 1, 3, 4, 5]])
    single = ZSHHasher(**params).fit(X[seen], y[seen], word_vecs)
    np.testing.assert_array_equal(with_empty.encode(X), dropped.encode(X))
    np.testing.assert_array_equal(with_empty.encode(X), single.encode(X))
    by_dict = ZSHHasher(**params).fit(X[seen], Y[seen], dict(enumerate(word_vecs)))
    np.testing.assert_array_equal(by_dict.encode(X), single.encode(X))


def test_unsupervised_hashers_ignore_multilabel_y(blobs):
    X, y, _ = blobs
    Y = np.eye(6, dtype=np.uint8)[y]
    for spec in all_hashers(supervised=False):
        hasher = spec.estimator(**common.fast_params(spec))
        np.testing.assert_array_equal(hasher.fit(X, Y).encode(X), hasher.fit(X).encode(X))
