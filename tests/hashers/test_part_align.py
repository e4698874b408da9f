import numpy as np
import pytest
from _helpers import assert_non_increasing
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from zeroshash import PartAlignHasher
from zeroshash.metrics import mean_average_precision

SMALL = dict(bits=16, n_parts=4, n_anchors=60, random_state=0)


@pytest.fixture
def patches():
    """Six classes of 9-patch images (8-d patches): each class has its own part layout.

    Part prototypes are shared by all classes; a class is which prototype sits in
    which patch plus a class offset, and its 3-d word vector mirrors the offset.
    """
    rng = np.random.RandomState(0)
    protos = rng.randn(4, 8) * 3
    layouts = rng.randint(0, 4, size=(6, 9))
    offsets = rng.randn(6, 8)
    y = np.repeat(np.arange(6), 30)
    X = protos[layouts[y]] + offsets[y][:, None, :] + 0.5 * rng.randn(y.size, 9, 8)
    word_vecs = offsets[:, :3] + 0.1 * rng.randn(6, 3)
    return X, y, word_vecs


@pytest.mark.parametrize(
    "params",
    [{}, {"reconstruction_weight": 0.0}, {"mix_ratio": 1.0, "mask_ratio": 0.0}, {"nu": 1e-2,
        "semantic_ridge": 0.1}],
)
@pytest.mark.parametrize("with_word_vecs", [True, False])
def test_objective_never_increases(patches, params, with_word_vecs):
    X, y, word_vecs = patches
    h = PartAlignHasher(**{**SMALL, "max_iter": 12, "tol": 0.0, **params})
    h.fit(X, y, word_vecs if with_word_vecs else None)
    assert h.n_iter_ == len(h.objective_) >= 2  # stops early only at a fixed point
    assert_non_increasing(h.objective_)


def test_fitted_attributes(patches):
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    assert (h.n_patches_, h.patch_dim_, h.n_features_in_) == (9, 8, 72)
    assert h.part_centers_.shape == (4, 8)
    assert h.part_semantic_maps_.shape == (4, 3, 8)
    assert h.anchors_.shape == (60, 72)
    assert h.projection_.shape == (61, 16)
    assert h.semantic_projection_.shape == (16, 3)
    assert h.decoder_.shape == (16, 72)
    assert h.n_views_ == 3
    np.testing.assert_allclose(np.linalg.norm(h.class_vectors_, axis=1), 1.0)
    np.testing.assert_array_equal(h.classes_, np.arange(6))
    assert list(h.get_feature_names_out()) == [f"partalignhasher{i}" for i in range(16)]


def test_part_centers_are_kmeans_of_patches(patches):
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    flat = X.reshape(-1, 8)
    nearest = np.argmin(((flat[:, None] - h.part_centers_[None]) ** 2).sum(-1), axis=1)
    # Lloyd's fixed point: each centre is the mean of the patches nearest to it.
    for k in range(4):
        np.testing.assert_allclose(h.part_centers_[k], flat[nearest == k].mean(axis=0), atol=1e-6)


def test_semantic_maps_are_ridge_regressions(patches):
    """U_k solves the ridge problem from class vectors to the deviations of part k's patches."""
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    flat = X.reshape(-1, 8)
    part = np.argmin(((flat[:, None] - h.part_centers_[None]) ** 2).sum(-1), axis=1)
    A = h.class_vectors_[np.repeat(y, 9)]
    for k in range(4):
        Ak, Tk = A[part == k], flat[part == k] - h.part_centers_[k]
        U = np.linalg.solve(Ak.T @ Ak + h.semantic_ridge * np.eye(3), Ak.T @ Tk)
        np.testing.assert_allclose(h.part_semantic_maps_[k], U, atol=1e-8)


def test_views_replace_the_stated_patches(patches):
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    C, centers, maps = h.class_vectors_, h.part_centers_, h.part_semantic_maps_
    part_of = np.argmin(((X[:, :, None] - centers[None, None]) ** 2).sum(-1), axis=2)
    mixed, masked = h._views(X, part_of, y, C, centers, maps, np.random.RandomState(0))
    mixed, masked = mixed.reshape(X.shape), masked.reshape(X.shape)
    changed_mix = np.any(mixed != X, axis=2)
    changed_mask = np.any(masked != X, axis=2)
    assert np.all(changed_mix.sum(axis=1) == 3) and np.all(changed_mask.sum(axis=1) == 3)
    i, p = np.argwhere(changed_mix)[0]
    k = part_of[i, p]
    np.testing.assert_allclose(mixed[i, p], centers[k] + C[y[i]] @ maps[k])
    i, p = np.argwhere(changed_mask)[0]
    np.testing.assert_allclose(masked[i, p], centers[part_of[i, p]])
    # The mixed patches are those nearest to their components.
    comps = centers[part_of] + np.einsum("ns,npsd->npd", C[y], maps[part_of])
    dist = ((X - comps) ** 2).sum(-1)
    assert np.all(dist[changed_mix].reshape(-1, 3).max(axis=1)
                  <= dist[~changed_mix].reshape(-1, 6).min(axis=1))


