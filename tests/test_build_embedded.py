"""The torch-free helpers of the maintainer script that builds the embedded datasets."""

import importlib.util
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]  # this checkout, not an installed package
SCRIPT = ROOT / "maintainer" / "build_embedded.py"  # kept out of the package and its wheel
_spec = importlib.util.spec_from_file_location("build_embedded", SCRIPT)
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def _square(size=28, lo=6, hi=22):
    img = np.zeros((size, size), dtype=np.uint8)
    img[lo:hi, lo:hi] = 255
    return img


def test_builder_imports_without_torch():
    code = ("import sys; sys.path.insert(0, 'maintainer'); import build_embedded; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_builder_runs_by_path_and_writes_into_the_package_by_default():
    out = subprocess.run([sys.executable, str(SCRIPT), "--help"], check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    assert "--parts" in out and "--out" in out
    assert Path(build.DATA_DIR) == ROOT / "zeroshash" / "datasets" / "data"
    assert build.COMMAND.startswith("python maintainer/build_embedded.py ")
    assert not (ROOT / "zeroshash" / "datasets" / "_build_embedded.py").exists()


def test_sobel_edge_map_draws_dark_outline_on_white():
    img = _square()
    edges = build.sobel_edge_map(img)
    assert edges.dtype == np.uint8 and edges.shape == img.shape
    # Far from the square's border (background corner, square centre): white paper.
    assert edges[0, 0] == 255 and edges[:3, :].min() == 255
    assert edges[12:16, 12:16].min() == 255
    # On the border: full-strength strokes, on both sides of the step.
    assert edges[5, 14] == 0 and edges[6, 14] == 0 and edges[14, 21] == 0
    # The outline is closed: every row crossing the square has exactly two stroke runs.
    strokes = edges < 128
    for r in range(8, 20):
        runs = np.flatnonzero(np.diff(strokes[r].astype(int)) == 1)
        assert len(runs) == 2
    # A square's gradient magnitude is symmetric under transposition.
    np.testing.assert_array_equal(edges, edges.T)
    # Contrast scaling does not change the drawing (normalised by the maximum).
    np.testing.assert_array_equal(build.sobel_edge_map(img // 2), edges)


def test_sobel_edge_map_stretch_and_flat_images():
    assert (build.sobel_edge_map(np.full((28, 28), 77, np.uint8)) == 255).all()
    img = _square()
    soft = build.sobel_edge_map(img, low=0.0, high=1.0)  # no stretch: more gray levels
    hard = build.sobel_edge_map(img, low=0.5, high=0.51)  # almost a threshold
    assert len(np.unique(hard)) <= 3
    assert len(np.unique(soft)) > len(np.unique(hard))
    assert (soft[hard == 0] <= 128).all()
    for low, high in ((0.5, 0.5), (-0.1, 0.5), (0.2, 1.5)):
        with pytest.raises(ValueError, match="low"):
            build.sobel_edge_map(img, low=low, high=high)
    with pytest.raises(ValueError, match="2-d"):
        build.sobel_edge_map(np.zeros((2, 28, 28)))


def test_edge_maps_stacks_per_image():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(3, 28, 28)).astype(np.uint8)
    out = build.edge_maps(imgs)
    assert out.shape == imgs.shape and out.dtype == np.uint8
    for a, b in zip(out, imgs):
        np.testing.assert_array_equal(a, build.sobel_edge_map(b))
    assert build.edge_maps(np.empty((0, 28, 28), np.uint8)).shape == (0, 28, 28)


def test_pool_grid_matches_adaptive_average_pooling_rule():
    rng = np.random.default_rng(1)
    fmap = rng.normal(size=(2, 5, 7, 7)).astype(np.float32)
    out = build.pool_grid(fmap, 3)
    assert out.shape == (2, 9, 5) and out.dtype == np.float32
    spans = [(0, 3), (2, 5), (4, 7)]  # floor(7i/3) .. ceil(7(i+1)/3)
    for i, (r0, r1) in enumerate(spans):
        for j, (c0, c1) in enumerate(spans):
            expect = fmap[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
            np.testing.assert_allclose(out[:, 3 * i + j], expect, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        build.pool_grid(fmap, 1)[:, 0], fmap.mean(axis=(2, 3)), rtol=1e-6, atol=1e-6
    )
    identity = fmap.reshape(2, 5, 49).transpose(0, 2, 1)
    np.testing.assert_array_equal(build.pool_grid(fmap, 7), identity)
    # Row-major: the top-left patch sees the top-left corner only.
    spot = np.zeros((1, 1, 7, 7))
    spot[0, 0, 0, 0] = 9.0
    assert np.flatnonzero(build.pool_grid(spot, 3)[0, :, 0]).tolist() == [0]
    with pytest.raises(ValueError, match="grid"):
        build.pool_grid(fmap, 8)
    with pytest.raises(ValueError, match="n, C, H, W"):
        build.pool_grid(fmap[0], 3)


def test_pool_grid_agrees_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    fmap = rng.normal(size=(3, 4, 7, 7)).astype(np.float32)
    ref = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(fmap), 3).numpy()
    np.testing.assert_allclose(
        build.pool_grid(fmap, 3), ref.reshape(3, 4, 9).transpose(0, 2, 1), rtol=1e-5, atol=1e-6
    )


def test_fit_pca_agrees_with_sklearn_and_fixes_signs():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 5.0
    mean, comps, ratio = build.fit_pca(X, 4)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(comps @ comps.T, np.eye(4), atol=1e-10)
    assert np.all(np.diff(ratio) <= 0) and 0 < ratio.sum() < 1
    ref = PCA(n_components=4, svd_solver="full").fit(X)
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_, rtol=1e-8)
    np.testing.assert_allclose(np.abs(comps @ ref.components_.T), np.eye(4), atol=1e-8)
    big = np.abs(comps).argmax(axis=1)
    assert (comps[np.arange(4), big] > 0).all()
    _, _, full = build.fit_pca(X, 12)
    np.testing.assert_allclose(full.sum(), 1.0)
    with pytest.raises(ValueError, match="n_components"):
        build.fit_pca(X, 13)
    with pytest.raises(ValueError, match="2-d"):
        build.fit_pca(X[None], 2)


def test_reduce_patches_fits_one_pca_over_all_patches():
    rng = np.random.default_rng(4)
    P = rng.normal(size=(40, 9, 16)).astype(np.float32)
    reduced, ratio = build.reduce_patches(P, 5)
    assert reduced.shape == (40, 9, 5) and reduced.dtype == np.float32 and ratio.shape == (5,)
    flat = reduced.reshape(-1, 5)
    np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-5)  # centred over all patches
    var = flat.var(axis=0)
    assert np.all(np.diff(var) <= 1e-6)
    # All components: an orthogonal change of basis, so distances between patches survive.
    full, _ = build.reduce_patches(P, 16)
    a, b = P.reshape(-1, 16)[:50], full.reshape(-1, 16)[:50]
    da = np.linalg.norm(a[:, None] - a[None], axis=2)
    db = np.linalg.norm(b[:, None] - b[None], axis=2)
    np.testing.assert_allclose(da, db, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="n_patches"):
        build.reduce_patches(P[0], 2)


def test_quantize_channels_per_channel_half_step():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 9, 6)).astype(np.float32) * np.arange(1, 7)
    X[..., 3] = 2.5  # a constant channel
    q, offset, scale = build.quantize_channels(X)
    assert q.shape == X.shape and q.dtype == np.uint8
    assert offset.shape == scale.shape == (6,)
    flat = q.reshape(-1, 6)
    for j in (0, 1, 2, 4, 5):
        assert flat[:, j].min() == 0 and flat[:, j].max() == 255
    assert (flat[:, 3] == 0).all() and scale[3] == 1.0
    back = offset + scale * q.astype(np.float32)
    assert (np.abs(back - X) <= scale / 2 + 1e-5).all()


def test_command_records_non_default_options():
    args = Namespace(parts=["patches", "edges"], n_per_class=400, patch_dims=128, threads=1)
    assert build._command(args) == build.COMMAND + " --parts patches edges --threads 1"
    args = Namespace(parts=list(build.PARTS), n_per_class=400, patch_dims=96, threads=2)
    assert build._command(args) == build.COMMAND + " --patch-dims 96"
