"""Neural architecture search (NAS) for MPEU with Optuna (paper Section 6.2, Fig. 7).

The search space is the paper's pair of architecture parameters, the number of message-passing
steps and the latent size, plus the learning rate and the batch size. Each trial trains one
MPEU with :func:`howbig.methods.training.train` and returns its best validation RMSE (the NAS
reward is
its negative). :func:`create_study` with ``sampler="random"`` reproduces the paper's random
search.

**Many workers, one study.** The study lives in an Optuna storage given by URL: a SQLite file by
default (``sqlite:///nas.db``, fine for a few processes on one machine), or a PostgreSQL
database for many workers on many machines::

    # once, on the database host (PostgreSQL >= 12):
    createdb howbig_nas
    # on every worker machine (pip install psycopg2-binary next to howbig):
    export HOWBIG_NAS_STORAGE=postgresql://USER:PASSWORD@DBHOST:5432/howbig_nas
    python -m howbig.chapters.infrastructure.nas --storage "$HOWBIG_NAS_STORAGE" --study
    mpeu-mp20 --n-trials 50

Every worker loads the same study (``load_if_exists=True``), asks the storage for the next
trial and writes its result back; the RandomSampler needs no coordination between workers.

**Early stopping.** With ``pruner="median"`` or ``"sha"`` a trial reports its validation RMSE
after every evaluation (through ``train``'s ``on_evaluation`` callback) and raises
``optuna.TrialPruned`` when the pruner says so. :func:`replay_pruner` replays a finished
full-training study through a pruner without retraining (training is deterministic given its
seed, so the replayed decisions are the ones a pruned run would make), and
:func:`ranking_agreement` measures how far the shortcut changes the ranking.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from scipy import stats

__all__ = [
    "SearchSpace",
    "create_study",
    "early_ranking_curve",
    "grid_summary",
    "local_minima",
    "main",
    "make_objective",
    "nas_summary",
    "quick_dataset",
    "ranking_agreement",
    "replay_pruner",
    "trials_frame",
]

DEFAULT_STORAGE = "sqlite:///nas.db"


@dataclass(frozen=True)
class SearchSpace:
    """What a trial may choose.

    Attributes
    ----------
    mp_steps
        Numbers of message-passing steps (categorical).
    latent_sizes
        Latent sizes (categorical).
    learning_rate
        ``(low, high)`` of a log-uniform initial learning rate.
    batch_sizes
        Batch sizes (categorical).
    """

    mp_steps: tuple[int, ...] = (1, 2, 3)
    latent_sizes: tuple[int, ...] = (8, 16, 32)
    learning_rate: tuple[float, float] = (1e-3, 1e-2)
    batch_sizes: tuple[int, ...] = (16, 32)

    @property
    def n_architectures(self) -> int:
        """Number of (message-passing steps, latent size) cells."""
        return len(self.mp_steps) * len(self.latent_sizes)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Draw one configuration for ``trial`` (always in the same order of calls)."""
        return {
            "mp_steps": trial.suggest_categorical("mp_steps", list(self.mp_steps)),
            "latent_size": trial.suggest_categorical("latent_size", list(self.latent_sizes)),
            "learning_rate": trial.suggest_float("learning_rate", *self.learning_rate, log=True),
            "batch_size": trial.suggest_categorical("batch_size", list(self.batch_sizes)),
        }


def _pruner(name: str | None, *, n_startup_trials: int = 3,
            n_warmup_steps: int = 0) -> optuna.pruners.BasePruner:
    if name in (None, "none"):
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials,
                                           n_warmup_steps=n_warmup_steps)
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner()
    raise ValueError(f"unknown pruner {name!r}; use 'none', 'median' or 'sha'")


