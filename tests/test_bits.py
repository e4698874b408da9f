"""The bit layer ``zeroshash._bits``: packing, word layouts and popcount, each against
plain numpy / Python oracles."""

import os
import subprocess
import sys

import numpy as np
import pytest
from _imports import imported_modules
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import int64, njit, types, uint64

from zeroshash import _bits, pack_bits, unpack_bits
from zeroshash._bits import (
    check_packed,
    columns_to_packed,
    n_bytes,
    n_words,
    packed_to_columns,
    packed_to_rows,
    popcount64,
)

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

bit_arrays = st.integers(0, 20).flatmap(
    lambda n: st.integers(1, 200).flatmap(
        lambda b: arrays(np.uint8, (n, b), elements=st.integers(0, 1))
    )
)


# --- packing ----------------------------------------------------------------------------
@given(bit_arrays)
@SETTINGS
def test_pack_unpack_round_trip(bits):
    packed = pack_bits(bits)
    assert packed.shape == (bits.shape[0], n_bytes(bits.shape[1]))
    assert packed.flags.c_contiguous
    np.testing.assert_array_equal(unpack_bits(packed, bits.shape[1]), bits)
    np.testing.assert_array_equal(check_packed(packed, bits.shape[1]), packed)


def test_bit_order_is_big_endian_with_zero_padding():
    codes = np.zeros((1, 10), dtype=np.uint8)
    codes[0, 0] = 1  # first bit -> most significant bit of byte 0
    codes[0, 9] = 1  # tenth bit -> bit 6 of byte 1; bits 7.. of the last byte stay 0
    np.testing.assert_array_equal(pack_bits(codes), [[0b10000000, 0b01000000]])


def test_hamming_distance_of_packed_equals_unpacked():
    rng = np.random.RandomState(1)
    a, b = rng.randint(0, 2, (2, 37)).astype(np.uint8)
    packed = pack_bits(np.vstack([a, b]))
    via_packed = int(np.unpackbits(packed[0] ^ packed[1]).sum())
    assert via_packed == int((a != b).sum())


def test_sizes():
    assert [n_bytes(b) for b in (1, 8, 9, 16, 17)] == [1, 1, 2, 2, 3]
    assert [n_words(b) for b in (1, 64, 65, 128, 129)] == [1, 1, 2, 2, 3]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="only 0 and 1"):
        pack_bits(np.array([[0, 2]]))
    with pytest.raises(ValueError, match="2-D"):
        pack_bits(np.array([0, 1]))
    with pytest.raises(ValueError, match="cannot hold"):
        unpack_bits(np.zeros((1, 2), dtype=np.uint8), 20)
    with pytest.raises(ValueError, match="uint8"):
        unpack_bits(np.zeros((1, 2), dtype=np.int64), 16)


@pytest.mark.parametrize(
    "codes, bits, message",
    [
        (np.zeros(2, np.uint8), 8, "2-D"),
        (np.zeros((2, 2), np.int64), 16, "dtype uint8"),
        (np.zeros((2, 2), np.uint8), 8, "8 bits have 1 uint8 columns; got 2"),
        (np.zeros((2, 2), np.uint8), 17, "17 bits have 3 uint8 columns; got 2"),
        (np.array([[0, 1]], np.uint8), 12, "padding bits"),
        (np.array([[1]], np.uint8), 1, "padding bits"),
    ],
)
def test_check_packed_errors(codes, bits, message):
    with pytest.raises(ValueError, match=message):
        check_packed(codes, bits, "db_codes")


def test_check_packed_hint_and_name():
    with pytest.raises(ValueError, match=r"packed db_codes .* got 9\. use bits=None"):
        check_packed(np.zeros((1, 9), np.uint8), 9, "db_codes", hint="use bits=None")
    # Padding is only checked when there are codes; no copy when already contiguous.
    empty = np.zeros((0, 2), np.uint8)
    assert check_packed(empty, 9) is empty


# --- 64-bit word layout -----------------------------------------------------------------
def _rows_oracle(packed):
    """Each 8-byte group of the zero-padded code read as a little-endian integer."""
    n, nb = packed.shape
    out = np.zeros((n, n_words(8 * nb)), dtype=np.uint64)
    for i in range(n):
        raw = bytes(packed[i]) + bytes(8 * out.shape[1] - nb)
        for w in range(out.shape[1]):
            out[i, w] = int.from_bytes(raw[8 * w : 8 * w + 8], "little")
    return out


@given(bit_arrays)
@SETTINGS
def test_word_layouts_against_oracle(bits):
    packed = pack_bits(bits)
    rows = packed_to_rows(packed)
    columns = packed_to_columns(packed)
    assert rows.dtype == columns.dtype == np.uint64
    assert rows.shape == (bits.shape[0], n_words(bits.shape[1]))
    assert columns.flags.c_contiguous
    np.testing.assert_array_equal(rows, _rows_oracle(packed))
    np.testing.assert_array_equal(columns, rows.T)
    np.testing.assert_array_equal(columns_to_packed(columns, bits.shape[1]), packed)


# --- popcount ---------------------------------------------------------------------------
@njit(int64(uint64), cache=True, nogil=True)
def _popcount(x):
    return popcount64(x)


@njit(int64(types.Array(types.uint64, 1, "C"), types.Array(types.uint64, 1, "C")))
def _xor_popcount(a, b):
    total = 0
    for i in range(a.shape[0]):
        total += popcount64(a[i] ^ b[i])
    return total


@given(st.integers(0, 2**64 - 1))
@SETTINGS
def test_popcount_matches_python(x):
    assert _popcount(np.uint64(x)) == bin(x).count("1")


@given(bit_arrays)
@SETTINGS
def test_popcount_of_words_is_the_hamming_distance(bits):
    if bits.shape[0] < 2:
        return
    rows = packed_to_rows(pack_bits(bits))
    assert _xor_popcount(rows[0], rows[1]) == int((bits[0] != bits[1]).sum())


def test_importing_zeroshash_loads_no_numba():
    code = (
        "import sys, numpy as np, zeroshash, zeroshash._bits, zeroshash.metrics;"
        "zeroshash.pack_bits(np.ones((1, 3)));"
        "loaded = sorted(m for m in ('numba', 'zeroshash.hamming') if m in sys.modules);"
        "assert not loaded, loaded"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_bits_is_the_bottom_layer():
    # No zeroshash module (in particular not zeroshash.hamming) is imported by _bits.
    modules = imported_modules(_bits)
    assert modules <= {"__future__", "typing", "numpy", "numba", "numba.extending"}, modules
