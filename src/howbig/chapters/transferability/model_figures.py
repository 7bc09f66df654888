"""Figures of Chapter 2 (model side): Fig. 1 analogues (parity grids), learning curves, errors.

:func:`parity_grid` draws the crystal-graph experiment
(:class:`~howbig.chapters.transferability.experiment.CrossDatabaseResult`), the others the
composition experiment (:class:`~howbig.chapters.transferability.compositions.TransferResult`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.experiment import CrossDatabaseResult
from howbig.style import COLORS, use_style

__all__ = [
    "parity_grid",
    "transfer_parity",
]

_PALETTE = (COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"])


def parity_grid(
    result: CrossDatabaseResult,
    *,
    quantity: str = "formation energy (eV/atom)",
    max_points: int = 2000,
    seed: int = 0,
) -> Figure:
    """Predicted vs target for every (training set, test set) pair, with the MAE in each panel.

    Rows: the training set (each database, then their combination). Columns: the test set
    (each database's test split, then all test splits together). Panels where the model is
    tested on the database it was trained on are framed in black; the points are coloured by
    the database they come from. Every column shares its axis range, which spans all targets and
    predictions of the column, so that cross-database shifts stay visible.

    Parameters
    ----------
    result
        Output of :func:`howbig.chapters.transferability.experiment.cross_database_experiment`.
    quantity
        Axis label of the target, with its unit.
    max_points
        At most this many points per panel (random subsample, for a light figure).
    seed
        Seed of that subsample.
    """
    use_style()
    rows, cols = list(result.mae.index), list(result.mae.columns)
    names = result.names
    colour = {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}
    p = result.predictions
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(3.1 * len(cols), 3.0 * len(rows)),
                             squeeze=False, constrained_layout=True)
    rng = np.random.default_rng(seed)
    for j, tested in enumerate(cols):
        in_col = p if tested == "combined" else p[p["evaluated_on"] == tested]
        values = np.concatenate([in_col["target"], in_col["prediction"]])
        lo, hi = float(np.min(values)), float(np.max(values))
        pad = 0.05 * (hi - lo)
        lim = (lo - pad, hi + pad)
        for i, trained in enumerate(rows):
            ax = axes[i, j]
            part = in_col[in_col["trained_on"] == trained]
            if len(part) > max_points:
                part = part.iloc[np.sort(rng.choice(len(part), max_points, replace=False))]
            for name in names:
                sel = part[part["evaluated_on"] == name]
                ax.scatter(sel["target"], sel["prediction"], s=6, alpha=0.5, lw=0,
                           color=colour[name], label=name if (i, j) == (0, len(cols) - 1) else None)
            ax.plot(lim, lim, color=COLORS["black"], lw=0.8)
            ax.set_xlim(lim)
            ax.set_ylim(lim)
            ax.set_aspect("equal")
            mae = result.mae.loc[trained, tested]
            bias = result.bias.loc[trained, tested]
            ax.text(0.04, 0.96, f"MAE {mae:.0f} meV/atom\nbias {bias:+.0f} meV/atom",
                    transform=ax.transAxes, va="top", fontsize=9,
                    bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
            if trained == tested:
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_linewidth(2.0)
                    spine.set_color(COLORS["black"])
            if i == 0:
                ax.set_title(f"tested on {tested}")
            if j == 0:
                ax.set_ylabel(f"trained on {trained}\npredicted", fontsize=10)
            if i == len(rows) - 1:
                ax.set_xlabel(f"target {quantity}", fontsize=9)
    handles, labels = axes[0, -1].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=len(names),
                   markerscale=3, title="test entries from")
    return fig


def _frame(ax, color: str = COLORS["black"]) -> None:
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(2.0)
        spine.set_color(color)


def transfer_parity(result: TransferResult, *, seed: int = 0, quantity: str = "eV/atom",
                    max_points: int = 1500, lim: tuple[float, float] = (-4.5, 1.5)) -> Figure:
    """Fig. 1 analogue on compositions: predicted vs target, rows = training set, columns =
    test set, for one seed; the MAE (mean +- std over all seeds) in each panel."""
    use_style()
    p = result.predictions
    rows = list(dict.fromkeys(p["trained_on"]))
    cols = list(dict.fromkeys(p["tested_on"]))
    cells = result.cells()
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(3.3 * len(cols), 3.2 * len(rows)),
                             squeeze=False, constrained_layout=True)
    rng = np.random.default_rng(0)
    for i, trained in enumerate(rows):
        for j, tested in enumerate(cols):
            ax = axes[i, j]
            sel = (p["trained_on"] == trained) & (p["tested_on"] == tested) & (p["seed"] == seed)
            part = p[sel]
            if len(part) > max_points:
                part = part.iloc[np.sort(rng.choice(len(part), max_points, replace=False))]
            ax.scatter(part["target"], part["prediction"], s=5, alpha=0.4, lw=0,
                       color=_PALETTE[j % len(_PALETTE)])
            ax.plot(lim, lim, color=COLORS["black"], lw=0.8)
            ax.set(xlim=lim, ylim=lim, aspect="equal")
            c = cells.loc[(trained, tested)]
            ax.text(0.04, 0.96, f"MAE {c['mae']:.3f} $\\pm$ {c['mae std']:.3f}\n"
                    f"offset {c['offset']:+.3f}", transform=ax.transAxes, va="top", fontsize=9.5,
                    bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
            if trained == tested:
                _frame(ax)
            if i == 0:
                ax.set_title(f"tested on {tested}", fontsize=11)
            if j == 0:
                ax.set_ylabel(f"trained on {trained}\npredicted ({quantity})", fontsize=10)
            if i == len(rows) - 1:
                ax.set_xlabel(f"target ({quantity})", fontsize=10)
    return fig
