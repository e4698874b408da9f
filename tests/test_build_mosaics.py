"""The torch-free helpers of the maintainer script that builds the mosaic datasets."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "maintainer" / "build_mosaics.py"
_spec = importlib.util.spec_from_file_location("build_mosaics", SCRIPT)
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def test_builder_imports_without_torch():
    code = ("import sys; sys.path.insert(0, 'maintainer'); import build_mosaics; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60))
def test_labels_are_the_union_of_distinct_tiles(seed, n):
    target = np.repeat(np.arange(10), 6)
    tiles, labels = build.compose(target, n, np.random.default_rng(seed))
    assert tiles.shape == (n, 4) and labels.shape == (n, 10) and labels.dtype == np.uint8
    for row, tile_rows in zip(labels, tiles):
        assert len(set(tile_rows.tolist())) == 4  # four different images
        assert set(np.flatnonzero(row)) == set(target[tile_rows])
        assert row.sum() in (1, 2, 3, 4)


def test_class_counts_follow_the_documented_probabilities():
    target = np.repeat(np.arange(10), 400)
    _, labels = build.compose(target, 4000, np.random.default_rng(0))
    shares = np.bincount(labels.sum(axis=1), minlength=5)[1:] / 4000
    np.testing.assert_allclose(shares, build.CLASS_COUNT_P, atol=0.03)
    again = build.compose(target, 4000, np.random.default_rng(0))[1]
    np.testing.assert_array_equal(again, labels)  # seeded


def test_mosaic_images_place_tiles_row_major():
    images = np.stack([np.full((28, 28), v, dtype=np.uint8) for v in range(5)])
    (picture,) = build.mosaic_images(images, np.array([[1, 2, 3, 4]]))
    assert picture.shape == (56, 56)
    assert picture[0, 0] == 1 and picture[0, 55] == 2 and picture[55, 0] == 3
    assert picture[55, 55] == 4 and picture[27, 28] == 2 and picture[28, 27] == 3
