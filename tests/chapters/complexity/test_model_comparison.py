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
                          "test MAE": [0.6, 0.7, 0.5, 0.7]})
    sisso = pd.DataFrame({"rung": [0, 1], "dimension": [2, 3], "test MAE": [0.9, 0.8]})
    s = sweep_facts(sweep, sisso)
    assert s.matched_rf_wins == 2 and s.sisso_place == "third"
    assert s.rf_sweep_word == "below" and s.nn_sweep_word == "equal to"  # no gain: not "buys"
    assert s.nn_sweep_first == pytest.approx(700) and s.sisso_gap_rung == 1


def _comparison(estimate, low, high):
    from types import SimpleNamespace

    return SimpleNamespace(nn_minus_rf=SimpleNamespace(estimate=estimate, low=low, high=high,
                                                       n=100),
                           difference_resolved=low > 0 or high < 0)


def test_rf_nn_ranking_is_judged_by_the_ranking_rule_and_never_in_smoke():
    from howbig.chapters.complexity.facts import better_class, rf_nn_gap
    from howbig.verdicts import verdict

    def judged(c, kind="analogue"):
        return verdict("rf_nn_gap_ranking", rf_nn_gap(c), kind=kind).label

    assert judged(_comparison(0.1, -0.02, 0.2)) == "no verdict: within the noise"
    assert judged(_comparison(0.05, 0.01, 0.09)) == "agrees"  # RF better, as the paper
    assert judged(_comparison(-0.05, -0.09, -0.01)) == "disagrees"
    assert judged(_comparison(0.05, 0.01, 0.09), "fixture") == "no verdict: fixture data"
    assert [better_class(_comparison(*x)) for x in
            ((0.1, -0.02, 0.2), (0.05, 0.01, 0.09), (-0.05, -0.09, -0.01))] == [
        "neither", "the forest", "the network"]


def test_settings_record_reads_every_profile():
    from howbig.chapters.complexity.settings import ComplexitySettings

    quick, smoke = ComplexitySettings.of("quick"), ComplexitySettings.of("smoke")
    assert smoke.gap_n_train < quick.gap_n_train
    assert ComplexitySettings.of("full").gap_n_train is None
    assert isinstance(quick.gap_budgets, tuple) and isinstance(quick.nn_hidden_grid[0], tuple)
