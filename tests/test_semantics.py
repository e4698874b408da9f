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


# --- word-vector files, generated here in each format ---------------------------------
WORDS = ["ankle", "boot", "cat", "zebra", "t-shirt", "top"]


@pytest.fixture
def small_kv():
    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(WORDS, np.random.RandomState(0).randn(len(WORDS), 4).astype(np.float32))
    return kv


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "glove"])
@pytest.mark.parametrize("explicit", [True, False])
def test_load_word_vector_files(tmp_path, small_kv, fmt, explicit):
    from zeroshash.semantics import load_word_vectors

    path = tmp_path / f"vectors.{fmt}"
    if fmt == "glove":  # GloVe text: "word v1 v2 ..." with no header line
        lines = [" ".join([w, *map(repr, map(float, small_kv[w]))]) for w in WORDS]
        path.write_text("\n".join(lines) + "\n")
    else:
        small_kv.save_word2vec_format(str(path), binary=fmt == "word2vec-binary")
    kv = load_word_vectors(path, format=fmt if explicit else "auto")
    assert list(kv.index_to_key) == WORDS
    np.testing.assert_allclose(kv["zebra"], small_kv["zebra"], rtol=1e-6)
    vecs = class_embeddings(kv, np.array(["Ankle boot", "zebra"]))
    np.testing.assert_allclose(vecs[0], (small_kv["ankle"] + small_kv["boot"]) / 2, rtol=1e-6)


def test_fasttext_subwords_resolve_out_of_vocabulary_names(tmp_path):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    from zeroshash.semantics import load_word_vectors

    sentences = [["zebra", "stripes", "horse"], ["ankle", "boot", "shoe"]] * 20
    model = FastText(vector_size=8, min_count=1, epochs=2, seed=0, workers=1, bucket=1000)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=2)
    path = tmp_path / "tiny.bin"
    save_facebook_model(model, str(path))
    kv = load_word_vectors(path)  # sniffed as fastText by its magic number
    vecs = class_embeddings(kv, np.array(["zebras", "ankle boot"]))
    assert vecs.shape == (2, 8) and np.isfinite(vecs).all()
    np.testing.assert_allclose(vecs[1], (kv["ankle"] + kv["boot"]) / 2, rtol=1e-6)


def test_gensim_shipped_file_and_errors(tmp_path):
    from gensim.test.utils import datapath

    from zeroshash.semantics import load_word_vectors

    kv = load_word_vectors(datapath("lee_fasttext.vec"), limit=50)
    assert len(kv) == 50
    with pytest.raises(FileNotFoundError, match="no word-vector file"):
        load_word_vectors(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="format must be one of"):
        load_word_vectors(datapath("lee_fasttext.vec"), format="bert")
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\nword 1.0 2.0\n")
    with pytest.raises(ValueError, match="cannot read .* as word2vec"):
        load_word_vectors(bad)
