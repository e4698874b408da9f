import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash import ITQHasher, ZSHHasher, pack_bits
from zeroshash.diagnostics import code_statistics, radius_lookup_profile, seen_unseen_retrieval
from zeroshash.metrics import precision_within_radius
from zeroshash.model_selection import zero_shot_retrieval_split


def test_code_statistics_against_hand_counts():
    rng = np.random.RandomState(0)
    codes = rng.randint(0, 2, (500, 6))
    codes[:, 5] = 1  # constant bit
    codes[:, 4] = codes[:, 0]  # copy of bit 0
    stats = code_statistics(codes)
    np.testing.assert_allclose(stats["bit_balance"], codes.mean(axis=0))
    assert stats["n_constant_bits"] == 1
    assert stats["n_distinct_codes"] == len({tuple(c) for c in codes})
    corr = np.corrcoef(codes[:, :5].astype(float), rowvar=False)
    assert stats["mean_abs_correlation"] == pytest.approx(
        np.abs(corr[~np.eye(5, dtype=bool)]).mean()
    )
    assert 0 < stats["code_entropy"] <= np.log2(500)
    one = code_statistics(np.zeros((4, 3), dtype=np.uint8))
    assert one["n_distinct_codes"] == 1 and one["code_entropy"] == 0.0
    assert one["mean_imbalance"] == 0.5
    with pytest.raises(ValueError, match="0/1 bits"):
        code_statistics([[2, 0]])


@pytest.mark.parametrize("bits", [1, 6, 8, 13, 70])
def test_code_statistics_of_packed_codes_equal_those_of_their_bits(bits):
    rng = np.random.RandomState(bits)
    codes = rng.randint(0, 2, (200, bits)).astype(np.uint8)
    codes[100:] = codes[:100]  # every code twice
    want = code_statistics(codes)
    got = code_statistics(pack_bits(codes), bits=bits)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])


@pytest.mark.parametrize(
    "codes, bits, message",
    [
        (np.zeros((3, 8), np.uint8), 8, "packed codes of 8 bits have 1 uint8 columns; got 8"),
        (np.array([[1]], np.uint8), 4, "padding bits"),
        (np.zeros((0, 1), np.uint8), 8, "non-empty"),
        (np.zeros((2, 1), np.uint8), 0, "bits must be None"),
    ],
)
def test_code_statistics_refuses_inconsistent_packed_codes(codes, bits, message):
    with pytest.raises(ValueError, match=message):
        code_statistics(codes, bits=bits)


def test_seen_unseen_retrieval_on_blobs(blobs):
    X, y, word_vecs = blobs
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=8,
                                      n_seen_query_per_class=6, random_state=0)
    assert len(split.seen_query) == 24 and set(y[split.seen_query]) == set(split.seen_classes)
    assert not np.isin(split.seen_query, split.train).any()
    assert not np.isin(split.seen_query, split.database).any()
    zsh = ZSHHasher(bits=16, n_anchors=50, random_state=0)
    zsh.fit(X[split.train], y[split.train], word_vecs=dict(enumerate(word_vecs)))
    scores = seen_unseen_retrieval(zsh, X, y, split)
    assert set(scores) == {"unseen", "seen", "generalised"}
    # Blobs are easy for the classes it was trained on (chance is 1/6).
    assert scores["seen"]["map"] > 0.8 and scores["seen"]["map_tie_aware"] > 0.8
    without = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=8, random_state=0)
    np.testing.assert_array_equal(without.query, split.query)  # same unseen queries
    with pytest.raises(ValueError, match="no held-out seen-class queries"):
        seen_unseen_retrieval(ITQHasher(bits=4).fit(X), X, y, without)


def _lookup_oracle(q, db, ql, dbl, radius):
    """Plain numpy: Hamming distances from the unpacked bits, then per-query counts."""
    dist = (q[:, None, :] != db[None, :, :]).sum(axis=2)
    inside = dist <= radius
    got = inside.sum(axis=1)
    hits = (inside & (ql[:, None] == dbl[None, :])).sum(axis=1)
    precision = np.array([h / g if g else 0.0 for h, g in zip(hits, got)])
    return precision, got


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), bits=st.integers(1, 20), radius=st.integers(0, 4))
def test_radius_lookup_profile_matches_oracle(seed, bits, radius):
    rng = np.random.RandomState(seed)
    q = rng.randint(0, 2, (7, bits)).astype(np.uint8)
    db = rng.randint(0, 2, (30, bits)).astype(np.uint8)
    ql, dbl = rng.randint(0, 3, 7), rng.randint(0, 3, 30)
    profile = radius_lookup_profile(q, db, ql, dbl, radius=radius)
    packed = radius_lookup_profile(pack_bits(q), pack_bits(db), ql, dbl, radius=radius, bits=bits)
    np.testing.assert_equal(packed, profile)  # identical, nan included
    precision, got = _lookup_oracle(q, db, ql, dbl, radius)
    assert profile["precision"] == pytest.approx(precision.mean())
    assert profile["precision"] == pytest.approx(
        precision_within_radius(q, db, ql, dbl, radius=radius))
    assert profile["empty_fraction"] == pytest.approx(np.mean(got == 0))
    assert profile["retrieved_mean"] == pytest.approx(got.mean())
    assert profile["retrieved_median"] == pytest.approx(np.median(got))
    if (got > 0).any():
        assert profile["precision_nonempty"] == pytest.approx(precision[got > 0].mean())
    else:
        assert np.isnan(profile["precision_nonempty"])


def test_radius_lookup_profile_rejects_bad_radius():
    with pytest.raises(ValueError, match="radius"):
        radius_lookup_profile([[0, 1]], [[0, 1]], [0], [0], radius=-1)
    with pytest.raises(ValueError, match="packed db_codes of 9 bits have 2 uint8 columns"):
        radius_lookup_profile(np.zeros((1, 2), np.uint8), np.zeros((1, 9), np.uint8), [0], [0],
                              bits=9)
