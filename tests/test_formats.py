"""Vector and label files: round trips, byte layouts against hand-built oracles, memory
mapping without copies, the error table and atomic writes."""

import contextlib
import errno
import mmap
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from zeroshash.datasets import _formats, load_labels, load_vectors, save_labels, save_vectors

SHAPES = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)
# Each binary ANN format with the dtype it stores and the struct code of a component.
ANN_FORMATS = {
    ".fvecs": (np.float32, "f"), ".ivecs": (np.int32, "i"), ".bvecs": (np.uint8, "B"),
    ".fbin": (np.float32, "f"), ".ibin": (np.int32, "i"), ".u8bin": (np.uint8, "B"),
    ".i8bin": (np.int8, "b"),
}


def oracle(suffix, array):
    """The bytes of ``array`` in ``suffix``'s format, built with struct alone."""
    code = ANN_FORMATS[suffix][1]
    n, d = array.shape
    rows = array.tolist()
    if suffix.endswith("vecs"):
        return b"".join(struct.pack(f"<i{d}{code}", d, *row) for row in rows)
    return struct.pack("<II", n, d) + b"".join(struct.pack(f"<{d}{code}", *row) for row in rows)


def memory_maps(array):
    """The objects along ``array``'s base chain."""
    chain = [array]
    while getattr(chain[-1], "base", None) is not None:
        chain.append(chain[-1].base)
    return chain


def is_mapped(array):
    chain = memory_maps(array)
    return any(isinstance(b, np.memmap) for b in chain) and any(
        isinstance(b, mmap.mmap) for b in chain)


# --------------------------------------------------------------------------- round trips

def ann_arrays(dtype):
    if np.dtype(dtype).kind == "f":
        elements = st.floats(width=32, allow_nan=True, allow_infinity=True)
    else:
        elements = None  # the dtype's whole range
    return hnp.arrays(dtype, SHAPES, elements=elements)


@pytest.mark.parametrize("suffix", sorted(ANN_FORMATS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_ann_formats_round_trip_byte_exact(tmp_path_factory, suffix, data):
    array = data.draw(ann_arrays(ANN_FORMATS[suffix][0]))
    name = "v" + (suffix.upper() if data.draw(st.booleans()) else suffix)
    path = tmp_path_factory.mktemp("rt") / name
    save_vectors(path, array)
    assert path.read_bytes() == oracle(suffix, array)
    for mapped in (True, False):
        loaded = load_vectors(path, mmap=mapped)
        assert loaded.dtype == ANN_FORMATS[suffix][0] and loaded.shape == array.shape
        assert loaded.tobytes() == array.tobytes()  # NaN payloads included
        assert is_mapped(loaded) == mapped


NPY_DTYPES = [np.bool_, np.int8, np.uint16, np.int32, np.int64, np.float16, np.float32,
              np.float64]


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
@settings(max_examples=30, deadline=None)
@given(array=hnp.arrays(st.sampled_from(NPY_DTYPES), SHAPES))
def test_numpy_formats_round_trip(tmp_path_factory, suffix, array):
    path = tmp_path_factory.mktemp("rt") / f"v{suffix}"
    save_vectors(path, array)
    for mapped in (True, False):
        loaded = load_vectors(path, mmap=mapped)
        assert loaded.dtype == array.dtype
        np.testing.assert_array_equal(loaded, array)
        assert is_mapped(loaded) == (mapped and suffix == ".npy")


TEXT_ARRAYS = st.one_of(
    hnp.arrays(np.float64, SHAPES),  # every float64, NaN and infinities included
    hnp.arrays(np.float32, SHAPES),
    hnp.arrays(np.int64, SHAPES, elements=st.integers(-(2**53), 2**53)),
    hnp.arrays(np.uint8, SHAPES),
    hnp.arrays(np.bool_, SHAPES),
)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".txt"])
@settings(max_examples=30, deadline=None)
@given(array=TEXT_ARRAYS)
def test_text_round_trip_is_exact(tmp_path_factory, suffix, array):
    path = tmp_path_factory.mktemp("rt") / f"v{suffix}"
    save_vectors(path, array)
    loaded = load_vectors(path)
    assert loaded.dtype == np.float64 and loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array.astype(np.float64))


