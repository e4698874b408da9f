"""The bad-input matrix of the public API (issue 15, part 5).

Every case feeds one bad input to one public entry point and expects a ValueError or
TypeError (or a subclass: sklearn's InvalidParameterError and NotFittedError,
ModelFileError; FileNotFoundError and IsADirectoryError are OSErrors, the right errors
for a path that is not there or is a folder) whose message names the problem, raised
before any work: a fit leaves no fitted attribute, an index is left as it was, a save
leaves no file (and no temporary file) and an existing file unchanged.

The cases are tables grouped by area; each table has one test. Tables elsewhere cover
the per-hasher fit inputs (tests/test_common.py: BAD_FIT, bits, BAD_WORD_VECS), model
files in depth (tests/test_persistence.py) and the command line
(tests/cli/test_errors.py); here the whole public surface is covered once.
"""

from __future__ import annotations

import re
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import blob_problem, public_fitted_attributes
from test_common import fast_params

from zeroshash import LSHHasher, ZSHHasher, get_hasher, load_model, save_model
from zeroshash.hamming import HammingIndex
from zeroshash.hamming._io import HEADER_SIZE

ZSH = get_hasher("zsh")


def zsh(**extra):
    return ZSHHasher(**fast_params(ZSH, **extra))


def onehot(y, k=6):
    return np.eye(k, dtype=np.uint8)[y]


def with_entry(Y, row, col, value):
    Y = Y.astype(np.float64)
    Y[row, col] = value
    return Y


class OneLabelZSH(ZSHHasher):
    """A hasher whose method is defined for one label a sample (none of the registry's is)."""

    _multilabel = False


def lsh(**extra):
    return LSHHasher(**{"bits": 8, "random_state": 0, **extra})


def with_nan(X):
    X = X.copy()
    X[3, 4] = np.nan
    return X


def raises(exc, match, call):
    """Run ``call`` expecting ``exc`` with ``match`` in its message; return the error."""
    with pytest.raises(exc, match=match) as info:
        call()
    return info.value


# -- hashers: fit ------------------------------------------------------------------------
# (make hasher, fit arguments from (X, y, word_vecs), error, message)
BAD_FIT = [
    pytest.param(zsh, lambda X, y, w: (with_nan(X), y, w), ValueError, "NaN", id="nan-X"),
    pytest.param(lsh, lambda X, y, w: (np.where(X > 5, np.inf, X),), ValueError, "infinity",
                 id="inf-X"),
    pytest.param(lsh, lambda X, y, w: (X[:0],), ValueError, r"0 sample\(s\)", id="empty-X"),
    pytest.param(lsh, lambda X, y, w: (X[:, :0],), ValueError, r"0 feature\(s\)",
                 id="no-features"),
    pytest.param(zsh, lambda X, y, w: (X[:1], y[:1], w), ValueError, "got 1 sample",
                 id="one-sample"),
    pytest.param(zsh, lambda X, y, w: (X[y == 0], y[y == 0], w[:1]), ValueError,
                 "at least 2 classes", id="one-class"),
    pytest.param(zsh, lambda X, y, w: (X, y[:-1], w), ValueError,
                 "inconsistent numbers of samples", id="lengths"),
    pytest.param(zsh, lambda X, y, w: (X, None, w), ValueError, "requires y", id="no-y"),
    pytest.param(zsh, lambda X, y, w: (X, np.c_[y, y], w), ValueError,
                 r"multi-label indicator matrix .* holds only 0 and 1", id="2-D-y"),
    pytest.param(zsh, lambda X, y, w: (X, y + 0.5, w), ValueError, "Unknown label type",
                 id="continuous-y"),
    # Multi-label y: a 0/1 indicator matrix, validated before any work.
    pytest.param(zsh, lambda X, y, w: (X, with_entry(onehot(y), 3, 2, 2), w), ValueError,
                 r"holds only 0 and 1; got \[2\.0\]", id="indicator-2"),
    pytest.param(zsh, lambda X, y, w: (X, with_entry(onehot(y), 3, 2, 0.5), w), ValueError,
                 r"holds only 0 and 1; got \[0\.5\]", id="indicator-fraction"),
    pytest.param(zsh, lambda X, y, w: (X, with_entry(onehot(y), 3, y[3], 0), w), ValueError,
                 r"1 sample\(s\) with no label \(rows 3\)", id="indicator-unlabelled-row"),
    pytest.param(zsh, lambda X, y, w: (X, onehot(y)[:-1], w), ValueError,
                 "inconsistent numbers of samples", id="indicator-lengths"),
    pytest.param(zsh, lambda X, y, w: (X, [{int(c)} for c in y], w), TypeError,
                 "y holds sets of labels; .* zeroshash.multilabel_indicator",
                 id="label-sets"),
    pytest.param(zsh, lambda X, y, w: (X, [[int(c)] * (1 + i % 2) for i, c in enumerate(y)], w),
                 TypeError, "ragged sequence .* zeroshash.multilabel_indicator",
                 id="ragged-label-lists"),
    pytest.param(lambda: OneLabelZSH(**fast_params(ZSH)),
                 lambda X, y, w: (X, onehot(y), w), ValueError,
                 "OneLabelZSH does not support multi-label y: its method is defined for one "
                 "label per sample only", id="indicator-unsupported"),
    pytest.param(lambda: get_hasher("dbq").estimator(bits=8, unlabeled_label=-1),
                 lambda X, y, w: (X, onehot(y)), ValueError,
                 "unlabeled_label=-1 marks unlabelled rows by a label value",
                 id="indicator-dbq-unlabeled_label"),
    pytest.param(lsh, lambda X, y, w: (X[:, :, None],), ValueError, "dim 3", id="3-D-X"),
    pytest.param(lsh, lambda X, y, w: (np.full(X.shape, "a"),), ValueError,
                 "could not convert string to float", id="strings-X"),
    pytest.param(lsh, lambda X, y, w: (X + 1j,), ValueError, "Complex data not supported",
                 id="complex-X"),
    # Sparse input is supported nowhere: refused, never densified.
    pytest.param(lsh, lambda X, y, w: (sp.csr_matrix(X),), TypeError, "Sparse data",
                 id="sparse-X"),
    pytest.param(lambda: zsh(bits=10**7), lambda X, y, w: (X, y, w), ValueError,
                 r"'bits' parameter .* range \[1, 65536\]", id="bits-huge"),
    pytest.param(lambda: lsh(bits=0), lambda X, y, w: (X,), ValueError, "'bits' parameter",
                 id="bits-0"),
    pytest.param(lambda: lsh(bits=2.5), lambda X, y, w: (X,), ValueError, "'bits' parameter",
                 id="bits-float"),
    pytest.param(lambda: lsh(bits="64"), lambda X, y, w: (X,), ValueError, "'bits' parameter",
                 id="bits-str"),
    pytest.param(
        lambda: lsh(bits=True), lambda X, y, w: (X,), ValueError, "'bits' parameter",
        id="bits-bool-lsh"
    ),
    pytest.param(
        lambda: get_hasher("pcah").estimator(bits=True), lambda X, y, w: (X,), ValueError,
        "'bits' parameter", id="bits-bool-pcah"
    ),
    pytest.param(lambda: zsh(n_anchors=True), lambda X, y, w: (X, y, w), ValueError,
                 "'n_anchors' parameter of ZSHHasher must be a number, not a bool",
                 id="n_anchors-bool"),
    pytest.param(lambda: lsh(n_jobs=0), lambda X, y, w: (X,), ValueError, "'n_jobs' parameter",
                 id="n_jobs-0"),
    pytest.param(lambda: zsh(word_vecs={}), lambda X, y, w: (X, y, w), ValueError,
                 "both to the constructor and to fit", id="word_vecs-twice"),
]


