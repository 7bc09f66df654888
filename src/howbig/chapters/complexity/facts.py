"""The facts Chapter 5's page states: one frozen dataclass per section of the page.

The page records each with ``Recorder.facts`` (glue keys ``cx_<field>``) and words them; nothing
here writes a sentence. Comparison words are chosen from the numbers ("below", "the forest",
"neither"), verdicts against the paper's claims come from :func:`howbig.verdicts.verdict` (the
ranking rule: a difference in the paper's order beyond its noise), with the kind ``fixture`` in
the smoke profile, where nothing is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.complexity.band_gaps import GapComparison
from howbig.chapters.complexity.settings import ComplexitySettings
from howbig.chapters.complexity.small_data import Experiment1
from howbig.methods.bootstrap import BootstrapResult
from howbig.methods.complexity import Eq4, weighted_complexity
from howbig.methods.models.sisso import SissoRegressor
from howbig.paper import paper_value
from howbig.profiles import data_credits
from howbig.report import Measured, fact
from howbig.verdicts import verdict

__all__ = ["CurveFacts", "DataFacts", "Eq4Facts", "Experiment1Facts", "GapFacts", "SweepFacts",
           "better_class", "curve_facts", "data_facts", "eq4_facts", "experiment1_facts",
           "gap_facts", "rf_nn_gap", "sisso_nn_gap", "sweep_facts"]

WHY1 = ("PySCF basis-set errors of molecules replace the (not downloadable) FHI-aims "
        "numerical-errors data of binaries; group k-fold by molecule instead of one split")
WHY2 = ("AFLOW benchmark set of Clement et al. (not the paper's split); training set and "
        "hyperparameter grids as the profile sets them")


def _kind(profile: str) -> str:
    """The kind of this build's analogue records: ``fixture`` in the smoke profile."""
    return "fixture" if profile == "smoke" else "analogue"


def _compare(a: float, b: float, tolerance: float = 0.5) -> str:
    """``"below"``, ``"above"`` or ``"equal to"`` (within ``tolerance``): ``a`` against ``b``."""
    if abs(a - b) < tolerance:
        return "equal to"
    return "below" if a < b else "above"


@dataclass(frozen=True)
class DataFacts:
    """What the chapter runs on, and the basis-set data of experiment 1."""

    credits: str = fact()
    basis_generated: str = fact()
    basis_cpu_min: float = fact(unit="min")
    n_molecules: int = fact()
    n_elements: int = fact()
    n_bases: int = fact()
    reference_basis: str = fact()
    n_points1: int = fact()
    err_min: float = fact(unit="meV")
    err_max: float = fact(unit="meV")
    folds: int = fact()
    repeats: int = fact()
    sisso_rung: int = fact()
    sisso_dim: int = fact()


def data_facts(basis_meta: dict, dataset1: pd.DataFrame, n_atom_rows: int,
               cfg: ComplexitySettings, profile: str) -> DataFacts:
    """The data box and experiment 1's data (``n_atom_rows``: free-atom rows of the table)."""
    n_bases = int(dataset1.basis.nunique())
    return DataFacts(
        credits=data_credits("complexity", profile),
        basis_generated=str(basis_meta.get("generated", "unknown")),
        basis_cpu_min=basis_meta.get("cpu_seconds_all_calculations", 0) / 60,
        n_molecules=int(dataset1.molecule.nunique()), n_elements=n_atom_rows // n_bases,
        n_bases=n_bases, reference_basis=str(basis_meta.get("reference", "cc-pvtz")),
        n_points1=len(dataset1), err_min=float(dataset1.error_mev.min()),
        err_max=float(dataset1.error_mev.max()), folds=cfg.exp1_folds,
        repeats=cfg.exp1_repeats, sisso_rung=cfg.sisso_rung, sisso_dim=cfg.sisso_dim)


@dataclass(frozen=True)
class Experiment1Facts:
    """Experiment 1 over its cross-validation folds (RMSLE: mean and std over folds)."""

    sisso_test_rmsle: Measured = fact(kind="analogue", claim="sisso_test_rmsle", fmt="{:.3f}",
                                      reason=WHY1)
    nn_test_rmsle: Measured = fact(kind="analogue", claim="nn_test_rmsle", fmt="{:.3f}",
                                   reason=WHY1)
    nn_matched_rmsle: Measured = fact(fmt="{:.3f}")
    rmsle_nn_minus_sisso: Measured = fact(kind="analogue", claim="sisso_nn_ranking",
                                          fmt="{:.3f}", reason=WHY1)
    exp1_verdict: str = fact()
    paper_sisso_rmsle: float = fact()
    paper_nn_rmsle: float = fact()
    n_splits: int = fact()
    sisso_wins: int = fact()
    test_mol_min: int = fact()
    test_mol_max: int = fact()
    sisso_params1: int = fact()
    nn_params1: int = fact()
    nn_matched_params1: int = fact()
    nn_hidden_choices: str = fact()
    nn_negative: int = fact()
    sisso_negative: int = fact()
    exp1_fewest: str = fact()
    exp1_best: str = fact()
    sisso_rate: float = fact(unit="1/s")  # two significant digits: a speed of this machine
    n_desc: int = fact()
    n_desc_atoms: int = fact()


