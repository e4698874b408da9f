"""
Zero-shot hashing with your own word-vector file
================================================

Semantic hashers such as :class:`~zeroshash.ZSHHasher` need one vector per class. With
string class labels, ``word_vecs`` can simply be the path of a word2vec, GloVe or
fastText file: each class name is looked up in it, whole or token by token, and a
multi-word name such as "Ankle boot" gets the mean of its words' vectors. This example
writes such files for the Fashion-MNIST classes, fits on them, shows
:func:`~zeroshash.semantics.load_word_vectors` and
:func:`~zeroshash.semantics.class_embeddings`, and shows the error for a class name
that the file cannot resolve.
"""

# %%
# Word vectors for the class names
# --------------------------------
# The embedded Fashion-MNIST data carries one 50-d GloVe vector per class
# (``class_vectors_by_name``): for a multi-word name it is the mean of the words'
# GloVe vectors, and the word vectors themselves are not shipped. To build a file that
# looks like a user's -- one line per *word* -- we keep single-word classes as they
# are and split a multi-word class vector into word vectors whose mean is that class
# vector (class vector plus a seeded offset per word, offsets summing to zero). A real
# GloVe file would hold the real vectors of "ankle" and "boot"; the loader treats both
# the same way. A few filler words stand in for the rest of a real vocabulary.
import os
import tempfile

import numpy as np

from zeroshash import ZSHHasher
from zeroshash.datasets import load_fashion
from zeroshash.metrics import mean_average_precision
from zeroshash.model_selection import zero_shot_retrieval_split
from zeroshash.semantics import class_embeddings, class_name_tokens, load_word_vectors

data = load_fashion()
names = data.target_names                 # "T-shirt/top", ..., "Ankle boot"
labels = names[data.target]               # string labels: one class name per image
rng = np.random.RandomState(0)

words = {}
for filler in ("the", "of", "and"):
    words[filler] = rng.randn(50)
for name, tokens in zip(names, data.class_tokens):
    class_vector = data.class_vectors_by_name[name]
    tokens = tokens.split()               # "ankle boot" -> ["ankle", "boot"]
    offsets = rng.randn(len(tokens), 50)
    offsets -= offsets.mean(axis=0)       # zero for a one-word class
    for token, offset in zip(tokens, offsets):
        words[token] = class_vector + offset
print(f"{len(words)} words for {len(names)} classes:", ", ".join(words))

# %%
# Write a word2vec text file and a GloVe file
# -------------------------------------------
# word2vec text starts with a ``count dim`` header line; GloVe has no header. Both then
# hold one word per line followed by its numbers.
temporary = tempfile.TemporaryDirectory(prefix="zeroshash-example-")
folder = temporary.name
word2vec_path = os.path.join(folder, "fashion_words.txt")
glove_path = os.path.join(folder, "glove_fashion.50d.txt")
lines = [word + " " + " ".join(f"{v:.7g}" for v in vector) for word, vector in words.items()]
with open(word2vec_path, "w", encoding="utf-8") as f:
    f.write(f"{len(words)} 50\n" + "\n".join(lines) + "\n")
with open(glove_path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
with open(word2vec_path, encoding="utf-8") as f:
    head = f.read().splitlines()[:3]
print("\n".join(line if len(line) < 60 else line[:60] + " ..." for line in head))

# %%
# Read a file and resolve class names
# -----------------------------------
# ``load_word_vectors`` sniffs the format (here: header -> word2vec, none -> GloVe) and
# returns gensim ``KeyedVectors``. ``class_embeddings`` turns any ``word_vecs`` source
# into one row per class, in the order of the classes given (a hasher passes its
# sorted ``classes_``). A class name is lower-cased and split on whitespace, "/" and
# "_"; ``class_name_tokens`` shows the words used.
for path in (word2vec_path, glove_path):
    kv = load_word_vectors(path)
    print(f"{os.path.basename(path)}: {len(kv)} words of {kv.vector_size} dimensions")
for name in ("T-shirt/top", "Ankle boot", "Sandal"):
    print(f"  {name!r} -> {class_name_tokens(name, kv.key_to_index)}")

classes = np.unique(labels)
from_file = class_embeddings(word2vec_path, classes)
embedded = np.array([data.class_vectors_by_name[c] for c in classes])
print(f"class_embeddings: shape {from_file.shape}; largest difference from the embedded "
      f"class vectors: {np.abs(from_file - embedded).max():.1e} (text rounding)")

# %%
# Fit with the file's path as ``word_vecs``
# -----------------------------------------
# A zero-shot split of the string labels: the hasher is trained on seven seen classes
# and their names' vectors, then retrieves images of the three unseen classes.
split = zero_shot_retrieval_split(labels, n_unseen=3, n_query_per_class=100, random_state=0)
print("unseen classes:", ", ".join(split.unseen_classes))
X_train, y_train = data.data[split.train], labels[split.train]

zsh = ZSHHasher(bits=32, random_state=0).fit(X_train, y_train, word_vecs=word2vec_path)
db_codes, query_codes = zsh.encode(data.data[split.database]), zsh.encode(data.data[split.query])
score = mean_average_precision(query_codes, db_codes, labels[split.query],
                               labels[split.database], bits=32)
print(f"ZSH, 32 bits, word2vec file: unseen-class mAP@all {score:.4f}")

# The GloVe file holds the same numbers, and the embedded vectors (a dict ``name ->
# vector``) differ from them by text rounding only: all three give the same codes.
for source, word_vecs in [("GloVe file", glove_path),
                          ("class_vectors_by_name", data.class_vectors_by_name)]:
    other = ZSHHasher(bits=32, random_state=0).fit(X_train, y_train, word_vecs=word_vecs)
    same = np.array_equal(other.encode(data.data[split.database]), db_codes)
    print(f"{source}: identical database codes: {same}")

# %%
# A class name the file cannot resolve
# ------------------------------------
# Every token of a name must be in the file. Drop "boot" and "Ankle boot" has no
# vector: the fit stops with an error that lists every missing class (here the seen
# classes of this split include "Ankle boot").
missing_path = os.path.join(folder, "no_boot.txt")
kept = [line for line in lines if not line.startswith("boot ")]
with open(missing_path, "w", encoding="utf-8") as f:
    f.write(f"{len(kept)} 50\n" + "\n".join(kept) + "\n")
try:
    ZSHHasher(bits=32, random_state=0).fit(X_train, y_train, word_vecs=missing_path)
except ValueError as error:
    print("ValueError:", error)

# A ``str`` is always read as a path, so a typo in it is a FileNotFoundError:
try:
    ZSHHasher(bits=32).fit(X_train, y_train, word_vecs=os.path.join(folder, "typo.txt"))
except FileNotFoundError as error:
    print("FileNotFoundError:", error)

# %%
# Remove the temporary files.
temporary.cleanup()