def create_study(
    study_name: str,
    storage: str | None = DEFAULT_STORAGE,
    *,
    sampler: str = "random",
    seed: int = 0,
    pruner: str | None = None,
    load_if_exists: bool = True,
) -> optuna.Study:
    """Create (or load) a minimisation study in an Optuna storage.

    Parameters
    ----------
    study_name
        Name of the study inside the storage; workers sharing it use the same name.
    storage
        Storage URL: ``sqlite:///path.db`` (default ``sqlite:///nas.db``),
        ``postgresql://user:password@host:5432/db`` for many machines, or ``None`` for an
        in-memory study (one process only).
    sampler
        ``"random"`` (the paper's random search) or ``"tpe"``.
    seed
        Sampler seed. Workers sharing a study should use *different* seeds, or they draw the
        same configurations.
    pruner
        ``None``/``"none"``, ``"median"`` or ``"sha"`` (successive halving).
    load_if_exists
        Join an existing study of that name instead of failing.
    """
    if sampler == "random":
        smp: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    elif sampler == "tpe":
        smp = optuna.samplers.TPESampler(seed=seed)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; use 'random' or 'tpe'")
    if storage is not None and storage.startswith("sqlite"):
        # a generous lock timeout lets several local processes write to one SQLite file
        storage = optuna.storages.RDBStorage(storage, engine_kwargs={"connect_args":
                                                                      {"timeout": 60}})
    return optuna.create_study(study_name=study_name, storage=storage, sampler=smp,
                               pruner=_pruner(pruner), direction="minimize",
                               load_if_exists=load_if_exists)


