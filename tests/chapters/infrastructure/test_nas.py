"""Tests of the Optuna NAS layer: shared storages, summaries, pruning replay, rank agreement."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import optuna
import pandas as pd
import pytest

from howbig.chapters.infrastructure.nas import SearchSpace, create_study, toy_objective
from howbig.chapters.infrastructure.nas_analysis import (
    early_ranking_curve,
    grid_summary,
    local_minima,
    nas_summary,
    ranking_agreement,
    replay_pruner,
    trials_frame,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_two_workers_share_one_sqlite_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'nas.db'}"
    create_study("shared", url)  # create once, so the workers do not race on the schema
    cmd = [sys.executable, "-m", "howbig.cli", "nas", "worker", "--storage", url,
           "--study", "shared", "--n-trials", "6", "--toy", "0"]
    workers = [subprocess.Popen([*cmd, "--seed", str(seed)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for w in workers:
        _out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=url)
    trials = study.get_trials()
    assert len(trials) == 12
    assert sorted(t.number for t in trials) == list(range(12))  # unique, gap-free numbering
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["worker"] for t in trials}) == 2  # both processes contributed
    for t in trials:  # every stored value belongs to its stored parameters
        replay = optuna.trial.FixedTrial(t.params)
        assert t.value == pytest.approx(toy_objective(replay))
    assert study.best_value == min(t.value for t in trials)


def _planted_study(final: list[float], curves: list[list[float]] | None = None) -> optuna.Study:
    """A study of complete trials with given final values and validation curves."""
    space = SearchSpace()
    study = optuna.create_study(direction="minimize")
    dists = {
        "mp_steps": optuna.distributions.CategoricalDistribution(list(space.mp_steps)),
        "latent_size": optuna.distributions.CategoricalDistribution(list(space.latent_sizes)),
        "learning_rate": optuna.distributions.FloatDistribution(*space.learning_rate, log=True),
        "batch_size": optuna.distributions.CategoricalDistribution(list(space.batch_sizes)),
    }
    rng = np.random.default_rng(0)
    for i, value in enumerate(final):
        params = {"mp_steps": space.mp_steps[i % 3], "latent_size": space.latent_sizes[i // 3 % 3],
                  "learning_rate": float(10 ** rng.uniform(-3, -2)), "batch_size": 16}
        curve = curves[i] if curves else [value + 1.0, value + 0.5, value]
        study.add_trial(optuna.trial.create_trial(
            params=params, distributions=dists, value=min(curve),
            intermediate_values={10 * (j + 1): v for j, v in enumerate(curve)}))
    return study


def test_summary_and_grid_known_answer():
    study = _planted_study([0.5, 0.6, 0.7, 0.4])
    frame = trials_frame(study)
    s = nas_summary(frame)
    assert s["mean"] == pytest.approx(0.55) and s["median"] == pytest.approx(0.55)
    assert s["best"] == pytest.approx(0.4)
    assert s["improvement_percent"] == pytest.approx(100 * 0.15 / 0.55)
    assert (s["best_mp_steps"], s["best_latent_size"]) == (1, 16)  # trial 3: steps 1, latent 16
    grid = grid_summary(frame)
    assert grid.loc[1, 16] == pytest.approx(0.4) and grid.loc[1, 8] == pytest.approx(0.5)
    assert math.isnan(grid.loc[2, 16])  # no trial drew that cell
    full = grid_summary(frame, SearchSpace())
    assert full.shape == (3, 3) and full.notna().to_numpy().sum() == 4


def test_replay_without_pruning_keeps_everything_and_ranking():
    study = _planted_study([0.5, 0.6, 0.7, 0.4, 0.55])
    replay = replay_pruner(study, "none")
    assert [t.value for t in replay.trials] == [t.value for t in study.trials]
    agree = ranking_agreement(study, replay)
    assert agree["spearman"] == pytest.approx(1.0) and agree["kendall"] == pytest.approx(1.0)
    assert agree["same_best"] == 1.0 and agree["n_pruned"] == 0 and agree["step_fraction"] == 1.0


def test_median_pruner_replay_prunes_and_reports_rank_change():
    # planted: trial 3 starts worst but ends best (a late bloomer), the others are flat
    curves = [[0.50, 0.50, 0.50], [0.60, 0.60, 0.60], [0.70, 0.70, 0.70],
              [0.90, 0.80, 0.30], [0.65, 0.65, 0.65]]
    study = _planted_study([min(c) for c in curves], curves)
    replay = replay_pruner(study, "median", n_startup_trials=2)
    states = [t.state for t in replay.trials]
    assert states[3] == optuna.trial.TrialState.PRUNED  # worse than the median at step 10
    agree = ranking_agreement(study, replay)
    assert agree["n_pruned"] >= 1 and agree["step_fraction"] < 1.0
    assert agree["same_best"] == 0.0  # the pruned search loses the late bloomer
    assert agree["spearman"] < 1.0
    curve = early_ranking_curve(study)
    assert curve["fraction"].iloc[-1] == 1.0 and curve["spearman"].iloc[-1] == pytest.approx(1.0)
    assert curve["same_best"].iloc[0] == 0.0 and curve["same_best"].iloc[-1] == 1.0


def test_create_study_rejects_unknown_choices():
    with pytest.raises(ValueError, match="sampler"):
        create_study("x", None, sampler="grid-of-dreams")
    with pytest.raises(ValueError, match="pruner"):
        create_study("x", None, pruner="sometimes")


def test_random_sampler_is_reproducible():
    def draws(seed: int) -> pd.DataFrame:
        study = create_study("r", None, seed=seed)
        study.optimize(toy_objective, n_trials=5)
        return trials_frame(study)[["mp_steps", "latent_size", "learning_rate", "batch_size"]]

    pd.testing.assert_frame_equal(draws(3), draws(3))
    assert not draws(3).equals(draws(4))


def test_local_minima_counts_planted_valleys():
    convex = pd.DataFrame([[3.0, 2.0, 3.0], [2.0, 1.0, 2.0], [3.0, 2.0, 3.0]],
                          index=[1, 2, 3], columns=[8, 16, 32])
    assert local_minima(convex) == [(2, 16)]
    two = convex.copy()
    two.loc[1, 8] = 0.5  # a second valley in a corner
    assert sorted(local_minima(two)) == [(1, 8), (2, 16)]
    holes = convex.copy()
    holes.loc[2, 32] = np.nan
    assert local_minima(holes) == [(2, 16)]


@pytest.mark.slow
def test_objective_trains_reports_and_prunes():
    from ase.build import bulk

    from howbig.chapters.infrastructure.nas import make_objective
    from howbig.methods.graphs import build_graphs

    structures = [bulk("Si", "diamond", a=5.43 + 0.05 * i) for i in range(6)]
    structures += [bulk("NaCl", "rocksalt", a=5.6 + 0.05 * i) for i in range(6)]
    gaps = np.array([1.1 - 0.02 * i for i in range(6)] + [5.0 + 0.05 * i for i in range(6)])
    graphs = build_graphs(structures, gaps, k=4, progress=False)
    train, val = graphs.subset(np.arange(0, 12, 2)), graphs.subset(np.arange(1, 12, 2))
    space = SearchSpace(mp_steps=(1,), latent_sizes=(4,), batch_sizes=(4,))
    study = create_study("obj", None, seed=0)
    study.optimize(make_objective(train, val, space, max_steps=6, eval_every=3), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [3, 6]
    assert trial.value == pytest.approx(min(trial.intermediate_values.values()))
    assert trial.user_attrs["steps"] == 6 and trial.user_attrs["n_parameters"] > 0

    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    pruned = optuna.create_study(pruner=AlwaysPrune())
    pruned.optimize(make_objective(train, val, space, max_steps=6, eval_every=3, prune=True),
                    n_trials=1)
    assert pruned.trials[0].state == optuna.trial.TrialState.PRUNED
    assert sorted(pruned.trials[0].intermediate_values) == [3]


@pytest.mark.slow
def test_quick_dataset_is_chapter_2s_split_of_the_mp20_sample(shared_mirror):
    from howbig.chapters.infrastructure.nas import quick_dataset

    data = quick_dataset("band_gap", max_structures=60, seed=1, progress=False)
    assert data.n_structures == 60 == len(data.train) + len(data.validation)
    assert 0.6 < len(data.train) / 60 < 0.95  # a group split: about, not exactly, 80 %
    assert data.unit == "eV" and data.source.datasets == ("mp20_sample",)
