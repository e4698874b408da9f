import re
import subprocess
import sys
from pathlib import Path

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


def test_a_missing_class_names_its_missing_words_and_the_file(keyed_vectors, tmp_path):
    path = tmp_path / "words.txt"
    keyed_vectors.save_word2vec_format(str(path))
    with pytest.raises(ValueError) as error:
        class_embeddings(path, np.array(["Ankle shoe", "cat", "sea-cow"]))
    message = str(error.value)
    assert repr(str(path)) in message
    assert "'Ankle shoe' (missing: shoe)" in message and "'sea-cow' (missing: cow)" in message


def test_shape_and_nan_errors():
    with pytest.raises(ValueError, match="3 rows but y has 2 classes"):
        class_embeddings(np.ones((3, 4)), np.array(["a", "b"]))
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


# --- array layouts: one row per class of y, or one row per integer label ---------------
PER_LABEL = np.arange(10 * 3, dtype=np.float64).reshape(10, 3)  # row c: label c's vector


@pytest.mark.parametrize("classes", [
    np.array([0, 3, 9]),
    np.array([0, 3, 9], dtype=np.uint8),
    np.array([np.int32(0), np.int32(3), np.int32(9)]),
    np.array([0.0, 3.0, 9.0]),
    np.array([0, 3, 9], dtype=object),
    np.array([0.0, 3.0, 9.0], dtype=object),
])
def test_array_with_a_row_per_label_is_picked_by_label(classes):
    np.testing.assert_array_equal(class_embeddings(PER_LABEL, classes), PER_LABEL[[0, 3, 9]])


def test_array_with_a_row_per_class_takes_precedence():
    # As many rows as classes: row i is classes[i], even for integer labels.
    rows = PER_LABEL[:3]
    np.testing.assert_array_equal(class_embeddings(rows, np.array([1, 2, 7])), rows)
    np.testing.assert_array_equal(class_embeddings(rows, np.array([1, 2, 0])), rows)
    # Both layouts apply only when the classes are exactly 0..n_rows-1, and they agree.
    np.testing.assert_array_equal(class_embeddings(PER_LABEL, np.arange(10)), PER_LABEL)


@pytest.mark.parametrize("classes, found", [
    (np.array([0, 4, 10]), r"\(integer labels 0\.\.10\)"),
    (np.array([-1, 4]), r"\(integer labels -1\.\.4\)"),
    (np.array([0.0, 2.5]), r"\(labels such as 0\.0, not integers\)"),
    (np.array(["cat", "dog"]), r"\(labels such as 'cat', not integers\)"),
    (np.array([True, False]), r"\(labels such as True, not integers\)"),
])
def test_array_fitting_neither_layout_names_both(classes, found):
    n = len(classes)
    with pytest.raises(ValueError) as info:
        class_embeddings(PER_LABEL, classes)
    message = str(info.value)
    assert f"word_vecs has 10 rows but y has {n} classes " in message
    assert re.search(found, message)
    assert f"one row per class of np.unique(y), in that order ({n} rows)" in message
    assert "one row per integer label, row c for label c (labels within 0..9 for 10 rows)" in (
        message
    )


def test_user_sentence_fits_on_seen_classes_with_all_class_vectors():
    import zeroshash
    from zeroshash import ZSHHasher

    data = zeroshash.datasets.load_animals()
    seen = data.target < 7
    h = ZSHHasher(bits=16, n_anchors=50).fit(data.data[seen], data.target[seen],
                                              data.class_vectors)
    assert data.class_vectors.shape[0] == 10 and np.unique(data.target[seen]).size == 7
    np.testing.assert_array_equal(h.classes_, np.arange(7))
    unseen = data.data[~seen][:200]
    assert h.transform(unseen).shape == (200, 16)
    # The same fit as with the seen classes' rows passed in np.unique(y) order.
    kw = dict(bits=16, n_anchors=50, random_state=0)
    by_label = ZSHHasher(**kw).fit(data.data[seen], data.target[seen], data.class_vectors)
    by_class = ZSHHasher(**kw).fit(data.data[seen], data.target[seen], data.class_vectors[:7])
    np.testing.assert_array_equal(by_label.transform(unseen), by_class.transform(unseen))


def test_subpackages_are_attributes_after_a_bare_import():
    # A fresh interpreter: in this one other tests have imported the subpackages already.
    code = ("import zeroshash; zeroshash.datasets.load_animals; "
            "zeroshash.semantics.class_embeddings")
    root = Path(__file__).resolve().parents[1]  # this checkout's package, not an installed one
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# --- a path is a word-vector file ---------------------------------------------------------
@pytest.mark.parametrize("as_str", [True, False])
def test_path_source_is_read_as_word_vectors(tmp_path, small_kv, as_str):
    path = tmp_path / "vectors.txt"
    small_kv.save_word2vec_format(str(path))
    classes = np.array(["Ankle boot", "cat", "zebra"])
    out = class_embeddings(str(path) if as_str else path, classes)
    np.testing.assert_allclose(out, class_embeddings(small_kv, classes), rtol=1e-6)


def test_path_source_works_in_a_hasher_fit(tmp_path, small_kv):
    from zeroshash import ZSHHasher

    path = tmp_path / "vectors.txt"
    small_kv.save_word2vec_format(str(path))
    rng = np.random.RandomState(0)
    y = np.array(["cat", "zebra", "Ankle boot"])[rng.randint(0, 3, 60)]
    X = rng.randn(60, 5)
    kw = dict(bits=8, n_anchors=20, random_state=0)
    codes = ZSHHasher(**kw).fit(X, y, str(path)).transform(X)
    np.testing.assert_array_equal(codes, ZSHHasher(**kw).fit(X, y, small_kv).transform(X))


@pytest.mark.parametrize("as_str", [True, False])
def test_missing_path_names_it(tmp_path, as_str):
    path = tmp_path / "cat"
    with pytest.raises(FileNotFoundError) as info:
        class_embeddings(str(path) if as_str else path, np.array(["cat"]))
    message = str(info.value)
    assert repr(str(path)) in message and "a str source is always a path" in message
