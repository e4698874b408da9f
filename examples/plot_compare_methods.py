"""
The methods compared, with plots
================================

Five hashers from the registry -- LSH, PCA hashing, ITQ, the published Zero-Shot
Hashing and :class:`~zeroshash.DoubleBitHasher` -- trained on the seen classes of the
embedded fashion images and scored on three unseen ones: unseen-class mAP against code
length (:class:`~zeroshash.plotting.CodeLengthCurveDisplay`), precision-recall curves
by Hamming radius and by rank (:class:`~zeroshash.plotting.PrecisionRecallDisplay`),
and the Hamming distances to relevant and irrelevant items for seen-class and
unseen-class queries (:class:`~zeroshash.plotting.HammingDistanceDisplay`).
"""

# %%
# One zero-shot split, with seen-class queries held out too
# ---------------------------------------------------------
# ``zero_shot_retrieval_split`` follows the ZSH protocol (3 unseen classes, 100 queries
# from each, everything else in the database, training on the database's seen-class
# images). To compare seen and unseen queries, ``n_seen_query_per_class=50`` also holds
# 50 images of each seen class out of the database and of training, as seen-class
# queries (the generalised setting).
import matplotlib.pyplot as plt
import numpy as np

from zeroshash import get_hasher
from zeroshash.datasets import load_fashion
from zeroshash.model_selection import zero_shot_retrieval_split
from zeroshash.plotting import (
    CodeLengthCurveDisplay,
    HammingDistanceDisplay,
    PrecisionRecallDisplay,
)

data = load_fashion()
X, y, names = data.data, data.target, data.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100,
                                  n_seen_query_per_class=50, random_state=0)
print("unseen classes:", ", ".join(names[split.unseen_classes]))
print(f"{len(split.train)} training images, {len(split.database)} database images, "
      f"{len(split.query)} unseen-class and {len(split.seen_query)} seen-class queries")
train = split.train
methods = {label: get_hasher(label).make(random_state=0)
           for label in ("LSH", "PCAH", "ITQ", "ZSH", "DBQ")}

# %%
# Unseen-class mAP against code length
# ------------------------------------
# ``from_estimator`` fits every method at every length on ``split.train`` and scores
# the unseen-class queries (mAP@all, tied distances averaged over their orders). ZSH
# gets the class word vectors; the others do not use them.
display = CodeLengthCurveDisplay.from_estimator(
    methods, X, y, split, bits=(16, 32, 64), word_vecs=data.class_vector_dict)
display.ax_.set_title("fashion: unseen-class retrieval")
plt.show()
for method, scores in zip(display.methods, display.scores_mean):
    print(f"{method:<5}", "  ".join(f"{b} bits {s:.3f}" for b, s in zip(display.bits, scores)))

# %%
# Precision-recall at 32 bits
# ---------------------------
# By radius: the items within Hamming distance 0, 1, 2, ... are retrieved (a hash-table
# lookup); a query that finds nothing within a radius counts precision 0 there. By
# rank: the top N items of the Hamming ranking.
fitted = {}
for label, hasher in methods.items():
    hasher.set_params(bits=32)
    word_vecs = data.class_vector_dict if get_hasher(label).uses_word_vecs else None
    if word_vecs is None:
        fitted[label] = hasher.fit(X[train], y[train])
    else:
        fitted[label] = hasher.fit(X[train], y[train], word_vecs)

fig, (by_radius, by_rank) = plt.subplots(1, 2, figsize=(10, 4))
for label, hasher in fitted.items():
    args = (hasher, X[split.query], y[split.query], X[split.database], y[split.database])
    PrecisionRecallDisplay.from_estimator(*args, by="radius", name=label, ax=by_radius)
    PrecisionRecallDisplay.from_estimator(*args, by="rank", name=label, ax=by_rank)
by_radius.set_title("by Hamming radius")
by_rank.set_title("by rank")
fig.tight_layout()
plt.show()

# %%
# Distances to relevant and irrelevant items, seen and unseen queries
# -------------------------------------------------------------------
# The further apart the two histograms, the better the ranking. Seen-class queries
# (held out of training) show how much of that separation the unseen classes keep.
queries = np.concatenate([split.seen_query, split.query])
for label in ("ITQ", "DBQ"):
    display = HammingDistanceDisplay.from_estimator(
        fitted[label], X[queries], y[queries], X[split.database], y[split.database],
        seen_classes=split.seen_classes, name=f"{label} 32 bits")
    display.figure_.set_size_inches(10, 3.5)
    plt.show()
    relevant, irrelevant = display.relevant_counts, display.irrelevant_counts
    distances = np.arange(relevant.shape[-1])
    for panel, rel, irr in zip(display.panel_names, relevant, irrelevant):
        print(f"{label} {panel}: mean distance to relevant items "
              f"{(distances * rel).sum() / rel.sum():.1f}, to irrelevant items "
              f"{(distances * irr).sum() / irr.sum():.1f}")
