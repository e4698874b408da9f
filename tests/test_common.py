"""scikit-learn's estimator checks over every hasher of the family."""

import zlib

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from zeroshash import (
    AsymmetricHasher,
    BiBranchHasher,
    COSDISHHasher,
    CrossModalHasher,
    DoubleBitHasher,
    ITQHasher,
    KSHHasher,
    LSHHasher,
    PartAlignHasher,
    PCAHasher,
    SDHHasher,
    SpectralHasher,
    ZSHHasher,
)


def hashed_word_vector(label) -> np.ndarray:
    """A deterministic 6-d vector for any label, so the checks' arbitrary labels resolve."""
    seed = zlib.crc32(repr(label).encode())
    return np.random.RandomState(seed).randn(6)


ESTIMATORS = [
    LSHHasher(bits=4, random_state=0),
    PCAHasher(bits=1),
    ITQHasher(bits=1, max_iter=5, random_state=0),
    ZSHHasher(bits=8, n_anchors=20, max_iter=3, random_state=0),
    ZSHHasher(bits=8, n_anchors=20, max_iter=3, word_vecs=hashed_word_vector, random_state=0),
    ZSHHasher(bits=8, n_anchors=20, max_iter=3, gamma=1e-4, random_state=0),
    ZSHHasher(bits=8, n_anchors=20, max_iter=3, gamma=1e-4, graph="knn", random_state=0),
    SDHHasher(bits=8, n_anchors=20, max_iter=3, random_state=0),
    KSHHasher(bits=4, n_anchors=10, n_labeled=40, max_iter=20, random_state=0),
    SpectralHasher(bits=6),
    DoubleBitHasher(bits=2, within_class_reg=None, max_iter=5, random_state=0),
    DoubleBitHasher(bits=2, max_iter=5, random_state=0),
    DoubleBitHasher(bits=2, max_iter=5, unlabeled_label=-1, random_state=0),
    COSDISHHasher(bits=8, n_iter=2, random_state=0),
    AsymmetricHasher(bits=8, n_anchors=20, max_iter=3, random_state=0),
    AsymmetricHasher(bits=8, n_anchors=20, max_iter=3, word_vecs=hashed_word_vector,
                     random_state=0),
    BiBranchHasher(bits=8, n_anchors=20, max_iter=3, random_state=0),
    BiBranchHasher(bits=8, n_anchors=20, max_iter=3, word_vecs=hashed_word_vector, random_state=0),
    PartAlignHasher(bits=8, n_parts=3, n_anchors=20, max_iter=3, random_state=0),
    PartAlignHasher(bits=8, n_parts=3, n_anchors=20, max_iter=3, mix_ratio=1.0,
                    word_vecs=hashed_word_vector, random_state=0),
    CrossModalHasher(bits=8, n_anchors=20, n_components=4, max_iter=3, random_state=0),
    CrossModalHasher(bits=8, n_anchors=20, n_components=4, max_iter=3,
                     word_vecs=hashed_word_vector, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
