"""Chapter 6 helpers: every grid cell is queued; minima are counted only beyond the noise; the
facts recompute the paper's arithmetic and word undefined statistics as not computable."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import optuna
import pandas as pd
import pytest

from howbig.chapters.infrastructure.facts import (
    cost_facts,
    ranking_facts,
    schnet_facts,
    search_facts,
    storage_facts,
)
from howbig.chapters.infrastructure.nas import SearchSpace
from howbig.chapters.infrastructure.nas_analysis import grid_summary, nas_summary, trials_frame
from howbig.chapters.infrastructure.search import SeedNoise, enqueue_grid, resolved_minima
from howbig.chapters.infrastructure.storage import paper_campaign, storage_paper_check
from howbig.methods.models.schnet import parameter_breakdown
from howbig.report import NOT_COMPUTABLE, Recorder


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


@dataclass
class _Graphs:
    """The parts of a GraphSet the facts read."""

    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)


def _data() -> SimpleNamespace:
    """The parts of QuickData the facts read."""
    return SimpleNamespace(train=_Graphs(np.array([-1.0, 1.0] * 4)),
                           validation=_Graphs(np.zeros(2)), n_structures=10,
                           target="band_gap", source=SimpleNamespace(label="toy"))


def test_search_facts_compare_with_the_noise():
    space = SearchSpace(mp_steps=(1, 2, 3), latent_sizes=(8, 16, 32))
    frame = trials_frame(_toy_study(space, 12))
    grid, summary = grid_summary(frame, space), nas_summary(frame)
    data = _data()
    quiet = search_facts(grid, summary, SeedNoise({}, (0, 1), (0.0, 1e-6)), 9, data, 300, "quick")
    loud = search_facts(grid, summary, SeedNoise({}, (0, 1), (0.0, 10.0)), 9, data, 300, "quick")
    smoke = search_facts(grid, summary, SeedNoise({}, (0, 1), (0.0, 1e-6)), 9, data, 300, "smoke")
    assert quiet.cells == 9 and quiet.gain_verdict == "agrees"
    assert loud.gain_verdict == "no verdict: within the noise" and loud.resolved_minima == 0
    assert smoke.gain_verdict == "no verdict: fixture data"
    assert quiet.trivial_word in ("below", "above") and quiet.trivial_pct >= 0
    one_seed = search_facts(grid, summary, SeedNoise({}, (0,), (0.1,)), 9, data, 300, "quick")
    assert one_seed.noise_std is None and one_seed.gain_verdict == "no verdict: no noise estimate"


def test_undefined_rank_correlations_are_not_computable(monkeypatch):
    glued = {}
    monkeypatch.setattr("howbig.report._glue", lambda key, value: glued.__setitem__(key, value))
    curve = pd.DataFrame({"fraction": [0.1], "spearman": [np.nan], "kendall": [np.nan],
                          "same_best": [1.0]})
    agreement = {"n_pruned": 0.0, "step_fraction": 1.0, "spearman": 0.8333, "kendall": np.nan,
                 "same_best": 0.0}
    facts = ranking_facts(curve, agreement)
    assert facts.rank_first_spearman is None and facts.pruned_spearman == 0.83
    Recorder("infrastructure", prefix="nas_").facts(facts)
    assert glued["nas_rank_first_spearman"] == NOT_COMPUTABLE
    assert glued["nas_rank_first_best"] == "picks" and glued["nas_pruned_best"] == "misses"


def test_cost_facts_weigh_repeated_training():
    facts = cost_facts()
    assert facts.nas_gpu_hours == pytest.approx(2000 * 2e6 * 0.0033 / 3600)
    # the stated 40,000 h pay for ~11 trainings per architecture (8.2-13.6 across the band)
    assert facts.trainings_per_arch == pytest.approx(40_000 / facts.nas_gpu_hours)
    assert facts.trainings_low == pytest.approx(30_000 / facts.nas_gpu_hours)
    assert facts.hours_verdict == "does not check out"
    assert facts.derived_verdict == "checks out"
    # 5.7x is not "nearly an order of magnitude" (7-10x); the gradient step alone (7.7x) is
    assert facts.paper_cpu_gpu_ratio == pytest.approx(0.0189 / 0.0033)
    assert facts.ratio_verdict == "does not check out"
    assert facts.step_ratio_verdict == "checks out"
    assert facts.v100_verdict == facts.cpu_verdict == "checks out"


def test_schnet_count_is_this_builds_count():
    breakdown = parameter_breakdown(latent_size=64, interactions=3, n_species=81)
    facts = schnet_facts(breakdown, 1, "quick")
    assert facts.schnet_params == 85_216 and facts.schnet_verdict == "agrees"
    assert schnet_facts(breakdown, 1, "smoke").schnet_verdict == "no verdict: fixture data"


def test_storage_facts_name_the_first_wall():
    facts = storage_facts(paper_campaign(), storage_paper_check())
    assert facts.arithmetic_check == "checks out" and facts.n_calculations == 270_000
    assert "300 GB" in facts.wall_name and facts.wall_structures == pytest.approx(1111.11, 1e-4)
    assert facts.file_quota_structures == pytest.approx(1e6 / 369)
    assert facts.scratch_order == "before" and facts.n_walls_hit == facts.n_quotas == 3
    assert facts.literal_files == 30_000 * 41 and np.isclose(facts.literal_tb, 0.9)
