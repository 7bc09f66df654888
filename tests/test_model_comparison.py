"""Metrics and helpers of Chapter 5's experiments."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from howbig.chapters.complexity.experiment import bootstrap_mae, cross_validate_grid, mae, rmsle


def test_rmsle_known_values_and_clipping():
    assert rmsle([0.0, np.e - 1], [0.0, np.e - 1]) == 0.0
    assert rmsle([np.e - 1], [0.0]) == pytest.approx(1.0)
    assert rmsle([0.0], [-5.0]) == 0.0  # negative predictions clip to zero


def test_bootstrap_mae_brackets_the_mae():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    p = y + rng.normal(scale=0.5, size=500)
    out = bootstrap_mae(y, p, n_boot=500)
    assert out["mae"] == pytest.approx(mae(y, p))
    assert out["lo"] < out["mae"] < out["hi"]
    # the standard error of a mean of |N(0, 0.5)| over 500 points is about 0.3/sqrt(500)
    assert out["se"] == pytest.approx(0.5 * np.sqrt(1 - 2 / np.pi) / np.sqrt(500), rel=0.25)


def test_cross_validation_picks_the_right_regularization_and_keeps_types():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 0.0]) + 0.01 * rng.normal(size=200)
    best, table = cross_validate_grid(Ridge, {"alpha": [1e-3, 1e3]}, X, y, mae, n_folds=4,
                                      progress=False)
    assert best == {"alpha": 1e-3}
    assert isinstance(best["alpha"], float)
    assert len(table) == 2 and table.cv_score.is_monotonic_increasing
