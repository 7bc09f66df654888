"""Chapter 6.2 helpers: every grid cell is queued; minima are counted only beyond the noise;
the cost facts recompute the paper's arithmetic."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

from howbig.chapters.infrastructure.facts import cost_facts, search_facts, storage_facts
from howbig.chapters.infrastructure.nas import SearchSpace, grid_summary, nas_summary, trials_frame
from howbig.chapters.infrastructure.search import SeedNoise, enqueue_grid, resolved_minima
from howbig.chapters.infrastructure.storage import paper_campaign


def _toy_study(space: SearchSpace, n_trials: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    enqueue_grid(study, space)

    def objective(trial: optuna.Trial) -> float:
        p = space.suggest(trial)
        return 0.1 * p["mp_steps"] + 0.001 * p["latent_size"] + p["learning_rate"]

    study.optimize(objective, n_trials=n_trials)
    return study


def test_enqueued_grid_fills_every_cell():
    space = SearchSpace(mp_steps=(1, 2, 3), latent_sizes=(8, 16, 32))
    grid = grid_summary(trials_frame(_toy_study(space, space.n_architectures)), space)
    assert grid.notna().to_numpy().all()


def test_minima_within_the_noise_are_not_counted():
    grid = pd.DataFrame([[1.0, 2.0, 1.05], [2.0, 3.0, 2.0], [1.5, 2.0, 2.5]],
                        index=[1, 2, 3], columns=[8, 16, 32])
    assert len(resolved_minima(grid, 0.0)) == 3  # (1,8), (1,32) and (3,8)
    # a dip of 0.5 is below 2 * sqrt(2) * 0.3 = 0.85: only the two deep minima remain
    assert resolved_minima(grid, 0.3) == [(1, 8), (1, 32)]
    assert resolved_minima(grid, 1.0) == []


def test_seed_noise_statistics():
    noise = SeedNoise({"mp_steps": 1}, (0, 1, 2), (0.5, 0.6, 0.7))
    assert noise.std == pytest.approx(0.1) and noise.spread == pytest.approx(0.2)


def test_search_facts_compare_with_the_noise():
    space = SearchSpace(mp_steps=(1, 2, 3), latent_sizes=(8, 16, 32))
    frame = trials_frame(_toy_study(space, 12))
    grid, summary = grid_summary(frame, space), nas_summary(frame)
    quiet = search_facts(grid, summary, SeedNoise({}, (0, 1), (0.0, 1e-6)), 9, 1.0)
    loud = search_facts(grid, summary, SeedNoise({}, (0, 1), (0.0, 10.0)), 9, 1.0)
    assert quiet.nas_cells == 9 and quiet.improvement_resolved == "larger than"
    assert loud.improvement_resolved == "not larger than" and loud.nas_resolved_minima == 0


def test_cost_facts_find_the_factor_of_ten():
    facts = cost_facts()
    assert facts.nas_gpu_hours == pytest.approx(2000 * 2e6 * 0.0033 / 3600)
    assert facts.factor == pytest.approx(40_000 / facts.nas_gpu_hours)
    assert facts.hours_verdict == "does not agree" and facts.derived_verdict == "consistent"


def test_storage_facts_name_the_first_wall():
    facts = storage_facts(paper_campaign())
    assert "300 GB" in facts.wall_name and facts.wall_structures == pytest.approx(1111.11, 1e-4)
    assert facts.file_quota_structures == pytest.approx(1e6 / 369)
    assert facts.scratch_order == "before" and facts.n_walls_hit == facts.n_quotas == 3
    assert facts.literal_files == 30_000 * 41 and np.isclose(facts.literal_tb, 0.9)
