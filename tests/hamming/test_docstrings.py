"""The Examples sections of the public docstrings run as written."""

import doctest
import importlib

import pytest

MODULES = ["index", "distances", "_mih"]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(f"zeroshash.hamming.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