@pytest.mark.parametrize(("make", "args", "exc", "match"), BAD_FIT)
def test_fit_refuses_before_any_work(blobs, make, args, exc, match):
    hasher = make()
    raises(exc, match, lambda: hasher.fit(*args(*blobs)))
    assert not public_fitted_attributes(hasher)


# (fitted hasher's name, bad X from the training X, error, message)
BAD_TRANSFORM = [
    pytest.param("lsh", lambda X: X[:, :5], ValueError, "has 5 features, but LSHHasher",
                 id="feature-count"),
    pytest.param("zsh", with_nan, ValueError, "NaN", id="nan"),
    pytest.param("lsh", lambda X: np.where(X > 5, -np.inf, X), ValueError, "infinity",
                 id="inf"),
    pytest.param("zsh", lambda X: X[:, :, None], ValueError, "dim 3", id="3-D"),
    pytest.param("lsh", lambda X: np.full(X.shape, "a"), ValueError, "could not convert string",
                 id="strings"),
    pytest.param("zsh", sp.csr_matrix, TypeError, "Sparse data", id="sparse"),
    pytest.param("unfitted", lambda X: X, ValueError, "not fitted yet", id="not-fitted"),
]


@pytest.fixture(scope="module")
def fitted_hashers():
    X, y, word_vecs = blob_problem()
    return X, {"lsh": lsh().fit(X), "zsh": zsh().fit(X, y, word_vecs), "unfitted": lsh()}


@pytest.mark.parametrize(("name", "bad", "exc", "match"), BAD_TRANSFORM)
@pytest.mark.parametrize("method", ["transform", "encode"])
def test_transform_refuses(fitted_hashers, name, bad, exc, match, method):
    X, hashers = fitted_hashers
    hasher = hashers[name]
    state = dict(vars(hasher))
    raises(exc, match, lambda: getattr(hasher, method)(bad(X)))
    assert vars(hasher).keys() == state.keys()


# -- word vectors ------------------------------------------------------------------------
def _keyed_vectors(w):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=w.shape[1])
    kv.add_vectors([str(i) for i in range(5)], w[:5].astype(np.float32))
    return kv


def _garbage_file(tmp_path):
    path = tmp_path / "vectors.vec"
    path.write_bytes(b"2 3\nfoo 1 2\nbar x y z\n")
    return str(path)


# (word_vecs from the class vectors w and tmp_path, error, message)
BAD_WORD_VECS = [
    pytest.param(lambda w, t: {i: w[i] for i in range(5)}, ValueError,
                 r"no vector for 1 class\(es\): \[5\]", id="label-without-vector"),
    pytest.param(lambda w, t: _keyed_vectors(w), ValueError,
                 r"no vector for 1 class\(es\): '5'", id="keyed-vectors-missing-label"),
    pytest.param(lambda w, t: w[:4], ValueError, "4 rows but y has 6 classes", id="few-rows"),
    pytest.param(lambda w, t: np.where(w > 1, np.nan, w), ValueError, "NaN or infinity",
                 id="nan"),
    pytest.param(lambda w, t: {i: w[i][: 2 + (i > 0)] for i in range(6)}, ValueError,
                 "differ in length", id="unequal-dimensions"),
    pytest.param(lambda w, t: w[:, 0], ValueError, "must be 2-D", id="1-D-array"),
    pytest.param(lambda w, t: w[:, :, None], ValueError, "must be 2-D", id="3-D-array"),
    pytest.param(lambda w, t: w[:, :0], ValueError, "non-empty", id="dimension-0"),
    pytest.param(lambda w, t: np.full(w.shape, "a"), ValueError, "must hold real numbers",
                 id="strings"),
    pytest.param(lambda w, t: w + 1j, ValueError, "must hold real numbers; got dtype complex",
                 id="complex"),
    pytest.param(lambda w, t: sp.csr_matrix(w), TypeError, "word_vecs is a scipy sparse",
                 id="sparse"),
    pytest.param(lambda w, t: {i: np.tile(w[i], (2, 1)) for i in range(6)}, ValueError,
                 r"class 0 an array of shape \(2, 3\); a class vector is 1-D",
                 id="vector-is-a-matrix"),
    pytest.param(lambda w, t: {i: "vector" for i in range(6)}, ValueError,
                 "class 0 a <U6 value", id="vector-is-a-string"),
    pytest.param(lambda w, t: {i: w[i] if i else None for i in range(6)}, ValueError,
                 r"no vector for 1 class\(es\): \[0\]", id="mapping-to-None"),
    pytest.param(lambda w, t: {i: w[i] for i in range(1, 6)}.get, ValueError,
                 r"no vector for 1 class\(es\): \[0\]", id="callable-returns-None"),
    pytest.param(lambda w, t: str(t / "missing.vec"), FileNotFoundError, "no file at that path",
                 id="missing-file"),
    pytest.param(lambda w, t: _garbage_file(t), ValueError, "cannot read .*vectors.vec",
                 id="unreadable-file"),
]


@pytest.mark.parametrize(("word_vecs", "exc", "match"), BAD_WORD_VECS)
def test_bad_word_vectors_are_refused_before_any_work(blobs, tmp_path, word_vecs, exc, match):
    X, y, w = blobs
    hasher = zsh()
    raises(exc, match, lambda: hasher.fit(X, y, word_vecs(w, tmp_path)))
    assert not public_fitted_attributes(hasher)


