"""The registry lists every hasher once, with traits that agree with the classes."""

import inspect

import pytest

import zeroshash
from zeroshash import BaseHasher, all_hashers, get_hasher


def test_every_public_hasher_registered_once():
    public = {obj for name in zeroshash.__all__
              if inspect.isclass(obj := getattr(zeroshash, name))
              and issubclass(obj, BaseHasher) and obj is not BaseHasher}
    registered = [spec.estimator for spec in all_hashers()]
    assert len(registered) == len(set(registered))
    assert set(registered) == public


def test_names_and_labels_unique_and_found_case_insensitively():
    specs = all_hashers()
    owner = {}
    for spec in specs:
        for key in {spec.name, spec.label.lower()}:
            assert owner.setdefault(key, spec) is spec, f"{key!r} names two hashers"
        assert get_hasher(spec.name) is spec
        assert get_hasher(spec.label.upper()) is spec


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match="unknown hasher 'nope'.*zsh"):
        get_hasher("nope")


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"input_kind": "patches"}, ["part_align"]),
        ({"input_kind": "two_modalities"}, ["cross_modal"]),
        ({"asymmetric": True}, ["asymmetric"]),
        ({"family": "unsupervised"}, ["lsh", "pcah", "itq", "sh"]),
        ({"supervised": False}, ["lsh", "pcah", "itq", "sh"]),
        ({"uses_word_vecs": True, "asymmetric": False},
         ["zsh", "bibranch", "part_align", "cross_modal"]),
    ],
)
def test_filters(filters, expected):
    assert [s.name for s in all_hashers(**filters)] == expected


@pytest.mark.parametrize("filters", [{"family": "deep"}, {"input_kind": "images"}])
def test_bad_filter_values(filters):
    with pytest.raises(ValueError, match="must be one of"):
        all_hashers(**filters)


@pytest.mark.parametrize("spec", all_hashers(), ids=lambda s: s.name)
def test_traits_agree_with_the_class(spec):
    cls = spec.estimator
    assert spec.uses_word_vecs == cls._uses_word_vecs
    assert spec.input_kind == cls._input_kind
    assert spec.fitted_attributes == cls._fitted_attributes
    assert spec.supervised == cls()._requires_y
    hasher = spec.make(random_state=0, bits=8)
    assert isinstance(hasher, cls) and hasher.bits == 8
