"""Figures of Chapter 6.1: the storage workflow (paper Fig. 6) and a campaign's growth against
HPC quotas."""

from __future__ import annotations

import itertools
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from howbig.chapters.infrastructure.storage import (
    GB,
    TB,
    TYPICAL_QUOTAS,
    Campaign,
    Quota,
    first_wall,
    storage_curve,
)
from howbig.style import COLORS, show_in, use_style

__all__ = ["storage_explorer", "storage_growth", "storage_workflow"]

_QUOTA_COLORS = (COLORS["red"], COLORS["orange"], COLORS["purple"], COLORS["green"])


def storage_growth(
    campaign: Campaign,
    max_structures: int = 100_000,
    quotas: tuple[Quota, ...] = TYPICAL_QUOTAS,
    *,
    mark: int | None = None,
) -> Figure:
    """Files and TB versus the number of structures, with quota lines.

    Parameters
    ----------
    campaign
        Per-structure inputs (settings, files and MB per calculation).
    max_structures
        Right end of the x axis (log scale from 10 structures).
    quotas
        Horizontal lines; file quotas go on the left panel, byte quotas on the right.
    mark
        A number of structures to mark (e.g. the paper's 30,000).
    """
    use_style()
    n = np.logspace(1, np.log10(max(max_structures, 100)), 200)
    curve = storage_curve(campaign, n)
    # one panel per row: the book's column is about 7 inches wide
    fig, (ax_files, ax_tb) = plt.subplots(2, 1, figsize=(7.0, 8.0), constrained_layout=True)

    ax_files.loglog(curve["structures"], curve["files"], color=COLORS["blue"], lw=2.5,
                    label="files written")
    ax_tb.loglog(curve["structures"], curve["terabytes"], color=COLORS["blue"], lw=2.5,
                 label="data written")
    for quota, color in zip(quotas, _QUOTA_COLORS, strict=False):
        ax = ax_files if quota.kind == "files" else ax_tb
        value = quota.limit if quota.kind == "files" else quota.limit / TB
        ax.axhline(value, color=color, ls="--", lw=1.5, label=quota.name)
        crossing = quota.exceeded_at(campaign)
        if crossing <= n[-1]:
            ax.plot([crossing], [value], "o", color=color, ms=7)
            ax.annotate(f"{crossing:,.0f} structures", (crossing, value),
                        textcoords="offset points", xytext=(6, -14), fontsize=9, color=color)
    if mark is not None:
        marked = campaign.scaled(mark)
        for ax, y in ((ax_files, marked.n_files), (ax_tb, marked.terabytes)):
            ax.plot([mark], [y], marker="*", ms=14, color=COLORS["black"], ls="none",
                    label=f"{mark:,} structures")
    ax_files.set(xlabel="crystal structures", ylabel="files",
                 title=f"{campaign.settings_per_structure} settings x "
                       f"{campaign.files_per_calculation} files per calculation")
    ax_tb.set(xlabel="crystal structures", ylabel="storage (TB, decimal)",
              title=f"{campaign.settings_per_structure} settings x "
                    f"{campaign.mb_per_calculation:g} MB per calculation")
    ax_tb.yaxis.set_major_formatter(
        plt.FuncFormatter(lambda v, _: f"{v * TB / GB:g} GB" if v < 1 else f"{v:g} TB")
    )
    for ax in (ax_files, ax_tb):
        ax.legend(loc="upper left", fontsize=9)
    return fig


def storage_workflow(campaign: Campaign, quotas: tuple[Quota, ...] = TYPICAL_QUOTAS) -> Figure:
    """The paper's data-storage workflow (its Fig. 6) with the campaign's counts.

    Structures come from a NOMAD Oasis into an ASE database, every (structure, setting) pair is
    one exciting relaxation + band structure, their files pile up on the HPC file system against
    its quotas, and finished calculations are compressed and shipped to a NOMAD Oasis.
    """
    use_style()
    wall = first_wall(campaign, quotas)
    boxes = [
        ("NOMAD Oasis -> ASE database", f"{campaign.n_structures:,} crystal structures",
         COLORS["sky"]),
        ("exciting: relaxation + band structure",
         f"x {campaign.k_grids} k-grids x {campaign.basis_sizes} basis sizes\n"
         f"= {campaign.n_calculations:,} calculations", COLORS["yellow"]),
        ("files on the HPC file system",
         f"{campaign.n_files:,} files, {campaign.terabytes:.1f} TB\n"
         f"first quota hit: {wall['quota']}\nat {wall['structures that fill it']:,.0f} "
         "structures", COLORS["orange"]),
        ("compress and transfer -> NOMAD Oasis",
         "parsed, normalized, archived off the cluster", COLORS["green"]),
    ]
    fig, ax = plt.subplots(figsize=(7.0, 6.4))
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    height, gap = 0.2, 0.06
    tops = [0.99 - k * (height + gap) for k in range(len(boxes))]
    for top, (title, text, color) in zip(tops, boxes, strict=True):
        ax.add_patch(FancyBboxPatch((0.04, top - height), 0.92, height,
                                    boxstyle="round,pad=0.005", fc=color, ec="k", alpha=0.35))
        ax.text(0.5, top - 0.04, title, ha="center", va="center", fontsize=12,
                fontweight="bold")
        ax.text(0.5, top - 0.07, text, ha="center", va="top", fontsize=10.5, linespacing=1.4)
    for upper, lower in itertools.pairwise(tops):
        ax.add_patch(FancyArrowPatch((0.5, upper - height - 0.005), (0.5, lower + 0.005),
                                     arrowstyle="-|>", mutation_scale=18, color="k"))
    return fig


def storage_explorer() -> Any:
    """An ipywidgets explorer of :func:`storage_growth` (for Colab and Jupyter).

    Returns the widget box (displayed by Jupyter when it is a cell's last value). The figure is
    redrawn only when a slider is released (``continuous_update=False``) and is shown with
    :func:`howbig.style.show_in`, which works under every matplotlib backend.
    """
    import ipywidgets as widgets  # deferred: ~0.1 s; only the explorer needs it

    style = {"description_width": "initial"}
    common = {"style": style, "continuous_update": False}
    controls = {
        "n_structures": widgets.IntText(value=30_000, description="structures", style=style),
        "k_grids": widgets.IntSlider(value=3, min=1, max=8, description="k-grids", **common),
        "basis_sizes": widgets.IntSlider(value=3, min=1, max=8, description="basis sizes",
                                         **common),
        "files_per_calculation": widgets.IntSlider(value=41, min=1, max=500,
                                                   description="files / calculation", **common),
        "mb_per_calculation": widgets.FloatLogSlider(value=30, base=10, min=-1, max=4,
                                                     description="MB / calculation", **common),
    }
    output = widgets.Output()

    def redraw(_change: Any = None) -> None:
        campaign = Campaign(**{k: w.value for k, w in controls.items()})
        show_in(output, f"{campaign.n_calculations:,} calculations, {campaign.n_files:,} "
                        f"files, {campaign.terabytes:.2f} TB",
                storage_growth(campaign, max_structures=max(10 * campaign.n_structures, 1000),
                               mark=campaign.n_structures))

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(controls.values())[:3]),
                         widgets.HBox(list(controls.values())[3:]), output])
