"""Model files (zeroshash.persistence): every registered hasher round-trips bit-identically;
foreign, damaged, truncated and newer files are refused; writes are atomic; no pickle."""

import io
import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _helpers import multilabel_problem
from sklearn.exceptions import NotFittedError
from test_common import fast_params

import zeroshash
from zeroshash import (
    OneHotFallbackWarning,
    ZSHHasher,
    all_hashers,
    get_hasher,
    load_model,
    save_model,
)
from zeroshash import persistence as P
from zeroshash.persistence import ModelFileError, read_manifest

SPECS = all_hashers()
NAMES = [spec.name for spec in SPECS]


@pytest.fixture(autouse=True)
def _quiet_one_hot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OneHotFallbackWarning)
        yield


def fit_inputs(spec, data):
    """(X as the hasher takes it, fit keywords): patches 3-D, a second modality paired."""
    X, _, _ = data
    if spec.input_kind == "patches":
        return X.reshape(len(X), 4, 5), {}
    if spec.input_kind == "two_modalities":
        rng = np.random.RandomState(1)
        return X, {"X_query": X[:, :10] * 2 + rng.randn(len(X), 10)}
    return X, {}


def fit(spec, data, y=None, **extra):
    X, labels, word_vecs = data
    Xf, kw = fit_inputs(spec, data)
    hasher = spec.estimator(**fast_params(spec, **extra))
    return hasher.fit(Xf, labels if y is None else y,
                      word_vecs if spec.uses_word_vecs else None, **kw)


def fitted_state(hasher) -> dict:
    return {k: v for k, v in vars(hasher).items() if k.endswith("_") and not k.startswith("_")}


def assert_same_model(loaded, saved, spec, data):
    assert type(loaded) is type(saved)
    assert loaded.get_params() == saved.get_params()
    want, got = fitted_state(saved), fitted_state(loaded)
    assert set(got) == set(want)
    for key, value in want.items():
        assert type(got[key]) is type(value), key
        if isinstance(value, np.ndarray):
            assert got[key].dtype == value.dtype and np.array_equal(got[key], value), key
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(got[key])
        else:
            assert got[key] == value, key
    Xf, kw = fit_inputs(spec, data)
    for method in ("decision_function", "transform", "encode"):
        assert np.array_equal(getattr(loaded, method)(Xf), getattr(saved, method)(Xf))
    if "X_query" in kw:
        for method in ("decision_function_query", "transform_query", "encode_query"):
            assert np.array_equal(getattr(loaded, method)(kw["X_query"]),
                                  getattr(saved, method)(kw["X_query"]))


def round_trip(hasher, path):
    save_model(hasher, path)
    return load_model(path)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_every_registered_hasher_round_trips_bit_identically(spec, blobs, tmp_path):
    hasher = fit(spec, blobs)
    path = tmp_path / f"{spec.name}.npz"
    assert_same_model(round_trip(hasher, path), hasher, spec, blobs)
    manifest = read_manifest(path)
    assert manifest["format"] == "zeroshash.model" and manifest["format_version"] == 1
    assert manifest["zeroshash_version"] == zeroshash.__version__
    assert manifest["hasher"] == spec.name and manifest["class"] == spec.estimator.__name__
    assert manifest["params"] == hasher.get_params(deep=False)
    stored = set(manifest["attributes"]) | {e["name"] for e in manifest["arrays"]}
    assert stored == set(fitted_state(hasher))


MULTILABEL = all_hashers(multilabel=True)


@pytest.mark.parametrize("spec", MULTILABEL, ids=[s.name for s in MULTILABEL])
def test_multilabel_fit_round_trips_bit_identically(spec, tmp_path):
    data = multilabel_problem()
    hasher = fit(spec, data, y=data[1])
    assert_same_model(round_trip(hasher, tmp_path / "ml.npz"), hasher, spec, data)
    np.testing.assert_array_equal(load_model(tmp_path / "ml.npz").classes_, np.arange(6))


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_string_labels_and_feature_names_come_back_as_object_arrays(spec, blobs, tmp_path):
    _, y, _ = blobs
    names = np.array(["cat", "dog", "emu", "fox", "gnu", "hen"], dtype=object)
    hasher = fit(spec, blobs, y=names[y])
    hasher.feature_names_in_ = np.array([f"f{i}" for i in range(20)], dtype=object)
    loaded = round_trip(hasher, tmp_path / "m.npz")
    assert_same_model(loaded, hasher, spec, blobs)
    if hasattr(hasher, "classes_"):
        assert loaded.classes_.dtype == object and list(loaded.classes_) == list(names)
        assert all(type(c) is str for c in loaded.classes_)


