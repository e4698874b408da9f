"""Do the embedded extra modalities carry class information? Nearest-neighbour accuracies.

Usage:  python benchmarks/bench_modalities.py    # seconds: the full run is its own smoke run
        (``--quick`` is accepted, like the other scripts', and runs the same)

For each embedded dataset loaded with ``patches=True, edges=True`` (4,000 items,
10 classes, chance 10%), leave-one-out 1-nearest-neighbour class accuracy under
cosine similarity of:

* ``image``: the pooled image features ``data`` (n, 1280);
* ``edges``: the pooled features of the edge maps ``edge_data`` (n, 1280);
* ``patch mean``: ``patches`` (n, 9, 128) averaged over the 9 grid cells (n, 128);
* ``patches flat``: the 9 patches concatenated (n, 1152);

and the cross-modal accuracy ``edges -> image``: each item's edge features query
the image features of all *other* items (its own image excluded), raw and with
each modality centred on its own mean first. Also reported: how often an item's
own image is the nearest image to its edge map (a check of row alignment).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals, load_fashion


def _unit(X):
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def loo_nn_accuracy(X, y):
    """Leave-one-out 1-NN accuracy under cosine similarity."""
    S = _unit(X) @ _unit(X).T
    np.fill_diagonal(S, -np.inf)
    return float(np.mean(y[S.argmax(axis=1)] == y))


def cross_modal(Q, D, y, centre=False):
    """Query row i of Q against rows j != i of D (same items, other modality).

    Returns (1-NN class accuracy excluding the item itself, fraction of queries
    whose nearest row of D, itself included, is row i).
    """
    if centre:
        Q, D = Q - Q.mean(axis=0), D - D.mean(axis=0)
    S = _unit(Q) @ _unit(D).T
    own = float(np.mean(S.argmax(axis=1) == np.arange(len(y))))
    np.fill_diagonal(S, -np.inf)
    return float(np.mean(y[S.argmax(axis=1)] == y)), own


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="accepted for uniformity: the full run is already a smoke run")
    parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print("leave-one-out 1-NN class accuracy, cosine similarity (10 classes: chance 0.100)\n")
    start = time.perf_counter()
    header = (f"{'dataset':<8} {'image':>6} {'edges':>6} {'patch mean':>10} {'patches flat':>12}"
              f" | {'edges->image':>12} {'centred':>8} | {'own image 1st':>13}")
    print(header)
    print("-" * len(header))
    datasets = (("animals", load_animals), ("fashion", load_fashion))
    features = ("image", "edges", "patch mean", "patches flat")
    # Per dataset: loading, one 1-NN accuracy per feature, two cross-modal runs.
    steps = len(datasets) * (1 + len(features) + 2)
    with progress_bar(total=steps, desc="bench_modalities", unit="step") as bar:
        for name, loader in datasets:
            bar.set_postfix(dataset=name, step="loading")
            d = loader(patches=True, edges=True)
            y = d.target
            bar.update()
            acc = []
            for feature, X in zip(features, (d.data, d.edge_data, d.patches.mean(axis=1),
                                             d.patches), strict=True):
                bar.set_postfix(dataset=name, step=feature)
                acc.append(loo_nn_accuracy(X, y))
                bar.update()
            bar.set_postfix(dataset=name, step="edges->image")
            xm, own = cross_modal(d.edge_data, d.data, y)
            bar.update()
            xm_c, own_c = cross_modal(d.edge_data, d.data, y, centre=True)
            bar.update()
            write_line(f"{name:<8} {acc[0]:6.3f} {acc[1]:6.3f} {acc[2]:10.3f} {acc[3]:12.3f}"
                       f" | {xm:12.3f} {xm_c:8.3f} | {own:6.3f} ({own_c:.3f} centred)")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
