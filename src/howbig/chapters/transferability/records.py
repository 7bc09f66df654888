"""Chapter 2's bookkeeping: every number the text glues, recorded with its kind and spread.

Each function takes the chapter's :class:`howbig.report.Recorder` and results it has computed,
and records the values the narrative uses (keys ``tr_*``), including the comparison words that
the text glues instead of typing them ("below"/"above"). Keeping this out of the notebook keeps
the page a tutorial; the numbers themselves are all computed in visible cells or by the library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from howbig.chapters.transferability.statistics import GROUPS
from howbig.methods.bootstrap import BootstrapResult
from howbig.report import Recorder

__all__ = ["cells_records", "crystal_records", "forest_records", "gap_records",
           "offset_records", "overlap_records", "ratio_per_seed", "sampling_records"]

_TAGS = (("u", GROUPS[0]), ("anion", GROUPS[1]), ("rest", GROUPS[2]))


def overlap_records(rec: Recorder, overview: pd.DataFrame, pairs: pd.DataFrame,
                    names: Sequence[str], rule: str) -> None:
    """Entries, keys and shared keys of the Ef tables (``names`` = A, B, control)."""
    a, b = names[0], names[1]
    for name, tag in zip(names, "abc", strict=False):
        rec(f"tr_entries_{tag}", int(overview.loc[name, "entries"]), fmt="{:,}")
        rec(f"tr_keys_{tag}", int(overview.loc[name, "unique keys"]), fmt="{:,}")
    row = pairs[(pairs["A"] == a) & (pairs["B"] == b)].iloc[0]
    rec("tr_shared_ab", int(row["shared keys"]), fmt="{:,}")
    rec("tr_shared_pct_b", float(row["% of B"]), unit="%", kind="analogue",
        reason="reduced-formula keys of composition tables, not composition-spacegroup keys")
    rec("tr_ef_rule", rule)


def _boot(rec: Recorder, key: str, b: BootstrapResult, unit: str = "eV/atom") -> None:
    rec(key, b.estimate, unit=unit, kind="analogue", uncertainty=b.half_width, n=b.n,
        spread="95% bootstrap CI half-width over shared formulas")


def offset_records(rec: Recorder, boots: Mapping, control_boots: Mapping, n_keys_a: int) -> None:
    """Per-group offsets with intervals, and the MP-vs-MP consistency check."""
    for tag, group in (*_TAGS, ("all", "all")):
        mean = boots[group]["mean"]
        _boot(rec, f"tr_diff_mean_{tag}", mean)
        rec(f"tr_diff_low_{tag}", mean.low)
        rec(f"tr_diff_high_{tag}", mean.high)
        rec(f"tr_diff_n_{tag}", mean.n, fmt="{:,}")
    _boot(rec, "tr_diff_median_all", boots["all"]["median"])
    _boot(rec, "tr_diff_abs_all", boots["all"]["mean |difference|"])
    _boot(rec, "tr_control_mean", control_boots["all"]["mean"])
    _boot(rec, "tr_control_abs", control_boots["all"]["mean |difference|"])
    rec("tr_control_n", control_boots["all"]["mean"].n, fmt="{:,}")
    rec("tr_control_pct", 100 * control_boots["all"]["mean"].n / n_keys_a)
    big = max(GROUPS[:2], key=lambda g: abs(boots[g]["mean"].estimate))
    rec("tr_big_group", big)
    rest = boots[GROUPS[2]]["mean"]
    rec("tr_rest_zero", "includes zero" if rest.low <= 0 <= rest.high else "excludes zero")
    small = control_boots["all"]["mean |difference|"].high < boots["all"]["mean |difference|"].low
    rec("tr_control_vs_ab", "a small fraction of" if small else "comparable to")


def ratio_per_seed(predictions: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """(MAE a->b + MAE b->a) / (MAE a->a + MAE b->b) for every seed (seeds pair up)."""
    err = (predictions["prediction"] - predictions["target"]).abs()
    mae = err.groupby([predictions["seed"], predictions["trained_on"],
                       predictions["tested_on"]]).mean()
    return np.array([(m[(a, b)] + m[(b, a)]) / (m[(a, a)] + m[(b, b)])
                     for _, m in ((s, mae.xs(s, level="seed"))
                                  for s in mae.index.unique("seed"))])


def cells_records(rec: Recorder, cells: pd.DataFrame, by_group: pd.DataFrame,
                  ratios: np.ndarray, runs: pd.DataFrame, a: str, b: str,
                  mean_abs_difference: float) -> None:
    """The transfer matrix: MAE, offset, scatter per cell; the ratio; by chemistry; runs."""
    ab = f"{a}+{b}"

    def cell(key: str, trained: str, tested: str, column: str = "mae",
             source: pd.DataFrame = cells) -> None:
        c = source.loc[(trained, tested)]
        rec(key, float(c[column]), unit="eV/atom", kind="analogue",
            uncertainty=float(c[f"{column} std"]), n=int(c["seeds"]),
            spread=f"std over {int(c['seeds'])} seeds")
        rec(f"{key}_std", float(c[f"{column} std"]))

    for key, tr, te in (("aa", a, a), ("bb", b, b), ("ab", a, b), ("ba", b, a),
                        ("comb_a", ab, a), ("comb_b", ab, b)):
        for column in ("mae", "offset", "scatter"):
            cell(f"tr_{column}_{key}", tr, te, column)
    spread = float(np.std(ratios, ddof=1)) if len(ratios) > 1 else float("nan")
    # the paper's qualitative finding: testing on the other database costs accuracy
    degrades = bool(np.mean(ratios) - 2 * spread > 1) if len(ratios) > 1 else None
    rec("tr_cross_factor", float(np.mean(ratios)), unit="x", kind="analogue",
        uncertainty=None if len(ratios) < 2 else spread, n=len(ratios),
        spread=f"std over {len(ratios)} seeds", paper="cross_database_factor",
        finding=("cross-database error above the in-database error, beyond the seed spread"
                 if degrades else "cross-database error not clearly above the in-database one"
                 if degrades is False else "one seed: no verdict"),
        reason="composition model on MP vs JARVIS formation energies (the paper: MPEU, MP vs "
               "AFLOW structures)")
    in_mean = float((cells.loc[(a, a), "mae"] + cells.loc[(b, b), "mae"]) / 2)
    rec("tr_in_mean", in_mean, unit="eV/atom")
    rec("tr_in_vs_offset", "below" if in_mean < mean_abs_difference else "above")
    comb, own = cells.loc[(ab, a)], cells.loc[(a, a)]
    rec("tr_comb_vs_cross", "below" if comb["mae"] < cells.loc[(b, a), "mae"] else "above")
    close = abs(comb["mae"] - own["mae"]) <= comb["mae std"] + own["mae std"]
    rec("tr_comb_vs_in", "within the seed spread of" if close else
        ("below" if comb["mae"] < own["mae"] else "above"))
    ratio = {}
    for tag, group in _TAGS:
        part = by_group.xs(group, level="group")
        cell(f"tr_mae_ab_{tag}", a, b, source=part)
        cell(f"tr_mae_bb_{tag}", b, b, source=part)
        cell(f"tr_offset_ab_{tag}", a, b, "offset", source=part)
        ratio[group] = float(part.loc[(a, b), "mae"] / part.loc[(b, b), "mae"])
        rec(f"tr_ratio_{tag}", ratio[group], unit="x", kind="analogue")
    low, high = sorted((ratio[GROUPS[0]], ratio[GROUPS[1]]))
    rest_smaller = ratio[GROUPS[2]] < low
    rec("tr_rest_ratio_vs", "smaller than" if rest_smaller else
        ("between the values" if ratio[GROUPS[2]] < high else "larger than"))
    rec("tr_chem_conclusion", "The transfer fails most where the databases' conventions differ."
        if rest_smaller else
        "Here the error ratio does not single out the groups with a database offset.")
    rec("tr_runs", len(runs))
    stopped = int(runs["stopped_early"].sum())
    rec("tr_stopped", stopped)
    rest = len(runs) - stopped
    rec("tr_stop_rest", "" if rest == 0 else
        f" (the other {rest} reached the step limit; see their curves)")
    rec("tr_steps_range", f"{runs['steps'].min():,} to {runs['steps'].max():,}")


def sampling_records(rec: Recorder, by_group: pd.DataFrame, boots: Mapping,
                     test_b: pd.DataFrame, table_a: pd.DataFrame, a: str, b: str) -> None:
    """The group without a database offset: is the cross-database offset there sampling?"""
    rest = GROUPS[2]
    offset = float(by_group.loc[(a, b, rest), "offset"])
    difference = boots[rest]["mean"].estimate
    part = test_b[test_b["group"] == rest]
    held = float(part["key"].isin(set(table_a["key"])).mean() * 100)
    rec("tr_rest_held_pct", held, unit="%")
    if abs(offset) > 3 * abs(difference) + 0.02:
        text = (f"In the group without O/F/S/N, where the two databases agree on the formulas "
                f"they share (mean difference {difference:+.3f} eV/atom), the {a} model still "
                f"misses {b}'s test formulas by a mean offset of {offset:+.3f} eV/atom; {a} "
                f"holds only {held:.0f} % of them. That part is sampling: the model "
                f"extrapolates to compositions its database does not cover, the paper's other "
                "cause.")
    else:
        text = (f"In the group without O/F/S/N the {a} model's mean offset on {b} "
                f"({offset:+.3f} eV/atom) is close to the databases' own mean difference there "
                f"({difference:+.3f}); {a} holds {held:.0f} % of those test formulas.")
    rec("tr_sampling_text", text)


def forest_records(rec: Recorder, forest_cells: pd.DataFrame, cells: pd.DataFrame,
                   ratios: np.ndarray, a: str, b: str, trees: int) -> None:
    """The random-forest baseline beside the network."""
    for key, tr, te in (("aa", a, a), ("bb", b, b), ("ab", a, b), ("ba", b, a)):
        rec(f"tr_rf_{key}", float(forest_cells.loc[(tr, te), "mae"]), unit="eV/atom",
            kind="analogue", n=1, spread="one forest")
    factor = float((forest_cells.loc[(a, b), "mae"] + forest_cells.loc[(b, a), "mae"])
                   / (forest_cells.loc[(a, a), "mae"] + forest_cells.loc[(b, b), "mae"]))
    rec("tr_rf_factor", factor, unit="x", kind="analogue", n=1, spread="one forest")
    rec("tr_rf_vs_net", "better than" if forest_cells.loc[(a, a), "mae"] < cells.loc[(a, a), "mae"]
        else "worse than")
    rec("tr_trees", trees)
    both = factor > 1.2 and float(np.mean(ratios)) > 1.2
    rec("tr_rf_conclusion", "Both models lose accuracy across databases: the failure to transfer "
        "belongs to the data, not to one model." if both else
        "The two models do not agree on a clear loss of accuracy across databases here.")


def gap_records(rec: Recorder, gap_diffs: pd.DataFrame, gap_boot: Mapping, metal_cells,
                gap_cells, gap_shared_cells, c: str, d: str, rule: str) -> None:
    """Band gaps: agreement on metals, offsets on non-metals, classification and regression."""
    rec("tr_gap_rule", rule)
    rec("tr_gap_shared", len(gap_diffs), fmt="{:,}")
    metal_a, metal_b = gap_diffs["a"] <= 0, gap_diffs["b"] <= 0
    rec("tr_gap_both_metal", float((metal_a & metal_b).mean() * 100), unit="%", kind="analogue")
    rec("tr_gap_disagree", float((metal_a != metal_b).mean() * 100), unit="%", kind="analogue")
    mean = gap_boot["mean"]
    rec("tr_gap_nonmetal_n", mean.n, fmt="{:,}")
    _boot(rec, "tr_gap_diff_mean", mean, unit="eV")
    rec("tr_gap_diff_abs", gap_boot["mean |difference|"].estimate, unit="eV", kind="analogue")
    for key, tr, te in (("cc", c, c), ("dd", d, d), ("cd", c, d), ("dc", d, c)):
        rec(f"tr_cls_{key}", 100 * float(metal_cells.loc[(tr, te), "mae"]), unit="%",
            kind="analogue", n=int(metal_cells.loc[(tr, te), "seeds"]))
        rec(f"tr_gapmae_{key}", float(gap_cells.loc[(tr, te), "mae"]), unit="eV",
            kind="analogue", n=int(gap_cells.loc[(tr, te), "seeds"]))

    def factor(x: pd.DataFrame) -> float:
        return float((x.loc[(c, d), "mae"] + x.loc[(d, c), "mae"])
                     / (x.loc[(c, c), "mae"] + x.loc[(d, d), "mae"]))

    rec("tr_gap_factor", factor(gap_shared_cells), unit="x", kind="analogue",
        reason="composition model, shared non-metal test formulas")
    rec("tr_gap_shared_test", int(gap_shared_cells.loc[(c, d), "n test"]), fmt="{:,}")
    rec("tr_cls_factor", factor(metal_cells), unit="x", kind="analogue")


def crystal_records(rec: Recorder, curve: pd.DataFrame, source: str, latent: int,
                    same_data: bool, factor: float | None, names: Sequence[str],
                    full_names: Sequence[str]) -> None:
    """MPEU on crystal graphs: the learning curve and, with two databases, the ratio."""
    kind = "same data" if same_data else "analogue"
    last = curve.iloc[-1]
    rec("tr_crystal_source", source)
    rec("tr_crystal_n", int(last["n_train"]), fmt="{:,}")
    rec("tr_crystal_mae", 1000 * float(last["mae"]), unit="meV/atom", kind=kind, n=1,
        spread="one seed", paper="mae_mp_on_mp" if same_data else None)
    rec("tr_crystal_latent", latent)
    rec("tr_crystal_stopped", int(curve["stopped_early"].sum()))
    rec("tr_crystal_runs", len(curve))
    slope = float(np.polyfit(np.log(curve["n_train"]), np.log(curve["mae"]), 1)[0])
    rec("tr_crystal_slope", slope)
    rec("tr_crystal_falls", "falls" if slope < -0.05 else "does not fall")
    if factor is not None:
        rec("tr_crystal_factor", factor, unit="x", kind=kind, n=1, spread="one seed",
            paper="cross_database_factor" if same_data else None)
        text = (f"Trained on each of {', '.join(names)} and tested on the other, its "
                f"cross-database error is {factor:.1f} times the in-database error (one seed).")
    else:
        text = (f"This profile holds structures of one database ({names[0]}) only, so the "
                "crystal-graph transfer matrix runs in the full profile.")
    rec("tr_crystal_text", text)
    rec("tr_full_crystal", ", ".join(full_names))