@pytest.mark.parametrize(("name", "extra"), [
    ("dbq", {"within_class_reg": None}),  # unsupervised: no classes_
    ("dbq", {"unlabeled_label": -1}),
    ("zsh", {"graph": "knn", "graph_weight": 1e-4}),
    ("asymmetric", {"label_input": "onehot"}),
    ("part_align", {"n_patches": 4}),
    ("zsh", {"nu": np.float64(1e-5), "n_anchors": np.int64(20)}),  # NumPy parameters
])
def test_parameter_variants_round_trip(name, extra, blobs, tmp_path):
    spec = get_hasher(name)
    hasher = fit(spec, blobs, **extra)
    assert_same_model(round_trip(hasher, tmp_path / "m.npz"), hasher, spec, blobs)


def test_numpy_and_non_finite_scalars_keep_their_type(blobs, tmp_path):
    spec = get_hasher("zsh")
    hasher = fit(spec, blobs)
    hasher.n_iter_, hasher.bandwidth_ = np.int32(3), np.float32(hasher.bandwidth_)
    loaded = round_trip(hasher, tmp_path / "m.npz")
    assert type(loaded.n_iter_) is np.int32 and type(loaded.bandwidth_) is np.float32
    assert_same_model(loaded, hasher, spec, blobs)
    hasher.bandwidth_ = float("nan")
    assert np.isnan(round_trip(hasher, tmp_path / "m.npz").bandwidth_)
    assert read_manifest(tmp_path / "m.npz")["attributes"]["bandwidth_"] == {
        "type": "float", "value": "nan"}  # standard JSON: no NaN token


def test_non_finite_parameters_are_written_as_standard_json():
    for value in (float("inf"), float("-inf"), float("nan")):
        encoded = P._encode_param(ZSHHasher(), "tol", value)
        assert encoded == {"float": repr(value)}
        assert repr(P._decode_param(json.loads(json.dumps(encoded)))) == repr(value)


def test_file_is_a_plain_npz_without_pickle(blobs, tmp_path):
    spec = get_hasher("asymmetric")
    hasher = fit(spec, blobs)
    path = tmp_path / "m.npz"
    save_model(hasher, path)
    with np.load(path, allow_pickle=False) as npz:
        members = {key: npz[key] for key in npz.files}
    assert all(arr.dtype.kind in "biufcUS" for arr in members.values())
    manifest = json.loads(members.pop("__manifest__.json").tobytes().decode("utf-8"),
                          parse_constant=pytest.fail)  # no NaN / Infinity tokens
    assert [e["name"] for e in manifest["arrays"]] == sorted(members)
    assert np.array_equal(members["database_codes_"], hasher.database_codes_)


