"""Zero-shot retrieval with ZSHHasher on the embedded Animal-MNIST features.

Train on seven animal classes, then retrieve images of three animals the model
never saw, by Hamming distance between 64-bit codes. Run:

    python examples/zero_shot_retrieval.py
"""

from zeroshash import HammingIndex, ITQHasher, ZSHHasher
from zeroshash.datasets import load_animals
from zeroshash.metrics import mean_average_precision
from zeroshash.model_selection import zero_shot_retrieval_split

animals = load_animals()
X, y, names = animals.data, animals.target, animals.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
print("unseen classes:", ", ".join(names[split.unseen_classes]))

# Word vectors are given per class label (a dict works for any subset of classes).
zsh = ZSHHasher(bits=64, random_state=0)
zsh.fit(X[split.train], y[split.train], word_vecs=animals.class_vector_dict)
itq = ITQHasher(bits=64, random_state=0).fit(X[split.train])

# encode gives packed codes (8 bytes an image); the metrics read them with bits=64 and
# the index stores them as they are.
codes = {name: (model.encode(X[split.database]), model.encode(X[split.query]))
         for name, model in [("ZSH", zsh), ("ITQ", itq)]}
for name, (db, queries) in codes.items():
    score = mean_average_precision(queries, db, y[split.query], y[split.database], bits=64)
    print(f"{name}: unseen-class mAP@all = {score:.3f}")

# Index each model's database codes (ids = dataset rows) and look up one unseen-class
# query. The published ZSH collapses many images onto few codes (see issue 7's work).
print(f"query: a {names[y[split.query[0]]]}")
for name, (db, queries) in codes.items():
    index = HammingIndex(bits=64)
    index.add(db, ids=split.database)
    distances, ids = index.search(queries[:1], k=5)
    print(f"  {name} nearest: {', '.join(names[y[ids[0]]])} at distances {distances[0].tolist()}")
