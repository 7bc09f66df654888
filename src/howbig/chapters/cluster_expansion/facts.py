"""The facts Chapter 4's text states, one frozen dataclass per section of the page.

Each is recorded with ``Recorder("cluster_expansion", prefix=..., ...).facts(...)`` in a hidden
cell of the page, which glues every field as ``<prefix><field>``. Words that compare ("below",
a verdict label) are chosen here from the numbers; the sentences are the page's. Verdicts come
from :func:`howbig.verdicts.verdict` with the kind the record gets in this profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ase import Atoms

from howbig.chapters.cluster_expansion.experiment import (
    AgPdBaseline,
    FeatureSpacePath,
    best_nested,
    compare_folds,
)
from howbig.methods.cluster_expansion import OMPPath, plateau_size, polynomial_feature_count
from howbig.paper import paper_value
from howbig.report import Measured, fact, recorded_kind
from howbig.verdicts import verdict

__all__ = ["AgPdFacts", "DataFacts", "FeatureFacts", "FitFacts", "HoldoutFacts", "PaperFacts",
           "PoolFacts", "agpd_facts", "data_facts", "feature_facts", "fit_facts",
           "holdout_facts", "pool_facts"]

_REASON = "GeSn2N4 GGA band gaps (a small spread) instead of BaSnO3-x"
_SUBSETS = "std over other random paper-sized subsets"


def _rows(data: str, rows: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """:func:`howbig.report.fact` arguments of ranking records (meV, analogue): name ->
    (claim, what the row measures: its note on the reproducibility and conclusions pages)."""
    return {name: dict(unit="meV", fmt="{:+.1f}", kind="analogue", claim=claim, reason=_REASON,
                       finding=f"{data}: {what}") for name, (claim, what) in rows.items()}


_FEW = "standard CE of the large pool minus the best nonlinear CE of the small pool"
_SMALL = "standard minus the best nonlinear CE, small pool"
_LARGE = "standard minus nonlinear CE (d = 2), large pool"
_GROUND, _MORE = "ce_nonlinear_ground_truth", "ce_nonlinear_vs_more_clusters"
_ROWS = {
    **_rows("fit (in-sample), paper-sized subsets", {
        "fit_p27": ("ce_nonlinear_p27_fit", "standard CE minus nonlinear CE (d = 3) of the "
                                            "small pool at p features"),
        "fit_p176": ("ce_nonlinear_p176_fit", "the smallest difference standard CE minus "
                                              "nonlinear CE (d = 2) of the large pool over the "
                                              "sizes both reach"),
        "fit_few_vs_many": (_MORE, "standard CE of the large pool minus nonlinear CE (d = 3) "
                                   "of the small pool")}),
    **{f"{tag}_{name}": row for tag, data in (("sub", "paper-sized subset"),
                                              ("all", "all configurations"))
       for name, row in _rows(f"held out (nested CV), {data}", {
           "few_vs_many": (_MORE, _FEW), "gain_small": (_GROUND, _SMALL),
           "gain_large": (_GROUND, _LARGE)}).items()},
}


def _label(claim: str, value: Measured, profile: str) -> str:
    return verdict(claim, value, kind=recorded_kind("analogue", profile)).label


def _below(a: float, b: float, otherwise: str) -> str:
    return "below" if a < b else otherwise


@dataclass(frozen=True)
class PaperFacts:
    """The paper's numbers the page's sentences set beside this build's (prefix ``ce_paper_``)."""

    configurations: float = fact()
    small_pool: float = fact()
    large_pool: float = fact()
    features_d2: float = fact()
    features_d3: float = fact()
    standard_rmse: float = fact(unit="meV")
    plateau_d3: float = fact()
    plateau_d2: float = fact()
    plateau_large: float = fact()
    plateau_large_rmse: float = fact(unit="meV")
    parity_features: float = fact()

    @classmethod
    def from_paper(cls) -> PaperFacts:
        """The values of :data:`howbig.paper.PAPER`."""
        return cls(*(paper_value(k) for k in (
            "ce_configurations", "ce_small_pool", "ce_large_pool", "ce_features_d2_p27",
            "ce_features_d3_p27", "ce_standard_p27_rmse", "ce_plateau_features_d3",
            "ce_plateau_features_d2", "ce_standard_p176_plateau_features",
            "ce_standard_p176_plateau_rmse", "ce_parity_features")))


