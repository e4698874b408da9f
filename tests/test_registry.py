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
    with pytest.raises(ValueError, match="unknown hasher 'nope'") as error:
        get_hasher("nope")
    listed = str(error.value).split("registered hashers are: ", 1)[1]
    assert listed.split(", ") == [spec.name for spec in all_hashers()]


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


TRAIT_VALUES = {
    "family": ["unsupervised", "supervised", "zero-shot"],
    "supervised": [True, False],
    "uses_word_vecs": [True, False],
    "input_kind": ["features", "patches", "two_modalities"],
    "asymmetric": [True, False],
}


@pytest.mark.parametrize("trait", TRAIT_VALUES)
def test_each_filter_keeps_the_hashers_with_that_trait(trait):
    specs = all_hashers()
    kept = {value: all_hashers(**{trait: value}) for value in TRAIT_VALUES[trait]}
    for value, subset in kept.items():
        assert subset == [s for s in specs if getattr(s, trait) == value]
    # The values partition the registry.
    assert sorted(s.name for subset in kept.values() for s in subset) == sorted(
        s.name for s in specs)


@pytest.mark.parametrize(
    "filters, match",
    [({"family": "deep"}, "family must be one of"),
     ({"input_kind": "images"}, "input_kind must be one of"),
     ({"supervised": "no"}, "supervised must be True, False or None; got 'no'"),
     ({"uses_word_vecs": 1}, "uses_word_vecs must be"),
     ({"asymmetric": "yes"}, "asymmetric must be")],
)
def test_bad_filter_values(filters, match):
    with pytest.raises(ValueError, match=match):
        all_hashers(**filters)


@pytest.mark.parametrize("spec", all_hashers(), ids=lambda s: s.name)
def test_traits_agree_with_the_class(spec):
    cls = spec.estimator
    assert spec.uses_word_vecs == cls()._uses_word_vecs
    assert spec.input_kind == cls._input_kind
    assert spec.fitted_attributes == cls._fitted_attributes
    assert spec.supervised == cls()._requires_y
    assert spec.asymmetric == cls._asymmetric == ("database_codes_" in cls._fitted_attributes)
    assert spec.family in TRAIT_VALUES["family"]
    assert (spec.family == "unsupervised") == (not spec.supervised)
    assert spec.name == spec.name.lower() and get_hasher(spec.label.lower()) is spec
    hasher = spec.make(random_state=0, bits=8)
    assert isinstance(hasher, cls) and hasher.bits == 8
