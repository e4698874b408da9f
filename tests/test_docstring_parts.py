"""Shared docstring parts: placed at their line's indentation, with the class's defaults."""

import pytest

from zeroshash import (
    AsymmetricHasher,
    BaseHasher,
    BiBranchHasher,
    CrossModalHasher,
    SDHHasher,
    ZSHHasher,
    all_hashers,
)
from zeroshash._docstrings import fill_doc, query_side


@pytest.mark.parametrize("spec", all_hashers(), ids=lambda s: s.name)
def test_no_placeholder_left(spec):
    assert "%(" not in spec.estimator.__doc__


def test_parameter_parts_state_the_class_default():
    # Parts written with a placeholder take the default from the class's signature.
    assert "    nu : float, default=0.01\n" in BiBranchHasher.__doc__
    assert "    nu : float, default=1.0\n" in AsymmetricHasher.__doc__
    assert "    n_sweeps : int, default=10\n" in SDHHasher.__doc__
    assert "    tol : float, default=1e-05\n" in ZSHHasher.__doc__


def test_fill_doc_indents_each_part():
    class Toy(BaseHasher):
        """Toy.

        Parameters
        ----------
            %(tol)s
        """

        def __init__(self, bits=64, *, tol=0.5):
            self._store_params(locals())

        def _fit(self, X, y, class_vectors):
            pass

        def _project(self, X):
            pass

    fill_doc(Toy)
    lines = Toy.__doc__.splitlines()
    start = lines.index("            tol : float, default=0.5")
    assert lines[start + 1].startswith("                Stop after an iteration")


def test_query_side_docstrings():
    doc = query_side(BaseHasher.transform)
    assert doc.startswith("Binary codes of query-modality items")
    assert "(n_samples, n_query_features)" in doc and "decision_function_query(X)" in doc
    assert CrossModalHasher.encode_query.__doc__ == query_side(BaseHasher.encode)
