from pathlib import Path

import numpy as np
import pytest

import zeroshash.datasets
from zeroshash.datasets import load_animals, load_fashion


@pytest.mark.parametrize("loader", [load_animals, load_fashion])
def test_embedded_dataset_layout(loader):
    data = loader()
    n = data.data.shape[0]
    assert data.data.dtype == np.float32 and data.data.shape == (n, 1280)
    assert np.isfinite(data.data).all() and data.data.min() >= 0  # pooled ReLU6 activations
    counts = np.bincount(data.target, minlength=10)
    assert counts.min() == counts.max() >= 300
    assert data.target_names.shape == (10,) and data.class_tokens.shape == (10,)
    assert data.class_vectors.shape == (10, 50) and np.isfinite(data.class_vectors).all()
    np.testing.assert_array_equal(
        np.vstack([data.class_vector_dict[i] for i in range(10)]), data.class_vectors
    )
    assert list(data.class_vectors_by_name) == data.target_names.tolist()
    assert all(type(name) is str for name in data.class_vectors_by_name)
    for i, name in enumerate(data.target_names):
        assert data.class_vectors_by_name[name].dtype == np.float64
        np.testing.assert_array_equal(data.class_vectors_by_name[name], data.class_vector_dict[i])
    assert "licence" in data.DESCR.lower() and "python maintainer/build_embedded.py" in data.DESCR
    X, y = loader(return_X_y=True)
    np.testing.assert_array_equal(X, data.data)
    np.testing.assert_array_equal(y, data.target)


@pytest.mark.parametrize("loader", [load_animals, load_fashion])
def test_class_vectors_by_name_serve_string_labels(loader):
    from zeroshash.semantics import class_embeddings

    data = loader()
    names = data.target_names[data.target]
    classes = np.unique(names)  # sorted names: for fashion not the label order
    order = [data.target_names.tolist().index(name) for name in classes]
    np.testing.assert_array_equal(class_embeddings(data.class_vectors_by_name, classes),
                                  data.class_vectors[order])


def test_string_labelled_fit_matches_the_integer_labelled_one():
    from zeroshash import ZSHHasher

    data = load_animals()  # names sort like the labels, so classes_ line up
    seen = data.target < 7
    kw = dict(bits=16, n_anchors=50, random_state=0)
    names = data.target_names[data.target]
    by_name = ZSHHasher(**kw).fit(data.data[seen], names[seen], data.class_vectors_by_name)
    by_label = ZSHHasher(**kw).fit(data.data[seen], data.target[seen], data.class_vector_dict)
    np.testing.assert_array_equal(by_name.classes_, data.target_names[:7])
    unseen = data.data[~seen][:200]
    np.testing.assert_array_equal(by_name.transform(unseen), by_label.transform(unseen))


def test_embedded_data_fits_the_size_budget():
    folder = Path(zeroshash.datasets.__file__).parent / "data"
    default = [folder / f"{name}.npz" for name in ("animals", "fashion")]
    extras = [folder / f"{name}_{part}.npz" for name in ("animals", "fashion")
              for part in ("patches", "edges")]
    mosaics = [folder / f"{name}_mosaics.npz" for name in ("animals", "fashion")]
    assert set(folder.glob("*.npz")) == set(default + extras + mosaics)
    assert sum(f.stat().st_size for f in default) <= 12 * 2**20  # loaded by default
    assert sum(f.stat().st_size for f in extras) <= 14 * 10**6  # loaded on request
    assert sum(f.stat().st_size for f in mosaics) <= 5 * 10**6  # load_mosaics


# ----------------------------------------------------------------------------- extra modalities
# Thresholds well below what the shipped files give on these seeded 1,000-row subsets
# (animals / fashion): edge LOO 1-NN 0.84 / 0.73 and patch nearest-class-mean 0.77 / 0.83
# (chance 0.10; 0.13 / 0.07 with shuffled labels); own image nearest to its edge map 0.22 /
# 0.21 (chance 0.001); pooled -> mean-patch least squares finds the own row 0.999 / 1.0.
EDGE_NN_MIN = 0.6
PATCH_CENTROID_MIN = 0.6
EDGE_OWN_MIN = 0.1
PATCH_OWN_MIN = 0.95

