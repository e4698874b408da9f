import numpy as np
import pytest
from gensim.models import KeyedVectors

from zeroshash.semantics import class_embeddings, class_name_tokens


@pytest.fixture
def keyed_vectors():
    kv = KeyedVectors(vector_size=3)
    words = ["cat", "ankle", "boot", "t-shirt", "top", "sea", "lion"]
    kv.add_vectors(words, np.arange(len(words) * 3, dtype=np.float32).reshape(-1, 3))
    return kv


def test_array_rows_follow_classes():
    vecs = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(class_embeddings(vecs, np.array([5, 9])), vecs)


def test_dict_and_callable_agree():
    table = {"a": [1.0, 0.0], "b": [0.0, 1.0]}
    classes = np.array(["a", "b"])
    np.testing.assert_array_equal(
        class_embeddings(table, classes), class_embeddings(lambda c: table[c], classes)
    )


def test_keyed_vectors_multi_word_names_are_averaged(keyed_vectors):
    names = np.array(["Ankle boot", "T-shirt/top", "sea_lion", "cat"])
    out = class_embeddings(keyed_vectors, names)
    kv = keyed_vectors
    np.testing.assert_allclose(out[0], (kv["ankle"] + kv["boot"]) / 2)
    np.testing.assert_allclose(out[1], (kv["t-shirt"] + kv["top"]) / 2)
    np.testing.assert_allclose(out[2], (kv["sea"] + kv["lion"]) / 2)
    np.testing.assert_allclose(out[3], kv["cat"])


def test_every_missing_class_is_listed(keyed_vectors):
    with pytest.raises(ValueError, match=r"2 class\(es\).*okapi.*quokka"):
        class_embeddings(keyed_vectors, np.array(["cat", "okapi", "quokka"]))
    with pytest.raises(ValueError, match=r"no vector for 1 class\(es\): \['c'\]"):
        class_embeddings({"a": [1.0], "b": [2.0]}, np.array(["a", "b", "c"]))


def test_shape_and_nan_errors():
    with pytest.raises(ValueError, match="3 rows but y has 2 classes"):
        class_embeddings(np.ones((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="NaN or infinity for class"):
        class_embeddings(np.array([[1.0, np.nan], [0.0, 1.0]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="differ in length"):
        class_embeddings({0: [1.0], 1: [1.0, 2.0]}, np.array([0, 1]))


def test_tokens_rule():
    assert class_name_tokens("Ankle boot", {"ankle", "boot"}) == ["ankle", "boot"]
    assert class_name_tokens("x-ray", {"x-ray"}) == ["x-ray"]
    assert class_name_tokens("polar-bear", {"polar", "bear"}) == ["polar", "bear"]
    assert class_name_tokens("polar-bear", {"polar"}) is None