def test_text_files_written_plainly(tmp_path):
    save_vectors(tmp_path / "a.csv", np.array([[0.1, 2], [np.nan, -np.inf]]))
    assert (tmp_path / "a.csv").read_text() == "0.1,2.0\nnan,-inf\n"
    save_vectors(tmp_path / "a.tsv", np.array([[1, -2]], dtype=np.int8))
    assert (tmp_path / "a.tsv").read_text() == "1\t-2\n"
    save_vectors(tmp_path / "a.txt", np.array([[True], [False]]))
    assert (tmp_path / "a.txt").read_text() == "1\n0\n"
    # float32 is written as the exact float64 of its value, so it reads back equal.
    save_vectors(tmp_path / "b.txt", np.array([[0.1]], dtype=np.float32))
    assert load_vectors(tmp_path / "b.txt")[0, 0] == np.float32(0.1)


# --------------------------------------------------------------------------- layouts

def test_fvecs_bytes_literal(tmp_path):
    # d = 2 (int32 LE), then 1.0 and -2.0 as float32 LE, written out by hand.
    literal = bytes.fromhex("02000000" "0000803f" "000000c0" "02000000" "00000000" "00002040")
    save_vectors(tmp_path / "x.fvecs", [[1.0, -2.0], [0.0, 2.5]])
    assert (tmp_path / "x.fvecs").read_bytes() == literal
    (tmp_path / "y.fvecs").write_bytes(literal)
    assert load_vectors(tmp_path / "y.fvecs").tolist() == [[1.0, -2.0], [0.0, 2.5]]


def test_fbin_bytes_literal(tmp_path):
    # n = 2, d = 1 (uint32 LE each), then 1.0 and -2.0 as float32 LE.
    literal = bytes.fromhex("02000000" "01000000" "0000803f" "000000c0")
    save_vectors(tmp_path / "x.fbin", [[1.0], [-2.0]])
    assert (tmp_path / "x.fbin").read_bytes() == literal
    (tmp_path / "y.fbin").write_bytes(literal)
    assert load_vectors(tmp_path / "y.fbin").tolist() == [[1.0], [-2.0]]


@pytest.mark.parametrize("suffix", sorted(ANN_FORMATS))
def test_reads_oracle_files(tmp_path, suffix):
    dtype = ANN_FORMATS[suffix][0]
    array = np.random.RandomState(1).randint(-100, 100, (7, 5)).astype(dtype)
    (tmp_path / f"x{suffix}").write_bytes(oracle(suffix, array))
    for mapped in (True, False):
        np.testing.assert_array_equal(load_vectors(tmp_path / f"x{suffix}", mmap=mapped), array)


# The readers of faiss (contrib/vecs_io.py) and big-ann-benchmarks (dataset_io.py), as
# published: our files must read the same with them.
def faiss_ivecs_read(fname):
    a = np.fromfile(fname, dtype="int32")
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:].copy()


def faiss_bvecs_mmap(fname):
    x = np.memmap(fname, dtype="uint8", mode="r")
    d = x[:4].view("int32")[0]
    return x.reshape(-1, d + 4)[:, 4:]


def xbin_mmap(fname, dtype):
    n, d = map(int, np.fromfile(fname, dtype="uint32", count=2))
    assert os.stat(fname).st_size == 8 + n * d * np.dtype(dtype).itemsize
    return np.memmap(fname, dtype=dtype, mode="r", offset=8, shape=(n, d))


