"""Tests every registered hasher must pass, parametrised over the registry.

scikit-learn's estimator checks, the declared fitted state, transform / encode /
decision agreement, determinism, the monotone objective of the alternating hashers,
and one table of bad inputs. A new hasher joins by being registered
(``zeroshash._registry``); :func:`fast_params` shrinks any of them for speed.
"""

import warnings
import zlib

import numpy as np
import pytest
from _helpers import assert_non_increasing, mean_hamming_by_shared_labels, multilabel_problem
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from zeroshash import OneHotFallbackWarning, all_hashers, pack_bits
from zeroshash._alternating import AlternatingKernelHasher

SPECS = all_hashers()
NAMES = [spec.name for spec in SPECS]
# Methods bounded by the feature count (PCA directions) get few bits on the checks' data.
CHECK_BITS = {"pcah": 1, "itq": 1, "dbq": 2, "lsh": 4, "ksh": 4, "sh": 6}
_FAST = {"n_anchors": 20, "max_iter": 3, "n_labeled": 40, "n_components": 4, "n_parts": 3}


def hashed_word_vector(label) -> np.ndarray:
    """A deterministic 6-d vector for any label, so the checks' arbitrary labels resolve."""
    seed = zlib.crc32(repr(label).encode())
    return np.random.RandomState(seed).randn(6)


def fast_params(spec, bits=8, **extra) -> dict:
    """Small, seeded settings of a registered hasher (only parameters it has)."""
    names = spec.estimator().get_params()
    params = {"bits": bits, **{k: v for k, v in _FAST.items() if k in names}}
    if "random_state" in names:
        params["random_state"] = 0
    return {**params, **extra}


def check_instances():
    for spec in SPECS:
        bits = CHECK_BITS.get(spec.name, 8)
        yield spec.estimator(**fast_params(spec, bits))
        if spec.uses_word_vecs:
            yield spec.estimator(**fast_params(spec, bits, word_vecs=hashed_word_vector))
    # Method-specific variants that change the fit's code path.
    zsh, dbq, part = (next(s for s in SPECS if s.name == n) for n in ("zsh", "dbq", "part_align"))
    yield zsh.estimator(**fast_params(zsh, graph_weight=1e-4))
    yield zsh.estimator(**fast_params(zsh, graph_weight=1e-4, graph="knn"))
    yield dbq.estimator(**fast_params(dbq, 2, within_class_reg=None))
    yield dbq.estimator(**fast_params(dbq, 2, unlabeled_label=-1))
    yield dbq.estimator(**fast_params(dbq, 2, normalize="power", within_class_reg="auto"))
    yield dbq.estimator(**fast_params(dbq, 1, double_bit_share=0.0))
    yield dbq.estimator(**fast_params(dbq, 2, semantic_share=0.5, word_vecs=hashed_word_vector))
    yield part.estimator(**fast_params(part, mix_ratio=1.0, word_vecs=hashed_word_vector))


@pytest.fixture(autouse=True)
def _quiet_one_hot():
    # The checks fit the word-vector hashers without vectors on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OneHotFallbackWarning)
        yield


@parametrize_with_checks(list(check_instances()))
def test_sklearn_compatible(estimator, check):
    check(estimator)


