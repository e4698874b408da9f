"""
Quickstart: zero-shot retrieval on the embedded animal images
=============================================================

Train hash functions on seven animal classes, then retrieve images of three animals
that no hasher saw during training, by Hamming distance between 64-bit codes. We fit
:class:`~zeroshash.DoubleBitHasher` (the best unseen-class retrieval measured on these
data; seen labels only, no word vectors), the published :class:`~zeroshash.ZSHHasher`
(seen labels plus word vectors of the class names) and the unsupervised
:class:`~zeroshash.ITQHasher` as a baseline, score each on the unseen classes and look
up the neighbours of one unseen-class query in a :class:`~zeroshash.HammingIndex`.
"""

# %%
# Load the data and split the classes
# -----------------------------------
# The animals dataset ships with the package: 4,000 images as 1,280-d CNN features,
# 10 classes, and a 50-d GloVe vector per class name (``class_vectors``, row ``c`` for
# label ``c``). ``zero_shot_retrieval_split`` follows the ZSH protocol: 3 classes are
# unseen, 100 images of each are the queries, every other image is the database, and
# the training set is the seen-class part of the database only.
import matplotlib.pyplot as plt

from zeroshash import DoubleBitHasher, HammingIndex, ITQHasher, ZSHHasher
from zeroshash.datasets import load_animals
from zeroshash.metrics import retrieval_scores
from zeroshash.model_selection import zero_shot_retrieval_split

data = load_animals()
X, y, names = data.data, data.target, data.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
print("seen classes:  ", ", ".join(names[split.seen_classes]))
print("unseen classes:", ", ".join(names[split.unseen_classes]))
print(f"{len(split.train)} training images, {len(split.database)} database images, "
      f"{len(split.query)} queries")

# %%
# Fit three hashers on the seen classes
# -------------------------------------
# Every hasher sees ``X[split.train]`` only, so no unseen-class image or label is used.
# ``DoubleBitHasher`` needs the seen labels; ``ZSHHasher`` also takes the class word
# vectors (the 10-row ``class_vectors`` matrix: a fit on the seen labels picks their
# rows); ``ITQHasher`` is unsupervised.
X_train, y_train = X[split.train], y[split.train]
hashers = {
    "DBQ": DoubleBitHasher(bits=64, random_state=0).fit(X_train, y_train),
    "ZSH": ZSHHasher(bits=64, random_state=0).fit(X_train, y_train, data.class_vectors),
    "ITQ": ITQHasher(bits=64, random_state=0).fit(X_train),
}

# %%
# Encode and score on the unseen classes
# --------------------------------------
# ``encode`` gives packed codes, 8 bytes per image at 64 bits; the metrics read them
# with ``bits=64``. The scores are unseen-class mAP@all under Hamming ranking, in two
# forms: ``map`` breaks distance ties by database position (the split shuffles the
# database, so that order carries no class information), ``map_tie_aware`` averages
# over all orders of tied items (He et al., 2018). ``precision_r`` is the precision of
# the items within Hamming radius 2 (a query that retrieves nothing counts 0).
codes = {}
scores = {}
for name, hasher in hashers.items():
    db_codes, query_codes = hasher.encode(X[split.database]), hasher.encode(X[split.query])
    codes[name] = db_codes, query_codes
    scores[name] = retrieval_scores(query_codes, db_codes, y[split.query], y[split.database],
                                    radius=2, bits=64)

print(f"{'method':<6} {'mAP@all':>8} {'tie-aware':>10} {'P@r<=2':>7}")
for name, score in scores.items():
    print(f"{name:<6} {score['map']:8.4f} {score['map_tie_aware']:10.4f} "
          f"{score['precision_r']:7.4f}")

# %%
# A bar chart of the unseen-class mAP per method.
fig, ax = plt.subplots(figsize=(5, 3))
methods = list(scores)
ax.bar(methods, [scores[m]["map"] for m in methods], color=["C0", "C1", "C2"])
ax.set_ylabel("unseen-class mAP@all")
ax.set_title("64-bit codes, animals (3 unseen classes)")
fig.tight_layout()
plt.show()

# %%
# Search a Hamming index with one unseen-class query
# --------------------------------------------------
# A :class:`~zeroshash.HammingIndex` stores each method's database codes, with the
# dataset rows as ids, so the neighbours' labels are ``y[ids]``. The published ZSH
# maps many images onto few codes on these features, so its nearest neighbours often
# sit at distance 0 together, whatever their class. One query is an anecdote, so we
# also measure the precision of the 10 nearest images over all the queries.
query = split.query[0]
print(f"query: image {query}, a {names[y[query]]} (an unseen class)")
for name, (db_codes, query_codes) in codes.items():
    index = HammingIndex(bits=64)
    index.add(db_codes, ids=split.database)
    distances, ids = index.search(query_codes, k=10)  # all 300 queries at once
    hits = (y[ids] == y[split.query][:, None]).mean()
    print(f"  {name} nearest: {', '.join(names[y[ids[0]]])}")
    print(f"  {'':{len(name)}} distances: {distances[0].tolist()}")
    print(f"  {'':{len(name)}} precision of the 10 nearest, over all {len(split.query)} "
          f"queries: {hits:.3f}")
