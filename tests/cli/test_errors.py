"""A user's mistake is one line on stderr and exit status 2, before any work, no file."""

import numpy as np
import pytest

from zeroshash.cli import main
from zeroshash.datasets import make_zero_shot_blobs, save_labels


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_errors")
    X, y, word_vecs = make_zero_shot_blobs(n_samples=60, n_classes=4, n_features=6,
                                           word_dim=3, random_state=0)
    np.save(d / "X.npy", X)
    np.save(d / "X1d.npy", X[:, 0])
    np.save(d / "X5.npy", X[:, :5])
    save_labels(d / "y.txt", y)
    save_labels(d / "y_short.txt", y[:-1])
    save_labels(d / "names.txt", np.array(["a", "b", "c", "d"]))
    save_labels(d / "y_names.txt", np.array(["a", "b", "c", "e"])[y])
    np.save(d / "vecs.npy", word_vecs)
    save_labels(d / "float_ids.txt", np.array([f"{i}.5" for i in range(60)]))
    (d / "junk.bin").write_bytes(b"not a model at all")
    assert main(["fit", str(d / "X.npy"), "--method", "lsh", "--bits", "8", "-o",
                 str(d / "m.npz")]) == 0
    assert main(["encode", str(d / "m.npz"), str(d / "X.npy"), "-o", str(d / "c.npy")]) == 0
    assert main(["index", str(d / "c.npy"), "-o", str(d / "i.idx")]) == 0
    damaged = bytearray((d / "m.npz").read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (d / "damaged.npz").write_bytes(bytes(damaged))
    return d


# (arguments with {d} for the folder, words the message must hold)
CASES = [
    ("fit {d}/missing.npy --method lsh -o {d}/out.npz", "does not exist"),
    ("fit {d}/X.npy --method nope -o {d}/out.npz", "--method: unknown method(s) nope"),
    ("fit {d}/X.npy --method lsh --param n_anchor=3 -o {d}/out.npz", "LSH has no parameter"),
    ("fit {d}/X.npy --method zsh --labels {d}/y.txt --param n_anchors=-3 -o {d}/out.npz",
     "n_anchors"),
    ("fit {d}/X.npy --method lsh --param bits=3 -o {d}/out.npz", "set bits with --bits"),
    ("fit {d}/X.npy --method lsh --param oops -o {d}/out.npz", "expected key=value"),
    ("fit {d}/X.npy --method sdh -o {d}/out.npz", "give --labels"),
    ("fit {d}/X.npy --method sdh --labels {d}/y_short.txt -o {d}/out.npz", "59 labels for 60"),
    ("fit {d}/X.npy --method lsh --word-vecs {d}/vecs.npy -o {d}/out.npz",
     "does not use word vectors"),
    ("fit {d}/X.npy --method zsh --labels {d}/y_names.txt --word-vecs {d}/vecs.npy "
     "--class-names {d}/names.txt -o {d}/out.npz", "'e'"),
    ("fit {d}/X1d.npy --method lsh -o {d}/out.npz", "2-D"),
    ("fit {d}/X.npy --method lsh -o {d}/nowhere/out.npz", "does not exist"),
    ("fit {d}/X.npy --method lsh --bits 0 -o {d}/out.npz", "must be >= 1"),
    ("fit {d}/X.npy --method lsh --bits x -o {d}/out.npz", "expected an integer"),
    ("encode {d}/m.npz {d}/X5.npy -o {d}/out.npy", "has 5 features per row"),
    ("encode {d}/m.npz {d}/X.npy -o {d}/out.txt", "must end in .npy"),
    ("encode {d}/junk.bin {d}/X.npy -o {d}/out.npy", "junk.bin"),
    ("encode {d}/damaged.npz {d}/X.npy -o {d}/out.npy", "damaged.npz"),
    ("encode {d}/m.npz {d}/X.npy --side query -o {d}/out.npy", "one hash function"),
    ("encode {d}/m.npz {d}/X.npy --chunk-size 0 -o {d}/out.npy", "--chunk-size"),
    ("index {d}/c.npy --ids {d}/float_ids.txt -o {d}/out.idx", "integer ids"),
    ("index {d}/c.npy --ids {d}/y_short.txt -o {d}/out.idx", "59 labels for 60"),
    ("index {d}/c.npy --bits -4 -o {d}/out.idx", "--bits must be >= 1"),
    ("search {d}/i.idx {d}/c.npy -k 3 --radius 1", "give one of -k"),
    ("search {d}/i.idx {d}/c.npy", "give one of -k"),
    ("search {d}/i.idx {d}/c.npy -k 0", "-k must be >= 1"),
    ("search {d}/i.idx {d}/c.npy --radius -1", "--radius must be >= 0"),
    ("search {d}/i.idx {d}/X5.npy -k 2", "give --model to encode them"),
    ("search {d}/i.idx {d}/c.npy -k 2 --side query", "give --model too"),
    ("search {d}/i.idx {d}/c.npy -k 2 -o {d}/out.json", "must end in .npz or .csv"),
    ("search {d}/junk.bin {d}/c.npy -k 2", "not a zeroshash Hamming index"),
    ("info {d}/junk.bin", "neither a zeroshash model file nor an index file"),
    ("info {d}/damaged.npz", "damaged.npz"),
    ("evaluate --features {d}/X.npy", "--features needs --labels"),
    ("evaluate --features {d}/X.npy --labels {d}/y.txt --n-unseen 4", "--n-unseen must lie"),
    ("evaluate --dataset animals --word-vecs {d}/vecs.npy", "goes with --features"),
    ("evaluate --features {d}/X.npy --labels {d}/y.txt --methods part_align",
     "give --patches"),
    ("demo --methods NOPE", "unknown method(s) NOPE"),
    ("demo --map map@0", "--map: unknown mAP definition 'map@0'"),
    ("demo --map map map", "--map names a definition twice"),
    ("demo --seen-queries-per-class 5", "--seen-queries-per-class goes with --generalised"),
    ("demo --generalised --seen-queries-per-class 0", "--seen-queries-per-class must be >= 1"),
    ("demo --generalised --seen-queries-per-class 400",
     "--seen-queries-per-class must be below the smallest class of animals (400 images)"),
    ("evaluate --features {d}/X.npy --labels {d}/y.txt --queries-per-class 500",
     "--queries-per-class must be below the smallest class"),
]


@pytest.mark.parametrize("command, words", CASES, ids=[c[0].split(" {d}")[0] + f"-{i}"
                                                        for i, c in enumerate(CASES)])
def test_one_line_exit_2_and_nothing_written(work, capsys, command, words):
    before = sorted(p.name for p in work.iterdir())
    assert main(command.format(d=work).split()) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), captured.err
    assert "Traceback" not in captured.err
    assert lines[-1].startswith("zeroshash") and words in lines[-1], lines[-1]
    assert sorted(p.name for p in work.iterdir()) == before  # nothing written, no temp file


def test_verbose_adds_the_traceback(work, capsys):
    assert main(["encode", "-v", str(work / "m.npz"), str(work / "X5.npy"), "-o",
                 str(work / "out.npy")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("zeroshash: error:")


def test_an_encode_that_fails_midway_leaves_no_file(work, capsys, monkeypatch):
    calls = []

    def failing(self, X):
        calls.append(len(X))
        if len(calls) == 2:
            raise ValueError("boom")
        return np.zeros((len(X), 1), np.uint8)

    monkeypatch.setattr("zeroshash.LSHHasher.encode", failing)
    before = sorted(p.name for p in work.iterdir())
    assert main(["encode", str(work / "m.npz"), str(work / "X.npy"), "-o",
                 str(work / "c.npy"), "--chunk-size", "10"]) == 2
    assert "boom" in capsys.readouterr().err
    assert sorted(p.name for p in work.iterdir()) == before
    assert np.load(work / "c.npy").shape == (60, 1)  # the earlier file is unchanged
