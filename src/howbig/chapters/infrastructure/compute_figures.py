"""Figures of Section 6.2: training cost, the cost calculator, the NAS landscape (paper Fig. 7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from howbig.chapters.infrastructure.compute import StepProfile, nas_cost
from howbig.paper import paper_value
from howbig.style import COLORS, show_in, use_style

__all__ = ["cost_explorer", "cost_figure", "nas_heatmap", "ranking_figure"]


def _settings(profiles: Sequence[StepProfile]) -> list[tuple[str, float, float, str]]:
    """(label, batch s, step s, colour) of the paper's two settings and the measured ones."""
    rows = [("SchNet, V100 (paper)", paper_value("v100_batch_seconds"),
             paper_value("v100_step_seconds"), COLORS["blue"]),
            ("SchNet, 1 CPU core (paper)", paper_value("cpu_batch_seconds"),
             paper_value("cpu_step_seconds"), COLORS["orange"])]
    palette = [COLORS["green"], COLORS["red"], COLORS["purple"], COLORS["sky"]]
    for prof, colour in zip(profiles, palette, strict=False):
        rows.append((f"{prof.model}, this machine", prof.batch_seconds, prof.step_seconds, colour))
    return rows


def cost_figure(
    profiles: Sequence[StepProfile] = (),
    *,
    steps: float | None = None,
    architectures: float | None = None,
    usd_per_hour: float | None = None,
    dataset_size: float | None = None,
    ax: Any = None,
) -> plt.Figure:
    """Device hours of a NAS against the number of architectures, plus the per-step split.

    Left: device hours (log-log) for the paper's V100 and CPU-core step times and for every
    measured profile, with the paper's own claim (40,000 GPU hours for 2,000 architectures) as a
    marker and the recomputed V100 value beside it. Right: the time of one training step split
    into batching and gradient step.

    Parameters
    ----------
    profiles
        Measured :class:`howbig.chapters.infrastructure.compute.StepProfile` objects of this
        machine.
    steps, architectures, usd_per_hour, dataset_size
        Inputs of :func:`howbig.chapters.infrastructure.compute.nas_cost` (paper defaults when
        ``None``); the chosen
        number of architectures is marked, and its cost is written in the legend.
    ax
        Unused placeholder for API symmetry (the figure has two panels).
    """
    use_style()
    del ax
    # one panel per row: the book's column is about 7 inches wide
    fig, (left, right) = plt.subplots(2, 1, figsize=(7.0, 9.0),
                                      gridspec_kw={"height_ratios": [1.3, 1]})
    n_arch = paper_value("nas_architectures") if architectures is None else architectures
    grid = np.logspace(0, np.log10(max(n_arch, 10) * 10), 60)
    for label, b, s, colour in _settings(profiles):
        hours = [nas_cost(steps, a, b, s, usd_per_hour, dataset_size=dataset_size).device_hours
                 for a in grid]
        at = nas_cost(steps, n_arch, b, s, usd_per_hour, dataset_size=dataset_size)
        left.loglog(grid, hours, color=colour,
                    label=f"{label}: {at.device_hours:,.0f} h, {at.usd:,.0f} USD")
        left.plot([n_arch], [at.device_hours], "o", color=colour, ms=6)
    left.plot([paper_value("nas_architectures")], [paper_value("nas_gpu_hours")], "*",
              color=COLORS["black"], ms=14, zorder=5,
              label=f"paper's claim: {paper_value('nas_gpu_hours'):,.0f} GPU h")
    left.axvline(n_arch, color=COLORS["grey"], lw=0.8, ls="--")
    left.axhline(24 * 365.25, color=COLORS["grey"], lw=0.8, ls=":")
    left.text(grid[0] * 1.3, 24 * 365.25 * 1.25, "one device-year", color=COLORS["grey"],
              fontsize=9)
    left.set_xlabel("architectures trained")
    left.set_ylabel("device hours (one device)")
    left.set_title("Cost of a NAS on one device")
    left.legend(fontsize=9, loc="upper left")

    labels, batch, step, colours = [], [], [], []
    for label, b, s, colour in _settings(profiles):
        labels.append(label.replace(", ", "\n"))
        batch.append(1e3 * b)
        step.append(1e3 * s)
        colours.append(colour)
    y = np.arange(len(labels))
    right.barh(y - 0.2, batch, height=0.38, color=COLORS["grey"], label="batching")
    right.barh(y + 0.2, step, height=0.38, color=colours, label="gradient step")
    for yi, (bt, st) in enumerate(zip(batch, step, strict=True)):
        right.text(bt * 1.1, yi - 0.2, f"{bt:.3g}", va="center", fontsize=9)
        right.text(st * 1.1, yi + 0.2, f"{st:.3g}", va="center", fontsize=9)
    right.set_yticks(y, labels, fontsize=9)
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlim(right=max(step + batch) * 8)
    right.set_xlabel("time per training step (ms, log scale)")
    right.set_title("Batching (grey) and gradient step (colour)")
    fig.tight_layout()
    return fig


