"""Every hasher gives bit-identical codes to those recorded before the family refactor.

``tests/data/reference_codes.npz`` was recorded by ``tests/data/make_reference_codes.py``
with the parameter names of that time; ``RENAMED`` gives the same settings in today's
vocabulary (see CHANGELOG.md). BLAS runs on one thread so rounding is reproducible.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import zeroshash as zh

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from make_reference_codes import problem, record  # noqa: E402  (the recording's own code)

MANIFEST = json.loads((DATA / "reference_codes.json").read_text())
REFERENCE = np.load(DATA / "reference_codes.npz")

# Old name -> new name (and value conversion) per class; see CHANGELOG.md.
RENAMED = {
    "ZSHHasher": {"lam": "semantic_ridge", "gamma": "graph_weight"},
    "SDHHasher": {"lam": "semantic_ridge", "delta": "hash_ridge"},
    "COSDISHHasher": {"n_iter": "max_iter", "n_alt_iter": "n_sweeps", "alpha": "hash_ridge"},
}
# Defaults of the time, where today's differ, made explicit.
OLD_DEFAULTS = {
    # ZSH: lam=1e-2, epsilon=1e-2 (absolute; hash_ridge = epsilon / nu), n_neighbors=5.
    "ZSHHasher": {"semantic_ridge": 1e-2, "hash_ridge": 1000.0, "n_neighbors": 5},
    # DBQ before issue 16's selection: within_class_reg=3.0, no normalisation.
    "DoubleBitHasher": {"within_class_reg": 3.0, "normalize": None},
}


def new_params(cls_name, old):
    params = dict(OLD_DEFAULTS.get(cls_name, {}))
    renames = RENAMED.get(cls_name, {})
    for key, value in old.items():
        if cls_name == "ZSHHasher" and key == "epsilon":
            params["hash_ridge"] = value / old.get("nu", 1e-5)
            continue
        params[renames.get(key, key)] = value
    return params


@pytest.mark.parametrize("key", sorted(MANIFEST))
def test_codes_bit_identical_to_recorded(key):
    entry = MANIFEST[key]
    X, y, word_vecs, X_query, seen = problem()
    hasher = getattr(zh, entry["class"])(**new_params(entry["class"], entry["params"]))
    Xs = X[seen].reshape(-1, 4, 5) if key == "part_align" else X[seen]
    kwargs = {"X_query": X_query[seen]} if key == "cross_modal" else {}
    with threadpool_limits(limits=1):
        hasher.fit(Xs, y[seen], word_vecs[:5] if entry["word_vecs"] else None, **kwargs)
        outputs = record(hasher, key, X, word_vecs, X_query)
    recorded = {k.split("/", 1)[1]: v for k, v in REFERENCE.items() if k.startswith(key + "/")}
    assert set(outputs) == set(recorded)
    for name, codes in outputs.items():
        np.testing.assert_array_equal(codes, recorded[name], err_msg=f"{key}: {name}")


def test_zsh_defaults_are_the_published_setting():
    # The recorded "zsh_published" fit used lam=1, epsilon=1e-3 explicitly.
    X, y, word_vecs, _, seen = problem()
    with threadpool_limits(limits=1):
        zsh = zh.ZSHHasher(bits=16, n_anchors=60, random_state=0)
        codes = zsh.fit(X[seen], y[seen], word_vecs[:5]).encode(X)
    np.testing.assert_array_equal(codes, REFERENCE["zsh_published/transform"])
