"""DoubleBitHasher: ITQ rotation, double-bit thresholds, Hamming = L1 over levels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroshash import DoubleBitHasher, ITQHasher, PCAHasher
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split


def blobs(n=300, d=12, classes=5, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, classes, size=n)
    return rng.randn(classes, d)[y] * 3 + rng.randn(n, d), y


def levels(hasher, X):
    """Region index (0, 1, 2) of each double-bit direction: the oracle of the bit pairs."""
    V = (X - hasher.mean_) @ hasher.components_ @ hasher.rotation_
    n_double = hasher.bits // 2
    low, high = hasher.thresholds_[0:2 * n_double:2], hasher.thresholds_[1:2 * n_double:2]
    return (V[:, :n_double] >= low).astype(int) + (V[:, :n_double] >= high).astype(int)


def test_rotation_is_itq_on_the_same_directions():
    X, _ = blobs()
    dbq = DoubleBitHasher(normalize=None, bits=12, within_class_reg=None, random_state=3).fit(X)
    itq = ITQHasher(bits=6, random_state=3).fit(X)
    np.testing.assert_allclose(dbq.components_, itq.components_)
    np.testing.assert_allclose(dbq.rotation_, itq.rotation_)
    assert np.all(np.diff(dbq.quantization_loss_) <= 1e-9)


def test_bit_pairs_code_three_equally_filled_regions():
    X, _ = blobs(n=600)
    dbq = DoubleBitHasher(normalize=None, bits=8, within_class_reg=None, random_state=0).fit(X)
    codes = dbq.transform(X)
    low, high = codes[:, 0::2], codes[:, 1::2]
    assert not np.any((low == 0) & (high == 1))
    np.testing.assert_array_equal(low + high, levels(dbq, X))
    share = np.stack([np.mean(low + high == k, axis=0) for k in range(3)])
    np.testing.assert_allclose(share, 1 / 3, atol=0.01)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), bits=st.integers(2, 10))
def test_hamming_distance_is_l1_between_levels(seed, bits):
    X, y = blobs(n=80, d=8, seed=seed % 50)
    dbq = DoubleBitHasher(normalize=None, bits=bits, random_state=seed).fit(X, y)
    codes = dbq.transform(X).astype(int)
    hamming = np.abs(codes[:, None, :] - codes[None, :, :]).sum(axis=2)
    lv = levels(dbq, X)
    l1 = np.abs(lv[:, None, :] - lv[None, :, :]).sum(axis=2)
    if bits % 2:  # the last direction has one sign-like bit
        last = codes[:, -1]
        l1 = l1 + np.abs(last[:, None] - last[None, :])
    np.testing.assert_array_equal(hamming, l1)


def test_odd_bits_use_the_last_direction_once_at_its_median():
    X, y = blobs()
    dbq = DoubleBitHasher(normalize=None, bits=7, random_state=0).fit(X, y)
    assert dbq.components_.shape == (X.shape[1], 4)
    np.testing.assert_array_equal(dbq.bit_direction_, [0, 0, 1, 1, 2, 2, 3])
    assert abs(dbq.transform(X)[:, -1].mean() - 0.5) < 0.01


def test_within_class_directions_suppress_within_class_spread():
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(4), 100)
    # Large shared nuisance along feature 0, class identity along features 1-2.
    X = rng.randn(400, 6)
    X[:, 0] *= 20
    X[:, 1:3] += 10 * rng.randn(4, 2)[y]
    plain = DoubleBitHasher(bits=2, within_class_reg=None, random_state=0).fit(X, y)
    whitened = DoubleBitHasher(bits=2, within_class_reg=0.01, random_state=0).fit(X, y)
    assert abs(plain.components_[0, 0]) > 0.9  # PCA follows the nuisance
    direction = whitened.components_[:, 0] / np.linalg.norm(whitened.components_[:, 0])
    assert abs(direction[0]) < 0.1
    assert np.linalg.norm(direction[1:3]) > 0.9
    assert np.array_equal(whitened.classes_, np.arange(4))


def test_unsupervised_option_ignores_y():
    X, y = blobs()
    a = DoubleBitHasher(bits=8, within_class_reg=None, random_state=0).fit(X, y).transform(X)
    b = DoubleBitHasher(bits=8, within_class_reg=None, random_state=0).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)


def test_transductive_mode_uses_unlabelled_rows_for_the_unsupervised_parts():
    from zeroshash._principal import principal_directions
    from zeroshash.hashers._double_bit import within_class_directions

    X, y = blobs(n=400, classes=6)
    y_semi = np.where(y >= 4, -1, y)  # classes 4 and 5: unlabelled (e.g. unseen, in the database)
    dbq = DoubleBitHasher(normalize=None, bits=8, unlabeled_label=-1, random_state=0).fit(X, y_semi)
    np.testing.assert_array_equal(dbq.classes_, [0, 1, 2, 3])
    np.testing.assert_allclose(dbq.mean_, X.mean(axis=0))  # every row, labelled or not
    mean, pca = principal_directions(X, 12)
    Z = (X - mean) @ pca
    labelled = y_semi != -1
    expected = pca @ within_class_directions(Z, np.where(labelled, y_semi, -1), 4, 1.0,
                                             labelled)[0]
    np.testing.assert_allclose(dbq.components_, expected, atol=1e-10)
    # Inductive on the labelled rows alone is a different model (its statistics miss them).
    inductive = DoubleBitHasher(bits=8, random_state=0).fit(X[labelled], y[labelled])
    assert not np.allclose(inductive.mean_, dbq.mean_)


def test_transductive_mode_is_off_by_default_and_inert_without_the_marker():
    X, y = blobs()
    base = DoubleBitHasher(bits=8, random_state=0).fit(X, y)
    marked = DoubleBitHasher(bits=8, unlabeled_label=-1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(base.transform(X), marked.transform(X))
    np.testing.assert_array_equal(base.classes_, marked.classes_)
    # Without the parameter, -1 is an ordinary class.
    y_neg = np.where(y == 0, -1, y)
    assert -1 in DoubleBitHasher(bits=8, random_state=0).fit(X, y_neg).classes_
    names = np.array(["cat", "dog", "unknown", "cow", "pig"])[y]
    text = DoubleBitHasher(bits=8, unlabeled_label="unknown", random_state=0).fit(X, names)
    assert list(text.classes_) == ["cat", "cow", "dog", "pig"]


def test_transductive_mode_needs_some_labelled_rows():
    X, y = blobs()
    dbq = DoubleBitHasher(bits=8, unlabeled_label=-1)
    with pytest.raises(ValueError, match="every row has the unlabeled_label -1"):
        dbq.fit(X, np.full(y.shape, -1))
    assert not hasattr(dbq, "classes_")  # nothing written half-way


@pytest.mark.parametrize(
    "params, fit_y, match",
    [
        ({"bits": 26, "within_class_reg": None}, False,
         r"uses 13 directions at bits=26 .* more than the 12 available"),
        ({"bits": 16, "within_class_reg": None, "double_bit_share": 0.25}, False,
         r"uses 14 directions at bits=16 and double_bit_share=0.25 .* more than the 12"),
        ({"double_bit_share": 1.5}, True, "double_bit_share"),
        ({"normalize": "l1"}, True, "normalize"),
        ({"semantic_share": 1.0}, True, "semantic_share"),
        ({"within_class_reg": "ledoit"}, True, "within_class_reg"),
        ({"bits": 8, "semantic_share": 0.25}, True, "pass word_vecs to fit"),
        ({"bits": 8, "unseen_classes": [7]}, True, "needs semantic_share > 0"),
        ({"bits": 8, "within_class_reg": 0.1, "n_components": 3}, True, "n_components"),
        ({"within_class_reg": -1.0}, True, "within_class_reg"),
        ({"bits": 0}, False, "bits"),
    ],
)
def test_bad_input_is_refused_clearly(params, fit_y, match):
    X, y = blobs()
    with pytest.raises(ValueError, match=match):
        DoubleBitHasher(**params).fit(X, y if fit_y else None)


@pytest.mark.parametrize("loader", [load_animals, load_fashion])
def test_beats_itq_and_pcah_on_unseen_classes(loader):
    data = loader()
    split = zero_shot_retrieval_split(data.target, n_unseen=3, random_state=0)
    rows = evaluate(
        {"DBQ": DoubleBitHasher(random_state=0), "ITQ": ITQHasher(random_state=0),
         "PCAH": PCAHasher()},
        data.data, data.target, split, bits=(32,),
    )
    scores = {row["method"]: row for row in rows}
    assert scores["DBQ"]["map"] > max(scores["ITQ"]["map"], scores["PCAH"]["map"]) + 0.02
    assert scores["DBQ"]["precision_r"] >= scores["ITQ"]["precision_r"]


def test_multilabel_within_class_scatter_is_copy_weighted():
    """Each sample counts in each of its classes with weight 1 / |labels| (class means
    weighted alike): the directions against an explicit weighted-copies oracle."""
    from scipy.linalg import eigh

    from zeroshash.hashers._double_bit import within_class_directions

    rng = np.random.RandomState(0)
    Z = rng.randn(80, 6)
    Z -= Z.mean(axis=0)
    Y = (rng.rand(80, 4) < 0.4).astype(np.float64)
    Y[np.arange(80), np.arange(80) % 4] = 1.0
    within = np.zeros((6, 6))
    for c in range(4):  # the copies of class c, each with its sample's weight
        w = Y[:, c] / Y.sum(axis=1)
        mean = (w @ Z) / w.sum()
        within += ((Z - mean) * w[:, None]).T @ (Z - mean)
    within /= 80
    total = Z.T @ Z / 80
    _, vectors = eigh(total, within + 0.5 * np.trace(total) / 6 * np.eye(6))
    expected = vectors[:, ::-1][:, :3]
    got, reg = within_class_directions(Z, Y, 3, 0.5)
    assert reg == 0.5
    signs = np.sign(np.sum(expected * got, axis=0))
    np.testing.assert_allclose(got, expected * signs, atol=1e-10)


# -- options chosen by issue 16's selection: preprocessing, bit budget, ridge, word vectors


@pytest.mark.parametrize("normalize, power", [("l2", 1.0), ("power", 0.5)])
def test_normalize_is_the_same_fit_on_normalised_features(normalize, power):
    from zeroshash.preprocessing import power_normalize

    X, y = blobs()
    X = np.abs(X)
    inside = DoubleBitHasher(bits=10, normalize=normalize, random_state=0).fit(X, y)
    outside = DoubleBitHasher(bits=10, normalize=None, random_state=0)
    outside.fit(power_normalize(X, power), y)
    np.testing.assert_array_equal(inside.transform(X), outside.transform(power_normalize(X, power)))
    np.testing.assert_allclose(inside.components_, outside.components_)


@pytest.mark.parametrize("bits, share, n_double, n_sign", [
    (16, 1.0, 8, 0), (16, 0.75, 6, 4), (16, 0.5, 4, 8), (16, 0.0, 0, 16), (15, 1.0, 7, 1),
    (15, 0.5, 3, 9), (9, 0.3, 1, 7),
])
def test_double_bit_share_splits_the_budget(bits, share, n_double, n_sign):
    X, y = blobs(d=30)
    dbq = DoubleBitHasher(normalize=None, bits=bits, double_bit_share=share, random_state=0)
    dbq.fit(X, y)
    assert dbq.components_.shape[1] == n_double + n_sign
    counts = np.bincount(dbq.bit_direction_, minlength=n_double + n_sign)
    np.testing.assert_array_equal(counts, [2] * n_double + [1] * n_sign)
    codes = dbq.transform(X)
    assert codes.shape == (X.shape[0], bits)
    # each sign bit is balanced at its training median
    V = (X - dbq.mean_) @ dbq.components_ @ dbq.rotation_
    np.testing.assert_allclose(dbq.thresholds_[2 * n_double:],
                               np.median(V[:, n_double:], axis=0), atol=1e-9)


def test_auto_ridge_is_ledoit_wolf_and_falls_with_more_images():
    from sklearn.covariance import ledoit_wolf_shrinkage

    from zeroshash._principal import principal_directions

    ridges = []
    rng = np.random.RandomState(0)
    means = rng.randn(5, 20) * 3
    for n in (150, 600, 2400):
        y = rng.randint(0, 5, size=n)
        X = means[y] + rng.randn(n, 20) * np.linspace(0.2, 3.0, 20)  # anisotropic noise
        dbq = DoubleBitHasher(normalize=None, bits=8, within_class_reg="auto", n_components=20,
                              random_state=0).fit(X, y)
        mean, pca = principal_directions(X, 20)
        Z = (X - mean) @ pca
        R = np.concatenate([Z[y == c] - Z[y == c].mean(axis=0) for c in np.unique(y)])
        delta = ledoit_wolf_shrinkage(R, assume_centered=True)
        mu_w = np.sum(R * R) / n / Z.shape[1]
        mu_t = np.sum(Z * Z) / n / Z.shape[1]
        assert dbq.within_class_reg_ == pytest.approx(delta / (1 - delta) * mu_w / mu_t)
        ridges.append(dbq.within_class_reg_)
    assert ridges[0] > ridges[1] > ridges[2]
    fixed = DoubleBitHasher(bits=8, within_class_reg=2.5, random_state=0).fit(*blobs())
    assert fixed.within_class_reg_ == 2.5


def test_semantic_directions_need_word_vectors_and_are_capped_by_their_rank():
    X, y = blobs(n=400, d=20, classes=6)
    vectors = np.random.RandomState(1).randn(6, 8)
    seen = y < 4
    dbq = DoubleBitHasher(bits=12, semantic_share=0.5, random_state=0)
    dbq.fit(X[seen], y[seen], word_vecs=vectors)
    # 6 directions, half semantic, but 4 seen classes' vectors span 3 axes only
    assert dbq.n_semantic_ == 3 and dbq.components_.shape[1] == 6
    with_names = DoubleBitHasher(bits=12, semantic_share=0.5, unseen_classes=[4, 5],
                                 random_state=0).fit(X[seen], y[seen], word_vecs=vectors)
    assert with_names.n_semantic_ == 3  # the names add axes, but the regression's span stays
    assert not np.allclose(with_names.components_, dbq.components_)
    plain = DoubleBitHasher(bits=12, random_state=0).fit(X[seen], y[seen])
    assert plain.n_semantic_ == 0
    with pytest.raises(ValueError, match="absent from y"):
        DoubleBitHasher(bits=12, semantic_share=0.5, unseen_classes=[3, 4]).fit(
            X[seen], y[seen], word_vecs=vectors)
    with pytest.warns(UserWarning, match="does not use word vectors"):
        DoubleBitHasher(bits=12).fit(X[seen], y[seen], word_vecs=vectors)


def test_semantic_direction_oracle():
    """The semantic directions are M A: ridge regression onto the centred class vectors,
    pulled back along the class vectors' principal axes (a plain numpy oracle)."""
    from zeroshash.hashers._double_bit import semantic_directions

    rng = np.random.RandomState(0)
    Z = rng.randn(60, 5)
    Z -= Z.mean(axis=0)
    y = rng.randint(0, 4, size=60)
    C = rng.randn(4, 3)
    T = C[y] - C.mean(axis=0)
    got = semantic_directions(Z, T, C, 2, 0.5)
    gram = Z.T @ Z / 60
    M = np.linalg.inv(gram + 0.5 * np.trace(gram) / 5 * np.eye(5)) @ Z.T @ T / 60
    axes = np.linalg.svd(C - C.mean(axis=0))[2][:2].T
    expected = M @ axes
    signs = np.sign(np.sum(expected * got, axis=0))
    np.testing.assert_allclose(got, expected * signs, atol=1e-10)


def test_semantic_mode_in_the_transductive_setting():
    X, y = blobs(n=400, d=20, classes=6)
    vectors = np.random.RandomState(1).randn(6, 8)
    y_semi = np.where(y >= 4, -1, y)
    dbq = DoubleBitHasher(bits=12, semantic_share=0.5, unlabeled_label=-1, random_state=0)
    dbq.fit(X, y_semi, word_vecs=vectors)
    np.testing.assert_array_equal(dbq.classes_, [0, 1, 2, 3])
    assert dbq.n_semantic_ == 3
