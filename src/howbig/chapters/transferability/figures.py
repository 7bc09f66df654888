"""Figures of Chapter 2 (the databases): the Fig. 2 analogue and the per-formula differences.

Inputs are aggregated composition tables (one row per formula: ``key``, ``target``, ``group``;
:func:`howbig.chapters.transferability.plan.load_tables`) and the per-formula differences of
:func:`howbig.chapters.transferability.databases.pair_differences`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from howbig.chapters.transferability.databases import CORRECTION_GROUPS
from howbig.style import COLORS, use_style

__all__ = ["difference_histograms", "energy_distributions_figure"]

_PALETTE = (COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"], COLORS["red"])


def _unit(quantity: str) -> str:
    """The unit in a label like ``"Formation energy (eV/atom)"``, or ``""``."""
    match = re.search(r"\(([^()]*)\)\s*$", quantity)
    return f" {match.group(1)}" if match else ""


def _headroom(ax: Axes, factor: float = 1.45) -> None:
    """Leave room above the histograms for the legend."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * factor)


def _hist(ax: Axes, values: np.ndarray, bins: np.ndarray, color: str, label: str) -> None:
    ax.hist(values, bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=color)
    ax.hist(values, bins=bins, density=True, histtype="step", lw=1.6, color=color, label=label)


def energy_distributions_figure(
    tables: Mapping[str, pd.DataFrame], *, bins: int = 60,
    xlim: tuple[float, float] | None = None,
    quantity: str = "formation energy (eV/atom)",
) -> Figure:
    """Fig. 2 analogue: the values of each table (top) and of the formulas all tables hold
    (bottom), one value per formula; the legends count formulas.

    Histograms are densities (each table integrates to 1), because the tables differ in size
    by an order of magnitude. When no formula is shared the bottom panel says so. ``xlim``
    defaults to the 0.5 to 99.5 percentile of all values, so that outliers do not squash it.
    """
    use_style()
    names = list(tables)
    values = np.concatenate([t["target"].to_numpy(float) for t in tables.values()])
    if xlim is None:
        lo, hi = (np.percentile(values, [0.5, 99.5]) if values.size else (0.0, 1.0))
        pad = 0.05 * (hi - lo or 1.0)
        xlim = (float(lo - pad), float(hi + pad))
    edges = np.linspace(xlim[0], xlim[1], bins + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True,
                                      constrained_layout=True)
    for i, name in enumerate(names):
        y = tables[name]["target"].to_numpy(float)
        _hist(top, y, edges, _PALETTE[i % len(_PALETTE)], f"{name}: {len(y):,} formulas")
    top.set_ylabel("density")
    top.set_title("Every formula of each database")
    _headroom(top)
    top.legend(loc="upper left")
    common = set.intersection(*(set(t["key"]) for t in tables.values())) if tables else set()
    if not common:
        bottom.text(0.5, 0.5, "no formula is held by every database", ha="center",
                    va="center", transform=bottom.transAxes, fontsize=12, color=COLORS["grey"])
        bottom.set_yticks([])
    else:
        for i, name in enumerate(names):
            t = tables[name]
            y = t.loc[t["key"].isin(common), "target"].to_numpy(float)
            _hist(bottom, y, edges, _PALETTE[i % len(_PALETTE)], f"{name}: {len(y):,} formulas")
        _headroom(bottom)
        bottom.legend(loc="upper left")
        bottom.set_ylabel("density")
    bottom.set_title(f"The {len(common):,} formulas every database holds, each database's value")
    bottom.set_xlabel(quantity)
    bottom.set_xlim(*xlim)
    return fig


def difference_histograms(
    pairs: dict[str, pd.DataFrame], *, unit: str = "eV/atom", bins: int = 80,
    xlim: tuple[float, float] = (-0.8, 0.6),
) -> Figure:
    """Per-formula differences A - B by chemistry group, one panel per pair of tables.

    ``pairs`` maps a panel title (e.g. ``"MP - JARVIS"``) to the output of
    :func:`~howbig.chapters.transferability.databases.pair_differences`. Each group's mean is
    marked by a dashed line; counts are per group (not densities), so the panel shows where
    the shared formulas are.
    """
    use_style()
    cols = 2 if len(pairs) > 1 else 1
    rows = int(np.ceil(len(pairs) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.2 * rows), squeeze=False,
                             constrained_layout=True)
    edges = np.linspace(*xlim, bins + 1)
    for ax, (title, diffs) in zip(axes.flat, pairs.items(), strict=False):
        for i, group in enumerate(CORRECTION_GROUPS):
            d = diffs.loc[diffs["group"] == group, "difference"].to_numpy(float)
            if not d.size:
                continue
            color = _PALETTE[i % len(_PALETTE)]
            ax.hist(np.clip(d, *xlim), bins=edges, histtype="step", lw=1.6, color=color,
                    label=f"{group}: {d.size:,} formulas, mean {d.mean():+.3f}")
            ax.axvline(d.mean(), color=color, ls="--", lw=1.2)
        ax.axvline(0.0, color=COLORS["black"], lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("formulas")
        ax.set_title(f"{title} ({unit})", fontsize=11)
        _headroom(ax, 60.0)
        ax.legend(loc="upper left", fontsize=8.5)
        ax.set_xlabel(f"difference ({unit}; beyond the axis: piled at its ends)", fontsize=9)
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    return fig
