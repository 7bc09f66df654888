"""The numbers Chapter 6's sentences quote, computed in one place per section.

Each function returns a frozen dataclass whose field names are the glue keys of the chapter
(without the ``infra_`` / ``cmp_`` prefix); comparison words ("agrees", "before", ...) are chosen
here from the numbers, so that the prose holds in every profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from howbig.chapters.infrastructure.compute import HOURS_PER_YEAR, nas_cost, paper_check
from howbig.chapters.infrastructure.nas import local_minima
from howbig.chapters.infrastructure.search import SeedNoise, resolved_minima
from howbig.chapters.infrastructure.storage import (
    Campaign,
    first_wall,
    quota_crossings,
    storage_paper_check,
)
from howbig.paper import paper_value
from howbig.report import Measured

__all__ = ["CostFacts", "RankingFacts", "SearchFacts", "StorageFacts", "TimingFacts",
           "cost_facts", "ranking_facts", "search_facts", "search_gain", "storage_facts",
           "timing_facts"]


@dataclass(frozen=True)
class StorageFacts:
    """Section 6.1: the campaign's arithmetic and the quota it exhausts first."""

    arithmetic_check: str
    literal_files: float
    literal_tb: float
    wall_name: str
    wall_structures: float
    wall_factor: float
    file_quota_structures: float
    file_quota_factor: float
    scratch_structures: float
    scratch_order: str
    n_quotas: int
    n_walls_hit: int


def storage_facts(campaign: Campaign) -> StorageFacts:
    """Facts of Section 6.1 for ``campaign`` under the typical quotas."""
    check = storage_paper_check().set_index("claim")
    crossings = quota_crossings(campaign)
    wall = first_wall(campaign)
    files = crossings[crossings["kind"] == "files"].iloc[0]
    scratch = crossings.iloc[-1]
    fill = "structures that fill it"
    return StorageFacts(
        arithmetic_check="agrees with" if check["agrees"].iloc[:3].all() else "differs from",
        literal_files=float(check["recomputed"].iloc[3]),
        literal_tb=float(check["recomputed"].iloc[4]),
        wall_name=str(wall["quota"]), wall_structures=float(wall[fill]),
        wall_factor=float(wall["campaign usage / limit"]),
        file_quota_structures=float(files[fill]),
        file_quota_factor=float(files["campaign usage / limit"]),
        scratch_structures=float(scratch[fill]),
        scratch_order="before" if files[fill] < scratch[fill] else "after",
        n_quotas=len(crossings), n_walls_hit=int((crossings[fill] < campaign.n_structures).sum()),
    )


@dataclass(frozen=True)
class CostFacts:
    """Section 6.2: the paper's compute arithmetic recomputed from its stated inputs."""

    v100_run_hours: float
    cpu_run_hours: float
    nas_gpu_hours: float
    nas_years: float
    nas_usd: float
    stated_nas_hours: float
    factor: float
    claim_years: float
    claim_usd: float
    step_ratio: float
    paper_cpu_gpu_ratio: float
    run_hours_verdict: str
    ratio_verdict: str
    hours_verdict: str
    derived_verdict: str
    arith_gain_mev: float
    arith_gain_pct: float


#: Facts of :class:`CostFacts` that recompute a number the paper states (key in howbig.paper).
#: Each claim is recomputed from the inputs the paper states for it: the years and dollars from
#: the stated 40,000 h (``claim_years``, ``claim_usd``), the hours from the per-step times.
COST_PAPER_KEYS = {"v100_run_hours": "v100_hours_per_run", "cpu_run_hours": "cpu_hours_per_run",
                   "nas_gpu_hours": "nas_gpu_hours", "claim_years": "nas_gpu_years",
                   "claim_usd": "nas_usd", "paper_cpu_gpu_ratio": "cpu_gpu_slowdown",
                   "arith_gain_mev": "nas_improvement_mev",
                   "arith_gain_pct": "nas_improvement_percent"}


