"""The held-out protocol's builder (maintainer script) and reader, on generated files."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "maintainer" / "build_heldout.py"
_spec = importlib.util.spec_from_file_location("build_heldout", SCRIPT)
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)
sys.path.insert(0, str(ROOT / "benchmarks"))
from _heldout import heldout_path, load_heldout  # noqa: E402


def fake_features(calls):
    """A deterministic stand-in for the CNN: (b, 28, 28) uint8 -> (b, 1280) float32."""
    def factory():
        calls.append(1)

        def features(batch):
            flat = batch.reshape(len(batch), -1).astype(np.float32)
            return np.repeat(flat.mean(axis=1, keepdims=True), 1280, axis=1) + np.arange(1280)
        return features
    return factory


def test_builder_imports_without_torch():
    code = ("import sys; sys.path.insert(0, 'maintainer'); import build_heldout; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_extract_resumes_from_whole_chunks(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(230, 28, 28), dtype=np.uint8)
    calls = []
    first = build.extract("toy", images, tmp_path, 100, fake_features(calls))
    assert len(calls) == 1 and first.shape == (230, 1280) and first.dtype == np.float32
    parts = sorted(p.name for p in tmp_path.iterdir())
    assert len(parts) == 3 and not any("tmp" in p for p in parts)
    expected = images.reshape(230, -1).mean(axis=1)
    np.testing.assert_allclose(first[:, 0], expected, rtol=1e-6)
    # an interrupted run: one chunk lost; the rerun computes only that one
    (tmp_path / parts[1]).unlink()
    again = build.extract("toy", images, tmp_path, 100, fake_features(calls))
    np.testing.assert_array_equal(again, first)
    assert len(calls) == 2
    # nothing missing: the model is never built
    build.extract("toy", images, tmp_path, 100, fake_features(calls))
    assert len(calls) == 2
    # other images never reuse these chunks
    other = build.extract("toy", images[::-1].copy(), tmp_path, 100, fake_features(calls))
    assert len(calls) == 3
    np.testing.assert_allclose(other[:, 0], expected[::-1], rtol=1e-6)


def test_written_file_reads_back(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 1280)).astype(np.float32)
    y = np.repeat(np.arange(10), 2)
    embedded = np.arange(20) % 2 == 0
    names = [f"class{i}" for i in range(10)]
    path = heldout_path("animals", tmp_path)
    Path(path).parent.mkdir(parents=True)
    build.write(path, X, y, embedded, np.arange(20) + 100, names, rng.normal(size=(10, 50)))
    data = load_heldout("animals", tmp_path)
    np.testing.assert_array_equal(data.data, X)
    np.testing.assert_array_equal(data.target, y)
    np.testing.assert_array_equal(data.embedded, embedded)
    np.testing.assert_array_equal(data.source_index, np.arange(20) + 100)
    assert data.target_names == names and data.class_vectors.shape == (10, 50)
    assert "efficientnet-lite2 260x260" in data.extractor
    assert list(Path(path).parent.iterdir()) == [Path(path)]  # no temporary file left


def test_reader_says_how_to_build_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="python maintainer/build_heldout.py"):
        load_heldout("fashion", tmp_path)
    with pytest.raises(ValueError, match="unknown held-out set"):
        load_heldout("mnist", tmp_path)


def test_preprocess_is_lite2_sized():
    torch = pytest.importorskip("torch")
    x = build.preprocess(np.zeros((2, 28, 28), dtype=np.uint8))
    assert tuple(x.shape) == (2, 3, 260, 260) and x.dtype == torch.float32
