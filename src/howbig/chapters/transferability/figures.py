"""Figures of Chapter 2 (dataset side): the Fig. 2 analogue and per-key comparisons.

Inputs come from :mod:`howbig.chapters.transferability.statistics`:
:func:`~howbig.chapters.transferability.statistics.
energy_distributions` (long table) and
:func:`~howbig.chapters.transferability.statistics.shared_key_offset`.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from howbig.chapters.transferability.statistics import (
    GROUPS,
    OffsetResult,
    key_counts,
    most_duplicated,
)
from howbig.style import COLORS, use_style

__all__ = [
    "difference_histograms",
    "energy_distributions_figure",
    "entries_per_key_figure",
    "shared_key_parity",
]

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
    dist: pd.DataFrame,
    *,
    offset: OffsetResult | None = None,
    bins: int = 60,
    xlim: tuple[float, float] | None = None,
    quantity: str = "Formation energy (eV/atom)",
    key_name: str = "composition-spacegroup key",
) -> Figure:
    """Fig. 2 analogue: distributions of each database (top) and of the shared keys (bottom).

    Parameters
    ----------
    dist
        Long table from :func:`howbig.chapters.transferability.statistics.energy_distributions`
        (columns
        ``database``, ``key``, ``energy``, ``shared``).
    offset
        Optional :class:`~howbig.chapters.transferability.statistics.OffsetResult` quoted in the
        bottom panel.
    bins
        Number of histogram bins over the common range.
    xlim
        x range (default: 0.5 to 99.5 percentile of all values, so outliers do not squash it).
    quantity
        x-axis label (with unit).
    key_name
        What a key is (for the empty-panel message).

    Notes
    -----
    Histograms are densities (each database integrates to 1), because the databases differ in
    size by an order of magnitude. When no key is shared the bottom panel says so instead of
    plotting an empty histogram.
    """
    use_style()
    names = list(dict.fromkeys(dist["database"]))
    values = dist["energy"].to_numpy(float)
    if xlim is None:
        lo, hi = (np.percentile(values, [0.5, 99.5]) if values.size else (0.0, 1.0))
        pad = 0.05 * (hi - lo or 1.0)
        xlim = (float(lo - pad), float(hi + pad))
    edges = np.linspace(xlim[0], xlim[1], bins + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True,
                                      constrained_layout=True)
    for i, name in enumerate(names):
        part = dist[dist["database"] == name]
        color = _PALETTE[i % len(_PALETTE)]
        n_keys = part["key"].nunique()
        _hist(top, part["energy"].to_numpy(float), edges, color,
              f"{name}: {len(part):,} entries, {n_keys:,} keys")
    top.set_ylabel("density")
    top.set_title("All entries of each database")
    _headroom(top)
    top.legend(loc="upper left")

    shared = dist[dist["shared"]]
    if shared.empty:
        bottom.text(0.5, 0.5, f"no {key_name} is shared\nby these databases",
                    ha="center", va="center", transform=bottom.transAxes, fontsize=12,
                    color=COLORS["grey"])
        bottom.set_yticks([])
    else:
        for i, name in enumerate(names):
            part = shared[shared["database"] == name]
            if len(part):
                _hist(bottom, part["energy"].to_numpy(float), edges, _PALETTE[i % len(_PALETTE)],
                      f"{name}: {len(part):,} entries")
        _headroom(bottom)
        bottom.legend(loc="upper left")
        bottom.set_ylabel("density")
    n_shared = shared["key"].nunique()
    bottom.set_title(f"Entries of the {n_shared:,} shared keys")
    if offset is not None and not offset.empty:
        bottom.text(
            0.98, 0.95,
            f"mean {offset.name_a} $-$ {offset.name_b} per key: "
            f"{offset.mean:+.3f}{_unit(quantity)}\n"
            f"{100 * offset.confidence:.0f}% bootstrap CI [{offset.low:+.3f}, {offset.high:+.3f}]",
            ha="right", va="top", transform=bottom.transAxes, fontsize=10,
        )
    bottom.set_xlabel(quantity)
    bottom.set_xlim(*xlim)
    return fig


def shared_key_parity(
    offset: OffsetResult,
    *,
    quantity: str = "Formation energy (eV/atom)",
    ax: Axes | None = None,
) -> Figure:
    """Per-key values of database A against B on their shared keys, with the diagonal.

    Points on the diagonal agree; a systematic offset shifts the cloud off it. Works with any
    column compared by :func:`~howbig.chapters.transferability.statistics.shared_key_offset`
    (e.g. band gaps).
    """
    use_style()
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.6), constrained_layout=True)
    else:
        fig = ax.figure  # type: ignore[assignment]
    if offset.empty:
        ax.text(0.5, 0.5, "no shared keys", ha="center", va="center", transform=ax.transAxes)
        return fig
    a = offset.per_key.iloc[:, 0].to_numpy(float)
    b = offset.per_key.iloc[:, 1].to_numpy(float)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color=COLORS["grey"], lw=1, zorder=0)
    ax.scatter(b, a, s=18, color=COLORS["blue"], alpha=0.8)
    ax.set_title(
        f"{offset.n_keys} shared keys; mean {offset.name_a} $-$ {offset.name_b} = "
        f"{offset.mean:+.2f}{_unit(quantity)}\n{100 * offset.confidence:.0f}% bootstrap CI "
        f"[{offset.low:+.2f}, {offset.high:+.2f}]",
        fontsize=10,
    )
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{offset.name_b}: {quantity}")
    ax.set_ylabel(f"{offset.name_a}: {quantity}")
    return fig


def entries_per_key_figure(
    tables: dict[str, pd.DataFrame], *, n: int = 8, key: str = "key"
) -> Figure:
    """How often a composition-spacegroup key repeats, per database.

    Left: the fraction of keys with 1, 2, ... entries (log scale), one line per database.
    Right: entries of the ``n`` most repeated keys of the first database, with their counts in
    the other databases (the paper's Ti2O4_136: 127 entries in AFLOW, 1 in MP).
    """
    use_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.4), constrained_layout=True)
    for i, (name, t) in enumerate(tables.items()):
        per_key = t[key].astype(str).value_counts()
        hist = per_key.value_counts().sort_index()
        left.plot(hist.index, hist.to_numpy() / len(per_key), "o-", ms=3,
                  color=_PALETTE[i % len(_PALETTE)],
                  label=f"{name}: max {int(per_key.max()) if len(per_key) else 0}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("entries per key")
    left.set_ylabel("fraction of keys")
    left.legend()
    first = next(iter(tables))
    counts = key_counts(tables, list(most_duplicated(tables[first], n, key=key)["key"]), key=key)
    y = np.arange(len(counts))
    values = counts[first].to_numpy()
    right.barh(y, values, height=0.6, color=_PALETTE[0])
    others = [c for c in counts.columns if c != first]
    for yi, (_, row) in zip(y, counts.iterrows(), strict=True):
        note = ", ".join(f"{o}: {int(row[o])}" for o in others)
        right.text(row[first], yi, f" {int(row[first])}" + (f"  ({note})" if note else ""),
                   va="center", fontsize=9)
    right.set_yticks(y, counts.index)
    right.invert_yaxis()
    right.set_xlim(0, 1.6 * max(values.max(), 1))
    right.set_xlabel(f"entries in {first}")
    right.set_title(f"Most repeated keys of {first} (entries elsewhere in brackets)", fontsize=10)
    return fig



def difference_histograms(
    pairs: dict[str, pd.DataFrame], *, unit: str = "eV/atom", bins: int = 80,
    xlim: tuple[float, float] = (-0.8, 0.6),
) -> Figure:
    """Per-key differences A - B split by chemistry group, one panel per pair of tables.

    ``pairs`` maps a panel title (e.g. ``"MP - JARVIS"``) to the output of
    :func:`~howbig.chapters.transferability.statistics.key_differences`. Each group's mean is
    marked by a vertical line; counts are per group (not densities), so the panel shows where
    the shared formulas are.
    """
    use_style()
    fig, axes = plt.subplots(len(pairs), 1, figsize=(7.0, 2.9 * len(pairs)), squeeze=False,
                             constrained_layout=True)
    edges = np.linspace(*xlim, bins + 1)
    for ax, (title, diffs) in zip(axes[:, 0], pairs.items(), strict=True):
        for i, group in enumerate(GROUPS):
            d = diffs.loc[diffs["group"] == group, "difference"].to_numpy(float)
            if not d.size:
                continue
            color = _PALETTE[i % len(_PALETTE)]
            ax.hist(np.clip(d, *xlim), bins=edges, histtype="step", lw=1.6, color=color,
                    label=f"{group}: {d.size:,} keys, mean {d.mean():+.3f}")
            ax.axvline(d.mean(), color=color, ls="--", lw=1.2)
        ax.axvline(0.0, color=COLORS["black"], lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("shared keys")
        ax.set_title(f"{title} per reduced formula ({unit})")
        _headroom(ax, 30.0)
        ax.legend(loc="upper left", fontsize=9.5)
    axes[-1, 0].set_xlabel(f"difference ({unit}; values beyond the axis piled at its ends)")
    return fig
