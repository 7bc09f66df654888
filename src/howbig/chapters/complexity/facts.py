"""The numbers Chapter 5's sentences quote, computed in one place per experiment.

Each function returns a frozen dataclass whose field names are the chapter's glue keys without
the ``cx_`` prefix; comparison words are chosen here from the numbers (and their uncertainty), so
that the prose holds in every profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.complexity.band_gaps import GapComparison
from howbig.chapters.complexity.small_data import Experiment1
from howbig.methods.complexity import Eq4, weighted_complexity
from howbig.paper import paper_value
from howbig.report import Measured
from howbig.verdicts import verdict

__all__ = ["CurveFacts", "Eq4Facts", "Experiment1Facts", "GapFacts", "SweepFacts",
           "curve_facts", "eq4_facts", "experiment1_facts", "gap_facts", "gap_ranking_agrees",
           "gap_verdict", "rf_nn_gap", "sisso_nn_gap", "sweep_facts"]


@dataclass(frozen=True)
class Experiment1Facts:
    """Experiment 1 over its cross-validation folds (RMSLE: mean and std over folds)."""

    n_splits: int
    sisso_rmsle_std: float
    nn_rmsle_std: float
    nn_matched_rmsle: float
    nn_matched_rmsle_std: float
    sisso_wins: int
    test_mol_min: int
    test_mol_max: int
    exp1_verdict: str
    exp1_ranking: str
    sisso_params1: int
    nn_params1: int
    nn_matched_params1: int
    nn_hidden_choices: str
    nn_negative: int
    sisso_negative: int
    exp1_fewest_best: str


def experiment1_facts(exp: Experiment1) -> Experiment1Facts:
    """Facts of :func:`howbig.chapters.complexity.small_data.experiment1`."""
    sm, c = exp.summary, exp.complexity.set_index("model")
    sisso_better = sm.loc["SISSO", "RMSLE mean"] < sm.loc["NN (best)", "RMSLE mean"]
    paper_sisso_better = paper_value("sisso_test_rmsle") < paper_value("nn_test_rmsle")
    best = sm["RMSLE mean"].idxmin()
    fewest = c["parameters"].idxmin()
    return Experiment1Facts(
        n_splits=exp.n_splits, sisso_rmsle_std=sm.loc["SISSO", "RMSLE std"],
        nn_rmsle_std=sm.loc["NN (best)", "RMSLE std"],
        nn_matched_rmsle=sm.loc["NN (matched)", "RMSLE mean"],
        nn_matched_rmsle_std=sm.loc["NN (matched)", "RMSLE std"], sisso_wins=exp.sisso_wins,
        test_mol_min=int(exp.folds.n_test_molecules.min()),
        test_mol_max=int(exp.folds.n_test_molecules.max()),
        exp1_verdict="in every fold" if exp.sisso_wins == exp.n_splits
        else f"in {exp.sisso_wins} of {exp.n_splits} folds",
        exp1_ranking="the same ranking as" if sisso_better == paper_sisso_better
        else "the opposite ranking to",
        sisso_params1=int(c.loc["SISSO", "parameters"]),
        nn_params1=int(c.loc["NN (best)", "parameters"]),
        nn_matched_params1=int(c.loc["NN (matched)", "parameters"]),
        nn_hidden_choices=", ".join(sorted(set(exp.folds["nn hidden"]))),
        nn_negative=int((exp.predictions["NN (best)"] <= 0).sum()),
        sisso_negative=int((exp.predictions["SISSO"] <= 0).sum()),
        exp1_fewest_best="the model with the fewest parameters, SISSO, also had the lowest "
                         "error" if best == fewest == "SISSO"
        else f"the lowest error was that of {best}",
    )


def gap_verdict(result: GapComparison) -> str:
    """Which class has the lower test MAE, or that the paired 95 % interval cannot tell."""
    if not result.difference_resolved:
        return "indistinguishable (the paired 95 % interval of the difference includes zero)"
    return "better for the " + ("forest" if result.nn_minus_rf.estimate > 0 else "network")


@dataclass(frozen=True)
class GapFacts:
    """Experiment 2: RF vs NN in three settings (meV)."""

    rf_gap_hw: float
    nn_gap_hw: float
    gap_diff: float
    gap_diff_lo: float
    gap_diff_hi: float
    magpie_verdict: str
    aims_verdict: str
    icsd_verdict: str
    rf_gap_mae_aims: float
    nn_gap_mae_aims: float
    rf_gap_mae_icsd: float
    nn_gap_mae_icsd: float
    gap_same_ranking: str
    rf_leaves: int
    nn_params2: int


def sisso_nn_gap(exp: Experiment1) -> Measured:
    """NN minus SISSO test RMSLE (positive: SISSO better, the paper's order), with the two
    fold standard deviations added in quadrature as its noise."""
    sm = exp.summary
    return Measured(float(sm.loc["NN (best)", "RMSLE mean"] - sm.loc["SISSO", "RMSLE mean"]),
                    uncertainty=float(np.hypot(sm.loc["NN (best)", "RMSLE std"],
                                               sm.loc["SISSO", "RMSLE std"])),
                    n=exp.n_splits, spread=f"fold stds over {exp.n_splits} folds in quadrature")


def rf_nn_gap(comparison: GapComparison) -> Measured:
    """NN minus RF test MAE in meV (positive: the forest better, the paper's order), with the
    paired bootstrap interval."""
    d = comparison.nn_minus_rf
    return Measured(1e3 * d.estimate, low=1e3 * d.low, high=1e3 * d.high, n=d.n,
                    spread="95% paired bootstrap CI over test compounds")


def gap_ranking_agrees(comparison: GapComparison) -> bool | None:
    """Whether RF vs NN ranks as in the paper, by the ranking rule of :mod:`howbig.verdicts`;
    ``None`` when the paired interval includes 0."""
    return verdict("rf_nn_gap_ranking", rf_nn_gap(comparison), kind="analogue").agrees


def gap_facts(magpie: GapComparison, aims: GapComparison, icsd: GapComparison) -> GapFacts:
    """Facts of the three :func:`gap_comparison` runs (benchmark Magpie, FHI-aims; ICSD)."""
    same = gap_ranking_agrees(magpie) is True
    c = magpie.complexity.set_index("model")
    return GapFacts(
        rf_gap_hw=1e3 * magpie.rf_mae.half_width, nn_gap_hw=1e3 * magpie.nn_mae.half_width,
        gap_diff=1e3 * magpie.nn_minus_rf.estimate, gap_diff_lo=1e3 * magpie.nn_minus_rf.low,
        gap_diff_hi=1e3 * magpie.nn_minus_rf.high, magpie_verdict=gap_verdict(magpie),
        aims_verdict=gap_verdict(aims), icsd_verdict=gap_verdict(icsd),
        rf_gap_mae_aims=1e3 * aims.rf_mae.estimate, nn_gap_mae_aims=1e3 * aims.nn_mae.estimate,
        rf_gap_mae_icsd=1e3 * icsd.rf_mae.estimate, nn_gap_mae_icsd=1e3 * icsd.nn_mae.estimate,
        gap_same_ranking="the same ranking as" if same else "no resolved agreement with",
        rf_leaves=int(c.loc["RF (CV)", "parameters"]),
        nn_params2=int(c.loc["NN (CV)", "parameters"]),
    )


@dataclass(frozen=True)
class SweepFacts:
    """Matched-budget sweep of RF and NN, and SISSO's sweep over (rung, dimension) (meV)."""

    matched_rf_wins: int
    matched_n: int
    matched_budget_min: int
    matched_budget_max: int
    rf_sweep_gain: float
    rf_sweep_best_budget: int
    nn_sweep_gain: float
    nn_sweep_best_budget: int
    sisso_gap_mae: float
    sisso_gap_dim: int
    sisso_gap_rung: int
    sisso_place: str


def sweep_facts(sweep: pd.DataFrame, sisso: pd.DataFrame) -> SweepFacts:
    """Facts of :func:`matched_sweep` and :func:`sisso_sweep` (test MAE in eV)."""
    wide = sweep.pivot(index="budget", columns="model", values="test MAE")
    best = sisso.loc[sisso["test MAE"].idxmin()]
    last = best["test MAE"] > max(wide.RF.min(), wide.NN.min())
    return SweepFacts(
        matched_rf_wins=int((wide.RF < wide.NN).sum()), matched_n=len(wide),
        matched_budget_min=int(wide.index.min()), matched_budget_max=int(wide.index.max()),
        rf_sweep_gain=1e3 * (wide.RF.iloc[0] - wide.RF.min()),
        rf_sweep_best_budget=int(wide.RF.idxmin()),
        nn_sweep_gain=1e3 * (wide.NN.iloc[0] - wide.NN.min()),
        nn_sweep_best_budget=int(wide.NN.idxmin()),
        sisso_gap_mae=1e3 * best["test MAE"], sisso_gap_dim=int(best.dimension),
        sisso_gap_rung=int(best.rung),
        sisso_place="comes last" if last else "does not come last",
    )


@dataclass(frozen=True)
class CurveFacts:
    """Learning curves: smallest and largest training sets, and who gains least / most."""

    lc_small: int
    lc_large: int
    lc_rf_small: float
    lc_rf_large: float
    lc_nn_small: float
    lc_nn_large: float
    lc_sisso_small: float
    lc_sisso_large: float
    lc_least_gain: str
    lc_least_gain_pct: float
    lc_most_gain: str
    lc_most_gain_pct: float


def curve_facts(curves: pd.DataFrame) -> CurveFacts:
    """Facts of :func:`learning_curves` with the models RF, NN and SISSO (FHI-aims) (meV)."""
    lc = curves.pivot(index="n_train", columns="model", values="test MAE")
    small, large = lc.index.min(), lc.index.max()
    gain = (1 - lc.loc[large] / lc.loc[small]).to_dict()
    least, most = min(gain, key=gain.get), max(gain, key=gain.get)
    col = {"rf": "RF", "nn": "NN", "sisso": "SISSO (FHI-aims)"}
    ends = {f"lc_{k}_{end}": 1e3 * lc.loc[n, c] for k, c in col.items()
            for end, n in (("small", small), ("large", large))}
    return CurveFacts(lc_small=int(small), lc_large=int(large), **ends, lc_least_gain=least,
                      lc_least_gain_pct=100 * gain[least], lc_most_gain=most,
                      lc_most_gain_pct=100 * gain[most])


@dataclass(frozen=True)
class Eq4Facts:
    """Eq. (4) for the forest and the network of experiment 2 under two weightings."""

    nn_nonlinear_pct: float
    c_rf_111: float
    c_nn_111: float
    more_complex_111: str
    c_rf_1_10_100: float
    c_nn_1_10_100: float
    more_complex_1_10_100: str
    better_model: str
    better_resolved: str


def eq4_facts(table: pd.DataFrame, gap: GapComparison) -> Eq4Facts:
    """Facts of the complexity ``table`` (rows ``RF (CV)``, ``NN (CV)``) and the MAEs of ``gap``."""
    t = table.set_index("model")[["A (additive)", "L (linear)", "N (nonlinear)"]].astype(int)
    rf, nn = Eq4(*t.loc["RF (CV)"]), Eq4(*t.loc["NN (CV)"])
    out = {}
    for key, w in (("111", (1, 1, 1)), ("1_10_100", (1, 10, 100))):
        out[f"c_rf_{key}"] = weighted_complexity(rf, *w)
        out[f"c_nn_{key}"] = weighted_complexity(nn, *w)
        out[f"more_complex_{key}"] = ("the forest" if out[f"c_rf_{key}"] > out[f"c_nn_{key}"]
                                      else "the network")
    return Eq4Facts(
        nn_nonlinear_pct=100 * nn.nonlinear / nn.total, **out,
        better_model="the forest" if gap.nn_minus_rf.estimate > 0 else "the network",
        better_resolved="" if gap.difference_resolved else
        " (by a margin within the test-set noise)",
    )




def data_facts(basis_meta: dict, dataset1: pd.DataFrame, n_atom_rows: int, cfg: dict,
               datasets: dict[str, object]) -> dict[str, object]:
    """What the chapter runs on: citations and licences of the registry entries in
    ``datasets`` (``{"egap": ..., "icsd": ..., "aims": ...}``), the basis-set data's provenance
    and size, and the experiment-1 settings of ``cfg``."""
    out: dict[str, object] = {}
    for short, ds in datasets.items():
        out[f"{short}_cite"] = getattr(ds, "citation", "")
        out[f"{short}_licence"] = getattr(ds, "licence", "")
    n_bases = dataset1.basis.nunique()
    out.update(basis_generated=basis_meta.get("generated", "unknown"),
               basis_cpu_min=basis_meta.get("cpu_seconds_all_calculations", 0) / 60,
               reference_basis=basis_meta.get("reference", "cc-pvtz"),
               n_molecules=dataset1.molecule.nunique(), n_elements=n_atom_rows // n_bases,
               n_bases=n_bases, n_points1=len(dataset1), err_min=dataset1.error_mev.min(),
               err_max=dataset1.error_mev.max(), folds=cfg["exp1_folds"],
               repeats=cfg["exp1_repeats"], sisso_rung=cfg["sisso_rung"],
               sisso_dim=cfg["sisso_dim"])
    return out
