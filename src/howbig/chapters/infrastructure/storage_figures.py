"""Figures of Chapter 6: storage growth of a DFT campaign against HPC quotas."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from howbig.chapters.infrastructure.storage import (
    GB,
    TB,
    TYPICAL_QUOTAS,
    Campaign,
    Quota,
    storage_curve,
)
from howbig.style import COLORS, use_style

__all__ = ["storage_explorer", "storage_growth"]

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
    fig, (ax_files, ax_tb) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)

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


def storage_explorer():  # pragma: no cover - interactive only
    """An ipywidgets explorer of :func:`storage_growth` (for Colab and Jupyter)."""
    import ipywidgets as widgets
    from IPython.display import display

    style = {"description_width": "initial"}
    controls = {
        "n_structures": widgets.IntText(value=30_000, description="structures", style=style),
        "k_grids": widgets.IntSlider(value=3, min=1, max=8, description="k-grids", style=style),
        "basis_sizes": widgets.IntSlider(value=3, min=1, max=8, description="basis sizes",
                                         style=style),
        "files_per_calculation": widgets.IntSlider(value=41, min=1, max=500,
                                                   description="files / calculation",
                                                   style=style),
        "mb_per_calculation": widgets.FloatLogSlider(value=30, base=10, min=-1, max=4,
                                                     description="MB / calculation",
                                                     style=style),
    }
    output = widgets.Output()

    def redraw(_change=None) -> None:
        values = {k: w.value for k, w in controls.items()}
        campaign = Campaign(**values)
        with output:
            output.clear_output(wait=True)
            print(f"{campaign.n_calculations:,} calculations, {campaign.n_files:,} files, "
                  f"{campaign.terabytes:.2f} TB")
            fig = storage_growth(campaign, max_structures=max(10 * campaign.n_structures, 1000),
                                 mark=campaign.n_structures)
            plt.show(fig)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    display(widgets.VBox([widgets.HBox(list(controls.values())[:3]),
                          widgets.HBox(list(controls.values())[3:]), output]))
