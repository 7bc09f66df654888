"""Experiment 2 of Chapter 5: random forests against neural networks (and SISSO) on band gaps.

AFLOW band gaps of non-metals with composition features (:mod:`howbig.methods.features`):
cross-validated hyperparameters, test MAE with bootstrap uncertainty, sweeps at matched parameter
counts and learning curves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from tqdm.auto import tqdm

from howbig.chapters.complexity.common import complexity_row, cross_validate_grid, mae
from howbig.chapters.complexity.settings import ComplexitySettings
from howbig.methods.bootstrap import BootstrapResult, bootstrap
from howbig.methods.complexity import forest_complexity, mlp_parameter_count
from howbig.methods.models.forest import make_rf
from howbig.methods.models.mlp import MLPRegressor, hidden_for_parameters
from howbig.methods.models.sisso import SissoRegressor

__all__ = ["GapComparison", "gap_comparison", "learning_curves", "matched_sweep", "sisso_sweep"]


def _mae_stat(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(y - p)))


def _mae_difference(y: np.ndarray, nn: np.ndarray, rf: np.ndarray) -> float:
    """MAE(NN) - MAE(RF) on the same resampled test points (a paired statistic)."""
    return float(np.mean(np.abs(y - nn)) - np.mean(np.abs(y - rf)))


@dataclass
class GapComparison:
    """RF vs NN with cross-validated hyperparameters (:func:`gap_comparison`); errors in eV.

    ``rf_mae``, ``nn_mae``: test MAE with 95 % bootstrap intervals over the test compounds;
    ``nn_minus_rf``: paired bootstrap of MAE(NN) - MAE(RF) (positive: the forest is better).
    """

    rf: Any
    nn: MLPRegressor
    rf_params: dict[str, Any]
    nn_params: dict[str, Any]
    rf_mae: BootstrapResult
    nn_mae: BootstrapResult
    nn_minus_rf: BootstrapResult
    complexity: pd.DataFrame

    @property
    def difference_resolved(self) -> bool:
        """Whether the paired 95 % interval of MAE(NN) - MAE(RF) excludes zero."""
        return self.nn_minus_rf.low > 0 or self.nn_minus_rf.high < 0

    def rows(self, setting: str) -> list[dict[str, Any]]:
        """Table rows (eV) for ``setting``: model, MAE, its interval and the hyperparameters."""
        return [{"setting": setting, "model": name, "mae": r.estimate, "lo": r.low, "hi": r.high,
                 "hyperparameters": str(params)}
                for name, r, params in (("RF", self.rf_mae, self.rf_params),
                                        ("NN", self.nn_mae, self.nn_params))]


def gap_comparison(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                   y_test: np.ndarray, cfg: ComplexitySettings, seed: int = 0,
                   progress: bool = True) -> GapComparison:
    """RF vs NN with cross-validated hyperparameters; test MAE (eV) with bootstrap intervals.

    ``cfg`` sets ``gap_rf_grid``, ``gap_nn_grid``, ``gap_cv_folds``, ``gap_nn_epochs`` and
    ``gap_batch``.
    """

    def make_nn(**params: Any) -> MLPRegressor:
        params = {**params, "hidden": tuple(params["hidden"])}
        return MLPRegressor(epochs=cfg.gap_nn_epochs, batch_size=cfg.gap_batch, seed=seed,
                            **params)

    rf_best, _ = cross_validate_grid(lambda **p: make_rf(seed, **p), cfg.gap_rf_grid,
                                     X_train, y_train, mae, cfg.gap_cv_folds, seed,
                                     progress=progress)
    nn_grid = {**cfg.gap_nn_grid, "hidden": [tuple(h) for h in cfg.gap_nn_grid["hidden"]]}
    nn_best, _ = cross_validate_grid(make_nn, nn_grid, X_train, y_train, mae,
                                     cfg.gap_cv_folds, seed, progress=progress)
    rf = make_rf(seed, **rf_best).fit(X_train, y_train)
    nn = make_nn(**nn_best).fit(X_train, y_train)
    rf_pred, nn_pred = rf.predict(X_test), nn.predict(X_test)
    return GapComparison(
        rf=rf, nn=nn, rf_params=rf_best, nn_params=nn_best,
        rf_mae=bootstrap(_mae_stat, y_test, rf_pred, seed=seed),
        nn_mae=bootstrap(_mae_stat, y_test, nn_pred, seed=seed),
        nn_minus_rf=bootstrap(_mae_difference, y_test, nn_pred, rf_pred, seed=seed),
        complexity=pd.DataFrame([complexity_row("RF (CV)", rf), complexity_row("NN (CV)", nn)]),
    )


def matched_sweep(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                  y_test: np.ndarray, budgets: Sequence[int], nn_kwargs: dict[str, Any],
                  n_trees: int = 10, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """RF and NN at matched parameter counts: RF leaves ~= NN weights + biases ~= budget.

    The RF has ``n_trees`` trees of at most ``budget / n_trees`` leaves; the NN two equal hidden
    layers sized by :func:`hidden_for_parameters`.
    """
    rows = []
    for budget in tqdm(list(budgets), desc="matched budgets", disable=not progress, leave=False):
        rf = make_rf(seed, n_estimators=n_trees,
                     max_leaf_nodes=max(2, round(budget / n_trees)), max_features=0.33)
        rf.fit(X_train, y_train)
        hidden = hidden_for_parameters(X_train.shape[1], budget, n_layers=2)
        nn = MLPRegressor(hidden=hidden, seed=seed, **nn_kwargs).fit(X_train, y_train)
        rows.append({"budget": budget, "model": "RF", "parameters": forest_complexity(rf)["leaves"],
                     "test MAE": mae(y_test, rf.predict(X_test))})
        rows.append({"budget": budget, "model": "NN",
                     "parameters": mlp_parameter_count(X_train.shape[1], hidden)["total"],
                     "test MAE": mae(y_test, nn.predict(X_test))})
    return pd.DataFrame(rows)


def sisso_sweep(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                y_test: np.ndarray, rungs: Sequence[int], max_dim: int, n_sis: int,
                progress: bool = True) -> pd.DataFrame:
    """SISSO test MAE for every (rung, dimension); one fit per rung gives all dimensions."""
    rows = []
    for rung in tqdm(list(rungs), desc="SISSO rungs", disable=not progress, leave=False):
        model = SissoRegressor(max_rung=rung, n_dim=max_dim, n_sis=n_sis).fit(X_train, y_train)
        for m in model.models_:
            p = model.predict(X_test, dimension=m["dimension"])
            rows.append({"rung": rung, "dimension": m["dimension"] + 1,
                         "parameters": m["dimension"] + 1, "test MAE": mae(y_test, p),
                         "descriptors": "; ".join(m["descriptors"]),
                         "fit seconds": model.fit_seconds_})
    return pd.DataFrame(rows)


def learning_curves(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                    y_test: np.ndarray, sizes: Sequence[int],
                    models: dict[str, Callable[[], Any]], seed: int = 0,
                    progress: bool = True) -> pd.DataFrame:
    """Test MAE of each model class trained on nested random subsets of growing size."""
    order = np.random.default_rng(seed).permutation(len(y_train))
    rows = []
    jobs = [(n, name) for n in sizes for name in models]
    for n, name in tqdm(jobs, desc="learning curves", disable=not progress, leave=False):
        idx = order[:n]
        model = models[name]()
        model = clone(model) if isinstance(model, BaseEstimator) else model
        model.fit(X_train[idx], y_train[idx])
        rows.append({"n_train": n, "model": name, "test MAE": mae(y_test, model.predict(X_test))})
    return pd.DataFrame(rows)
