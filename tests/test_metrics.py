import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score

from zeroshash import pack_bits
from zeroshash.metrics import (
    MAP_DEFINITIONS,
    MapDefinition,
    average_precision_per_query,
    map_definition,
    map_scores,
    mean_average_precision,
    precision_at_n,
    precision_recall_by_radius,
    precision_recall_by_rank,
    precision_within_radius,
    recall_at_n,
    retrieval_scores,
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


# --- one-pass kernel against a sorting oracle ---------------------------------------------
def oracle(q, db, ql, dl, cutoffs=()):
    dist = (q[:, None, :] != db[None, :, :]).sum(axis=2)
    if np.ndim(ql) == 2:
        relevant = (ql @ dl.T) > 0
    else:
        relevant = ql[:, None] == dl[None, :]
    order = np.argsort(dist, axis=1, kind="stable")
    rel = np.take_along_axis(relevant, order, axis=1)
    hits = np.cumsum(rel, axis=1)
    prec = hits / np.arange(1, db.shape[0] + 1)
    n_rel = rel.sum(axis=1)
    ap = np.where(n_rel > 0, (prec * rel).sum(axis=1) / np.maximum(n_rel, 1), 0.0)
    top = {n: hits[:, min(n, db.shape[0]) - 1] for n in cutoffs}
    return dist, relevant, ap, top


def random_case(rng, n_q=9, n_db=60, bits=6, multi=False):
    q = rng.randint(0, 2, (n_q, bits)).astype(np.uint8)
    db = rng.randint(0, 2, (n_db, bits)).astype(np.uint8)
    if multi:
        ql = (rng.rand(n_q, 5) < 0.3).astype(np.uint8)
        dl = (rng.rand(n_db, 5) < 0.3).astype(np.uint8)
    else:
        ql, dl = rng.randint(0, 4, n_q), rng.randint(0, 4, n_db)
    return q, db, ql, dl


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("n_q", [5, 300])  # serial and parallel kernels
def test_kernel_matches_sorting_oracle(multi, n_q):
    rng = np.random.RandomState(n_q)
    q, db, ql, dl = random_case(rng, n_q=n_q, multi=multi)
    dist, relevant, ap, top = oracle(q, db, ql, dl, cutoffs=(1, 7, 500))
    got = average_precision_per_query(q, db, ql, dl)
    np.testing.assert_allclose(got, ap, atol=1e-12)
    packed = average_precision_per_query(pack_bits(q), pack_bits(db), ql, dl, bits=q.shape[1])
    np.testing.assert_array_equal(packed, got)
    ranks, p, r = precision_recall_by_rank(q, db, ql, dl, ranks=[1, 7, 500])
    n_rel = relevant.sum(axis=1)
    for j, n in enumerate((1, 7, 500)):
        assert p[j] == pytest.approx(np.mean(top[n] / min(n, db.shape[0])))
        assert r[j] == pytest.approx(np.mean(np.where(n_rel > 0, top[n] / np.maximum(n_rel, 1), 0)))
    radius, pr, rr = precision_recall_by_radius(q, db, ql, dl)
    for t in radius:
        within = dist <= t
        got = within.sum(axis=1)
        hit = (within & relevant).sum(axis=1)
        assert pr[t] == pytest.approx(np.mean(np.where(got > 0, hit / np.maximum(got, 1), 0)))
        assert rr[t] == pytest.approx(np.mean(np.where(n_rel > 0, hit / np.maximum(n_rel, 1), 0)))


def test_tie_aware_ap_is_the_mean_over_orders_of_tied_items():
    from itertools import permutations

    rng = np.random.RandomState(3)
    for _ in range(15):
        q, db, ql, dl = random_case(rng, n_q=1, n_db=6, bits=2)
        dist = (q[0] != db).sum(axis=1)
        # Enumerate every database order; the stable AP averaged over orders that only
        # permute items of equal distance is the tie-aware AP.
        values = []
        for perm in permutations(range(6)):
            perm = np.array(perm)
            values.append(average_precision_per_query(q, db[perm], ql, dl[perm])[0])
        expected = np.mean(values)  # every order is equally likely, so ties average out
        got = average_precision_per_query(q, db, ql, dl, ties="average")[0]
        assert got == pytest.approx(expected, abs=1e-12), dist


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_tie_aware_ap_ignores_database_order(seed):
    rng = np.random.RandomState(seed)
    q, db, ql, dl = random_case(rng, n_q=3, n_db=25, bits=3)
    perm = rng.permutation(25)
    a = average_precision_per_query(q, db, ql, dl, ties="average")
    b = average_precision_per_query(q, db[perm], ql, dl[perm], ties="average")
    np.testing.assert_allclose(a, b, atol=1e-12)
    assert np.all((a >= 0) & (a <= 1 + 1e-12))


def test_ap_at_k_min_denominator_and_multilabel():
    db = unary_codes([0, 1, 2, 3], 4)
    query = np.zeros((1, 4), dtype=np.uint8)
    labels = [0, 1, 0, 0]  # rel, irrel, rel, rel
    # top-2: one relevant retrieved, R = 3 -> min(k, R) = 2
    assert average_precision_per_query(query, db, [0], labels, k=2, k_denominator="min")[
        0
    ] == pytest.approx(0.5)
    multi_db = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    assert mean_average_precision(query, db, np.array([[0, 1]]), multi_db) == pytest.approx(
        (1 / 2 + 2 / 3) / 2
    )


def test_metric_argument_errors():
    q, db = [[0, 1]], [[0, 1], [1, 1]]
    with pytest.raises(ValueError, match="ties must be"):
        mean_average_precision(q, db, [0], [0, 1], ties="random")
    with pytest.raises(ValueError, match="k=None only"):
        mean_average_precision(q, db, [0], [0, 1], ties="average", k=1)
    with pytest.raises(ValueError, match="both be 1-D .* or both 2-D"):
        mean_average_precision(q, db, [0], np.eye(2))
    with pytest.raises(ValueError, match="n must be an integer >= 1; got 0"):
        precision_at_n(q, db, [0], [0, 1], n=0)


# --- packed codes (bits=N) give the results of their 0/1 bits (bits=None) -----------------
METRICS = {
    "ap": lambda *a, **kw: average_precision_per_query(*a, **kw),
    "ap@3": lambda *a, **kw: average_precision_per_query(*a, k=3, **kw),
    "ap@3 min": lambda *a, **kw: average_precision_per_query(*a, k=3, k_denominator="min", **kw),
    "ap tie-aware": lambda *a, **kw: average_precision_per_query(*a, ties="average", **kw),
    "map": lambda *a, **kw: mean_average_precision(*a, **kw),
    "p@r1": lambda *a, **kw: precision_within_radius(*a, radius=1, **kw),
    "pr by radius": lambda *a, **kw: precision_recall_by_radius(*a, **kw),
    "pr by rank": lambda *a, **kw: precision_recall_by_rank(*a, ranks=[1, 4, 50], **kw),
    "p@n": lambda *a, **kw: precision_at_n(*a, n=4, **kw),
    "r@n": lambda *a, **kw: recall_at_n(*a, n=4, **kw),
    "scores": lambda *a, **kw: retrieval_scores(*a, radius=2, **kw),
    "map definitions": lambda *a, **kw: map_scores(
        *a, definitions=["map_zsh", "map@3", "map@3/drop", "map_tie_aware"], **kw),
}


def assert_identical(got, want):
    """Same values, bit for bit (both forms feed the same words to the same kernel)."""
    if isinstance(want, dict):
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])
    elif isinstance(want, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    else:
        np.testing.assert_array_equal(got, want)


@st.composite
def coded_problems(draw):
    """0/1 query and database codes (lengths across byte and word edges) with labels."""
    bits = draw(st.sampled_from([1, 2, 7, 8, 9, 16, 31, 64, 65, 100]))
    n_q, n_db = draw(st.integers(0, 6)), draw(st.integers(0, 30))
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    centres = rng.randint(0, 2, (3, bits)).astype(np.uint8)  # near-duplicates: ties
    flips = (rng.rand(n_q + n_db, bits) < 0.1).astype(np.uint8)
    codes = centres[rng.randint(0, 3, n_q + n_db)] ^ flips
    if draw(st.booleans()):
        labels = (rng.rand(n_q + n_db, 4) < 0.4).astype(np.uint8)
    else:
        labels = rng.randint(0, 3, n_q + n_db)
    return codes[:n_q], codes[n_q:], labels[:n_q], labels[n_q:], bits


# With no query, the by-radius/by-rank means are nan (numpy warns), in both forms alike.
@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@settings(max_examples=60, deadline=None, derandomize=True)
@given(problem=coded_problems(), name=st.sampled_from(sorted(METRICS)))
def test_packed_codes_give_the_results_of_their_bits(problem, name):
    q, db, ql, dl, bits = problem
    metric = METRICS[name]
    want = metric(q, db, ql, dl)
    assert_identical(metric(pack_bits(q), pack_bits(db), ql, dl, bits=bits), want)
    assert_identical(metric(q.astype(bool), db.astype(float), ql, dl, bits=None), want)


def test_packed_codes_are_not_repacked(monkeypatch):
    import zeroshash.metrics as metrics

    rng = np.random.RandomState(0)
    q, db, ql, dl = random_case(rng, n_q=4, n_db=20, bits=13)
    packed_q, packed_db = pack_bits(q), pack_bits(db)
    want = mean_average_precision(q, db, ql, dl)

    def refuse(_):
        raise AssertionError("packed codes went through pack_bits")

    monkeypatch.setattr(metrics, "pack_bits", refuse)
    assert mean_average_precision(packed_q, packed_db, ql, dl, bits=13) == want
    assert mean_average_precision(packed_q, packed_db, ql, dl, bits=np.int64(13)) == want


_Q2 = np.zeros((1, 2), np.uint8)  # packed 16-bit (or 12-bit) query


@pytest.mark.parametrize(
    "query, db, bits, message",
    [
        (_Q2, np.zeros((3, 3), np.uint8), 16, "packed db_codes of 16 bits have 2 uint8 columns; "
         "got 3. 0/1 bit arrays .* bits=None"),
        (np.zeros((1, 16), np.uint8), np.zeros((3, 16), np.uint8), 16,
         "packed query_codes of 16 bits have 2 uint8 columns; got 16"),
        (_Q2, np.array([[0, 0], [0, 1]], np.uint8), 12, "db_codes have non-zero padding bits"),
        (np.ones((1, 1), np.uint8), np.zeros((2, 1), np.uint8), 1, "query_codes have non-zero "
         "padding bits .* not packed for 1 bits"),
        (_Q2, np.zeros((2, 2), np.int64), 16, "packed db_codes must have dtype uint8"),
        (np.zeros(2, np.uint8), np.zeros((2, 2), np.uint8), 16, "packed query_codes must be a 2-D"),
        (_Q2, np.array([[7, 255]], np.uint8), None, "db_codes must hold 0/1 bits.*pass bits="),
        (np.zeros(3, np.uint8), np.zeros((2, 3), np.uint8), None, "query_codes must be 2-D"),
        (np.zeros((1, 2)), np.zeros((2, 3)), None, "differ in length: 2 vs 3 bits"),
        (_Q2, np.zeros((2, 2), np.uint8), 0, "bits must be None .* or a positive integer"),
        (_Q2, np.zeros((2, 2), np.uint8), -8, "bits must be None"),
        (_Q2, np.zeros((2, 2), np.uint8), 16.0, "bits must be None"),
        (_Q2, np.zeros((2, 2), np.uint8), True, "bits must be None"),
        (_Q2, np.zeros((2, 2), np.uint8), "16", "bits must be None"),
    ],
)
def test_inconsistent_codes_are_refused(query, db, bits, message):
    labels = np.zeros(len(db), dtype=int)
    with pytest.raises(ValueError, match=message):
        mean_average_precision(query, db, [0], labels, bits=bits)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_checks_packed_codes(name):
    bad = np.array([[0, 15]], np.uint8)  # 4 padding bits set for 12-bit codes
    with pytest.raises(ValueError, match="padding bits"):
        METRICS[name](_Q2, bad, [0], [0], bits=12)
    with pytest.raises(ValueError, match="bits must be None"):
        METRICS[name](_Q2, _Q2, [0], [0], bits=0)


# --- named mAP definitions ------------------------------------------------------------------
def cat_apcal_oracle(q, db, ql, dl, k, drop=False, denominator="retrieved"):
    """A plain loop of the published ZSH ``cat_apcal`` (K = min(n_db, k)) and its kin.

    Ranking by a stable sort of distances (MATLAB's ``sort``); AP = sum of precision at
    each relevant rank in the top K, divided by the relevant items retrieved there
    ("retrieved") or by min(K, all relevant) ("min"); a query with none retrieved
    scores 0, or is left out of the mean with ``drop``.
    """
    dist, relevant, _, _ = oracle(q, db, ql, dl)
    top = min(db.shape[0], k)
    aps = []
    for i in range(q.shape[0]):
        order = np.argsort(dist[i], kind="stable")[:top]
        found, total = 0, 0.0
        for rank, item in enumerate(order, start=1):
            if relevant[i, item]:
                found += 1
                total += found / rank
        if found == 0:
            if not drop:
                aps.append(0.0)
            continue
        aps.append(total / (found if denominator == "retrieved"
                            else min(top, relevant[i].sum())))
    return float(np.mean(aps)) if aps else 0.0


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_named_definitions_match_the_published_loops(multi, seed):
    rng = np.random.RandomState(seed)
    q, db, ql, dl = random_case(rng, n_q=40, n_db=80, bits=4, multi=multi)  # many ties
    scores = map_scores(q, db, ql, dl, definitions=[
        "map_zsh", "map@10", "map@10/drop", "map@200", "map", "map_tie_aware",
    ])
    assert scores["map_zsh"] == pytest.approx(cat_apcal_oracle(q, db, ql, dl, 10_000))
    assert scores["map@10"] == pytest.approx(cat_apcal_oracle(q, db, ql, dl, 10))
    assert scores["map@10/drop"] == pytest.approx(cat_apcal_oracle(q, db, ql, dl, 10, drop=True))
    # a cut-off beyond the database is the whole ranking: the ZSH code's AP@all
    assert scores["map@200"] == pytest.approx(scores["map"])
    assert scores["map_zsh"] == pytest.approx(scores["map"])
    assert scores["map_tie_aware"] == mean_average_precision(q, db, ql, dl, ties="average")
    custom = MapDefinition("mine", 10, k_denominator="min")
    assert map_scores(q, db, ql, dl, definitions=[custom])["mine"] == pytest.approx(
        cat_apcal_oracle(q, db, ql, dl, 10, denominator="min"))


def test_zsh_cutoff_is_ten_thousand():
    # 10,050 items: the ZSH code ranks only the top 10,000, so relevant items past it
    # are not counted and the AP is normalised by those retrieved.
    n = 10_050
    db = unary_codes(np.minimum(np.arange(n) // 1000, 12), 12)
    labels = np.zeros(n, dtype=int)
    labels[[0, 10_020]] = 1
    q = np.zeros((1, 12), dtype=np.uint8)
    scores = map_scores(q, db, [1], labels, definitions=["map_zsh", "map"])
    assert scores["map_zsh"] == 1.0  # one relevant item in the top 10,000, at rank 1
    assert scores["map"] == pytest.approx((1 + 2 / 10_021) / 2)
    assert scores["map_zsh"] == cat_apcal_oracle(q, db, np.array([1]), labels, 10_000)


def test_no_relevant_zero_or_drop():
    db = unary_codes([0, 1, 2], 3)
    q = np.zeros((3, 3), dtype=np.uint8)
    ql, dl = [0, 5, 1], [0, 1, 2]  # query 1 has no relevant item; query 2's is at rank 2
    assert mean_average_precision(q, db, ql, dl) == pytest.approx((1 + 0 + 0.5) / 3)
    assert mean_average_precision(q, db, ql, dl, no_relevant="drop") == pytest.approx(0.75)
    # at k=1, query 2 retrieves none of its relevant items: dropped too
    assert mean_average_precision(q, db, ql, dl, k=1, no_relevant="drop") == 1.0
    assert mean_average_precision(q, db, ql, dl, k=1) == pytest.approx(1 / 3)
    assert mean_average_precision(q[1:2], db, [5], dl, no_relevant="drop") == 0.0


def test_definitions_are_described_and_named_once():
    for name, definition in MAP_DEFINITIONS.items():
        assert definition.name == name
        assert definition.source
        text = definition.describe()
        assert text.startswith(f"{name}: ")
        assert ("database order" in text) == (definition.ties == "stable")
    assert map_definition("map@1000") is MAP_DEFINITIONS["map@1000"]
    assert map_definition("map@7").k == 7
    assert map_definition("map@1000/drop").source == MAP_DEFINITIONS["map@1000"].source
    assert "dropped from the mean" in map_definition("map@5/drop").describe()


def test_one_pass_equals_separate_calls():
    rng = np.random.RandomState(3)
    q, db, ql, dl = random_case(rng, n_q=30, n_db=70, bits=5)
    together = retrieval_scores(q, db, ql, dl, maps=["map_zsh", "map@5", "map"], radius=1)
    assert list(together) == ["map_zsh", "map@5", "map", "precision_r"]
    assert together["map@5"] == mean_average_precision(q, db, ql, dl, k=5)
    assert together["map"] == mean_average_precision(q, db, ql, dl)
    assert together["precision_r"] == precision_within_radius(q, db, ql, dl, radius=1)


@pytest.mark.parametrize(("definitions", "exc", "match"), [
    (["map@0"], ValueError, "unknown mAP definition 'map@0'"),
    (["map@ten"], ValueError, "unknown mAP definition"),
    (["map@10/keep"], ValueError, "'map@K' / 'map@K/drop'"),
    (["mAP"], ValueError, "unknown mAP definition 'mAP'"),
    ([3], TypeError, "a mAP definition is a name"),
    ([], ValueError, "definitions is empty"),
    (["map", "map"], ValueError, "repeats a name"),
])
def test_bad_definitions_are_refused(definitions, exc, match):
    q, db = np.zeros((1, 2), np.uint8), np.zeros((2, 2), np.uint8)
    with pytest.raises(exc, match=match):
        map_scores(q, db, [0], [0, 1], definitions=definitions)


def test_bad_no_relevant_is_refused():
    with pytest.raises(ValueError, match="no_relevant must be 'zero' or 'drop'; got 'skip'"):
        mean_average_precision([[0]], [[0]], [0], [0], no_relevant="skip")
    with pytest.raises(ValueError, match="'precision_r' names the precision column"):
        retrieval_scores([[0]], [[0]], [0], [0], maps=[MapDefinition("precision_r", None)])