def _cosine_nn(Q, D, exclude_self):
    Q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    D = D / np.linalg.norm(D, axis=1, keepdims=True)
    S = Q @ D.T
    if exclude_self:
        np.fill_diagonal(S, -np.inf)
    return S.argmax(axis=1)


@pytest.fixture(scope="module", params=["animals", "fashion"])
def full(request):
    loader = {"animals": load_animals, "fashion": load_fashion}[request.param]
    return loader, loader(patches=True, edges=True)


def test_extra_modalities_layout(full):
    loader, d = full
    base = loader()
    n = base.data.shape[0]
    assert "patches" not in base and "edge_data" not in base
    for key in ("data", "target", "source_index", "class_vectors"):
        np.testing.assert_array_equal(d[key], base[key])
    assert d.patches.dtype == np.float32 and d.patches.shape == (n, 9, 128)
    assert d.edge_data.dtype == np.float32 and d.edge_data.shape == (n, 1280)
    assert np.isfinite(d.patches).all() and np.isfinite(d.edge_data).all()
    assert d.edge_data.min() >= 0  # pooled ReLU6 activations, like data
    # PCA channels are centred over all patches and ordered by decreasing variance.
    flat = d.patches.reshape(-1, 128)
    assert np.abs(flat.mean(axis=0)).max() < 0.05 * flat.std(axis=0).max()
    var = flat.var(axis=0)
    assert var[0] > var[10] > var[127]
    # Asking for one file loads just that one.
    only_p, only_e = loader(patches=True), loader(edges=True)
    assert "edge_data" not in only_p and "patches" not in only_e
    np.testing.assert_array_equal(only_p.patches, d.patches)
    np.testing.assert_array_equal(only_e.edge_data, d.edge_data)
    # DESCR says what these are, honestly.
    assert "patches=True" in base.DESCR and "not real sketches" in base.DESCR
    assert "NOT real sketches" in d.DESCR and "Sobel" in d.DESCR and "PCA" in d.DESCR
    assert d.DESCR.count("python maintainer/build_embedded.py") >= 3


def test_extra_modalities_carry_class_information(full):
    _, d = full
    rng = np.random.default_rng(0)
    rows = rng.choice(d.data.shape[0], size=1000, replace=False)
    y = d.target[rows]
    # Edge features: leave-one-out cosine 1-NN class accuracy far above chance (0.1).
    edges = d.edge_data[rows]
    assert np.mean(y[_cosine_nn(edges, edges, exclude_self=True)] == y) > EDGE_NN_MIN
    # Patches: per-class mean patch features differ; nearest class mean on held-out rows.
    P = d.patches[rows].reshape(len(rows), -1)
    train, test = np.arange(len(rows)) % 2 == 0, np.arange(len(rows)) % 2 == 1
    means = np.vstack([P[train][y[train] == c].mean(axis=0) for c in range(10)])
    dist = ((P[test][:, None, :] - means[None]) ** 2).sum(axis=2)
    assert np.mean(dist.argmin(axis=1) == y[test]) > PATCH_CENTROID_MIN


def test_extra_modalities_align_item_by_item(full):
    _, d = full
    rng = np.random.default_rng(1)
    rows = rng.choice(d.data.shape[0], size=1000, replace=False)
    # An item's edge map is nearer to its own image than to (almost all) other images.
    edges, images = d.edge_data[rows], d.data[rows]
    edges, images = edges - edges.mean(axis=0), images - images.mean(axis=0)
    own = np.mean(_cosine_nn(edges, images, exclude_self=False) == np.arange(len(rows)))
    assert own > EDGE_OWN_MIN
    # Patches averaged over the grid are (close to) a linear function of the pooled
    # features: a least-squares map fitted on other items finds each item's own row.
    mean_p = d.patches.mean(axis=1)
    fit = np.setdiff1d(np.arange(d.data.shape[0]), rows)
    X1 = np.hstack([d.data, np.ones((d.data.shape[0], 1), np.float32)])
    W, *_ = np.linalg.lstsq(X1[fit], mean_p[fit], rcond=None)
    pred = X1[rows] @ W
    nearest = ((pred[:, None, :] - mean_p[rows][None]) ** 2).sum(axis=2).argmin(axis=1)
    assert np.mean(nearest == np.arange(len(rows))) > PATCH_OWN_MIN


