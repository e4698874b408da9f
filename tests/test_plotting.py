"""zeroshash.plotting: stored values equal the metrics' (oracle), the drawn data equal them."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from zeroshash import ITQHasher, LSHHasher, PCAHasher, pack_bits  # noqa: E402
from zeroshash.datasets import make_zero_shot_blobs  # noqa: E402
from zeroshash.metrics import (  # noqa: E402
    mean_average_precision,
    precision_recall_by_radius,
    precision_recall_by_rank,
)
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split  # noqa: E402
from zeroshash.plotting import (  # noqa: E402
    CodeLengthCurveDisplay,
    HammingDistanceDisplay,
    PrecisionRecallDisplay,
    default_ranks,
    distance_histograms,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def problem():
    """Zero-shot blobs: a PCAH hasher fitted on seen classes, unseen-class queries."""
    X, y, word_vecs = make_zero_shot_blobs(n_samples=400, n_classes=6, n_features=12,
                                           random_state=0)
    split = zero_shot_retrieval_split(y, n_unseen=2, n_query_per_class=15, random_state=0)
    hasher = PCAHasher(bits=12).fit(X[split.train])
    return X, y, word_vecs, split, hasher


def _codes(problem):
    X, y, _, split, hasher = problem
    return (hasher.encode(X[split.query]), hasher.encode(X[split.database]),
            y[split.query], y[split.database])


# -- PrecisionRecallDisplay -----------------------------------------------------------------
def test_precision_recall_by_radius_equals_metrics(problem):
    X, y, _, split, hasher = problem
    q, db, yq, ydb = _codes(problem)
    display = PrecisionRecallDisplay.from_estimator(
        hasher, X[split.query], yq, X[split.database], ydb)
    radius, precision, recall = precision_recall_by_radius(q, db, yq, ydb, bits=12)
    np.testing.assert_array_equal(display.thresholds, np.arange(13))
    np.testing.assert_array_equal(display.precision, precision)
    np.testing.assert_array_equal(display.recall, recall)
    assert display.by == "radius"
    assert display.average_precision == mean_average_precision(q, db, yq, ydb, bits=12,
                                                               ties="average")
    x, y_line = display.line_.get_data()
    np.testing.assert_array_equal(x, recall)
    np.testing.assert_array_equal(y_line, precision)
    assert display.line_.get_label() == f"PCAHasher (mAP = {display.average_precision:0.2f})"
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == [
        display.line_.get_label()]
    assert display.ax_.get_xlabel() == "Recall" and display.ax_.get_ylabel() == "Precision"
    assert display.figure_ is display.ax_.figure


def test_precision_recall_by_rank_equals_metrics(problem):
    q, db, yq, ydb = _codes(problem)
    ranks = [1, 5, 20, 100, db.shape[0]]
    display = PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12, by="rank",
                                                      ranks=ranks, name="PCAH")
    _, precision, recall = precision_recall_by_rank(q, db, yq, ydb, ranks=ranks, bits=12)
    np.testing.assert_array_equal(display.thresholds, ranks)
    np.testing.assert_array_equal(display.precision, precision)
    np.testing.assert_array_equal(display.line_.get_xdata(), recall)
    assert display.recall[-1] == pytest.approx(1.0)
    assert display.line_.get_label().startswith("PCAH (mAP = ")


def test_precision_recall_default_ranks_and_bit_arrays(problem):
    X, y, _, split, hasher = problem
    q, db, yq, ydb = _codes(problem)
    bits_q, bits_db = hasher.transform(X[split.query]), hasher.transform(X[split.database])
    display = PrecisionRecallDisplay.from_predictions(bits_q, bits_db, yq, ydb, by="rank")
    np.testing.assert_array_equal(display.thresholds, default_ranks(db.shape[0]))
    packed = PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12, by="rank")
    np.testing.assert_array_equal(display.precision, packed.precision)
    assert display.line_.get_label() == f"mAP = {display.average_precision:0.2f}"


def test_default_ranks():
    ranks = default_ranks(3700)
    assert ranks[0] == 1 and ranks[-1] == 3700 and np.all(np.diff(ranks) > 0)
    assert default_ranks(1).tolist() == [1]
    with pytest.raises(ValueError, match="empty"):
        default_ranks(0)


def test_precision_recall_honours_ax_name_and_kwargs(problem):
    q, db, yq, ydb = _codes(problem)
    fig, (ax0, ax1) = plt.subplots(1, 2)
    display = PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12, ax=ax1,
                                                      name="mine", color="red")
    assert display.ax_ is ax1 and display.figure_ is fig
    assert not ax0.lines and list(ax1.lines) == [display.line_]
    assert display.line_.get_color() == "red"
    display.plot(ax=ax0, name="again")
    assert display.ax_ is ax0 and display.line_.get_label().startswith("again (mAP = ")


def test_precision_recall_refuses_bad_by(problem):
    q, db, yq, ydb = _codes(problem)
    with pytest.raises(ValueError, match="by must be 'radius' or 'rank'; got 'distance'"):
        PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12, by="distance")
    with pytest.raises(ValueError, match="ranks"):
        PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12, ranks=[1, 2])
    with pytest.raises(ValueError, match="query labels"):
        PrecisionRecallDisplay.from_predictions(q, db, yq[:-1], ydb, bits=12)


class _TwoSided:
    """A fitted stand-in for a cross-modal hasher: queries encoded by their own function."""

    bits = 8

    def encode(self, X):
        return pack_bits(np.asarray(X)[:, :8] > 0)

    def transform_query(self, X):
        return (np.asarray(X)[:, :8] < 0).astype(np.uint8)


def test_from_estimator_uses_the_query_encoder(problem):
    X, y, _, split, _ = problem
    hasher = _TwoSided()
    Xq, Xdb, yq, ydb = X[split.query], X[split.database], y[split.query], y[split.database]
    display = PrecisionRecallDisplay.from_estimator(hasher, Xq, yq, Xdb, ydb)
    _, precision, _ = precision_recall_by_radius(hasher.transform_query(Xq), Xdb[:, :8] > 0,
                                                 yq, ydb)
    np.testing.assert_array_equal(display.precision, precision)
    same_side = PrecisionRecallDisplay.from_estimator(hasher, Xq, yq, Xdb, ydb,
                                                      use_query_encoder=False)
    _, precision, _ = precision_recall_by_radius(Xq[:, :8] > 0, Xdb[:, :8] > 0, yq, ydb)
    np.testing.assert_array_equal(same_side.precision, precision)
    with pytest.raises(ValueError, match="has no transform_query"):
        PrecisionRecallDisplay.from_estimator(PCAHasher(bits=8).fit(Xdb), Xq, yq, Xdb, ydb,
                                              use_query_encoder=True)


def test_missing_matplotlib_names_the_extra(problem, monkeypatch):
    q, db, yq, ydb = _codes(problem)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for call in (lambda: PrecisionRecallDisplay.from_predictions(q, db, yq, ydb, bits=12),
                 lambda: HammingDistanceDisplay.from_predictions(q, db, yq, ydb, bits=12),
                 lambda: CodeLengthCurveDisplay.from_evaluation(
                     [{"method": "A", "bits": 8, "map_tie_aware": 0.5}])):
        with pytest.raises(ImportError, match=r'pip install "zeroshash\[plot\]"'):
            call()


def test_import_does_not_import_matplotlib():
    code = "import zeroshash, zeroshash.plotting, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- CodeLengthCurveDisplay -----------------------------------------------------------------
def _rows():
    rows = []
    for seed, shift in ((0, 0.0), (1, 0.1), (2, 0.05)):
        for method, base in (("LSH", 0.2), ("DBQ", 0.4)):
            for bits in (16, 32, 64):
                score = base + shift + bits / 1000
                rows.append({"method": method, "bits": bits, "map": score,
                             "map_tie_aware": score - 0.01, "precision_r": 0.3, "seed": seed})
    return rows


def test_code_length_curve_mean_and_band():
    rows = _rows()
    display = CodeLengthCurveDisplay.from_evaluation(rows, metric="map",
                                                     band_kwargs={"alpha": 0.05})
    assert display.methods == ["LSH", "DBQ"]
    assert display.bands_[0].get_alpha() == 0.05
    np.testing.assert_array_equal(display.bits, [16, 32, 64])
    for i, method in enumerate(display.methods):
        for j, bits in enumerate(display.bits):
            values = [r["map"] for r in rows if r["method"] == method and r["bits"] == bits]
            assert display.scores_mean[i, j] == pytest.approx(np.mean(values))
            assert display.scores_min[i, j] == min(values)
            assert display.scores_max[i, j] == max(values)
            assert display.n_splits[i, j] == 3
        np.testing.assert_array_equal(display.lines_[i].get_xdata(), [16, 32, 64])
        np.testing.assert_allclose(display.lines_[i].get_ydata(), display.scores_mean[i])
        assert display.bands_[i] is not None
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["LSH", "DBQ"]
    assert display.ax_.get_ylabel() == "unseen-class mAP@all (ties by database position)"
    assert display.ax_.get_xlabel() == "code length (bits)"
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["16", "32", "64"]


def test_code_length_curve_labels_and_errors():
    rows = _rows()
    _, ax = plt.subplots()
    display = CodeLengthCurveDisplay.from_evaluation(rows, ax=ax)
    assert display.ax_ is ax
    assert ax.get_ylabel() == "unseen-class mAP@all (tie-aware)"
    single = [r for r in rows if r["seed"] == 0 and not (r["method"] == "DBQ" and
                                                        r["bits"] == 32)]
    display = CodeLengthCurveDisplay.from_evaluation(single, metric="precision_r", radius=1)
    assert display.ax_.get_ylabel() == "unseen-class precision within Hamming radius 1"
    assert display.bands_ == [None, None]  # one split: no band
    assert np.isnan(display.scores_mean[1, 1]) and display.n_splits[1, 1] == 0
    with pytest.raises(ValueError, match=r"no \['recall'\]"):
        CodeLengthCurveDisplay.from_evaluation(rows, metric="recall")
    with pytest.raises(ValueError, match="empty"):
        CodeLengthCurveDisplay.from_evaluation([])


def test_code_length_curve_from_estimator_runs_evaluate(problem):
    X, y, word_vecs, split, _ = problem
    hashers = {"LSH": LSHHasher(random_state=0), "ITQ": ITQHasher(random_state=0)}
    display = CodeLengthCurveDisplay.from_estimator(hashers, X, y, split, bits=(4, 8),
                                                    metric="map")
    rows = evaluate(hashers, X, y, split, bits=(4, 8))
    expected = [[r["map"] for r in rows if r["method"] == m] for m in ("LSH", "ITQ")]
    np.testing.assert_allclose(display.scores_mean, expected)
    two = CodeLengthCurveDisplay.from_estimator({"LSH": LSHHasher(random_state=0)}, X, y,
                                                [split, split], bits=(8,))
    assert two.n_splits.tolist() == [[2]]
    with pytest.raises(ValueError, match="metric must be"):
        CodeLengthCurveDisplay.from_estimator(hashers, X, y, split, metric="auc")


# -- HammingDistanceDisplay -----------------------------------------------------------------
def _full_matrix_counts(q_bits, db_bits, yq, ydb, groups, n_groups):
    """Plain numpy oracle: the whole distance matrix at once."""
    distances = (q_bits[:, None, :] != db_bits[None, :, :]).sum(axis=2)
    relevant = yq[:, None] == ydb[None, :]
    n_levels = q_bits.shape[1] + 1
    rel, irr = np.zeros((n_groups, n_levels), int), np.zeros((n_groups, n_levels), int)
    for g in range(n_groups):
        mine = groups == g
        rel[g] = np.bincount(distances[mine][relevant[mine]], minlength=n_levels)
        irr[g] = np.bincount(distances[mine][~relevant[mine]], minlength=n_levels)
    return rel, irr


@pytest.mark.parametrize("max_pairs", [1, 7, 500, None])
def test_blocked_counts_equal_full_matrix(max_pairs):
    rng = np.random.RandomState(0)
    q_bits, db_bits = rng.randint(0, 2, (23, 10)), rng.randint(0, 2, (41, 10))
    yq, ydb = rng.randint(0, 4, 23), rng.randint(0, 4, 41)
    groups = rng.randint(0, 3, 23)
    rel, irr = distance_histograms(q_bits, db_bits, yq, ydb, query_groups=groups,
                                   max_pairs=max_pairs)
    expected_rel, expected_irr = _full_matrix_counts(q_bits, db_bits, yq, ydb, groups, 3)
    np.testing.assert_array_equal(rel, expected_rel)
    np.testing.assert_array_equal(irr, expected_irr)
    packed = distance_histograms(pack_bits(q_bits), pack_bits(db_bits), yq, ydb, bits=10,
                                 query_groups=groups, max_pairs=max_pairs)
    np.testing.assert_array_equal(packed[0], expected_rel)


def test_blocked_counts_multi_label():
    rng = np.random.RandomState(1)
    q_bits, db_bits = rng.randint(0, 2, (9, 6)), rng.randint(0, 2, (14, 6))
    yq, ydb = rng.randint(0, 2, (9, 3)), rng.randint(0, 2, (14, 3))
    rel, irr = distance_histograms(q_bits, db_bits, yq, ydb, max_pairs=20)
    distances = (q_bits[:, None, :] != db_bits[None, :, :]).sum(axis=2)
    relevant = (yq @ ydb.T) > 0
    np.testing.assert_array_equal(rel[0], np.bincount(distances[relevant], minlength=7))
    np.testing.assert_array_equal(irr[0], np.bincount(distances[~relevant], minlength=7))


def test_hamming_histograms_two_panels(problem, monkeypatch):
    X, y, _, split, hasher = problem
    seen = split.seen_classes
    # Queries: the unseen-class queries and 30 seen-class database items.
    queries = np.concatenate([split.query, split.train[:30]])
    monkeypatch.setattr("zeroshash.plotting._MAX_BLOCK_PAIRS", 1000)  # many blocks
    display = HammingDistanceDisplay.from_estimator(
        hasher, X[queries], y[queries], X[split.database], y[split.database],
        seen_classes=seen, name="PCAH")
    n_pairs = queries.size * split.database.size
    assert display.relevant_counts.sum() + display.irrelevant_counts.sum() == n_pairs
    per_panel = display.relevant_counts.sum(axis=1) + display.irrelevant_counts.sum(axis=1)
    assert per_panel.tolist() == [30 * split.database.size,
                                  split.query.size * split.database.size]
    groups = (~np.isin(y[queries], seen)).astype(int)
    expected_rel, expected_irr = _full_matrix_counts(
        hasher.transform(X[queries]), hasher.transform(X[split.database]), y[queries],
        y[split.database], groups, 2)
    np.testing.assert_array_equal(display.relevant_counts, expected_rel)
    np.testing.assert_array_equal(display.irrelevant_counts, expected_irr)
    assert display.axes_.shape == (2,) and display.ax_ is display.axes_[0]
    assert [ax.get_title() for ax in display.axes_] == [
        "PCAH: seen-class queries (n=30)", f"PCAH: unseen-class queries (n={split.query.size})"]
    for (rel_bars, irr_bars), rel, irr in zip(display.bars_, expected_rel, expected_irr):
        heights = [bar.get_height() for bar in rel_bars]
        np.testing.assert_allclose(heights, rel / rel.sum())
        np.testing.assert_allclose([bar.get_height() for bar in irr_bars], irr / irr.sum())
        assert [bar.get_x() + bar.get_width() / 2 for bar in rel_bars] == list(range(13))
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["relevant items", "irrelevant items"]
    assert display.ax_.get_xlabel() == "Hamming distance"


def test_hamming_histograms_axes(problem):
    q, db, yq, ydb = _codes(problem)
    fig, axes = plt.subplots(2, 2)
    display = HammingDistanceDisplay.from_predictions(q, db, yq, ydb, bits=12,
                                                      seen_classes=[0], ax=axes[1])
    assert list(display.axes_) == list(axes[1]) and display.figure_ is fig
    assert not axes[0, 0].patches
    one = HammingDistanceDisplay.from_predictions(q, db, yq, ydb, bits=12, ax=axes[0, 0])
    assert one.ax_ is axes[0, 0] and one.relevant_counts.shape == (1, 13)
    assert axes[0, 0].get_title() == f"all queries (n={q.shape[0]})"
    with pytest.raises(ValueError, match="2 panels need 2 axes; got 1"):
        HammingDistanceDisplay.from_predictions(q, db, yq, ydb, bits=12, seen_classes=[0],
                                                ax=axes[0, 1])
    with pytest.raises(ValueError, match="seen_classes needs 1-D"):
        HammingDistanceDisplay.from_predictions(q, db, np.eye(q.shape[0], 3),
                                                np.eye(db.shape[0], 3), bits=12,
                                                seen_classes=[0])


# -- benchmarks/make_results.py --------------------------------------------------------------
@pytest.mark.slow
def test_make_results_quick(tmp_path):
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_results.py"), "--quick", "--out",
         str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "RESULTS.md").is_file()
    pngs = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert pngs == ["hamming_histograms_animals_16bits.png", "map_vs_bits.png",
                    "pr_curves_animals_16bits.png"]
    assert all((tmp_path / "figures" / p).stat().st_size > 1000 for p in pngs)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "| animals | DBQ | 16 |" in text and "(figures/map_vs_bits.png)" in text
    assert not list(tmp_path.rglob("*.tmp"))  # the atomic writes left nothing behind
    assert time.perf_counter() - start < 600