def cost_facts() -> CostFacts:
    """Facts of the paper's Section 6.2 arithmetic (see :func:`paper_check`)."""
    p = paper_value
    check = paper_check().set_index("claim")
    agrees, value = check["agrees"], check["recomputed"]
    v100 = nas_cost()
    stated = p("nas_gpu_hours")
    return CostFacts(
        v100_run_hours=v100.hours_per_run, cpu_run_hours=float(value["one CPU-core run (h)"]),
        nas_gpu_hours=v100.device_hours, nas_years=v100.years, nas_usd=v100.usd,
        stated_nas_hours=p("nas_architectures") * p("v100_hours_per_run"),
        factor=stated / v100.device_hours, claim_years=stated / HOURS_PER_YEAR,
        claim_usd=stated * p("usd_per_v100_hour"),
        step_ratio=p("cpu_step_seconds") / p("v100_step_seconds"),
        paper_cpu_gpu_ratio=(p("cpu_batch_seconds") + p("cpu_step_seconds"))
        / (p("v100_batch_seconds") + p("v100_step_seconds")),
        run_hours_verdict="agree" if agrees["one V100 run (h)"] and agrees["one CPU-core run (h)"]
        else "do not both agree",
        ratio_verdict="is" if agrees["CPU / GPU time per step ('nearly an order of magnitude')"]
        else "is not",
        hours_verdict="agrees" if agrees["NAS GPU hours (from per-step times)"]
        else "does not agree",
        derived_verdict="consistent" if agrees["NAS years (from the stated 40,000 h)"]
        and agrees["NAS budget USD (from the stated 40,000 h)"] else "not consistent",
        arith_gain_mev=float(value["NAS improvement best vs mean (meV)"]),
        arith_gain_pct=float(value["NAS improvement best vs mean (%)"]),
    )


@dataclass(frozen=True)
class TimingFacts:
    """Measured training-step times of this machine, set against the paper's inputs."""

    gpu_note: str
    schnet_step_ms: float
    schnet_batch_ms: float
    step_share: float
    bottleneck: str
    paper_batch_share: float
    schnet_run_hours: float
    vs_paper_cpu: float
    mpeu_over_schnet: float
    ratio_text: str
    here_years: float


def timing_facts(profiles: list[Any], ratios: dict[str, float]) -> TimingFacts:
    """Facts of the step profiles (SchNet first, then MPEU, on the default device)."""
    schnet, mpeu = profiles[:2]
    p = paper_value
    share = 100 * schnet.step_seconds / schnet.seconds_per_step
    cpu_paper = p("cpu_batch_seconds") + p("cpu_step_seconds")
    here = nas_cost(batch_seconds=schnet.batch_seconds, step_seconds=schnet.step_seconds)
    return TimingFacts(
        gpu_note="no GPU" if "cpu" in schnet.device.lower() else "a GPU",
        schnet_step_ms=1e3 * schnet.step_seconds, schnet_batch_ms=1e3 * schnet.batch_seconds,
        step_share=share,
        bottleneck="the gradient step, not batching," if share > 50 else "batching",
        paper_batch_share=100 * p("v100_batch_seconds")
        / (p("v100_batch_seconds") + p("v100_step_seconds")),
        schnet_run_hours=here.hours_per_run, vs_paper_cpu=schnet.seconds_per_step / cpu_paper,
        mpeu_over_schnet=mpeu.step_seconds / schnet.step_seconds,
        ratio_text="; ".join(f"{m} is {r:.1f} times faster per step on the GPU than on this "
                             "machine's CPU" for m, r in ratios.items())
        or "no GPU on this machine, so no ratio was measured",
        here_years=here.years,
    )


