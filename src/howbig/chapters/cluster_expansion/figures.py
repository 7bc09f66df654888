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
                   label=f"{space.label},\n{k_used} features: {rmse:.1f} meV")
        if metal.any():
            ax.scatter(y[metal], pred[metal], s=30, marker="x", color=color, label="metals (gap 0)")
    ax.set_xlabel("DFT-GGA band gap (eV)")
    ax.set_ylabel("CE band gap (eV)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=9, loc="upper left")


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
    # sized for the book's ~700 px column: 7.5 in wide, no text below 8 pt (>= 10 px there)
    fig, axes = plt.subplots(len(pools), 2, figsize=(7.5, 3.9 * len(pools)),
                             constrained_layout=True, squeeze=False)
    for row, pool in enumerate(pools):
        members = [spaces[k] for k in sorted(spaces) if k[0] == pool]
        error_curves(axes[row, 0], members, rank=(ranks or {}).get(pool))
        _log_axis(axes[row, 0])
        axes[row, 0].set_title(f"{_POOL_TITLE[pool]} (p = {members[0].p}):\nfit error",
                               fontsize=10)
        axes[row, 0].legend(fontsize=9, loc="lower left")
        chosen = (parity or {}).get(pool) or [((pool, 1), None), ((pool, max(
            k[1] for k in spaces if k[0] == pool)), None)]
        _parity(axes[row, 1], y, [(spaces[key], size) for key, size in chosen])
        axes[row, 1].set_title(f"{_POOL_TITLE[pool]}:\npredicted vs DFT (in-sample)",
                               fontsize=10)
    return fig


def fit_vs_cv(
    runs: dict[str, dict[tuple[str, int], FeatureSpacePath]],
    *,
    ranks: dict[str, int] | None = None,
) -> Figure:
    """Fit (dashed) and CV (solid) RMSE vs features, one panel per (dataset, pool), stacked.

    Dots mark the minimum of each CV curve; error bars the nested CV estimate (outer-fold
    standard deviation) at the median size the inner CV chose, where computed.

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
    panels = [(label, pool) for label in labels for pool in pools]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.0, 3.4 * len(panels)),
                             constrained_layout=True, squeeze=False)
    for ax, (label, pool) in zip(axes[:, 0], panels, strict=True):
        members = [runs[label][k] for k in sorted(runs[label]) if k[0] == pool]
        error_curves(ax, members, which="fit", style="--", rank=(ranks or {}).get(pool))
        error_curves(ax, members, which="cv", style="-")
        ax.set_ylabel("RMSE (meV)")
        _log_axis(ax)
        for member in members:
            color = DEGREE_COLORS.get(member.degree)
            ax.plot(member.path.best("cv"), 1000 * np.nanmin(member.path.cv_rmse), "o",
                    color=color, ms=6, mec="white")
            if member.nested is not None:
                ax.errorbar(float(np.median(member.nested.chosen_sizes)),
                            1000 * member.nested.rmse, yerr=1000 * member.nested.spread,
                            fmt="D", color=color, ms=6, mec="black", capsize=3)
        ax.set_title(f"{label}: {_POOL_TITLE[pool]} (p = {members[0].p})", fontsize=11)
    # one legend for all panels, below them (the panel with most spaces has every entry)
    richest = max(axes[:, 0], key=lambda ax: len(ax.get_legend_handles_labels()[0]))
    fig.legend(*richest.get_legend_handles_labels(), loc="outside lower center", ncol=2,
               fontsize=9)
    return fig