@pytest.mark.parametrize("loader", [load_animals, load_fashion])
def test_extra_modalities_bad_arguments(loader):
    with pytest.raises(TypeError):
        loader(True)  # keyword-only
    with pytest.raises(TypeError):
        loader(sketches=True)
    with pytest.raises(TypeError, match="patches must be True or False"):
        loader(patches="yes")
    with pytest.raises(TypeError, match="edges must be True or False"):
        loader(edges=1)
    with pytest.raises(ValueError, match="return_X_y"):
        loader(return_X_y=True, edges=True)
    assert "patches" in loader(patches=np.bool_(True))


def test_extra_file_damage_is_refused(tmp_path, monkeypatch):
    import zeroshash.datasets._embedded as emb

    folder = Path(zeroshash.datasets.__file__).parent / "data"
    with np.load(folder / "animals_edges.npz") as z:
        good = {k: z[k] for k in z.files}

    def use(**arrays):
        np.savez(tmp_path / "animals_edges.npz", **arrays)

    def fake_open(name, suffix=""):
        import contextlib

        path = (tmp_path if suffix else folder) / f"{name}{suffix}.npz"
        return contextlib.nullcontext(path)

    monkeypatch.setattr(emb, "_open", fake_open)
    use(**good)
    assert load_animals(edges=True).edge_data.shape[1] == 1280
    use(**{**good, "source_index": good["source_index"][::-1]})
    with pytest.raises(OSError, match="row by row"):
        load_animals(edges=True)
    use(**{k: v for k, v in good.items() if k != "scale"})
    with pytest.raises(OSError, match="missing"):
        load_animals(edges=True)
    (tmp_path / "animals_edges.npz").unlink()
    with pytest.raises(OSError, match="missing from this installation"):
        load_animals(edges=True)


def test_make_zero_shot_blobs():
    from sklearn.utils._param_validation import InvalidParameterError

    from zeroshash.datasets import make_zero_shot_blobs

    X, y, word_vecs = make_zero_shot_blobs(n_samples=103, n_classes=4, n_features=7,
                                           word_dim=3, random_state=0)
    assert X.shape == (103, 7) and y.shape == (103,) and word_vecs.shape == (4, 3)
    assert sorted(np.bincount(y).tolist()) == [25, 26, 26, 26]
    again = make_zero_shot_blobs(n_samples=103, n_classes=4, n_features=7, word_dim=3,
                                 random_state=0)
    for a, b in zip((X, y, word_vecs), again):
        np.testing.assert_array_equal(a, b)
    # The class centres are a linear image of the word vectors: noise-free samples of
    # class c equal the word vector of c mapped by one matrix.
    Xc, yc, wc = make_zero_shot_blobs(n_samples=40, n_classes=4, noise=0.0, random_state=1)
    A = np.linalg.lstsq(wc[yc], Xc, rcond=None)[0]
    np.testing.assert_allclose(wc[yc] @ A, Xc, atol=1e-10)
    with pytest.raises(InvalidParameterError, match="n_classes"):
        make_zero_shot_blobs(n_classes=0)
    with pytest.raises(InvalidParameterError, match="noise"):
        make_zero_shot_blobs(noise=-1.0)


def test_make_zero_shot_blobs_balance_seeds_and_noise():
    from zeroshash.datasets import make_zero_shot_blobs

    # Fewer samples than classes: one sample each of the first classes.
    _, y, word_vecs = make_zero_shot_blobs(n_samples=3, n_classes=5, random_state=0)
    assert sorted(y.tolist()) == [0, 1, 2] and word_vecs.shape == (5, 8)
    assert np.issubdtype(y.dtype, np.integer)
    X0, y0, w0 = make_zero_shot_blobs(random_state=0)
    X1, _, _ = make_zero_shot_blobs(random_state=1)
    assert not np.allclose(X0, X1)
    # noise scales the spread around the (same) centres and nothing else.
    centres, yc, wc = make_zero_shot_blobs(noise=0.0, random_state=0)
    X2, y2, w2 = make_zero_shot_blobs(noise=2.0, random_state=0)
    np.testing.assert_array_equal(yc, y0)
    np.testing.assert_array_equal(y2, y0)
    np.testing.assert_array_equal(w2, w0)
    np.testing.assert_allclose(X2 - centres, 2.0 * (X0 - centres), atol=1e-12)
    assert len({tuple(row) for row in centres}) == 5  # one centre a class


