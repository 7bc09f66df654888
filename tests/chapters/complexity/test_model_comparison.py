"""Metrics and helpers of Chapter 5's experiments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from howbig.chapters.complexity.band_gaps import _mae_difference
from howbig.chapters.complexity.common import cross_validate_grid, mae, rmsle
from howbig.chapters.complexity.small_data import group_folds
from howbig.methods.bootstrap import bootstrap


def test_rmsle_known_values_and_clipping():
    assert rmsle([0.0, np.e - 1], [0.0, np.e - 1]) == 0.0
    assert rmsle([np.e - 1], [0.0]) == pytest.approx(1.0)
    assert rmsle([0.0], [-5.0]) == 0.0  # negative predictions clip to zero


def test_paired_difference_is_positive_when_the_forest_is_better():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    rf = y + rng.normal(scale=0.3, size=400)
    nn = y + rng.normal(scale=0.6, size=400)
    out = bootstrap(_mae_difference, y, nn, rf, n_boot=300)
    assert out.estimate == pytest.approx(mae(y, nn) - mae(y, rf))
    assert 0 < out.low < out.estimate < out.high


def test_group_folds_cover_every_group_once_per_repeat():
    groups = np.repeat(np.arange(12), 3)
    splits = group_folds(groups, n_folds=4, n_repeats=2, seed=0)
    assert len(splits) == 8
    for repeat in (0, 1):
        tests = [te for r, _, _, te in splits if r == repeat]
        assert sorted(np.concatenate(tests)) == list(range(36))
    for _, _, tr, te in splits:
        assert not set(groups[tr]) & set(groups[te])


def test_cross_validation_picks_the_right_regularization_and_keeps_types():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 0.0]) + 0.01 * rng.normal(size=200)
    best, table = cross_validate_grid(Ridge, {"alpha": [1e-3, 1e3]}, X, y, mae, n_folds=4,
                                      progress=False)
    assert best == {"alpha": 1e-3}
    assert isinstance(best["alpha"], float)
    assert len(table) == 2 and table.cv_score.is_monotonic_increasing


def test_curve_and_sweep_facts_choose_words_from_numbers():
    from howbig.chapters.complexity.facts import curve_facts, sweep_facts

    curves = pd.DataFrame({"n_train": [100, 1000] * 3,
                           "model": ["RF"] * 2 + ["NN"] * 2 + ["SISSO (FHI-aims)"] * 2,
                           "test MAE": [0.8, 0.4, 1.0, 0.6, 0.7, 0.65]})
    facts = curve_facts(curves)
    assert facts.lc_least_gain == "SISSO (FHI-aims)" and facts.lc_most_gain == "RF"
    assert facts.lc_rf_small == pytest.approx(800) and facts.lc_most_gain_pct == pytest.approx(50)
    sweep = pd.DataFrame({"budget": [100, 100, 1000, 1000], "model": ["RF", "NN"] * 2,
                          "parameters": [100, 100, 1000, 1000],
                          "test MAE": [0.6, 0.7, 0.5, 0.45]})
    sisso = pd.DataFrame({"rung": [0, 1], "dimension": [2, 3], "test MAE": [0.9, 0.8]})
    s = sweep_facts(sweep, sisso)
    assert s.matched_rf_wins == 1 and s.sisso_place == "comes last"
    assert s.nn_sweep_gain == pytest.approx(250) and s.sisso_gap_rung == 1


def test_gap_ranking_agrees_is_none_within_the_interval_and_follows_the_paper_outside():
    from types import SimpleNamespace

    from howbig.chapters.complexity.facts import gap_ranking_agrees

    def comparison(estimate, low, high):
        return SimpleNamespace(nn_minus_rf=SimpleNamespace(estimate=estimate, low=low,
                                                           high=high, n=100))

    assert gap_ranking_agrees(comparison(0.1, -0.02, 0.2)) is None  # interval includes 0
    assert gap_ranking_agrees(comparison(0.05, 0.01, 0.09)) is True  # RF better, as the paper
    assert gap_ranking_agrees(comparison(-0.05, -0.09, -0.01)) is False
