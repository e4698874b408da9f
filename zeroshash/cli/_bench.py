"""``zeroshash bench``: run the benchmark scripts of a source checkout.

The scripts live in the repository's ``benchmarks/`` folder, not in the installed
package (they compare with peers -- faiss, scikit-learn, published code -- and write
results beside themselves). The folder is ``--dir``, else ``./benchmarks``, else the
one beside the package's source (an editable install or a checkout on ``sys.path``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .._progress import write_line
from ._common import UsageError


def benchmarks_dir(given: str | None) -> Path:
    if given is not None:
        folder = Path(given)
        if not folder.is_dir():
            raise UsageError(f"--dir: {given!r} is not a directory")
        return folder
    here = Path(__file__).resolve().parents[2] / "benchmarks"
    for folder in (Path.cwd() / "benchmarks", here):
        if folder.is_dir() and any(folder.glob("*.py")):
            return folder
    raise UsageError("no benchmarks/ folder here: the benchmark scripts ship with the source "
                     "repository, not the installed package; run from a checkout or give --dir")


def scripts(folder: Path) -> dict[str, Path]:
    """Scripts by short name: ``bench_hamming.py`` is ``hamming``, ``make_results.py`` itself."""
    found = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = path.stem.removeprefix("bench_")
        found[name] = path
    return found


def _summary(path: Path) -> str:
    """The first line of a script's docstring."""
    import ast

    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (SyntaxError, UnicodeDecodeError):
        doc = ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def run_bench(args) -> int:
    folder = benchmarks_dir(args.dir)
    available = scripts(folder)
    if args.list or args.name is None:
        width = max(map(len, available), default=0)
        write_line(f"benchmark scripts in {folder} (zeroshash bench NAME [--quick] ...):")
        for name, path in available.items():
            write_line(f"  {name:<{width}}  {_summary(path)}")
        return 0
    name = args.name.removeprefix("bench_").removesuffix(".py")
    if name not in available:
        raise UsageError(f"no benchmark {args.name!r} in {folder}; the benchmarks are: "
                         f"{' '.join(available)}")
    # The script's own exit status is the command's: its argparse errors are already
    # one line and status 2. Run from the repository root, as the scripts' docs say.
    return subprocess.call([sys.executable, str(available[name]), *args.script_args],
                           cwd=folder.parent)
