"""Shared matplotlib style: readable on a slide, colour-blind-safe, consistent across chapters."""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["COLORS", "use_style"]

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
