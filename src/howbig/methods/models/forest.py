"""Random-forest factory (Breiman 2001) with the book's defaults: seeded and single-threaded."""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import RandomForestRegressor

__all__ = ["make_rf"]


def make_rf(seed: int = 0, **params: Any) -> RandomForestRegressor:
    """An unfitted random-forest regressor.

    Parameters
    ----------
    seed
        ``random_state`` of the forest (bootstrap samples and feature subsets).
    **params
        Any :class:`sklearn.ensemble.RandomForestRegressor` parameter; ``n_estimators`` defaults
        to 100. ``n_jobs`` is 1: the book's machines are small and shared, and process-level
        parallelism happens outside the model.
    """
    params.setdefault("n_estimators", 100)
    return RandomForestRegressor(random_state=seed, n_jobs=1, **params)
