import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash import LSHHasher, PCAHasher, ZSHHasher
from zeroshash.metrics import map_scores, retrieval_scores
from zeroshash.model_selection import (
    evaluate,
    make_retrieval_scorer,
    seen_unseen_split,
    zero_shot_retrieval_split,
)


def test_seen_unseen_split():
    y = np.repeat(np.arange(10), 5)
    seen, unseen = seen_unseen_split(y, n_unseen=3, random_state=0)
    assert len(unseen) == 3 and len(seen) == 7
    assert set(seen) | set(unseen) == set(range(10))
    again = seen_unseen_split(y, n_unseen=3, random_state=0)
    np.testing.assert_array_equal(again[1], unseen)
    with pytest.raises(ValueError, match="not present"):
        seen_unseen_split(y, unseen=[42])
    with pytest.raises(ValueError, match="exactly one"):
        seen_unseen_split(y)
    with pytest.raises(ValueError, match="n_unseen must be"):
        seen_unseen_split(y, n_unseen=10)


def test_zero_shot_retrieval_split_protocol():
    y = np.repeat(np.arange(10), 30)
    s = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=10, random_state=0)
    assert set(y[s.query]) == set(s.unseen_classes)
    assert len(s.query) == 30
    assert not np.intersect1d(s.query, s.database).size
    assert len(s.query) + len(s.database) == len(y)
    assert set(y[s.database]) == set(range(10))
    assert set(y[s.train]) == set(s.seen_classes)
    assert np.isin(s.train, s.database).all()
    small = zero_shot_retrieval_split(y, unseen=[0], n_query_per_class=5, n_train=20)
    assert len(small.train) == 20
    with pytest.raises(ValueError, match="need more than"):
        zero_shot_retrieval_split(y, unseen=[0], n_query_per_class=30)


def test_evaluate_rows(blobs):
    X, y, word_vecs = blobs
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10, random_state=0)
    with warnings.catch_warnings():
        # The word vectors go to ZSH only: LSH is not told that it ignores them.
        warnings.simplefilter("error", UserWarning)
        rows = evaluate(
            {"LSH": LSHHasher(random_state=0), "ZSH": ZSHHasher(n_anchors=50, random_state=0)},
            X, y, split, bits=(8, 16), word_vecs=dict(enumerate(word_vecs)),
        )
    assert [(r["method"], r["bits"]) for r in rows] == [
        ("LSH", 8), ("LSH", 16), ("ZSH", 8), ("ZSH", 16)
    ]
    for row in rows:
        assert 0 <= row["map"] <= 1 and 0 <= row["precision_r"] <= 1
        assert row["fit_seconds"] >= 0


def test_evaluate_generalised_reports_unseen_seen_all_and_h(blobs):
    X, y, _ = blobs
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10,
                                      n_seen_query_per_class=5, random_state=0)
    maps = ("map_tie_aware", "map_zsh", "map@20")
    (row,) = evaluate({"PCAH": PCAHasher()}, X, y, split, bits=(8,), maps=maps)
    model = PCAHasher(bits=8).fit(X[split.train])
    db = model.transform(X[split.database])
    for suffix, queries in (("", split.query), ("_seen", split.seen_query),
                            ("_all", np.concatenate([split.query, split.seen_query]))):
        want = retrieval_scores(model.transform(X[queries]), db, y[queries], y[split.database],
                                maps=maps, radius=2)
        for key, value in want.items():
            assert row[key + suffix] == pytest.approx(value), key + suffix
    for key in (*maps, "precision_r"):
        unseen, seen = row[key], row[key + "_seen"]
        assert row[key + "_h"] == pytest.approx(2 * unseen * seen / (unseen + seen))
        assert min(unseen, seen) <= row[key + "_all"] <= max(unseen, seen) + 1e-12
    # seen-class queries were held out of training and of the database
    assert not np.isin(split.seen_query, split.train).any()
    assert not np.isin(split.seen_query, split.database).any()


def test_evaluate_without_seen_queries_has_no_generalised_keys(blobs):
    X, y, _ = blobs
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10, random_state=0)
    (row,) = evaluate({"PCAH": PCAHasher()}, X, y, split, bits=(8,), maps=["map_zsh"])
    assert {k for k in row if k not in ("method", "bits", "fit_seconds", "encode_seconds")} == {
        "map_zsh", "precision_r"}


