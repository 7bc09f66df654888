"""Analysis of a NAS study (paper Section 6.2, Fig. 7): summaries, the Fig. 7 grid, pruning replay.

Everything here reads a finished :class:`optuna.Study` (or its :func:`trials_frame`); nothing
trains. :func:`replay_pruner` replays a finished full-training study through a pruner without
retraining (training is deterministic given its seed, so the replayed decisions are the ones a
pruned run would make), and :func:`ranking_agreement` measures how far the shortcut changes the
ranking. The search itself (space, objective, storage, workers) is :mod:`.nas`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from howbig.chapters.infrastructure.nas import SearchSpace

__all__ = [
    "early_ranking_curve",
    "grid_summary",
    "local_minima",
    "make_pruner",
    "nas_summary",
    "ranking_agreement",
    "replay_pruner",
    "trials_frame",
]


def make_pruner(name: str | None, *, n_startup_trials: int = 3,
                n_warmup_steps: int = 0) -> optuna.pruners.BasePruner:
    """An Optuna pruner by name: ``None``/``"none"``, ``"median"`` or ``"sha"``."""
    if name in (None, "none"):
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials,
                                           n_warmup_steps=n_warmup_steps)
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner()
    raise ValueError(f"unknown pruner {name!r}; use 'none', 'median' or 'sha'")


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
                                 pruner=make_pruner(pruner, **pruner_kwargs))
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