# -- Hamming index -----------------------------------------------------------------------
BAD_INDEX_ARGS = [
    pytest.param({"bits": 0}, ValueError, "bits must be between 1 and 65536", id="bits-0"),
    pytest.param({"bits": 10**7}, ValueError, "bits must be between 1 and 65536",
                 id="bits-huge"),
    pytest.param({"bits": 2.5}, TypeError, "bits must be an integer", id="bits-float"),
    pytest.param({"bits": "16"}, TypeError, "bits must be an integer", id="bits-str"),
    pytest.param({"bits": True}, TypeError, "bits must be an integer", id="bits-bool"),
    pytest.param({"bits": 16, "method": "lsh"}, ValueError, "method must be one of",
                 id="method"),
    pytest.param({"bits": 16, "n_jobs": 0}, ValueError, "n_jobs must not be 0", id="n_jobs-0"),
    pytest.param({"bits": 16, "n_jobs": "2"}, TypeError, "n_jobs must be None or",
                 id="n_jobs-str"),
    pytest.param({"bits": 16, "n_substrings": 2.0}, TypeError, "n_substrings must be None or",
                 id="n_substrings-float"),
    pytest.param({"bits": 16, "method": "mih", "n_substrings": 0}, ValueError,
                 "n_substrings must be between 1 and 16", id="n_substrings-0"),
    pytest.param({"bits": 12, "method": "mih", "n_substrings": 17}, ValueError,
                 "n_substrings must be between 1 and 16 for 12-bit", id="n_substrings-large"),
]


@pytest.mark.parametrize(("kwargs", "exc", "match"), BAD_INDEX_ARGS)
def test_index_construction_refuses(kwargs, exc, match):
    raises(exc, match, lambda: HammingIndex(**kwargs))


CODES = np.random.RandomState(1).randint(0, 256, (50, 2)).astype(np.uint8)  # 16-bit packed


def _ragged():
    return [[1, 2], [3]]


# (codes, ids, error, message) for HammingIndex(16).add after 50 codes with ids 0..49
BAD_ADD = [
    pytest.param(np.zeros((2, 3), np.uint8), None, ValueError,
                 "3 columns, which fits neither 16-bit packed", id="width"),
    pytest.param(CODES.astype(np.int64), None, ValueError, "must have dtype uint8",
                 id="packed-dtype"),
    pytest.param(CODES[:, :, None], None, ValueError, r"2-D array .* got shape \(50, 2, 1\)",
                 id="3-D"),
    pytest.param(CODES[0], None, ValueError, r"2-D array .* got shape \(2,\)", id="1-D"),
    pytest.param(np.full((2, 16), 2), None, ValueError, "only 0 and 1", id="bits-value-2"),
    pytest.param(np.full((2, 16), np.nan), None, ValueError, "NaN", id="bits-nan"),
    pytest.param(np.full((2, 16), "1"), None, ValueError, "numeric 0/1 bits", id="strings"),
    pytest.param(sp.csr_matrix(CODES), None, TypeError, "codes is a scipy sparse",
                 id="sparse"),
    pytest.param(_ragged(), None, ValueError, "codes is not a rectangular array", id="ragged"),
    pytest.param(CODES[:3], [100, 101], ValueError, "ids must be a 1-D array of length 3",
                 id="ids-length"),
    pytest.param(CODES[:3], [100, 100, 101], ValueError, "ids must be unique",
                 id="ids-duplicated"),
    pytest.param(CODES[:3], [100, 101, 7], ValueError, r"already in the index: \[7\]",
                 id="ids-in-index"),
    pytest.param(CODES[:3], [100, -1, 101], ValueError, ">= 0", id="ids-negative"),
    pytest.param(CODES[:3], [100.0, 101.0, 102.0], ValueError, "ids must be integers",
                 id="ids-float"),
    pytest.param(CODES[:1], np.array([2**63], np.uint64), ValueError, "fit in int64",
                 id="ids-beyond-int64"),
    pytest.param(CODES[:2], sp.csr_matrix([[100, 101]]), TypeError, "ids is a scipy sparse",
                 id="ids-sparse"),
]


@pytest.fixture
def index():
    index = HammingIndex(16)
    index.add(CODES)
    return index


def assert_index_unchanged(index):
    assert len(index) == 50
    np.testing.assert_array_equal(index.ids, np.arange(50))
    np.testing.assert_array_equal(index.reconstruct_all(), CODES)


@pytest.mark.parametrize(("codes", "ids", "exc", "match"), BAD_ADD)
def test_index_add_refuses_and_changes_nothing(index, codes, ids, exc, match):
    raises(exc, match, lambda: index.add(codes, ids=ids))
    assert_index_unchanged(index)


def test_padding_bits_are_refused(index):
    twelve = HammingIndex(12)
    raises(ValueError, "non-zero padding bits", lambda: twelve.add(np.full((2, 2), 255, np.uint8)))
    assert len(twelve) == 0


# (method, queries, second argument: k or radius or None, error, message)
BAD_QUERY = [
    pytest.param("search", CODES[:2], 0, ValueError, "k must be >= 1", id="k-0"),
    pytest.param("search", CODES[:2], -3, ValueError, "k must be >= 1", id="k-negative"),
    pytest.param("search", CODES[:2], 2.5, TypeError, "k must be a positive integer",
                 id="k-float"),
    pytest.param("search", CODES[:2], "3", TypeError, "k must be a positive integer",
                 id="k-str"),
    pytest.param("search", CODES[:2], None, TypeError, "k must be a positive integer",
                 id="k-None"),
    pytest.param("search", CODES[:2], True, TypeError, "k must be a positive integer",
                 id="k-bool"),
    pytest.param("search", CODES[:2], 10**12, ValueError,
                 r"k=1000000000000 asks for 2 x 1,000,000,000,000 result slots .* more than "
                 r"this machine's", id="k-beyond-memory"),
    pytest.param("search", CODES[:2, :1], 2, ValueError, "queries has 1 columns",
                 id="queries-width"),
    pytest.param("search", CODES[:2].astype(np.float32), 2, ValueError,
                 "packed queries must have dtype uint8", id="queries-dtype"),
    pytest.param("search", CODES[:2, :, None], 2, ValueError, "queries must be a 2-D",
                 id="queries-3-D"),
    pytest.param("search", sp.csr_matrix(CODES[:2]), 2, TypeError, "queries is a scipy sparse",
                 id="queries-sparse"),
    pytest.param("range_search", CODES[:2], -1, ValueError, "radius must be >= 0",
                 id="radius-negative"),
    pytest.param("range_search", CODES[:2], -(10**30), ValueError, "radius must be >= 0",
                 id="radius-huge-negative"),
    pytest.param("range_search", CODES[:2], 2.5, ValueError, "whole number", id="radius-float"),
    pytest.param("range_search", CODES[:2], float("nan"), ValueError, "finite",
                 id="radius-nan"),
    pytest.param("range_search", CODES[:2], "2", TypeError, "radius must be a non-negative",
                 id="radius-str"),
    pytest.param("range_search", CODES[:2], None, TypeError, "radius must be a non-negative",
                 id="radius-None"),
    pytest.param("range_search", np.ones((2, 15)), 2, ValueError, "queries has 15 columns",
                 id="range-queries-width"),
    pytest.param("remove_ids", [[1, 2]], None, ValueError, "ids must be a 1-D integer array",
                 id="remove-2-D"),
    pytest.param("remove_ids", [1.5], None, ValueError, "ids must be a 1-D integer array",
                 id="remove-float"),
    pytest.param("remove_ids", sp.csr_matrix([[1]]), None, TypeError, "ids is a scipy sparse",
                 id="remove-sparse"),
]