@dataclass(frozen=True)
class SearchFacts:
    """The search of Section 6.2 (meV), with the seed noise it is judged against."""

    nas_trials: int
    nas_cells: int
    nas_all_cells: int
    nas_mean: float
    nas_median: float
    nas_best: float
    nas_best_arch: str
    nas_improvement: float
    nas_improvement_pct: float
    nas_std: float
    best_vs_trivial: float
    noise_n: int
    noise_std: float
    noise_spread: float
    cell_range: float
    range_over_noise: float
    improvement_resolved: str
    nas_minima: int
    nas_resolved_minima: int
    nas_convexity: str


def search_gain(facts: SearchFacts) -> Measured:
    """The best candidate's lead over the mean (meV), with twice the seed noise either side:
    the paper's finding holds beyond the noise when the whole interval lies above zero."""
    return Measured(facts.nas_improvement, low=facts.nas_improvement - 2 * facts.noise_std,
                    high=facts.nas_improvement + 2 * facts.noise_std, n=facts.noise_n,
                    spread=f"± twice the std over {facts.noise_n} seeds of the best configuration")


def search_facts(grid: pd.DataFrame, summary: dict[str, float], noise: SeedNoise,
                 n_cells: int, target_std: float) -> SearchFacts:
    """Facts of a search: ``grid`` and ``summary`` from :mod:`howbig.chapters.infrastructure.nas`
    (eV), ``noise`` from :func:`seed_noise`, ``target_std`` the training targets' std (eV)."""
    cells = grid.to_numpy(dtype=float)
    cell_range = float(np.nanmax(cells) - np.nanmin(cells))
    resolved = resolved_minima(grid, noise.std)
    n_mp = summary["best_mp_steps"]
    return SearchFacts(
        nas_trials=int(summary["n_trials"]), nas_cells=int(np.isfinite(cells).sum()),
        nas_all_cells=n_cells, nas_mean=1e3 * summary["mean"], nas_median=1e3 * summary["median"],
        nas_best=1e3 * summary["best"],
        nas_best_arch=f"{n_mp} message-passing step{'s' if n_mp != 1 else ''}, latent size "
                      f"{summary['best_latent_size']}",
        nas_improvement=1e3 * summary["improvement"],
        nas_improvement_pct=summary["improvement_percent"], nas_std=1e3 * target_std,
        best_vs_trivial=100 * (1 - summary["best"] / target_std),
        noise_n=len(noise.seeds), noise_std=1e3 * noise.std, noise_spread=1e3 * noise.spread,
        cell_range=1e3 * cell_range,
        range_over_noise=cell_range / noise.std if noise.std > 0 else float("inf"),
        improvement_resolved="larger than" if summary["improvement"] > 2 * noise.std
        else "not larger than",
        nas_minima=len(local_minima(grid)), nas_resolved_minima=len(resolved),
        nas_convexity="so on this grid the landscape is not unimodal beyond the noise"
        if len(resolved) > 1 else
        "so the data cannot tell a multimodal landscape from a noisy unimodal one",
    )


@dataclass(frozen=True)
class RankingFacts:
    """Early look and pruned replay against the full search's ranking."""

    rank_first_pct: float
    rank_first_spearman: float
    rank_first_kendall: float
    rank_first_best: str
    pruned_n: int
    pruned_steps_pct: float
    pruned_spearman: float
    pruned_kendall: float
    pruned_best: str


def ranking_facts(curve: pd.DataFrame, agreement: dict[str, float]) -> RankingFacts:
    """Facts of :func:`early_ranking_curve` (first look) and :func:`ranking_agreement`."""
    first = curve.iloc[0]
    return RankingFacts(
        rank_first_pct=100 * float(first["fraction"]),
        rank_first_spearman=float(first["spearman"]), rank_first_kendall=float(first["kendall"]),
        rank_first_best="already picks" if first["same_best"] else "does not pick",
        pruned_n=int(agreement["n_pruned"]), pruned_steps_pct=100 * agreement["step_fraction"],
        pruned_spearman=float(agreement["spearman"]), pruned_kendall=float(agreement["kendall"]),
        pruned_best="finds" if agreement["same_best"] else "misses",
    )