@dataclass(frozen=True)
class DataFacts:
    """Section 4.1: the GeSn2N4 data set and the paper-sized subset."""

    n_configurations: int = fact()
    gap_min: float = fact(unit="eV")
    gap_max: float = fact(unit="eV")
    gap_std: float = fact(unit="meV")
    n_metals: int = fact()
    n_atoms: int = fact()
    n_ge: int = fact()
    n_sn: int = fact()
    n_n: int = fact()
    cell_length: float = fact(unit="Å")
    n_primitive: int = fact()
    subset: int = fact(kind="input", claim="ce_configurations",
                       reason="random subset of the public GeSn2N4 data, sized like the paper's "
                              "(non-public) BaSnO3-x set")
    credits_gesn: str = fact()
    credits_agpd: str = fact()


def data_facts(y: np.ndarray, reference: Atoms, n_primitive: int, n_subset: int,
               credits: tuple[str, str]) -> DataFacts:
    """Sizes, the gap range and spread (meV) and the cell's composition; ``credits`` of the
    GeSn2N4 and the Ag-Pd data (:func:`howbig.profiles.data_credits`)."""
    symbols = reference.get_chemical_symbols()
    return DataFacts(len(y), float(y.min()), float(y.max()), 1000 * float(y.std()),
                     int((y <= 0).sum()), len(reference), symbols.count("Ge"),
                     symbols.count("Sn"), symbols.count("N"),
                     float(reference.cell.lengths()[0]), n_primitive, n_subset, *credits)


@dataclass(frozen=True)
class PoolFacts:
    """Section 4.2: the two pools, their rank on the data, the cross-check against CELL."""

    p_small: int = fact(kind="input", claim="ce_small_pool",
                        reason="cutoffs chosen to give the paper's size")
    p_large: int = fact(kind="input", claim="ce_large_pool",
                        reason="cutoffs chosen for the nearest size the spinel's orbit shells "
                               "allow")
    rank_small: int = fact()
    rank_large: int = fact()
    cell_columns: int = fact()
    cell_exact: int = fact()
    cell_factor: int = fact()
    cell_none: int = fact()
    cell_aliased: int = fact()
    cell_factors: str = fact()
    span_small: int = fact()
    span_small_total: int = fact()
    span_large: int = fact()
    span_large_total: int = fact()
    span_outside_orders: str = fact()


def pool_facts(pools: dict[str, np.ndarray], ranks: dict[str, int], check: pd.DataFrame,
               span: dict[str, np.ndarray], large_orders: np.ndarray) -> PoolFacts:
    """Facts of the pools (correlations without the empty cluster), their ranks (with the
    constant), :func:`~howbig.methods.cluster_expansion.cell_crosscheck`'s table and the span
    residuals per pool (constant first); ``large_orders``: cluster order of every column of the
    large pool (constant first, order 0)."""
    match = check["match"]
    outside = sorted(set(np.asarray(large_orders)[span["large"] >= 1e-8].tolist()))
    factors = sorted({int(f) for f in check.loc[match == "factor", "factor"]})
    return PoolFacts(
        pools["small"].shape[1], pools["large"].shape[1], ranks["small"], ranks["large"],
        len(check), int((match == "exact").sum()), int((match == "factor").sum()),
        int((match == "none").sum()), int((check["icet_orbits"].map(len) > 1).sum()),
        ", ".join(map(str, factors)) or "none",
        int((span["small"] < 1e-8).sum()), len(span["small"]),
        int((span["large"] < 1e-8).sum()), len(span["large"]),
        ", ".join(map(str, outside)) or "none")


