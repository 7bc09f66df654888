"""Chapter 2 experiment: train MPEU on database A, on B and on A+B; test each on A, B and A+B.

This is the paper's Fig. 1 experiment. The splits are group splits on the composition-spacegroup
key, shared by all databases (:func:`howbig.data.splits.assign_splits`), so no model is tested on
a key that it saw in training in either database.

The dataset statistics of the chapter (overlap, duplicates, energy distributions) live in
:mod:`howbig.chapters.transferability.statistics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import haiku as hk
import numpy as np
import pandas as pd

from howbig.chapters.crystal_graphs import DatabaseGraphs
from howbig.methods.graphs import GraphSet
from howbig.methods.training import TrainConfig, TrainResult, metrics, predict, train

__all__ = [
    "CrossDatabaseResult",
    "cross_database_experiment",
    "error_matrices",
    "learning_curve",
    "train_config",
]


def train_config(settings: Mapping, *, progress: bool = True) -> TrainConfig:
    """The :class:`~howbig.methods.training.TrainConfig` described by a profile's settings."""
    fields = ("learning_rate", "decay_rate", "decay_steps", "batch_size", "max_steps",
              "eval_every", "patience", "seed")
    return TrainConfig(**{f: settings[f] for f in fields}, progress=progress)


@dataclass
class CrossDatabaseResult:
    """Outcome of :func:`cross_database_experiment`.

    Attributes
    ----------
    predictions
        One row per (model, test entry): ``trained_on``, ``evaluated_on``, ``id``, ``key``,
        ``target`` and ``prediction`` (eV/atom).
    mae, bias, rmse
        Matrices (meV/atom) indexed by the training set, columns = test set (each database and
        ``combined``, the union of the test sets); ``bias`` is the mean of prediction - target.
    results
        The :class:`~howbig.methods.training.TrainResult` of each model.
    sizes
        Entries per database and split.
    """

    predictions: pd.DataFrame
    mae: pd.DataFrame
    rmse: pd.DataFrame
    bias: pd.DataFrame
    results: dict[str, TrainResult] = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)

    @property
    def names(self) -> list[str]:
        """The single databases (the training sets except the combination)."""
        return [c for c in self.mae.columns if c != "combined"]

    def diagonal(self) -> pd.Series:
        """In-database MAE (meV/atom): model trained on X, tested on X."""
        return pd.Series({n: self.mae.loc[n, n] for n in self.names})

    def off_diagonal(self) -> pd.Series:
        """Cross-database MAE (meV/atom): trained on X, tested on another single database Y."""
        return pd.Series({f"{a} -> {b}": self.mae.loc[a, b]
                          for a in self.names for b in self.names if a != b})

    def cross_factor(self) -> float:
        """Mean cross-database MAE over mean in-database MAE."""
        return float(self.off_diagonal().mean() / self.diagonal().mean())

    def debiased_mae(self) -> pd.DataFrame:
        """MAE (meV/atom) after subtracting each cell's mean signed error.

        What remains of a cross-database error once a constant shift (e.g. a different energy
        reference) is removed: the part due to sampling and to the model.
        """
        rows = {}
        for (trained, tested), part in self._cells():
            err = part["prediction"] - part["target"]
            rows.setdefault(trained, {})[tested] = 1000 * float(np.mean(np.abs(err - err.mean())))
        return pd.DataFrame(rows).T.loc[self.mae.index, self.mae.columns]

    def _cells(self):
        p = self.predictions
        for trained in self.mae.index:
            for tested in self.mae.columns:
                sel = p["trained_on"] == trained
                if tested != "combined":
                    sel &= p["evaluated_on"] == tested
                yield (trained, tested), p[sel]


