"""Docstring parts the family shares, written once.

A hasher's docstring names a shared part on a line of its own, ``%(nu)s``; the class
decorator :func:`fill_doc` puts the part's text there, at that line's indentation. A
parameter's part states its default as the class's ``__init__`` has it, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["fill_doc", "query_side"]

_PARAMETERS = {
    "n_anchors": """\
n_anchors : int, default={default}
    RBF anchors of the kernel hash function, drawn from the training data (fewer if
    there are fewer samples).""",
    "nu": """\
nu : float, default={default}
    The code-fit weight: weight of ``||B - Phi P||^2``, tying the codes to the hash
    function's outputs.""",
    "hash_ridge": """\
hash_ridge : float, default={default}
    Ridge of the hash function's regression, relative to ``nu``: the P-step is
    ``P = (Phi^T Phi + hash_ridge I)^-1 Phi^T B``.""",
    "max_iter": """\
max_iter : int, default={default}
    Most alternations (see ``tol``).""",
    "tol": """\
tol : float, default={default}
    Stop after an iteration that lowers the objective by at most ``tol`` times its
    value (0: only where it stalls exactly).""",
    "n_sweeps": """\
n_sweeps : int, default={default}
    Most passes of each discrete step over the bits (fewer where a pass changes
    nothing).""",
    "normalize_word_vecs": """\
normalize_word_vecs : bool, default={default}
    Scale each class vector to unit length before fitting.""",
    "n_jobs": """\
n_jobs : int or None, default={default}
    Threads of the fit's linear algebra (BLAS) and OpenMP loops; encoding is not
    limited, and no fit runs numba kernels. None means 1 unless in a
    :func:`joblib.parallel_config` context, -1 all cores, -2 all but one; never more
    than the count already in force (``threadpoolctl.threadpool_limits``,
    ``OMP_NUM_THREADS``, a joblib worker's cap). One thread by default because BLAS
    threads spin while they wait for each other: beside other busy processes a
    multi-threaded fit slows many times over, while on an idle machine more threads
    shorten it by well under half.""",
    "word_vecs": """\
word_vecs : array-like, dict, KeyedVectors, callable or path, default=None
    Class vectors given at construction (so Pipelines and GridSearchCV can carry
    them); see :meth:`fit`. None, with none given to ``fit``, means one-hot labels,
    with a :class:`~zeroshash.OneHotFallbackWarning`.""",
}

_ATTRIBUTES = {
    "kernel_attributes": """\
anchors_ : ndarray of shape (n_anchors_used, n_features)
    The RBF anchors.
bandwidth_ : float
    RBF bandwidth: mean squared distance between training samples and anchors.""",
    "projection_": """\
projection_ : ndarray of shape (n_anchors_used + 1, bits)
    The hash function's ``P`` (last row multiplies the bias).""",
    "classes_": """\
classes_ : ndarray of shape (n_classes,)
    The training classes, sorted; for a multi-label indicator ``y``, its column
    indices ``0 .. n_classes - 1``.""",
    "alternation_attributes": """\
n_iter_ : int
    Iterations run.
objective_ : ndarray of shape (n_iter_,)
    Objective after each iteration; non-increasing.""",
    "n_features_in": """\
n_features_in_ : int
    Number of features seen by ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Defined only when X has feature names that are all strings.""",
}

_LINE = re.compile(r"^(?P<indent>[ ]*)%\((?P<name>\w+)\)s[ ]*$", re.MULTILINE)


def fill_doc(cls):
    """Class decorator: replace each ``%(part)s`` line of the docstring by that part."""
    signature = inspect.signature(cls.__init__)

    def part(match):
        name, indent = match.group("name"), match.group("indent")
        if name in _PARAMETERS:
            default = signature.parameters[name].default
            text = _PARAMETERS[name].format(default=default)
        else:
            text = _ATTRIBUTES[name]
        return "\n".join(indent + line if line else line for line in text.splitlines())

    cls.__doc__ = _LINE.sub(part, cls.__doc__)
    return cls


def query_side(method) -> str:
    """The docstring of a ``BaseHasher`` encoding method, for its query-modality twin."""
    doc = method.__doc__
    first, rest = doc.split("\n", 1)
    first = first.replace("projections", "projections of query-modality items", 1)
    first = first.replace("Binary codes", "Binary codes of query-modality items", 1)
    rest = rest.replace("(n_samples, n_features)", "(n_samples, n_query_features)")
    rest = rest.replace("decision_function(X)", "decision_function_query(X)")
    return first + "\n" + rest