@dataclass(frozen=True)
class FeatureFacts:
    """Section 4.3: feature counts, the paper's printed sum, distinct columns on the data."""

    features_d2: int = fact()
    features_d3: int = fact()
    features_d2_printed: int = fact(kind="paper arithmetic", claim="ce_features_d2_p27",
                                    reason="the paper's printed sum over k = 0..d at its p")
    features_d3_printed: int = fact(kind="paper arithmetic", claim="ce_features_d3_p27",
                                    reason="the paper's printed sum over k = 0..d at its p")
    printed_verdict: str = fact()
    features_large_d2: int = fact()
    distinct_d3: int = fact()
    distinct_large_d2: int = fact()


def feature_facts(p_small: int, p_large: int, distinct: dict[tuple[str, int], np.ndarray]
                  ) -> FeatureFacts:
    """Counts by the formula (``k >= 1``), the paper's printed sum (``k = 0..d``) at the paper's
    p and its verdict, and the distinct columns per space (``distinct[(pool, d)]``)."""
    p_paper = int(paper_value("ce_small_pool"))
    printed = {d: polynomial_feature_count(p_paper, d, include_constant=True) for d in (2, 3)}
    words = {verdict(f"ce_features_d{d}_p27", printed[d], kind="paper arithmetic").word
             for d in (2, 3)}
    return FeatureFacts(
        polynomial_feature_count(p_small, 2), polynomial_feature_count(p_small, 3),
        printed[2], printed[3], " / ".join(sorted(words)),
        polynomial_feature_count(p_large, 2), distinct[("small", 3)].shape[1],
        distinct[("large", 2)].shape[1])


def _fit_at(path: OMPPath, k: int) -> float:
    """Fit RMSE (meV) of the k-feature model (the path's last one if it is shorter)."""
    return 1000 * float(path.fit_rmse[min(k, path.n_steps) - 1])


def _stop(path: OMPPath, rank: int, cap: int) -> str:
    """Where a standard CE path ended: at the rank of its correlations (rank - 1 features
    besides the constant) or at the profile's cap on model size."""
    return "at the rank limit" if path.n_steps == rank - 1 else (
        "at this profile's cap on model size" if path.n_steps == cap else "early")


@dataclass(frozen=True)
class FitFacts:
    """Section 4.5: the fit errors of the Fig. 5 analogue (meV) and the paper's fit claims."""

    max_features: int = fact()
    n_splits: int = fact()
    inner_splits: int = fact()
    n_spread: int = fact()
    plateau_percent: float = fact(unit="%")
    k_cmp: int = fact()
    std_small_rmse: Measured = fact(unit="meV", kind="analogue", claim="ce_standard_p27_rmse",
                                    reason=_REASON)
    plateau_d3: Measured = fact(kind="analogue", claim="ce_plateau_features_d3", reason=_REASON)
    plateau_d2: Measured = fact(kind="analogue", claim="ce_plateau_features_d2", reason=_REASON)
    plateau_std_large: Measured = fact(kind="analogue", claim="ce_standard_p176_plateau_features",
                                       reason=_REASON)
    std_large_plateau_rmse: Measured = fact(unit="meV", kind="analogue", reason=_REASON,
                                            claim="ce_standard_p176_plateau_rmse")
    std_small_steps: int = fact()
    std_small_stop: str = fact()
    std_large_steps: int = fact()
    std_large_stop: str = fact()
    std_large_best_rmse: float = fact(unit="meV")
    d3_at_p_rmse: float = fact(unit="meV")
    d2_at_p_rmse: float = fact(unit="meV")
    nonlinear_fit_word: str = fact()
    d3_below_d2_percent: float = fact(unit="%")
    d2_below_std_large_percent: float = fact(unit="%")
    d3_steps: int = fact()
    d3_end_rmse: float = fact(unit="meV")
    d2_steps: int = fact()
    d2_end_rmse: float = fact(unit="meV")
    d3_kcmp_rmse: float = fact(unit="meV")
    insample_word: str = fact()
    fit_p27: Measured = fact(**_ROWS["fit_p27"])
    fit_p27_verdict: str = fact()
    fit_p176: Measured = fact(**_ROWS["fit_p176"])
    fit_p176_verdict: str = fact()
    fit_few_vs_many: Measured = fact(**_ROWS["fit_few_vs_many"])
    fit_few_vs_many_verdict: str = fact()


