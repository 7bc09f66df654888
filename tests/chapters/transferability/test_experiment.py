"""Error matrices of the cross-database experiment, on planted predictions (no training)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.experiment import CrossDatabaseResult, error_matrices


def _planted() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    shifts = {("A", "A"): 0.01, ("B", "B"): -0.01, ("A", "B"): 0.5, ("B", "A"): -0.5,
              ("A+B", "A"): 0.02, ("A+B", "B"): -0.02}
    for (trained, tested), shift in shifts.items():
        target = rng.normal(size=40 if tested == "A" else 60)
        rows.append(pd.DataFrame({"trained_on": trained, "evaluated_on": tested,
                                  "id": np.arange(len(target)), "key": "k", "target": target,
                                  "prediction": target + shift}))
    return pd.concat(rows, ignore_index=True)


def test_error_matrices_and_summaries_on_planted_shifts():
    p = _planted()
    mae, rmse, bias = error_matrices(p, ["A", "B", "A+B"], ["A", "B"])
    assert mae.loc["A", "A"] == pytest.approx(10) and mae.loc["A", "B"] == pytest.approx(500)
    assert bias.loc["B", "A"] == pytest.approx(-500) and rmse.loc["B", "B"] == pytest.approx(10)
    # combined pools 40 + 60 entries
    assert mae.loc["A", "combined"] == pytest.approx((40 * 10 + 60 * 500) / 100)
    result = CrossDatabaseResult(p, mae, rmse, bias, results={}, sizes=pd.DataFrame())
    assert result.names == ["A", "B"]
    assert result.cross_factor() == pytest.approx(50)
    debiased = result.debiased_mae()
    assert debiased.loc["A", "B"] == pytest.approx(0, abs=1e-6)  # a constant shift only
    assert debiased.loc["A", "combined"] > 100  # two different shifts pooled

