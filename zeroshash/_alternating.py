"""The base of the alternating kernel hashers (ZSH, SDH, BiBranch, PartAlign, CrossModal,
Asymmetric).

What they share lives here once, so each method's module states only its own
mathematics:

* **the kernel hash function** ``h(x) = sign(phi(x)^T P)`` over RBF anchors
  (:mod:`zeroshash._kernel_map`): :meth:`AlternatingKernelHasher._fit_anchors` draws the
  anchors and sets the bandwidth (``anchors_``, ``bandwidth_``), ``projection_`` holds
  ``P``, and one ``_project`` encodes new items;
* **the class targets**: :meth:`AlternatingKernelHasher._class_targets` turns the class
  vectors resolved by :func:`zeroshash.semantics.class_embeddings` into the matrix the
  method fits -- unit rows when ``normalize_word_vecs`` (the only place they are
  normalised), or the identity (one-hot labels) when no word vectors are given, with a
  :class:`OneHotFallbackWarning` when the method could have used them;
* **the alternation**: :meth:`AlternatingKernelHasher._alternate` runs a method's step
  (each block solved exactly, so the objective never increases) at most ``max_iter``
  times and stops after the first iteration that lowers the objective by at most
  ``tol * |objective|`` -- the one meaning of ``tol`` in the family. It records
  ``n_iter_`` and ``objective_``, and on a terminal shows a progress bar of the
  iterations with the objective (:mod:`zeroshash._progress`).

The shared vocabulary (one name, one meaning across the family; the table is in the
README's "One vocabulary" section):

``n_anchors``
    RBF anchors of the kernel hash function.
``nu``
    The code-fit weight: weight of ``||B - Phi P||^2``, tying codes to the hash outputs.
``hash_ridge``
    The ridge of the hash function's regression, ``nu (||B - Phi P||^2 + hash_ridge
    ||P||^2)``, so the P-step is ``P = (Phi^T Phi + hash_ridge I)^{-1} Phi^T B``.
``semantic_ridge``
    The ridge on the linear maps between codes and the class side (class vectors or
    labels, and a feature decoder where the method has one).
``max_iter``, ``tol``, ``n_sweeps``
    Most alternations; the stopping tolerance above; most passes of a discrete step.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._kernel_map import fit_anchor_map, project_rbf
from ._progress import progress_bar
from .base import NONNEGATIVE, POSITIVE, POSITIVE_INT, BaseHasher, caller_stacklevel

__all__ = [
    "AlternatingKernelHasher", "OneHotFallbackWarning", "SemanticKernelHasher", "unit_rows",
]


class OneHotFallbackWarning(UserWarning):
    """A hasher that embeds classes by word vectors was fitted without any.

    It then learns from one-hot labels, and nothing semantic transfers to classes
    unseen in training.
    """


def unit_rows(V: np.ndarray) -> np.ndarray:
    """A float64 copy of ``V`` with every nonzero row scaled to unit length."""
    V = np.array(V, dtype=np.float64)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    V /= np.where(norms > 0, norms, 1.0)
    return V


# Constraints of the parameters every alternating kernel hasher has.
_KERNEL_CONSTRAINTS: dict = {
    "n_anchors": POSITIVE_INT,
    "nu": POSITIVE,
    "hash_ridge": POSITIVE,
    "max_iter": POSITIVE_INT,
    "tol": NONNEGATIVE,
}


class AlternatingKernelHasher(BaseHasher):
    """Base class of the alternating kernel hashers; not meant to be used directly.

    Subclasses implement ``_fit(X, y, class_vectors)``: they call :meth:`_fit_anchors`,
    build their blocks, and hand a step function to :meth:`_alternate`; they set
    ``projection_`` (and their own fitted attributes, declared in
    ``_fitted_attributes``).
    """

    _parameter_constraints: dict = {**BaseHasher._parameter_constraints, **_KERNEL_CONSTRAINTS}
    _requires_y = True
    _fitted_attributes = (
        "anchors_", "bandwidth_", "projection_", "classes_", "n_iter_", "objective_",
    )

    # -- the kernel hash function -----------------------------------------------------------
    def _fit_anchors(self, X, rng, *, return_distances: bool = False):
        """Draw the anchors, set ``anchors_`` and ``bandwidth_``; the training features.

        Returns ``Phi`` (n, n_anchors_used + 1) in float64, and with
        ``return_distances`` also the squared sample-anchor distances in X's precision.
        """
        anchors, bandwidth, Phi, d2 = fit_anchor_map(X, self.n_anchors, rng)
        self.anchors_, self.bandwidth_ = anchors, bandwidth
        return (Phi, d2) if return_distances else Phi

    def _project(self, X):
        return project_rbf(X, self.anchors_, self.bandwidth_, self.projection_)

    # -- the class targets ----------------------------------------------------------------
    def _class_targets(self, class_vectors) -> np.ndarray:
        """The (n_classes, d) class targets: unit class vectors, or one-hot without any."""
        if class_vectors is None:
            if self._uses_word_vecs:
                warnings.warn(
                    f"{type(self).__name__} was fitted without word vectors: it learns from "
                    "one-hot labels and transfers nothing to classes unseen in training; pass "
                    "word_vecs (to fit or the constructor) for zero-shot retrieval",
                    OneHotFallbackWarning,
                    stacklevel=caller_stacklevel(),
                )
            return np.eye(self.classes_.shape[0])
        return self._scaled_class_vectors(class_vectors)

    def _scaled_class_vectors(self, V) -> np.ndarray:
        """Class vectors as the fit uses them (unit rows when ``normalize_word_vecs``)."""
        if getattr(self, "normalize_word_vecs", False):
            return unit_rows(V)
        return np.array(V, dtype=np.float64)

    # -- the alternation ------------------------------------------------------------------
    def _converged(self, objective: list) -> bool:
        """True after an iteration that lowered the objective by at most ``tol * |obj|``."""
        return len(objective) > 1 and objective[-2] - objective[-1] <= self.tol * abs(
            objective[-2]
        )

    def _alternate(self, step) -> None:
        """Run ``step()`` (one iteration; returns the objective after it) until converged.

        At most ``max_iter`` iterations; sets ``n_iter_`` and ``objective_``.
        """
        objective = []
        # On a terminal, a transient bar over max_iter showing the objective; drawn only
        # when the fit lasts over half a second, closed at convergence.
        with progress_bar(total=self.max_iter, desc=f"{type(self).__name__} fit",
                          unit="iter", delay=0.5) as bar:
            for _ in range(self.max_iter):
                objective.append(float(step()))
                bar.set_postfix(objective=f"{objective[-1]:.6g}", refresh=False)
                bar.update()
                if self._converged(objective):
                    break
        self.n_iter_ = len(objective)
        self.objective_ = np.asarray(objective)


class SemanticKernelHasher(AlternatingKernelHasher):
    """Base class of the alternating kernel hashers that embed classes by word vectors.

    Adds the two parameters of the class side they share: ``normalize_word_vecs`` and
    ``word_vecs`` (class vectors given at construction). Not meant to be used directly.
    """

    _parameter_constraints: dict = {
        **AlternatingKernelHasher._parameter_constraints,
        "normalize_word_vecs": ["boolean"],
        "word_vecs": "no_validation",
    }
    _uses_word_vecs = True