def sisso_nn_gap(exp: Experiment1) -> Measured:
    """NN minus SISSO test RMSLE (positive: SISSO better, the paper's order), with the two
    fold standard deviations added in quadrature as its noise."""
    sm = exp.summary
    return Measured(float(sm.loc["NN (best)", "RMSLE mean"] - sm.loc["SISSO", "RMSLE mean"]),
                    uncertainty=float(np.hypot(sm.loc["NN (best)", "RMSLE std"],
                                               sm.loc["SISSO", "RMSLE std"])),
                    n=exp.n_splits, spread=f"fold stds over {exp.n_splits} folds in quadrature")


def _fold_rmsle(exp: Experiment1, model: str) -> Measured:
    sm = exp.summary
    return Measured(float(sm.loc[model, "RMSLE mean"]),
                    uncertainty=float(sm.loc[model, "RMSLE std"]), n=exp.n_splits,
                    spread=f"std over {exp.n_splits} folds")


def experiment1_facts(exp: Experiment1, sisso_all: SissoRegressor, profile: str
                      ) -> Experiment1Facts:
    """Facts of :func:`~howbig.chapters.complexity.small_data.experiment1` and of SISSO fitted
    on all molecules (``sisso_all``)."""
    sm, c = exp.summary, exp.complexity.set_index("model")
    gap = sisso_nn_gap(exp)
    return Experiment1Facts(
        sisso_test_rmsle=_fold_rmsle(exp, "SISSO"), nn_test_rmsle=_fold_rmsle(exp, "NN (best)"),
        nn_matched_rmsle=_fold_rmsle(exp, "NN (matched)"), rmsle_nn_minus_sisso=gap,
        exp1_verdict=verdict("sisso_nn_ranking", gap, kind=_kind(profile)).label,
        paper_sisso_rmsle=paper_value("sisso_test_rmsle"),
        paper_nn_rmsle=paper_value("nn_test_rmsle"),
        n_splits=exp.n_splits, sisso_wins=exp.sisso_wins,
        test_mol_min=int(exp.folds.n_test_molecules.min()),
        test_mol_max=int(exp.folds.n_test_molecules.max()),
        sisso_params1=int(c.loc["SISSO", "parameters"]),
        nn_params1=int(c.loc["NN (best)", "parameters"]),
        nn_matched_params1=int(c.loc["NN (matched)", "parameters"]),
        nn_hidden_choices=", ".join(sorted(set(exp.folds["nn hidden"]))),
        nn_negative=int((exp.predictions["NN (best)"] <= 0).sum()),
        sisso_negative=int((exp.predictions["SISSO"] <= 0).sum()),
        exp1_fewest=str(c["parameters"].idxmin()), exp1_best=str(sm["RMSLE mean"].idxmin()),
        sisso_rate=float(f"{sisso_all.n_evaluated_ / sisso_all.fit_seconds_:.2g}"),
        n_desc=len(sisso_all.descriptors_),
        n_desc_atoms=sum("atoms_error" in d for d in sisso_all.descriptors_),
    )


def rf_nn_gap(comparison: GapComparison) -> Measured:
    """NN minus RF test MAE in meV (positive: the forest better, the paper's order), with the
    paired bootstrap interval."""
    d = comparison.nn_minus_rf
    return Measured(1e3 * d.estimate, low=1e3 * d.low, high=1e3 * d.high, n=d.n,
                    spread="95% paired bootstrap CI over test compounds")


def better_class(comparison: GapComparison) -> str:
    """``"the forest"`` / ``"the network"``: lower test MAE beyond the paired 95 % interval;
    ``"neither"`` when the interval includes zero."""
    if not comparison.difference_resolved:
        return "neither"
    return "the forest" if comparison.nn_minus_rf.estimate > 0 else "the network"


def _mae(r: BootstrapResult) -> Measured:
    """A test MAE (eV) with its bootstrap interval, in meV."""
    return Measured(1e3 * r.estimate, uncertainty=1e3 * r.half_width, low=1e3 * r.low,
                    high=1e3 * r.high, n=r.n, spread="95% bootstrap CI over test compounds")