def fitted(spec, data, **extra):
    X, y, word_vecs = data
    hasher = spec.estimator(**fast_params(spec, **extra))
    return hasher.fit(X, y, word_vecs if spec.uses_word_vecs else None)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_fitted_state_is_declared(spec, blobs):
    hasher = fitted(spec, blobs)
    public = {k for k in vars(hasher) if k.endswith("_") and not k.startswith("_")}
    assert public - {"n_features_in_", "feature_names_in_"} == set(spec.fitted_attributes)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_transform_encode_decision_agree(spec, blobs):
    hasher = fitted(spec, blobs)
    X = blobs[0]
    projections = hasher.decision_function(X)
    codes = hasher.transform(X)
    assert projections.shape == codes.shape == (X.shape[0], hasher.bits)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes, projections >= 0)
    np.testing.assert_array_equal(hasher.encode(X), pack_bits(codes))
    X, y, word_vecs = blobs
    refit = spec.estimator(**fast_params(spec))
    np.testing.assert_array_equal(
        refit.fit_transform(X, y, word_vecs=word_vecs if spec.uses_word_vecs else None), codes)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_deterministic_under_random_state(spec, blobs):
    a, b = fitted(spec, blobs), fitted(spec, blobs)
    np.testing.assert_array_equal(a.encode(blobs[0]), b.encode(blobs[0]))
    if "random_state" in a.get_params() and spec.name != "pcah":
        c = fitted(spec, blobs, random_state=1)
        assert not np.array_equal(a.decision_function(blobs[0]), c.decision_function(blobs[0]))


ALTERNATING = [s for s in SPECS if issubclass(s.estimator, AlternatingKernelHasher)]


@pytest.mark.parametrize("spec", ALTERNATING, ids=[s.name for s in ALTERNATING])
@pytest.mark.parametrize("with_word_vecs", [False, True])
def test_objective_never_increases(spec, blobs, with_word_vecs):
    X, y, word_vecs = blobs
    hasher = spec.estimator(**fast_params(spec, bits=16, n_anchors=60, max_iter=8, tol=0.0))
    hasher.fit(X, y, word_vecs if with_word_vecs and spec.uses_word_vecs else None)
    objective = hasher.objective_
    assert hasher.n_iter_ == len(objective) >= 1
    assert_non_increasing(objective)


BAD_FIT = [
    ("no y", lambda X, y: (X, None), "requires y", True),
    ("one sample", lambda X, y: (X[:1], y[:1]), "got 1 sample", False),
    ("1-D X", lambda X, y: (X[:, 0], y), "2D array", False),
    ("lengths", lambda X, y: (X, y[:-1]), "inconsistent numbers of samples", True),
    ("label type", lambda X, y: (X, y + 0.5), "Unknown label type", True),
    ("one class", lambda X, y: (X[y == 0], y[y == 0]), "at least 2 classes", True),
    ("nan", lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y),
     "NaN", False),
]


BAD_FIT_CASES = [
    pytest.param(spec, case, id=f"{case[0]}-{spec.name}")
    for spec in SPECS
    for case in BAD_FIT
    # Unsupervised hashers ignore y; one class is a valid fit where labels only refine.
    if (spec.supervised or not case[3])
    and (case[0] != "one class" or spec.estimator._needs_two_classes)
]


