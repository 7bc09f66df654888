"""Percentile bootstrap of a statistic over resampled observations (one implementation).

For observations :math:`x_1..x_n` and a statistic :math:`T`, draw ``n_boot`` resamples with
replacement, evaluate :math:`T` on each and report the ``(1-c)/2`` and ``(1+c)/2`` percentiles.
Paired data (e.g. ``y_true`` and ``y_pred``) are resampled together by index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BootstrapResult", "bootstrap"]


@dataclass(frozen=True)
class BootstrapResult:
    """A statistic on the full sample with its bootstrap standard error and interval."""

    estimate: float
    stderr: float
    low: float
    high: float
    confidence: float
    n: int
    n_boot: int

    @property
    def half_width(self) -> float:
        """Half the width of the interval (a symmetric ``±`` for tables)."""
        return 0.5 * (self.high - self.low)


def bootstrap(
    statistic: Callable[..., float],
    *arrays: np.ndarray,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapResult:
    """Percentile bootstrap of ``statistic(*arrays)``, resampling the arrays' rows together.

    Parameters
    ----------
    statistic
        Function of the arrays returning a number, e.g. ``np.mean`` or
        ``lambda t, p: np.mean(np.abs(t - p))``.
    *arrays
        One or more arrays of equal length ``n`` (first axis).
    n_boot, confidence, seed
        Number of resamples, interval coverage and random seed.

    Returns
    -------
    BootstrapResult
        All fields NaN when ``n == 0``.
    """
    arrays = tuple(np.asarray(a) for a in arrays)
    if not arrays:
        raise ValueError("bootstrap needs at least one array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"arrays differ in length: {[len(a) for a in arrays]}")
    if n == 0:
        nan = float("nan")
        return BootstrapResult(nan, nan, nan, nan, confidence, 0, n_boot)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(n_boot, n))
    values = np.array([statistic(*(a[i] for a in arrays)) for i in index], dtype=float)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return BootstrapResult(
        float(statistic(*arrays)), float(values.std(ddof=1)), float(low), float(high),
        confidence, n, n_boot,
    )
