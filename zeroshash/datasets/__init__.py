"""Datasets: real CNN features shipped with the package."""

from ._embedded import load_animals, load_fashion

__all__ = ["load_animals", "load_fashion"]
