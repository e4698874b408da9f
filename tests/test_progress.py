"""Progress bars on a terminal only, the switch, the demo's rows as they come, and the
compile notice on numba's cache miss (zeroshash._progress)."""

import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from zeroshash import ZSHHasher, _progress
from zeroshash._progress import ENV_VAR, progress_bar, progress_enabled
from zeroshash.cli import main


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def _count(bar, n=3):
    for _ in range(n):
        bar.update()
    bar.close()


def test_no_bar_when_stderr_is_not_a_terminal(capfd, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert not progress_enabled()  # pytest captures stderr: not a terminal
    _count(progress_bar(total=3, desc="quiet"))
    assert list(progress_bar(range(4), desc="quiet")) == [0, 1, 2, 3]
    assert capfd.readouterr() == ("", "")


def test_a_fit_prints_nothing_off_a_terminal(capfd, blobs, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    X, y, word_vecs = blobs
    ZSHHasher(bits=8, n_anchors=50, random_state=0).fit(X, y, word_vecs=word_vecs)
    assert capfd.readouterr() == ("", "")


def test_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    stream = _Terminal()
    assert progress_enabled(stream)
    _count(progress_bar(total=3, desc="loud", file=stream, mininterval=0))
    assert "loud" in stream.getvalue() and "3/3" in stream.getvalue()


@pytest.mark.parametrize("value", ["0", "false", "OFF", "no"])
def test_the_switch_silences_bars(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    stream = _Terminal()
    assert not progress_enabled(stream)
    _count(progress_bar(total=3, desc="loud", file=stream))
    assert stream.getvalue() == ""


def test_the_switch_on_leaves_the_terminal_test(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1")
    assert progress_enabled(_Terminal()) and not progress_enabled(io.StringIO())


def test_alternation_bar_shows_the_objective_and_closes_on_convergence(monkeypatch):
    # A slow step (the bar waits 0.5 s before drawing); constant objective: converged
    # after the second iteration, well before max_iter.
    monkeypatch.delenv(ENV_VAR, raising=False)
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    hasher = ZSHHasher(max_iter=50, tol=0.0)

    def step():
        time.sleep(0.35)
        return 12.5

    hasher._alternate(step)
    assert hasher.n_iter_ == 2
    np.testing.assert_array_equal(hasher.objective_, [12.5, 12.5])
    text = stream.getvalue()
    assert "ZSHHasher fit" in text and "objective=12.5" in text and "2/50" in text


class _Recorder:
    """A stdout that logs each write and flush into a shared event list."""

    def __init__(self, events):
        self.events = events

    def write(self, text):
        self.events.append(("write", text))
        return len(text)

    def flush(self):
        self.events.append(("flush",))

    def isatty(self):
        return False


def test_demo_prints_each_row_as_it_is_measured(monkeypatch):
    import zeroshash.model_selection as ms

    events = []
    measured = ms.evaluation_rows

    def recording_rows(*args, **kwargs):
        for row in measured(*args, **kwargs):
            events.append(("measured", row["method"], row["bits"]))
            yield row

    monkeypatch.setattr(ms, "evaluation_rows", recording_rows)
    monkeypatch.setattr(sys, "stdout", _Recorder(events))
    assert main(["demo", "--dataset", "animals", "--bits", "8", "4", "--methods", "LSH", "PCAH",
                 "--queries-per-class", "10"]) == 0
    measured_at = [i for i, e in enumerate(events) if e[0] == "measured"]
    assert [events[i][1:] for i in measured_at] == [("LSH", 8), ("LSH", 4), ("PCAH", 8),
                                                   ("PCAH", 4)]
    # The header is out before the first fit; each row is written and flushed before the
    # next one is measured.
    before = "".join(e[1] for e in events[: measured_at[0]] if e[0] == "write")
    assert "unseen mAP@all" in before and "---" in before
    for here, following in zip(measured_at, [*measured_at[1:], len(events)]):
        between = events[here:following]
        method, bits = events[here][1:]
        lines = [e[1] for e in between if e[0] == "write" and e[1].startswith("animals")]
        assert len(lines) == 1 and lines[0].split()[1:3] == [method, str(bits)]
        assert ("flush",) in between[between.index(("write", lines[0])):]


def test_demo_rows_keep_the_table_layout(capsys):
    from zeroshash.cli import DEMO_COLUMNS, format_table

    main(["demo", "--dataset", "animals", "--bits", "8", "--methods", "LSH", "PartAlign",
          "--queries-per-class", "10"])
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if "unseen mAP@all" in line)
    end = out.index("metrics:") - 1  # the table, then a blank line and the metric notes
    assert out[end] == "" and out[end + 2].startswith("  map: whole database ranked")
    printed = out[start:end]
    rows = [dict(zip(("dataset", "method", "bits", "map", "map_tie_aware", "precision_r",
                      "fit_seconds"), line.split())) for line in printed[2:]]
    for row in rows:
        row["bits"] = int(row["bits"])
        for key in ("map", "map_tie_aware", "precision_r", "fit_seconds"):
            row[key] = float(row[key])
    assert printed == format_table(rows, DEMO_COLUMNS).splitlines()


# -- the compile notice ----------------------------------------------------------------------
class _FakeDispatcher:
    def __init__(self, module):
        self.py_func = type("f", (), {"__module__": module})


@pytest.fixture
def fresh_notices(monkeypatch):
    monkeypatch.setattr(_progress, "_announced", set())


def test_notice_once_per_kernel_group(capsys, fresh_notices, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    for module in ("zeroshash.hamming._kernels", "zeroshash.hamming._topk_kernels",
                   "zeroshash._ranking_kernels", "zeroshash._ranking_kernels", "user_code",
                   "zeroshash.hamming._mih_kernels"):
        _progress._compiling(_FakeDispatcher(module))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert "Hamming engine" in lines[0] and "20 s" in lines[0]
    assert "ranking metrics" in lines[1]


def test_the_switch_silences_the_notice(capsys, fresh_notices, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "0")
    _progress._compiling(_FakeDispatcher("zeroshash.hamming._kernels"))
    assert capsys.readouterr().err == ""


def _import_with_cache(module, cache_dir):
    """stderr of importing ``module`` with numba's cache in ``cache_dir``, switch unset."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "NUMBA_CACHE_DIR": str(cache_dir)}
    env.pop(ENV_VAR, None)
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, check=True, env=env).stderr


def test_notice_on_a_cold_cache_only(tmp_path):
    # The ranking kernels compile in a few seconds; the notice comes once when they do,
    # and not when numba's cache has them.
    cold = _import_with_cache("zeroshash._ranking_kernels", tmp_path)
    assert cold.count("zeroshash: compiling") == 1 and "ranking metrics" in cold
    assert "zeroshash: compiling" not in _import_with_cache("zeroshash._ranking_kernels", tmp_path)


@pytest.mark.slow
def test_hamming_notice_on_a_cold_cache(tmp_path):
    # About 20 s: the whole Hamming engine compiles into an empty cache.
    cold = _import_with_cache("zeroshash.hamming.index", tmp_path)
    assert cold.count("zeroshash: compiling") == 1 and "Hamming engine" in cold
    assert "zeroshash: compiling" not in _import_with_cache("zeroshash.hamming.index", tmp_path)


def test_importing_zeroshash_loads_no_tqdm():
    code = "import sys, zeroshash, zeroshash.cli; assert 'tqdm' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