def test_published_readers_agree(tmp_path):
    rng = np.random.RandomState(2)
    X = rng.randn(9, 6).astype(np.float32)
    B = rng.randint(0, 256, (9, 6)).astype(np.uint8)
    save_vectors(tmp_path / "x.fvecs", X)
    save_vectors(tmp_path / "x.ivecs", B.astype(np.int32) - 128)
    save_vectors(tmp_path / "x.bvecs", B)
    np.testing.assert_array_equal(faiss_ivecs_read(tmp_path / "x.fvecs").view("float32"), X)
    np.testing.assert_array_equal(faiss_ivecs_read(tmp_path / "x.ivecs"), B.astype(int) - 128)
    np.testing.assert_array_equal(faiss_bvecs_mmap(tmp_path / "x.bvecs"), B)
    for suffix, dtype in [(".fbin", "float32"), (".u8bin", "uint8"), (".i8bin", "int8"),
                          (".ibin", "int32")]:
        values = (B.astype(np.int32) - 128).astype(dtype)
        save_vectors(tmp_path / f"x{suffix}", values)
        np.testing.assert_array_equal(xbin_mmap(tmp_path / f"x{suffix}", dtype), values)


# --------------------------------------------------------------------------- memory maps

@pytest.mark.parametrize("suffix", [".npy", ".fvecs", ".ivecs", ".bvecs", ".fbin", ".u8bin"])
def test_mmap_is_a_view_of_the_file(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    values = np.arange(12).reshape(4, 3)
    save_vectors(path, values.astype(np.uint8 if "b" in suffix[1:3] else np.int32))
    X = load_vectors(path)
    assert is_mapped(X) and not X.flags.writeable and not X.flags.owndata
    # Change the file's last component in place: the mapped array sees it (no copy).
    with open(path, "r+b") as f:
        itemsize = X.dtype.itemsize
        f.seek(-itemsize, os.SEEK_END)
        f.write(np.array([99], dtype=X.dtype).tobytes())
    assert X[-1, -1] == 99
    copied = load_vectors(path, mmap=False)
    assert not is_mapped(copied) and copied.flags.writeable and copied.flags.c_contiguous
    np.testing.assert_array_equal(copied, X)


def test_vecs_mmap_is_a_strided_view(tmp_path):
    save_vectors(tmp_path / "x.fvecs", np.ones((5, 3), np.float32))
    X = load_vectors(tmp_path / "x.fvecs")
    assert isinstance(X, np.memmap) and X.strides == (16, 4)


# --------------------------------------------------------------------------- vector errors

def test_missing_unknown_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*nothing.fvecs"):
        load_vectors(tmp_path / "nothing.fvecs")
    with pytest.raises(FileNotFoundError, match="no such file: .*nothing.txt"):
        load_labels(tmp_path / "nothing.txt")
    (tmp_path / "x.bin").write_bytes(b"1234")
    with pytest.raises(ValueError, match=r"unknown vector file suffix '.bin'; supported "
                                         r"suffixes: .npy, .npz, .fvecs, .ivecs, .bvecs"):
        load_vectors(tmp_path / "x.bin")
    with pytest.raises(ValueError, match=r"suffix '\(none\)'"):
        save_vectors(tmp_path / "vectors", np.ones((2, 2)))
    with pytest.raises(ValueError, match="unknown label file suffix '.fvecs'"):
        load_labels(tmp_path / "x.fvecs")
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(IsADirectoryError, match="d.npy"):
        load_vectors(tmp_path / "d.npy")


def test_truncated_and_damaged_vecs(tmp_path):
    path = tmp_path / "x.fvecs"
    save_vectors(path, np.ones((3, 128), np.float32))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"x.fvecs': truncated: 1,538 bytes is not a whole "
                                         r"number of 516-byte records"):
        load_vectors(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        load_vectors(path)
    path.write_bytes(b"\x02\x00")
    with pytest.raises(ValueError, match="truncated: 2 bytes cannot hold the 4-byte"):
        load_vectors(path)
    path.write_bytes(struct.pack("<i2f", -3, 1, 2))
    with pytest.raises(ValueError, match="header reads -3; it must be positive"):
        load_vectors(path)


def test_inconsistent_dimensions(tmp_path):
    path = tmp_path / "x.bvecs"
    # A whole number of 6-byte records, but the third declares 3 components.
    path.write_bytes(struct.pack("<i2B", 2, 1, 2) * 2 + struct.pack("<i2B", 3, 1, 2))
    with pytest.raises(ValueError, match="inconsistent dimensions: vector 2 declares 3 "
                                         "components, the first vector 2"):
        load_vectors(path)
    path = tmp_path / "x.fvecs"  # variable-length records (also not a whole number)
    path.write_bytes(struct.pack("<i2f", 2, 1, 2) + struct.pack("<i3f", 3, 1, 2, 3))
    with pytest.raises(ValueError, match="vector 1 declares 3 components"):
        load_vectors(path, mmap=False)
    path = tmp_path / "x.ivecs"
    path.write_bytes(struct.pack("<i2i", 2, 1, 2) + struct.pack("<i2i", 5, 1, 2))
    with pytest.raises(ValueError, match="vector 1 declares 5 components"):
        load_labels(path)


def test_bin_size_checks(tmp_path):
    path = tmp_path / "x.fbin"
    path.write_bytes(struct.pack("<II", 3, 4) + bytes(40))
    with pytest.raises(ValueError, match=r"x.fbin': truncated: its header announces n=3 "
                                         r"vectors of d=4 float32 components, so 8 \+ 3 x 4 "
                                         r"x 4 = 56 bytes, but the file holds 48 bytes"):
        load_vectors(path)
    path.write_bytes(struct.pack("<II", 3, 4) + bytes(50))
    with pytest.raises(ValueError, match="size mismatch: .* 56 bytes, but the file holds 58"):
        load_vectors(path)
    path.write_bytes(b"\x01\x00\x00")
    with pytest.raises(ValueError, match="cannot hold the 8-byte header"):
        load_vectors(path)
    path.write_bytes(struct.pack("<II", 3, 0))
    with pytest.raises(ValueError, match="announces dimension 0"):
        load_vectors(path)
    path = tmp_path / "x.u8bin"
    path.write_bytes(struct.pack("<II", 0, 7))
    assert load_vectors(path).shape == (0, 7)


def test_numpy_content_errors(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"one.npy' holds a 1-D array of shape \(5,\); "
                                         r"vectors need a 2-D"):
        load_vectors(tmp_path / "one.npy")
    np.save(tmp_path / "s.npy", np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="holds <U1 values; vectors must be numeric"):
        load_vectors(tmp_path / "s.npy")
    np.save(tmp_path / "c.npy", np.ones((2, 2), complex))
    with pytest.raises(ValueError, match="complex128 values"):
        load_vectors(tmp_path / "c.npy")
    np.savez(tmp_path / "obj.npz", data=np.array([[{"a": 1}]], dtype=object))
    with pytest.raises(ValueError, match="cannot read array 'data' of .*obj.npz.*allow_pickle"):
        load_vectors(tmp_path / "obj.npz")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(ValueError, match="cannot read .*bad.npz"):
        load_vectors(tmp_path / "bad.npz")
    np.save(tmp_path / "cut.npy", np.ones((100, 3)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:-9])
    for mapped in (True, False):
        with pytest.raises(ValueError, match="cannot read .*cut.npy"):
            load_vectors(tmp_path / "cut.npy", mmap=mapped)
    with open(tmp_path / "z.npz", "wb") as f:  # a .npy under the name of a .npz
        np.save(f, np.ones((2, 2)))
    with pytest.raises(ValueError, match="is a .npy file, not a zip archive"):
        load_vectors(tmp_path / "z.npz")


calls = []


def _record_call():
    calls.append("unpickled")
    return "boom"


class Boom:
    def __reduce__(self):
        return (_record_call, ())


@pytest.mark.parametrize("name", ["o.npy", "o.npz"])
def test_never_unpickles(tmp_path, name):
    array = np.empty((1, 1), dtype=object)
    array[0, 0] = Boom()
    if name.endswith(".npy"):
        np.save(tmp_path / name, array, allow_pickle=True)
    else:
        np.savez(tmp_path / name, data=array)
    for mapped in (True, False):
        with pytest.raises(ValueError, match="cannot read"):
            load_vectors(tmp_path / name, mmap=mapped)
        with pytest.raises(ValueError, match="cannot read"):
            load_labels(tmp_path / name)
    assert calls == []


def test_npz_members(tmp_path):
    X, other = np.ones((2, 3)), np.zeros((4, 1))
    np.savez(tmp_path / "a.npz", X=X, data=other)
    assert load_vectors(tmp_path / "a.npz").shape == (4, 1)  # data before X
    assert load_vectors(tmp_path / "a.npz", key="X").shape == (2, 3)
    np.savez(tmp_path / "b.npz", X=X, y=np.arange(2))
    assert load_vectors(tmp_path / "b.npz").shape == (2, 3)
    assert load_labels(tmp_path / "b.npz").tolist() == [0, 1]
    np.savez(tmp_path / "c.npz", feats=X)
    assert load_vectors(tmp_path / "c.npz").shape == (2, 3)  # the only member
    np.savez(tmp_path / "d.npz", a=X, b=X)
    with pytest.raises(ValueError, match=r"none of its 2 arrays \['a', 'b'\] is named "
                                         r"'data' or 'X'; choose one with key="):
        load_vectors(tmp_path / "d.npz")
    with pytest.raises(ValueError, match="has no array 'c'"):
        load_vectors(tmp_path / "d.npz", key="c")
    with pytest.raises(ValueError, match="key='a' applies to .npz files only"):
        load_vectors(tmp_path / "x.fvecs", key="a")


def test_text_matrices(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("# exported\nwidth,height, depth\n1,2,3\n4, 5,6 # last\n\n")
    np.testing.assert_array_equal(load_vectors(path), [[1, 2, 3], [4, 5, 6]])
    path.write_text("1,2,3\n")
    assert load_vectors(path).shape == (1, 3)
    path = tmp_path / "m.tsv"
    path.write_text("1\t2\n3\t4\n")
    np.testing.assert_array_equal(load_vectors(path), [[1, 2], [3, 4]])
    path = tmp_path / "m.txt"
    path.write_text("1.5   2\n3\t4e1\n")
    np.testing.assert_array_equal(load_vectors(path), [[1.5, 2], [3, 40]])
    path.write_text("1\n2\n3\n")
    assert load_vectors(path).shape == (3, 1)
    path.write_text("x y\n1 2\n")
    with pytest.raises(ValueError, match="line 1 holds no numbers .* a header line is "
                                         "allowed in .csv files only"):
        load_vectors(path)
    path.write_text("1 2\n3\n")
    with pytest.raises(ValueError, match="cannot read .*m.txt' as a numeric matrix"):
        load_vectors(path)
    path.write_text("# nothing\n\n")
    with pytest.raises(ValueError, match="holds no numbers"):
        load_vectors(path)
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    with pytest.raises(ValueError, match="holds no numbers"):
        load_vectors(path)
    path.write_text("id,1,2\n0,1,2\n")  # not a header: its fields are partly numbers
    with pytest.raises(ValueError, match="as a numeric matrix"):
        load_vectors(path)


# --------------------------------------------------------------------------- save checks

@pytest.mark.parametrize("suffix, values, message", [
    (".bvecs", [[0, 256]], r"row 0, column 1 holds 256, outside the range 0..255 of "
                           r".bvecs's uint8"),
    (".u8bin", [[1, 2], [-1, 0]], r"row 1, column 0 holds -1, outside the range 0..255"),
    (".i8bin", [[128]], r"outside the range -128..127"),
    (".ivecs", np.array([[2**31]], dtype=np.uint64), r"outside the range -2147483648"),
    (".ibin", [[1.5]], r"holds 1.5, not a whole number, but .ibin stores int32 integers"),
    (".ivecs", [[1.0, np.nan]], r"column 1 holds nan, but .ivecs stores int32 integers"),
    (".bvecs", [[np.inf]], r"holds inf, but .bvecs stores uint8"),
    (".fvecs", [[1.0], [1e39]], r"row 1, column 0 holds 1e\+39, beyond the range"),
    (".fbin", [[-1e300]], r"beyond the range of .fbin's float32"),
    (".csv", np.array([[2**53 + 1]]), r"beyond 2\*\*53"),
    (".fvecs", np.ones((2, 2, 2)), r"vectors need a 2-D .* not shape \(2, 2, 2\)"),
    (".npy", [1.0, 2.0], r"not shape \(2,\)"),
    (".npy", [["a"]], r"vectors must be numeric"),
    (".fbin", [[1, 2], [3]], r"the vectors are not an array"),
    (".fvecs", np.zeros((0, 4)), r"empty .fvecs file cannot record the dimension"),
    (".csv", np.zeros((0, 4)), r"empty .csv file"),
    (".ibin", np.zeros((3, 0)), r"cannot hold vectors of dimension 0"),
])
def test_save_refuses_what_the_format_cannot_hold(tmp_path, suffix, values, message):
    path = tmp_path / f"x{suffix}"
    with pytest.raises(ValueError, match=f"cannot save .*x{suffix}'.*" + message):
        save_vectors(path, values)
    assert os.listdir(tmp_path) == []


def test_save_casts_what_fits(tmp_path):
    save_vectors(tmp_path / "x.bvecs", np.array([[0.0, 255.0]]))
    assert load_vectors(tmp_path / "x.bvecs").tolist() == [[0, 255]]
    save_vectors(tmp_path / "x.ivecs", np.array([[True, False]]))
    assert load_vectors(tmp_path / "x.ivecs").tolist() == [[1, 0]]
    save_vectors(tmp_path / "x.fvecs", np.array([[0.1, np.nan, -np.inf]]))
    loaded = load_vectors(tmp_path / "x.fvecs")
    np.testing.assert_array_equal(loaded, np.array([[0.1, np.nan, -np.inf]], np.float32))
    save_vectors(tmp_path / "x.fbin", np.zeros((0, 3)))
    assert load_vectors(tmp_path / "x.fbin").shape == (0, 3)


def test_save_into_missing_folder_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot save '.*nowhere/x.fvecs': no folder"):
        save_vectors(tmp_path / "nowhere" / "x.fvecs", np.ones((1, 1)))
    with pytest.raises(FileNotFoundError, match=r"nowhere/y.txt"):
        save_labels(tmp_path / "nowhere" / "y.txt", [1])


# --------------------------------------------------------------------------- atomic writes

@pytest.fixture
def small_blocks(monkeypatch):
    """Writes go out in many small blocks."""
    monkeypatch.setattr(_formats, "_CHUNK_BYTES", 16)


@pytest.mark.parametrize("suffix", [".fvecs", ".bvecs", ".fbin", ".u8bin", ".csv", ".npy"])
def test_failed_write_leaves_old_file(tmp_path, monkeypatch, small_blocks, suffix):
    path = tmp_path / f"x{suffix}"
    old = np.full((2, 2), 7, np.uint8)
    save_vectors(path, old)
    before = path.read_bytes()
    real = _formats.atomic_write

    @contextlib.contextmanager
    def disk_fills_up(target):
        with real(target) as fh:
            class Handle:
                written = 0

                def write(self, data):
                    if self.written:
                        raise OSError(errno.ENOSPC, "No space left on device")
                    self.written += 1
                    return fh.write(data)

                def __getattr__(self, name):
                    return getattr(fh, name)
            yield Handle()

    monkeypatch.setattr(_formats, "atomic_write", disk_fills_up)
    with pytest.raises(OSError, match=r"cannot save .*x\.\w+': No space left") as info:
        save_vectors(path, np.arange(400, dtype=np.uint8).reshape(100, 4) % 200)
    assert info.value.errno == errno.ENOSPC and "x" + suffix in str(info.value)
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind
    assert path.read_bytes() == before


def test_refused_value_in_a_late_block_leaves_nothing(tmp_path, small_blocks):
    values = np.zeros((50, 4))
    values[-1, 2] = 300
    with pytest.raises(ValueError, match="row 49, column 2 holds 300.0"):
        save_vectors(tmp_path / "x.bvecs", values)
    assert os.listdir(tmp_path) == []
    save_vectors(tmp_path / "x.bvecs", np.ones((1, 1)))
    with pytest.raises(ValueError, match="row 49"):
        save_vectors(tmp_path / "x.bvecs", values)
    assert load_vectors(tmp_path / "x.bvecs").tolist() == [[1]]
    values[-1, 2] = 3
    save_vectors(tmp_path / "x.bvecs", values)  # many blocks, one whole file
    np.testing.assert_array_equal(load_vectors(tmp_path / "x.bvecs"), values)
    assert os.listdir(tmp_path) == ["x.bvecs"]


# --------------------------------------------------------------------------- labels

def test_text_labels(tmp_path):
    path = tmp_path / "y.txt"
    path.write_text("3\n+1\n-2\n007\n\n\n")
    labels = load_labels(path)
    assert labels.dtype == np.int64 and labels.tolist() == [3, 1, -2, 7]
    path.write_text(" Ankle boot \r\ncat\r\n1\r\n")
    labels = load_labels(path)
    assert labels.dtype.kind == "U" and labels.tolist() == ["Ankle boot", "cat", "1"]
    path.write_text("1\n2.0\n")
    assert load_labels(path).tolist() == ["1", "2.0"]
    path.write_text(f"{2**70}\n5\n")  # beyond int64: kept as text
    assert load_labels(path).tolist() == [str(2**70), "5"]
    path = tmp_path / "one.csv"
    path.write_text("cat")
    assert load_labels(path).tolist() == ["cat"] and load_labels(path).shape == (1,)
    path.write_bytes(b"\xef\xbb\xbf4\n")  # a UTF-8 byte order mark
    assert load_labels(path).tolist() == [4]


def test_text_label_errors(tmp_path):
    path = tmp_path / "y.tsv"
    path.write_text("cat\ndog\n  \nbird\n")
    with pytest.raises(ValueError, match="y.tsv': line 3 is blank"):
        load_labels(path)
    path.write_text("\n\n")
    with pytest.raises(ValueError, match="holds no labels"):
        load_labels(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="is not UTF-8"):
        load_labels(path)
    with pytest.raises(ValueError, match="key='y' applies to .npz files only"):
        load_labels(path, key="y")


def test_array_labels(tmp_path):
    np.save(tmp_path / "y.npy", np.array([[1], [2]]))
    assert load_labels(tmp_path / "y.npy").tolist() == [1, 2]
    np.save(tmp_path / "y.npy", np.ones((2, 2)))  # 0/1 with 2 columns: an indicator
    assert load_labels(tmp_path / "y.npy").dtype == np.uint8
    np.save(tmp_path / "y.npy", np.ones((2, 2, 1)))
    with pytest.raises(ValueError, match=r"shape \(2, 2, 1\); labels need a 1-D"):
        load_labels(tmp_path / "y.npy")
    np.save(tmp_path / "y.npy", np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match=r"shape \(2, 2\); labels need a 1-D"):
        load_labels(tmp_path / "y.npy")
    np.save(tmp_path / "y.npy", np.ones(2, complex))
    with pytest.raises(ValueError, match="labels must be"):
        load_labels(tmp_path / "y.npy")
    np.savez(tmp_path / "y.npz", target=np.array(["a", "b"]), y=np.arange(2))
    assert load_labels(tmp_path / "y.npz").tolist() == ["a", "b"]
    assert load_labels(tmp_path / "y.npz", key="y").tolist() == [0, 1]
    np.savez(tmp_path / "z.npz", classes=np.arange(3))
    assert load_labels(tmp_path / "z.npz").tolist() == [0, 1, 2]
    (tmp_path / "y.ivecs").write_bytes(struct.pack("<ii", 1, 5) + struct.pack("<ii", 1, -3))
    labels = load_labels(tmp_path / "y.ivecs")
    assert labels.dtype == np.int64 and labels.tolist() == [5, -3]
    save_vectors(tmp_path / "y.ivecs", np.ones((2, 3)))
    with pytest.raises(ValueError, match="vectors of dimension 3; an .ivecs label file"):
        load_labels(tmp_path / "y.ivecs")


LABELS = st.one_of(
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20).map(
        lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                     min_size=1).map(str.strip).filter(lambda s: s and s == s.strip()),
             min_size=1, max_size=20).map(np.array),
)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".npy", ".npz"])
@settings(max_examples=40, deadline=None)
@given(labels=LABELS)
def test_labels_round_trip(tmp_path_factory, suffix, labels):
    path = tmp_path_factory.mktemp("labels") / f"y{suffix}"
    save_labels(path, labels)
    loaded = load_labels(path)
    if suffix in (".txt", ".csv") and all(_formats._INTEGER.fullmatch(s)
                                          for s in labels.astype(str)):
        # Strings that all look like integers read back as integers.
        assert loaded.tolist() == [int(s) for s in labels.astype(str)]
    else:
        assert loaded.dtype.kind == labels.dtype.kind
        np.testing.assert_array_equal(loaded, labels)


