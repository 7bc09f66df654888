"""Chapter 2, the transfer matrix: errors of every model on every database, and their ratios.

The inputs are :class:`~howbig.chapters.transferability.compositions.TransferResult` objects
(the full-size runs of each database and the combined model). Every ratio is formed per seed
(the runs of one seed against each other) and then averaged, so its spread over seeds is the
spread of the ratio, not of its parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.report import Measured

__all__ = ["cell", "combined_comparison", "matrix_table", "merge", "pair_factor",
           "seed_errors", "transfer_factor"]


def merge(*results: TransferResult) -> TransferResult:
    """One result holding the runs of several (their label columns joined)."""
    labels = tuple(dict.fromkeys(k for r in results for k in r.labels))
    return TransferResult(pd.concat([r.predictions for r in results], ignore_index=True),
                          pd.concat([r.curves for r in results], ignore_index=True),
                          pd.concat([r.runs for r in results], ignore_index=True),
                          {k: v for r in results for k, v in r.models.items()}, labels)


def seed_errors(result: TransferResult) -> pd.DataFrame:
    """MAE of every (trained_on, tested_on, seed): a Series indexed by the three."""
    p = result.predictions
    err = (p["prediction"] - p["target"]).abs()
    return err.groupby([p["trained_on"], p["tested_on"], p["seed"]]).mean()


def _measured(values: np.ndarray, what: str) -> Measured:
    values = np.asarray(values, float)
    n = len(values)
    return Measured(float(np.mean(values)) if n else float("nan"),
                    uncertainty=float(np.std(values, ddof=1)) if n > 1 else None, n=n,
                    spread=f"std over {n} seeds of {what}" if n > 1 else "one seed")


def cell(result: TransferResult, trained_on: str, tested_on: str) -> Measured:
    """MAE of one cell, mean and std over seeds (eV/atom)."""
    errors = seed_errors(result)
    return _measured(errors.loc[(trained_on, tested_on)].to_numpy(), "the MAE")


def matrix_table(result: TransferResult, names: Sequence[str]) -> pd.DataFrame:
    """MAE mean and std over seeds, and the mean offset, as a training set x test set table:
    columns ``(tested_on, "MAE" | "std" | "offset")``, rows the training sets in run order."""
    cells = result.cells()
    rows = list(dict.fromkeys(result.predictions["trained_on"]))
    parts = {}
    for tested in names:
        for label, column in (("MAE", "mae"), ("std", "mae std"), ("offset", "offset")):
            parts[(tested, label)] = [cells.loc[(t, tested), column] for t in rows]
    out = pd.DataFrame(parts, index=pd.Index(rows, name="trained on"))
    out.columns.names = ["tested on", ""]
    return out


def _per_seed(result: TransferResult, pairs: Sequence[tuple[str, str]],
              diagonal: Sequence[str]) -> np.ndarray:
    errors = seed_errors(result)
    seeds = sorted(set.intersection(*[set(errors.loc[(a, b)].index) for a, b in pairs]
                                    + [set(errors.loc[(d, d)].index) for d in diagonal]))
    cross = np.array([[errors.loc[(a, b, s)] for a, b in pairs] for s in seeds])
    inner = np.array([[errors.loc[(d, d, s)] for d in diagonal] for s in seeds])
    return cross.mean(axis=1) / inner.mean(axis=1)


def transfer_factor(result: TransferResult, names: Sequence[str]) -> Measured:
    """Mean cross-database MAE over mean in-database MAE of the databases ``names``, per seed
    (every ordered pair of different databases against the diagonal), mean and std over seeds:
    the paper's "an order of magnitude larger" measured here."""
    ratios = _per_seed(result, list(permutations(names, 2)), names)
    return _measured(ratios, "the ratio")


def pair_factor(result: TransferResult, a: str, b: str) -> Measured:
    """``(MAE(a->b) + MAE(b->a)) / (MAE(a->a) + MAE(b->b))`` per seed, mean and std."""
    return _measured(_per_seed(result, [(a, b), (b, a)], [a, b]), "the ratio")


def combined_comparison(result: TransferResult, combined: str, names: Sequence[str]
                        ) -> pd.DataFrame:
    """Per test database: the combined model's MAE next to the database's own model (in) and
    the mean of the other databases' models (cross), means over seeds (eV/atom)."""
    cells = result.cells()
    rows = []
    for tested in names:
        others = [cells.loc[(t, tested), "mae"] for t in names if t != tested]
        rows.append({"tested on": tested, "combined": cells.loc[(combined, tested), "mae"],
                     "combined std": cells.loc[(combined, tested), "mae std"],
                     "own model": cells.loc[(tested, tested), "mae"],
                     "other models (mean)": float(np.mean(others))})
    return pd.DataFrame(rows).set_index("tested on")
