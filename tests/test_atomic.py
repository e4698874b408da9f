"""zeroshash._atomic.atomic_write: complete file or none, errors naming the path given."""

import os

import pytest

from zeroshash._atomic import atomic_write


def test_a_complete_write_replaces_the_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_write(target) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_a_failure_inside_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="midway"), atomic_write(target) as fh:
        fh.write(b"partial")
        raise RuntimeError("midway")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_a_missing_directory_is_named_with_the_path_given(tmp_path):
    target = tmp_path / "missing" / "out.bin"
    with pytest.raises(FileNotFoundError) as error, atomic_write(target):
        pass
    assert error.value.filename == str(target)
    assert "does not exist" in str(error.value) and ".tmp" not in str(error.value)
    assert os.listdir(tmp_path) == []


def test_a_directory_is_not_overwritten(tmp_path):
    with pytest.raises(IsADirectoryError) as error, atomic_write(tmp_path):
        pass
    assert error.value.filename == str(tmp_path)
