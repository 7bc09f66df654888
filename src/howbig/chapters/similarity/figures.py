"""Figures of Chapter 3: fingerprint workflow (Fig. 3), similarity matrix (Fig. 4), pair explorer.

Inputs are DOS arrays on a common energy grid (:func:`howbig.dft.hbn.load_results`) and
fingerprints and similarities from :mod:`howbig.methods.fingerprints`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from howbig.methods.fingerprints import Fingerprint, FingerprintSet, overlap_image, tanimoto
from howbig.style import COLORS, show_in, use_style

__all__ = [
    "fingerprint_workflow_figure",
    "pair_figure",
    "similarity_explorer",
    "similarity_matrix_figure",
]

_A, _B, _BOTH = COLORS["red"], COLORS["blue"], "#7B3294"  # red, blue, purple as in the paper


def _draw_fingerprint(ax: Axes, fp: Fingerprint, color: str) -> None:
    grid = fp.grid
    x = grid.energies + grid.e_ref
    y = np.arange(grid.n_pix + 1)
    cmap = ListedColormap(["white", color])
    ax.pcolormesh(x, y, fp.full().T.astype(int), cmap=cmap, vmin=0, vmax=1, rasterized=True)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("state pixel")
    ax.grid(False)


def _overlap_legend(ax: Axes) -> None:
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (_A, _B, _BOTH)]
    ax.legend(handles, ["only in 1", "only in 2", "in both"], loc="upper right", ncol=3,
              fontsize=9, frameon=True)


def _draw_overlap(ax: Axes, a: Fingerprint, b: Fingerprint) -> float:
    grid = a.grid
    x = grid.energies + grid.e_ref
    cmap = ListedColormap(["white", _A, _B, _BOTH])
    ax.pcolormesh(x, np.arange(grid.n_pix + 1), overlap_image(a, b).T, cmap=cmap, vmin=-0.5,
                  vmax=3.5, rasterized=True)
    ax.set_xlim(x[0], x[-1])
    ax.grid(False)
    return tanimoto(a, b)


def fingerprint_workflow_figure(
    energies: np.ndarray,
    dos_a: np.ndarray,
    dos_b: np.ndarray,
    fp_a: Fingerprint,
    fp_b: Fingerprint,
    labels: tuple[str, str],
) -> Figure:
    """Fig. 3 analogue: two DOS (left) -> their fingerprints (middle) -> overlap with S (right).

    Parameters
    ----------
    energies
        Energy axis of the DOS, eV relative to the VBM.
    dos_a, dos_b
        The two spectra (states/eV per cell).
    fp_a, fp_b
        Their fingerprints.
    labels
        Legend text of the two calculations.
    """
    use_style()
    # sized for the book's ~700 px column: two rows of DOS -> fingerprint, the overlap below
    fig = plt.figure(figsize=(7.5, 8.8), layout="constrained")
    gs = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1.5])
    window = (fp_a.grid.energies[0] + fp_a.grid.e_ref, fp_a.grid.energies[-1] + fp_a.grid.e_ref)
    sel = (energies >= window[0]) & (energies <= window[1])
    for row, (dos, fp, color, label) in enumerate(
        ((dos_a, fp_a, _A, labels[0]), (dos_b, fp_b, _B, labels[1]))
    ):
        ax = fig.add_subplot(gs[row, 0])
        ax.fill_between(energies[sel], dos[sel], color=color, alpha=0.3, lw=0)
        ax.plot(energies[sel], dos[sel], color=color, lw=1.2)
        ax.set_title(f"{row + 1}: {label}", fontsize=10, loc="left")
        ax.set_ylabel("DOS (states/eV)")
        ax.set_xlim(*window)
        axf = fig.add_subplot(gs[row, 1])
        _draw_fingerprint(axf, fp, color)
        axf.set_title(f"fingerprint {row + 1}", fontsize=10)
        if row == 1:
            ax.set_xlabel("E - E$_{VBM}$ (eV)")
            axf.set_xlabel("E - E$_{VBM}$ (eV)")
    ax = fig.add_subplot(gs[2, :])
    s = _draw_overlap(ax, fp_a, fp_b)
    ax.set_title(f"overlap of the two fingerprints: S = {s:.3f}", fontsize=11)
    ax.set_xlabel("E - E$_{VBM}$ (eV)")
    ax.set_ylabel("state pixel")
    _overlap_legend(ax)
    return fig


def _boundaries(values: Sequence) -> list[int]:
    vals = list(values)
    return [i for i in range(1, len(vals)) if vals[i] != vals[i - 1]]


def _mark(ax: Axes, x: float, y: float, text: str) -> None:
    ax.text(x, y, text, ha="center", va="center", fontsize=12, fontweight="bold", color="white",
            bbox={"boxstyle": "round,pad=0.2", "fc": "black", "alpha": 0.55, "lw": 0})


def similarity_matrix_figure(
    sim: np.ndarray,
    meta: pd.DataFrame,
    *,
    block: Sequence[str],
    letters: dict[tuple[str, str], str] | None = None,
    group: str = "xc",
) -> Figure:
    """Fig. 4 analogue: sorted similarity matrix, the paper's block letters, N_k and N_b below.

    Parameters
    ----------
    sim
        Similarity matrix, rows and columns in the order of ``meta``.
    meta
        Metadata sorted for display, with columns ``xc``, ``n_kpoints``, ``n_basis``.
    block
        Block label per row (e.g. ``"LDA 2x2x1"``); dotted lines separate blocks.
    letters
        The paper's letter per pair of blocks (row block, column block), drawn at the block's
        centre (upper triangle); the key ``("LDA", "PBE")`` marks the quadrant of LDA rows and
        PBE columns (:func:`howbig.chapters.similarity.blocks.paper_letters`).
    group
        Column whose changes get solid lines (the functional).
    """
    use_style()
    n = len(sim)
    fig = plt.figure(figsize=(7.2, 8.4), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[4.2, 1], width_ratios=[30, 1])
    ax = fig.add_subplot(gs[0, 0])
    im = ax.imshow(sim, vmin=0, vmax=1, cmap="viridis", origin="upper",
                   extent=(0.5, n + 0.5, n + 0.5, 0.5), interpolation="nearest")
    ax.grid(False)
    for b in _boundaries(block):
        ax.axhline(b + 0.5, color="white", ls=":", lw=1.0)
        ax.axvline(b + 0.5, color="white", ls=":", lw=1.0)
    for b in _boundaries(meta[group]):
        ax.axhline(b + 0.5, color="white", ls="-", lw=1.8)
        ax.axvline(b + 0.5, color="white", ls="-", lw=1.8)
    names = np.asarray(list(block))
    centre = {name: np.flatnonzero(names == name).mean() + 1 for name in dict.fromkeys(names)}
    groups = meta[group].astype(str).str.upper().to_numpy()
    for (row, col), letter in (letters or {}).items():
        if row in centre and col in centre:
            _mark(ax, centre[col], centre[row], letter)
        elif row in groups and col in groups:
            _mark(ax, np.flatnonzero(groups == col).mean() + 1,
                  np.flatnonzero(groups == row).mean() + 1, letter)
    ax.set_ylabel("index i")
    ax.set_title("DOS similarity S (sorted by xc, k-mesh, basis)", pad=24)
    ax.tick_params(labelbottom=False)
    for x in dict.fromkeys(groups):  # x in data, y in axes coordinates: just above the matrix
        ax.text(np.flatnonzero(groups == x).mean() + 1, 1.01, x, ha="center", va="bottom",
                fontsize=11, transform=ax.get_xaxis_transform())
    cax = fig.add_subplot(gs[0, 1])
    fig.colorbar(im, cax=cax, label="S")
    bx = fig.add_subplot(gs[1, 0], sharex=ax)
    idx = np.arange(1, n + 1)
    bx.step(idx, meta["n_kpoints"], where="mid", color=COLORS["blue"], lw=1.8)
    bx.set_ylabel("N$_{kpt}$", color=COLORS["blue"])
    bx.set_xlabel("index i")
    bx.set_xlim(0.5, n + 0.5)
    bx2 = bx.twinx()
    bx2.step(idx, meta["n_basis"], where="mid", color=COLORS["orange"], lw=1.8)
    bx2.set_ylabel("N$_b$", color=COLORS["orange"])
    bx2.grid(False)
    return fig


def pair_figure(
    energies: np.ndarray,
    dos: np.ndarray,
    fps: FingerprintSet,
    meta: pd.DataFrame,
    i: int,
    j: int,
) -> Figure:
    """Two calculations side by side: both DOS on one axis and their fingerprint overlap.

    Parameters
    ----------
    energies, dos
        Energy axis (eV) and DOS per calculation (rows in the order of ``meta``).
    fps
        Fingerprints of the rows of ``dos``.
    meta
        Metadata with ``name`` (or ``xc``/``basis``/``kmesh``) columns.
    i, j
        Row indices of the two calculations.
    """
    use_style()
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(7.5, 7.0), layout="constrained")
    window = (fps.grid.energies[0] + fps.grid.e_ref, fps.grid.energies[-1] + fps.grid.e_ref)
    sel = (energies >= window[0]) & (energies <= window[1])
    for k, color in ((i, _A), (j, _B)):
        row = meta.iloc[k]
        label = f"{row['xc'].upper()}, {row['basis']}, k {row['kmesh']} (N$_b$={row['n_basis']})"
        ax.plot(energies[sel], dos[k, sel], color=color, lw=1.3, label=label)
    ax.set_xlim(*window)
    ax.set_xlabel("E - E$_{VBM}$ (eV)")
    ax.set_ylabel("DOS (states/eV)")
    ax.legend(loc="upper left", fontsize=9)
    s = _draw_overlap(bx, fps[i], fps[j])
    bx.set_title(f"fingerprint overlap: S = {s:.3f}")
    bx.set_xlabel("E - E$_{VBM}$ (eV)")
    bx.set_ylabel("state pixel")
    _overlap_legend(bx)
    return fig


def similarity_explorer(
    energies: np.ndarray, dos: np.ndarray, fps: FingerprintSet, meta: pd.DataFrame
):  # -> ipywidgets.Widget
    """Interactive :func:`pair_figure`: pick two calculations from drop-downs (Jupyter/Colab)."""
    import ipywidgets as widgets  # deferred: ~0.1 s; only the explorer needs it

    options = [(f"{k}: {r.xc.upper()} {r.basis} k{r.kmesh}", k) for k, r in
               enumerate(meta.itertuples())]
    first = widgets.Dropdown(options=options, value=0, description="calc 1")
    second = widgets.Dropdown(options=options, value=len(options) - 1, description="calc 2")
    out = widgets.Output()

    def redraw(*_: object) -> None:
        show_in(out, pair_figure(energies, dos, fps, meta, first.value, second.value))

    first.observe(redraw, names="value")
    second.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([first, second]), out])
