import itertools

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import AsymmetricHasher
from zeroshash._kernel_map import project_rbf
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=12, n_anchors=40, random_state=0)


def _pm(codes):
    return codes.astype(np.float64) * 2 - 1


def _dense_objective(ah, X, y):
    """The documented objective with S formed densely (independent of the low-rank code)."""
    n, r = X.shape[0], ah.bits
    U = project_rbf(X, ah.anchors_, ah.bandwidth_, ah.projection_)
    V, Z = _pm(ah.database_codes_), _pm(ah.class_codes_)
    Y = np.eye(len(ah.classes_))[np.searchsorted(ah.classes_, y)]
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    E, W = ah.label_inputs_, ah.label_weights_
    return (
        np.sum((U @ V.T - r * S) ** 2) / n
        + ah.gamma * np.sum((V - U) ** 2)
        + ah.mu * np.sum((V - Y @ Z) ** 2)
        + np.sum((Z - E @ W) ** 2)
        + ah.lam * np.sum(W**2)
        + ah.epsilon * np.sum(ah.projection_**2)
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"gamma": 0.0}, {"mu": 0.0}, {"gamma": 10.0, "mu": 5.0, "lam": 0.1}, {"n_sweeps": 1}],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_objective_never_increases(blobs, params, with_word_vecs):
    X, y, word_vecs = blobs
    # Overlapping classes, so the alternation takes several iterations to settle.
    X = X + 3.0 * np.random.RandomState(1).randn(*X.shape)
    ah = AsymmetricHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params})
    ah.fit(X, y, word_vecs if with_word_vecs else None)
    assert ah.n_iter_ == len(ah.objective_) >= 2
    steps = np.diff(ah.objective_)
    assert np.all(steps <= 1e-9 * np.abs(ah.objective_[:-1])), ah.objective_


@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_recorded_objective_is_the_documented_one(blobs, with_word_vecs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL, max_iter=4, tol=0.0).fit(
        X, y, word_vecs if with_word_vecs else None
    )
    np.testing.assert_allclose(ah.objective_[-1], _dense_objective(ah, X, y), rtol=1e-10)


def test_final_blocks_are_exact_minimisers(blobs):
    """At the end of a fit P, W and Z are the exact minimisers given the other blocks."""
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL, max_iter=3, tol=0.0).fit(X, y, word_vecs)
    n, r = X.shape[0], ah.bits
    V, Z = _pm(ah.database_codes_), _pm(ah.class_codes_)
    Y = np.eye(6)[y]
    S = np.where(Y @ Y.T > 0, 1.0, -1.0)
    E = ah.label_inputs_
    # P: stationary point of a strictly convex quadratic, solved through vec / kron.
    d2 = ((X[:, None, :] - ah.anchors_[None]) ** 2).sum(-1)
    Phi = np.hstack([np.exp(-d2 / ah.bandwidth_), np.ones((n, 1))])
    A, G = Phi.T @ Phi, V.T @ V / n + ah.gamma * np.eye(r)
    system = np.kron(G, A) + ah.epsilon * np.eye(A.shape[0] * r)
    rhs = Phi.T @ (r / n * S @ V + ah.gamma * V)
    P = np.linalg.solve(system, rhs.ravel(order="F")).reshape(rhs.shape, order="F")
    np.testing.assert_allclose(ah.projection_, P, rtol=1e-6, atol=1e-9)
    # W: ridge of Z on E.
    W = np.linalg.solve(E.T @ E + ah.lam * np.eye(E.shape[1]), E.T @ Z)
    np.testing.assert_allclose(ah.label_weights_, W, rtol=1e-10, atol=1e-12)


def test_class_code_step_matches_enumeration():
    """The Z-step's closed form equals brute force over every +-1 code of each class."""
    rng = np.random.RandomState(3)
    n, c, r, mu = 9, 3, 4, 0.7
    y = rng.randint(0, c, n)
    Y = np.eye(c)[y]
    V = np.where(rng.randn(n, r) >= 0, 1.0, -1.0)
    EW = rng.randn(c, r)
    closed = np.where(mu * Y.T @ V + EW >= 0, 1.0, -1.0)
    best, best_value = None, np.inf
    for bits in itertools.product([-1.0, 1.0], repeat=c * r):
        Z = np.array(bits).reshape(c, r)
        value = mu * np.sum((V - Y @ Z) ** 2) + np.sum((Z - EW) ** 2)
        if value < best_value - 1e-12:
            best, best_value = Z, value
    np.testing.assert_array_equal(closed, best)


