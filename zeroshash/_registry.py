"""The registry of hashers: every member of the family, once, with its traits.

A new hasher is registered here and nowhere else: the command line, the benchmarks and
the common tests all read :func:`all_hashers`. The traits come from the class itself
(its ``_requires_y``, ``_uses_word_vecs``, ``_multilabel``, ``_input_kind``,
``_asymmetric`` and ``_fitted_attributes``), so they cannot disagree with what the estimator does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hashers as _h

__all__ = ["HasherSpec", "all_hashers", "get_hasher"]

_INPUT_KINDS = ("features", "patches", "two_modalities")
_FAMILIES = ("unsupervised", "supervised", "zero-shot")


@dataclass(frozen=True)
class HasherSpec:
    """One registered hasher: its names, class, family and reference.

    Attributes
    ----------
    name : str
        Short lower-case name (the command line's ``--method``), e.g. ``"zsh"``.
    label : str
        The name in results tables, e.g. ``"ZSH"``.
    estimator : type
        The hasher class.
    family : {"unsupervised", "supervised", "zero-shot"}
        How the field groups the method.
    reference : str
        The paper the method follows.
    """

    name: str
    label: str
    estimator: type
    family: str
    reference: str

    @property
    def supervised(self) -> bool:
        """Whether ``fit`` learns from labels ``y`` (with the default parameters)."""
        return bool(self.estimator()._requires_y)

    @property
    def uses_word_vecs(self) -> bool:
        """Whether ``fit`` embeds classes by word vectors (``word_vecs``), with the default
        parameters (``DoubleBitHasher`` uses them only with ``semantic_share > 0``)."""
        return bool(self.estimator()._uses_word_vecs)

    @property
    def multilabel(self) -> bool:
        """Whether ``fit`` accepts a multi-label ``y`` (a 0/1 indicator matrix)."""
        return bool(self.estimator()._requires_y and self.estimator._multilabel)

    @property
    def input_kind(self) -> str:
        """``"features"``, ``"patches"`` or ``"two_modalities"``."""
        return self.estimator._input_kind

    @property
    def asymmetric(self) -> bool:
        """Whether the database side has learned codes of its own (``database_codes_``)."""
        return bool(self.estimator._asymmetric)

    @property
    def fitted_attributes(self) -> tuple:
        """The attributes a fit sets (besides ``n_features_in_``, ``feature_names_in_``)."""
        return tuple(self.estimator._fitted_attributes)

    def make(self, *, random_state=None, **params):
        """A new, unfitted estimator with ``params`` and, where it has one, ``random_state``.

        The deterministic hashers (PCAH, SH) take no ``random_state``; the one seed can
        therefore be handed to every member of the family.

        Examples
        --------
        >>> from zeroshash import get_hasher
        >>> get_hasher("pcah").make(random_state=0, bits=16)
        PCAHasher(bits=16)
        >>> get_hasher("itq").make(random_state=0, bits=16)
        ITQHasher(bits=16, random_state=0)
        """
        if "random_state" in self.estimator._get_param_names():
            params["random_state"] = random_state
        return self.estimator(**params)


_REGISTRY = (
    HasherSpec("lsh", "LSH", _h.LSHHasher, "unsupervised",
               "Charikar, STOC 2002 (random hyperplanes)"),
    HasherSpec("pcah", "PCAH", _h.PCAHasher, "unsupervised",
               "Wang, Kumar & Chang, PAMI 2012"),
    HasherSpec("itq", "ITQ", _h.ITQHasher, "unsupervised",
               "Gong & Lazebnik, CVPR 2011"),
    HasherSpec("sh", "SH", _h.SpectralHasher, "unsupervised",
               "Weiss, Torralba & Fergus, NIPS 2008"),
    HasherSpec("ksh", "KSH", _h.KSHHasher, "supervised",
               "Liu, Wang, Ji, Jiang & Chang, CVPR 2012"),
    HasherSpec("sdh", "SDH", _h.SDHHasher, "supervised",
               "Shen, Shen, Liu & Shen, CVPR 2015"),
    HasherSpec("cosdish", "COSDISH", _h.COSDISHHasher, "supervised",
               "Kang, Li & Zhou, AAAI 2016"),
    HasherSpec("zsh", "ZSH", _h.ZSHHasher, "zero-shot",
               "Yang, Luo, Chen, Shen, Shao & Shen, ACM MM 2016"),
    HasherSpec("dbq", "DBQ", _h.DoubleBitHasher, "zero-shot",
               "Kong & Li, AAAI 2012 (double-bit quantisation), within-class whitening"),
    HasherSpec("bibranch", "BiBranch", _h.BiBranchHasher, "zero-shot",
               "Li et al., VSB2-Net, ICPR 2020 (shallow form)"),
    HasherSpec("part_align", "PartAlign", _h.PartAlignHasher, "zero-shot",
               "Jiang et al., RAZH, arXiv:2503.07037 (shallow form)"),
    HasherSpec("cross_modal", "CrossModal", _h.CrossModalHasher, "zero-shot",
               "Shen, Liu, Shen & Shao, ZSIH, CVPR 2018 (shallow form)"),
    HasherSpec("asymmetric", "Asymmetric", _h.AsymmetricHasher, "zero-shot",
               "Yang et al., ADSQ, IEEE Access 2019 (shallow form)"),
)


def all_hashers(
    *,
    family: str | None = None,
    supervised: bool | None = None,
    uses_word_vecs: bool | None = None,
    input_kind: str | None = None,
    asymmetric: bool | None = None,
    multilabel: bool | None = None,
) -> list[HasherSpec]:
    """Every registered hasher, optionally only those with the given traits.

    Parameters
    ----------
    family : {"unsupervised", "supervised", "zero-shot"} or None, default=None
    supervised, uses_word_vecs, asymmetric, multilabel : bool or None, default=None
        Keep only hashers whose trait has this value (None: any).
    input_kind : {"features", "patches", "two_modalities"} or None, default=None

    Returns
    -------
    specs : list of HasherSpec
        In the registry's order (unsupervised, supervised, then zero-shot methods).

    Examples
    --------
    >>> from zeroshash import all_hashers
    >>> [spec.name for spec in all_hashers(uses_word_vecs=True)]
    ['zsh', 'bibranch', 'part_align', 'cross_modal', 'asymmetric']
    >>> [spec.label for spec in all_hashers(input_kind="patches")]
    ['PartAlign']
    >>> len(all_hashers(multilabel=True)) == len(all_hashers(supervised=True))
    True
    """
    if family is not None and family not in _FAMILIES:
        raise ValueError(f"family must be one of {_FAMILIES}; got {family!r}")
    if input_kind is not None and input_kind not in _INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {_INPUT_KINDS}; got {input_kind!r}")
    for key, value in (("supervised", supervised), ("uses_word_vecs", uses_word_vecs),
                       ("asymmetric", asymmetric), ("multilabel", multilabel)):
        # A truthy string would match nothing and return an empty list, silently.
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{key} must be True, False or None; got {value!r}")
    wanted = {"family": family, "supervised": supervised, "uses_word_vecs": uses_word_vecs,
              "input_kind": input_kind, "asymmetric": asymmetric, "multilabel": multilabel}
    return [
        spec for spec in _REGISTRY
        if all(value is None or getattr(spec, key) == value for key, value in wanted.items())
    ]


def get_hasher(name: str) -> HasherSpec:
    """The registered hasher of a name or table label (case-insensitive).

    Examples
    --------
    >>> from zeroshash import get_hasher
    >>> get_hasher("ZSH").estimator.__name__
    'ZSHHasher'
    """
    key = str(name).lower()
    for spec in _REGISTRY:
        if key in (spec.name, spec.label.lower()):
            return spec
    names = ", ".join(spec.name for spec in _REGISTRY)
    raise ValueError(f"unknown hasher {name!r}; the registered hashers are: {names}")
