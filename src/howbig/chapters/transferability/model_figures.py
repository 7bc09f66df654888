"""Figures of Chapter 2 (model side): Fig. 1 analogues (parity grids), learning curves, errors.

:func:`parity_grid` draws the crystal-graph experiment
(:class:`~howbig.chapters.transferability.experiment.CrossDatabaseResult`), the others the
composition experiment (:class:`~howbig.chapters.transferability.compositions.TransferResult`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.experiment import CrossDatabaseResult
from howbig.chapters.transferability.statistics import GROUPS
from howbig.style import COLORS, use_style

__all__ = [
    "error_decomposition_figure",
    "learning_curve_figure",
    "parity_grid",
    "transfer_parity",
    "validation_curves",
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


def validation_curves(result: TransferResult, *, ylabel: str = "validation MAE") -> Figure:
    """Validation loss against step, one panel per training set, one line per seed; a dot at
    the best step and a cross where early stopping ended a run."""
    use_style()
    names = list(dict.fromkeys(result.curves["trained_on"]))
    fig, axes = plt.subplots(1, len(names), figsize=(2.4 * len(names) + 0.6, 3.3),
                             squeeze=False, sharey=True, constrained_layout=True)
    for ax, name in zip(axes[0], names, strict=True):
        for k, (seed, c) in enumerate(result.curves[result.curves["trained_on"] == name]
                                      .groupby("seed")):
            color = _PALETTE[k % len(_PALETTE)]
            ax.plot(c["step"], c["validation_loss"], color=color, lw=1.4, label=f"seed {seed}")
            run = result.runs[(result.runs["trained_on"] == name) & (result.runs["seed"] == seed)]
            best = c.loc[c["step"] == int(run["best_step"].iloc[0]), "validation_loss"]
            ax.plot(int(run["best_step"].iloc[0]), float(best.iloc[0]), "o", color=color, ms=5)
            if bool(run["stopped_early"].iloc[0]):
                ax.plot(c["step"].iloc[-1], c["validation_loss"].iloc[-1], "x", color=color,
                        ms=8, mew=2)
        ax.set_title(f"trained on {name}", fontsize=10)
        ax.set_xlabel("step")
    axes[0, 0].set_ylabel(ylabel)
    axes[0, 0].legend(fontsize=9)
    return fig


def error_decomposition_figure(cells: pd.DataFrame, pairs: list[tuple[str, str]],
                               *, unit: str = "eV/atom") -> Figure:
    """Per chemistry group and (trained on, tested on) pair: the MAE (with its std over seeds),
    the |mean offset| and the scatter left after removing the offset, side by side.

    ``cells`` is :meth:`TransferResult.cells` with ``by=("group",)``.
    """
    use_style()
    fig, axes = plt.subplots(1, len(GROUPS), figsize=(7.0, 3.7), sharey=True,
                             constrained_layout=True)
    x = np.arange(len(pairs))
    width = 0.27
    for ax, group in zip(axes, GROUPS, strict=True):
        rows = [cells.loc[(a, b, group)] for a, b in pairs]
        ax.bar(x - width, [r["mae"] for r in rows], width, yerr=[r["mae std"] for r in rows],
               color=COLORS["blue"], label="MAE", capsize=2)
        ax.bar(x, np.abs([r["offset"] for r in rows]), width, color=COLORS["red"],
               label="|mean offset|")
        ax.bar(x + width, [r["scatter"] for r in rows], width, color=COLORS["sky"],
               label="scatter")
        ax.set_xticks(x, [f"{a}$\\to${b}" for a, b in pairs], rotation=35, ha="right",
                      fontsize=9.5)
        ax.set_title(group, fontsize=9.5)
    axes[0].set_ylabel(f"error ({unit})")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=3,
               fontsize=9.5)
    return fig


def learning_curve_figure(curve: pd.DataFrame, *, x: str = "n_train", y: str = "mae",
                          label: str = "", unit: str = "eV/atom") -> Figure:
    """Error against training-set size on log axes (one line per ``label`` column value)."""
    use_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.8), constrained_layout=True)
    groups = curve.groupby(label) if label else [("", curve)]
    for k, (name, c) in enumerate(groups):
        err = c[f"{y} std"] if f"{y} std" in c else None
        ax.errorbar(c[x], c[y], yerr=err, fmt="o-", color=_PALETTE[k % len(_PALETTE)],
                    label=str(name) or None, capsize=3)
    ax.set(xscale="log", yscale="log", xlabel="training entries", ylabel=f"test MAE ({unit})")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xticks(sorted(set(curve[x])), minor=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    if label:
        ax.legend(fontsize=9.5)
    return fig