def test_save_labels(tmp_path):
    save_labels(tmp_path / "y.txt", np.array([1.0, 2.0, -3.0]))
    assert (tmp_path / "y.txt").read_text() == "1\n2\n-3\n"
    save_labels(tmp_path / "y.csv", np.array([b"cat", b"dog"]))
    assert load_labels(tmp_path / "y.csv").tolist() == ["cat", "dog"]
    save_labels(tmp_path / "y.csv", np.array(["cat", "Ankle boot"], dtype=object))
    assert (tmp_path / "y.csv").read_text() == "cat\nAnkle boot\n"
    save_labels(tmp_path / "y.ivecs", [[4], [5]])
    assert (tmp_path / "y.ivecs").read_bytes() == struct.pack("<4i", 1, 4, 1, 5)
    assert load_labels(tmp_path / "y.ivecs").tolist() == [4, 5]
    save_labels(tmp_path / "y.npz", [True, False])
    assert load_labels(tmp_path / "y.npz").tolist() == [True, False]


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_multilabel_indicator_round_trip(tmp_path, suffix):
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]], dtype=bool)
    save_labels(tmp_path / f"Y{suffix}", Y)
    got = load_labels(tmp_path / f"Y{suffix}")
    assert got.dtype == np.uint8 and got.tolist() == Y.astype(int).tolist()
    np.save(tmp_path / "bad.npy", Y * 3)
    with pytest.raises(ValueError, match=r"values other than 0 and 1; a 2-D label array is a "
                                         r"multi-label indicator"):
        load_labels(tmp_path / "bad.npy")


