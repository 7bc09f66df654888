"""Facts of Section 2.3: learning curves, floors, the ratio limit, fine-tuning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.transferability.curves import CurveAnalysis
from howbig.chapters.transferability.facts.common import judge, span_text
from howbig.paper import PUBLISHED
from howbig.report import Measured, fact
from howbig.verdicts import ORDER_OF_MAGNITUDE

__all__ = ["CurveFacts", "CurveSetup", "FinetuneFacts", "curve_facts", "finetune_facts",
           "published_split_overlap"]

_SPREAD = "95% paired bootstrap interval of the fit"


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _estimate(row: pd.Series, column: str) -> Measured:
    return Measured(float(row[column]), low=_finite(row[f"{column} low"]),
                    high=_finite(row[f"{column} high"]), spread=_SPREAD)


@dataclass(frozen=True)
class CurveSetup:
    """How the learning curves were planned (:class:`~..settings.CurveSettings`)."""

    curve_span: float = fact()
    n_curve_seeds: int = fact()
    n_matrix_seeds_curves: int = fact()
    tolerance_pct: float = fact(unit="%")


@dataclass(frozen=True)
class CurveFacts:
    """The learning curves (eV/atom; sizes in formulas)."""

    n_curve_runs: int = fact()
    n_sizes: int = fact()
    curve_decades: float = fact()
    n_smallest_mp: int = fact()
    n_largest_mp: int = fact()
    exponent_mp: Measured = fact()
    exponent_jarvis: Measured = fact()
    exponent_oqmd: Measured = fact()
    floor_mp: Measured = fact(unit="eV/atom", kind="extrapolation")
    floor_jarvis: Measured = fact(unit="eV/atom", kind="extrapolation")
    floor_oqmd: Measured = fact(unit="eV/atom", kind="extrapolation")
    floor_mp_jarvis: Measured = fact(unit="eV/atom", kind="extrapolation")
    copy_floor_mp_jarvis: float = fact(unit="eV/atom")
    floor_mp_jarvis_bound: str = fact()
    floors_at_bound: int = fact()
    crossover_n: Measured = fact(unit="formulas", kind="extrapolation")
    crossover_text: str = fact()
    crossover_where: str = fact()
    crossovers_within: int = fact()
    n_cross: int = fact()
    ratio_at_max: Measured = fact(unit="x", fmt="{:.2f}")
    ratio_limit: Measured = fact(unit="x", fmt="{:.2f}", kind="extrapolation")
    ratio_limit_text: str = fact()
    ratio_limits_max: float = fact(unit="x")
    ratio_limit_below_ten: str = fact()
    limits_below_ten: int = fact()
    limits_below_band: int = fact()
    band_low_curves: float = fact(unit="x")
    paper_factor_reachable: str = fact()


def curve_facts(analysis: CurveAnalysis, names: Sequence[str], *, tolerance: float = 0.1,
                judged: bool = True) -> CurveFacts:
    """Facts of :func:`~howbig.chapters.transferability.curves.analyse_curves`; the recorded
    crossover and ratio limit are those of ``names[0] -> names[1]`` (MP -> JARVIS), and so is
    the answer whether a training-set size gives a factor of ten (the upper end of that limit's
    interval below ten: no). Crossovers above 100 times the largest training set are written
    as "more than" that."""
    a, b, c = names
    t = analysis.table.set_index(["trained_on", "tested_on"])
    cross = t[[x != y for x, y in t.index]]
    ab = t.loc[(a, b)]
    n = analysis.errors
    sizes = sorted(n.loc[n["trained_on"] == a, "n"].unique())
    crossing = Measured(float(ab["crossover"]), low=_finite(ab["crossover low"]),
                        high=_finite(ab["crossover high"]), spread=_SPREAD)
    cap = 100 * float(ab["n_max"])  # "more than 100 times the largest training set"
    if not np.isfinite(ab["crossover"]):
        where = "not computable: the fitted floor is zero"
    else:
        where = "beyond the data" if ab["beyond data"] else "within the data"
    highs = cross["ratio limit high"].to_numpy(float)
    top = float(np.max(highs)) if len(highs) else float("nan")
    upper = ab["ratio limit high"]
    return CurveFacts(
        len(n), len(sizes), float(np.log10(sizes[-1] / sizes[0])) if sizes else float("nan"),
        int(sizes[0]), int(sizes[-1]), _estimate(t.loc[(a, a)], "b"),
        _estimate(t.loc[(b, b)], "b"), _estimate(t.loc[(c, c)], "b"),
        _estimate(t.loc[(a, a)], "c"), _estimate(t.loc[(b, b)], "c"),
        _estimate(t.loc[(c, c)], "c"), _estimate(ab, "c"), float(ab["c_min"]),
        "at" if ab["floor at bound"] else "above", int(cross["floor at bound"].sum()), crossing,
        span_text(crossing.value, crossing.low, crossing.high, cap=cap), where,
        int(sum(np.isfinite(cross["crossover"]) & ~cross["beyond data"].astype(bool))),
        len(cross), _estimate(ab, "ratio at n_max"), _estimate(ab, "ratio limit"),
        span_text(float(ab["ratio limit"]), float(ab["ratio limit low"]), float(upper),
                  fmt="{:.2f}"), top,
        judge(bool(upper < 10.0) if np.isfinite(ab["ratio limit"]) else None, "yes", "no"),
        int(np.sum(highs < 10.0)), int(np.sum(highs < ORDER_OF_MAGNITUDE[0])),
        ORDER_OF_MAGNITUDE[0],
        judge(bool(upper < 10.0) if np.isfinite(ab["ratio limit"]) else None, "no",
              "perhaps, a large enough one", judged=judged))


@dataclass(frozen=True)
class FinetuneFacts:
    """Fine-tuning the MP model on JARVIS, against JARVIS's own runs (eV/atom)."""

    ft_sizes: str = fact()
    ft_n_first: int = fact()
    ft_mae_first: float = fact(unit="eV/atom")
    scratch_mae_first: float = fact(unit="eV/atom")
    equivalent_first: Measured = fact(unit="formulas", kind="extrapolation")
    equivalent_first_text: str = fact()
    saved_first: float = fact(unit="formulas")
    saved_first_text: str = fact()
    ft_n_last: int = fact()
    ft_mae_last: float = fact(unit="eV/atom")
    scratch_mae_last: float = fact(unit="eV/atom")
    ft_better: int = fact()
    n_ft_sizes: int = fact()
    equivalent_first_where: str = fact()
    jarvis_scratch_mae: Measured = fact(unit="eV/atom", kind="external reference",
                                        reference="gupta2021_jarvis_scratch")
    jarvis_finetuned_mae: Measured = fact(unit="eV/atom", kind="external reference",
                                          reference="gupta2021_jarvis_transfer")
    gupta_scratch: float = fact(unit="eV/atom")
    gupta_transfer: float = fact(unit="eV/atom")
    jarvis_test_formulas: int = fact()
    jarvis_test_in_train: int = fact()