@dataclass(frozen=True)
class GapFacts:
    """Experiment 2: RF vs NN in three settings (meV)."""

    rf_gap_mae: Measured = fact(unit="meV", kind="analogue", claim="rf_aflow_gap_mae",
                                fmt="{:.0f}", reason=WHY2)
    nn_gap_mae: Measured = fact(unit="meV", kind="analogue", claim="nn_aflow_gap_mae",
                                fmt="{:.0f}", reason=WHY2)
    gap_nn_minus_rf: Measured = fact(unit="meV", kind="analogue", claim="rf_nn_gap_ranking",
                                     fmt="{:.0f}", reason=WHY2)
    gap_verdict: str = fact()
    paper_rf_mae: float = fact(unit="meV")
    paper_nn_mae: float = fact(unit="meV")
    magpie_better: str = fact()
    aims_better: str = fact()
    icsd_better: str = fact()
    rf_gap_mae_aims: float = fact(unit="meV")
    nn_gap_mae_aims: float = fact(unit="meV")
    rf_gap_mae_icsd: float = fact(unit="meV")
    nn_gap_mae_icsd: float = fact(unit="meV")
    gap_n_pool: int = fact()
    gap_n_train: int = fact()
    gap_train_pct: float = fact(unit="%")
    gap_n_test: int = fact()
    gap_n_metals_dropped: int = fact()
    icsd_n: int = fact()
    rf_leaves: int = fact()
    nn_params2: int = fact()


def gap_facts(magpie: GapComparison, aims: GapComparison, icsd: GapComparison,
              sizes: dict[str, int], profile: str) -> GapFacts:
    """Facts of the three :func:`gap_comparison` runs (benchmark Magpie, FHI-aims; ICSD).

    ``sizes``: ``n_pool``, ``n_train``, ``n_test``, ``n_metals_dropped`` and ``icsd_n``.
    """
    gap = rf_nn_gap(magpie)
    c = magpie.complexity.set_index("model")
    return GapFacts(
        rf_gap_mae=_mae(magpie.rf_mae), nn_gap_mae=_mae(magpie.nn_mae), gap_nn_minus_rf=gap,
        gap_verdict=verdict("rf_nn_gap_ranking", gap, kind=_kind(profile)).label,
        paper_rf_mae=paper_value("rf_aflow_gap_mae"), paper_nn_mae=paper_value("nn_aflow_gap_mae"),
        magpie_better=better_class(magpie), aims_better=better_class(aims),
        icsd_better=better_class(icsd),
        rf_gap_mae_aims=1e3 * aims.rf_mae.estimate, nn_gap_mae_aims=1e3 * aims.nn_mae.estimate,
        rf_gap_mae_icsd=1e3 * icsd.rf_mae.estimate, nn_gap_mae_icsd=1e3 * icsd.nn_mae.estimate,
        gap_n_pool=sizes["n_pool"], gap_n_train=sizes["n_train"],
        gap_train_pct=100 * sizes["n_train"] / sizes["n_pool"], gap_n_test=sizes["n_test"],
        gap_n_metals_dropped=sizes["n_metals_dropped"], icsd_n=sizes["icsd_n"],
        rf_leaves=int(c.loc["RF (CV)", "parameters"]),
        nn_params2=int(c.loc["NN (CV)", "parameters"]),
    )


@dataclass(frozen=True)
class SweepFacts:
    """Matched-budget sweep of RF and NN, and SISSO's sweep over (rung, dimension) (meV)."""

    matched_rf_wins: int = fact()
    matched_n: int = fact()
    matched_budget_min: int = fact()
    matched_budget_max: int = fact()
    rf_sweep_first: float = fact(unit="meV")
    rf_sweep_last: float = fact(unit="meV")
    rf_sweep_word: str = fact()
    rf_sweep_best_budget: int = fact()
    nn_sweep_first: float = fact(unit="meV")
    nn_sweep_last: float = fact(unit="meV")
    nn_sweep_word: str = fact()
    nn_sweep_best_budget: int = fact()
    sisso_gap_mae: float = fact(unit="meV")
    sisso_gap_dim: int = fact()
    sisso_gap_rung: int = fact()
    sisso_place: str = fact()


