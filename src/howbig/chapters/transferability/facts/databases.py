"""Facts of Section 2.1: the three formation-energy tables and their differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.transferability.databases import (
    CORRECTED_ANIONS,
    CORRECTION_GROUPS,
    GGA_U_METALS,
)
from howbig.chapters.transferability.facts.common import compare, interval_word, judge
from howbig.report import Measured, fact

__all__ = ["DataFacts", "DifferenceFacts", "DistributionFacts", "TableFacts",
           "difference_facts", "distribution_facts", "table_facts"]


# ------------------------------------------------------------------- Section 2.1: the tables
@dataclass(frozen=True)
class DataFacts:
    """What Section 2.1 ran on (its data box and the smoke banner's size)."""

    sources_21: str = fact()
    n_formulas: int = fact()


@dataclass(frozen=True)
class TableFacts:
    """The three formation-energy tables: entries, formulas, the target window, overlaps."""

    window_low: float = fact(unit="eV/atom")
    window_high: float = fact(unit="eV/atom")
    entries_mp: int = fact()
    entries_jarvis: int = fact()
    entries_oqmd: int = fact()
    formulas_mp: int = fact()
    formulas_jarvis: int = fact()
    formulas_oqmd: int = fact()
    removed_mp: int = fact()
    removed_jarvis: int = fact()
    removed_oqmd: int = fact()
    max_jarvis: float = fact(unit="eV/atom")
    max_oqmd: float = fact(unit="eV/atom")
    positive_oqmd: float = fact(unit="%")
    positive_mp: float = fact(unit="%")
    shared_mp_jarvis: int = fact()
    shared_mp_oqmd: int = fact()
    shared_jarvis_oqmd: int = fact()
    shared_all: int = fact()
    shared_pct_jarvis: float = fact(unit="%")
    window_lost: int = fact()
    window_lost_pct: float = fact(unit="%")


def table_facts(raw: Mapping[str, pd.DataFrame], tables: Mapping[str, pd.DataFrame],
                per_database: pd.DataFrame, per_pair: pd.DataFrame,
                window: tuple[float, float], names: Sequence[str] = ("MP", "JARVIS", "OQMD")
                ) -> TableFacts:
    """Facts of the tables. ``per_database``, ``per_pair``: the output of
    :func:`~howbig.chapters.transferability.databases.window_effect` on the aggregated tables
    before the window; ``tables``: after it."""
    a, b, c = names
    keys = {n: set(tables[n]["key"]) for n in names}
    removed = {n: int(per_database.loc[n, "below"] + per_database.loc[n, "above"])
               for n in names}

    def positive(n: str) -> float:
        return 100.0 * float((tables[n]["target"] > 0).mean())

    return TableFacts(
        window[0], window[1], len(raw[a]), len(raw[b]), len(raw[c]),
        len(tables[a]), len(tables[b]), len(tables[c]), removed[a], removed[b], removed[c],
        float(per_database.loc[b, "max"]), float(per_database.loc[c, "max"]), positive(c),
        positive(a), len(keys[a] & keys[b]), len(keys[a] & keys[c]), len(keys[b] & keys[c]),
        len(keys[a] & keys[b] & keys[c]), 100.0 * len(keys[a] & keys[b]) / max(len(keys[b]), 1),
        int(per_pair["lost"].sum()),
        100.0 * float(per_pair["lost"].sum()) / max(float(per_pair["shared"].sum()), 1.0))


@dataclass(frozen=True)
class DistributionFacts:
    """Where the values lie (the analogue of the paper's Fig. 2), and what each table samples."""

    median_mp: float = fact(unit="eV/atom")
    median_jarvis: float = fact(unit="eV/atom")
    median_oqmd: float = fact(unit="eV/atom")
    other_pct_mp: float = fact(unit="%")
    other_pct_oqmd: float = fact(unit="%")
    oqmd_vs_mp_median: str = fact()
    oqmd_vs_mp_other: str = fact()


def distribution_facts(tables: Mapping[str, pd.DataFrame],
                       names: Sequence[str] = ("MP", "JARVIS", "OQMD")) -> DistributionFacts:
    """Medians and the share of the group ``other`` (no corrected element) per table."""
    a, b, c = names
    med = {n: float(tables[n]["target"].median()) for n in names}
    other = {n: 100.0 * float((tables[n]["group"] == CORRECTION_GROUPS[-1]).mean())
             for n in names}
    return DistributionFacts(med[a], med[b], med[c], other[a], other[c],
                             compare(med[c], med[a]), compare(other[c], other[a]))


@dataclass(frozen=True)
class DifferenceFacts:
    """The same formula in two databases: differences by pair and chemistry group (A - B)."""

    n_ab: int = fact()
    diff_ab: Measured = fact(unit="eV/atom")
    mae_ab: Measured = fact(unit="eV/atom")
    diff_ac: Measured = fact(unit="eV/atom")
    mae_ac: Measured = fact(unit="eV/atom")
    diff_bc: Measured = fact(unit="eV/atom")
    mae_bc: Measured = fact(unit="eV/atom")
    diff_ab_u: Measured = fact(unit="eV/atom")
    diff_ab_anion: Measured = fact(unit="eV/atom")
    diff_ab_bip: Measured = fact(unit="eV/atom")
    diff_ab_other: Measured = fact(unit="eV/atom")
    n_ab_u: int = fact()
    n_ab_anion: int = fact()
    n_ab_other: int = fact()
    diff_control: Measured = fact(unit="eV/atom")
    mae_control: Measured = fact(unit="eV/atom")
    n_control: int = fact()
    anion_interval: str = fact()
    other_interval: str = fact()
    control_vs_ab: str = fact()
    control_verdict: str = fact()
    offset_vs_paper: str = fact()
    corrected: str = fact()
    gga_u_metals: str = fact()
    corrected_anions: str = fact()
    groups_vs_fit: str = fact()


def _boot(table: pd.DataFrame, a: str, b: str, group: str, stat: str = "mean") -> Measured:
    row = table[(table["A"] == a) & (table["B"] == b) & (table["group"] == group)].iloc[0]
    return Measured(float(row[stat]), low=float(row[f"{stat} low"]),
                    high=float(row[f"{stat} high"]), n=int(row["n"]),
                    spread="95% bootstrap CI over formulas")


def difference_facts(table: pd.DataFrame, corrections: pd.DataFrame, *, control: str,
                     names: Sequence[str] = ("MP", "JARVIS", "OQMD"), judged: bool = True
                     ) -> DifferenceFacts:
    """Facts of the differences.

    Parameters
    ----------
    table
        :func:`~howbig.chapters.transferability.databases.difference_table` of the pairs of
        ``names`` and of ``(names[0], control)``.
    corrections
        :func:`~howbig.chapters.transferability.databases.correction_table` of the per-atom
        fit of ``names[0]`` - ``names[1]``.
    control
        Name of the second snapshot of ``names[0]`` (the pipeline's noise floor).
    judged
        Whether to state findings (see the module).
    """
    a, b, c = names
    u, anion, bip, other = CORRECTION_GROUPS
    d_anion, d_other = _boot(table, a, b, anion), _boot(table, a, b, other)
    d_all, ctrl_mae = _boot(table, a, b, "all"), _boot(table, a, control, "all", "mae")

    def count(group: str) -> int:
        return int(table[(table["A"] == a) & (table["B"] == b) & (table["group"] == group)]
                   ["n"].iloc[0])

    offset = None
    if all(np.isfinite([d_anion.low, d_anion.high, ctrl_mae.value])):
        offset = interval_word(d_anion.low, d_anion.high) == "excludes" and abs(
            d_anion.value) > ctrl_mae.value
    corrected = sorted(corrections.index[corrections["verdict"] == "corrected"])
    anions = sorted(CORRECTED_ANIONS)
    return DifferenceFacts(
        count("all"), d_all, _boot(table, a, b, "all", "mae"), _boot(table, a, c, "all"),
        _boot(table, a, c, "all", "mae"), _boot(table, b, c, "all"),
        _boot(table, b, c, "all", "mae"), _boot(table, a, b, u), d_anion,
        _boot(table, a, b, bip), d_other, count(u), count(anion), count(other),
        _boot(table, a, control, "all"), ctrl_mae, int(ctrl_mae.n or 0),
        interval_word(d_anion.low, d_anion.high), interval_word(d_other.low, d_other.high),
        compare(ctrl_mae.value, _boot(table, a, b, "all", "mae").value),
        judge(ctrl_mae.value < 0.1 * _boot(table, a, b, "all", "mae").value
              if np.isfinite(ctrl_mae.value) else None, "no", "perhaps", judged=judged),
        judge(offset, "differs", "agrees", judged=judged), ", ".join(corrected) or "none",
        ", ".join(sorted(GGA_U_METALS)), ", ".join(anions),
        "the same set as" if set(corrected) == set(anions) else "a different set from")
