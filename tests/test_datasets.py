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
    assert "licence" in data.DESCR.lower() and "_build_embedded" in data.DESCR
    X, y = loader(return_X_y=True)
    np.testing.assert_array_equal(X, data.data)
    np.testing.assert_array_equal(y, data.target)


def test_embedded_data_fits_the_size_budget():
    folder = Path(zeroshash.datasets.__file__).parent / "data"
    files = list(folder.glob("*.npz"))
    assert len(files) >= 2
    assert sum(f.stat().st_size for f in files) <= 12 * 2**20
