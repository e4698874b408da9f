"""save/load: bit-identical round trips; damaged and truncated files refused."""

import os

import numpy as np
import pytest
from _oracle import assert_same, random_codes

from zeroshash.hamming import HammingIndex
from zeroshash.hamming._io import HEADER_SIZE


@pytest.fixture
def index():
    rng = np.random.default_rng(3)
    index = HammingIndex(77, n_jobs=1, method="mih", n_substrings=4)
    index.add(random_codes(rng, 400, 77, alphabet=30), ids=rng.permutation(10_000)[:400])
    index.remove_ids(index.ids[::7])
    return index


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_is_bit_identical(index, tmp_path, mmap):
    path = tmp_path / "a.zsh"
    index.save(path)
    loaded = HammingIndex.load(path, mmap=mmap)
    assert (loaded.bits, loaded.method, loaded.n_substrings) == (77, "mih", 4)
    np.testing.assert_array_equal(loaded.reconstruct_all(), index.reconstruct_all())
    np.testing.assert_array_equal(loaded.ids, index.ids)
    queries = index.reconstruct_all()[:20]
    assert_same(loaded.search(queries, 8), index.search(queries, 8))
    loaded.save(tmp_path / "b.zsh")
    assert (tmp_path / "a.zsh").read_bytes() == (tmp_path / "b.zsh").read_bytes()
    loaded.add(queries[:2])
    assert loaded.ids[-1] == index._next_id + 1
    assert sorted(os.listdir(tmp_path)) == ["a.zsh", "b.zsh"]


def test_empty_index_round_trip(tmp_path):
    HammingIndex(5).save(tmp_path / "e.zsh")
    loaded = HammingIndex.load(tmp_path / "e.zsh")
    assert len(loaded) == 0 and loaded.bits == 5


def _damage(path, offset, data=None, truncate=None):
    raw = bytearray(path.read_bytes())
    if truncate is not None:
        raw = raw[:truncate]
    else:
        raw[offset] ^= data
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("offset", "truncate", "message"),
    [
        (0, None, "bad magic"),
        (13, None, "header checksum"),
        (HEADER_SIZE + 5, None, "payload checksum"),
        (-3, None, "payload checksum"),
        (None, -8, "truncated"),
        (None, 40, "too short"),
        (None, 0, "too short"),
    ],
)
def test_damaged_files_are_refused(index, tmp_path, offset, truncate, message):
    path = tmp_path / "d.zsh"
    index.save(path)
    size = path.stat().st_size
    if truncate is not None:
        _damage(path, None, truncate=truncate % size if truncate else 0)
    else:
        _damage(path, offset % size, 0x10)
    for mmap in (True, False):
        with pytest.raises(ValueError, match=message):
            HammingIndex.load(path, mmap=mmap)


def test_failed_save_leaves_previous_file(index, tmp_path, monkeypatch):
    path = tmp_path / "keep.zsh"
    index.save(path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        HammingIndex(8).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.zsh"]


def test_memory_mapped_index_is_searchable_read_only(index, tmp_path):
    index.save(tmp_path / "m.zsh")
    loaded = HammingIndex.load(tmp_path / "m.zsh", mmap=True)
    assert not loaded._columns.flags.writeable
    queries = index.reconstruct_all()[:5]
    lims, dist, ids = loaded.range_search(queries, 10)
    want = index.range_search(queries, 10)
    assert_same((lims, dist, ids), want)


@pytest.mark.parametrize("method", ["brute", "mih", "auto"])
def test_every_method_round_trips_and_old_codes_still_load(method, tmp_path):
    """method="auto" is code 2 in the header; files of the earlier codes 0 and 1 (the
    only ones older versions wrote) load unchanged."""
    import struct
    import zlib

    rng = np.random.default_rng(4)
    index = HammingIndex(64, n_jobs=1, method=method)
    index.add(random_codes(rng, 50, 64))
    index.save(tmp_path / "a.zsh")
    head = (tmp_path / "a.zsh").read_bytes()[:HEADER_SIZE]
    assert struct.unpack("<I", head[20:24])[0] == ("brute", "mih", "auto").index(method)
    assert struct.unpack("<I", head[60:])[0] == zlib.crc32(head[:60])
    loaded = HammingIndex.load(tmp_path / "a.zsh")
    assert loaded.method == method
    loaded.save(tmp_path / "b.zsh")
    assert (tmp_path / "a.zsh").read_bytes() == (tmp_path / "b.zsh").read_bytes()
