"""Crystal databases as k-NN graphs, split by composition-spacegroup key (Chapters 2 and 6).

Shared chapter code: it joins the data layer (the structure tables of a profile's
:func:`~howbig.profiles.data_sources`, the group splits) with the methods layer (graphs).
:func:`load_structures` loads the structure databases a profile names, :func:`prepare_graphs`
cuts each into train/validation/test graphs. The splits are group splits shared by all
databases (:func:`howbig.data.splits.assign_splits`), so no model is tested on a key that it saw
in training in either database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from howbig.data.splits import SPLITS, assign_splits, subsample
from howbig.methods.graphs import GraphSet, build_graphs

if TYPE_CHECKING:  # annotations only: the declaration imports every loader
    from howbig.profile_data import DataSource

__all__ = ["DatabaseGraphs", "load_structures", "prepare_graphs"]


def load_structures(sources: Iterable[DataSource], *, max_structures: int | None = None,
                    seed: int = 0) -> dict[str, pd.DataFrame]:
    """The common tables of structure sources, keyed by their short names.

    Parameters
    ----------
    sources
        Sources whose loader returns the common table of :mod:`howbig.data.sources` (``atoms``,
        ``key``, targets), e.g. ``data_sources("transferability", profile, role="structures")``.
    max_structures
        At most this many rows of each table (a random subsample, :func:`subsample`; ``None``:
        all).
    seed
        Seed of the subsampling.
    """
    tables = {}
    for source in sources:
        if source.short in tables:
            raise ValueError(f"two structure sources are called {source.short!r}")
        tables[source.short] = subsample(source.load(), max_structures, seed=seed)
    return tables


@dataclass
class DatabaseGraphs:
    """One database cut into train/validation/test graphs, with the rows they came from."""

    name: str
    graphs: dict[str, GraphSet]
    rows: dict[str, pd.DataFrame]

    def sizes(self) -> dict[str, int]:
        """Entries per split."""
        return {s: len(self.graphs[s]) for s in SPLITS}


def prepare_graphs(
    tables: Mapping[str, pd.DataFrame],
    *,
    target: str = "formation_energy_per_atom",
    k: int = 12,
    split_seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    progress: bool = True,
    n_jobs: int = 1,
) -> dict[str, DatabaseGraphs]:
    """k-NN graphs of every database, split by composition-spacegroup key.

    Parameters
    ----------
    tables
        Common tables (need ``atoms``, ``key`` and ``target``), by database name (as
        :func:`load_structures` returns them).
    target
        Column used as the label.
    k
        Neighbours per atom.
    split_seed, fractions
        Passed to :func:`howbig.data.splits.assign_splits`; the same seed gives every key the
        same split in every database.
    progress
        Show tqdm bars.
    n_jobs
        Processes for the neighbour search (:func:`howbig.methods.graphs.build_graphs`; ``-1``:
        all).
    """
    out = {}
    for name, table in tables.items():
        table = table[np.isfinite(table[target].to_numpy(float))].reset_index(drop=True)
        split = assign_splits(table, fractions, split_seed)
        graphs = build_graphs(list(table["atoms"]), table[target].to_numpy(float), k=k,
                              progress=progress, n_jobs=n_jobs)
        sets, rows = {}, {}
        for s in SPLITS:
            idx = np.flatnonzero(split.to_numpy() == s)
            sets[s] = graphs.subset(idx)
            rows[s] = table.iloc[idx].drop(columns=["atoms"]).reset_index(drop=True)
        out[name] = DatabaseGraphs(name, sets, rows)
    return out
