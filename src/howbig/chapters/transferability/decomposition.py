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
    """Two rows of panels, one column per cell ``(trained_on, tested_on)``.

    Top: the share of the total absolute error on held and on not-held formulas, per group
    (stacked bars; the share of formulas not held as a marker). Bottom: for held formulas, the
    model's mean signed error next to the mean database difference (A - B), per group, with
    the seed spread as error bars.
    """
    import matplotlib.pyplot as plt

    from howbig.style import use_style

    use_style()
    index = summary.index
    summary = summary.sort_index()  # .loc on a sorted MultiIndex (no PerformanceWarning)
    if cells is None:
        cells = list(dict.fromkeys(zip(index.get_level_values(0), index.get_level_values(1),
                                       strict=True)))
    if groups is None:
        groups = list(dict.fromkeys(index.get_level_values("group")))
    fig, axes = plt.subplots(2, len(cells), figsize=(2.6 * len(cells) + 1.0, 5.6),
                             sharey="row", squeeze=False, constrained_layout=True)
    x = np.arange(len(groups))
    for j, (a, b) in enumerate(cells):
        cell = summary.loc[(a, b)]
        held = cell.xs("held", level="part").reindex(groups)
        top, bottom = axes[0, j], axes[1, j]
        top.bar(x, held["error share"], color="C0", label="held")
        top.bar(x, 1 - held["error share"], bottom=held["error share"], color="C3",
                label="not held")
        top.plot(x, 1 - held["formula share"], "k_", markersize=14, mew=2,
                 label="share of formulas not held")
        top.set_title(f"{a} $\\rightarrow$ {b}", fontsize=10)
        top.set_ylim(0, 1)
        bottom.axhline(0, color="0.6", lw=0.8)
        bottom.errorbar(x - 0.12, held["mean error"], yerr=held["mean error std"].fillna(0),
                        fmt="o", color="C0", label="held: model's mean error")
        bottom.plot(x + 0.12, held["mean difference"], "D", color="k",
                    label="held: database difference (trained on $-$ tested on)")
        for ax in (top, bottom):
            ax.set_xticks(x, groups, rotation=35, ha="right", fontsize=8)
    axes[0, 0].set_ylabel("share of absolute error")
    axes[1, 0].set_ylabel("held formulas (eV/atom)")
    handles = [h for ax in axes[:, 0] for h in ax.get_legend_handles_labels()[0]]
    labels = [t for ax in axes[:, 0] for t in ax.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)
    return fig