@pytest.mark.parametrize("method_name", ["brute", "mih"])
@pytest.mark.parametrize(("method", "first", "second", "exc", "match"), BAD_QUERY)
def test_index_search_refuses(index, method_name, method, first, second, exc, match):
    index.method = method_name
    args = (first,) if method == "remove_ids" else (first, second)
    raises(exc, match, lambda: getattr(index, method)(*args))
    assert_index_unchanged(index)


def test_huge_radius_is_everything(index):
    # Was a TypeError from np.isfinite on a Python int beyond int64.
    lims, _, _ = index.range_search(CODES[:2], 10**30)
    assert lims.tolist() == [0, 50, 100]


# -- index files and model files ---------------------------------------------------------
@pytest.fixture
def files(tmp_path, fitted_hashers):
    """A saved index and model in ``tmp_path`` and helpers to write damaged copies."""
    X, hashers = fitted_hashers
    index = HammingIndex(16, method="mih", n_substrings=2)
    index.add(CODES)
    index.save(tmp_path / "good.zsh")
    save_model(hashers["lsh"], tmp_path / "good.npz")

    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    def flip(name, source, offset):
        raw = bytearray((tmp_path / source).read_bytes())
        raw[offset] ^= 0x10
        return write(name, bytes(raw))

    return SimpleNamespace(tmp=tmp_path, index=index, hasher=hashers["lsh"], X=X, write=write,
                           flip=flip, raw=(tmp_path / "good.zsh").read_bytes())


_FIELDS = ("magic", "version", "bits", "n_words", "method", "count", "next_id", "n_sub", "crc",
           "reserved")


def reheader(raw: bytes, **fields) -> bytes:
    """An index file with header fields changed and a valid header checksum (crafted)."""
    values = dict(zip(_FIELDS, struct.unpack("<8sIIIIQqII12s", raw[:60])))
    head = struct.pack("<8sIIIIQqII12s", *{**values, **fields}.values())
    return head + struct.pack("<I", zlib.crc32(head)) + raw[HEADER_SIZE:]


# (path of a bad file from the fixture, error, message); {path} is the file's path.
BAD_INDEX_FILES = [
    pytest.param(lambda f: f.tmp / "missing.zsh", FileNotFoundError, "{path}", id="missing"),
    pytest.param(lambda f: f.tmp, IsADirectoryError, "{path}", id="directory"),
    pytest.param(lambda f: f.tmp / "good.npz", ValueError,
                 "{path} is not a zeroshash Hamming index", id="foreign-model-file"),
    pytest.param(lambda f: f.write("empty.zsh", b""), ValueError, "too short", id="empty"),
    pytest.param(lambda f: f.write("cut.zsh", f.raw[:-5]), ValueError, "{path}: file has .* "
                 "truncated", id="truncated"),
    pytest.param(lambda f: f.write("head.zsh", f.raw[:HEADER_SIZE]), ValueError, "truncated",
                 id="header-only"),
    pytest.param(lambda f: f.flip("payload.zsh", "good.zsh", HEADER_SIZE + 3), ValueError,
                 "payload checksum mismatch", id="corrupted-payload"),
    pytest.param(lambda f: f.flip("header.zsh", "good.zsh", 20), ValueError,
                 "header checksum mismatch", id="corrupted-header"),
    pytest.param(lambda f: f.write("newer.zsh", reheader(f.raw, version=2)), ValueError,
                 "{path} has index format version 2, newer than .* upgrade zeroshash",
                 id="newer-version"),
    pytest.param(lambda f: f.write("v0.zsh", reheader(f.raw, version=0)), ValueError,
                 "unsupported format version 0", id="version-0"),
    # Crafted headers with valid checksums: fields this format's writer never produces.
    pytest.param(lambda f: f.write("huge.zsh", reheader(f.raw, bits=10**7, n_words=156_250,
                                                        count=0)[:HEADER_SIZE]),
                 ValueError, "{path}: inconsistent header", id="bits-beyond-max"),
    pytest.param(lambda f: f.write("next.zsh", reheader(f.raw, next_id=-5)), ValueError,
                 "{path}: inconsistent header", id="negative-next-id"),
    pytest.param(lambda f: f.write("nsub.zsh", reheader(f.raw, n_sub=99)), ValueError,
                 "{path}: inconsistent header", id="n_substrings-out-of-range"),
]


@pytest.mark.parametrize("mmap", [True, False])
@pytest.mark.parametrize(("make", "exc", "match"), BAD_INDEX_FILES)
def test_bad_index_files_are_refused(files, make, exc, match, mmap):
    path = make(files)
    raises(exc, match.replace("{path}", re.escape(repr(str(path)))),
           lambda: HammingIndex.load(path, mmap=mmap))


