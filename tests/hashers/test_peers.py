"""zeroshash's classic hashers beside faiss's implementations (optional dependency)."""

import numpy as np
import pytest

from zeroshash import ITQHasher, LSHHasher
from zeroshash.metrics import mean_average_precision

faiss = pytest.importorskip("faiss")


def _quantisation_loss(V, R):
    P = V @ R
    return float(np.sum((np.where(P >= 0, 1.0, -1.0) - P) ** 2))


@pytest.mark.parametrize("bits", [8, 16])
def test_itq_rotation_as_good_as_faiss_itq_matrix(bits):
    # Same PCA input; the two start from different random rotations (faiss seeds its
    # own), so compare the local optima they reach: quantisation loss within 2 %.
    rng = np.random.RandomState(0)
    X = rng.randn(1000, 32) @ rng.randn(32, 32)
    itq = ITQHasher(bits=bits, random_state=0).fit(X)
    V = (X - itq.mean_) @ itq.components_
    peer = faiss.ITQMatrix(bits)
    assert peer.max_iter == itq.max_iter == 50
    peer.train(np.ascontiguousarray(V, dtype=np.float32))
    R_peer = faiss.vector_to_array(peer.A).reshape(bits, bits).T  # faiss applies y = A x
    np.testing.assert_allclose(R_peer.T @ R_peer, np.eye(bits), atol=1e-5)
    ours = _quantisation_loss(V, itq.rotation_)
    theirs = _quantisation_loss(V, R_peer)
    no_rotation = _quantisation_loss(V, np.eye(bits))
    assert ours < no_rotation and theirs < no_rotation
    assert ours <= 1.02 * theirs and theirs <= 1.02 * ours


def test_itq_retrieval_matches_faiss_itq_transform():
    rng = np.random.RandomState(1)
    y = np.repeat(np.arange(8), 60)
    X = (rng.randn(8, 40) * 2.5)[y] + rng.randn(y.size, 40)
    ours = ITQHasher(bits=16, random_state=0).fit(X).transform(X)
    peer = faiss.ITQTransform(40, 16, True)
    peer.train(np.ascontiguousarray(X, dtype=np.float32))
    theirs = (peer.apply_py(np.ascontiguousarray(X, dtype=np.float32)) >= 0).astype(np.uint8)
    q = slice(None, None, 6)
    map_ours = mean_average_precision(ours[q], ours, y[q], y)
    map_theirs = mean_average_precision(theirs[q], theirs, y[q], y)
    assert map_ours > 0.5 and map_theirs > 0.5
    assert abs(map_ours - map_theirs) < 0.05


def test_lsh_collision_statistics_match_faiss_index_lsh():
    # Pairs at known angles: both give P[bit differs] = angle / pi (Charikar) and agree.
    d, bits, n_pairs = 64, 64, 400
    rng = np.random.RandomState(0)
    angles = rng.uniform(0.1, 3.0, n_pairs)
    u = rng.randn(n_pairs, d)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    w = rng.randn(n_pairs, d)
    w -= np.sum(w * u, axis=1, keepdims=True) * u
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    v = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * w
    A = np.vstack([u, v]).astype(np.float32)

    lsh = LSHHasher(bits=bits, center=False, random_state=0).fit(A)
    codes = lsh.transform(A)
    ours = (codes[:n_pairs] != codes[n_pairs:]).mean(axis=1)  # per-pair Hamming / bits

    index = faiss.IndexLSH(d, bits)  # random rotation, threshold 0
    index.train(A)
    # Packed bits, least significant first; Hamming distances ignore the bit order.
    peer_codes = np.unpackbits(index.sa_encode(A), axis=1, bitorder="little")
    theirs = (peer_codes[:n_pairs] != peer_codes[n_pairs:]).mean(axis=1)

    expected = angles / np.pi
    for rate in (ours, theirs):
        assert abs(np.mean(rate - expected)) < 0.01
        assert np.sqrt(np.mean((rate - expected) ** 2)) < 0.08  # binomial spread, 64 bits
    assert abs(ours.mean() - theirs.mean()) < 0.01
    bins = np.digitize(angles, [1.0, 2.0])
    for b in range(3):
        assert abs(ours[bins == b].mean() - theirs[bins == b].mean()) < 0.03
