import sys
from pathlib import Path

import numpy as np
import pytest

# Test-only helpers live beside the tests they serve: shared ones here, the reference
# transcriptions of published code beside the hashers' tests.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "hashers"))


@pytest.fixture
def blobs():
    """Six well-separated classes in 20-d with 3-d class vectors that mirror the geometry."""
    rng = np.random.RandomState(0)
    centres = rng.randn(6, 20) * 4
    y = np.repeat(np.arange(6), 40)
    X = centres[y] + rng.randn(y.size, 20)
    word_vecs = centres[:, :3] + 0.1 * rng.randn(6, 3)
    return X, y, word_vecs
