"""The alternating kernel hashers' base: class targets and the one convergence test."""

import warnings

import numpy as np
import pytest

from zeroshash import OneHotFallbackWarning, SDHHasher, ZSHHasher, all_hashers
from zeroshash._alternating import AlternatingKernelHasher, unit_rows


def test_unit_rows_scales_nonzero_rows_and_copies():
    V = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    U = unit_rows(V)
    np.testing.assert_allclose(U, [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]])
    assert U is not V and V[0, 0] == 3.0
    ints = unit_rows(np.array([[0, 0], [0, 5]]))
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints, [[0.0, 0.0], [0.0, 1.0]])


def run(hasher, values):
    """Drive _alternate with a scripted objective; returns the number of steps taken."""
    calls = iter(values)
    hasher._alternate(lambda: next(calls))
    return hasher.n_iter_


@pytest.mark.parametrize(
    "values, tol, max_iter, expected",
    [
        ([10.0, 9.0, 8.0, 7.0], 0.0, 4, 4),          # keeps going while it decreases
        ([10.0, 9.0, 9.0, 1.0], 0.0, 4, 3),          # tol=0: stops at an exact stall
        ([10.0, 9.0, 8.99, 1.0], 1e-2, 4, 3),        # decrease 0.01 <= 1e-2 * 9
        ([10.0, 9.0, 8.0, 7.0, 6.0], 1e-3, 3, 3),    # at most max_iter
        ([10.0, 11.0, 1.0], 0.0, 3, 2),              # an increase stops too
        ([8.0, 4.0, 1.0], 0.5, 3, 2),                # decrease 4 == 0.5 * 8: "at most"
        ([8.0, 3.0, 2.0], 0.5, 3, 3),                # decrease 5 > 4 goes on
        ([-10.0, -10.5, -20.0], 0.1, 3, 2),          # relative to |objective|: 0.5 <= 1
        ([5.0, 1.0], 0.0, 1, 1),                     # max_iter=1: one step, no test
    ],
)
def test_one_convergence_test(values, tol, max_iter, expected):
    hasher = SDHHasher(tol=tol, max_iter=max_iter)
    assert run(hasher, values) == expected
    assert hasher.objective_.dtype == np.float64
    np.testing.assert_array_equal(hasher.objective_, values[:expected])


def test_converged_needs_two_objectives():
    hasher = SDHHasher(tol=1.0)
    assert not hasher._converged([])
    assert not hasher._converged([3.0])
    assert hasher._converged([3.0, 3.0])


ALTERNATING = [s for s in all_hashers() if issubclass(s.estimator, AlternatingKernelHasher)]


@pytest.mark.parametrize("spec", ALTERNATING, ids=[s.name for s in ALTERNATING])
def test_class_targets(spec):
    hasher = spec.estimator()
    hasher.classes_ = np.array(["a", "b", "c"])
    if spec.uses_word_vecs:
        with pytest.warns(OneHotFallbackWarning, match=spec.estimator.__name__):
            targets = hasher._class_targets(None)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            targets = hasher._class_targets(None)
    np.testing.assert_array_equal(targets, np.eye(3))
    V = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])
    scaled = V / np.linalg.norm(V, axis=1, keepdims=True)
    np.testing.assert_allclose(hasher._class_targets(V),
                               scaled if spec.uses_word_vecs else V)
    if spec.uses_word_vecs:
        hasher.set_params(normalize_word_vecs=False)
        np.testing.assert_array_equal(hasher._class_targets(V), V)


def test_one_hot_fallback_warns_only_where_word_vectors_could_be_used(blobs):
    X, y, word_vecs = blobs
    with pytest.warns(OneHotFallbackWarning):
        zsh = ZSHHasher(bits=8, n_anchors=20, random_state=0).fit(X, y)
    np.testing.assert_array_equal(zsh.class_vectors_, np.eye(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SDHHasher(bits=8, n_anchors=20, random_state=0).fit(X, y)
        zsh = ZSHHasher(bits=8, n_anchors=20, random_state=0).fit(X, y, word_vecs)
    np.testing.assert_allclose(zsh.class_vectors_, unit_rows(word_vecs))


def test_one_hot_fallback_names_the_callers_line_through_a_pipeline(blobs):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = blobs
    pipe = make_pipeline(StandardScaler(), ZSHHasher(bits=8, n_anchors=20, random_state=0))
    with pytest.warns(OneHotFallbackWarning) as record:
        pipe.fit(X, y)
    assert [w.filename for w in record if w.category is OneHotFallbackWarning] == [__file__]