def error_matrices(
    predictions: pd.DataFrame, trained: list[str], tested: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """MAE, RMSE and mean signed error (meV/atom) per (training set, test set).

    ``predictions`` has columns ``trained_on``, ``evaluated_on``, ``target`` and ``prediction``
    (eV/atom); the extra column ``combined`` pools the test sets of ``tested``.
    """
    columns = [*tested, "combined"]
    mae = pd.DataFrame(index=trained, columns=columns, dtype=float)
    rmse, bias = mae.copy(), mae.copy()
    for trained_on in trained:
        for test in columns:
            sel = predictions["trained_on"] == trained_on
            sel &= (predictions["evaluated_on"] == test) if test != "combined" else (
                predictions["evaluated_on"].isin(tested))
            part = predictions[sel]
            m = metrics(part["target"].to_numpy(), part["prediction"].to_numpy())
            mae.loc[trained_on, test] = 1000 * m["mae"]
            rmse.loc[trained_on, test] = 1000 * m["rmse"]
            bias.loc[trained_on, test] = 1000 * float(np.mean(part["prediction"] - part["target"]))
    return mae, rmse, bias


def cross_database_experiment(
    data: Mapping[str, DatabaseGraphs],
    model: hk.Transformed,
    config: TrainConfig,
    *,
    combined_name: str | None = None,
) -> CrossDatabaseResult:
    """Train one model per database and one on all of them; test each on every test set.

    Parameters
    ----------
    data
        Output of :func:`howbig.chapters.crystal_graphs.prepare_graphs` (two or more
        databases).
    model
        The architecture (e.g. :func:`howbig.methods.models.mpeu.mpeu`), shared by all runs.
    config
        Training hyperparameters (the same for every run, as in the paper: no re-tuning).
    combined_name
        Label of the combined training set (default ``"A+B"`` style: names joined by ``+``).

    Returns
    -------
    CrossDatabaseResult
    """
    names = list(data)
    combined_name = combined_name or "+".join(names)
    training_sets = {n: (data[n].graphs["train"], data[n].graphs["validation"]) for n in names}
    training_sets[combined_name] = (
        GraphSet.concatenate([data[n].graphs["train"] for n in names]),
        GraphSet.concatenate([data[n].graphs["validation"] for n in names]),
    )
    results, frames = {}, []
    for trained_on, (tr, va) in training_sets.items():
        result = train(model, tr, va, config)
        results[trained_on] = result
        for tested in names:
            test = data[tested].graphs["test"]
            rows = data[tested].rows["test"]
            frames.append(pd.DataFrame({
                "trained_on": trained_on,
                "evaluated_on": tested,
                "id": rows["id"].to_numpy(),
                "key": rows["key"].to_numpy(),
                "target": test.targets.astype(float),
                "prediction": predict(model, result, test, batch_size=config.batch_size),
            }))
    predictions = pd.concat(frames, ignore_index=True)
    mae, rmse, bias = error_matrices(predictions, list(training_sets), names)
    sizes = pd.DataFrame({n: data[n].sizes() for n in names}).T
    sizes.index.name = "database"
    return CrossDatabaseResult(predictions, mae, rmse, bias, results, sizes)


def learning_curve(
    data: DatabaseGraphs,
    model: hk.Transformed,
    config: TrainConfig,
    fractions: tuple[float, ...] = (0.25, 0.5, 1.0),
) -> tuple[pd.DataFrame, dict[int, TrainResult]]:
    """In-database test MAE of ``model`` trained on growing random parts of the training split.

    Returns a table (``n_train``, ``mae`` and ``rmse`` in the targets' units, ``steps``,
    ``best_step``, ``stopped_early``) and the :class:`TrainResult` per training size.
    """
    rng = np.random.default_rng(config.seed)
    train_set, test = data.graphs["train"], data.graphs["test"]
    order = rng.permutation(len(train_set))
    rows, results = [], {}
    for fraction in fractions:
        n = max(round(fraction * len(train_set)), config.batch_size)
        result = train(model, train_set.subset(np.sort(order[:n])), data.graphs["validation"],
                       config)
        m = metrics(test.targets, predict(model, result, test, batch_size=config.batch_size))
        rows.append({"n_train": n, "mae": m["mae"], "rmse": m["rmse"], "steps": result.steps,
                     "best_step": result.best_step, "stopped_early": result.stopped_early})
        results[n] = result
    return pd.DataFrame(rows), results
