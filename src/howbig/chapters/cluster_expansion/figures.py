"""Figures of Chapter 4: standard vs nonlinear cluster expansion (the paper's Fig. 5 and more)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from howbig.chapters.cluster_expansion.experiment import FeatureSpacePath
from howbig.style import COLORS, use_style

__all__ = ["DEGREE_COLORS", "error_curves", "fig5", "fit_vs_cv"]

DEGREE_COLORS = {1: COLORS["blue"], 2: COLORS["orange"], 3: COLORS["red"]}
_POOL_TITLE = {"small": "small pool", "large": "large pool"}


def error_curves(ax: Axes, spaces: Sequence[FeatureSpacePath], *, which: str = "fit",
                 rank: int | None = None, style: str = "-") -> None:
    """RMSE (meV) against the number of features for ``spaces`` on ``ax``.

    A dashed vertical line marks the pool size p, a dotted one the rank of the pool's
    correlations on the data (where the standard CE path must end), if ``rank`` is given.
    """
    for space in spaces:
        values = space.path.fit_rmse if which == "fit" else space.path.cv_rmse
        end = space.path.n_steps if which == "fit" else len(values)
        ax.plot(space.path.sizes[:end], 1000 * values[:end], style,
                color=DEGREE_COLORS.get(space.degree, COLORS["black"]),
                label=f"{space.label} ({which})")
    p = spaces[0].p
    ax.axvline(p, color=COLORS["grey"], ls="--", lw=1)
    ax.annotate(f"p = {p}", (p, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize=9, color=COLORS["grey"])
    if rank is not None:
        ax.axvline(rank, color=COLORS["grey"], ls=":", lw=1)
        ax.annotate(f"rank {rank}", (rank, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -26), textcoords="offset points", fontsize=9,
                    color=COLORS["grey"])
    ax.set_xlabel("number of features")
    ax.set_ylabel(f"{'fit' if which == 'fit' else 'CV'} RMSE (meV)")


def _log_axis(ax: Axes) -> None:
    """Log y axis with plain numbers (1, 2, 5, 10, ...) as tick labels."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))


def _parity(ax: Axes, y: np.ndarray, models: Sequence[tuple[FeatureSpacePath, int | None]]) -> None:
    lo, hi = float(np.min(y)), float(np.max(y))
    pad = 0.05 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color=COLORS["grey"], lw=1)
    metal = y <= 0
    for (space, k), marker in zip(models, ("o", "s"), strict=False):
        k_used = space.path.n_steps if k is None else min(k, space.path.n_steps)
        pred = space.predict(k_used)
        rmse = 1000 * np.sqrt(np.mean((pred - y) ** 2))
        color = DEGREE_COLORS.get(space.degree, COLORS["black"])
        ax.scatter(y[~metal], pred[~metal], s=10, alpha=0.6, marker=marker, color=color,
                   label=f"{space.label}, {k_used} features: {rmse:.1f} meV")
        if metal.any():
            ax.scatter(y[metal], pred[metal], s=30, marker="x", color=color, label="metals (gap 0)")
    ax.set_xlabel("DFT-GGA band gap (eV)")
    ax.set_ylabel("CE band gap (eV)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=8, loc="upper left")


def fig5(
    spaces: dict[tuple[str, int], FeatureSpacePath],
    y: np.ndarray,
    *,
    ranks: dict[str, int] | None = None,
    parity: dict[str, Sequence[tuple[tuple[str, int], int | None]]] | None = None,
) -> Figure:
    """The paper's Fig. 5: fit RMSE vs features (left), parity plots (right), one row per pool.

    Parameters
    ----------
    spaces
        ``{(pool, degree): FeatureSpacePath}`` fitted on the targets ``y``.
    y
        Targets (eV).
    ranks
        Rank of each pool's correlations on the data (dotted line).
    parity
        Per pool, two ``((pool, degree), size)`` models to compare (size ``None``: path end).
    """
    use_style()
    pools = [p for p in ("small", "large") if any(k[0] == p for k in spaces)]
    fig, axes = plt.subplots(len(pools), 2, figsize=(11, 4.3 * len(pools)),
                             constrained_layout=True, squeeze=False)
    for row, pool in enumerate(pools):
        members = [spaces[k] for k in sorted(spaces) if k[0] == pool]
        error_curves(axes[row, 0], members, rank=(ranks or {}).get(pool))
        _log_axis(axes[row, 0])
        axes[row, 0].set_title(f"{_POOL_TITLE[pool]} (p = {members[0].p}): fit error")
        axes[row, 0].legend(fontsize=8, loc="lower left")
        chosen = (parity or {}).get(pool) or [((pool, 1), None), ((pool, max(
            k[1] for k in spaces if k[0] == pool)), None)]
        _parity(axes[row, 1], y, [(spaces[key], size) for key, size in chosen])
        axes[row, 1].set_title(f"{_POOL_TITLE[pool]}: predicted vs DFT (in-sample)")
    return fig


def fit_vs_cv(
    runs: dict[str, dict[tuple[str, int], FeatureSpacePath]],
    *,
    ranks: dict[str, int] | None = None,
) -> Figure:
    """Fit (dashed) and cross-validated (solid) RMSE vs features; rows: pools, columns: datasets.

    Parameters
    ----------
    runs
        ``{dataset label: {(pool, degree): FeatureSpacePath}}``, e.g. the 235-configuration subset
        and all configurations.
    ranks
        Rank of each pool's correlations (dotted line).
    """
    use_style()
    labels = list(runs)
    pools = [p for p in ("small", "large") if any(k[0] == p for r in runs.values() for k in r)]
    fig, axes = plt.subplots(len(pools), len(labels), figsize=(5.6 * len(labels),
                             4.0 * len(pools)), constrained_layout=True, squeeze=False,
                             sharey="row")
    for col, label in enumerate(labels):
        for row, pool in enumerate(pools):
            ax = axes[row, col]
            members = [runs[label][k] for k in sorted(runs[label]) if k[0] == pool]
            error_curves(ax, members, which="fit", style="--", rank=(ranks or {}).get(pool))
            error_curves(ax, members, which="cv", style="-")
            ax.set_ylabel("RMSE (meV)")
            _log_axis(ax)
            best = [(1000 * np.nanmin(m.path.cv_rmse), m.path.best("cv"), m) for m in members]
            for value, size, member in best:
                ax.plot(size, value, "o", color=DEGREE_COLORS.get(member.degree), ms=6,
                        mec="white")
            ax.set_title(f"{label}: {_POOL_TITLE[pool]} (p = {members[0].p})")
            if row == 0 and col == 0:
                ax.legend(fontsize=7.5, loc="lower left", ncol=2)
    return fig
