import subprocess
import sys

import pytest

from zeroshash.cli import main


def test_demo_prints_a_results_table(capsys):
    code = main(["demo", "--dataset", "animals", "--bits", "8", "--methods", "LSH", "ZSH",
                 "--queries-per-class", "20"])
    out = capsys.readouterr().out
    assert code == 0
    assert "unseen classes:" in out
    header = next(line for line in out.splitlines() if "unseen mAP@all" in line)
    assert header.split() == ["dataset", "method", "bits", "unseen", "mAP@all", "tie-aware",
                              "P@r<=2", "fit", "s"]
    rows = [line.split() for line in out.splitlines() if line.startswith("animals ")]
    assert [(r[1], r[2]) for r in rows] == [("LSH", "8"), ("ZSH", "8")]
    for r in rows:
        assert 0.0 <= float(r[3]) <= 1.0 and 0.0 <= float(r[4]) <= 1.0


def test_unknown_method_is_refused():
    with pytest.raises(SystemExit, match="unknown method"):
        main(["demo", "--methods", "NOPE"])


def test_bad_bits_is_refused(capsys):
    assert main(["demo", "--bits", "0"]) == 2
    assert "--bits" in capsys.readouterr().err


def test_module_entry_point_and_version():
    out = subprocess.run([sys.executable, "-m", "zeroshash", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("zeroshash ")
