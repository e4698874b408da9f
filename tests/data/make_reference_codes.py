"""Record every hasher's codes on a small seeded problem (run once, before the refactor
that gave the family one alternating base and one vocabulary).

``tests/test_reference_codes.py`` re-fits each hasher with the same settings -- in the
new parameter names -- and requires bit-identical codes. The settings below use the
names of the code that recorded them (commit 792a9a4); this script is kept as the
record of how ``reference_codes.npz`` was made, not to be re-run against newer code.
Its ``problem`` and ``record`` are the test's too, so both see the same data and outputs.
"""

import json
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import zeroshash as zh

HERE = Path(__file__).parent


def problem():
    rng = np.random.RandomState(0)
    centres = rng.randn(6, 20) * 3
    y = np.repeat(np.arange(6), 40)
    X = centres[y] + rng.randn(y.size, 20)
    word_vecs = centres[:, :4] + 0.3 * rng.randn(6, 4)
    X_query = X @ rng.randn(20, 12) + 0.5 * rng.randn(y.size, 12)
    seen = y < 5
    return X, y, word_vecs, X_query, seen


# name -> (class, old-name parameters, whether word vectors are given)
SETTINGS = {
    "lsh": ("LSHHasher", {"bits": 16, "random_state": 0}, False),
    "pcah": ("PCAHasher", {"bits": 16}, False),
    "itq": ("ITQHasher", {"bits": 16, "random_state": 0}, False),
    "sh": ("SpectralHasher", {"bits": 16}, False),
    "ksh": ("KSHHasher", {"bits": 16, "n_anchors": 50, "n_labeled": 150, "random_state": 0},
            False),
    "cosdish": ("COSDISHHasher", {"bits": 16, "random_state": 0}, False),
    "dbq": ("DoubleBitHasher", {"bits": 16, "random_state": 0}, False),
    "zsh": ("ZSHHasher", {"bits": 16, "n_anchors": 60, "random_state": 0}, True),
    "zsh_published": ("ZSHHasher", {"bits": 16, "n_anchors": 60, "lam": 1.0,
                                    "epsilon": 1e-3, "random_state": 0}, True),
    "zsh_graph": ("ZSHHasher", {"bits": 16, "n_anchors": 60, "gamma": 1e-4,
                                "random_state": 0}, True),
    "zsh_onehot": ("ZSHHasher", {"bits": 16, "n_anchors": 60, "random_state": 0}, False),
    "sdh": ("SDHHasher", {"bits": 16, "n_anchors": 60, "random_state": 0}, False),
    "bibranch": ("BiBranchHasher", {"bits": 16, "n_anchors": 60, "random_state": 0}, True),
    "part_align": ("PartAlignHasher", {"bits": 16, "n_parts": 3, "n_anchors": 60,
                                       "random_state": 0}, True),
    "cross_modal": ("CrossModalHasher", {"bits": 16, "n_anchors": 60, "n_components": 4,
                                         "random_state": 0}, True),
    "asymmetric": ("AsymmetricHasher", {"bits": 16, "n_anchors": 60, "random_state": 0}, True),
}


def record(hasher, key, X, word_vecs, X_query):
    """The codes a fitted hasher gives, by output name."""
    inputs = X.reshape(X.shape[0], 4, 5) if key == "part_align" else X
    out = {"transform": hasher.encode(inputs)}
    if key == "cross_modal":
        out["transform_query"] = hasher.encode_query(X_query)
    if key in ("bibranch", "asymmetric"):
        out["class_codes"] = zh.pack_bits(hasher.class_codes_)
        out["encode_classes"] = zh.pack_bits(hasher.encode_classes(word_vecs))
    if key == "asymmetric":
        out["database_codes"] = zh.pack_bits(hasher.database_codes_)
    return out


def main():
    X, y, word_vecs, X_query, seen = problem()
    arrays, manifest = {}, {}
    with threadpool_limits(limits=1):
        for key, (cls_name, params, with_wv) in SETTINGS.items():
            hasher = getattr(zh, cls_name)(**params)
            Xs = X[seen].reshape(-1, 4, 5) if key == "part_align" else X[seen]
            kwargs = {"X_query": X_query[seen]} if key == "cross_modal" else {}
            hasher.fit(Xs, y[seen], word_vecs[:5] if with_wv else None, **kwargs)
            for output, codes in record(hasher, key, X, word_vecs, X_query).items():
                arrays[f"{key}/{output}"] = codes
            manifest[key] = {"class": cls_name, "params": params, "word_vecs": with_wv}
    np.savez_compressed(HERE / "reference_codes.npz", **arrays)
    (HERE / "reference_codes.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
