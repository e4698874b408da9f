"""Plain numpy reference implementations the kernels are checked against."""

from __future__ import annotations

import numpy as np

from zeroshash import unpack_bits

MISSING = np.iinfo(np.int32).max


def distances(queries: np.ndarray, database: np.ndarray, bits: int) -> np.ndarray:
    """Hamming distances by unpacking to bits and counting mismatches."""
    a = unpack_bits(queries, bits).astype(bool)
    b = unpack_bits(database, bits).astype(bool)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.int64)
    return (a[:, None, :] != b[None, :, :]).sum(axis=2)


def topk(queries: np.ndarray, database: np.ndarray, bits: int, k: int):
    """k smallest distances per query, ties by smaller position; -1 / MISSING padding."""
    dist = distances(queries, database, bits)
    n = database.shape[0]
    out_d = np.full((queries.shape[0], k), MISSING, dtype=np.int64)
    out_p = np.full((queries.shape[0], k), -1, dtype=np.int64)
    for i in range(queries.shape[0]):
        order = np.lexsort((np.arange(n), dist[i]))[:k]
        out_d[i, : order.size] = dist[i, order]
        out_p[i, : order.size] = order
    return out_d, out_p


def range_search(queries: np.ndarray, database: np.ndarray, bits: int, radius: int):
    """CSR (lims, distances, positions) of items within ``radius``, sorted (d, pos)."""
    dist = distances(queries, database, bits)
    lims = [0]
    out_d, out_p = [], []
    for i in range(queries.shape[0]):
        hits = np.flatnonzero(dist[i] <= radius)
        order = hits[np.lexsort((hits, dist[i, hits]))]
        out_d.append(dist[i, order])
        out_p.append(order)
        lims.append(lims[-1] + order.size)
    cat = np.concatenate
    return (
        np.array(lims),
        cat(out_d) if out_d else np.zeros(0),
        cat(out_p) if out_p else np.zeros(0),
    )


def random_codes(rng: np.random.Generator, n: int, bits: int, alphabet: int | None = None):
    """Packed random codes; with ``alphabet`` they are drawn from that many distinct
    codes so that duplicates and distance ties are common."""
    raw = rng.integers(0, 2, size=(alphabet or n, bits), dtype=np.uint8)
    if alphabet is not None:
        raw = raw[rng.integers(0, alphabet, size=n)] if alphabet else raw[:0]
    return np.packbits(raw, axis=1, bitorder="big").reshape(raw.shape[0], (bits + 7) // 8)


def assert_same(got: tuple, want: tuple) -> None:
    """Assert two tuples of result arrays are equal element by element."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