def fit_facts(spaces: dict[tuple[str, int], FeatureSpacePath],
              others: dict[tuple[str, int], list[OMPPath]], ranks: dict[str, int], *,
              plateau: float, k_cmp: int, max_features: int, n_splits: int, inner_splits: int,
              profile: str) -> FitFacts:
    """Facts of the fit paths on the paper-sized subset (``spaces``) and on other subsets of the
    same size (``others``: their spread, and the range of the paper's fit claims)."""
    keys = (("small", 1), ("small", 2), ("small", 3), ("large", 1), ("large", 2))
    paths = {key: [spaces[key].path, *others[key]] for key in keys}  # this subset first
    p_small = spaces[("small", 1)].p

    def spread(stat: Any, key: tuple[str, int]) -> Measured:
        values = [stat(path) for path in paths[key]]
        return Measured(values[0], uncertainty=float(np.std(values[1:], ddof=1)),
                        n=len(values) - 1, spread=_SUBSETS)

    def size(path: OMPPath) -> float:
        return float(plateau_size(path.fit_rmse, plateau))

    def sub_diff(fn: Any) -> Measured:  # this subset's value, the range over all subsets
        v = [fn(*(paths[key][s] for key in keys)) for s in range(len(paths[keys[0]]))]
        return Measured(v[0], uncertainty=float(np.std(v[1:], ddof=1)) if len(v) > 2 else None,
                        low=min(v), high=max(v), n=len(v),
                        spread=f"range over {len(v)} paper-sized subsets")

    std_s, d2_s, d3_s, std_l, d2_l = (spaces[key].path for key in keys)
    both = np.isfinite(d2_s.fit_rmse) & np.isfinite(d3_s.fit_rmse)
    shared = np.arange(1, min(std_l.n_steps, d2_l.n_steps) + 1)
    fit_p27 = sub_diff(lambda s1, s2, s3, l1, l2: _fit_at(s1, p_small) - _fit_at(s3, p_small))
    fit_p176 = sub_diff(lambda s1, s2, s3, l1, l2: min(
        _fit_at(l1, k) - _fit_at(l2, k) for k in range(1, min(l1.n_steps, l2.n_steps) + 1)))
    fit_few = sub_diff(lambda s1, s2, s3, l1, l2: _fit_at(l1, l1.n_steps) - _fit_at(s3, k_cmp))
    return FitFacts(
        max_features=max_features, n_splits=n_splits, inner_splits=inner_splits,
        n_spread=len(others[keys[0]]), plateau_percent=100 * plateau, k_cmp=k_cmp,
        std_small_rmse=spread(lambda p: _fit_at(p, p_small), ("small", 1)),
        plateau_d3=spread(size, ("small", 3)), plateau_d2=spread(size, ("small", 2)),
        plateau_std_large=spread(size, ("large", 1)),
        std_large_plateau_rmse=spread(lambda p: _fit_at(p, int(size(p))), ("large", 1)),
        std_small_steps=std_s.n_steps, std_small_stop=_stop(std_s, ranks["small"], max_features),
        std_large_steps=std_l.n_steps, std_large_stop=_stop(std_l, ranks["large"], max_features),
        std_large_best_rmse=_fit_at(std_l, std_l.n_steps),
        d3_at_p_rmse=_fit_at(d3_s, p_small), d2_at_p_rmse=_fit_at(d2_s, p_small),
        nonlinear_fit_word=_below(_fit_at(d3_s, p_small), _fit_at(std_s, p_small), "not below"),
        d3_below_d2_percent=100 * float(np.mean(d3_s.fit_rmse[both]
                                                <= d2_s.fit_rmse[both] + 1e-12)),
        d2_below_std_large_percent=100 * float(np.mean(d2_l.fit_rmse[shared - 1]
                                                       <= std_l.fit_rmse[shared - 1] + 1e-12)),
        d3_steps=d3_s.n_steps, d3_end_rmse=_fit_at(d3_s, max_features),
        d2_steps=d2_s.n_steps, d2_end_rmse=_fit_at(d2_s, max_features),
        d3_kcmp_rmse=_fit_at(d3_s, k_cmp),
        insample_word=_below(_fit_at(d3_s, k_cmp), _fit_at(std_l, std_l.n_steps), "above"),
        fit_p27=fit_p27, fit_p27_verdict=_label("ce_nonlinear_p27_fit", fit_p27, profile),
        fit_p176=fit_p176, fit_p176_verdict=_label("ce_nonlinear_p176_fit", fit_p176, profile),
        fit_few_vs_many=fit_few,
        fit_few_vs_many_verdict=_label("ce_nonlinear_vs_more_clusters", fit_few, profile))