@pytest.mark.parametrize("suffix, labels, message", [
    (".txt", ["cat", "two\nlines"], r"label 1 \('two\\nlines'\) contains a line break"),
    (".csv", ["a\rb"], r"contains a line break"),
    (".txt", ["cat", " "], r"label 1 is blank"),
    (".txt", [" cat"], r"starts or ends with whitespace"),
    (".txt", [1.5], r"label 0 is 1.5; text labels are integers or strings"),
    (".txt", [], r"cannot hold zero labels"),
    (".npy", [[1, 2], [3, 4]], r"labels need a 1-D array \(or a 2-D 0/1 multi-label "
                               r"indicator matrix\), not shape \(2, 2\)"),
    (".txt", [[1, 0], [0, 1]], r"a multi-label indicator matrix goes to .npy or .npz"),
    (".npy", np.array(["a", 1], dtype=object), r"object labels must all be strings"),
    (".npy", [1j], r"labels must be bool, integer, float or string"),
    (".ivecs", ["cat"], r"an .ivecs label file holds one or more integer labels"),
    (".ivecs", [2**40], r"outside the range"),
    (".fvecs", [1], r"unknown label file suffix '.fvecs'"),
])
def test_save_labels_refuses(tmp_path, suffix, labels, message):
    path = tmp_path / f"y{suffix}"
    path.write_text("old\n")
    with pytest.raises(ValueError, match=message):
        save_labels(path, labels)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == [path.name]
