"""Shared docstring parts: placed at their line's indentation, with the class's defaults."""

import inspect
import re

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


class _Toy(BaseHasher):
    def __init__(self, bits=64, *, tol=0.5):
        self._store_params(locals())

    def _fit(self, X, y, class_vectors):
        pass

    def _project(self, X):
        pass


def _filled(doc: str) -> list:
    """The lines of ``doc`` filled by fill_doc on a toy hasher (``tol`` defaults to 0.5)."""
    return fill_doc(type("Toy", (_Toy,), {"__doc__": doc})).__doc__.splitlines()


def test_fill_doc_indents_each_part():
    lines = _filled("""Toy.

        Parameters
        ----------
            %(tol)s
        """)
    start = lines.index("            tol : float, default=0.5")
    assert lines[start + 1].startswith("                Stop after an iteration")


@pytest.mark.parametrize(
    "method, first_line",
    [("decision_function", "Real-valued projections of query-modality items before the sign."),
     ("transform", "Binary codes of query-modality items as 0/1 values."),
     ("encode", "Binary codes of query-modality items packed 8 to a byte "
                "(``np.packbits`` order, big-endian).")],
    ids=["decision_function", "transform", "encode"],
)
def test_query_side_docstrings(method, first_line):
    base = getattr(BaseHasher, method).__doc__
    doc = query_side(getattr(BaseHasher, method))
    first, rest = doc.split("\n", 1)
    assert first == first_line
    # The rest only names the query modality's features and methods.
    expected = base.split("\n", 1)[1].replace("(n_samples, n_features)",
                                               "(n_samples, n_query_features)")
    assert rest == expected.replace("decision_function(X)", "decision_function_query(X)")
    assert getattr(CrossModalHasher, f"{method}_query").__doc__ == doc


def _documented_default(doc, name):
    """The default a numpydoc parameter line states, evaluated (``1/3``, ``"anchor"``)."""
    match = re.search(rf"^ *{name} : .*, default=(?P<default>.+)$", doc, re.MULTILINE)
    assert match, f"{name} is not documented with its default"
    return eval(match.group("default"), {"__builtins__": {}}, {})


@pytest.mark.parametrize("spec", all_hashers(), ids=lambda s: s.name)
def test_every_parameter_documented_with_the_class_default(spec):
    # Parts filled by fill_doc and hand-written lines alike state the signature's default.
    cls = spec.estimator
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        default = parameter.default
        expected = pytest.approx(default) if isinstance(default, float) else default
        assert _documented_default(cls.__doc__, name) == expected, name


def test_zsh_states_its_published_ridge():
    assert "    hash_ridge : float, default=100.0\n" in ZSHHasher.__doc__


def test_fill_doc_attribute_parts_and_blank_lines():
    lines = _filled("""Toy.

        Attributes
        ----------
        %(alternation_attributes)s

        Notes
        -----
        Text.
        """)
    assert not any("%(" in line for line in lines)
    start = lines.index("        n_iter_ : int")
    assert lines[start + 1:start + 6] == [
        "            Iterations run.",
        "        objective_ : ndarray of shape (n_iter_,)",
        "            Objective after each iteration; non-increasing.",
        "",
        "        Notes",
    ]