@pytest.mark.parametrize(("maps", "exc", "match"), [
    ("map", TypeError, "maps must be an iterable of mAP definition names"),
    ([], ValueError, "maps must name at least one mAP definition"),
    (["map", "map"], ValueError, "each once"),
    (["map@x"], ValueError, "unknown mAP definition 'map@x'"),
])
def test_evaluate_refuses_bad_maps(blobs, maps, exc, match):
    X, y, _ = blobs
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10, random_state=0)
    with pytest.raises(exc, match=match):
        evaluate({"PCAH": PCAHasher()}, X, y, split, bits=(8,), maps=maps)


def test_scorer_takes_any_map_definition(blobs):
    X, y, _ = blobs
    model = PCAHasher(bits=8).fit(X)
    score = make_retrieval_scorer(metric="map@10/drop", random_state=0)(model, X, y)
    order = np.random.RandomState(0).permutation(y.shape[0])
    n_query = int(round(0.2 * y.shape[0]))
    query, database = np.sort(order[:n_query]), np.sort(order[n_query:])
    codes = model.transform(X)
    assert score == map_scores(codes[query], codes[database], y[query], y[database],
                               definitions=["map@10/drop"])["map@10/drop"]
    with pytest.raises(ValueError, match="unknown metric 'precision'"):
        make_retrieval_scorer(metric="precision")


class _QuerySideRecorder(PCAHasher):
    """A single-modality hasher with a query-side encoder that records what it is given."""

    seen: list = []

    def fit(self, X, y=None, word_vecs=None, *, X_query=None):
        self.seen.append(("fit", np.asarray(X_query).copy()))
        return super().fit(X, y)

    def transform_query(self, X):
        self.seen.append(("query", np.asarray(X).copy()))
        return self.transform(X)


def test_evaluate_cross_modal_routes_the_second_modality(blobs):
    X, y, _ = blobs
    X_query = X + 100.0  # a distinguishable "other modality", rows paired with X
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=10, random_state=0)
    (row,) = evaluate({"rec": _QuerySideRecorder(bits=4)}, X, y, split, bits=(4,),
                      X_query=X_query)
    (fit_rows, query_rows) = [rows for _, rows in _QuerySideRecorder.seen]
    np.testing.assert_array_equal(fit_rows, X_query[split.train])
    np.testing.assert_array_equal(query_rows, X_query[split.query])
    # A hasher without a query side encodes the other modality with its one function.
    (single,) = evaluate({"PCAH": PCAHasher()}, X, y, split, bits=(4,), X_query=X_query)
    assert 0 <= row["map"] <= 1 and 0 <= single["map"] <= 1
    with pytest.raises(ValueError, match="X_query has 3 rows but X has"):
        evaluate({"PCAH": PCAHasher()}, X, y, split, bits=(4,), X_query=X_query[:3])


def test_zero_shot_split_folds_are_class_disjoint():
    from zeroshash.model_selection import ZeroShotSplit

    y = np.repeat(np.arange(7), 5)
    seen_as_test = []
    for train, test in ZeroShotSplit(n_splits=3, random_state=0).split(None, y):
        assert not set(y[train]) & set(y[test])
        assert len(train) + len(test) == len(y)
        seen_as_test.extend(np.unique(y[test]))
    assert sorted(seen_as_test) == list(range(7))  # partition: each class held out once
    for train, test in ZeroShotSplit(n_splits=4, n_unseen=2, random_state=0).split(None, y):
        assert len(np.unique(y[test])) == 2 and not set(y[train]) & set(y[test])
    with pytest.raises(ValueError, match="exceeds the 7 classes"):
        list(ZeroShotSplit(n_splits=8).split(None, y))
    with pytest.raises(ValueError, match="needs y"):
        list(ZeroShotSplit().split(np.zeros((3, 2)), None))


def test_grid_search_with_word_vectors_and_zero_shot_scorer(blobs):
    from sklearn.model_selection import GridSearchCV

    from zeroshash.model_selection import ZeroShotSplit, make_retrieval_scorer

    X, y, word_vecs = blobs
    search = GridSearchCV(
        ZSHHasher(n_anchors=40, random_state=0, word_vecs=dict(enumerate(word_vecs))),
        {"bits": [8, 16]},
        scoring=make_retrieval_scorer(metric="map_tie_aware"),
        cv=ZeroShotSplit(n_splits=3, random_state=0),
    ).fit(X, y)
    assert search.best_params_["bits"] in (8, 16)
    assert 0 <= search.best_score_ <= 1
    with pytest.raises(ValueError, match="unknown metric"):
        make_retrieval_scorer(metric="auc")