def test_fitted_attributes(blobs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    assert ah.database_codes_.shape == (X.shape[0], 12)
    assert ah.database_codes_.dtype == np.uint8
    assert set(np.unique(ah.database_codes_)) <= {0, 1}
    assert ah.class_codes_.shape == (6, 12) and ah.class_codes_.dtype == np.uint8
    assert ah.label_weights_.shape == (3, 12)
    np.testing.assert_allclose(np.linalg.norm(ah.label_inputs_, axis=1), 1.0)
    assert ah.uses_word_vecs_
    assert ah.projection_.shape == (41, 12)
    codes = ah.transform(X)
    assert codes.shape == (X.shape[0], 12) and codes.dtype == np.uint8
    assert list(ah.get_feature_names_out()) == [f"asymmetrichasher{i}" for i in range(12)]


def test_label_input_modes(blobs):
    X, y, word_vecs = blobs
    onehot = AsymmetricHasher(**SMALL).fit(X, y)
    assert not onehot.uses_word_vecs_
    np.testing.assert_array_equal(onehot.label_inputs_, np.eye(6))
    forced = AsymmetricHasher(**SMALL, label_input="onehot").fit(X, y, word_vecs)
    assert not forced.uses_word_vecs_
    np.testing.assert_array_equal(forced.encode_classes(np.eye(6)), forced.class_codes_)
    with pytest.raises(ValueError, match="label_input='word_vecs' needs word vectors"):
        AsymmetricHasher(**SMALL, label_input="word_vecs").fit(X, y)


def test_encode_classes_seen_and_unseen(blobs):
    X, y, word_vecs = blobs
    # With at least as many dimensions as classes and a light ridge, the label network
    # reproduces the seen classes' codes from their own vectors.
    rich = np.hstack([word_vecs, np.random.RandomState(2).randn(6, 5)])
    ah = AsymmetricHasher(**SMALL, lam=1e-3).fit(X, y, rich)
    np.testing.assert_array_equal(ah.encode_classes(rich), ah.class_codes_)
    # 3-d vectors cannot carry 6 arbitrary 12-bit codes: the network's own codes
    # then differ from the class codes in some bits, but keep their shape and type.
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    seen = ah.encode_classes(word_vecs)
    assert seen.shape == (6, 12) and seen.dtype == np.uint8
    assert np.mean(seen == ah.class_codes_) > 0.5
    # Scaling does not matter (vectors are normalised); a new vector close to a seen
    # class's gets (nearly) that class's code: the map is what encodes unseen classes.
    np.testing.assert_array_equal(ah.encode_classes(3.0 * word_vecs), seen)
    unseen = word_vecs[2] + 0.01 * np.random.RandomState(1).randn(3)
    code = ah.encode_classes(unseen[None])
    assert code.shape == (1, 12)
    assert np.sum(code[0] != seen[2]) <= 1
    with pytest.raises(ValueError, match="3-dimensional word vectors"):
        ah.encode_classes(np.ones((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        ah.encode_classes(np.full((1, 3), np.nan))


def test_database_codes_follow_classes_and_queries_find_them(blobs):
    X, y, word_vecs = blobs
    ah = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    # Asymmetric use: query codes of the training rows against their database codes.
    m = mean_average_precision(ah.transform(X), ah.database_codes_, y, y)
    assert m > 0.95
    # Labels alone define S, so the database codes settle on one code per class:
    # their class's semantic code (the behaviour the docstring's Notes describe).
    np.testing.assert_array_equal(ah.database_codes_, ah.class_codes_[y])


def test_deterministic_and_dtype_agnostic(blobs):
    X, y, word_vecs = blobs
    a = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    b = AsymmetricHasher(**SMALL).fit(X, y, word_vecs)
    np.testing.assert_array_equal(a.database_codes_, b.database_codes_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = AsymmetricHasher(**SMALL).fit(X.astype(np.float32), y, word_vecs)
    assert np.mean(c.transform(X) == a.transform(X)) > 0.99


def test_word_vecs_given_twice_is_an_error(blobs):
    X, y, word_vecs = blobs
    with pytest.raises(ValueError, match="both to the constructor and to fit"):
        AsymmetricHasher(**SMALL, word_vecs=word_vecs).fit(X, y, word_vecs)


@pytest.mark.parametrize(
    "params",
    [{"bits": 0}, {"gamma": -1.0}, {"mu": -0.1}, {"lam": 0.0}, {"epsilon": 0.0},
     {"label_input": "glove"}, {"max_iter": 0}, {"n_sweeps": 0}],
)
def test_bad_parameters(blobs, params):
    X, y, _ = blobs
    with pytest.raises(InvalidParameterError):
        AsymmetricHasher(**{**SMALL, **params}).fit(X, y)


def test_bad_input(blobs):
    X, y, word_vecs = blobs
    with pytest.raises(ValueError, match="requires y"):
        AsymmetricHasher(**SMALL).fit(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        AsymmetricHasher(**SMALL).fit(X_nan, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        AsymmetricHasher(**SMALL).fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN or infinity"):
        AsymmetricHasher(**SMALL).fit(X, y, np.full_like(word_vecs, np.nan))
    ah = AsymmetricHasher(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        ah.transform(X[:, :5])