def make_objective(
    train_set: Any,
    validation_set: Any,
    space: SearchSpace | None = None,
    *,
    max_steps: int = 200,
    eval_every: int = 25,
    seed: int = 0,
    prune: bool = False,
    model_kwargs: dict[str, Any] | None = None,
) -> Callable[[optuna.Trial], float]:
    """Objective that trains one MPEU per trial and returns its best validation RMSE.

    Parameters
    ----------
    train_set, validation_set
        :class:`howbig.methods.graphs.GraphSet` of the training and validation structures.
    space
        The search space (default :class:`SearchSpace`).
    max_steps, eval_every
        Training budget per trial and evaluation interval (gradient steps).
    seed
        Training seed (initialisation and batch order), the same for every trial so that the
        architectures, not the seeds, differ.
    prune
        Report every evaluation to the trial and raise ``optuna.TrialPruned`` when the study's
        pruner asks for it.
    model_kwargs
        Extra keyword arguments of :func:`howbig.methods.models.mpeu.mpeu` (e.g. ``readout``).

    Notes
    -----
    Every evaluation is reported with ``trial.report`` (so that :func:`replay_pruner` can
    replay it later) whether or not ``prune`` is set. User attributes stored per trial:
    ``n_parameters``, ``steps``, ``seconds``, ``best_step``.
    """
    from howbig.methods.models import count_parameters
    from howbig.methods.models.mpeu import mpeu
    from howbig.methods.training import TrainConfig, train

    space = space or SearchSpace()
    kwargs = dict(model_kwargs or {})

    def objective(trial: optuna.Trial) -> float:
        p = space.suggest(trial)
        model = mpeu(latent_size=p["latent_size"], mp_steps=p["mp_steps"], **kwargs)
        config = TrainConfig(learning_rate=p["learning_rate"], batch_size=p["batch_size"],
                             max_steps=max_steps, eval_every=eval_every, patience=None,
                             decay_steps=max(max_steps, 1), seed=seed, progress=False)

        def on_evaluation(step: int, val_rmse: float) -> None:
            trial.report(val_rmse, step)
            if prune and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} (RMSE {val_rmse:.4g})")

        result = train(model, train_set, validation_set, config, on_evaluation=on_evaluation)
        trial.set_user_attr("n_parameters", count_parameters(result.params))
        trial.set_user_attr("steps", result.steps)
        trial.set_user_attr("seconds", result.seconds)
        trial.set_user_attr("best_step", result.best_step)
        return float(result.best_val_rmse)

    return objective


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, value, parameters, user attributes, last reported value.

    ``value`` is the best validation RMSE of a complete trial; ``last_value`` (the last
    intermediate value) is what a pruned trial reached before it was stopped.
    """
    rows = []
    for t in study.get_trials(deepcopy=False):
        inter = t.intermediate_values
        last_step = max(inter) if inter else None
        rows.append({"number": t.number, "state": t.state.name, "value": t.value,
                     "last_step": last_step,
                     "last_value": inter[last_step] if last_step is not None else math.nan,
                     "best_reported": min(inter.values()) if inter else math.nan,
                     **t.params, **t.user_attrs})
    return pd.DataFrame(rows)


def grid_summary(frame: pd.DataFrame, space: SearchSpace | None = None,
                 value: str = "value") -> pd.DataFrame:
    """Best ``value`` per (message-passing steps, latent size): the data of the paper's Fig. 7.

    As in the paper, each cell holds the best validation RMSE over the other hyperparameters
    (here learning rate and batch size); rows are message-passing steps, columns latent sizes,
    NaN where the search drew no trial. With ``space`` every cell of the space is present.
    """
    done = frame[frame["state"] == "COMPLETE"]
    grid = done.pivot_table(index="mp_steps", columns="latent_size", values=value, aggfunc="min")
    if space is not None:
        grid = grid.reindex(index=list(space.mp_steps), columns=list(space.latent_sizes))
    return grid


def local_minima(grid: pd.DataFrame) -> list[tuple[int, int]]:
    """Cells of a :func:`grid_summary` lower than all their filled 4-neighbours.

    More than one local minimum on the (steps, latent size) grid means the landscape is not
    unimodal there, which a convex function cannot be; a single minimum says nothing either way.
    Empty cells are skipped (a cell with no filled neighbour is not counted).

    Returns
    -------
    list of (mp_steps, latent_size)
    """
    values = grid.to_numpy(dtype=float)
    out = []
    n_rows, n_cols = values.shape
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            if not np.isfinite(v):
                continue
            neighbours = [values[a, b] for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
                          if 0 <= a < n_rows and 0 <= b < n_cols and np.isfinite(values[a, b])]
            if neighbours and all(v < w for w in neighbours):
                out.append((int(grid.index[i]), int(grid.columns[j])))
    return out


def nas_summary(frame: pd.DataFrame) -> dict[str, float]:
    """Mean, median and best validation RMSE over complete trials, and the best's improvement.

    Returns keys ``n_trials``, ``mean``, ``median``, ``best``, ``improvement`` (mean - best) and
    ``improvement_percent`` (100 (mean - best) / mean), plus the architecture of the best trial
    (``best_mp_steps``, ``best_latent_size``).
    """
    done = frame[frame["state"] == "COMPLETE"]
    if done.empty:
        raise ValueError("nas_summary: the study has no complete trials")
    values = done["value"].to_numpy(dtype=float)
    best_row = done.loc[done["value"].idxmin()]
    mean, best = float(values.mean()), float(values.min())
    return {"n_trials": len(values), "mean": mean, "median": float(np.median(values)),
            "best": best, "improvement": mean - best,
            "improvement_percent": 100.0 * (mean - best) / mean,
            "best_mp_steps": int(best_row["mp_steps"]),
            "best_latent_size": int(best_row["latent_size"])}


def replay_pruner(study: optuna.Study, pruner: str = "median", *, seed: int = 0,
                  **pruner_kwargs: Any) -> optuna.Study:
    """Replay the complete trials of ``study`` through a pruner, in their original order.

    Each trial's recorded validation curve is reported again, step by step, to a fresh
    in-memory study with the given pruner; the replayed trial stops where the pruner would have
    stopped it. Because :func:`make_objective` trains deterministically (fixed seed, same batch
    order), this yields the decisions a pruned search over the same configurations would make,
    without training again.

    Returns
    -------
    optuna.Study
        The replayed study; pruned trials carry the curve up to the pruning step.
    """
    replay = optuna.create_study(direction="minimize",
                                 sampler=optuna.samplers.RandomSampler(seed=seed),
                                 pruner=_pruner(pruner, **pruner_kwargs))
    originals = [t for t in study.get_trials(deepcopy=False)
                 if t.state == optuna.trial.TrialState.COMPLETE]
    for t in originals:
        replay.enqueue_trial(t.params, user_attrs={"source_trial": t.number, **t.user_attrs})

    def objective(trial: optuna.Trial) -> float:
        source = originals[trial.number]
        for name, dist in source.distributions.items():
            if isinstance(dist, optuna.distributions.CategoricalDistribution):
                trial.suggest_categorical(name, dist.choices)
            elif isinstance(dist, optuna.distributions.FloatDistribution):
                trial.suggest_float(name, dist.low, dist.high, log=dist.log)
            else:
                trial.suggest_int(name, dist.low, dist.high, log=dist.log)
        best = math.inf
        for step in sorted(source.intermediate_values):
            value = source.intermediate_values[step]
            best = min(best, value)
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return best

    replay.optimize(objective, n_trials=len(originals))
    return replay


def _rank_stats(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if len(a) < 3:
        return math.nan, math.nan
    rho = stats.spearmanr(a, b).statistic
    tau = stats.kendalltau(a, b).statistic
    return float(rho), float(tau)


def ranking_agreement(full: optuna.Study, pruned: optuna.Study) -> dict[str, float]:
    """How far a pruned search ranks the configurations differently from full training.

    Trials are matched by their parameters. In the pruned study a complete trial scores its
    best RMSE, a pruned trial the best RMSE it reached before it was stopped (a pruned search
    ranks them below the complete ones in practice; here their measured values are compared).

    Returns
    -------
    dict
        ``spearman`` and ``kendall`` between the two scorings over all matched trials,
        ``same_best`` (1.0 if both pick the same configuration), ``n_pruned``, ``n_trials`` and
        ``step_fraction`` (gradient steps the pruned search trained, relative to full training).
    """
    def key(params: dict[str, Any]) -> tuple:
        return tuple(sorted(params.items()))

    full_trials = {key(t.params): t for t in full.get_trials(deepcopy=False)
                   if t.state == optuna.trial.TrialState.COMPLETE}
    a, b, steps_full, steps_pruned, n_pruned = [], [], 0, 0, 0
    best_full = best_pruned = None
    best_a = best_b = math.inf
    for t in pruned.get_trials(deepcopy=False):
        source = full_trials.get(key(t.params))
        if source is None or not t.intermediate_values:
            continue
        score = min(t.intermediate_values.values())
        a.append(source.value)
        b.append(score)
        steps_full += max(source.intermediate_values)
        steps_pruned += max(t.intermediate_values)
        n_pruned += t.state == optuna.trial.TrialState.PRUNED
        if source.value < best_a:
            best_a, best_full = source.value, key(t.params)
        if t.state == optuna.trial.TrialState.COMPLETE and score < best_b:
            best_b, best_pruned = score, key(t.params)
    rho, tau = _rank_stats(np.asarray(a), np.asarray(b))
    return {"spearman": rho, "kendall": tau, "same_best": float(best_full == best_pruned),
            "n_pruned": float(n_pruned), "n_trials": float(len(a)),
            "step_fraction": steps_pruned / steps_full if steps_full else math.nan}


def early_ranking_curve(study: optuna.Study) -> pd.DataFrame:
    """Rank agreement between an early look at every trial and its full training.

    For each evaluation step ``s`` the trials are scored by their best validation RMSE up to
    ``s`` (what any early-stopping shortcut sees at ``s``) and compared with the best RMSE after
    full training.

    Returns
    -------
    DataFrame
        Columns ``step``, ``fraction`` (of the full budget), ``spearman``, ``kendall``,
        ``same_best`` (the early look picks the final best trial).
    """
    trials = [t for t in study.get_trials(deepcopy=False)
              if t.state == optuna.trial.TrialState.COMPLETE and t.intermediate_values]
    if not trials:
        raise ValueError("early_ranking_curve: no complete trials with reported values")
    steps = sorted(set.intersection(*(set(t.intermediate_values) for t in trials)))
    final = np.array([t.value for t in trials])
    rows = []
    for s in steps:
        early = np.array([min(v for k, v in t.intermediate_values.items() if k <= s)
                          for t in trials])
        rho, tau = _rank_stats(early, final)
        rows.append({"step": s, "fraction": s / steps[-1], "spearman": rho, "kendall": tau,
                     "same_best": float(np.argmin(early) == np.argmin(final))})
    return pd.DataFrame(rows)


@dataclass
class QuickData:
    """The structures and targets a quick NAS runs on."""

    train: Any
    validation: Any
    target: str
    unit: str
    n_structures: int
    source: str
    notes: list[str] = field(default_factory=list)


def quick_dataset(target: str = "band_gap", *, max_structures: int | None = None,
                  fractions: Sequence[float] = (0.8, 0.2), seed: int = 0, k: int = 12,
                  progress: bool = True) -> QuickData:
    """Graphs of the MP-20 sample (847 Materials Project structures) for a quick NAS.

    Parameters
    ----------
    target
        ``"band_gap"`` (eV; the quantity of the paper's Fig. 7) or
        ``"formation_energy_per_atom"`` (eV/atom).
    max_structures
        Use only the first this many structures of a seeded shuffle (``None``: all).
    fractions
        Training and validation fractions. The split is grouped by composition-spacegroup key
        (:func:`howbig.data.splits.assign_splits`), so no key is in both sets.
    seed, k, progress
        Seed of the shuffle and of the split, neighbours per atom, progress bar of the graph
        construction.
    """
    from howbig.data.sources.mp20 import load_mp20_sample
    from howbig.data.splits import assign_splits
    from howbig.methods.graphs import build_graphs

    if len(fractions) != 2 or sum(fractions) > 1 + 1e-9:
        raise ValueError(f"quick_dataset: fractions must be (train, validation), got {fractions}")
    table = load_mp20_sample()
    table = table[np.isfinite(table[target].to_numpy(dtype=float))]
    order = np.random.default_rng(seed).permutation(len(table))
    if max_structures is not None:
        order = order[:max_structures]
    table = table.iloc[order].reset_index(drop=True)
    split = assign_splits(table, (fractions[0], fractions[1], max(0.0, 1 - sum(fractions))),
                          seed).to_numpy()
    graphs = build_graphs(list(table["atoms"]), table[target].to_numpy(dtype=np.float32), k=k,
                          progress=progress)
    return QuickData(train=graphs.subset(np.flatnonzero(split == "train")),
                     validation=graphs.subset(np.flatnonzero(split == "validation")),
                     target=target, unit="eV" if target == "band_gap" else "eV/atom",
                     n_structures=len(table), source="mp20_sample")


def _toy_objective(trial: optuna.Trial) -> float:
    """A cheap deterministic objective over the same space (for testing storages)."""
    p = SearchSpace().suggest(trial)
    return (p["mp_steps"] - 2) ** 2 + math.log2(p["latent_size"] / 16) ** 2 + p["learning_rate"]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line worker: join a study in a storage and run trials.

    ``python -m howbig.chapters.infrastructure.nas --storage URL --study NAME --n-trials N
    [--seed S] [--toy]``. With
    ``--toy`` the objective is a cheap analytic function (to try a storage); otherwise every
    trial trains an MPEU on the MP-20 sample (``--target``, ``--max-steps``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m howbig.chapters.infrastructure.nas", description=main.__doc__
    )
    parser.add_argument("--storage", default=DEFAULT_STORAGE, help="Optuna storage URL")
    parser.add_argument("--study", default="mpeu-mp20", help="study name")
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None,
                        help="sampler seed (default: random, so that workers differ)")
    parser.add_argument("--pruner", default="none", choices=["none", "median", "sha"])
    parser.add_argument("--target", default="band_gap",
                        choices=["band_gap", "formation_energy_per_atom"])
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--toy", action="store_true", help="analytic objective, no training")
    args = parser.parse_args(argv)
    study = create_study(args.study, args.storage, seed=args.seed, pruner=args.pruner)
    if args.toy:
        inner = _toy_objective
    else:
        data = quick_dataset(args.target, progress=False)
        inner = make_objective(data.train, data.validation, max_steps=args.max_steps,
                               prune=args.pruner != "none")
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        return inner(trial)

    study.optimize(objective, n_trials=args.n_trials)
    print(f"study {args.study}: {len(study.trials)} trials in {args.storage}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
