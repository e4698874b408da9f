import sys
from pathlib import Path

import pytest

# Test-only helpers live beside the tests they serve: shared ones here, the reference
# transcriptions of published code beside the hashers' tests.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "hashers"))


@pytest.fixture
def blobs():
    """Six well-separated classes in 20-d with 3-d class vectors that mirror the geometry."""
    from _helpers import blob_problem

    return blob_problem()
