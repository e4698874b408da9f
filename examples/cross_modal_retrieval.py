"""Cross-modal zero-shot retrieval: edge-map queries, image database.

CrossModalHasher (after ZSIH, CVPR 2018) learns one encoder per modality into one
Hamming space from paired training items. The embedded datasets have no sketches;
their second modality is the images' Sobel edge maps through the same CNN, a
sketch-like stand-in (not real sketches). Train on seven animal classes, then look
up images of three unseen animals from their edge maps. Run:

    python examples/cross_modal_retrieval.py
"""

import numpy as np

from zeroshash import CrossModalHasher, HammingIndex, ITQHasher
from zeroshash.datasets import load_animals
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split

animals = load_animals(edges=True)
X, edges, y, names = animals.data, animals.edge_data, animals.target, animals.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
print("unseen classes:", ", ".join(names[split.unseen_classes]))

# One call per protocol: queries come from X_query (edge maps), the database from X.
rows = evaluate(
    {"CrossModal": CrossModalHasher(random_state=0),
     "ITQ (one function)": ITQHasher(random_state=0)},
    X, y, split, bits=(32,), word_vecs=animals.class_vector_dict, X_query=edges,
)
for row in rows:
    print(f"{row['method']:<20} edge map -> image, 32 bits: mAP@all {row['map']:.3f}, "
          f"precision within radius 2 {row['precision_r']:.3f}")

# The same model by hand: fit on paired rows, index the images, search with edge maps.
cmh = CrossModalHasher(bits=32, random_state=0)
cmh.fit(X[split.train], y[split.train], animals.class_vector_dict, X_query=edges[split.train])
index = HammingIndex(bits=32)
index.add(cmh.encode(X[split.database]), ids=split.database)
distances, hits = index.search(cmh.encode_query(edges[split.query]), k=10)
precision = np.mean(y[hits] == y[split.query][:, None])
print(f"precision of the 10 nearest images over {len(split.query)} edge-map queries: "
      f"{precision:.3f} (chance {np.mean(y[split.database][:, None] == split.unseen_classes):.3f})")
