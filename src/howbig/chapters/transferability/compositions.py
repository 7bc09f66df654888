"""Chapter 2 on composition tables: one value per formula, splits shared by every database.

The tables of :mod:`howbig.data.sources.composition_tables` give one number per formula and
database. Here they are reduced to one value per reduced formula (the aggregation rule: the
lowest formation energy, i.e. the ground-state polymorph, or the median band gap) and split by
that key with :func:`howbig.data.splits.assign_splits` (a hash of the key, so a formula lands in
the same split in every database: the published train/test files are random splits of each table
separately and are used only for the published-split yardstick). The training runs on these
splits live in :mod:`howbig.chapters.transferability.runs`; their results are a
:class:`TransferResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from howbig.chapters.transferability.databases import correction_group
from howbig.data.splits import assign_splits

if TYPE_CHECKING:  # annotations only: the declaration imports every loader
    from howbig.profile_data import DataSource

__all__ = [
    "AGGREGATE",
    "TransferResult",
    "aggregate_by_key",
    "load_composition_tables",
    "regrouped_splits",
    "sample_keys",
    "split_conflicts",
    "training_sets",
]

#: Aggregation rule per quantity: one value per reduced formula.
AGGREGATE = {"formation_energy_per_atom": "min", "band_gap": "median"}


def aggregate_by_key(table: pd.DataFrame, rule: str) -> pd.DataFrame:
    """One row per key: ``key``, ``target`` (``rule`` over the key's entries), ``entries``."""
    grouped = table.groupby("key")["target"]
    out = pd.DataFrame({"target": grouped.agg(rule), "entries": grouped.size()})
    return out.reset_index()


def load_composition_tables(sources: Iterable[DataSource]) -> dict[str, pd.DataFrame]:
    """Raw composition tables by short name (``"MP"``, ``"JARVIS"``, ...).

    ``sources``: composition-table sources of the profile, e.g.
    ``data_sources("transferability", profile, role="formation energy")``.
    """
    tables: dict[str, pd.DataFrame] = {}
    for source in sources:
        if source.short in tables:
            raise ValueError(f"two composition tables are called {source.short!r}")
        tables[source.short] = source.load()
    return tables


def regrouped_splits(
    tables: Mapping[str, pd.DataFrame], *, seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    window: tuple[float, float] | None = None,
    groups: Callable[[pd.Series], np.ndarray] = correction_group,
) -> dict[str, pd.DataFrame]:
    """Aggregated tables (one row per key) with ``split`` and chemistry ``group`` columns.

    The split of a key is a function of the key and ``seed`` only, so it is the same in every
    database, for any number of databases: no model is tested on a formula that any training
    set holds (:func:`split_conflicts` checks it).

    Parameters
    ----------
    window
        ``(low, high)``: keep the formulas whose aggregated value lies in it, in every database
        alike (e.g. :data:`howbig.chapters.transferability.databases.TARGET_WINDOW`).
    groups
        Chemistry group of each formula (e.g.
        :func:`howbig.chapters.transferability.databases.correction_group`).
    """
    out = {}
    for name, table in tables.items():
        rule = AGGREGATE[table.attrs.get("quantity", "formation_energy_per_atom")]
        agg = aggregate_by_key(table, rule)
        if window is not None:
            agg = agg[agg["target"].between(*window)].reset_index(drop=True)
        agg["split"] = assign_splits(agg, fractions, seed).to_numpy()
        agg["group"] = groups(agg["key"])
        agg.attrs.update(table.attrs, rule=rule, window=window)
        out[name] = agg
    return out


def split_conflicts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Keys that sit in different splits in different tables (empty when the splits agree).

    Returns one row per conflicting key: ``key`` and one column per table with its split (NaN
    where the table lacks the key).
    """
    splits = pd.DataFrame({name: t.set_index("key")["split"] for name, t in tables.items()})
    distinct = splits.nunique(axis=1, dropna=True)
    return splits[distinct > 1].rename_axis("key").reset_index()


def training_sets(
    tables: Mapping[str, pd.DataFrame], *, max_train: int | None, max_validation: int | None,
    seed: int = 0, select: str | None = None, combined: bool = True,
    combined_cap: int | None = None,
) -> dict[str, dict[str, pd.DataFrame]]:
    """``{database: {"train", "validation", "test": rows}}``, training sets subsampled.

    ``select`` is a :meth:`pandas.DataFrame.query` string applied first (e.g. ``"target > 0"``
    for the non-metals). With ``combined``, the union of the databases is added as ``"A+B"``
    (``"A+B+C"`` for three), with a column ``database``; ``combined_cap`` caps every database's
    share of the union's training and validation sets at the same number of formulas (a random
    ``combined_cap`` of its own subsample), so that no database dominates the union.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    rng = np.random.default_rng(seed)

    def cap_rows(rows: pd.DataFrame, cap: int | None) -> pd.DataFrame:
        if cap is not None and len(rows) > cap:  # rows are sorted by key: sample at random
            rows = rows.iloc[np.sort(rng.choice(len(rows), cap, replace=False))]
        return rows.reset_index(drop=True)

    for name, table in tables.items():
        t = table.query(select) if select else table
        out[name] = {split: cap_rows(t[t["split"] == split], cap) for split, cap in
                     (("train", max_train), ("validation", max_validation), ("test", None))}
    names = list(out)
    if not combined:
        return out
    out["+".join(names)] = {s: pd.concat([cap_rows(out[n][s], combined_cap).assign(database=n)
                                          for n in names], ignore_index=True)
                            for s in ("train", "validation")}
    return out


