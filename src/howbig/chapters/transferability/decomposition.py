"""Chapter 2: where the cross-database error comes from (held formulas vs extrapolation).

A model trained on database A and tested on database B's test formulas makes two kinds of error:

* on formulas that **A holds** (present anywhere in A's table, every split: the regrouped splits
  put a formula in the same split in every database, so a held test formula is in A's test split
  too and the model never trained on it), the model predicts A's convention, and its mean signed
  error should match the **database difference** ``A's label - B's label`` of those formulas;
* on formulas that **A does not hold**, the model extrapolates into chemistry its database does
  not sample: the sampling/diversity cause that the paper names.

Signs: an error is ``prediction - target`` (target = B's label). For a held formula,
``prediction - B = (prediction - A) + (A - B)``: the model's own error against A's label plus the
database difference.

The functions take the predictions of
:class:`howbig.chapters.transferability.compositions.TransferResult` (columns ``trained_on,
seed, tested_on, key, group, target, prediction``) and aggregated tables (``key, target``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["PARTS", "copy_floor", "decompose", "decomposition_figure", "summarise"]

#: The two kinds of test formula.
PARTS: tuple[str, str] = ("held", "not held")

_STATS = ["formulas", "formula share", "error share", "mae", "mean error", "mean difference",
          "mae vs own label"]


def _stats(err: np.ndarray, diff: np.ndarray, own: np.ndarray, total: float, n_all: int
           ) -> dict[str, float]:
    n = len(err)
    nan = float("nan")
    return {"formulas": n, "formula share": n / n_all if n_all else nan,
            "error share": float(np.abs(err).sum() / total) if total > 0 else nan,
            "mae": float(np.mean(np.abs(err))) if n else nan,
            "mean error": float(np.mean(err)) if n else nan,
            "mean difference": float(np.mean(diff)) if n and np.isfinite(diff).all() else nan,
            "mae vs own label": float(np.mean(np.abs(own))) if n and np.isfinite(own).all()
            else nan}


def decompose(predictions: pd.DataFrame, tables: Mapping[str, pd.DataFrame], *,
              groups: Sequence[str] | None = None, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per off-diagonal cell and seed: error on held and on not-held test formulas.

    Parameters
    ----------
    predictions
        Columns ``trained_on, seed, tested_on, key, group, target, prediction``.
    tables
        Aggregated table of each database (``key, target``), all splits: "held" means present
        in the training database's table. Cells whose training or test set is not a key of
        ``tables`` (e.g. the combined model) are skipped, and so are the diagonal cells.
    groups
        Chemistry groups to report besides ``"all"`` (default: those in ``predictions``).
    by
        Further columns that tell runs apart (e.g. ``("n",)``, the training-set size of a
        learning curve); they lead the output's columns.

    Returns
    -------
    pandas.DataFrame
        One row per (*by, trained_on, tested_on, seed, group, part), part in :data:`PARTS`:
        ``formulas``; ``formula share`` (of the group's test formulas); ``error share`` (of the
        group's total absolute error; the two parts add to 1); ``mae``; ``mean error``
        (prediction - B's label); ``mean difference`` (A's label - B's label, held only);
        ``mae vs own label`` (|prediction - A's label|, held only). eV/atom.
    """
    if groups is None:
        groups = list(dict.fromkeys(predictions["group"]))
    labels = {name: t.set_index("key")["target"] for name, t in tables.items()}
    cells = predictions[predictions["trained_on"].isin(labels)
                        & predictions["tested_on"].isin(labels)
                        & (predictions["trained_on"] != predictions["tested_on"])]
    rows = []
    for values, cell in cells.groupby([*by, "trained_on", "tested_on", "seed"], sort=False):
        *extra, a, b, seed = values
        lead = dict(zip(by, extra, strict=True))
        own = labels[a].reindex(cell["key"]).to_numpy(float)
        held = np.isfinite(own)
        err = (cell["prediction"] - cell["target"]).to_numpy(float)
        diff = own - cell["target"].to_numpy(float)
        own_err = cell["prediction"].to_numpy(float) - own
        group = cell["group"].to_numpy()
        for g in ["all", *groups]:
            in_g = np.ones(len(cell), bool) if g == "all" else group == g
            total = float(np.abs(err[in_g]).sum())
            for part, mask in zip(PARTS, (held, ~held), strict=True):
                m = in_g & mask
                rows.append({**lead, "trained_on": a, "tested_on": b, "seed": seed, "group": g,
                             "part": part, **_stats(err[m], diff[m], own_err[m], total,
                                                    int(in_g.sum()))})
    return pd.DataFrame(rows, columns=[*by, "trained_on", "tested_on", "seed", "group", "part",
                                       *_STATS])


