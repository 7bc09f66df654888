"""Chapter 2: overlap statistics of databases keyed by composition-spacegroup or formula.

How many entries and keys each database holds, which keys two databases share and how often a
key repeats (the paper's 8,591 shared keys and "about 16%" overlap; ``Ti2O4_136`` 127 times in
AFLOW). All functions take "common tables" (see :mod:`howbig.data.sources`): DataFrames with at
least a ``key`` column. The per-formula differences of Chapter 2's composition tables are in
:mod:`howbig.chapters.transferability.databases`.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = [
    "most_duplicated",
    "overview_table",
    "pairwise_overlap",
    "shared_keys",
]


def _keys(table: pd.DataFrame, key: str = "key") -> set[str]:
    if key not in table.columns:
        raise KeyError(f"table has no column {key!r}; columns: {list(table.columns)}")
    return set(table[key].dropna().astype(str))


def shared_keys(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> set[str]:
    """Keys present in *every* table (empty set if none, or if fewer than two tables)."""
    sets = [_keys(t, key) for t in tables.values()]
    if len(sets) < 2:
        return set()
    return set.intersection(*sets)


def overview_table(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> pd.DataFrame:
    """Entries, unique keys and keys found in other databases, per database.

    For each database: ``entries``; ``unique keys``; ``entries per key`` (mean);
    ``max entries per key``; ``keys in other DBs`` = keys also present in at least one *other*
    database of ``tables`` (not a pairwise number); ``% in other DBs`` = that count / unique keys
    x 100. An empty intersection gives 0 and 0 %. Pairwise numbers: :func:`pairwise_overlap`.
    """
    names = list(tables)
    key_sets = {n: _keys(tables[n], key) for n in names}
    rows = []
    for name in names:
        t = tables[name]
        others: set[str] = set().union(*(key_sets[o] for o in names if o != name))
        unique = len(key_sets[name])
        shared = len(key_sets[name] & others)
        counts = t[key].value_counts()
        rows.append(
            {
                "database": name,
                "entries": len(t),
                "unique keys": unique,
                "entries per key": len(t) / unique if unique else np.nan,
                "max entries per key": int(counts.max()) if len(counts) else 0,
                "keys in other DBs": shared,
                "% in other DBs": 100.0 * shared / unique if unique else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("database")


def pairwise_overlap(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> pd.DataFrame:
    """Shared keys of every pair of databases, as % of each side's keys and of their union.

    The paper's "about 16 %" is 8,591 shared keys over 54,438 (MP) or 50,652 (AFLOW) keys.
    """
    rows = []
    for a, b in combinations(list(tables), 2):
        ka, kb = _keys(tables[a], key), _keys(tables[b], key)
        shared = len(ka & kb)
        union = len(ka | kb)
        rows.append(
            {
                "A": a,
                "B": b,
                "keys A": len(ka),
                "keys B": len(kb),
                "shared keys": shared,
                "% of A": 100.0 * shared / len(ka) if ka else np.nan,
                "% of B": 100.0 * shared / len(kb) if kb else np.nan,
                "% of union": 100.0 * shared / union if union else np.nan,
            }
        )
    return pd.DataFrame(rows)


def most_duplicated(table: pd.DataFrame, n: int = 5, *, key: str = "key") -> pd.DataFrame:
    """The ``n`` keys with the most entries (the paper: ``Ti2O4_136`` 127 times in AFLOW).

    Returns a DataFrame with columns ``key`` and ``entries``, most frequent first (ties by key).
    """
    counts = table[key].astype(str).value_counts()
    frame = counts.rename_axis("key").reset_index(name="entries")
    frame = frame.sort_values(["entries", "key"], ascending=[False, True], kind="stable")
    return frame.head(n).reset_index(drop=True)