def sweep_facts(sweep: pd.DataFrame, sisso: pd.DataFrame) -> SweepFacts:
    """Facts of :func:`matched_sweep` and :func:`sisso_sweep` (test MAE in eV).

    ``*_word``: the largest budget's test MAE against the smallest's ("below", "above",
    "equal to" within 0.5 meV); ``sisso_place``: SISSO's best among the best of each class
    ("first", "second", "third").
    """
    wide = 1e3 * sweep.pivot(index="budget", columns="model", values="test MAE")
    best = sisso.loc[sisso["test MAE"].idxmin()]
    sisso_best = 1e3 * best["test MAE"]
    place = int(sum(sisso_best > wide[m].min() for m in ("RF", "NN")))
    return SweepFacts(
        matched_rf_wins=int((wide.RF < wide.NN).sum()), matched_n=len(wide),
        matched_budget_min=int(wide.index.min()), matched_budget_max=int(wide.index.max()),
        rf_sweep_first=wide.RF.iloc[0], rf_sweep_last=wide.RF.iloc[-1],
        rf_sweep_word=_compare(wide.RF.iloc[-1], wide.RF.iloc[0]),
        rf_sweep_best_budget=int(wide.RF.idxmin()),
        nn_sweep_first=wide.NN.iloc[0], nn_sweep_last=wide.NN.iloc[-1],
        nn_sweep_word=_compare(wide.NN.iloc[-1], wide.NN.iloc[0]),
        nn_sweep_best_budget=int(wide.NN.idxmin()),
        sisso_gap_mae=sisso_best, sisso_gap_dim=int(best.dimension),
        sisso_gap_rung=int(best.rung), sisso_place=("first", "second", "third")[place],
    )


@dataclass(frozen=True)
class CurveFacts:
    """Learning curves: smallest and largest training sets, and who gains least / most."""

    lc_small: int = fact()
    lc_large: int = fact()
    lc_rf_small: float = fact(unit="meV")
    lc_rf_large: float = fact(unit="meV")
    lc_nn_small: float = fact(unit="meV")
    lc_nn_large: float = fact(unit="meV")
    lc_sisso_small: float = fact(unit="meV")
    lc_sisso_large: float = fact(unit="meV")
    lc_least_gain: str = fact()
    lc_least_gain_pct: float = fact(unit="%")
    lc_most_gain: str = fact()
    lc_most_gain_pct: float = fact(unit="%")


def curve_facts(curves: pd.DataFrame) -> CurveFacts:
    """Facts of :func:`learning_curves` with the models RF, NN and SISSO (FHI-aims) (meV).

    ``lc_*_gain_pct``: how much lower the error is at the largest size than at the smallest,
    in % (negative: higher).
    """
    lc = curves.pivot(index="n_train", columns="model", values="test MAE")
    small, large = lc.index.min(), lc.index.max()
    gain = (100 * (1 - lc.loc[large] / lc.loc[small])).to_dict()
    least, most = min(gain, key=gain.get), max(gain, key=gain.get)
    col = {"rf": "RF", "nn": "NN", "sisso": "SISSO (FHI-aims)"}
    ends = {f"lc_{k}_{end}": 1e3 * lc.loc[n, c] for k, c in col.items()
            for end, n in (("small", small), ("large", large))}
    return CurveFacts(lc_small=int(small), lc_large=int(large), **ends, lc_least_gain=least,
                      lc_least_gain_pct=gain[least], lc_most_gain=most,
                      lc_most_gain_pct=gain[most])


@dataclass(frozen=True)
class Eq4Facts:
    """Eq. (4) for the forest and the network of experiment 2 under two weightings."""

    nn_nonlinear_pct: float = fact(unit="%")
    c_rf_111: float = fact()
    c_nn_111: float = fact()
    more_complex_111: str = fact()
    c_rf_1_10_100: float = fact()
    c_nn_1_10_100: float = fact()
    more_complex_1_10_100: str = fact()
    c_order: str = fact()


def eq4_facts(table: pd.DataFrame) -> Eq4Facts:
    """Facts of the complexity ``table`` (rows ``RF (CV)``, ``NN (CV)``).

    ``c_order``: whether the more complex of the two ``"changes"`` or ``"stays the same"``
    between the two weightings.
    """
    t = table.set_index("model")[["A (additive)", "L (linear)", "N (nonlinear)"]].astype(int)
    rf, nn = Eq4(*t.loc["RF (CV)"]), Eq4(*t.loc["NN (CV)"])
    out = {}
    for key, w in (("111", (1, 1, 1)), ("1_10_100", (1, 10, 100))):
        out[f"c_rf_{key}"] = weighted_complexity(rf, *w)
        out[f"c_nn_{key}"] = weighted_complexity(nn, *w)
        out[f"more_complex_{key}"] = ("the forest" if out[f"c_rf_{key}"] > out[f"c_nn_{key}"]
                                      else "the network")
    same = out["more_complex_111"] == out["more_complex_1_10_100"]
    return Eq4Facts(nn_nonlinear_pct=100 * nn.nonlinear / nn.total, **out,
                    c_order="stays the same" if same else "changes")
