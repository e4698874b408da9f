"""
Hamming index: search, range search, saving and loading
=======================================================

A fitted hasher turns images into codes; a :class:`~zeroshash.HammingIndex` stores the
database codes and finds the nearest ones to a query code, exactly. This example builds
a brute-force and a multi-index-hashing index, runs k-nearest-neighbour and radius
searches, then saves the index and the hasher to files and loads them back: the loaded
hasher (read with :func:`~zeroshash.load_model`, no pickle) gives bit-identical codes
and the loaded index identical results.
"""

# %%
# Fit a hasher and encode the database
# ------------------------------------
# As in the quickstart: train on the seen classes of the animals data, index every
# database image (seen and unseen classes) and query with unseen-class images.
import os
import tempfile

import numpy as np

from zeroshash import DoubleBitHasher, HammingIndex, load_model, save_model
from zeroshash.datasets import load_animals
from zeroshash.model_selection import zero_shot_retrieval_split
from zeroshash.persistence import read_manifest

data = load_animals()
X, y, names = data.data, data.target, data.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
hasher = DoubleBitHasher(bits=64, random_state=0).fit(X[split.train], y[split.train])
db_codes = hasher.encode(X[split.database])      # (3700, 8) uint8: 64 bits packed
query_codes = hasher.encode(X[split.query])
print(f"database codes {db_codes.shape} {db_codes.dtype}, queries {query_codes.shape}")

# %%
# Two indexes, one answer
# -----------------------
# ``method="brute"`` scans all codes; ``method="mih"`` (multi-index hashing) looks up
# substrings of the codes in hash tables first and pays off on large databases and
# small radii. Both are exact, and both break distance ties by insertion order, so
# they return the same neighbours. The ids are the images' rows in ``X``.
brute = HammingIndex(bits=64)
brute.add(db_codes, ids=split.database)
mih = HammingIndex(bits=64, method="mih")
mih.add(db_codes, ids=split.database)
print(brute)
print(mih)

distances, ids = brute.search(query_codes, k=10)
mih_distances, mih_ids = mih.search(query_codes, k=10)
print("brute force and MIH agree:",
      np.array_equal(distances, mih_distances) and np.array_equal(ids, mih_ids))
print(f"query 0 is a {names[y[split.query[0]]]}; its 10 nearest database images:")
for distance, item in zip(distances[0], ids[0]):
    print(f"  distance {distance:2d}: image {item:4d}, a {names[y[item]]}")
precision = np.mean(y[ids] == y[split.query][:, None])
print(f"precision of the 10 nearest over all {len(split.query)} queries: {precision:.3f}")

# %%
# Range search: everything within a radius
# ----------------------------------------
# ``range_search`` returns all items within a Hamming radius (inclusive), in the CSR
# layout of faiss: the results of query ``i`` are ``ids[lims[i]:lims[i + 1]]``. The
# number of results varies from query to query, and may be zero.
lims, range_distances, range_ids = brute.range_search(query_codes, radius=8)
counts = np.diff(lims)
print(f"radius 8: {counts.sum()} results in all; per query: median {np.median(counts):.0f}, "
      f"max {counts.max()}, {np.count_nonzero(counts == 0)} queries with none")
first = range_ids[lims[0]:lims[1]]
print(f"query 0 within radius 8: {', '.join(names[y[first]])} "
      f"(distances {range_distances[lims[0]:lims[1]].tolist()})")
mih_range = mih.range_search(query_codes, radius=8)
print("MIH range search agrees:", all(np.array_equal(a, b) for a, b in
                                      zip((lims, range_distances, range_ids), mih_range)))

# %%
# Save and load the index
# -----------------------
# ``save`` writes one binary file (header, codes, ids, checksums) atomically;
# ``HammingIndex.load`` checks it and by default memory-maps the codes, so a large index
# opens without being read into memory.
folder = tempfile.TemporaryDirectory(prefix="zeroshash-example-")
index_path = os.path.join(folder.name, "animals.zshindex")
mih.save(index_path)
loaded_index = HammingIndex.load(index_path)
print(f"{os.path.basename(index_path)}: {os.path.getsize(index_path)} bytes; loaded {loaded_index}")
loaded_distances, loaded_ids = loaded_index.search(query_codes, k=10)
print("loaded index, same ids:", np.array_equal(loaded_index.ids, mih.ids),
      "| same search results:",
      np.array_equal(loaded_distances, distances) and np.array_equal(loaded_ids, ids))

# %%
# Save and load the hasher
# ------------------------
# ``save_model`` writes the fitted hasher as one ``.npz`` archive of plain arrays plus
# a JSON manifest; ``load_model`` opens it with ``allow_pickle=False``, so loading runs
# no code from the file. ``read_manifest`` shows what a file holds without building the
# model.
model_path = os.path.join(folder.name, "dbq64.npz")
save_model(hasher, model_path)
manifest = read_manifest(model_path)
print(f"{os.path.basename(model_path)}: {os.path.getsize(model_path)} bytes")
print(f"  format {manifest['format']!r} version {manifest['format_version']}, "
      f"hasher {manifest['hasher']!r} ({manifest['class']}), "
      f"zeroshash {manifest['zeroshash_version']}")
print("  params:", manifest["params"])
print("  arrays:", ", ".join(f"{a['name']} {tuple(a['shape'])}" for a in manifest["arrays"]))

loaded_hasher = load_model(model_path)
print("loaded hasher:", loaded_hasher)

# %%
# The loaded hasher and index reproduce the originals
# ---------------------------------------------------
# Codes of every image, database and queries alike, are bit-identical; querying the
# loaded index with the loaded hasher's codes gives exactly the original neighbours.
print("bit-identical codes for all", len(X), "images:",
      np.array_equal(loaded_hasher.encode(X), hasher.encode(X)))
new_distances, new_ids = loaded_index.search(loaded_hasher.encode(X[split.query]), k=10)
print("loaded hasher + loaded index, same neighbours:",
      np.array_equal(new_distances, distances) and np.array_equal(new_ids, ids))

del loaded_index  # release the memory map before removing the files
folder.cleanup()
