"""Model files: zeroshash's format against pickle, plain ``np.savez`` + JSON and skops.

One 64-bit ZSHHasher is fitted on the embedded animals data (``load_animals()``, its
``class_vectors`` as word vectors) and written and read back by each way; the table
gives the file size and the median save and load times of ``--repeats`` runs (files in
a temporary directory, so loads read from the page cache), and the ratios peer / ours.
Every way is checked to give bit-identical codes.

* ours: :func:`zeroshash.save_model` / :func:`zeroshash.load_model` (one ``.npz``,
  manifest, SHA-256, atomic write with ``fsync``; loading validates the manifest, the
  checksum and the parameters).
* pickle: ``pickle.dump`` (protocol 5) / ``pickle.load``: loading runs code.
* npz + JSON: ``np.savez`` of the arrays beside a ``.json`` of the class name, the
  parameters and scalars; loading builds the class and sets the attributes. No
  checksum, no validation, no atomic write, object arrays not handled: the floor.
* skops: ``skops.io.dump`` / ``skops.io.load`` with ``trusted=`` the types that
  ``skops.io.get_untrusted_types`` reports (reviewed once, as skops asks). Skipped if
  skops is not installed (it is not a zeroshash dependency).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_persistence.py            # full run (~5 s)
    PYTHONPATH=. python benchmarks/bench_persistence.py --quick    # smoke run (~3 s)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import tempfile
import time

import numpy as np
from _timing import timed  # noqa: E402  (benchmarks/_timing.py, beside this script)

import zeroshash
from zeroshash import ZSHHasher, load_model, save_model
from zeroshash._progress import progress_bar, write_line
from zeroshash.datasets import load_animals


def pickle_save(hasher, path):
    with open(path, "wb") as fh:
        pickle.dump(hasher, fh, protocol=5)


def pickle_load(path):
    with open(path, "rb") as fh:
        return pickle.load(fh)


def plain_save(hasher, path):
    spec = next(s for s in zeroshash.all_hashers() if s.estimator is type(hasher))
    names = spec.fitted_attributes + ("n_features_in_",)
    arrays = {k: getattr(hasher, k) for k in names if isinstance(getattr(hasher, k), np.ndarray)}
    scalars = {k: getattr(hasher, k) for k in names if k not in arrays}
    np.savez(path + ".npz", **arrays)
    with open(path + ".json", "w") as fh:
        json.dump({"hasher": spec.name, "params": hasher.get_params(deep=False),
                   "scalars": scalars}, fh)


def plain_load(path):
    with open(path + ".json") as fh:
        meta = json.load(fh)
    hasher = zeroshash.get_hasher(meta["hasher"]).estimator(**meta["params"])
    with np.load(path + ".npz", allow_pickle=False) as npz:
        for key in npz.files:
            setattr(hasher, key, npz[key])
    for key, value in meta["scalars"].items():
        setattr(hasher, key, value)
    return hasher


def skops_ways():
    try:
        import skops
        import skops.io as sio
    except ImportError:
        return None, "skops not installed (pip install skops to compare)"

    def load(path):
        return sio.load(path, trusted=sio.get_untrusted_types(file=path))

    return (lambda hasher, path: sio.dump(hasher, path), load), f"skops {skops.__version__}"


def file_size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + ".npz", path + ".json")
               if os.path.exists(p))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller model, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 7)
    n_anchors = 200 if args.quick else 1000

    data = load_animals()
    hasher = ZSHHasher(bits=64, n_anchors=n_anchors, random_state=0)
    start = time.perf_counter()
    hasher.fit(data.data, data.target, data.class_vectors)
    print(f"ZSHHasher(bits=64, n_anchors={n_anchors}) fitted on animals "
          f"{data.data.shape} in {time.perf_counter() - start:.1f} s; "
          f"{repeats} repeats, median times; zeroshash {zeroshash.__version__}, "
          f"numpy {np.__version__}, {os.cpu_count()} cores")
    codes = hasher.encode(data.data)

    ways = {
        "ours (save_model)": (save_model, load_model),
        "pickle (protocol 5)": (pickle_save, pickle_load),
        "np.savez + JSON": (plain_save, plain_load),
    }
    skops_way, skops_note = skops_ways()
    if skops_way is not None:
        ways[f"{skops_note} (trusted types)"] = skops_way
    else:
        print(f"skipped: {skops_note}")

    rows = []
    # One step per way, one for our overheads; the bar moves between the timed calls.
    with progress_bar(total=len(ways) + 1, desc="bench_persistence", unit="step") as bar:
        with tempfile.TemporaryDirectory() as folder:
            for i, (label, (save, load)) in enumerate(ways.items()):
                bar.set_postfix(way=label)
                path = os.path.join(folder, f"model{i}")
                t_save, _ = timed(repeats, save, hasher, path)
                t_load, loaded = timed(repeats, load, path)
                if not np.array_equal(loaded.encode(data.data), codes):
                    raise AssertionError(f"{label}: the loaded model's codes differ")
                rows.append((label, file_size(path), t_save, t_load))
                bar.update()
            if skops_way is not None:
                import skops.io as sio
                untrusted = sio.get_untrusted_types(file=os.path.join(folder, f"model{i}"))
                write_line(f"skops untrusted types to review before loading: {untrusted}")

        _, size0, save0, load0 = rows[0]
        write_line("")
        write_line(f"{'way':<34} {'size MB':>8} {'save ms':>8} {'load ms':>8} "
                   f"{'size/ours':>9} {'save/ours':>9} {'load/ours':>9}")
        for label, size, t_save, t_load in rows:
            write_line(f"{label:<34} {size / 1e6:8.3f} {t_save * 1e3:8.1f} {t_load * 1e3:8.1f} "
                       f"{size / size0:9.3f} {t_save / save0:9.2f} {t_load / load0:9.2f}")
        write_line("\nall ways give bit-identical codes on the 4000 animals rows")
        bar.set_postfix(way="ours: checksum and fsync")
        t_sum, t_sync = overheads(hasher, repeats)
        bar.update()
    print(f"of ours: SHA-256 of the arrays {t_sum * 1e3:.1f} ms (on save and on load), "
          f"fsync of a file that size {t_sync * 1e3:.1f} ms (on save)")


def overheads(hasher, repeats: int) -> tuple[float, float]:
    """Median times of our checksum over the fitted arrays and of one fsync'ed write."""
    arrays = [v for v in vars(hasher).values() if isinstance(v, np.ndarray)]
    t_sum, _ = timed(repeats, hashlib_sha256, arrays)
    payload = b"".join(a.tobytes() for a in arrays)

    def write_and_sync(folder):
        with open(os.path.join(folder, "blob"), "wb") as fh:
            fh.write(payload)
            fh.flush()
            start = time.perf_counter()
            os.fsync(fh.fileno())
            return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        t_sync = statistics.median(write_and_sync(folder) for _ in range(repeats))
    return t_sum, t_sync


def hashlib_sha256(arrays) -> str:
    digest = hashlib.sha256()
    for arr in arrays:
        digest.update(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
    return digest.hexdigest()


if __name__ == "__main__":
    main()