def test_flattened_input_with_n_patches_gives_the_same_model(patches):
    X, y, word_vecs = patches
    a = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    flat = X.reshape(len(X), -1)
    b = PartAlignHasher(**SMALL, n_patches=9).fit(flat, y, word_vecs)
    np.testing.assert_array_equal(a.projection_, b.projection_)
    np.testing.assert_array_equal(a.transform(X), b.transform(flat))
    # A model fitted on 3-D input encodes the flattened rows the same way.
    np.testing.assert_array_equal(a.transform(flat), a.transform(X))


def test_two_d_input_without_n_patches_is_one_patch_per_row(patches):
    X, y, word_vecs = patches
    flat = X.reshape(len(X), -1)
    h = PartAlignHasher(**SMALL).fit(flat, y, word_vecs)
    assert (h.n_patches_, h.patch_dim_) == (1, 72)
    assert h.part_centers_.shape == (4, 72)
    assert h.n_views_ == 1  # nothing to mix or mask at ratio 1/3 of one patch
    h = PartAlignHasher(**SMALL, mix_ratio=0.5).fit(flat, y, word_vecs)
    assert h.n_views_ == 2


@pytest.mark.parametrize(
    "params, X_shape, match",
    [
        ({"n_patches": 5}, "flat", "n_patches=5 does not divide the 72 features"),
        ({"n_patches": 3}, "3d", "n_patches=3 does not match X's 9 patches"),
        ({}, "4d", "got a 4-D array"),
        ({}, "1d", "Expected 2D array"),
        ({}, "nan", "NaN"),
        ({}, "inf", "infinity"),
        ({}, "empty", "0 feature"),
    ],
)
def test_bad_input_fails_before_any_work(patches, params, X_shape, match):
    X, y, word_vecs = patches
    bad = {
        "flat": X.reshape(len(X), -1),
        "3d": X,
        "4d": X.reshape(len(X), 3, 3, 8),
        "1d": X[:, 0, 0],
        "nan": np.where(X > 4, np.nan, X),
        "inf": np.where(X > 4, np.inf, X),
        "empty": X[:, :0],
    }[X_shape]
    h = PartAlignHasher(**SMALL, **params)
    with pytest.raises(ValueError, match=match):
        h.fit(bad, y, word_vecs)
    assert not hasattr(h, "part_centers_")


def test_transform_checks_patch_layout(patches):
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y, word_vecs)
    with pytest.raises(ValueError, match=r"\(3, 24\), but PartAlignHasher was fitted on \(9, 8\)"):
        h.transform(X.reshape(len(X), 3, 24))
    with pytest.raises(ValueError, match="72 features"):
        h.transform(X[:, :4])
    with pytest.raises(ValueError, match=r"\(8, 9\), but PartAlignHasher was fitted on \(9, 8\)"):
        h.set_params(n_patches=8).transform(X.reshape(len(X), -1))


@pytest.mark.parametrize(
    "params, match",
    [({"bits": 0}, "bits"), ({"n_parts": 0}, "n_parts"), ({"mix_ratio": 1.5}, "mix_ratio"),
     ({"n_patches": 0}, "n_patches"), ({"nu": 0.0}, "nu"), ({"reconstruction_weight": -1.0},
         "reconstruction_weight")],
)
def test_bad_parameters(patches, params, match):
    X, y, word_vecs = patches
    with pytest.raises(InvalidParameterError, match=match):
        PartAlignHasher(**params).fit(X, y, word_vecs)


