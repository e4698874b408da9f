"""The Examples sections of the public docstrings run as written."""

import doctest
import importlib
import importlib.util

import pytest

MODULES = ["index", "distances", "_mih"]
HAVE_FAISS = importlib.util.find_spec("faiss") is not None


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(f"zeroshash.hamming.{name}")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    attempted = 0
    for test in finder.find(module):
        if not HAVE_FAISS and "needs faiss" in test.docstring:
            continue
        runner.run(test)
        attempted += len(test.examples)
    assert runner.failures == 0 and attempted > 0