def test_protocol_yields_seeded_splits():
    from zeroshash.model_selection import ZeroShotProtocol

    y = np.repeat(np.arange(10), 20)
    a = [s.unseen_classes.tolist() for s in ZeroShotProtocol(n_splits=3, n_query_per_class=5)
         .split(y)]
    b = [s.unseen_classes.tolist() for s in ZeroShotProtocol(n_splits=3, n_query_per_class=5)
         .split(y)]
    assert a == b and len({tuple(u) for u in a}) > 1


# --- multi-label y: the protocol on a 0/1 indicator matrix -------------------------------
def _multilabel(seed: int, n: int = 300, n_classes: int = 8) -> np.ndarray:
    rng = np.random.RandomState(seed)
    Y = np.zeros((n, n_classes), dtype=np.uint8)
    for row in Y:
        row[rng.choice(n_classes, size=rng.randint(1, 4), replace=False)] = 1
    return Y


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_unseen=st.integers(1, 4),
       seen_per_class=st.integers(0, 4))
def test_multilabel_split_invariants(seed, n_unseen, seen_per_class):
    Y = _multilabel(seed % 1000)
    split = zero_shot_retrieval_split(Y, n_unseen=n_unseen, n_query_per_class=6,
                                      n_seen_query_per_class=seen_per_class,
                                      random_state=seed)
    unseen, seen = split.unseen_classes, split.seen_classes
    assert np.union1d(unseen, seen).tolist() == list(range(8)) and unseen.size == n_unseen
    # every query carries an unseen label; each unseen label got its 6 queries
    assert Y[split.query][:, unseen].any(axis=1).all()
    assert split.query.size == 6 * n_unseen
    # training images carry seen labels only, and at least one
    assert not Y[split.train][:, unseen].any() and Y[split.train].any(axis=1).all()
    assert np.isin(split.train, split.database).all()
    # query sets are disjoint from each other and from the database
    everything = np.concatenate([split.query, split.seen_query, split.database])
    assert np.unique(everything).size == everything.size == Y.shape[0]
    assert not Y[split.seen_query][:, unseen].any()
    assert split.seen_query.size == seen_per_class * seen.size
    again = zero_shot_retrieval_split(Y, n_unseen=n_unseen, n_query_per_class=6,
                                      n_seen_query_per_class=seen_per_class,
                                      random_state=seed)
    np.testing.assert_array_equal(again.database, split.database)


def test_multilabel_evaluate_scores_label_sharing():
    rng = np.random.RandomState(0)
    Y = _multilabel(1)
    X = Y @ rng.randn(8, 16) * 2 + rng.randn(Y.shape[0], 16)
    split = zero_shot_retrieval_split(Y, n_unseen=2, n_query_per_class=8,
                                      n_seen_query_per_class=4, random_state=0)
    (row,) = evaluate({"PCAH": PCAHasher()}, X, Y, split, bits=(8,), maps=["map", "map_zsh"])
    model = PCAHasher(bits=8).fit(X[split.train])
    scores = map_scores(model.transform(X[split.query]), model.transform(X[split.database]),
                        Y[split.query], Y[split.database], definitions=["map", "map_zsh"])
    assert row["map"] == pytest.approx(scores["map"])
    assert row["map_zsh"] == pytest.approx(scores["map_zsh"])
    assert {"map_seen", "map_all", "map_h"} <= row.keys()


def test_multilabel_zero_shot_split_folds():
    from zeroshash.model_selection import ZeroShotSplit

    Y = _multilabel(2)
    Y[:5] = 0  # unlabelled samples are in neither side
    for train, test in ZeroShotSplit(n_splits=4, random_state=0).split(None, Y):
        held = np.flatnonzero(Y[test].any(axis=0) & ~Y[train].any(axis=0))
        assert held.size >= 1
        assert not Y[train][:, held].any() and Y[test][:, held].any(axis=1).all()
        assert not np.isin(np.arange(5), np.concatenate([train, test])).any()


def test_multilabel_split_refuses_too_few_images():
    Y = _multilabel(3, n=40)
    with pytest.raises(ValueError, match="has .* images left to draw from; need more than 30"):
        zero_shot_retrieval_split(Y, n_unseen=2, n_query_per_class=30, random_state=0)
