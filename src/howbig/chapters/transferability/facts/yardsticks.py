"""Facts of Section 2.4: the published split, band gaps of MP and AFLOW, MPEU on crystal graphs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.facts.common import compare, judge, span_text
from howbig.chapters.transferability.transfer import seed_errors
from howbig.methods.bootstrap import bootstrap
from howbig.paper import PUBLISHED
from howbig.report import Measured, fact

__all__ = ["CrystalFacts", "CrystalFactsSameData", "GapFacts", "PublishedFacts", "PublishedSetup",
           "crystal_facts", "gap_facts", "published_facts"]


@dataclass(frozen=True)
class PublishedSetup:
    """How long the published-split runs train."""

    published_epochs: float = fact()


@dataclass(frozen=True)
class PublishedFacts:
    """The model on MP's published split, beside published models (eV/atom)."""

    sources_24: str = fact()
    profile_24: str = fact()
    published_split_mae: Measured = fact(unit="eV/atom", fmt="{:.3f}", kind="external reference",
                                         reference="wang2021_roost_mp")
    published_n_train: int = fact()
    published_n_test: int = fact()
    published_steps: int = fact()
    published_seeds: int = fact()
    roost_published: float = fact(unit="eV/atom")
    crabnet_published: float = fact(unit="eV/atom")
    rf_published: float = fact(unit="eV/atom")
    published_vs_roost: str = fact()
    published_vs_rf: str = fact()


def published_facts(result: TransferResult, name: str, profile: str, sources: str
                    ) -> PublishedFacts:
    """Facts of the runs on the published split (one cell, ``name`` on ``name``)."""
    errors = seed_errors(result).loc[(name, name)].to_numpy(float)
    k = len(errors)
    mae = Measured(float(errors.mean()), uncertainty=float(errors.std(ddof=1)) if k > 1 else None,
                   n=k, spread=f"std over {k} seeds" if k > 1 else "one seed")
    runs = result.runs
    roost, crabnet, rf = (PUBLISHED[f"wang2021_{m}_mp"].value for m in ("roost", "crabnet", "rf"))
    return PublishedFacts(
        sources, profile, mae, int(runs["n_train"].iloc[0]),
        int((result.predictions["seed"] == runs["seed"].iloc[0]).sum()),
        int(runs["max_steps"].iloc[0]), k, roost, crabnet, rf, compare(mae.value, roost),
        compare(mae.value, rf))


@dataclass(frozen=True)
class GapFacts:
    """Band gaps of MP and AFLOW on shared formulas, and composition models of them."""

    gap_rule: str = fact()
    gap_shared: int = fact()
    gap_both_metal: float = fact(unit="%")
    gap_disagree: float = fact(unit="%")
    gap_nonmetal_n: int = fact()
    gap_diff_mean: Measured = fact(unit="eV")
    gap_diff_abs: float = fact(unit="eV")
    cls_cc: float = fact(unit="%")
    cls_dd: float = fact(unit="%")
    cls_cd: float = fact(unit="%")
    cls_dc: float = fact(unit="%")
    cls_factor: float = fact(unit="x")
    gap_mae_cc: float = fact(unit="eV")
    gap_mae_dd: float = fact(unit="eV")
    gap_mae_cd: float = fact(unit="eV")
    gap_mae_dc: float = fact(unit="eV")
    gap_factor: float = fact(unit="x")
    gap_shared_test: int = fact()
    gap_seeds_n: int = fact()


def _factor(cells: pd.DataFrame, c: str, d: str) -> float:
    return float((cells.loc[(c, d), "mae"] + cells.loc[(d, c), "mae"])
                 / (cells.loc[(c, c), "mae"] + cells.loc[(d, d), "mae"]))


