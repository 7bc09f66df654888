"""Facts of Section 2.2: the transfer matrix and where the cross-database error comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.databases import CORRECTION_GROUPS
from howbig.chapters.transferability.facts.common import compare, judge
from howbig.chapters.transferability.settings import RunSettings
from howbig.chapters.transferability.transfer import (
    cell,
    combined_comparison,
    pair_factor,
    transfer_factor,
)
from howbig.report import Measured, fact
from howbig.verdicts import ORDER_OF_MAGNITUDE, verdict

__all__ = ["DecompositionFacts", "MatrixFacts", "RunDataFacts", "decomposition_facts",
           "matrix_facts", "run_data_facts"]

_REASON = ("Roost-style composition model on MP, JARVIS and OQMD formation energies (reduced "
           "formulas), not MPEU on MP and AFLOW structures")


@dataclass(frozen=True)
class RunDataFacts:
    """What Sections 2.2 and 2.3 trained on (their data box) and the recipe's numbers."""

    profile_runs: str = fact()
    sources_runs: str = fact()
    n_train_mp: int = fact()
    n_train_jarvis: int = fact()
    n_train_oqmd: int = fact()
    n_test_mp: int = fact()
    n_test_jarvis: int = fact()
    n_test_oqmd: int = fact()
    run_epochs: float = fact()
    run_min_steps: int = fact()
    run_final_lr_pct: float = fact(unit="%")


def run_data_facts(profile: str, sources: str, sets: Mapping[str, Mapping[str, pd.DataFrame]],
                   settings: RunSettings, names: Sequence[str] = ("MP", "JARVIS", "OQMD")
                   ) -> RunDataFacts:
    """The :class:`RunDataFacts` of the databases' sets
    (:func:`~howbig.chapters.transferability.plan.database_sets`)."""
    return RunDataFacts(profile, sources, *(len(sets[n]["train"]) for n in names),
                        *(len(sets[n]["test"]) for n in names), float(settings.epochs),
                        int(settings.min_steps), 100.0 * settings.final_lr_fraction)


@dataclass(frozen=True)
class MatrixFacts:
    """The 3x3 transfer matrix (MAE in eV/atom, mean and std over seeds), its ratios and the
    combined model."""

    n_matrix_seeds: int = fact()
    mae_mp_mp: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_jarvis_jarvis: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_oqmd_oqmd: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_mp_jarvis: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_jarvis_mp: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_mp_oqmd: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_oqmd_mp: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_jarvis_oqmd: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    mae_oqmd_jarvis: Measured = fact(unit="eV/atom", fmt="{:.3f}")
    scatter_mp_jarvis: float = fact(unit="eV/atom")
    offset_mp_jarvis: float = fact(unit="eV/atom")
    offset_effect: str = fact()
    cross_factor: Measured = fact(unit="x", fmt="{:.2f}", kind="analogue",
                                  claim="cross_database_factor", reason=_REASON)
    cross_factor_verdict: str = fact()
    factor_vs_band: str = fact()
    band_low: float = fact(unit="x")
    band_high: float = fact(unit="x")
    pair_mp_jarvis: Measured = fact(unit="x", fmt="{:.2f}")
    pair_mp_oqmd: Measured = fact(unit="x", fmt="{:.2f}")
    pair_jarvis_oqmd: Measured = fact(unit="x", fmt="{:.2f}")
    combined_n: int = fact()
    combined_cap: int = fact()
    n_combined_seeds: int = fact()
    combined_mp: float = fact(unit="eV/atom")
    combined_jarvis: float = fact(unit="eV/atom")
    combined_oqmd: float = fact(unit="eV/atom")
    combined_above_own: int = fact()
    combined_below_cross: int = fact()
    combined_vs_paper: str = fact()


def matrix_facts(result: TransferResult, names: Sequence[str], combined: str, *,
                 judged: bool = True) -> MatrixFacts:
    """Facts of the full-size runs and the combined model (``result``: both merged)."""
    a, b, c = names
    factor = transfer_factor(result, names)
    word = verdict("cross_database_factor", factor, kind="analogue")
    low, high = ORDER_OF_MAGNITUDE
    cells = result.cells()
    comb = combined_comparison(result, combined, names)
    above_own = int((comb["combined"] > comb["own model"]).sum())
    below_cross = int((comb["combined"] < comb["other models (mean)"]).sum())
    runs = result.runs[result.runs["trained_on"] == combined]
    return MatrixFacts(
        int(result.runs.loc[result.runs["trained_on"] == a, "seed"].nunique()),
        cell(result, a, a), cell(result, b, b), cell(result, c, c), cell(result, a, b),
        cell(result, b, a), cell(result, a, c), cell(result, c, a), cell(result, b, c),
        cell(result, c, b), float(cells.loc[(a, b), "scatter"]),
        float(cells.loc[(a, b), "offset"]),
        "barely lowers" if cells.loc[(a, b), "scatter"] > 0.9 * cells.loc[(a, b), "mae"]
        else "lowers", factor,
        judge(word.agrees, "agrees", "disagrees", judged=judged,
              undetermined="no verdict"),
        compare(factor.value, low, words=("below", "above", "at")) if factor.value < low
        else compare(factor.value, high, words=("inside", "above", "at")),
        low, high, pair_factor(result, a, b), pair_factor(result, a, c),
        pair_factor(result, b, c), int(runs["n_train"].iloc[0]),
        int(runs["n_train"].iloc[0]) // len(names), int(runs["seed"].nunique()),
        float(comb.loc[a, "combined"]), float(comb.loc[b, "combined"]),
        float(comb.loc[c, "combined"]), above_own, below_cross,
        judge(above_own == len(names) and below_cross == len(names), "the same pattern",
              "a different pattern", judged=judged))


