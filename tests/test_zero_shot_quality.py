"""Zero-shot retrieval on the embedded real data: ZSH transfers to unseen classes."""

import numpy as np
import pytest

from zeroshash import LSHHasher, ZSHHasher
from zeroshash.datasets import load_animals, load_fashion
from zeroshash.model_selection import evaluate, zero_shot_retrieval_split


@pytest.mark.parametrize("loader", [load_animals, load_fashion])
def test_zsh_retrieves_unseen_classes_well_above_chance(loader):
    data = loader()
    split = zero_shot_retrieval_split(data.target, n_unseen=3, random_state=0)
    rows = evaluate(
        {"ZSH": ZSHHasher(random_state=0), "LSH": LSHHasher(random_state=0)},
        data.data, data.target, split, bits=(32,), word_vecs=data.class_vector_dict,
    )
    scores = {row["method"]: row["map"] for row in rows}
    # A random ranking scores the share of each unseen class in the database.
    db_labels = data.target[split.database]
    chance = np.mean([np.mean(db_labels == c) for c in split.unseen_classes])
    assert scores["ZSH"] > 2 * chance
    assert scores["LSH"] > chance
