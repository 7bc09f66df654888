"""Chapter 6.2's search on top of :mod:`howbig.chapters.infrastructure.nas`: every cell of the
(message-passing steps, latent size) grid trained at least once, and the seed-to-seed noise of a
trial measured, so that differences between cells can be judged against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd

from howbig.chapters.infrastructure.nas import SearchSpace, make_objective
from howbig.chapters.infrastructure.nas_analysis import local_minima

__all__ = ["SeedNoise", "enqueue_grid", "resolved_minima", "seed_noise"]


def enqueue_grid(study: optuna.Study, space: SearchSpace) -> int:
    """Queue one trial per (message-passing steps, latent size) cell of ``space``.

    The learning rate and batch size of each queued trial are still drawn by the study's sampler,
    so the first ``space.n_architectures`` trials cover the grid of the paper's Fig. 7 and any
    further trials are random. Returns the number of queued trials.
    """
    for mp_steps in space.mp_steps:
        for latent_size in space.latent_sizes:
            study.enqueue_trial({"mp_steps": mp_steps, "latent_size": latent_size})
    return space.n_architectures


@dataclass(frozen=True)
class SeedNoise:
    """Best validation RMSE of one configuration retrained with different training seeds."""

    params: dict[str, Any]
    seeds: tuple[int, ...]
    values: tuple[float, ...]

    @property
    def std(self) -> float:
        """Sample standard deviation over the seeds (same unit as the values)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else float("nan")

    @property
    def spread(self) -> float:
        """Largest minus smallest value over the seeds."""
        return float(np.max(self.values) - np.min(self.values))


def seed_noise(train_set: Any, validation_set: Any, space: SearchSpace, params: dict[str, Any],
               seeds: Sequence[int], *, max_steps: int, eval_every: int,
               known: dict[int, float] | None = None) -> SeedNoise:
    """Retrain the configuration ``params`` with each training seed (in-memory studies).

    ``known`` maps seeds already trained (e.g. the search's own seed) to their value, which is
    reused instead of training again.
    """
    values = dict(known or {})
    for seed in seeds:
        if seed in values:
            continue
        study = optuna.create_study(direction="minimize")
        study.enqueue_trial(dict(params))
        study.optimize(make_objective(train_set, validation_set, space, max_steps=max_steps,
                                      eval_every=eval_every, seed=seed), n_trials=1)
        values[seed] = float(study.trials[0].value)
    order = tuple(sorted(values))
    return SeedNoise(dict(params), order, tuple(values[s] for s in order))


def resolved_minima(grid: pd.DataFrame, noise_std: float, factor: float = 2.0
                    ) -> list[tuple[int, int]]:
    """Cells lower than every filled 4-neighbour by more than ``factor * sqrt(2) * noise_std``.

    ``sqrt(2) * noise_std`` is the standard deviation of the difference of two single-seed
    values, so with ``factor = 2`` a local minimum is only counted where its dip is about twice
    the seed noise of that difference. With ``noise_std = 0`` this is
    :func:`howbig.chapters.infrastructure.nas_analysis.local_minima`.
    """
    margin = factor * np.sqrt(2.0) * (noise_std if np.isfinite(noise_std) else 0.0)
    values = grid.to_numpy(dtype=float)
    out = []
    for mp_steps, latent_size in local_minima(grid):
        i, j = list(grid.index).index(mp_steps), list(grid.columns).index(latent_size)
        column, row = values[max(i - 1, 0):i + 2, j], values[i, max(j - 1, 0):j + 2]
        around = np.concatenate([column, row])
        around = around[np.isfinite(around)]
        # the cell itself appears twice in ``around``; every other value must clear the margin
        if np.sum(around - values[i, j] > margin) == around.size - 2:
            out.append((mp_steps, latent_size))
    return out
