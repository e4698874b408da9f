import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zeroshash import pack_bits, unpack_bits
from zeroshash._codes import n_bytes


@given(
    st.integers(1, 20).flatmap(
        lambda n: st.integers(1, 130).flatmap(
            lambda b: arrays(np.uint8, (n, b), elements=st.integers(0, 1))
        )
    )
)
def test_pack_unpack_round_trip(bits):
    packed = pack_bits(bits)
    assert packed.shape == (bits.shape[0], n_bytes(bits.shape[1]))
    assert packed.flags.c_contiguous
    np.testing.assert_array_equal(unpack_bits(packed, bits.shape[1]), bits)


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


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="only 0 and 1"):
        pack_bits(np.array([[0, 2]]))
    with pytest.raises(ValueError, match="2-D"):
        pack_bits(np.array([0, 1]))
    with pytest.raises(ValueError, match="cannot hold"):
        unpack_bits(np.zeros((1, 2), dtype=np.uint8), 20)
    with pytest.raises(ValueError, match="uint8"):
        unpack_bits(np.zeros((1, 2), dtype=np.int64), 16)
