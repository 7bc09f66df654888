"""Databases as k-NN graphs, split by composition-spacegroup key (Chapters 2 and 6).

The splits are group splits shared by all databases (:func:`howbig.data.splits.assign_splits`),
so no model is tested on a key that it saw in training in either database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.data.splits import SPLITS, assign_splits
from howbig.methods.graphs import GraphSet, build_graphs

__all__ = ["DatabaseGraphs", "prepare_graphs"]


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
        Common tables (need ``atoms``, ``key`` and ``target``), by database name.
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
