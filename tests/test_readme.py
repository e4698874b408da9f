"""Every Python block of README.md runs as written, each on its own, and its commands agree."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", TEXT, flags=re.S | re.M)


def _first_line(block: str) -> str:
    return next(line for line in block.splitlines() if line.strip())[:50]


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{i}:{_first_line(b)}"
                                               for i, b in enumerate(BLOCKS)])
def test_python_block_runs_as_written(block, tmp_path, monkeypatch):
    # A fresh namespace each: every name a block uses is defined in that block. Files it
    # writes land in a temporary folder.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})


def test_the_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in TEXT.splitlines() if "pytest" in line and "pip" in line)
    assert command.strip() in ci
    assert 'pip install . && zeroshash demo' in TEXT