def gap_facts(tables: dict[str, pd.DataFrame], metal: TransferResult, gap: TransferResult,
              names: Sequence[str], *, n_boot: int = 400) -> GapFacts:
    """Facts of the band-gap tables (``names``: the two databases) and of the classifier
    (``metal``) and regression (``gap``) runs; the regression's factor is taken on the test
    formulas that are non-metals in both databases."""
    c, d = names
    a, b = tables[c].set_index("key")["target"], tables[d].set_index("key")["target"]
    common = a.index.intersection(b.index)
    ga, gb = a.loc[common].to_numpy(float), b.loc[common].to_numpy(float)
    metal_a, metal_b = ga <= 0, gb <= 0
    both = ~metal_a & ~metal_b
    diff = ga[both] - gb[both]
    boot = bootstrap(np.mean, diff, n_boot=n_boot)
    mean = Measured(boot.estimate, low=boot.low, high=boot.high, n=int(both.sum()),
                    spread="95% bootstrap CI over formulas")
    cls = metal.thresholded().cells()
    keys = set(common[both])
    shared = gap.subset(list(keys)).cells()
    gaps = gap.cells()
    return GapFacts(
        tables[c].attrs.get("rule", ""), len(common), 100 * float((metal_a & metal_b).mean()),
        100 * float((metal_a != metal_b).mean()), int(both.sum()), mean,
        float(np.mean(np.abs(diff))) if len(diff) else float("nan"),
        *(100 * float(cls.loc[(tr, te), "mae"]) for tr, te in ((c, c), (d, d), (c, d), (d, c))),
        _factor(cls, c, d),
        *(float(gaps.loc[(tr, te), "mae"]) for tr, te in ((c, c), (d, d), (c, d), (d, c))),
        _factor(shared, c, d), int(shared.loc[(c, d), "n test"]),
        int(gaps["seeds"].min()))


@dataclass(frozen=True)
class CrystalFacts:
    """MPEU on crystal graphs of a stand-in (quick) or fixture (smoke) structure set."""

    crystal_source: str = fact()
    crystal_latent: int = fact()
    crystal_n: int = fact()
    crystal_mae: Measured = fact(unit="meV/atom", kind="analogue", claim="mae_mp_on_mp",
                                 reason="MPEU on a stand-in structure set, not MP-2018")
    crystal_runs: int = fact()
    crystal_stopped: int = fact()
    crystal_slope: float = fact()
    crystal_falls: str = fact()
    crystal_databases: int = fact()
    crystal_names: str = fact()
    crystal_factor: Measured = fact(unit="x", kind="analogue", claim="cross_database_factor",
                                    reason="MPEU on stand-in structures")
    crystal_factor_text: str = fact()
    crystal_matrix: str = fact()
    full_crystal: str = fact()
    paper_mae_mp_24: float = fact(unit="meV/atom")
    paper_mae_aflow_24: float = fact(unit="meV/atom")


@dataclass(frozen=True)
class CrystalFactsSameData(CrystalFacts):
    """MPEU on crystal graphs of the paper's own data (full profile): set beside the paper."""

    crystal_mae: Measured = fact(unit="meV/atom", kind="same data", claim="mae_mp_on_mp",
                                 reason="MPEU on MP-crystals-2018.6.1, the authors' settings")
    crystal_factor: Measured = fact(unit="x", kind="same data", claim="cross_database_factor",
                                    reason="MPEU on the paper's MP and AFLOW data")


def crystal_facts(curve: pd.DataFrame, *, source: str, latent: int, same_data: bool,
                  names: Sequence[str], factor: float | None, full_names: Sequence[str],
                  paper_mae_mp: float, paper_mae_aflow: float) -> CrystalFacts:
    """Facts of :func:`~howbig.chapters.transferability.experiment.learning_curve` (``curve``)
    and, with two databases, the cross-database ``factor`` of
    :func:`~howbig.chapters.transferability.experiment.cross_database_experiment`."""
    last = curve.iloc[-1]
    if len(curve) > 1 and (curve["mae"] > 0).all():
        slope = float(np.polyfit(np.log(curve["n_train"]), np.log(curve["mae"]), 1)[0])
    else:
        slope = float("nan")
    cls = CrystalFactsSameData if same_data else CrystalFacts
    value = float("nan") if factor is None else float(factor)
    return cls(
        source, int(latent), int(last["n_train"]),
        Measured(1000 * float(last["mae"]), n=1, spread="one seed"), len(curve),
        int(curve["stopped_early"].sum()), slope,
        judge(slope < -0.05 if np.isfinite(slope) else None, "falls", "does not fall"),
        len(names), ", ".join(names), Measured(value, n=1, spread="one seed"),
        span_text(value, fmt="{:.1f}"),
        "trained" if factor is not None else "not trained", ", ".join(full_names),
        paper_mae_mp, paper_mae_aflow)