BAD_MODEL_FILES = [
    pytest.param(lambda f: f.tmp / "missing.npz", FileNotFoundError, "{path}", id="missing"),
    pytest.param(lambda f: f.tmp, IsADirectoryError, "{path}", id="directory"),
    pytest.param(lambda f: f.tmp / "good.zsh", ValueError,
                 "model file {path} is not a zeroshash model file: not a zip", id="foreign"),
    pytest.param(lambda f: f.write("cut.npz", (f.tmp / "good.npz").read_bytes()[:-40]),
                 ValueError, "not a zip .* or a truncated one", id="truncated"),
    pytest.param(lambda f: f.write("empty.npz", b""), ValueError, "not a zip", id="empty"),
    pytest.param(lambda f: f.flip("flip.npz", "good.npz", 100), ValueError,
                 "model file {path} is damaged", id="corrupted"),
    pytest.param(lambda f: _npz(f.tmp / "plain.npz", data=np.zeros(3)), ValueError,
                 "has no __manifest__.json member", id="foreign-npz"),
    pytest.param(lambda f: _rewritten_manifest(f.tmp, format_version=2), ValueError,
                 "format version 2, newer than .* upgrade zeroshash", id="newer-version"),
    pytest.param(lambda f: _rewritten_manifest(f.tmp, hasher="nope"), ValueError,
                 "names a hasher that is not registered", id="unregistered-hasher"),
]


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _rewritten_manifest(folder, **changes):
    import json

    from zeroshash.persistence import MANIFEST, _checksum

    with np.load(folder / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    manifest = {**json.loads(arrays[MANIFEST].tobytes()), **changes}
    names = [entry["name"] for entry in manifest["arrays"]]
    manifest["checksum"]["value"] = _checksum(manifest, [arrays[n] for n in names])
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    return _npz(folder / "changed.npz", **arrays)


@pytest.mark.parametrize(("make", "exc", "match"), BAD_MODEL_FILES)
def test_bad_model_files_are_refused(files, make, exc, match):
    path = make(files)
    raises(exc, match.replace("{path}", re.escape(repr(str(path)))), lambda: load_model(path))


def _save_index(f, path):
    f.index.save(path)


def _save_model(f, path):
    save_model(f.hasher, path)


def _save_vectors(f, path):
    from zeroshash.datasets import save_vectors

    save_vectors(path, f.X)


def _save_labels(f, path):
    from zeroshash.datasets import save_labels

    save_labels(path, np.arange(5))


SAVERS = {"index": _save_index, "model": _save_model, "vectors": _save_vectors,
          "labels": _save_labels}
SUFFIX = {"index": ".zsh", "model": ".npz", "vectors": ".fvecs", "labels": ".txt"}


# (what is saved, target path from tmp_path and suffix, error, message)
BAD_SAVE_TARGETS = [
    pytest.param(kind, lambda t, s: t / "no" / "such" / f"out{s}", FileNotFoundError, None,
                 id=f"{kind}-missing-directory")
    for kind in SAVERS
] + [
    pytest.param(kind, lambda t, s: t / f"folder{s}", IsADirectoryError, None,
                 id=f"{kind}-over-a-directory")
    for kind in ("index", "model", "vectors")
]


@pytest.mark.parametrize(("kind", "target", "exc", "match"), BAD_SAVE_TARGETS)
def test_saving_to_a_bad_path_names_it_and_writes_nothing(files, kind, target, exc, match):
    # FileNotFoundError / IsADirectoryError (OSErrors) are the errors for such a path.
    path = target(files.tmp, SUFFIX[kind])
    (files.tmp / f"folder{SUFFIX[kind]}").mkdir()
    before = {p: p.read_bytes() for p in files.tmp.rglob("*") if p.is_file()}
    error = raises(exc, re.escape(str(path)), lambda: SAVERS[kind](files, path))
    assert ".tmp" not in str(error)  # the path given, never the temporary file
    after = {p: p.read_bytes() for p in files.tmp.rglob("*") if p.is_file()}
    assert after == before


BAD_MODEL_SAVES = [
    pytest.param(lambda f: lsh(), ValueError, "not fitted yet", id="unfitted"),
    pytest.param(lambda f: f.index, TypeError, "not one of them", id="not-a-hasher"),
    pytest.param(lambda f: _fitted_zsh(word_vecs={0: [1.0], 1: [2.0]}), ValueError,
                 r"parameter word_vecs=.*set_params\(word_vecs=None\)", id="dict-parameter"),
]


def _fitted_zsh(**params):
    X = np.random.RandomState(0).randn(40, 4)
    return zsh(**params).fit(X, np.repeat([0, 1], 20))


@pytest.mark.parametrize(("make", "exc", "match"), BAD_MODEL_SAVES)
def test_unsavable_models_are_refused_and_nothing_is_written(files, make, exc, match):
    target = files.tmp / "good.npz"  # an existing file: must stay unchanged
    before = sorted(files.tmp.iterdir()), target.read_bytes()
    raises(exc, match, lambda: save_model(make(files), target))
    assert (sorted(files.tmp.iterdir()), target.read_bytes()) == before


# -- metrics -----------------------------------------------------------------------------
_RNG = np.random.RandomState(2)
Q, DB = _RNG.randint(0, 2, (5, 8)), _RNG.randint(0, 2, (30, 8))
QL, DL = _RNG.randint(0, 3, 5), _RNG.randint(0, 3, 30)


def _map(q=Q, db=DB, ql=QL, dl=DL, **kwargs):
    from zeroshash.metrics import mean_average_precision

    return lambda: mean_average_precision(q, db, ql, dl, **kwargs)


def _metric(name, **kwargs):
    from zeroshash import metrics

    return lambda: getattr(metrics, name)(Q, DB, QL, DL, **kwargs)


# (call, error, message)
BAD_METRICS = [
    pytest.param(_map(db=DB[:, :7]), ValueError, "differ in length: 8 vs 7 bits", id="widths"),
    pytest.param(_map(q=np.where(Q == 1, np.nan, Q)), ValueError, "must hold 0/1 bits",
                 id="nan-bits"),
    pytest.param(_map(q=Q * 2), ValueError, "must hold 0/1 bits", id="bits-value-2"),
    pytest.param(_map(q=Q[:, :, None]), ValueError, r"must be 2-D .* got shape \(5, 8, 1\)",
                 id="3-D-codes"),
    pytest.param(_map(q=sp.csr_matrix(Q)), TypeError, "query_codes is a scipy sparse",
                 id="sparse-codes"),
    pytest.param(_map(q=np.packbits(Q, axis=1).astype(float), db=np.packbits(DB, axis=1),
                      bits=8), ValueError, "must have dtype uint8", id="packed-dtype"),
    pytest.param(_map(q=np.packbits(Q, axis=1), db=np.packbits(DB, axis=1), bits=12),
                 ValueError, "of 12 bits have 2 uint8 columns; got 1", id="packed-width"),
    pytest.param(_map(bits=0), ValueError, "bits must be None .* or a positive integer",
                 id="bits-0"),
    pytest.param(_map(bits=2.5), ValueError, "bits must be None", id="bits-float"),
    pytest.param(_map(ql=QL[:-1]), ValueError, "4 query labels for 5 queries",
                 id="labels-length"),
    pytest.param(_map(ql=QL[:, None]), ValueError, "both be 1-D .* or both 2-D",
                 id="labels-ndim"),
    pytest.param(_map(ql=np.full((5, 3), 2), dl=np.ones((30, 3))), ValueError,
                 "indicator matrices must hold only 0 and 1", id="indicator-values"),
    pytest.param(_map(ql=np.ones((5, 2)), dl=np.ones((30, 3))), ValueError,
                 "differ in width: 2 vs 3", id="indicator-widths"),
    pytest.param(_map(k=0), ValueError, "k must be None or an integer >= 1; got 0", id="k-0"),
    pytest.param(_map(k=2.5), ValueError, "k must be None or an integer >= 1; got 2.5",
                 id="k-float"),
    pytest.param(_map(k="5"), TypeError, "k must be None or an integer >= 1; got '5'",
                 id="k-str"),
    pytest.param(_map(k=True), TypeError, "got True", id="k-bool"),
    pytest.param(_map(k=float("nan")), ValueError, "got nan", id="k-nan"),
    pytest.param(_map(ties="random"), ValueError, "ties must be", id="ties"),
    pytest.param(_map(k=3, k_denominator="all"), ValueError, "k_denominator must be",
                 id="k_denominator"),
    pytest.param(_metric("precision_within_radius", radius=-1), ValueError,
                 "radius must be an integer >= 0; got -1", id="radius-negative"),
    pytest.param(_metric("retrieval_scores", radius=float("nan")), ValueError,
                 "radius must be an integer >= 0; got nan", id="radius-nan"),
    pytest.param(_metric("precision_within_radius", radius=None), TypeError,
                 "radius must be an integer >= 0; got None", id="radius-None"),
    pytest.param(_metric("precision_within_radius", radius="2"), TypeError, "got '2'",
                 id="radius-str"),
    pytest.param(_metric("precision_at_n", n=0), ValueError, "n must be an integer >= 1",
                 id="n-0"),
    pytest.param(_metric("recall_at_n", n=2.5), ValueError, "n must be an integer >= 1; got 2.5",
                 id="n-float"),
    pytest.param(_metric("precision_at_n", n="a"), TypeError, "n must be an integer", id="n-str"),
    pytest.param(_metric("precision_recall_by_rank", ranks=[1, 2.5]), ValueError,
                 "ranks must hold integers >= 1; got 2.5", id="ranks-float"),
    pytest.param(_metric("precision_recall_by_rank", ranks=[[1, 2]]), ValueError,
                 r"ranks must be one cut-off or a 1-D list .* \(1, 2\)", id="ranks-2-D"),
    pytest.param(_metric("precision_recall_by_rank", ranks=["a"]), TypeError,
                 "ranks must hold integers", id="ranks-str"),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD_METRICS)
def test_metrics_refuse(call, exc, match):
    raises(exc, match, call)


def test_huge_cutoffs_mean_the_whole_database():
    # k, n and ranks beyond int64 were an OverflowError; they are capped at the database.
    assert _map(k=10**30)() == _map()()
    assert _metric("precision_at_n", n=10**30)() == _metric("precision_at_n", n=30)()


# -- splits and the protocol -------------------------------------------------------------
Y = np.repeat(np.arange(6), 20)


def _ms(name, *args, **kwargs):
    from zeroshash import model_selection

    return lambda: getattr(model_selection, name)(*args, **kwargs)


def _zsr(**kwargs):
    return _ms("zero_shot_retrieval_split", Y, **{"n_unseen": 2, "n_query_per_class": 5,
                                                   **kwargs})


def _folds(y=Y, X=None, **kwargs):
    from zeroshash.model_selection import ZeroShotSplit

    return lambda: list(ZeroShotSplit(**kwargs).split(X, y))


def _protocol(**kwargs):
    from zeroshash.model_selection import ZeroShotProtocol

    return lambda: list(ZeroShotProtocol(**kwargs).split(Y))


BAD_SPLITS = [
    pytest.param(_ms("seen_unseen_split", Y, n_unseen=2, unseen=[1]), ValueError,
                 "exactly one of n_unseen and unseen", id="n_unseen-and-unseen"),
    pytest.param(_ms("seen_unseen_split", Y, n_unseen=0), ValueError,
                 r"n_unseen must be an integer in \[1, 5\]", id="n_unseen-0"),
    pytest.param(_ms("seen_unseen_split", Y, n_unseen=6), ValueError,
                 r"n_unseen must be an integer in \[1, 5\] for 6 classes", id="n_unseen-all"),
    pytest.param(_ms("seen_unseen_split", Y, n_unseen=True), ValueError, "got True",
                 id="n_unseen-bool"),
    pytest.param(_ms("seen_unseen_split", Y, unseen=[9]), ValueError,
                 r"unseen classes not present in y: \[9\]", id="unseen-unknown"),
    pytest.param(_ms("seen_unseen_split", Y, unseen=range(6)), ValueError,
                 "no class is left to train on", id="unseen-every-class"),
    pytest.param(_ms("seen_unseen_split", np.zeros(10), n_unseen=1), ValueError,
                 "for 1 classes", id="one-class"),
    pytest.param(_ms("seen_unseen_split", np.c_[Y, Y], n_unseen=1), ValueError,
                 r"a 2-D y is a multi-label indicator matrix .* got values \[2, 3, 4, 5\]",
                 id="2-D-y-not-indicator"),
    pytest.param(_ms("seen_unseen_split", Y[:, None, None], n_unseen=1), ValueError,
                 r"y must be a 1-D array of class labels or a 2-D .* \(120, 1, 1\)",
                 id="3-D-y"),
    pytest.param(_ms("seen_unseen_split", np.zeros((120, 0)), n_unseen=1), ValueError,
                 "it has no columns", id="indicator-no-columns"),
    pytest.param(_zsr(n_query_per_class=20), ValueError,
                 "has 20 images; need more than 20 queries", id="queries-take-a-class"),
    pytest.param(_zsr(n_query_per_class=0), ValueError, "n_query_per_class must be an integer "
                 ">= 1; got 0", id="queries-0"),
    pytest.param(_zsr(n_query_per_class=-1), ValueError, "n_query_per_class must be",
                 id="queries-negative"),
    pytest.param(_zsr(n_query_per_class=2.5), TypeError, "n_query_per_class must be",
                 id="queries-float"),
    pytest.param(_zsr(n_train=0), ValueError, "n_train .* must be an integer >= 1; got 0",
                 id="n_train-0"),
    pytest.param(_zsr(n_seen_query_per_class=-1), ValueError,
                 "n_seen_query_per_class must be an integer >= 0", id="seen-queries-negative"),
    pytest.param(_ms("zero_shot_retrieval_split", np.c_[Y, Y]), ValueError,
                 "multi-label indicator matrix", id="split-2-D-y"),
    pytest.param(_folds(n_splits=1), ValueError, "n_splits must be an integer >= 2",
                 id="folds-1"),
    pytest.param(_folds(n_splits=7), ValueError, "n_splits=7 exceeds the 6 classes",
                 id="folds-more-than-classes"),
    pytest.param(_folds(y=None), ValueError, "ZeroShotSplit needs y", id="folds-no-y"),
    pytest.param(_folds(X=np.zeros((5, 2))), ValueError, "X has 5 rows but y has 120",
                 id="folds-lengths"),
    pytest.param(_protocol(n_splits=0), ValueError, "n_splits must be an integer >= 1",
                 id="protocol-0-splits"),
    pytest.param(_ms("make_retrieval_scorer", metric="auc"), ValueError, "unknown metric",
                 id="scorer-metric"),
    pytest.param(_ms("make_retrieval_scorer", query_fraction=1), ValueError,
                 r"query_fraction must lie in \(0, 1\)", id="scorer-fraction"),
    pytest.param(_ms("make_retrieval_scorer", query_fraction="0.2"), TypeError,
                 "query_fraction must be a number", id="scorer-fraction-str"),
    pytest.param(_ms("make_retrieval_scorer", radius=-1), ValueError,
                 "radius must be an integer >= 0", id="scorer-radius"),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD_SPLITS)
def test_splits_refuse(call, exc, match):
    raises(exc, match, call)


class _CountingHasher(LSHHasher):
    """LSH that counts its fits: a refused evaluation must not have fitted anything."""

    fits = 0

    def fit(self, X, y=None, word_vecs=None):
        type(self).fits += 1
        return super().fit(X, y, word_vecs)


def _evaluate(X=None, y=Y, split=None, hashers=None, **kwargs):
    from zeroshash.model_selection import evaluate, zero_shot_retrieval_split

    X = np.random.RandomState(0).randn(120, 6) if X is None else X
    split = split or zero_shot_retrieval_split(Y, n_unseen=2, n_query_per_class=5,
                                               random_state=0)
    hashers = {"lsh": _CountingHasher(random_state=0)} if hashers is None else hashers
    return lambda: evaluate(hashers, X, y, split, **{"bits": (8,), **kwargs})


BAD_EVALUATIONS = [
    pytest.param(_evaluate(bits=(8, 0)), ValueError,
                 r"every code length in bits must be an integer in \[1, 65536\]; got 0",
                 id="bits-0-after-a-good-one"),
    pytest.param(_evaluate(bits=(8, 10**7)), ValueError, "got 10000000", id="bits-huge"),
    pytest.param(_evaluate(bits=8), TypeError, "bits must be an iterable", id="bits-not-a-list"),
    pytest.param(_evaluate(radius=-1), ValueError, "radius must be an integer >= 0",
                 id="radius-negative"),
    pytest.param(_evaluate(X=np.zeros((100, 6))), ValueError, "X has 100 rows but y has 120",
                 id="X-and-y-lengths"),
    pytest.param(_evaluate(X=np.zeros((60, 6)), y=Y[:60]), ValueError,
                 "split indexes item 119, but X and y hold 60 items", id="split-of-other-data"),
    pytest.param(_evaluate(split=(1, 2)), TypeError, "split must be a ZeroShotRetrievalSplit",
                 id="split-type"),
    pytest.param(_evaluate(hashers=[LSHHasher()]), TypeError, "hashers must be a dict",
                 id="hashers-list"),
    pytest.param(_evaluate(hashers={"x": 3}), TypeError, r"hashers\['x'\] is a int",
                 id="hasher-not-an-estimator"),
    pytest.param(_evaluate(X_query=np.zeros((5, 6))), ValueError,
                 "X_query has 5 rows but X has 120", id="X_query-lengths"),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD_EVALUATIONS)
def test_evaluation_refuses_before_any_fit(call, exc, match):
    _CountingHasher.fits = 0
    raises(exc, match, call)
    assert _CountingHasher.fits == 0


# -- file formats ------------------------------------------------------------------------
def _file(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _npy(tmp_path, name, array):
    np.save(tmp_path / name, array)
    return tmp_path / name


def _load(kind, make, **kwargs):
    def call(tmp_path):
        from zeroshash import datasets
        from zeroshash.semantics import load_word_vectors

        loader = load_word_vectors if kind == "word_vectors" else getattr(datasets, f"load_{kind}")
        return loader(make(tmp_path), **kwargs)

    return call


def _save(kind, values, name):
    def call(tmp_path):
        from zeroshash import datasets

        getattr(datasets, f"save_{kind}")(tmp_path / name, values)

    return call


_VEC = b"2 3\nfoo 1 2 3\nbar 4 5 6\n"

# (call on tmp_path, error, message)
BAD_FILES = [
    pytest.param(_load("vectors", lambda t: t / "x.xyz"), ValueError,
                 "unknown vector file suffix '.xyz'", id="vectors-suffix"),
    pytest.param(_load("vectors", lambda t: t / "none.npy"), FileNotFoundError,
                 "no such file: .*none.npy", id="vectors-missing"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.fvecs", struct.pack("<i", 3) + bytes(10))),
                 ValueError, "x.fvecs'.*truncated", id="fvecs-truncated"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.fvecs", struct.pack("<i", -2))),
                 ValueError, "dimension header reads -2", id="fvecs-bad-dimension"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.fbin", struct.pack("<II", 3, 2)
                                                  + bytes(10))),
                 ValueError, "x.fbin'.*announces n=3 vectors", id="fbin-size"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.bvecs", b"")), ValueError,
                 "is empty", id="bvecs-empty"),
    pytest.param(_load("vectors", lambda t: _npy(t, "x.npy", np.zeros((2, 3, 4)))), ValueError,
                 r"3-D array .* need a 2-D", id="npy-3-D"),
    pytest.param(_load("vectors", lambda t: _npy(t, "x.npy", np.array([["a", "b"]]))),
                 ValueError, "holds <U1 values; vectors must be numeric", id="npy-strings"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.npy", b"not numpy")), ValueError,
                 "cannot read .*x.npy' as a .npy file", id="npy-foreign"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.txt", b"1 2\na b\n")), ValueError,
                 "x.txt' as a numeric matrix", id="text-not-numbers"),
    pytest.param(_load("vectors", lambda t: _file(t, "x.csv", b"1,2\n3\n")), ValueError,
                 "number of columns changed", id="text-ragged"),
    pytest.param(_load("labels", lambda t: _file(t, "y.txt", b"a\n\nb\n")), ValueError,
                 "line 2 is blank", id="labels-blank-line"),
    pytest.param(_load("labels", lambda t: _npy(t, "y.npy", np.full((3, 2), 2.0))), ValueError,
                 r"shape \(3, 2\) with values other than 0 and 1", id="labels-2-D"),
    pytest.param(_save("vectors", sp.csr_matrix(np.eye(3)), "x.npy"), TypeError,
                 "vectors are a scipy sparse csr_matrix", id="save-vectors-sparse"),
    pytest.param(_save("vectors", np.zeros((2, 3, 4)), "x.npy"), ValueError,
                 r"need a 2-D .* not shape \(2, 3, 4\)", id="save-vectors-3-D"),
    pytest.param(_save("vectors", [["a", "b"]], "x.npy"), ValueError,
                 "vectors must be numeric", id="save-vectors-strings"),
    pytest.param(_save("vectors", [[1, 2], [3]], "x.npy"), ValueError,
                 "the vectors are not an array", id="save-vectors-ragged"),
    pytest.param(_save("vectors", [[0, 256]], "x.bvecs"), ValueError,
                 "column 1 holds 256, outside the range 0..255", id="save-bvecs-range"),
    pytest.param(_save("vectors", [[np.nan]], "x.ivecs"), ValueError,
                 "holds nan, but .ivecs stores int32", id="save-ivecs-nan"),
    pytest.param(_save("vectors", np.zeros((0, 3)), "x.fvecs"), ValueError,
                 "cannot record the dimension", id="save-fvecs-empty"),
    pytest.param(_save("labels", np.full((3, 2), 2.0), "y.npy"), ValueError,
                 r"labels need a 1-D array \(or a 2-D 0/1 multi-label indicator matrix\), "
                 r"not shape \(3, 2\)", id="save-labels-2-D"),
    pytest.param(_save("labels", np.ones((3, 2)), "y.txt"), ValueError,
                 "a multi-label indicator matrix goes to .npy or .npz",
                 id="save-indicator-to-text"),
    pytest.param(_save("labels", sp.csr_matrix([[1, 2]]), "y.npy"), TypeError,
                 "labels are a scipy sparse", id="save-labels-sparse"),
    pytest.param(_save("labels", ["two\nlines"], "y.txt"), ValueError,
                 "contains a line break", id="save-labels-line-break"),
    pytest.param(_load("word_vectors", lambda t: t / "none.vec"), FileNotFoundError,
                 "no word-vector file at", id="word-vectors-missing"),
    pytest.param(_load("word_vectors", lambda t: _file(t, "v.vec", b"2 3\nfoo 1 2\n")),
                 ValueError, "cannot read .*v.vec' as word2vec", id="word-vectors-damaged"),
    pytest.param(_load("word_vectors", lambda t: _file(t, "v.vec", _VEC), format="bin"),
                 ValueError, "format must be one of", id="word-vectors-format"),
    pytest.param(_load("word_vectors", lambda t: _file(t, "v.vec", _VEC), limit=-1),
                 ValueError, "limit must be None or a positive integer; got -1",
                 id="word-vectors-limit-negative"),
    pytest.param(_load("word_vectors", lambda t: _file(t, "v.vec", _VEC), limit=1.5),
                 ValueError, "limit must be None or a positive integer; got 1.5",
                 id="word-vectors-limit-float"),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD_FILES)