def sample_keys(tables: Mapping[str, pd.DataFrame], max_formulas: int | None, *,
                seed: int = 0) -> dict[str, pd.DataFrame]:
    """The same random share of the formulas in every table, so that the largest keeps about
    ``max_formulas`` of them (``None``: the tables unchanged).

    A formula is kept or dropped in every table alike (a draw per formula of the union of all
    tables), so the tables keep their overlaps in proportion: the smoke profile's cut of the
    real tables to seconds.
    """
    if max_formulas is None:
        return dict(tables)
    largest = max(t["key"].nunique() for t in tables.values())
    share = min(1.0, max_formulas / largest)
    union = np.array(sorted(set().union(*(set(t["key"]) for t in tables.values()))), dtype=object)
    kept = set(union[np.random.default_rng(seed).random(len(union)) < share])
    out = {}
    for name, t in tables.items():
        part = t[t["key"].isin(kept)].reset_index(drop=True)
        part.attrs.update(t.attrs)
        out[name] = part
    return out


@dataclass
class TransferResult:
    """Predictions of every run on every test set, with validation curves and the parameters.

    A run is named by its ``labels`` (at least ``trained_on`` and ``seed``; a learning curve adds
    ``n``, the training-set size), which lead the columns of every table.

    Attributes
    ----------
    predictions
        ``*labels, tested_on, key, group, target, prediction``.
    curves
        ``step, train_loss, validation_loss, *labels``.
    runs
        ``*labels, n_train, steps, max_steps, best_step, stopped_early, seconds``.
    models
        The trained parameters by the tuple of label values: ``{"params", "target_mean",
        "target_std"}`` (what fine-tuning starts from).
    labels
        The names of the label columns.
    """

    predictions: pd.DataFrame
    curves: pd.DataFrame
    runs: pd.DataFrame
    models: dict[tuple, dict[str, Any]] = field(default_factory=dict, repr=False)
    labels: tuple[str, ...] = ("trained_on", "seed")

    def select(self, **values: Any) -> TransferResult:
        """The runs whose labels equal ``values`` (e.g. ``n=21_267``), all tables alike."""

        def keep(frame: pd.DataFrame) -> pd.DataFrame:
            mask = np.ones(len(frame), bool)
            for k, v in values.items():
                mask &= (frame[k] == v).to_numpy()
            return frame[mask]

        index = {k: self.labels.index(k) for k in values}
        models = {key: m for key, m in self.models.items()
                  if all(key[i] == values[k] for k, i in index.items())}
        return TransferResult(keep(self.predictions), keep(self.curves), keep(self.runs),
                              models, self.labels)

    def cells(self, by: Sequence[str] = ()) -> pd.DataFrame:
        """Per (training set, test set, *by*): MAE, mean offset and scatter, mean and std over
        seeds (eV or eV/atom; the scatter is the MAE after removing the cell's mean offset)."""
        p = self.predictions.assign(error=lambda d: d["prediction"] - d["target"])
        keys = ["trained_on", "tested_on", *by]

        def stats(d: pd.DataFrame) -> pd.Series:
            e = d["error"].to_numpy()
            return pd.Series({"mae": np.mean(np.abs(e)), "offset": e.mean(),
                              "scatter": np.mean(np.abs(e - e.mean())), "n": len(e)})

        per_seed = p.groupby([*keys, "seed"], sort=False)[["error"]].apply(stats)
        agg = per_seed.groupby(level=keys, sort=False).agg(["mean", "std"])
        agg.columns = [f"{a}" if b == "mean" else f"{a} std" for a, b in agg.columns]
        agg["seeds"] = per_seed.groupby(level=keys, sort=False).size()
        return agg.drop(columns=["n std"]).rename(columns={"n": "n test"})

    def subset(self, keys: Sequence[str]) -> TransferResult:
        """Only the test formulas in ``keys`` (e.g. those every database holds)."""
        p = self.predictions
        return TransferResult(p[p["key"].isin(set(keys))], self.curves, self.runs, self.models,
                              self.labels)

    def thresholded(self, threshold: float = 0.5) -> TransferResult:
        """Class labels (prediction > threshold) in place of probabilities: ``mae`` of
        :meth:`cells` is then the error rate."""
        p = self.predictions.assign(prediction=lambda d: (d["prediction"] > threshold) * 1.0)
        return TransferResult(p, self.curves, self.runs, self.models, self.labels)

    def matrix(self, column: str = "mae") -> pd.DataFrame:
        """``column`` of :meth:`cells` as a training-set x test-set matrix."""
        return self.cells()[column].unstack("tested_on")
