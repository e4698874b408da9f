"""
Cross-modal zero-shot retrieval: edge-map queries, image database
=================================================================

:class:`~zeroshash.CrossModalHasher` (after ZSIH, CVPR 2018) learns one encoder per
modality into one Hamming space from paired training items. The embedded datasets have
no sketches; their second modality is the images' Sobel edge maps through the same CNN,
a sketch-like stand-in (not real sketches). We train on seven animal classes, then look
up images of three unseen animals from their edge maps, and compare with a single
hash function (ITQ) applied to both modalities.
"""

# %%
# Two modalities of the same images
# ---------------------------------
# ``load_animals(edges=True)`` adds ``edge_data``: row ``i`` holds the CNN features of
# the edge map of image ``i``. The zero-shot split is the one of the quickstart; the
# queries will be the edge maps of the unseen-class query images, the database the
# images themselves.
import matplotlib.pyplot as plt
import numpy as np

from zeroshash import CrossModalHasher, HammingIndex, ITQHasher
from zeroshash.datasets import load_animals
from zeroshash.metrics import retrieval_scores
from zeroshash.model_selection import zero_shot_retrieval_split

animals = load_animals(edges=True)
X, edges, y, names = animals.data, animals.edge_data, animals.target, animals.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
print("unseen classes:", ", ".join(names[split.unseen_classes]))
print(f"images {X.shape}, edge maps {edges.shape}")

# %%
# Fit on paired seen-class items
# ------------------------------
# ``CrossModalHasher.fit`` takes the images, their labels, the class word vectors and,
# as ``X_query``, the edge maps of the same training images. The baseline
# ``ITQHasher`` learns one hash function from the images and applies it to edge maps
# too.
cmh = CrossModalHasher(bits=32, random_state=0)
cmh.fit(X[split.train], y[split.train], animals.class_vector_dict, X_query=edges[split.train])
itq = ITQHasher(bits=32, random_state=0).fit(X[split.train])

# %%
# Score edge map -> image retrieval on the unseen classes
# -------------------------------------------------------
# The database is encoded with each model's image function (``encode``); the queries,
# edge maps, with CrossModalHasher's query-side function (``encode_query``) and with
# ITQ's one function. Scores: unseen-class mAP@all (ties by database position) and the
# precision within Hamming radius 2. (``zeroshash.model_selection.evaluate(...,
# X_query=edges)`` runs this protocol for a dict of hashers and several code lengths.)
db_codes = {"CrossModal": cmh.encode(X[split.database]), "ITQ (one function)":
            itq.encode(X[split.database])}
query_codes = {"CrossModal": cmh.encode_query(edges[split.query]), "ITQ (one function)":
               itq.encode(edges[split.query])}
scores = {}
for name in db_codes:
    scores[name] = retrieval_scores(query_codes[name], db_codes[name], y[split.query],
                                    y[split.database], radius=2, bits=32)
    print(f"{name:<20} edge map -> image, 32 bits: mAP@all {scores[name]['map']:.3f}, "
          f"precision within radius 2 {scores[name]['precision_r']:.3f}")

# %%
# Search an index of images with edge maps
# ----------------------------------------
# Index CrossModalHasher's image codes (ids: dataset rows) and search with the edge-map
# codes. Chance is the share of the query's class in the database.
index = HammingIndex(bits=32)
index.add(db_codes["CrossModal"], ids=split.database)
distances, hits = index.search(query_codes["CrossModal"], k=10)
precision = np.mean(y[hits] == y[split.query][:, None])
chance = np.mean(y[split.database][:, None] == split.unseen_classes)
print(f"precision of the 10 nearest images over {len(split.query)} edge-map queries: "
      f"{precision:.3f} (chance {chance:.3f})")
print(f"edge map of a {names[y[split.query[0]]]} -> {', '.join(names[y[hits[0]]])}")

# %%
# The two methods' mAP next to chance.
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(list(scores), [score["map"] for score in scores.values()], color=["C0", "C2"])
ax.axhline(chance, color="k", linestyle="--", label="chance")
ax.set_ylabel("unseen-class mAP@all")
ax.set_title("edge-map queries, image database, 32 bits")
ax.legend()
fig.tight_layout()
plt.show()
