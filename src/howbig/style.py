"""Shared matplotlib style: readable on a slide, colour-blind-safe, consistent across chapters."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["COLORS", "show_in", "use_style"]

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7f7f7f",
}


def use_style() -> None:
    """Apply the book's style to matplotlib (idempotent)."""
    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": (6.4, 4.2),
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
            "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
            "image.cmap": "viridis",
        }
    )


def show_in(output: Any, *objects: Any) -> None:
    """Show ``objects`` in an ipywidgets ``Output``, replacing what it showed.

    Text is shown as printed, anything else as ``display`` would; figures are closed once
    shown. The widget's outputs are set directly rather than captured with ``with output:``:
    executors that mimic a front end for that capture (nbclient, papermill, so the book's
    build and CI) answer it with comm messages on the shell channel while they wait on it,
    and a cell can hang for good (jupyter/nbclient#312).
    """
    output.outputs = ()
    for obj in objects:
        if isinstance(obj, str):
            output.append_stdout(obj if obj.endswith("\n") else obj + "\n")
            continue
        output.append_display_data(obj)
        if isinstance(obj, Figure):
            plt.close(obj)