def test_file_formats_refuse_and_write_nothing(tmp_path, call, exc, match):
    raises(exc, match, lambda: call(tmp_path))
    # A refused save leaves nothing; a refused load only the file it was given.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    if "save" in str(call.__qualname__):
        assert not list(tmp_path.iterdir())


# -- dask (optional) ---------------------------------------------------------------------
def _dask_cases():
    def encode(X, fitted=True, **kwargs):
        def call(hasher, da):
            from zeroshash.dask import dask_encode

            return dask_encode(hasher if fitted else lsh(), X(da), **kwargs)

        return call

    def shards(codes, bits=16, **kwargs):
        def call(hasher, da):
            from zeroshash.dask import ShardedHammingIndex

            return ShardedHammingIndex.from_dask_array(codes(da), bits, **kwargs)

        return call

    X = np.random.RandomState(0).randn(40, 20)
    dask_codes = lambda da: da.from_array(CODES, chunks=(20, 2))  # noqa: E731
    return [
        pytest.param(encode(lambda da: X), TypeError, "X must be a dask.array.Array; got ndarray",
                     id="encode-numpy"),
        pytest.param(encode(lambda da: da.from_array(X[:, :5])), ValueError,
                     "X has 5 features, but LSHHasher is expecting 20", id="encode-features"),
        pytest.param(encode(lambda da: da.from_array(X[:, :, None])), ValueError,
                     "got a 3-D dask array", id="encode-3-D"),
        pytest.param(encode(lambda da: da.from_array(np.full((4, 20), "a"))), TypeError,
                     "X must hold numbers", id="encode-strings"),
        pytest.param(encode(lambda da: da.from_array(X), fitted=False), ValueError,
                     "not fitted yet", id="encode-unfitted"),
        pytest.param(encode(lambda da: da.from_array(X), query=True), ValueError,
                     "query=True needs a hasher with a query encoder", id="encode-query"),
        pytest.param(shards(lambda da: CODES), TypeError, "codes must be a dask.array.Array",
                     id="shards-numpy"),
        pytest.param(shards(dask_codes, bits=0), ValueError, "bits must be between 1 and 65536",
                     id="shards-bits-0"),
        pytest.param(shards(dask_codes, bits=10**7), ValueError, "bits must be between",
                     id="shards-bits-huge"),
        pytest.param(shards(dask_codes, bits=24), ValueError, "2 columns, which fits neither",
                     id="shards-width"),
        pytest.param(shards(dask_codes, ids=np.arange(49)), ValueError,
                     "ids must be a 1-D integer array of length 50", id="shards-ids-length"),
        pytest.param(shards(dask_codes, ids=np.r_[0, np.arange(49)]), ValueError,
                     r"ids must be unique; repeated: \[0\]", id="shards-ids-duplicated"),
        pytest.param(shards(dask_codes, method="lsh"), ValueError, "method must be one of",
                     id="shards-method"),
    ]


@pytest.mark.parametrize(("call", "exc", "match"), _dask_cases())
def test_dask_refuses_before_building_a_graph_or_shards(fitted_hashers, call, exc, match):
    # All these are refused before a cluster is needed: no Client exists here.
    da = pytest.importorskip("dask.array")
    pytest.importorskip("distributed")
    raises(exc, match, lambda: call(fitted_hashers[1]["lsh"], da))