def test_one_hot_mode_and_constructor_word_vecs(patches):
    X, y, word_vecs = patches
    h = PartAlignHasher(**SMALL).fit(X, y)
    np.testing.assert_array_equal(h.class_vectors_, np.eye(6))
    as_dict = dict(zip(range(6), word_vecs))
    a = PartAlignHasher(**SMALL, word_vecs=as_dict).fit(X, y).encode(X)
    b = PartAlignHasher(**SMALL).fit(X, y, word_vecs).encode(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="both to the constructor and to fit"):
        PartAlignHasher(**SMALL, word_vecs=as_dict).fit(X, y, word_vecs)


def test_pipeline_with_flattened_patches(patches):
    X, y, word_vecs = patches
    pipe = make_pipeline(StandardScaler(), PartAlignHasher(**SMALL, n_patches=9))
    pipe.fit(X.reshape(len(X), -1), y, partalignhasher__word_vecs=word_vecs)
    assert pipe[-1].n_views_ == 3
    assert pipe.transform(X.reshape(len(X), -1)).shape == (len(X), 16)


def test_unseen_classes_retrieve_each_other(patches):
    X, y, word_vecs = patches
    seen = y < 4
    h = PartAlignHasher(bits=32, n_parts=4, n_anchors=100, random_state=0)
    h.fit(X[seen], y[seen], word_vecs[:4])
    codes = h.transform(X)
    unseen_map = mean_average_precision(codes[~seen][::4], codes, y[~seen][::4], y)
    assert unseen_map > 2 / 6  # chance is 1/6


def test_objective_matches_independent_formula(patches, monkeypatch):
    """objective_[-1] is the documented objective at the final codes and fitted blocks."""
    from zeroshash.hashers import _part_align

    captured = []
    real_dcc = _part_align.dcc_update

    def spy(*args, **kwargs):
        captured.append(real_dcc(*args, **kwargs).copy())
        return captured[-1]

    monkeypatch.setattr(_part_align, "dcc_update", spy)
    X, y, word_vecs = patches
    h = PartAlignHasher(**{**SMALL, "max_iter": 4, "tol": 0.0, "mask_ratio": 0.0, "nu": 1e-2})
    h.fit(X, y, word_vecs)
    B = captured[-1]
    flat = X.reshape(len(X), -1)
    S = h.class_vectors_[y]
    recon = flat - flat.mean(axis=0)
    recon /= np.sqrt(np.mean(np.sum(recon**2, axis=1)))
    part_of = np.argmin(((X[:, :, None] - h.part_centers_[None, None]) ** 2).sum(-1), axis=2)
    (mixed,) = h._views(X, part_of, y, h.class_vectors_, h.part_centers_,
                        h.part_semantic_maps_, None)

    def phi(Z):
        d2 = ((Z[:, None, :] - h.anchors_[None]) ** 2).sum(-1)
        return np.hstack([np.exp(-d2 / h.bandwidth_), np.ones((len(Z), 1))])

    W, D, P = h.semantic_projection_, h.decoder_, h.projection_
    expected = (
        np.sum((S - B @ W) ** 2) + h.semantic_ridge * np.sum(W**2)
        + h.reconstruction_weight * (np.sum((recon - B @ D) ** 2) + h.semantic_ridge * np.sum(D**2))
        + h.nu * (np.sum((B - phi(flat) @ P) ** 2) + np.sum((B - phi(mixed) @ P) ** 2)
                  + h.hash_ridge * np.sum(P**2))
    )
    assert h.n_views_ == 2
    assert h.objective_[-1] == pytest.approx(expected, rel=1e-6)


def test_multilabel_alignment_is_computed_once_per_label_set():
    """The part-to-semantic maps read a sample's labels only through its semantic vector
    (the mean of its labels' class vectors): grouping samples by label set gives the maps
    of a regression on every sample's own vector."""
    from zeroshash._solvers import label_groups, label_weights, sample_targets

    rng = np.random.RandomState(0)
    n, p, d = 40, 3, 5
    Y = (rng.rand(n, 4) < 0.4).astype(np.float64)
    Y[np.arange(n), np.arange(n) % 4] = 1.0
    C = rng.randn(4, 6)
    patches, part_of = rng.randn(n * p, d), rng.randint(2, size=(n, p))
    centers = rng.randn(2, d)
    h = PartAlignHasher(semantic_ridge=0.3)
    group, sets = label_groups(Y)
    grouped = h._semantic_maps(patches, part_of, group, label_weights(sets, 4) @ C, centers)
    per_sample = h._semantic_maps(patches, part_of, np.arange(n), sample_targets(Y, C), centers)
    np.testing.assert_allclose(grouped, per_sample, atol=1e-10)