@dataclass(frozen=True)
class DecompositionFacts:
    """Held and not-held test formulas of the off-diagonal cells (eV/atom; shares 0-1)."""

    not_held_share_ab: Measured = fact(unit="", fmt="{:.3f}")
    not_held_formulas_ab: float = fact(unit="")
    not_held_share_min: float = fact(unit="")
    not_held_share_max: float = fact(unit="")
    cells_mostly_not_held: int = fact()
    n_cells: int = fact()
    held_error_ab: Measured = fact(unit="eV/atom")
    held_difference_ab: float = fact(unit="eV/atom")
    held_error_ab_anion: float = fact(unit="eV/atom")
    held_difference_ab_anion: float = fact(unit="eV/atom")
    held_error_ab_u: float = fact(unit="eV/atom")
    held_difference_ab_u: float = fact(unit="eV/atom")
    held_error_ab_other: float = fact(unit="eV/atom")
    held_difference_ab_other: float = fact(unit="eV/atom")
    held_gap_max: float = fact(unit="eV/atom")
    not_held_mae_ab: float = fact(unit="eV/atom")
    held_mae_ab: float = fact(unit="eV/atom")
    not_held_error_ac: Measured = fact(unit="eV/atom")
    not_held_error_bc: Measured = fact(unit="eV/atom")
    not_held_formulas_ac: float = fact(unit="")
    not_held_positive_ac: float = fact(unit="")
    ac_direction: str = fact()
    diversity_vs_paper: str = fact()
    stability_vs_paper: str = fact()
    convention_word: str = fact()


def _row(summary: pd.DataFrame, a: str, b: str, group: str, part: str) -> pd.Series:
    """One row of the summary; a group without test formulas: NaN statistics."""
    key = (a, b, group, part)
    if key in summary.index:
        return summary.loc[key]
    return pd.Series(np.nan, index=summary.columns).fillna({"formulas": 0, "seeds": 0})


def _seed_measured(row: pd.Series, column: str, what: str) -> Measured:
    n = int(row["seeds"])
    std = row[f"{column} std"]
    return Measured(float(row[column]), uncertainty=float(std) if n > 1 else None, n=n,
                    spread=f"std over {n} seeds of {what}" if n > 1 else "one seed")


def decomposition_facts(summary: pd.DataFrame, names: Sequence[str],
                        tables: Mapping[str, pd.DataFrame], *, judged: bool = True,
                        close: float = 0.05) -> DecompositionFacts:
    """Facts of :func:`~howbig.chapters.transferability.decomposition.summarise` of the
    full-size runs (``tables``: the aggregated tables, for the share of positive formation
    energies among the third database's test formulas the first lacks).

    "Most of the error on not-held formulas" counts a cell where the not-held share minus its
    seed std exceeds one half. The held formulas' mean error follows the database difference
    ("convention") where, in every chemistry group of MP -> JARVIS with formulas, the two lie
    within ``close`` eV/atom.
    """
    a, b, c = names
    cells = [(x, y) for x in names for y in names if x != y]
    shares = np.array([_row(summary, x, y, "all", "not held")["error share"] for x, y in cells])
    spread = np.array([np.nan_to_num(_row(summary, x, y, "all", "not held")["error share std"])
                       for x, y in cells])
    mostly = int(np.sum(shares - spread > 0.5))
    held = _row(summary, a, b, "all", "held")
    by_group = {g: _row(summary, a, b, g, "held") for g in CORRECTION_GROUPS}
    gaps = [abs(r["mean error"] - r["mean difference"]) for r in by_group.values()
            if r["formulas"] > 0]
    gap = float(np.max(gaps)) if gaps else float("nan")
    ac = _row(summary, a, c, "all", "not held")
    ac_error = _seed_measured(ac, "mean error", "the mean error")
    ac_low = ac_error.value + (ac_error.uncertainty or 0.0)
    u, anion, _, other = CORRECTION_GROUPS
    nh = _row(summary, a, b, "all", "not held")
    test_c = tables[c][tables[c]["split"] == "test"]
    lacking = test_c[~test_c["key"].isin(set(tables[a]["key"]))]
    positive = float((lacking["target"] > 0).mean()) if len(lacking) else float("nan")
    return DecompositionFacts(
        _seed_measured(nh, "error share", "the share"), float(nh["formula share"]),
        float(shares.min()), float(shares.max()), mostly, len(cells),
        _seed_measured(held, "mean error", "the mean error"), float(held["mean difference"]),
        float(by_group[anion]["mean error"]), float(by_group[anion]["mean difference"]),
        float(by_group[u]["mean error"]), float(by_group[u]["mean difference"]),
        float(by_group[other]["mean error"]), float(by_group[other]["mean difference"]),
        gap, float(nh["mae"]), float(held["mae"]), ac_error,
        _seed_measured(_row(summary, b, c, "all", "not held"), "mean error", "the mean error"),
        float(ac["formula share"]), positive,
        judge(ac_low < 0, "too stable", "not systematically too stable"),
        judge(mostly == len(cells), "agrees", "agrees in part", judged=judged),
        judge(ac_low < 0, "agrees", "disagrees", judged=judged),
        judge(gap < close if np.isfinite(gap) else None, "yes", "no", judged=judged))

