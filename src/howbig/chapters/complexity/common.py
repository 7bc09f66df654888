"""Metrics, cross-validation and complexity rows shared by Chapter 5's two experiments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, ParameterGrid
from tqdm.auto import tqdm

from howbig.methods.complexity import (
    eq4_forest,
    eq4_mlp,
    eq4_sisso,
    forest_complexity,
    nn_complexity,
    sisso_complexity,
)
from howbig.methods.models.mlp import MLPRegressor
from howbig.methods.models.sisso import SissoRegressor

__all__ = ["complexity_row", "cross_validate_grid", "mae", "rmsle"]


def rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root-mean-squared logarithmic error, ``sqrt(mean((log1p(p) - log1p(y))^2))``.

    Negative predictions are clipped to 0 first (the targets are non-negative errors).
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.clip(np.asarray(y_pred, dtype=float), 0.0, None)
    return float(np.sqrt(np.mean((np.log1p(y_pred) - np.log1p(y_true)) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def complexity_row(name: str, model: Any) -> dict[str, Any]:
    """One row of a complexity table: the class's own measure and eq. (4)'s split."""
    if isinstance(model, SissoRegressor):
        c = sisso_complexity(model)
        split = eq4_sisso(model)
        measure = f"(rung, dimension) = ({c['rung']}, {c['dimension']})"
        cls = "SISSO"
    elif isinstance(model, MLPRegressor):
        c = nn_complexity(model.params_)
        split = eq4_mlp(model.params_)
        measure = f"(weights, biases) = ({c['weights']}, {c['biases']})"
        cls = "NN"
    else:
        c = forest_complexity(model)
        split = eq4_forest(model)
        measure = f"leaves = {c['leaves']} ({c['splits']} splits, {c['trees']} trees)"
        cls = "RF"
    return {"model": name, "class": cls, "complexity": measure, "A (additive)": split.additive,
            "L (linear)": split.linear, "N (nonlinear)": split.nonlinear,
            "parameters": split.total}


def cross_validate_grid(make: Callable[..., Any], grid: dict[str, Sequence[Any]],
                        X: np.ndarray, y: np.ndarray, metric: Callable, n_folds: int = 3,
                        seed: int = 0, groups: np.ndarray | None = None,
                        progress: bool = True) -> tuple[dict[str, Any], pd.DataFrame]:
    """K-fold cross-validation over a parameter grid; returns the best parameters and the table.

    ``make(**params)`` builds an unfitted estimator; ``metric(y, p)`` is minimised. With ``groups``
    the folds keep each group together.
    """
    if groups is None:
        folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(X))
    else:
        folds = list(GroupKFold(n_folds).split(X, y, groups))
    rows = []
    candidates = list(ParameterGrid(grid))
    for params in tqdm(candidates, desc="CV", disable=not progress, leave=False):
        scores = []
        for tr, va in folds:
            model = make(**params).fit(X[tr], y[tr])
            scores.append(metric(y[va], model.predict(X[va])))
        rows.append({**{k: str(v) for k, v in params.items()},
                     "cv_score": float(np.mean(scores)), "cv_std": float(np.std(scores))})
    scores = np.array([r["cv_score"] for r in rows])
    best = candidates[int(np.argmin(scores))]  # keeps the grid's own types (int stays int)
    table = pd.DataFrame(rows).sort_values("cv_score").reset_index(drop=True)
    return dict(best), table
