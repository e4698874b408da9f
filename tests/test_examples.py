"""The gallery examples (examples/plot_*.py) run as written and have the gallery's form."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
# A sphinx-gallery title: the docstring's first non-empty line, underlined with "=".
TITLE = re.compile(r"\A\s*(?P<title>\S[^\n]*)\n(?P<rule>=+)\s*\n")


def _ids(paths):
    return [path.name for path in paths]


def _imports_matplotlib(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name == "matplotlib" or name.startswith("matplotlib.") for name in names):
            return True
    return False


def test_examples_are_found():
    assert len(EXAMPLES) >= 5, f"expected the gallery examples in {EXAMPLES_DIR}"


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_has_gallery_form(path):
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source), clean=False)
    assert docstring is not None, f"{path.name} has no module docstring"
    match = TITLE.match(docstring)
    assert match, f"{path.name}: the docstring must start with a title underlined with '='"
    assert len(match["rule"]) >= len(match["title"].rstrip()), (
        f"{path.name}: the title's '=' underline is shorter than the title"
    )
    body = docstring[match.end():].strip()
    assert body, f"{path.name}: the docstring has no text after its title"
    assert re.search(r"^# %%", source, flags=re.MULTILINE), f"{path.name} has no '# %%' cell"


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_runs(path, tmp_path):
    source = path.read_text(encoding="utf-8")
    if _imports_matplotlib(source):
        pytest.importorskip("matplotlib")
    env = {**os.environ, "MPLBACKEND": "Agg", "ZEROSHASH_PROGRESS": "0"}
    # One BLAS thread unless the caller chose otherwise: beside other CPU-bound work
    # (pytest-xdist, a shared CI runner) spinning BLAS threads make the fits many times
    # slower (README, "Threads"). Printed scores can differ in their last digits
    # with the BLAS thread count (rounding), never the examples' conclusions.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(variable, "1")
    result = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"{path.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
    assert result.stdout.strip(), f"{path.name} printed nothing"
    assert not list(tmp_path.iterdir()), f"{path.name} left files in its working directory"