_FOLDS = "mean difference over the outer folds, 95% t-interval"
_CV = {"unit": "meV", "fmt": "{:.1f}"}


def _held_out(a: FeatureSpacePath, b: FeatureSpacePath) -> Measured:
    """Nested-CV RMSE of ``b`` minus ``a`` (meV), paired over the same outer folds: positive
    when ``a`` predicts better."""
    cmp = compare_folds(b, a)
    return Measured(1000 * cmp.difference, uncertainty=1000 * cmp.stderr, low=1000 * cmp.low,
                    high=1000 * cmp.high, n=cmp.n, spread=_FOLDS)


def _nested(s: FeatureSpacePath) -> Measured:
    assert s.nested is not None
    return Measured(1000 * s.nested.rmse, uncertainty=1000 * s.nested.spread,
                    n=len(s.nested.fold_rmse), spread="std over the outer folds (nested CV)")


@dataclass(frozen=True)
class HoldoutFacts:
    """Section 4.6: nested-CV errors (meV) on the paper-sized subset (``sub_``) and on all
    configurations (``all_``), and the paper's claims judged on held-out data."""

    sub_cv_small_d1: Measured = fact(**_CV)
    sub_cv_small_d2: Measured = fact(**_CV)
    sub_cv_small_d3: Measured = fact(**_CV)
    sub_cv_large_d1: Measured = fact(**_CV)
    sub_cv_large_d2: Measured = fact(**_CV)
    all_cv_small_d1: Measured = fact(**_CV)
    all_cv_small_d2: Measured = fact(**_CV)
    all_cv_small_d3: Measured = fact(**_CV)
    all_cv_large_d1: Measured = fact(**_CV)
    all_cv_large_d2: Measured = fact(**_CV)
    sub_fit_small_d3: float = fact(**_CV)
    sub_cvmin_small_d3: float = fact(**_CV)
    sub_cvk_small_d3: int = fact()
    sub_cvend_small_d3: float = fact(**_CV)
    sub_d3_cv_shape: str = fact()
    sub_few: str = fact()
    all_few: str = fact()
    sub_cv_few: Measured = fact(**_CV)
    all_cv_few: Measured = fact(**_CV)
    sub_few_vs_many: Measured = fact(**_ROWS["sub_few_vs_many"])
    sub_few_vs_many_verdict: str = fact()
    sub_few_vs_many_word: str = fact()
    all_few_vs_many: Measured = fact(**_ROWS["all_few_vs_many"])
    all_few_vs_many_verdict: str = fact()
    all_few_vs_many_word: str = fact()
    sub_gain_small: Measured = fact(**_ROWS["sub_gain_small"])
    sub_gain_small_verdict: str = fact()
    all_gain_small: Measured = fact(**_ROWS["all_gain_small"])
    all_gain_small_verdict: str = fact()
    sub_gain_large: Measured = fact(**_ROWS["sub_gain_large"])
    sub_gain_large_verdict: str = fact()
    all_gain_large: Measured = fact(**_ROWS["all_gain_large"])
    all_gain_large_verdict: str = fact()


def _compare(m: Measured, profile: str) -> str:
    """The nonlinear CE's held-out error against the linear one's, from ``linear - nonlinear``:
    "lower than" when the interval lies above 0, "higher than" below, else "indistinguishable
    from"; "next to" where the record is a fixture (smoke: no finding)."""
    assert m.low is not None and m.high is not None
    if recorded_kind("analogue", profile) == "fixture":
        return "next to"
    return "lower than" if m.low > 0 else "higher than" if m.high < 0 else "indistinguishable from"