@pytest.mark.parametrize(
    "params",
    [{"n_samples": 0}, {"n_features": 0}, {"word_dim": 0}, {"n_classes": 2.5},
     {"n_samples": "100"}, {"noise": "high"}, {"random_state": "seed"}],
    ids=lambda p: next(iter(p)) + "=" + repr(next(iter(p.values()))),
)
def test_make_zero_shot_blobs_bad_parameters(params):
    from sklearn.utils._param_validation import InvalidParameterError

    from zeroshash.datasets import make_zero_shot_blobs

    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        make_zero_shot_blobs(**params)


# ----------------------------------------------------------------------------- mosaics
@pytest.mark.parametrize("name", ["animals", "fashion"])
def test_mosaics_layout_and_labels(name):
    from zeroshash.datasets import load_mosaics

    single = {"animals": load_animals, "fashion": load_fashion}[name]()
    mosaics = load_mosaics(name)
    assert mosaics.data.shape == (2000, 1280) and mosaics.data.dtype == np.float32
    assert mosaics.target.shape == (2000, 10) and mosaics.target.dtype == np.uint8
    assert set(np.unique(mosaics.target)) == {0, 1}
    per_mosaic = mosaics.target.sum(axis=1)
    assert per_mosaic.min() == 1 and per_mosaic.max() == 4
    for row, tiles in zip(mosaics.target[:50], mosaics.tile_index[:50]):
        assert set(np.flatnonzero(row)) == set(single.target[tiles])
    np.testing.assert_array_equal(mosaics.target_names, single.target_names)
    np.testing.assert_array_equal(mosaics.class_vectors, single.class_vectors)
    assert "not natural" in mosaics.DESCR and "build_mosaics.py" in mosaics.DESCR
    X, Y = load_mosaics(name, return_X_y=True)
    np.testing.assert_array_equal(X, mosaics.data)
    np.testing.assert_array_equal(Y, mosaics.target)


def test_mosaic_features_carry_their_labels():
    # A mosaic's nearest neighbour (cosine) shares a label far more often than chance.
    from zeroshash.datasets import load_mosaics

    mosaics = load_mosaics("animals")
    X, Y = mosaics.data[:600], mosaics.target[:600].astype(int)
    nearest = _cosine_nn(X, X, exclude_self=True)
    shares = ((Y * Y[nearest]).sum(axis=1) > 0).mean()
    chance = ((Y @ Y.T).clip(max=1).sum() - len(Y)) / (len(Y) * (len(Y) - 1))
    assert shares > chance + 0.2


def test_mosaics_damage_and_bad_arguments_are_refused(tmp_path, monkeypatch):
    import zeroshash.datasets._embedded as emb
    from zeroshash.datasets import load_mosaics

    with pytest.raises(ValueError, match="dataset must be 'animals' or 'fashion'; got 'cats'"):
        load_mosaics("cats")
    with pytest.raises(TypeError, match="return_X_y must be True or False"):
        load_mosaics(return_X_y="yes")
    folder = Path(zeroshash.datasets.__file__).parent / "data"
    with np.load(folder / "animals_mosaics.npz") as z:
        good = {k: z[k] for k in z.files}

    def fake_open(name, suffix=""):
        import contextlib

        path = (tmp_path if suffix else folder) / f"{name}{suffix}.npz"
        return contextlib.nullcontext(path)

    monkeypatch.setattr(emb, "_open", fake_open)

    def use(**arrays):
        np.savez(tmp_path / "animals_mosaics.npz", **arrays)

    use(**good)
    assert load_mosaics().target.shape == (2000, 10)
    flipped = good["target"].copy()
    flipped[0] ^= 1
    use(**{**good, "target": flipped})
    with pytest.raises(OSError, match="labels differ from its tiles'"):
        load_mosaics()
    use(**{**good, "tile_index": good["tile_index"] + 4000})
    with pytest.raises(OSError, match="does not match 'animals'"):
        load_mosaics()
    use(**{k: v for k, v in good.items() if k != "tile_index"})
    with pytest.raises(OSError, match=r"keys \['tile_index'\] are missing"):
        load_mosaics()
    (tmp_path / "animals_mosaics.npz").unlink()
    with pytest.raises(OSError, match="missing from this installation"):
        load_mosaics()
