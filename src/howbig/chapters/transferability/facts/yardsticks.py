"""Facts of Section 2.4: the published split, band gaps of MP and AFLOW, MPEU on crystal graphs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.facts.common import compare, judge, span_text
from howbig.chapters.transferability.transfer import seed_errors
from howbig.methods.bootstrap import bootstrap
from howbig.paper import PUBLISHED
from howbig.report import Measured, fact

__all__ = ["BENCHMARK_RESULTS", "BenchmarkFacts", "CrystalFacts", "CrystalFactsSameData",
           "GapFacts", "PublishedFacts", "PublishedSetup", "benchmark_facts", "crystal_facts",
           "gap_facts", "published_facts", "read_benchmark"]

#: Results of ``benchmarks/bench_composition_accuracy.py`` in a checkout of the repository (a
#: package installed without the checkout has none: the benchmark reads as not run).
BENCHMARK_RESULTS = Path(__file__).resolve().parents[5] / "benchmarks" / "results" / \
    "composition_accuracy.json"


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


def _benchmark_entry(entry: object) -> Measured | None:
    """One benchmark result as a :class:`Measured` (mean, std over seeds, seeds); accepts a
    number, a list of per-seed values, or a mapping with ``mean`` (or ``value``), ``std`` and
    ``seeds`` / ``n_seeds`` / ``n`` (a count or a list of seeds)."""
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        return Measured(float(entry), n=None, spread="as printed by the benchmark")
    if isinstance(entry, list) and entry and all(isinstance(v, int | float) for v in entry):
        v = np.asarray(entry, float)
        return Measured(float(v.mean()), uncertainty=float(v.std(ddof=1)) if len(v) > 1 else None,
                        n=len(v), spread=f"std over {len(v)} seeds")
    if isinstance(entry, dict):
        mean = entry.get("mean", entry.get("value"))
        if not isinstance(mean, int | float):
            return None
        seeds = entry.get("seeds", entry.get("n_seeds", entry.get("n")))
        n = len(seeds) if isinstance(seeds, list) else int(seeds) if isinstance(seeds, int) \
            else None
        std = entry.get("std")
        return Measured(float(mean), uncertainty=None if std is None else float(std), n=n,
                        spread="std over seeds" if std is not None else "")
    return None


def read_benchmark(path: str | Path | None = None,
                   key: str = "mp_published_split_test_mae") -> Measured | None:
    """The benchmark's result ``key`` (the name of the line it prints) from its JSON results
    (default :data:`BENCHMARK_RESULTS`, also looked up under a top-level ``"results"``); ``None``
    where the file or the key is absent or unreadable (the benchmark has not been run)."""
    path = Path(BENCHMARK_RESULTS if path is None else path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    entry = data.get(key, (data.get("results") or {}).get(key)
                     if isinstance(data.get("results"), dict) else None)
    return _benchmark_entry(entry)


@dataclass(frozen=True)
class BenchmarkFacts:
    """The accuracy benchmark's figure on the same split, where it has been run."""

    benchmark_run: str = fact()
    benchmark_mae_text: str = fact()
    benchmark_vs_goal: str = fact()
    benchmark_goal: float = fact(unit="eV/atom")


def benchmark_facts(result: Measured | None, *, goal: float = 0.060) -> BenchmarkFacts:
    """Facts of :func:`read_benchmark`'s result (``None``: not run); ``goal``: the benchmark's
    target test MAE (eV/atom)."""
    if result is None:
        return BenchmarkFacts("no", "none", "not comparable with", goal)
    text = f"{result.value:.3f} eV/atom"
    if result.uncertainty is not None:
        text += f" (std {result.uncertainty:.3f}"
        text += f" over {result.n} seeds)" if result.n else ")"
    elif result.n:
        text += f" ({result.n} seeds)"
    return BenchmarkFacts("yes", text, compare(result.value, goal), goal)


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
                  paper_mae_mp: float, paper_mae_aflow: float, judged: bool = True
                  ) -> CrystalFacts:
    """Facts of :func:`~howbig.chapters.transferability.experiment.learning_curve` (``curve``)
    and, with two databases, the cross-database ``factor`` of
    :func:`~howbig.chapters.transferability.experiment.cross_database_experiment`; whether the
    error falls with more structures is not judged where ``judged`` is false (smoke)."""
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
        judge(slope < -0.05 if np.isfinite(slope) else None, "yes", "no",
              judged=judged),
        len(names), ", ".join(names), Measured(value, n=1, spread="one seed"),
        span_text(value, fmt="{:.1f}"),
        "trained" if factor is not None else "not trained", ", ".join(full_names),
        paper_mae_mp, paper_mae_aflow)
