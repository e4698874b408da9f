"""Every Examples section in the package runs and prints what it shows."""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import zeroshash

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(zeroshash.__path__, "zeroshash.")
    # __main__ runs the CLI on import.
    if not name.endswith("__main__")
)
HAVE_FAISS = importlib.util.find_spec("faiss") is not None
# Modules whose examples need an optional extra, and the package that extra brings.
EXTRAS = {"zeroshash.dask": "distributed", "zeroshash.plotting": "matplotlib"}


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run(module_name):
    if module_name in EXTRAS:
        pytest.importorskip(EXTRAS[module_name])
    module = importlib.import_module(module_name)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module):
        if not HAVE_FAISS and "needs faiss" in test.docstring:
            continue  # interop examples need the optional faiss-cpu
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) failed in {module_name}"