def holdout_facts(sub: dict[tuple[str, int], FeatureSpacePath],
                  every: dict[tuple[str, int], FeatureSpacePath], profile: str) -> HoldoutFacts:
    """Facts of the nested CV on the paper-sized subset (``sub``) and on all data (``every``).

    "Few against many" sets the best nonlinear space of the small pool (the better of d = 2 and
    d = 3 by nested CV, a choice that favours the nonlinear side) against the standard CE of the
    large pool; "gain" the nonlinear CE against the standard CE of the same pool.
    """
    out: dict[str, Any] = {}
    for tag, run in (("sub", sub), ("all", every)):
        for (pool, degree), space in run.items():
            out[f"{tag}_cv_{pool}_d{degree}"] = _nested(space)
        few = best_nested({k: v for k, v in run.items() if k[0] == "small" and k[1] > 1})
        out[f"{tag}_few"], out[f"{tag}_cv_few"] = few.label, _nested(few)
        pairs = {"few_vs_many": (few, run[("large", 1)], "ce_nonlinear_vs_more_clusters"),
                 "gain_small": (few, run[("small", 1)], "ce_nonlinear_ground_truth"),
                 "gain_large": (run[("large", 2)], run[("large", 1)],
                                "ce_nonlinear_ground_truth")}
        for name, (nonlinear, linear, claim) in pairs.items():
            m = _held_out(nonlinear, linear)
            out[f"{tag}_{name}"] = m
            out[f"{tag}_{name}_verdict"] = _label(claim, m, profile)
        out[f"{tag}_few_vs_many_word"] = _compare(out[f"{tag}_few_vs_many"], profile)
    d3 = sub[("small", 3)].path
    rises = d3.cv_rmse[d3.n_steps - 1] > 1.2 * np.nanmin(d3.cv_rmse)
    return HoldoutFacts(
        **out, sub_fit_small_d3=1000 * float(np.nanmin(d3.fit_rmse)),
        sub_cvmin_small_d3=1000 * float(np.nanmin(d3.cv_rmse)), sub_cvk_small_d3=d3.best("cv"),
        sub_cvend_small_d3=1000 * float(d3.cv_rmse[d3.n_steps - 1]),
        sub_d3_cv_shape="rises again beyond it" if rises else "stays near that level beyond it")


@dataclass(frozen=True)
class AgPdFacts:
    """Section 4.7: the Ag-Pd sanity check and the error/spread ratios."""

    agpd_n: int = fact()
    agpd_orbits: int = fact()
    agpd_cutoffs: str = fact()
    agpd_cv: Measured = fact(unit="meV/atom", fmt="{:.2f}", kind="analogue")
    agpd_std: float = fact(unit="meV/atom")
    agpd_ratio: float = fact(unit="%")
    gap_ratio_std: float = fact(unit="%")
    gap_ratio_best: float = fact(unit="%")
    gap_best_label: str = fact()
    gap_best_pool: str = fact()
    gap_vs_agpd: str = fact()


def agpd_facts(agpd: AgPdBaseline, ratios: Sequence[float], best: FeatureSpacePath,
               cutoffs: Sequence[float]) -> AgPdFacts:
    """The Ag-Pd standard CE and the three ratios nested-CV RMSE / spread (%): Ag-Pd, the gap's
    small standard CE, the gap's best space (``best``)."""
    agpd_ratio, std_ratio, best_ratio = ratios
    folds = len(agpd.nested.fold_rmse)
    return AgPdFacts(
        agpd.n_structures, agpd.n_orbits, ", ".join(f"{c:g}" for c in cutoffs),
        Measured(1000 * agpd.nested.rmse, uncertainty=1000 * agpd.nested.spread, n=folds,
                 spread=f"std over {folds} outer folds (nested CV)"),
        agpd.std, agpd_ratio, std_ratio, best_ratio, best.label, best.pool,
        "below" if best_ratio < agpd_ratio else "above")
