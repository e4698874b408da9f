"""zeroshash.get_config / set_config / config_context, and float32 projections."""

import threading
import tracemalloc

import numpy as np
import pytest

import zeroshash
from zeroshash import (
    COSDISHHasher,
    DoubleBitHasher,
    ITQHasher,
    LSHHasher,
    PCAHasher,
    ZSHHasher,
    config_context,
    get_config,
    set_config,
)

RNG = np.random.default_rng(0)
Y = np.repeat(np.arange(4), 50)
X = (RNG.standard_normal((4, 24))[Y] * 2 + RNG.standard_normal((200, 24))).astype(np.float32)

LINEAR = {
    "pcah": (PCAHasher(bits=12), lambda h: h.components_),
    "itq": (ITQHasher(bits=12, random_state=0), lambda h: h.components_ @ h.rotation_),
    "lsh": (LSHHasher(bits=12, random_state=0), lambda h: h.projection_),
    "cosdish": (COSDISHHasher(bits=12, random_state=0),
                lambda h: h.projection_ / h.scale_[:, None]),
}


def test_defaults_context_and_set_config():
    assert get_config() == {"encode_dtype": "float64"}
    with config_context(encode_dtype=np.float32):
        assert get_config()["encode_dtype"] == "float32"
        with config_context(encode_dtype="float64"):
            assert get_config()["encode_dtype"] == "float64"
        assert get_config()["encode_dtype"] == "float32"
    assert get_config()["encode_dtype"] == "float64"
    try:
        set_config(encode_dtype="float32")
        assert get_config()["encode_dtype"] == "float32"
        set_config()  # None leaves it
        assert get_config()["encode_dtype"] == "float32"
    finally:
        set_config(encode_dtype="float64")
    assert zeroshash.get_config is get_config


def test_context_is_per_thread():
    seen = {}

    def other():
        seen["other"] = get_config()["encode_dtype"]

    with config_context(encode_dtype="float32"):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        seen["here"] = get_config()["encode_dtype"]
    assert seen == {"other": "float64", "here": "float32"}


@pytest.mark.parametrize("value", ["float16", "int32", "double precision", 3, None.__class__])
def test_bad_encode_dtype_is_refused(value):
    with pytest.raises(ValueError, match="encode_dtype must be 'float64' or 'float32'"):
        with config_context(encode_dtype=value):
            pass
    with pytest.raises(ValueError, match="encode_dtype must be"):
        set_config(encode_dtype=value)
    assert get_config()["encode_dtype"] == "float64"


@pytest.mark.parametrize("name", sorted(LINEAR))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float32_projection_matches_a_numpy_oracle(name, dtype):
    hasher, weights = LINEAR[name]
    hasher = hasher.fit(X, Y) if name == "cosdish" else hasher.fit(X)
    assert type(hasher)._linear_projection
    Xd = X.astype(dtype)
    W = weights(hasher)
    oracle = (np.asarray(Xd, np.float32) @ W.astype(np.float32)
              - (hasher.mean_ @ W).astype(np.float32))
    with config_context(encode_dtype="float32"):
        projections = hasher.decision_function(Xd)
        codes = hasher.transform(Xd)
    assert projections.dtype == np.float32
    np.testing.assert_allclose(projections, oracle, rtol=1e-5, atol=1e-5)
    exact = hasher.transform(Xd)
    assert hasher.decision_function(Xd).dtype == np.float64
    assert (codes != exact).mean() < 0.01  # differ only within float32 rounding of zero


def test_double_bit_thresholds_in_float32():
    from zeroshash.preprocessing import power_normalize

    dbq = DoubleBitHasher(bits=12, random_state=0).fit(X, Y)  # normalize="l2" by default
    with config_context(encode_dtype="float32"):
        projections = dbq.decision_function(X)
    Xn = power_normalize(np.asarray(X, np.float32), 1.0)
    assert Xn.dtype == np.float32
    V = Xn @ (dbq.components_ @ dbq.rotation_).astype(np.float32) - (
        dbq.mean_ @ dbq.components_ @ dbq.rotation_).astype(np.float32)
    np.testing.assert_allclose(projections, V[:, dbq.bit_direction_] - dbq.thresholds_,
                               rtol=1e-4, atol=1e-4)


def test_kernel_hashers_ignore_the_setting():
    zsh = ZSHHasher(bits=12, n_anchors=40, random_state=0).fit(X, Y, RNG.standard_normal((4, 5)))
    assert not type(zsh)._linear_projection
    with config_context(encode_dtype="float32"):
        inside = zsh.decision_function(X)
    np.testing.assert_array_equal(inside, zsh.decision_function(X))


def test_float16_blocks_never_become_float64():
    # Encoding a float16 array of several blocks: the float32 path's peak is about a
    # float32 block, half the float64 path's.
    n, d = 40_000, 256
    big = np.random.default_rng(1).standard_normal((n, d)).astype(np.float16)
    pcah = PCAHasher(bits=32).fit(big[:2000].astype(np.float32))
    peaks = {}
    for mode in ("float64", "float32"):
        with config_context(encode_dtype=mode):
            pcah.encode(big[:10])  # warm
            tracemalloc.start()
            pcah.encode(big)
            peaks[mode] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert peaks["float32"] < 0.6 * peaks["float64"]
