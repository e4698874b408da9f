"""Diagnostics that make code collapse and over-fitting to seen classes visible.

A hasher can score well on seen classes while its codes carry little information:
bits that never change, bits that copy each other, thousands of images sharing a
few hundred codes. :func:`code_statistics` measures that on any set of codes;
:func:`seen_unseen_retrieval` compares retrieval for queries of unseen classes, of
held-out seen classes, and of both (the generalised setting).
:func:`radius_lookup_profile` takes precision within a Hamming radius apart: how
many queries find nothing, how many items the others find, and how precise those are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._bits import unpack_bits
from .metrics import (
    _check_bits,
    _check_radius,
    _counts_within,
    _packed_codes,
    _precision_from_counts,
    _ranking,
)

__all__ = ["code_statistics", "radius_lookup_profile", "seen_unseen_retrieval"]


def code_statistics(codes: ArrayLike, *, bits: int | None = None) -> dict:
    """Balance, correlation and diversity of a set of binary codes.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_bits) or (n_samples, ceil(bits / 8))
        0/1 bits, for instance ``hasher.transform(X_database)``, or packed codes
        (``hasher.encode(X_database)``) when ``bits`` is given.
    bits : int or None, default=None
        None: ``codes`` is a 0/1 bit array; an int: packed codes of that many bits. The
        rule and its errors are those of :mod:`zeroshash.metrics`.

    Returns
    -------
    stats : dict
        * ``bit_balance``: ndarray (bits,), share of ones of each bit;
        * ``mean_imbalance``: mean of ``|balance - 0.5|`` (0 = every bit splits the
          data in half, 0.5 = every bit constant);
        * ``n_constant_bits``: bits with the same value on every sample;
        * ``mean_abs_correlation``: mean absolute Pearson correlation between pairs of
          non-constant bits (0 = uncorrelated bits);
        * ``n_distinct_codes`` and ``distinct_ratio`` (distinct codes / samples);
        * ``code_entropy``: entropy in bits of the empirical code distribution
          (at most ``log2(n_samples)``).

    Examples
    --------
    >>> import numpy as np
    >>> from zeroshash.diagnostics import code_statistics
    >>> codes = np.array([[0, 1, 1], [1, 1, 0], [0, 1, 1], [1, 1, 0]])
    >>> stats = code_statistics(codes)
    >>> stats["n_constant_bits"], stats["n_distinct_codes"], stats["mean_abs_correlation"]
    (1, 2, 1.0)
    >>> from zeroshash import pack_bits
    >>> code_statistics(pack_bits(codes), bits=3)["n_distinct_codes"]
    2
    """
    bits = _check_bits(bits)
    arr = np.asarray(codes)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"codes must be a non-empty 2-D (n, bits) array; got shape {arr.shape}")
    packed, n_bits = _packed_codes(arr, bits, "codes")
    codes = arr.astype(np.uint8, copy=False) if bits is None else unpack_bits(packed, n_bits)
    balance = codes.mean(axis=0)
    constant = (balance == 0) | (balance == 1)
    varying = codes[:, ~constant].astype(np.float64)
    if varying.shape[1] >= 2:
        corr = np.corrcoef(varying, rowvar=False)
        off_diagonal = np.abs(corr[~np.eye(corr.shape[0], dtype=bool)])
        mean_corr = float(off_diagonal.mean())
    else:
        mean_corr = 0.0
    _, counts = np.unique(packed, axis=0, return_counts=True)
    p = counts / counts.sum()
    return {
        "bit_balance": balance,
        "mean_imbalance": float(np.abs(balance - 0.5).mean()),
        "n_constant_bits": int(constant.sum()),
        "mean_abs_correlation": mean_corr,
        "n_distinct_codes": int(counts.size),
        "distinct_ratio": float(counts.size / codes.shape[0]),
        "code_entropy": float(-(p * np.log2(p)).sum()),
    }


def seen_unseen_retrieval(hasher, X, y, split, *, radius: int = 2) -> dict:
    """Retrieval of a fitted hasher for unseen-class, seen-class and all queries.

    Parameters
    ----------
    hasher : fitted hasher
        Trained on ``split.train`` (seen classes only).
    X, y : arrays indexed by the split
    split : ZeroShotRetrievalSplit
        Made with ``n_seen_query_per_class > 0`` so that seen-class queries are held
        out of training (:func:`zeroshash.model_selection.zero_shot_retrieval_split`).
    radius : int, default=2

    Returns
    -------
    scores : dict
        ``unseen``, ``seen`` and ``generalised`` (both query sets together), each a
        dict of :func:`zeroshash.metrics.retrieval_scores` against the database.
    """
    if split.seen_query.size == 0:
        raise ValueError(
            "split has no held-out seen-class queries; make it with "
            "zero_shot_retrieval_split(..., n_seen_query_per_class=...)"
        )
    from .model_selection import _scores_by_query_set

    X, y = np.asarray(X), np.asarray(y)
    queries = np.concatenate([split.query, split.seen_query])
    scores = _scores_by_query_set(hasher.transform(X[queries]), hasher.transform(X[split.database]),
                                 y[queries], y[split.database], split.query.size, radius=radius)
    return {"unseen": scores["unseen"], "seen": scores["seen"], "generalised": scores["all"]}


def radius_lookup_profile(
    query_codes: ArrayLike, db_codes: ArrayLike, query_labels: ArrayLike,
    db_labels: ArrayLike, *, radius: int = 2, bits: int | None = None,
) -> dict:  # fmt: skip
    """What a hash lookup within Hamming ``radius`` returns, query by query.

    Precision within a radius (:func:`zeroshash.metrics.precision_within_radius`)
    mixes two things: how many queries retrieve nothing (they count 0) and how
    precise the items are for the others. Both depend on how many database items a
    radius-``r`` ball holds, which differs between codes of the same length: a
    double-bit code's radius 2 is a wider neighbourhood than a sign code's at 16 bits
    and a narrower one at 64. This separates them.

    Parameters
    ----------
    query_codes, db_codes : array-like of shape (n, n_bits) or (n, ceil(bits / 8))
        0/1 bits, or packed uint8 codes when ``bits`` is given.
    query_labels, db_labels : array-like of shape (n,) or (n, n_labels)
        As for :func:`zeroshash.metrics.mean_average_precision`.
    radius : int, default=2
    bits : int or None, default=None
        None: the codes are 0/1 bit arrays; an int: packed codes of that many bits
        (the rule of :mod:`zeroshash.metrics`).

    Returns
    -------
    profile : dict
        * ``precision``: mean over all queries, a query retrieving nothing counting 0
          (equal to ``precision_within_radius``);
        * ``precision_nonempty``: mean over the queries that retrieve something
          (nan when none does);
        * ``empty_fraction``: share of queries that retrieve nothing;
        * ``retrieved_mean`` and ``retrieved_median``: items within the radius per query.

    Examples
    --------
    >>> from zeroshash.diagnostics import radius_lookup_profile
    >>> db = [[0, 0, 0], [1, 1, 1], [0, 0, 1]]
    >>> profile = radius_lookup_profile([[0, 0, 0], [1, 1, 0]], db, [0, 1], [0, 1, 1], radius=0)
    >>> profile["precision"], profile["precision_nonempty"], profile["empty_fraction"]
    (0.5, 1.0, 0.5)
    """
    radius = _check_radius(radius)
    ranking = _ranking(query_codes, db_codes, query_labels, db_labels, bits=bits)
    got, hits = _counts_within(ranking, radius)
    precision = _precision_from_counts(got, hits)
    nonempty = got > 0
    return {
        "precision": float(precision.mean()),
        "precision_nonempty": float(precision[nonempty].mean()) if nonempty.any() else float("nan"),
        "empty_fraction": float(1.0 - nonempty.mean()),
        "retrieved_mean": float(got.mean()),
        "retrieved_median": float(np.median(got)),
    }
