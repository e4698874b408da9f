"""Interop with faiss binary indexes (skipped when faiss is not installed)."""

import sys

import numpy as np
import pytest
from _imports import imported_modules
from _oracle import random_codes

from zeroshash.hamming import HammingIndex, _faiss


def test_missing_faiss_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        HammingIndex(8).to_faiss()


def test_round_trip_and_same_distances_as_faiss():
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(2)
    database = random_codes(rng, 500, 128, alphabet=100)
    queries = random_codes(rng, 10, 128)
    index = HammingIndex(128, n_jobs=1)
    index.add(database)
    flat = index.to_faiss()
    assert isinstance(flat, faiss.IndexBinaryFlat) and flat.ntotal == 500
    faiss_d, _ = flat.search(queries, 20)
    ours_d, _ = index.search(queries, 20)
    np.testing.assert_array_equal(ours_d, faiss_d)
    back = HammingIndex.from_faiss(flat)
    np.testing.assert_array_equal(back.reconstruct_all(), database)

    index.remove_ids(np.arange(0, 500, 3))
    mapped = index.to_faiss()
    assert isinstance(mapped, faiss.IndexBinaryIDMap)
    _, faiss_ids = mapped.search(queries[:1], 1)
    assert faiss_ids[0, 0] in set(index.ids.tolist())
    back = HammingIndex.from_faiss(mapped)
    np.testing.assert_array_equal(back.ids, index.ids)
    np.testing.assert_array_equal(back.reconstruct_all(), index.reconstruct_all())


def test_faiss_needs_whole_bytes():
    pytest.importorskip("faiss")
    with pytest.raises(ValueError, match="multiple of 8"):
        HammingIndex(12).to_faiss()


def test_faiss_module_does_not_import_the_index():
    # index.py imports _faiss; the converse would be an import cycle.
    imported = imported_modules(_faiss)
    assert imported <= {"__future__", "typing", "numpy", "faiss"}, imported
