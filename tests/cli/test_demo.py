import subprocess
import sys

from zeroshash import all_hashers, get_hasher
from zeroshash.cli import DEMO_METHODS, _resolve_methods, main


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


def test_unknown_method_is_refused(capsys):
    # Refused before any data is loaded: one line naming every unknown value and the
    # registered choices, exit status 2 (argparse's), no traceback.
    assert main(["demo", "--methods", "LSH", "NOPE", "zsh", "ALSO_NOPE"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("zeroshash: error: --methods: unknown method(s) NOPE ALSO_NOPE;")
    assert all(spec.label in line for spec in all_hashers())


def test_unknown_method_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "zeroshash", "demo", "--methods", "NOPE"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("zeroshash: error: --methods: unknown method(s) NOPE;")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_demo_methods_come_from_the_registry():
    # The default rows, looked up by label; names work case-insensitively too.
    specs = _resolve_methods(DEMO_METHODS)
    assert [spec.label for spec in specs] == ["LSH", "PCAH", "ITQ", "ZSH", "DBQ"]
    assert _resolve_methods(["pcah", "Zsh"]) == [get_hasher("PCAH"), get_hasher("ZSH")]
    # One seed for every row; the deterministic PCAH takes none.
    hashers = {spec.label: spec.make(random_state=3) for spec in specs}
    assert "random_state" not in hashers["PCAH"].get_params()
    assert {k: h.random_state for k, h in hashers.items() if k != "PCAH"} == dict.fromkeys(
        ["LSH", "ITQ", "ZSH", "DBQ"], 3)


def test_bad_bits_is_refused(capsys):
    assert main(["demo", "--bits", "0"]) == 2
    assert "--bits" in capsys.readouterr().err


def test_module_entry_point_and_version():
    out = subprocess.run([sys.executable, "-m", "zeroshash", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("zeroshash ")