def cost_explorer(profiles: Sequence[StepProfile] = ()) -> Any:
    """Interactive version of :func:`cost_figure` (ipywidgets; for Jupyter and Colab).

    Sliders: steps per architecture, architectures, dataset size (steps scale with it, at the
    paper's number of epochs), price per device hour.
    """
    import ipywidgets as widgets  # deferred: ~0.1 s; only the explorer needs it

    style = {"description_width": "initial"}
    steps = widgets.FloatLogSlider(value=paper_value("train_steps"), base=10, min=4, max=8,
                                   description="steps per architecture", style=style,
                                   continuous_update=False)
    arch = widgets.FloatLogSlider(value=paper_value("nas_architectures"), base=10, min=1, max=5,
                                  description="architectures", style=style,
                                  continuous_update=False)
    size = widgets.FloatLogSlider(value=paper_value("aflow_gap_dataset_size"), base=10, min=3,
                                  max=7, description="dataset size", style=style,
                                  continuous_update=False)
    price = widgets.FloatSlider(value=paper_value("usd_per_v100_hour"), min=0.1, max=20,
                                step=0.1, description="USD per device hour", style=style,
                                continuous_update=False)
    out = widgets.Output()

    def redraw(*_: Any) -> None:
        show_in(out, cost_figure(profiles, steps=steps.value, architectures=arch.value,
                                 usd_per_hour=price.value, dataset_size=size.value))

    for w in (steps, arch, size, price):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([steps, arch]), widgets.HBox([size, price]), out])


def nas_heatmap(grid: pd.DataFrame, summary: dict[str, float], *, unit: str = "meV",
                scale: float = 1000.0, target: str = "band gap") -> plt.Figure:
    """Best validation RMSE over (message-passing steps, latent size): the paper's Fig. 7.

    Parameters
    ----------
    grid
        Output of :func:`howbig.chapters.infrastructure.nas_analysis.grid_summary` (rows:
        steps, columns: latent sizes; eV).
    summary
        Output of :func:`howbig.chapters.infrastructure.nas_analysis.nas_summary` (eV), shown in
        the title.
    unit, scale
        Display unit and the factor from the grid's unit to it (eV -> meV: 1000).
    target
        Name of the fitted quantity, for the colour-bar label.
    """
    use_style()
    values = grid.to_numpy(dtype=float) * scale
    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    masked = np.ma.masked_invalid(values)
    cmap = plt.get_cmap("viridis_r").copy()
    cmap.set_bad("#dddddd")
    im = ax.imshow(masked, cmap=cmap, origin="lower", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    ax.set_xlabel("latent size")
    ax.set_ylabel("message-passing steps")
    ax.grid(False)
    finite = values[np.isfinite(values)]
    mid = np.nanmean(finite) if finite.size else 0.0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            text = "not drawn" if not np.isfinite(v) else f"{v:.0f}"
            colour = "white" if (np.isfinite(v) and v > mid) else "black"  # dark = high
            ax.text(j, i, text, ha="center", va="center", fontsize=10, color=colour)
    bi = list(grid.index).index(summary["best_mp_steps"])
    bj = list(grid.columns).index(summary["best_latent_size"])
    ax.add_patch(plt.Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, ec=COLORS["red"], lw=2.5))
    fig.colorbar(im, ax=ax, label=f"best validation RMSE, {target} ({unit})")
    ax.set_title(f"mean {summary['mean'] * scale:.0f}, median {summary['median'] * scale:.0f}, "
                 f"best {summary['best'] * scale:.0f} {unit} "
                 f"({summary['improvement_percent']:.1f}% below the mean)", fontsize=10)
    fig.tight_layout()
    return fig


def ranking_figure(curve: pd.DataFrame, agreement: dict[str, float] | None = None) -> plt.Figure:
    """Rank agreement between an early look at the trials and full training.

    Parameters
    ----------
    curve
        Output of :func:`howbig.chapters.infrastructure.nas_analysis.early_ranking_curve`.
    agreement
        Output of :func:`howbig.chapters.infrastructure.nas_analysis.ranking_agreement` for a pruned
        search, drawn as a marker at
        its fraction of the training steps.
    """
    use_style()
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    ax.plot(100 * curve["fraction"], curve["spearman"], "o-", color=COLORS["blue"],
            label="Spearman, early look vs full training")
    ax.plot(100 * curve["fraction"], curve["kendall"], "s-", color=COLORS["orange"],
            label="Kendall, early look vs full training")
    hit = curve[curve["same_best"] == 1.0]
    if not hit.empty:
        ax.plot(100 * hit["fraction"], hit["spearman"], "o", mfc="none", mec=COLORS["red"],
                ms=12, mew=1.5, label="early look picks the final best")
    if agreement is not None:
        ax.plot([100 * agreement["step_fraction"]], [agreement["spearman"]], "*",
                color=COLORS["green"], ms=15,
                label=f"pruned search, Spearman ({agreement['n_pruned']:.0f} of "
                      f"{agreement['n_trials']:.0f} trials pruned)")
    ax.axhline(1.0, color=COLORS["grey"], lw=0.8, ls=":")
    ax.set_xlabel("share of the training budget seen (%)")
    ax.set_ylabel("rank correlation with the final ranking")
    values = curve[["spearman", "kendall"]].to_numpy(float).ravel()
    if agreement is not None:
        values = np.append(values, agreement["spearman"])
    values = values[np.isfinite(values)]  # none on a tiny sample: correlations undefined
    low = float(values.min()) if values.size else 0.0
    ax.set_ylim(min(0.0, low - 0.05), 1.05)
    ax.legend(fontsize=9, loc="lower right")
    fig.tight_layout()
    return fig
