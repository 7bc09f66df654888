"""Chapter 2 on composition tables: the transfer matrix of a stoichiometry model (Fig. 1 analogue).

The tables of :mod:`howbig.data.sources.composition_tables` give one number per formula and
database. Here they are reduced to one value per reduced formula (the aggregation rule: the
lowest formation energy, i.e. the ground-state polymorph, or the median band gap), split by that
key with :func:`howbig.data.splits.assign_splits` (a hash of the key, so a formula lands in the
same split in every database: the published train/test files are random splits of each table
separately and are not used), and fed to a Roost-style network
(:mod:`howbig.methods.models.roost`) trained on each database and on their union, several seeds
each, in parallel processes. A random forest on Magpie features runs on the same splits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from howbig.chapters.transferability.statistics import chemistry_groups
from howbig.data.splits import assign_splits
from howbig.methods.models.roost import roost
from howbig.methods.stoichiometry import stoichiometry_set
from howbig.methods.training import TrainConfig, predict, train

if TYPE_CHECKING:  # annotations only: the declaration imports every loader
    from howbig.profile_data import DataSource

__all__ = [
    "AGGREGATE",
    "TransferResult",
    "aggregate_by_key",
    "composition_config",
    "forest_baseline",
    "load_composition_tables",
    "plan_runs",
    "regrouped_splits",
    "run_all",
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


def composition_config(settings: Mapping, *, loss: str | None = None) -> TrainConfig:
    """The :class:`TrainConfig` of the stoichiometry model from a profile's ``comp_*`` keys."""
    fields = ("learning_rate", "decay_rate", "decay_steps", "batch_size", "max_steps",
              "eval_every", "patience", "loss", "min_improvement")
    values = {f: settings[f"comp_{f}"] for f in fields if f"comp_{f}" in settings}
    return TrainConfig(**{**values, "loss": loss or values["loss"]}, progress=False)


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
    groups: Callable[[pd.Series], np.ndarray] = chemistry_groups,
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
    share of the union's training and validation sets at the same number of formulas (the
    first ``combined_cap`` of its own subsample), so that no database dominates the union.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    rng = np.random.default_rng(seed)
    for name, table in tables.items():
        t = table.query(select) if select else table
        parts = {}
        for split, cap in (("train", max_train), ("validation", max_validation), ("test", None)):
            rows = t[t["split"] == split]
            if cap is not None and len(rows) > cap:
                rows = rows.iloc[np.sort(rng.choice(len(rows), cap, replace=False))]
            parts[split] = rows.reset_index(drop=True)
        out[name] = parts
    names = list(out)
    if not combined:
        return out
    out["+".join(names)] = {s: pd.concat([out[n][s].iloc[:combined_cap].assign(database=n)
                                          for n in names], ignore_index=True)
                            for s in ("train", "validation")}
    return out


@dataclass
class TransferResult:
    """Predictions of every (training set, seed) on every test set, with learning curves.

    Attributes
    ----------
    predictions
        ``trained_on, seed, tested_on, key, group, target, prediction``.
    curves
        ``trained_on, seed, step, train_loss, validation_loss``.
    runs
        ``trained_on, seed, n_train, steps, best_step, stopped_early, seconds``.
    """

    predictions: pd.DataFrame
    curves: pd.DataFrame
    runs: pd.DataFrame

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
        return TransferResult(p[p["key"].isin(set(keys))], self.curves, self.runs)

    def thresholded(self, threshold: float = 0.5) -> TransferResult:
        """Class labels (prediction > threshold) in place of probabilities: ``mae`` of
        :meth:`cells` is then the error rate."""
        p = self.predictions.assign(prediction=lambda d: (d["prediction"] > threshold) * 1.0)
        return TransferResult(p, self.curves, self.runs)

    def matrix(self, column: str = "mae") -> pd.DataFrame:
        """``column`` of :meth:`cells` as a training-set x test-set matrix."""
        return self.cells()[column].unstack("tested_on")


@lru_cache(maxsize=4)
def _roost(**kwargs):
    """One model object per architecture and process, so its compiled step is reused."""
    return roost(**kwargs)


def _train_job(job: dict) -> dict:
    """One training run (module level: it runs in a worker process)."""
    model = _roost(**job["model"])
    config = TrainConfig(**{**job["config"], "desc": f"{job['name']} seed {job['config']['seed']}"})
    sets = {s: stoichiometry_set(job[s]["key"], job[s]["target"]) for s in ("train", "validation")}
    result = train(model, sets["train"], sets["validation"], config)
    frames = []
    for tested, rows in job["tests"].items():
        pred = predict(model, result, stoichiometry_set(rows["key"], rows["target"]),
                       batch_size=config.batch_size)
        frames.append(pd.DataFrame({"tested_on": tested, "key": rows["key"],
                                    "group": rows["group"], "target": rows["target"],
                                    "prediction": pred}))
    return {"tag": job["tag"], "name": job["name"], "seed": config.seed,
            "predictions": pd.concat(frames),
            "history": result.history, "run": {
                "n_train": len(sets["train"]), "steps": result.steps,
                "best_step": result.best_step, "stopped_early": result.stopped_early,
                "seconds": result.seconds}}


