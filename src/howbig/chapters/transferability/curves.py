"""Chapter 2, Section 2.3: the learning curves of every database, fitted and compared.

Every run of a learning curve (a training database, a size ``n``, a seed) is tested on every
database, so each training database gives one in-database curve and two cross-database curves
from the *same* runs. :func:`analyse_curves` fits all of them with
:func:`~howbig.chapters.transferability.learning_curves.fit_curves` (paired bootstrap), bounds
each cross-database floor from below by the error a perfect copy of the training database would
make (:func:`~howbig.chapters.transferability.decomposition.copy_floor`), and derives the size at
which each curve comes within a tolerance of its floor and the limit of the cross/in ratio.
:func:`curves_figure` and :func:`ratio_figure` draw them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.decomposition import copy_floor
from howbig.chapters.transferability.learning_curves import (
    PowerLawFit,
    crossover_size,
    fit_curves,
    floor_ratio,
    ratio_curve,
    run_errors,
)

__all__ = ["CurveAnalysis", "analyse_curves", "curves_figure", "ratio_figure"]


@dataclass(frozen=True)
class CurveAnalysis:
    """The fitted learning curves.

    Attributes
    ----------
    errors
        One row per run: ``trained_on, n, seed`` and the MAE on each test database.
    fits
        ``{(trained_on, tested_on): PowerLawFit}``.
    table
        One row per curve: ``trained_on, tested_on``, the fit ``a, b (low, high), c (low,
        high)``, ``c_min`` (the bound the floor was fitted with), ``floor at bound`` (the fit
        put the floor on its bound: the data do not fix it), the crossover size
        ``crossover (low, high)``, ``beyond data``, and for the cross-database curves the limit
        of the ratio cross/in, ``ratio limit (low, high)``, and the ratio at the largest size
        ``ratio at n_max (low, high)``.
    ratios
        ``{(trained_on, tested_on): DataFrame(n, ratio, low, high)}`` of the cross curves.
    """

    errors: pd.DataFrame
    fits: dict[tuple[str, str], PowerLawFit]
    table: pd.DataFrame
    ratios: dict[tuple[str, str], pd.DataFrame]


def analyse_curves(result: TransferResult, tables: Mapping[str, pd.DataFrame],
                   names: Sequence[str], *, n_boot: int = 1000, tolerance: float = 0.1,
                   seed: int = 0) -> CurveAnalysis:
    """Fit every curve of ``result`` (labels ``trained_on, n, seed``) on the test sets of
    ``names`` (see the module)."""
    errors = run_errors(result.predictions)
    fits, rows, ratios = {}, [], {}
    for a in names:
        runs = errors[errors["trained_on"] == a]
        bounds = {}
        for b in names:
            test = tables[b][tables[b]["split"] == "test"]
            bounds[b] = 0.0 if a == b else min(copy_floor(test, tables[a]),
                                               0.999 * float(runs[b].min()))
        fitted = fit_curves(runs, list(names), n_boot=n_boot, seed=seed, c_min=bounds)
        for b, fit in fitted.items():
            fits[(a, b)] = fit
            bb, cc = fit.estimate("b"), fit.estimate("c")
            cross = crossover_size(fit, tolerance)
            row = {"trained_on": a, "tested_on": b, "a": fit.a, "b": bb.value, "b low": bb.low,
                   "b high": bb.high, "c": cc.value, "c low": cc.low, "c high": cc.high,
                   "c_min": bounds[b], "floor at bound": bool(
                       bounds[b] > 0 and fit.c <= bounds[b] * (1 + 1e-6)),
                   "crossover": cross.size.value,
                   "crossover low": cross.size.low, "crossover high": cross.size.high,
                   "beyond data": cross.beyond_data, "n_max": fit.n_max}
            if a != b:
                limit = floor_ratio(fit, fitted[a])
                grid = np.geomspace(fit.n_min, 100 * fit.n_max, 60)
                ratios[(a, b)] = ratio_curve(fit, fitted[a], grid)
                at_max = ratio_curve(fit, fitted[a], [fit.n_max]).iloc[0]
                row.update({"ratio limit": limit.value, "ratio limit low": limit.low,
                            "ratio limit high": limit.high, "ratio at n_max": at_max["ratio"],
                            "ratio at n_max low": at_max["low"],
                            "ratio at n_max high": at_max["high"]})
            rows.append(row)
    return CurveAnalysis(errors, fits, pd.DataFrame(rows), ratios)


def curves_figure(analysis: CurveAnalysis, names: Sequence[str], *,
                  unit: str = "eV/atom"):
    """One panel per training database: the MAE of every run on every test database (mean and
    std over seeds per size), the fitted curves with their 95 % bands, and each fitted floor
    (dotted); log axes."""
    # deferred: matplotlib takes ~0.3 s; the facts import this module for the analysis only
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from howbig.style import use_style

    use_style()
    # about 3.3 in per panel: at the page's width the labels stay at reading size
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.6), sharey=True,
                             squeeze=False, constrained_layout=True)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for ax, a in zip(axes[0], names, strict=True):
        runs = analysis.errors[analysis.errors["trained_on"] == a]
        for k, b in enumerate(names):
            stats = runs.groupby("n")[b].agg(["mean", "std"]).fillna(0.0)
            ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], fmt="o", color=f"C{k}",
                        capsize=3, ms=5, label=f"tested on {b}")
            fit = analysis.fits[(a, b)]
            grid = np.geomspace(fit.n_min, fit.n_max * 4, 80)
            lo, hi = fit.band(grid)
            ax.plot(grid, fit.predict(grid), color=f"C{k}", lw=1.4)
            ax.fill_between(grid, lo, hi, color=f"C{k}", alpha=0.15, lw=0)
            ax.axhline(fit.c, color=f"C{k}", lw=0.9, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="training formulas",
               title=f"trained on {a}")
        # labels at 1, 2 and 5 times a power of ten only: every minor label overlaps
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
    axes[0, 0].set_ylabel(f"test MAE ({unit})")
    axes[0, 0].legend(fontsize=9, loc="lower left")
    return fig


def ratio_figure(analysis: CurveAnalysis, band: tuple[float, float] = (5.0, 20.0)):
    """The cross/in ratio against the training-set size for every cross-database curve, with
    its paired 95 % band, up to 100 times the largest training set (dashed: beyond the data),
    and the paper's "order of magnitude" as a shaded band."""
    # deferred: matplotlib takes ~0.3 s; the facts import this module for the analysis only
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from howbig.style import use_style

    use_style()
    fig, ax = plt.subplots(figsize=(7.0, 4.2), constrained_layout=True)
    ax.axhspan(*band, color="0.85", lw=0, label="\"an order of magnitude\" (book's rule)")
    for k, ((a, b), curve) in enumerate(analysis.ratios.items()):
        n_max = analysis.fits[(a, b)].n_max
        inside = curve["n"] <= n_max
        color = f"C{k}"
        ax.plot(curve.loc[inside, "n"], curve.loc[inside, "ratio"], color=color, lw=1.6,
                label=f"{a} $\\rightarrow$ {b}")
        ax.plot(curve.loc[~inside, "n"], curve.loc[~inside, "ratio"], color=color, lw=1.2,
                ls="--")
        ax.fill_between(curve["n"], curve["low"], curve["high"], color=color, alpha=0.12, lw=0)
    ax.set(xscale="log", yscale="log", xlabel="training formulas",
           ylabel="cross-database MAE / in-database MAE", ylim=(1, 30))
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.legend(fontsize=8.5, ncol=2, loc="upper left")
    return fig
