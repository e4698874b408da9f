"""Every fit runs on the BLAS / OpenMP threads its ``n_jobs`` allows (zeroshash.base).

The cap is set once, by the base class around ``_fit``; these tests record the thread
counts in force *inside* each hasher's ``_fit``.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from test_common import SPECS, fast_params
from threadpoolctl import threadpool_info, threadpool_limits

from zeroshash import OneHotFallbackWarning, PCAHasher, ZSHHasher

NAMES = [spec.name for spec in SPECS]


def threads(api="blas") -> int:
    """The largest thread count of the loaded ``api`` libraries (0 if none)."""
    return max((info["num_threads"] for info in threadpool_info() if info["user_api"] == api),
               default=0)


DEFAULT_BLAS = threads("blas")
DEFAULT_OPENMP = threads("openmp")


def fit_recording(spec, data, monkeypatch, **params):
    """Fit ``spec`` on ``data``; the BLAS and OpenMP thread counts inside its ``_fit``."""
    seen = {}
    original = spec.estimator._fit

    def recording_fit(self, *args, **kwargs):
        seen.update(blas=threads("blas"), openmp=threads("openmp"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(spec.estimator, "_fit", recording_fit)
    X, y, word_vecs = data
    kwargs = {}
    if spec.input_kind == "patches":
        X = X.reshape(X.shape[0], 4, 5)
    if spec.input_kind == "two_modalities":
        kwargs["X_query"] = X[:, ::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OneHotFallbackWarning)
        spec.estimator(**fast_params(spec, **params)).fit(X, y, **kwargs)
    return seen


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_default_fit_runs_on_one_thread(spec, blobs, monkeypatch):
    seen = fit_recording(spec, blobs, monkeypatch)
    assert seen["blas"] == 1
    if DEFAULT_OPENMP:
        assert seen["openmp"] == 1
    # The thread counts are put back after the fit.
    assert (threads("blas"), threads("openmp")) == (DEFAULT_BLAS, DEFAULT_OPENMP)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_n_jobs_minus_one_keeps_the_library_default(spec, blobs, monkeypatch):
    assert fit_recording(spec, blobs, monkeypatch, n_jobs=-1)["blas"] == DEFAULT_BLAS


@pytest.mark.skipif(DEFAULT_BLAS < 2, reason="needs two BLAS threads")
def test_n_jobs_and_parallel_config(blobs, monkeypatch):
    spec = next(s for s in SPECS if s.name == "pcah")
    assert fit_recording(spec, blobs, monkeypatch, n_jobs=2)["blas"] == 2
    # -2: all cores but one.
    expected = max(1, min(DEFAULT_BLAS, joblib.cpu_count() - 1))
    assert fit_recording(spec, blobs, monkeypatch, n_jobs=-2)["blas"] == expected
    # None follows joblib's context; an explicit value does not.
    with joblib.parallel_config(n_jobs=2):
        assert fit_recording(spec, blobs, monkeypatch)["blas"] == 2
        assert fit_recording(spec, blobs, monkeypatch, n_jobs=1)["blas"] == 1


@pytest.mark.skipif(DEFAULT_BLAS < 2, reason="needs two BLAS threads")
def test_the_cap_only_lowers_an_enclosing_limit(blobs, monkeypatch):
    spec = next(s for s in SPECS if s.name == "pcah")
    with threadpool_limits(limits=1):
        assert fit_recording(spec, blobs, monkeypatch, n_jobs=-1)["blas"] == 1
        assert fit_recording(spec, blobs, monkeypatch, n_jobs=2)["blas"] == 1
        assert threads("blas") == 1
    assert threads("blas") == DEFAULT_BLAS


def test_zsh_loop_rule_lowers_the_cap_further(blobs, monkeypatch):
    # ZSH runs its skinny loop products on one thread whatever n_jobs allows.
    seen = []
    original = ZSHHasher._alternate

    def recording_alternate(self, step):
        seen.append(threads("blas"))
        return original(self, step)

    monkeypatch.setattr(ZSHHasher, "_alternate", recording_alternate)
    X, y, word_vecs = blobs
    for n_jobs in (None, -1):
        ZSHHasher(bits=8, n_anchors=20, max_iter=2, n_jobs=n_jobs, random_state=0).fit(
            X, y, word_vecs)
    assert seen == [1, 1]


def test_a_failed_fit_restores_the_threads(blobs):
    X, y, _ = blobs
    with pytest.raises(ValueError, match="bits must not exceed"):
        PCAHasher(bits=X.shape[1] + 1).fit(X)
    assert threads("blas") == DEFAULT_BLAS


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_bad_n_jobs(n_jobs, blobs):
    with pytest.raises(InvalidParameterError, match="n_jobs"):
        PCAHasher(bits=2, n_jobs=n_jobs).fit(blobs[0])


class RecordingPCA(PCAHasher):
    """PCAH that records the BLAS threads in force inside its fit (in joblib's workers)."""

    def _fit(self, X, y, class_vectors):
        super()._fit(X, y, class_vectors)
        self.fit_blas_threads_ = threads("blas")


def fit_threads_score(estimator, X, y=None) -> float:
    return float(estimator.fit_blas_threads_)


def test_grid_search_workers_do_not_oversubscribe(blobs):
    X = blobs[0]
    search = GridSearchCV(RecordingPCA(bits=2), {"n_jobs": [None, -1]}, cv=2, n_jobs=2,
                          scoring=fit_threads_score, refit=False).fit(X)
    per_fit = search.cv_results_["mean_test_score"]
    # The default fits on one thread; -1 stays within the cap joblib gives its workers
    # (cores // n_jobs), so two parallel fits never use more threads than cores.
    assert per_fit[0] == 1
    assert per_fit[1] <= max(1, joblib.cpu_count() // 2)


def test_no_fit_runs_numba():
    # n_jobs caps BLAS and OpenMP only: no fit may reach numba's (parallel) kernels.
    code = (
        "import sys, warnings\n"
        "import numpy as np\n"
        "from test_common import SPECS, fast_params\n"
        "warnings.simplefilter('ignore')\n"
        "rng = np.random.RandomState(0)\n"
        "y = np.repeat(np.arange(4), 30)\n"
        "X = rng.randn(4, 20)[y] * 4 + rng.randn(120, 20)\n"
        "for spec in SPECS:\n"
        "    Xs = X.reshape(120, 4, 5) if spec.input_kind == 'patches' else X\n"
        "    extra = {'X_query': X[:, ::-1]} if spec.input_kind == 'two_modalities' else {}\n"
        "    spec.estimator(**fast_params(spec)).fit(Xs, y, rng.randn(4, 3), **extra)\n"
        "assert 'numba' not in sys.modules, 'a fit imported numba'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
