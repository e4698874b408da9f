"""Every Examples section in the package runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import zeroshash

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(zeroshash.__path__, "zeroshash.")
    # _build_embedded needs torch and the raw datasets; __main__ runs the CLI on import.
    if not name.endswith(("_build_embedded", "__main__"))
)


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) failed in {module_name}"