def published_split_overlap(raw: pd.DataFrame) -> tuple[int, int]:
    """Formulas of a published table's ``test`` part, and how many of them its ``train`` part
    holds too (a split by entry, not by formula)."""
    test = set(raw.loc[raw["part"] == "test", "key"])
    return len(test), len(test & set(raw.loc[raw["part"] == "train", "key"]))


def finetune_facts(comparison: pd.DataFrame, finetuned: pd.DataFrame, scratch: pd.DataFrame,
                   jarvis_raw: pd.DataFrame) -> FinetuneFacts:
    """Facts of :func:`~howbig.chapters.transferability.learning_curves.finetuning_comparison`.

    ``finetuned`` and ``scratch`` hold one row per run (``n, seed, mae``) on the target's test
    set; the scratch run of the full training set and the fine-tuned run of the largest
    fine-tuned size are set beside Gupta et al.'s values (another split: by entry).
    """
    first, last = comparison.iloc[0], comparison.iloc[-1]
    full = scratch[scratch["n"] == scratch["n"].max()]["mae"].to_numpy(float)
    tuned = finetuned[finetuned["n"] == finetuned["n"].max()]["mae"].to_numpy(float)

    def seeds(values: np.ndarray) -> Measured:
        k = len(values)
        return Measured(float(values.mean()), uncertainty=float(values.std(ddof=1))
                        if k > 1 else None, n=k, spread=f"std over {k} seeds" if k > 1 else "")

    eq = Measured(float(first["equivalent n"]), low=_finite(first["low"]),
                  high=_finite(first["high"]), spread="95% bootstrap interval")
    n_test, overlap = published_split_overlap(jarvis_raw)
    if not np.isfinite(first["equivalent n"]):
        where = "not computable: below the scratch curve's floor"
    else:
        where = "beyond the data" if first["beyond data"] else "within the data"
    return FinetuneFacts(
        ", ".join(f"{int(n):,}" for n in comparison.index), int(comparison.index[0]),
        float(first["finetuned"]), float(first["scratch"]), eq,
        span_text(float(first["equivalent n"]), float(first["low"]), float(first["high"])),
        float(first["saved"]), span_text(float(first["saved"])),
        int(comparison.index[-1]), float(last["finetuned"]), float(last["scratch"]),
        int((comparison["difference"] < 0).sum()), len(comparison), where, seeds(full),
        seeds(tuned), PUBLISHED["gupta2021_jarvis_scratch"].value,
        PUBLISHED["gupta2021_jarvis_transfer"].value, n_test, overlap)