def copy_floor(test: pd.DataFrame, table_a: pd.DataFrame) -> float:
    """The error a perfect copy of database A makes on B's test formulas: ``|A - B|`` on the
    formulas A holds, 0 on the others, averaged over all of ``test`` (eV/atom).

    A model trained on ever more of A's data tends to A's labels on the formulas A holds, so no
    training-set size brings its cross-database MAE below this: a lower bound of the floor of
    a cross-database learning curve (``c_min`` of
    :func:`howbig.chapters.transferability.learning_curves.fit_curves`).

    Parameters
    ----------
    test
        B's test formulas (``key, target``).
    table_a
        A's aggregated table (``key, target``), all splits.
    """
    own = table_a.set_index("key")["target"].reindex(test["key"]).to_numpy(float)
    diff = np.abs(own - test["target"].to_numpy(float))
    return float(np.nansum(diff) / len(test)) if len(test) else float("nan")


def summarise(per_seed: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Mean and standard deviation over seeds of :func:`decompose` (``<stat> std``; NaN for
    one seed), with ``seeds``; indexed by (*by,) trained_on, tested_on, group, part."""
    keys = [*by, "trained_on", "tested_on", "group", "part"]
    grouped = per_seed.groupby(keys, sort=False)[_STATS]
    mean, std = grouped.mean(), grouped.std(ddof=1)
    out = mean.copy()
    for column in _STATS:
        out[f"{column} std"] = std[column]
    out["seeds"] = grouped.size()
    return out[[c for s in _STATS for c in (s, f"{s} std")] + ["seeds"]]


def decomposition_figure(summary: pd.DataFrame, cells: Sequence[tuple[str, str]] | None = None,
                         groups: Sequence[str] | None = None):
    """Where the cross-database error comes from, in two panels.

    Left: per cell ``(trained_on, tested_on)``, the share of the total absolute error on test
    formulas the training database does not hold (bars, seed std as error bars) and the share
    of those formulas (black marks). Right: for the held formulas, the model's mean signed error
    against the mean database difference (trained on - tested on), one point per cell and
    chemistry group; points on the diagonal follow the databases' convention.
    """
    # deferred: matplotlib takes ~0.3 s; curves.py (and so the facts) uses this module unplotted
    import matplotlib.pyplot as plt

    from howbig.style import use_style

    use_style()
    index = summary.index
    summary = summary.sort_index()  # .loc on a sorted MultiIndex (no PerformanceWarning)
    if cells is None:
        cells = list(dict.fromkeys(zip(index.get_level_values(0), index.get_level_values(1),
                                       strict=True)))
    if groups is None:
        groups = [g for g in dict.fromkeys(index.get_level_values("group")) if g != "all"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.6), constrained_layout=True,
                                      gridspec_kw={"width_ratios": [1.0, 1.1]})
    x = np.arange(len(cells))
    rows = [summary.loc[(a, b, "all", "not held")] for a, b in cells]
    left.bar(x, [r["error share"] for r in rows], yerr=[np.nan_to_num(r["error share std"])
                                                        for r in rows],
             color="C3", capsize=3, label="share of the absolute error")
    left.plot(x, [r["formula share"] for r in rows], "k_", markersize=22, mew=2.5,
              label="share of the test formulas")
    left.axhline(0.5, color="0.6", lw=0.8, ls=":")
    left.set_xticks(x, [f"{a}\n$\\rightarrow$ {b}" for a, b in cells], fontsize=9)
    left.set(ylim=(0, 1.22), yticks=np.linspace(0, 1, 6),
             ylabel="not held by the training database",
             title="Test formulas the training database lacks")
    left.legend(loc="upper center", ncol=2, fontsize=8.5)
    markers = "osD^v<>p"
    lim = 0.0
    for j, (a, b) in enumerate(cells):
        for k, g in enumerate(groups):
            r = summary.loc[(a, b, g, "held")]
            if not r["formulas"] > 0:
                continue
            lim = max(lim, abs(r["mean difference"]), abs(r["mean error"]))
            right.errorbar(r["mean difference"], r["mean error"],
                           yerr=np.nan_to_num(r["mean error std"]), fmt=markers[j % 8],
                           color=f"C{k}", ms=7, capsize=2, mec="k", mew=0.5)
    lim = 1.15 * lim or 0.1
    right.plot([-lim, lim], [-lim, lim], color="0.5", lw=0.8)
    right.axhline(0, color="0.8", lw=0.6)
    right.axvline(0, color="0.8", lw=0.6)
    right.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
              xlabel="database difference, trained on $-$ tested on (eV/atom)",
              ylabel="model's mean error (eV/atom)", title="Test formulas both databases hold")
    handles = [plt.Line2D([], [], ls="", marker="s", color=f"C{k}", label=g)
               for k, g in enumerate(groups)]
    handles += [plt.Line2D([], [], ls="", marker=markers[j % 8], color="0.4", mec="k",
                           label=f"{a} $\\rightarrow$ {b}") for j, (a, b) in enumerate(cells)]
    fig.legend(handles=handles, loc="outside right center", fontsize=8.5, frameon=False)
    return fig
