import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score

from zeroshash.metrics import (
    average_precision_per_query,
    mean_average_precision,
    precision_within_radius,
)


def unary_codes(distances, bits):
    """Codes whose distance to the all-zero query is exactly the given numbers."""
    codes = np.zeros((len(distances), bits), dtype=np.uint8)
    for i, d in enumerate(distances):
        codes[i, :d] = 1
    return codes


def test_ap_matches_sklearn_on_tie_free_rankings():
    rng = np.random.RandomState(0)
    for _ in range(20):
        n = 30
        distances = rng.permutation(n)
        labels = rng.randint(0, 3, n)
        db = unary_codes(distances, n)
        query = np.zeros((1, n), dtype=np.uint8)
        ap = average_precision_per_query(query, db, [1], labels)[0]
        relevant = labels == 1
        expected = average_precision_score(relevant, -distances) if relevant.any() else 0.0
        assert ap == pytest.approx(expected)


def test_ap_at_k_divides_by_relevant_retrieved():
    db = unary_codes([0, 1, 2, 3], 4)
    query = np.zeros((1, 4), dtype=np.uint8)
    # ranking: rel, irrel, rel, rel -> top-2 AP = (1/1) / 1 retrieved relevant = 1
    assert average_precision_per_query(query, db, [0], [0, 1, 0, 0], k=2)[0] == 1.0
    expected = (1 + 2 / 3 + 3 / 4) / 3
    assert average_precision_per_query(query, db, [0], [0, 1, 0, 0])[0] == pytest.approx(expected)


def test_ties_ordered_by_database_position():
    db = np.zeros((3, 4), dtype=np.uint8)  # all at distance 0
    query = np.zeros((1, 4), dtype=np.uint8)
    assert average_precision_per_query(query, db, [1], [0, 0, 1])[0] == pytest.approx(1 / 3)
    assert average_precision_per_query(query, db, [1], [1, 0, 0])[0] == 1.0


def test_queries_without_relevant_items_count_as_zero():
    db = unary_codes([0, 1], 2)
    query = np.zeros((2, 2), dtype=np.uint8)
    assert mean_average_precision(query, db, [0, 7], [0, 0]) == 0.5


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40), st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_ap_bounds_and_perfect_ranking(n_db, bits, seed):
    rng = np.random.RandomState(seed)
    db = rng.randint(0, 2, (n_db, bits))
    labels = rng.randint(0, 3, n_db)
    ap = average_precision_per_query(db[:5], db, labels[:5], labels)
    assert np.all((ap >= 0) & (ap <= 1))
    # Relevant items placed first at distance 0, the rest far away: AP = 1.
    perfect_db = np.where(labels[:, None] == labels[0], 0, 1) * np.ones((1, bits), dtype=int)
    assert average_precision_per_query(np.zeros((1, bits)), perfect_db, [labels[0]], labels)[
        0
    ] == pytest.approx(1.0)


def test_precision_within_radius():
    db = unary_codes([0, 1, 2, 3, 5], 6)
    query = np.zeros((2, 6), dtype=np.uint8)
    query[1] = 1  # distances 6, 5, 4, 3, 1 -> nothing within 0 except nothing
    labels = [0, 0, 1, 0, 1]
    # query 0 within r=2: items 0,1,2 -> 2 of 3 relevant (label 0)
    assert precision_within_radius(query[:1], db, [0], labels, radius=2) == pytest.approx(2 / 3)
    # query 1 retrieves nothing within r=0 and counts as 0
    assert precision_within_radius(query, db, [0, 1], labels, radius=0) == pytest.approx(0.5)


def test_bad_codes_are_refused():
    with pytest.raises(ValueError, match="0/1 bits"):
        mean_average_precision([[3, 4]], [[0, 1]], [0], [0])
    with pytest.raises(ValueError, match="differ in length"):
        mean_average_precision([[0, 1]], [[0, 1, 1]], [0], [0])
    with pytest.raises(ValueError, match="labels do not match codes"):
        mean_average_precision([[0, 1]], [[0, 1]], [0], [0, 1])
    with pytest.raises(ValueError, match="radius"):
        precision_within_radius([[0, 1]], [[0, 1]], [0], [0], radius=-1)