def test_path_is_used_exactly_as_given(blobs, tmp_path):
    hasher = fit(get_hasher("lsh"), blobs)
    for path in (tmp_path / "model.bin", str(tmp_path / "model"), tmp_path / "m.npz"):
        save_model(hasher, path)
        assert os.path.isfile(path) and not os.path.exists(f"{path}.npz")
        assert np.array_equal(load_model(path).projection_, hasher.projection_)
    assert sorted(os.listdir(tmp_path)) == ["m.npz", "model", "model.bin"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_file_has_the_usual_permissions(blobs, tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    save_model(fit(get_hasher("lsh"), blobs), tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o666 & ~umask


def test_pickle_still_works(blobs):
    for name in ("zsh", "cross_modal"):
        spec = get_hasher(name)
        hasher = fit(spec, blobs)
        assert_same_model(pickle.loads(pickle.dumps(hasher)), hasher, spec, blobs)


# -- refused on saving -------------------------------------------------------------------
def test_unfitted_hasher_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(ZSHHasher(), tmp_path / "m.npz")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(("param", "value"), [
    ("word_vecs", {0: [1.0]}),
    ("word_vecs", len),
    ("word_vecs", np.eye(6)),
    ("random_state", np.random.RandomState(0)),
])
def test_non_serialisable_parameter_is_refused_by_name(param, value, blobs, tmp_path):
    hasher = fit(get_hasher("zsh"), blobs).set_params(**{param: value})
    with pytest.raises(ValueError, match=rf"parameter {param}=.*set_params\({param}=None\)"):
        save_model(hasher, tmp_path / "m.npz")
    assert not os.listdir(tmp_path)


def test_unregistered_class_and_unexpected_attribute_types_are_refused(blobs, tmp_path):
    class MyZSH(ZSHHasher):
        pass

    X, y, wv = blobs
    with pytest.raises(TypeError, match="not one of them"):
        save_model(MyZSH(**fast_params(get_hasher("zsh"))).fit(X, y, wv), tmp_path / "m.npz")
    hasher = fit(get_hasher("zsh"), blobs)
    for attribute, value, message in [
        ("classes_", np.arange(6).astype(object), "object array of int"),
        ("n_iter_", (3,), "is a tuple"),
        ("projection_", np.ma.masked_array(hasher.projection_), "plain ndarrays only"),
        ("anchors_", np.zeros(3, dtype="datetime64[s]"), "cannot hold"),
    ]:
        broken = pickle.loads(pickle.dumps(hasher))
        setattr(broken, attribute, value)
        with pytest.raises(TypeError, match=message):
            save_model(broken, tmp_path / "m.npz")
    broken.extra_ = 1
    with pytest.raises(TypeError, match="does not declare"):
        save_model(broken, tmp_path / "m.npz")
    assert not os.listdir(tmp_path)


# -- refused on loading ------------------------------------------------------------------
@pytest.fixture
def saved(blobs, tmp_path):
    """(hasher, path of its model file)."""
    hasher = fit(get_hasher("lsh"), blobs)
    path = tmp_path / "lsh.npz"
    save_model(hasher, path)
    return hasher, path


def members_of(path) -> tuple[dict, dict]:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    manifest = json.loads(arrays.pop("__manifest__.json").tobytes())
    return manifest, arrays


def rewrite(path, manifest, arrays, *, checksum=True):
    """Write a consistent zip of the given manifest and arrays (checksum recomputed)."""
    if checksum:
        ordered = [arrays[e["name"]] for e in manifest["arrays"]]
        manifest["checksum"]["value"] = P._checksum(manifest, ordered)
    raw = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, **{"__manifest__.json": raw})


def refused(path, *patterns):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert repr(os.fspath(path)) in message
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_flipped_byte_in_an_array_is_refused(saved):
    hasher, path = saved
    raw = bytearray(path.read_bytes())
    start = raw.find(hasher.projection_.tobytes())
    assert start > 0
    raw[start + 5] ^= 0xFF
    path.write_bytes(bytes(raw))
    refused(path, "damaged")


def test_any_flipped_byte_is_refused_or_harmless(saved, blobs):
    # A flip in zip metadata that nothing reads (a timestamp) loads the same model.
    hasher, path = saved
    original = path.read_bytes()
    n_refused = 0
    for offset in range(0, len(original), 3):
        raw = bytearray(original)
        raw[offset] ^= 0x55
        path.write_bytes(bytes(raw))
        try:
            loaded = load_model(path)
        except ModelFileError:
            n_refused += 1
            continue
        assert_same_model(loaded, hasher, get_hasher("lsh"), blobs)
    assert n_refused > 0.8 * len(original) / 3


def test_consistently_rewritten_arrays_or_manifest_fail_the_checksum(saved):
    _, path = saved
    manifest, arrays = members_of(path)
    arrays["projection_"] = arrays["projection_"] * 2
    rewrite(path, manifest, arrays, checksum=False)
    refused(path, "checksum mismatch")
    manifest, arrays = members_of(path)
    arrays["projection_"] = arrays["projection_"] / 2
    manifest["params"]["bits"] = 4
    rewrite(path, manifest, arrays, checksum=False)
    refused(path, "checksum mismatch")


@pytest.mark.parametrize("keep", [0, 1, 100, 0.5, -22, -1])
def test_truncated_file_is_refused(saved, keep):
    _, path = saved
    raw = path.read_bytes()
    path.write_bytes(raw[: int(keep * len(raw)) if isinstance(keep, float) else keep])
    refused(path)


def test_foreign_files_are_refused(saved, tmp_path):
    hasher, _ = saved
    cases = {
        "random.npz": (np.random.RandomState(0).bytes(4000), "not a zip"),
        "array.npy": (None, "single .npy array"),
        "plain.npz": (None, "no __manifest__.json"),
        "model.pkl": (pickle.dumps(hasher), "not a zip"),
        "text.zip": (None, "no __manifest__.json"),
    }
    for name, (content, pattern) in cases.items():
        path = tmp_path / name
        if name == "array.npy":
            np.save(path, np.arange(5))
        elif name == "plain.npz":
            np.savez(path, projection_=hasher.projection_)
        elif name == "text.zip":
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("readme.txt", "hello")
        else:
            path.write_bytes(content)
        refused(path, pattern)


@pytest.mark.parametrize(("change", "pattern"), [
    ({"format": "sklearn.model"}, "format is 'sklearn.model'"),
    ({"format_version": 2}, "has format version 2, newer than the version 1"),
    ({"format_version": "1"}, "format_version '1'"),
    ({"hasher": "os.system"}, "not registered"),
    ({"hasher": "ZSH"}, "registry's name"),
    ({"params": {"bits": 8, "center": True, "random_state": 0, "eval": "x"}}, "no parameters"),
    ({"params": {"bits": -3, "center": True, "random_state": 0}}, "malformed"),
    ({"attributes": {"__class__": {"type": "int", "value": 1}}}, "no fitted attributes"),
    ({"attributes": {"n_iter_": {"type": "int", "value": "3"}}}, "malformed"),
    ({"attributes": {"n_iter_": {"type": "numpy", "dtype": "O", "value": 3}}}, "malformed"),
    ({"arrays": []}, "do not match the manifest"),
    ({"checksum": {"algorithm": "md5", "value": ""}}, "checksum mismatch"),
])
def test_manifest_problems_are_refused(saved, change, pattern):
    _, path = saved
    manifest, arrays = members_of(path)
    manifest.update(change)
    rewrite(path, manifest, arrays, checksum=change.get("checksum") is None)
    refused(path, pattern)


def test_members_that_disagree_with_the_manifest_are_refused(saved):
    _, path = saved
    manifest, arrays = members_of(path)
    arrays["mean_"] = arrays["mean_"].astype(np.float32)
    rewrite(path, manifest, arrays)
    refused(path, "member 'mean_' is float32")
    manifest, arrays = members_of(path)
    manifest["arrays"][0]["dtype"] = "O"
    arrays["mean_"] = np.array([None, 1], dtype=object)
    with open(path, "wb") as fh:  # an object member: np.load refuses to unpickle it
        np.savez(fh, **arrays, **{"__manifest__.json": np.frombuffer(
            json.dumps(manifest).encode(), dtype=np.uint8)})
    refused(path, "damaged")
    for raw in (b"\xff\xfe", b"[1, 2]", b"{"):
        with open(path, "wb") as fh:
            np.savez(fh, **{"__manifest__.json": np.frombuffer(raw, dtype=np.uint8)})
        refused(path, "unreadable manifest")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.npz")


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


# -- atomic writes -----------------------------------------------------------------------
def failing(exc):
    def fail(*args, **kwargs):
        raise exc
    return fail


@pytest.mark.parametrize(("target", "exc"), [
    ("replace", OSError("disk full")),
    ("fsync", OSError("I/O error")),
    ("replace", KeyboardInterrupt()),
])
def test_failed_write_leaves_no_file_and_the_old_one_intact(saved, blobs, monkeypatch,
                                                            target, exc):
    _, path = saved
    before = path.read_bytes()
    other = fit(get_hasher("lsh"), blobs, bits=16)
    monkeypatch.setattr(os, target, failing(exc))
    for destination in (path, path.with_name("new.npz")):
        with pytest.raises(type(exc)):
            save_model(other, destination)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == before


def test_failure_while_writing_the_archive_leaves_nothing(saved, blobs, monkeypatch):
    _, path = saved
    before = path.read_bytes()

    def half_written(fh, **arrays):
        fh.write(b"PK\x03\x04 half")
        raise MemoryError

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(MemoryError):
        save_model(fit(get_hasher("lsh"), blobs), path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name] and path.read_bytes() == before


def test_saving_again_replaces_the_file(saved, blobs):
    _, path = saved
    other = fit(get_hasher("lsh"), blobs, bits=16)
    save_model(other, Path(path))
    assert load_model(str(path)).bits == 16
    assert os.listdir(path.parent) == [path.name]


def test_save_writes_to_an_open_file_not_a_name(saved, monkeypatch):
    # np.savez given a name would append ".npz"; the writer hands it a file object.
    hasher, path = saved
    seen = []
    real = np.savez
    monkeypatch.setattr(np, "savez", lambda fh, **a: (seen.append(fh), real(fh, **a)))
    save_model(hasher, path)
    assert isinstance(seen[0], io.BufferedIOBase)


def test_a_model_file_from_before_new_parameters_loads_as_it_was_saved():
    """tests/data/dbq_before_issue16.npz was written by zeroshash at commit aaf1f9b, before
    DoubleBitHasher had ``normalize`` (now "l2" by default): it must load with no
    normalisation and give the codes it gave then."""
    data = Path(__file__).parent / "data"
    hasher = load_model(data / "dbq_before_issue16.npz")
    assert hasher.normalize is None and hasher.semantic_share == 0.0
    assert hasher.within_class_reg == 3.0  # saved explicitly: the default of that time
    saved = np.load(data / "dbq_before_issue16_codes.npz")
    np.testing.assert_array_equal(hasher.transform(saved["X"]), saved["codes"])
