"""File loaders, tested on small files in the real layouts, generated here."""

import gzip

import numpy as np
import pytest
import scipy.io

from zeroshash.datasets import (
    get_data_home,
    load_fashion_mnist,
    load_features,
    load_idx,
    load_xlsa17,
)


def write_xlsa17(folder, n=30, d=2048, n_classes=5, n_att=7, seed=0):
    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True)
    labels = np.repeat(np.arange(1, n_classes + 1), n // n_classes)  # 1-based, as MATLAB
    scipy.io.savemat(folder / "res101.mat", {
        "features": rng.rand(d, n).astype(np.float32),
        "labels": labels.reshape(-1, 1),
    })
    names = np.empty((n_classes, 1), dtype=object)
    names[:, 0] = [f"{i:03d}.animal_{i}" for i in range(n_classes)]
    seen = labels <= 3
    positions = np.arange(1, n + 1)
    scipy.io.savemat(folder / "att_splits.mat", {
        "att": rng.rand(n_att, n_classes),
        "allclasses_names": names,
        "trainval_loc": positions[seen][::2].reshape(-1, 1),
        "test_seen_loc": positions[seen][1::2].reshape(-1, 1),
        "test_unseen_loc": positions[~seen].reshape(-1, 1),
    })
    return labels - 1


def test_xlsa17_layout(tmp_path):
    labels = write_xlsa17(tmp_path / "AWA2")
    data = load_xlsa17("AWA2", root=tmp_path)
    assert data.data.shape == (30, 2048) and data.data.dtype == np.float32
    np.testing.assert_array_equal(data.target, labels)
    assert data.attributes.shape == (5, 7)
    assert data.target_names[0] == "000.animal_0"
    np.testing.assert_array_equal(data.seen_classes, [0, 1, 2])
    np.testing.assert_array_equal(data.unseen_classes, [3, 4])
    assert set(data.trainval).isdisjoint(data.test_seen)
    assert set(labels[data.test_unseen]) == {3, 4}


def test_xlsa17_via_data_home_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROSHASH_DATA", str(tmp_path))
    assert get_data_home() == tmp_path
    write_xlsa17(tmp_path / "xlsa17" / "data" / "CUB")
    assert load_xlsa17("CUB").data.shape[0] == 30
    with pytest.raises(FileNotFoundError, match="missing xlsa17 file"):
        load_xlsa17("SUN")
    folder = tmp_path / "xlsa17" / "data" / "CUB"
    (folder / "att_splits.mat").write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match="cannot read .*att_splits.mat"):
        load_xlsa17("CUB")
    scipy.io.savemat(folder / "att_splits.mat", {"att": np.ones((2, 5))})
    with pytest.raises(ValueError, match="lacks the xlsa17 variables"):
        load_xlsa17("CUB")


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    dtype = np.dtype(">i4") if array.dtype.kind == "i" else np.dtype(np.uint8)
    header = bytes([0, 0, codes[dtype], array.ndim])
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    payload = header + array.astype(dtype).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)
    return payload


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip_and_damage(tmp_path, suffix):
    images = np.random.RandomState(0).randint(0, 256, (4, 28, 28)).astype(np.uint8)
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    payload = write_idx(path, images)
    np.testing.assert_array_equal(load_idx(path), images)
    ints = tmp_path / "ints-idx1-ubyte"
    write_idx(ints, np.array([-5, 7, 1 << 20]))
    np.testing.assert_array_equal(load_idx(ints), [-5, 7, 1 << 20])
    truncated = tmp_path / "cut-idx3-ubyte"
    truncated.write_bytes(payload[:-10])  # payload is the uncompressed content
    with pytest.raises(ValueError, match="truncated or damaged"):
        load_idx(truncated)
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="bad magic"):
        load_idx(junk)


def test_fashion_mnist_folder(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 3], dtype=np.uint8))
    X, y = load_fashion_mnist("t10k", path=tmp_path)
    assert X.shape == (3, 28, 28) and y.tolist() == [1, 2, 3]
    with pytest.raises(FileNotFoundError, match="no Fashion-MNIST train idx files"):
        load_fashion_mnist("train", path=tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        load_fashion_mnist("test")


def test_feature_files(tmp_path):
    X = np.random.RandomState(0).rand(5, 3).astype(np.float32)
    np.save(tmp_path / "f.npy", X)
    mapped = load_features(tmp_path / "f.npy")
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    np.testing.assert_array_equal(mapped, X)
    np.savez(tmp_path / "f.npz", X=X, y=np.arange(5))
    data, target = load_features(tmp_path / "f.npz")
    np.testing.assert_array_equal(data, X)
    assert target.tolist() == [0, 1, 2, 3, 4]
    np.savez(tmp_path / "g.npz", other=X)
    with pytest.raises(ValueError, match="no 'data' or 'X'"):
        load_features(tmp_path / "g.npz")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="cannot read features"):
        load_features(tmp_path / "o.npy", mmap=False)
    (tmp_path / "f.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match=".npy or .npz"):
        load_features(tmp_path / "f.csv")