@pytest.mark.parametrize("spec, case", BAD_FIT_CASES)
def test_bad_fit_input_is_refused_before_any_work(spec, blobs, case):
    _, mutate, match, _ = case
    X, y = mutate(*blobs[:2])
    hasher = spec.estimator(**fast_params(spec))
    with pytest.raises(ValueError, match=match):
        hasher.fit(X, y)
    assert not [k for k in vars(hasher) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize("bits", [0, -3, 10**7, 2.5, "64"])
@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_bad_bits_are_refused_before_any_work(spec, blobs, bits):
    # bits=10**7 used to die inside a 728 TiB allocation; now the parameter check says so.
    hasher = spec.estimator(**{**fast_params(spec), "bits": bits})
    with pytest.raises(ValueError, match=r"'bits' parameter .* in the range \[1, 65536\]"):
        hasher.fit(*blobs[:2])
    assert not [k for k in vars(hasher) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_transform_checks_feature_count(spec, blobs):
    hasher = fitted(spec, blobs)
    name = spec.estimator.__name__
    with pytest.raises(ValueError, match=f"has 5 features, but {name} is expecting 20 features"):
        hasher.transform(blobs[0][:, :5])


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_ignored_or_missing_word_vectors_are_announced(spec, blobs):
    X, y, word_vecs = blobs
    hasher = spec.estimator(**fast_params(spec))
    if spec.uses_word_vecs:
        with pytest.warns(OneHotFallbackWarning, match="transfers nothing") as record:
            hasher.fit(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            hasher.fit(X, y, word_vecs)
    else:
        with pytest.warns(UserWarning, match="does not use word vectors") as record:
            hasher.fit(X, y, word_vecs)
    # Attributed to the caller's line, not to a line inside zeroshash or sklearn.
    assert {w.filename for w in record if "word vectors" in str(w.message)} == {__file__}


WORD_VEC_SPECS = all_hashers(uses_word_vecs=True)


@pytest.mark.parametrize("spec", WORD_VEC_SPECS, ids=[s.name for s in WORD_VEC_SPECS])
def test_word_vector_forms_give_the_same_model(spec, blobs):
    from gensim.models import KeyedVectors

    X, y, word_vecs = blobs
    names = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])
    labels = names[y]
    reference = spec.estimator(**fast_params(spec)).fit(X, labels, word_vecs).encode(X)
    as_dict = dict(zip(names, word_vecs))
    for source in (as_dict, as_dict.get):
        codes = spec.estimator(**fast_params(spec)).fit(X, labels, source).encode(X)
        np.testing.assert_array_equal(codes, reference)
    in_init = spec.estimator(**fast_params(spec, word_vecs=as_dict)).fit(X, labels)
    np.testing.assert_array_equal(in_init.encode(X), reference)
    kv = KeyedVectors(vector_size=word_vecs.shape[1])
    kv.add_vectors(list(names), word_vecs.astype(np.float32))
    codes = spec.estimator(**fast_params(spec)).fit(X, labels, kv).encode(X)
    assert (codes != reference).mean() < 0.05  # KeyedVectors stores float32


@pytest.mark.parametrize("spec", WORD_VEC_SPECS, ids=[s.name for s in WORD_VEC_SPECS])
def test_pipeline_carries_word_vectors(spec, blobs):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, word_vecs = blobs
    pipe = make_pipeline(StandardScaler(), spec.estimator(**fast_params(spec)))
    step = pipe.steps[-1][0]
    pipe.fit(X, y, **{f"{step}__word_vecs": word_vecs})
    assert pipe.transform(X).shape == (X.shape[0], 8)


BAD_WORD_VECS = [
    ("too few rows", lambda w: w[:5], "5 rows but y has 6 classes"),
    ("missing classes", lambda w: {0: w[0]}, r"no vector for 5 class\(es\)"),
    ("not finite", lambda w: np.where(w > 1, np.inf, w), "NaN or infinity"),
]


@pytest.mark.parametrize("spec", WORD_VEC_SPECS, ids=[s.name for s in WORD_VEC_SPECS])
@pytest.mark.parametrize("case", BAD_WORD_VECS, ids=[c[0] for c in BAD_WORD_VECS])
def test_bad_word_vectors_are_refused_before_any_work(spec, blobs, case):
    X, y, word_vecs = blobs
    hasher = spec.estimator(**fast_params(spec))
    with pytest.raises(ValueError, match=case[2]):
        hasher.fit(X, y, case[1](word_vecs))
    assert not [k for k in vars(hasher) if k.endswith("_") and not k.startswith("_")]


# -- multi-label y ----------------------------------------------------------------------------
MULTILABEL = all_hashers(multilabel=True)
ML_IDS = [s.name for s in MULTILABEL]
ML_BITS = {"dbq": 8}  # 2 bits a direction, at most n_components=4 directions


def test_every_supervised_hasher_takes_multilabel_y():
    # Each states what multi-label y means for its method (see README, "Multi-label data").
    assert [s.name for s in MULTILABEL] == [s.name for s in all_hashers(supervised=True)]


def fit_labels(spec, X, y, word_vecs, **extra):
    """One seeded fit on one BLAS thread (bit-for-bit comparisons); ``extra`` where it applies."""
    names = spec.estimator().get_params()
    hasher = spec.estimator(**fast_params(spec, **{k: v for k, v in extra.items() if k in names}))
    with threadpool_limits(limits=1):
        return hasher.fit(X, y, word_vecs if spec.uses_word_vecs else None)


@pytest.fixture(scope="module")
def multilabel():
    return multilabel_problem()


@pytest.mark.parametrize("spec", MULTILABEL, ids=ML_IDS)
def test_multilabel_codes_bring_samples_that_share_a_label_closer(spec, multilabel):
    X, Y, word_vecs = multilabel
    hasher = fit_labels(spec, X, Y, word_vecs, bits=ML_BITS.get(spec.name, 16), max_iter=5,
                        n_anchors=40, n_labeled=120)
    np.testing.assert_array_equal(hasher.classes_, np.arange(Y.shape[1]))
    sharing, disjoint = mean_hamming_by_shared_labels(hasher.transform(X), Y)
    assert sharing < 0.8 * disjoint, (sharing, disjoint)


@pytest.mark.parametrize(("spec", "with_word_vecs"), [
    pytest.param(spec, with_vecs, id=f"{spec.name}-{'word-vecs' if with_vecs else 'one-hot'}")
    for spec in MULTILABEL for with_vecs in (False, True) if spec.uses_word_vecs or not with_vecs
])
def test_one_hot_indicator_is_the_single_label_fit_bit_for_bit(spec, blobs, with_word_vecs):
    """The multi-label definitions reduce exactly -- the same arithmetic -- to one label."""
    X, y, word_vecs = blobs
    word_vecs = word_vecs if with_word_vecs else None
    single = fit_labels(spec, X, y, word_vecs)
    multi = fit_labels(spec, X, np.eye(6, dtype=np.uint8)[y], word_vecs)
    np.testing.assert_array_equal(multi.encode(X), single.encode(X))
    for name in spec.fitted_attributes:
        np.testing.assert_array_equal(getattr(multi, name), getattr(single, name), err_msg=name)


# Fitted histories that the method guarantees never to increase (COSDISH's objective_ is
# that of approximate block solvers, documented as not monotone).
MONOTONE = ("objective_", "label_objective_", "quantization_loss_")


@pytest.mark.parametrize("spec", MULTILABEL, ids=ML_IDS)
def test_multilabel_objectives_never_increase(spec, multilabel):
    X, Y, word_vecs = multilabel
    hasher = fit_labels(spec, X, Y, word_vecs, bits=ML_BITS.get(spec.name, 16),
                        n_anchors=60, max_iter=8, tol=0.0)
    histories = [name for name in MONOTONE if hasattr(hasher, name) and spec.name != "cosdish"]
    for name in histories:
        assert_non_increasing(getattr(hasher, name))
    if spec.name == "ksh":  # greedy bits: the kept solution never scores below the spectral one
        assert np.all(hasher.scores_ >= hasher.spectral_scores_)
    assert histories or spec.name in ("ksh", "cosdish")


# Where the method reads labels only through "shares a label" (pairwise methods), the
# mean of the labels' class vectors (equal vectors for the merged classes) or a
# within-class scatter, labels that always occur together are one class. Not so for
# SDH and BiBranch (each label is a regression target of its own), nor Asymmetric (each
# label has a class code of its own).
MERGE = [s for s in MULTILABEL if s.name in
         ("ksh", "cosdish", "zsh", "dbq", "part_align", "cross_modal")]


@pytest.mark.parametrize("spec", MERGE, ids=[s.name for s in MERGE])
def test_labels_that_always_occur_together_act_as_one_class(spec, blobs):
    X, y, word_vecs = blobs
    # Class 0 becomes the pair of labels {0, 1} with equal class vectors; class c > 0 is
    # label c + 1.
    Y = np.zeros((len(y), 7), dtype=np.uint8)
    Y[np.arange(len(y)), y + 1] = 1
    Y[y == 0, 0] = 1
    paired = np.vstack([word_vecs[:1], word_vecs])
    single = fit_labels(spec, X, y, word_vecs)
    multi = fit_labels(spec, X, Y, paired)
    np.testing.assert_array_equal(multi.encode(X), single.encode(X))
