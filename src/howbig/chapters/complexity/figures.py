"""Multi-panel figures of Chapter 5 (model complexity), in the book's shared style; the simple
ones (learning curves, test MAE per setting) are drawn in the page."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from howbig.style import COLORS, use_style

__all__ = [
    "eq4_figure",
    "experiment1_parity",
    "performance_vs_complexity",
]

MODEL_COLORS = {"SISSO": COLORS["green"], "NN": COLORS["blue"], "RF": COLORS["orange"]}


def _color(name: str) -> str:
    for key, color in MODEL_COLORS.items():
        if name.startswith(key):
            return color
    return COLORS["grey"]


def eq4_figure(table: pd.DataFrame) -> plt.Figure:
    """Eq. (4) illustrated: total parameter count (left) and its split into additive, linear and
    nonlinear coefficients (right) for every fitted model of the chapter."""
    use_style()
    height = 0.32 * len(table) + 1.0
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(7.0, 2 * height + 1.2), sharey=True)
    y = np.arange(len(table))
    ax0.barh(y, table["parameters"], color=[_color(c) for c in table["class"]])
    ax0.set_xscale("log")
    ax0.set_yticks(y, table["model"])
    ax0.invert_yaxis()
    ax0.set_xlabel("trainable parameters = C with a = b = c = 1")
    for yi, v in zip(y, table["parameters"], strict=True):
        ax0.text(v, yi, f" {v:,}", va="center", fontsize=9)
    parts = [("A (additive)", COLORS["sky"]), ("L (linear)", COLORS["yellow"]),
             ("N (nonlinear)", COLORS["red"])]
    left = np.zeros(len(table))
    for col, color in parts:
        share = table[col].to_numpy() / table["parameters"].to_numpy()
        ax1.barh(y, share, left=left, color=color, label=col.split()[0] + " " + col.split()[1])
        left += share
    ax1.set_xlabel("share of the parameters")
    ax1.set_xlim(0, 1)
    ax1.set_yticks(y, table["model"])
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3)
    fig.tight_layout()
    return fig


def experiment1_parity(y_test: np.ndarray, predictions: Mapping[str, np.ndarray],
                       metrics: pd.DataFrame) -> plt.Figure:
    """Predicted vs computed basis-set errors (log-log), a panel per model.

    ``predictions`` are out-of-fold predictions (every point predicted by a model that did not
    see its molecule); ``metrics`` has ``test RMSLE`` and ``test MAE (meV)`` per model, written
    in the panel titles.
    """
    use_style()
    n = len(predictions)
    fig, axes = plt.subplots(n, 1, figsize=(7.0, 3.0 * n), sharex=True, sharey=True)
    lo, hi = max(np.min(y_test) / 3, 0.3), np.max(y_test) * 3
    for ax, (name, pred) in zip(np.atleast_1d(axes), predictions.items(), strict=True):
        clipped = np.clip(pred, lo, None)
        neg = pred <= 0
        ax.loglog(y_test[~neg], clipped[~neg], "o", ms=4, alpha=0.7, color=_color(name))
        if neg.any():
            ax.loglog(y_test[neg], clipped[neg], "v", ms=5, color=COLORS["red"],
                      label=f"{neg.sum()} predictions <= 0 (shown at the floor)")
            ax.legend(loc="lower right", fontsize=9)
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_title(f"{name}: RMSLE {metrics.loc[name, 'test RMSLE']:.2f}, "
                     f"MAE {metrics.loc[name, 'test MAE (meV)']:.0f} meV", fontsize=11)
        ax.set_ylabel("predicted (meV)")
    np.atleast_1d(axes)[-1].set_xlabel("computed error (meV)")
    fig.tight_layout()
    return fig


def performance_vs_complexity(sweep: pd.DataFrame, sisso: pd.DataFrame,
                              cv: Mapping[str, tuple[int, float]] | None = None) -> plt.Figure:
    """Test MAE vs each class's own complexity: NN (weights + biases), RF (leaves), SISSO
    (dimension per rung). ``cv`` optionally marks the cross-validated models: name -> (params, MAE).
    """
    use_style()
    fig, axes = plt.subplots(3, 1, figsize=(7.0, 9.0), sharey=True)
    for ax, cls, label in ((axes[0], "NN", "weights + biases"), (axes[1], "RF", "leaves")):
        part = sweep[sweep.model == cls].sort_values("parameters")
        ax.plot(part.parameters, part["test MAE"], "o-", color=_color(cls), label=cls)
        other = sweep[sweep.model != cls].sort_values("parameters")
        ax.plot(other.parameters, other["test MAE"], ".:", color=_color(other.model.iloc[0]),
                alpha=0.6, label=f"{other.model.iloc[0]} (same budgets)")
        if cv:
            for name, (n, err) in cv.items():
                if name.startswith(cls):
                    ax.plot([n], [err], "*", ms=14, color=_color(cls), mec="k",
                            label=f"{name}")
        ax.set_xscale("log")
        ax.set_xlabel(f"{cls} complexity: {label}")
        ax.set_title(cls)
        ax.set_ylabel("test MAE (eV)")
        ax.legend(fontsize=9)
    for rung, part in sisso.groupby("rung"):
        axes[2].plot(part.dimension, part["test MAE"], "o-", label=f"rung {rung}",
                     color=[COLORS["sky"], COLORS["green"], COLORS["black"], COLORS["purple"]][
                         int(rung) % 4])
    axes[2].set_xlabel("SISSO dimension (descriptors + bias)")
    axes[2].set_xticks(sorted(sisso.dimension.unique()))
    axes[2].set_title("SISSO")
    axes[2].legend(fontsize=9)
    axes[2].set_ylabel("test MAE (eV)")
    fig.tight_layout()
    return fig
