"""Group-aware train/validation/test splits, shared across databases, and random subsamples.

The paper's leakage rule: every entry of a composition-spacegroup key goes to the same split, in
*every* database, so that no model is tested on a structure it (or a model trained on the other
database) has seen in training. The authors drew one ``GroupShuffleSplit`` over the union of both
databases; here the split of a key is a pure function of the key and a seed (a SHA-256 hash mapped
to [0, 1)), so the rule holds by construction for any number of datasets loaded at any time,
without a shared table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["SPLITS", "assign_splits", "group_splits", "key_uniform", "subsample"]

SPLITS: tuple[str, str, str] = ("train", "validation", "test")


def key_uniform(key: str, seed: int = 0) -> float:
    """A number in [0, 1) determined by ``key`` and ``seed`` only (SHA-256, first 8 bytes)."""
    digest = hashlib.sha256(f"{int(seed)}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(
            f"fractions must be three non-negative numbers (train, validation, test) summing to 1, "
            f"got {tuple(fractions)}"
        )
    return np.cumsum(f)


def group_splits(
    keys: Iterable[str],
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> dict[str, str]:
    """Map every distinct key to ``"train"``, ``"validation"`` or ``"test"``.

    The split of a key depends only on the key, ``fractions`` and ``seed``: the same key gets the
    same split in every dataset and every call. The fractions hold for *keys* in expectation
    (entries per key vary, so entry fractions scatter more).

    Parameters
    ----------
    keys
        Composition-spacegroup keys (repeats allowed).
    fractions
        Target fractions of keys in train, validation, test.
    seed
        Changes the assignment of every key.
    """
    edges = _check_fractions(fractions)
    out: dict[str, str] = {}
    for key in keys:
        if key in out:
            continue
        u = key_uniform(str(key), seed)
        index = int(np.searchsorted(edges, u, side="right"))
        out[key] = SPLITS[min(index, 2)]
    return out


def assign_splits(
    table: pd.DataFrame,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    *,
    key_column: str = "key",
) -> pd.Series:
    """Split label of every row of ``table`` (index aligned), grouped by ``key_column``.

    Examples
    --------
    >>> mp["split"] = assign_splits(mp)
    >>> cmr["split"] = assign_splits(cmr)   # shared keys land in the same split as in mp
    """
    if key_column not in table.columns:
        raise KeyError(f"table has no column {key_column!r}; columns: {list(table.columns)}")
    mapping = group_splits(table[key_column].astype(str), fractions, seed)
    return table[key_column].astype(str).map(mapping).rename("split")


def subsample(table: pd.DataFrame, n: int | None, *, seed: int = 0) -> pd.DataFrame:
    """At most ``n`` random rows of ``table``, in their order (all rows when ``n`` is None)."""
    if n is None or n >= len(table):
        return table.reset_index(drop=True)
    rows = np.sort(np.random.default_rng(seed).choice(len(table), size=n, replace=False))
    return table.iloc[rows].reset_index(drop=True)