def _collect(outputs: list[dict]) -> TransferResult:
    preds, curves, runs = [], [], []
    for out in outputs:
        tag = {"trained_on": out["name"], "seed": out["seed"]}
        preds.append(out["predictions"].assign(**tag))
        curves.append(pd.DataFrame(out["history"], columns=["step", "train_loss",
                                                             "validation_loss"]).assign(**tag))
        runs.append({**tag, **out["run"]})
    cols = ["trained_on", "seed"]
    p = pd.concat(preds, ignore_index=True)
    return TransferResult(p[cols + [c for c in p.columns if c not in cols]],
                          pd.concat(curves, ignore_index=True), pd.DataFrame(runs))


def plan_runs(
    sets: Mapping[str, Mapping[str, pd.DataFrame]], *, config: TrainConfig,
    seeds: Sequence[int], model: Mapping | None = None, tag: str = "",
    tests: Mapping[str, pd.DataFrame] | None = None, min_improvement: float | None = None,
) -> list[dict]:
    """Training runs: every training set of ``sets`` (:func:`training_sets`) x every seed.

    Parameters
    ----------
    config
        Training hyperparameters, the same for every run (its ``seed`` is replaced).
    seeds
        Seeds per training set (initialisation and batch order).
    model
        Keyword arguments of :func:`howbig.methods.models.roost.roost`.
    tag
        Groups the runs in the output of :func:`run_all` (e.g. ``"ef"``, ``"metal"``).
    tests
        Test sets by name (default: the ``test`` part of every database in ``sets``).
    min_improvement
        Relative improvement of the validation loss that early stopping counts as progress
        (``TrainConfig.min_improvement``; default: ``config``'s).
    """
    tests = tests if tests is not None else {n: s["test"] for n, s in sets.items() if "test" in s}
    columns = ["key", "target"]
    return [{
        "tag": tag, "name": name, "model": dict(model or {}),
        "config": {**asdict(config), "seed": int(seed), **(
            {} if min_improvement is None else {"min_improvement": min_improvement})},
        "train": part["train"][columns], "validation": part["validation"][columns],
        "tests": {n: t[[*columns, "group"]] for n, t in tests.items()},
    } for name, part in sets.items() for seed in seeds]


def run_all(jobs: list[dict], *, n_jobs: int = 1) -> dict[str, TransferResult]:
    """Run the planned runs (:func:`plan_runs`), largest training sets first, in ``n_jobs``
    worker processes (``-1``: all cores; each worker runs XLA on one thread).

    Returns one :class:`TransferResult` per tag.
    """
    from howbig.parallel import parallel_map

    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i]["train"]))
    for i in order:
        jobs[i]["config"]["progress"] = n_jobs == 1
    previous = os.environ.get("XLA_FLAGS")
    if n_jobs != 1:  # one XLA thread per worker process: the processes share the cores
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")
    try:
        outputs = parallel_map(_train_job, [jobs[i] for i in order], n_jobs=n_jobs,
                               progress=True, desc="training runs", chunksize=1)
    finally:
        if previous is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = previous
    tags = dict.fromkeys(job["tag"] for job in jobs)
    return {tag: _collect([o for o in outputs if o["tag"] == tag]) for tag in tags}


def forest_baseline(
    sets: Mapping[str, Mapping[str, pd.DataFrame]], *, n_estimators: int = 100,
    classify: bool = False, seed: int = 0, jobs: int = 1,
) -> TransferResult:
    """A random forest on the 132 Magpie features, on the same splits (one seed).

    With ``classify=True`` the targets are 0/1 and the prediction is the probability of 1.
    """
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    from howbig.data.sources.band_gaps import load_magpie_elements
    from howbig.methods.features import magpie_features

    elements = load_magpie_elements()
    tests = {n: s["test"] for n, s in sets.items() if "test" in s}
    features = {n: magpie_features(list(t["key"]), elements).to_numpy() for n, t in tests.items()}
    outputs = []
    for name, part in sets.items():
        kind = RandomForestClassifier if classify else RandomForestRegressor
        forest = kind(n_estimators=n_estimators, max_features=0.33, min_samples_leaf=2,
                      n_jobs=jobs, random_state=seed)
        forest.fit(magpie_features(list(part["train"]["key"]), elements).to_numpy(),
                   part["train"]["target"].to_numpy())
        frames = []
        for tested, rows in tests.items():
            x = features[tested]
            pred = forest.predict_proba(x)[:, 1] if classify else forest.predict(x)
            frames.append(pd.DataFrame({"tested_on": tested, "key": rows["key"],
                                        "group": rows["group"], "target": rows["target"],
                                        "prediction": pred}))
        outputs.append({"name": name, "seed": seed, "predictions": pd.concat(frames),
                        "history": [], "run": {"n_train": len(part["train"]), "steps": 0,
                                               "best_step": 0, "stopped_early": False,
                                               "seconds": np.nan}})
    return _collect(outputs)
