"""fit -> encode -> index -> search -> info from files, against the Python API."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from zeroshash import HammingIndex, ZSHHasher, load_model
from zeroshash.cli import main
from zeroshash.datasets import make_zero_shot_blobs, save_labels, save_vectors

NAMES = np.array(["red fox", "owl", "cat", "dog", "sheep", "cow"])


@pytest.fixture
def files(tmp_path):
    """A small zero-shot problem as a user has it: .npy features, text labels, vectors."""
    X, y, word_vecs = make_zero_shot_blobs(n_samples=240, n_classes=6, n_features=12,
                                           word_dim=5, random_state=0)
    seen = y < 4
    paths = {
        "X": tmp_path / "features.npy", "y": tmp_path / "labels.txt",
        "X_seen": tmp_path / "seen.npy", "y_seen": tmp_path / "seen_labels.txt",
        "vecs": tmp_path / "class_vectors.npy", "names": tmp_path / "class_names.txt",
        "ids": tmp_path / "ids.txt",
    }
    np.save(paths["X"], X.astype(np.float32))
    np.save(paths["X_seen"], X[seen].astype(np.float32))
    save_labels(paths["y"], NAMES[y])
    save_labels(paths["y_seen"], NAMES[y[seen]])
    np.save(paths["vecs"], word_vecs)
    save_labels(paths["names"], NAMES)
    save_labels(paths["ids"], np.arange(1000, 1000 + X.shape[0]))
    return paths, X.astype(np.float32), y, word_vecs


def zeroshash(*args, cwd=None):
    """The console script, as a user runs it."""
    exe = shutil.which("zeroshash")
    command = [exe] if exe else [sys.executable, "-m", "zeroshash"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_the_console_script_pipeline_equals_the_python_api(files, tmp_path):
    paths, X, y, word_vecs = files
    model, codes, index = tmp_path / "zsh.npz", tmp_path / "codes.npy", tmp_path / "db.idx"
    steps = [
        ("fit", paths["X_seen"], "--labels", paths["y_seen"], "--word-vecs", paths["vecs"],
         "--class-names", paths["names"], "--method", "zsh", "--bits", 16, "--seed", 3,
         "--param", "n_anchors=50", "--param", "max_iter=3", "-o", model),
        ("encode", model, paths["X"], "-o", codes, "--chunk-size", 7),
        ("index", codes, "--ids", paths["ids"], "--method", "mih", "-o", index),
        ("search", index, paths["X"], "--model", model, "-k", 5, "-o", tmp_path / "knn.npz"),
        ("search", index, codes, "--radius", 2, "-o", tmp_path / "range.npz"),
    ]
    for step in steps:
        result = zeroshash(*step)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""  # results go to files; the one-line summaries to stderr

    # The same work through the Python API.
    seen = y < 4
    vectors = dict(zip(NAMES.tolist(), word_vecs))
    hasher = ZSHHasher(bits=16, random_state=3, n_anchors=50, max_iter=3)
    hasher.fit(X[seen], NAMES[y[seen]], word_vecs=vectors)
    expected_codes = hasher.encode(X)
    np.testing.assert_array_equal(np.load(codes), expected_codes)
    np.testing.assert_array_equal(load_model(model).encode(X), expected_codes)
    reference = HammingIndex(16, method="mih")
    reference.add(expected_codes, ids=np.arange(1000, 1000 + X.shape[0]))
    distances, ids = reference.search(expected_codes, 5)
    with np.load(tmp_path / "knn.npz") as knn:
        np.testing.assert_array_equal(knn["distances"], distances)
        np.testing.assert_array_equal(knn["ids"], ids)
    lims, r_dist, r_ids = reference.range_search(expected_codes, 2)
    with np.load(tmp_path / "range.npz") as found:
        np.testing.assert_array_equal(found["lims"], lims)
        np.testing.assert_array_equal(found["distances"], r_dist)
        np.testing.assert_array_equal(found["ids"], r_ids)


def test_search_prints_csv_and_chunks_queries(files, tmp_path, capsys, monkeypatch):
    paths, X, _, _ = files
    model, codes, index = tmp_path / "itq.npz", tmp_path / "codes.npy", tmp_path / "db.idx"
    assert main(["fit", str(paths["X"]), "--method", "ITQ", "--bits", "12", "-o",
                 str(model)]) == 0
    assert main(["encode", str(model), str(paths["X"]), "-o", str(codes)]) == 0
    assert main(["index", str(codes), "--bits", "12", "-o", str(index)]) == 0
    capsys.readouterr()
    # Queries go through in chunks; the result is the one of a single call.
    monkeypatch.setattr("zeroshash.cli._search.QUERY_CHUNK", 7)
    assert main(["search", str(index), str(codes), "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "query,rank,id,distance"
    table = np.array([list(map(int, line.split(","))) for line in lines[1:]])
    reference = HammingIndex(12)
    reference.add(np.load(codes))
    distances, ids = reference.search(np.load(codes), 3)
    assert table.shape == (3 * X.shape[0], 4)
    np.testing.assert_array_equal(table[:, 2].reshape(-1, 3), ids)
    np.testing.assert_array_equal(table[:, 3].reshape(-1, 3), distances)
    ranks = np.tile(np.arange(3), (X.shape[0], 1))
    np.testing.assert_array_equal(table[:, 1].reshape(-1, 3), ranks)

    out = tmp_path / "range.csv"
    assert main(["search", str(index), str(codes), "--radius", "1", "-o", str(out)]) == 0
    rows = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    lims, r_dist, r_ids = reference.range_search(np.load(codes), 1)
    np.testing.assert_array_equal(rows[:, 0], np.repeat(np.arange(X.shape[0]), np.diff(lims)))
    np.testing.assert_array_equal(rows[:, 1], r_ids)
    np.testing.assert_array_equal(rows[:, 2], r_dist)


def test_encode_reads_ann_formats_in_chunks(files, tmp_path):
    paths, X, _, _ = files
    model = tmp_path / "pcah.npz"
    assert main(["fit", str(paths["X"]), "--method", "pcah", "--bits", "8", "-o",
                 str(model)]) == 0
    expected = load_model(model).encode(X)
    for suffix in (".fvecs", ".fbin", ".csv"):
        source = tmp_path / f"features{suffix}"
        save_vectors(source, X)
        out = tmp_path / f"codes{suffix}.npy"
        assert main(["encode", str(model), str(source), "-o", str(out), "--chunk-size",
                     "50"]) == 0
        np.testing.assert_array_equal(np.load(out), expected)


def test_fit_with_a_word2vec_file(files, tmp_path):
    paths, X, y, word_vecs = files
    # Words, not classes: "red fox" is the mean of "red" and "fox".
    vectors = {"red": word_vecs[0] - 1, "fox": word_vecs[0] + 1,
               **{name: word_vecs[i] for i, name in enumerate(NAMES) if i}}
    text = tmp_path / "words.txt"
    text.write_text(f"{len(vectors)} 5\n" + "".join(
        f"{word} {' '.join(map(repr, map(float, vec)))}\n" for word, vec in vectors.items()))
    model = tmp_path / "zsh.npz"
    assert main(["fit", str(paths["X_seen"]), "--labels", str(paths["y_seen"]),
                 "--word-vecs", str(text), "--method", "ZSH", "--bits", "8",
                 "--param", "n_anchors=40", "-o", str(model)]) == 0
    seen = y < 4
    hasher = ZSHHasher(bits=8, random_state=0, n_anchors=40).fit(
        X[seen], NAMES[y[seen]], dict(zip(NAMES.tolist(), word_vecs)))
    np.testing.assert_array_equal(load_model(model).encode(X), hasher.encode(X))


def test_info_describes_models_and_indexes(files, tmp_path, capsys):
    paths, X, _, _ = files
    model, codes, index = tmp_path / "lsh.npz", tmp_path / "codes.npy", tmp_path / "db.idx"
    main(["fit", str(paths["X"]), "--method", "lsh", "--bits", "24", "-o", str(model)])
    main(["encode", str(model), str(paths["X"]), "-o", str(codes)])
    main(["index", str(codes), "--ids", str(paths["ids"]), "-o", str(index)])
    capsys.readouterr()
    assert main(["info", str(model), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["kind"], info["hasher"], info["class"], info["bits"]) == (
        "zeroshash model", "lsh", "LSHHasher", 24)
    assert info["format_version"] == 1 and info["n_features_in"] == X.shape[1]
    assert info["arrays"]["projection_"] == [X.shape[1], 24]
    assert main(["info", str(index)]) == 0
    text = capsys.readouterr().out
    assert "zeroshash Hamming index" in text
    assert f"items           {X.shape[0]}" in text
    assert "1000..1239" in text


def test_evaluate_on_files_and_as_json(files, capsys):
    paths, *_ = files
    args = ["evaluate", "--features", str(paths["X"]), "--labels", str(paths["y"]),
            "--word-vecs", str(paths["vecs"]), "--class-names", str(paths["names"]),
            "--methods", "PCAH", "ZSH", "--bits", "8", "--n-unseen", "2",
            "--queries-per-class", "10", "--seeds", "0", "1", "--radius", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "unseen classes:" in out and "P@r<=1" in out and "means over 2 splits" in out
    assert "map: whole database ranked; AP / all relevant items; ties in database order" in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["method"], r["seed"]) for r in report["rows"]] == [
        ("PCAH", 0), ("ZSH", 0), ("PCAH", 1), ("ZSH", 1)]
    assert [m["splits"] for m in report["means"]] == [2, 2]
    mean = np.mean([r["map"] for r in report["rows"] if r["method"] == "ZSH"])
    assert report["means"][1]["map"] == pytest.approx(mean)
    assert report["protocol"]["radius"] == 1 and "map_tie_aware: " in report["metrics"]


def test_evaluate_named_maps_and_the_generalised_setting(files, capsys):
    paths, *_ = files
    args = ["evaluate", "--features", str(paths["X"]), "--labels", str(paths["y"]),
            "--methods", "PCAH", "--bits", "8", "--n-unseen", "2", "--queries-per-class", "10",
            "--map", "map_zsh", "map@20/drop", "--generalised", "--seen-queries-per-class", "5"]
    assert main(args) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.split()[:1] == ["dataset"])
    assert header.split()[3:] == ["map_zsh", "U", "map_zsh", "S", "map_zsh", "U+S", "map_zsh",
                                  "H", "map@20/drop", "U", "map@20/drop", "S", "map@20/drop",
                                  "U+S", "map@20/drop", "H", "P@r<=2", "U", "P@r<=2", "S",
                                  "P@r<=2", "U+S", "P@r<=2", "H", "fit", "s"]
    assert "+ 20 seen-class queries" in out  # 4 seen classes x 5
    note = out[out.index("metrics:"):]
    assert "map_zsh: top min(10000, n_database) ranked" in note
    assert "is dropped from the mean" in note and "H: harmonic mean of U and S" in note
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (row,) = report["rows"]
    for key in ("map_zsh", "map@20/drop", "precision_r"):
        assert {key, f"{key}_seen", f"{key}_all", f"{key}_h"} <= row.keys()
        assert report["means"][0][f"{key}_h"] == pytest.approx(row[f"{key}_h"])
    assert report["protocol"]["maps"] == ["map_zsh", "map@20/drop"]
    assert report["protocol"]["seen_queries_per_class"] == 5


def test_bench_lists_and_runs_scripts(tmp_path, capsys):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "bench_echo.py").write_text(
        '"""Echo its arguments."""\nimport sys\nprint(sys.argv[1:])\nsys.exit(3)\n')
    assert main(["bench", "--dir", str(folder), "--list"]) == 0
    assert "echo  Echo its arguments." in capsys.readouterr().out
    result = zeroshash("bench", "--dir", folder, "echo", "--quick", "-x")
    assert result.returncode == 3 and result.stdout.strip() == "['--quick', '-x']"
    assert main(["bench", "--dir", str(folder), "nope"]) == 2
    assert "no benchmark 'nope'" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(files, tmp_path):
    paths, *_ = files
    model, codes, index = tmp_path / "lsh.npz", tmp_path / "codes.npy", tmp_path / "db.idx"
    main(["fit", str(paths["X"]), "--method", "lsh", "--bits", "8", "-o", str(model)])
    main(["encode", str(model), str(paths["X"]), "-o", str(codes)])
    main(["index", str(codes), "-o", str(index)])
    exe = shutil.which("zeroshash") or f"{sys.executable} -m zeroshash"
    result = subprocess.run(f"{exe} search {index} {codes} -k 50 | head -n 2", shell=True,
                            capture_output=True, text=True)
    assert result.stdout.splitlines() == ["query,rank,id,distance", "0,0,0,0"]
    assert result.stderr == ""


def test_index_reads_uint8_codes_as_packed_whatever_their_values(tmp_path, capsys):
    # Packed 16-bit codes whose bytes happen to be 0 or 1 stay 16-bit codes (the dtype
    # decides, never the values); 0/1 bits of another dtype are one column a bit.
    codes = np.array([[0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    np.save(tmp_path / "packed.npy", codes)
    np.save(tmp_path / "bits.npy", codes.astype(np.int8))
    for name, bits in (("packed", 16), ("bits", 2)):
        assert main(["index", str(tmp_path / f"{name}.npy"), "-o", str(tmp_path / name)]) == 0
        assert HammingIndex.load(tmp_path / name).bits == bits


def test_evaluate_on_the_multilabel_mosaics(capsys):
    assert main(["evaluate", "--dataset", "animals-mosaics", "--methods", "PCAH", "--bits", "8",
                 "--queries-per-class", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (row,) = report["rows"]
    assert row["dataset"] == "animals-mosaics" and 0 < row["map_tie_aware"] <= 1
    assert main(["evaluate", "--dataset", "fashion-mosaics", "--methods", "PartAlign"]) == 2
    assert "the mosaic sets do not have" in capsys.readouterr().err


def test_multilabel_labels_from_an_indicator_file(files, tmp_path, capsys):
    paths, X, y, word_vecs = files
    rng = np.random.default_rng(0)
    Y = np.eye(6, dtype=np.uint8)[y]
    second = np.flatnonzero(rng.random(len(y)) < 0.3)
    Y[second, (y[second] + 1) % 6] = 1  # a second label for some rows
    np.save(tmp_path / "Y.npy", Y)
    # a word2vec text file keyed by single words, and the columns' names
    words = ["fox", "owl", "cat", "dog", "sheep", "cow"]
    with open(tmp_path / "vectors.txt", "w") as f:
        f.write(f"6 {word_vecs.shape[1]}\n")
        for word, row in zip(words, word_vecs):
            f.write(word + " " + " ".join(repr(float(v)) for v in row) + "\n")
    save_labels(tmp_path / "columns.txt", np.array(words))
    common = [str(paths["X"]), "--labels", str(tmp_path / "Y.npy"), "--method", "zsh",
              "--bits", "16", "--param", "n_anchors=40"]
    assert main(["fit", *common, "--word-vecs", str(paths["vecs"]),
                 "-o", str(tmp_path / "by_row.npz")]) == 0
    assert main(["fit", *common, "--word-vecs", str(tmp_path / "vectors.txt"),
                 "--class-names", str(tmp_path / "columns.txt"),
                 "-o", str(tmp_path / "by_name.npz")]) == 0
    by_row, by_name = (load_model(tmp_path / f"{n}.npz") for n in ("by_row", "by_name"))
    want = ZSHHasher(bits=16, n_anchors=40, random_state=0).fit(X, Y, word_vecs)
    np.testing.assert_array_equal(by_row.encode(X), want.encode(X))
    np.testing.assert_allclose(by_name.projection_, by_row.projection_, rtol=1e-6, atol=1e-9)
    capsys.readouterr()
    for extra, message in [
        (["--word-vecs", str(tmp_path / "vectors.txt")], "give --class-names (one name per "
                                                         "column)"),
        (["--word-vecs", str(tmp_path / "vectors.txt"), "--class-names", str(paths["ids"])],
         "240 names for the 6 columns"),
        (["--word-vecs", str(tmp_path / "Y.npy")], "has 240 rows; with multi-label --labels it "
                                                   "needs one per column (6)"),
    ]:
        assert main(["fit", *common, *extra, "-o", str(tmp_path / "bad.npz")]) == 2
        assert message in capsys.readouterr().err
    np.save(tmp_path / "Y2.npy", Y * 2)
    assert main(["fit", str(paths["X"]), "--labels", str(tmp_path / "Y2.npy"), "--method",
                 "sdh", "-o", str(tmp_path / "bad.npz")]) == 2
    assert "values other than 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "bad.npz").exists()
