"""The held-out features of issue 16, read from the data home (see maintainer/build_heldout.py)."""

from __future__ import annotations

import os

import numpy as np
from sklearn.utils import Bunch

from zeroshash.datasets import get_data_home

KINDS = ("animals", "fashion", "fashion-train")


def heldout_path(kind: str, data_home=None) -> str:
    return os.path.join(get_data_home(data_home), "heldout", f"{kind}_lite2.npz")


def load_heldout(kind: str, data_home=None) -> Bunch:
    """``data`` (float32 Lite2 features), ``target``, ``embedded``, ``class_vectors`` ..."""
    if kind not in KINDS:
        raise ValueError(f"unknown held-out set {kind!r}; one of {KINDS}")
    path = heldout_path(kind, data_home)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} does not exist: build it with `python maintainer/build_heldout.py "
            f"--datasets {kind}` (needs torch and the EfficientNet-Lite2 weights)"
        )
    with np.load(path) as f:
        return Bunch(data=f["data"], target=f["target"], embedded=f["embedded"],
                     source_index=f["source_index"], target_names=list(f["target_names"]),
                     class_vectors=f["class_vectors"], extractor=str(f["extractor"]))
