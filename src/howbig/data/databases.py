"""The crystal databases a profile can name, loaded as common tables (Chapters 2 and 6).

Each loader returns the common table of :mod:`howbig.data.sources` (``atoms``, ``key``, targets);
:func:`load_databases` loads those a profile names, optionally as random subsamples.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["LOADERS", "load_databases", "subsample"]

#: Loader of each database the profiles can name (see ``howbig.profiles``, "transferability").
LOADERS: dict[str, str] = {
    "mp20_sample": "load_mp20_sample",   # quick: 847 MP structures (VASP-PBE)
    "mp2018": "load_mp2018",   # full: MP-crystals-2018.6.1, 69,239 entries
    "aflow": "load_aflow",     # full: AFLOW PAW_PBE entries via AFLUX
}


def load_databases(
    spec: Mapping[str, str],
    *,
    max_entries: Mapping[str, int] | None = None,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Load the databases of a profile as common tables.

    Parameters
    ----------
    spec
        Display name -> loader name (a key of :data:`LOADERS`), e.g.
        ``{"MP": "mp20_sample", "CMR": "cmr_perovskites"}``.
    max_entries
        Display name -> maximum number of entries (random subsample, see :func:`subsample`).
    seed
        Seed of the subsampling.
    """
    from howbig.data import sources

    max_entries = dict(max_entries or {})
    tables = {}
    for name, loader in spec.items():
        if loader not in LOADERS:
            raise ValueError(f"unknown database loader {loader!r}; known: {sorted(LOADERS)}")
        table = getattr(sources, LOADERS[loader])()
        tables[name] = subsample(table, max_entries.get(name), seed=seed)
    return tables


def subsample(table: pd.DataFrame, n: int | None, *, seed: int = 0) -> pd.DataFrame:
    """At most ``n`` random rows of ``table`` (all rows, in order, when ``n`` is None)."""
    if n is None or n >= len(table):
        return table.reset_index(drop=True)
    rows = np.sort(np.random.default_rng(seed).choice(len(table), size=n, replace=False))
    return table.iloc[rows].reset_index(drop=True)
