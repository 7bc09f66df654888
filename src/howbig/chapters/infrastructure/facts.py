"""The facts Chapter 6's pages state: one frozen dataclass per section.

Glue keys: ``infra_<field>`` (6.1, storage), ``cmp_<field>`` (6.2, training cost) and
``nas_<field>`` (6.3, the search). The pages record each with ``Recorder.facts`` and word them;
nothing here writes a sentence. Comparison words ("below", "checks out", "the gradient step")
are chosen from the numbers; verdicts come from :func:`howbig.verdicts.verdict`. A statistic that
a small sample leaves undefined (a rank correlation of two candidates) is ``None``, which the
recorder glues as "not computable"; such fields are rounded here and glued without a format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.chapters.infrastructure.compute import HOURS_PER_YEAR, nas_cost, paper_check
from howbig.chapters.infrastructure.nas import QuickData
from howbig.chapters.infrastructure.nas_analysis import local_minima
from howbig.chapters.infrastructure.search import SeedNoise, resolved_minima
from howbig.chapters.infrastructure.storage import Campaign, first_wall, quota_crossings
from howbig.methods.profiling import StepProfile
from howbig.paper import paper_value
from howbig.report import Measured, fact
from howbig.verdicts import NEARLY_ORDER_OF_MAGNITUDE, band, verdict

__all__ = ["CostFacts", "RankingFacts", "SchnetFacts", "SearchFacts", "StorageFacts",
           "TimingFacts", "cost_facts", "ranking_facts", "schnet_facts", "search_facts",
           "search_gain", "storage_facts", "timing_facts"]

ARITHMETIC = "recomputed from the paper's own inputs"
_ANALOGUE = ("this build's small search (the search settings of its profile) on the NAS data "
             "of its profile, against the paper's search on about 60,000 AFLOW band gaps with "
             "2,000,000 steps per candidate: a different quantity")


def _rounded(x: float | None, digits: int = 0) -> float | int | None:
    """``x`` rounded for glue without a format (``None`` when it cannot be computed)."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x)) if digits == 0 else round(float(x), digits)


def _below(a: float, b: float) -> str:
    return "below" if a < b else "above"


# -- 6.1 storage ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StorageFacts:
    """Section 6.1: the campaign's arithmetic and the quota it exhausts first."""

    n_structures: float = fact(kind="input", claim="n_structures")
    settings_per_structure: float = fact(kind="input", claim="settings_per_structure")
    files_per_structure: float = fact(kind="input", claim="files_per_structure")
    mb_per_structure: float = fact(kind="input", claim="mb_per_structure", unit="MB")
    n_calculations: int = fact(kind="paper arithmetic", claim="n_calculations", fmt="{:,.0f}",
                               reason=ARITHMETIC)
    n_files: int = fact(kind="paper arithmetic", claim="n_files", fmt="{:,.0f}",
                        reason=ARITHMETIC)
    terabytes: float = fact(kind="paper arithmetic", claim="storage_tb", unit="TB",
                            fmt="{:.3g}", reason=ARITHMETIC)
    arithmetic_check: str = fact()
    literal_files: float = fact()
    literal_tb: float = fact(unit="TB")
    wall_name: str = fact()
    wall_structures: float = fact()
    wall_factor: float = fact()
    file_quota_structures: float = fact()
    file_quota_factor: float = fact()
    scratch_structures: float = fact()
    scratch_order: str = fact()
    n_quotas: int = fact()
    n_walls_hit: int = fact()


def storage_facts(campaign: Campaign, check: pd.DataFrame) -> StorageFacts:
    """Facts of Section 6.1 for ``campaign`` (the paper's) under the typical quotas;
    ``check`` is :func:`howbig.chapters.infrastructure.storage.storage_paper_check`."""
    crossings = quota_crossings(campaign)
    wall = first_wall(campaign)
    files = crossings[crossings["kind"] == "files"].iloc[0]
    scratch = crossings.iloc[-1]
    fill = "structures that fill it"
    return StorageFacts(
        n_structures=paper_value("n_structures"),
        settings_per_structure=paper_value("settings_per_structure"),
        files_per_structure=paper_value("files_per_structure"),
        mb_per_structure=paper_value("mb_per_structure"),
        n_calculations=campaign.n_calculations, n_files=campaign.n_files,
        terabytes=campaign.terabytes,
        arithmetic_check="checks out" if check["agrees"].iloc[:3].all()
        else "does not check out",
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


# -- 6.2 training cost ------------------------------------------------------------------------
@dataclass(frozen=True)
class CostFacts:
    """Section 6.2: the paper's compute arithmetic recomputed from its stated inputs."""

    v100_run_hours: float = fact(kind="paper arithmetic", claim="v100_hours_per_run", unit="h",
                                 fmt="{:.3g}", reason=ARITHMETIC)
    cpu_run_hours: float = fact(kind="paper arithmetic", claim="cpu_hours_per_run", unit="h",
                                fmt="{:.3g}", reason=ARITHMETIC)
    nas_gpu_hours: float = fact(kind="paper arithmetic", claim="nas_gpu_hours", unit="h",
                                fmt="{:,.0f}", reason=ARITHMETIC + " (one training per "
                                "architecture, as the text reads)")
    claim_years: float = fact(kind="paper arithmetic", claim="nas_gpu_years", unit="years",
                              fmt="{:.3g}", reason=ARITHMETIC + ": the stated 40,000 h")
    claim_usd: float = fact(kind="paper arithmetic", claim="nas_usd", unit="USD",
                            fmt="{:,.0f}", reason=ARITHMETIC + ": the stated 40,000 h")
    paper_cpu_gpu_ratio: float = fact(kind="paper arithmetic", claim="cpu_gpu_slowdown",
                                      unit="x", fmt="{:.2g}",
                                      reason=ARITHMETIC + ": batching + gradient step")
    arith_gain_mev: float = fact(kind="paper arithmetic", claim="nas_improvement_mev",
                                 unit="meV", fmt="{:.3g}", reason=ARITHMETIC)
    arith_gain_pct: float = fact(kind="paper arithmetic", claim="nas_improvement_percent",
                                 unit="%", fmt="{:.3g}", reason=ARITHMETIC)
    step_ratio: float = fact(unit="x")
    nas_years: float = fact(unit="years")
    nas_usd: float = fact(unit="USD")
    stated_nas_hours: float = fact(unit="h")
    trainings_per_arch: float = fact()
    trainings_low: float = fact()
    trainings_high: float = fact()
    nearly_low: float = fact(unit="x")
    nearly_high: float = fact(unit="x")
    v100_verdict: str = fact()
    cpu_verdict: str = fact()
    ratio_verdict: str = fact()
    step_ratio_verdict: str = fact()
    hours_verdict: str = fact()
    derived_verdict: str = fact()
    p_cpu_hours_per_run: float = fact(unit="h")
    p_nas_gpu_hours: float = fact(unit="h")


def cost_facts() -> CostFacts:
    """Facts of the paper's Section 6.2 arithmetic (see :func:`paper_check`).

    ``trainings_per_arch``: trainings of the stated steps per architecture that the stated
    40,000 GPU hours pay for (``trainings_low``/``_high``: the same for the ends of the band
    of "approximately 40 000", :func:`howbig.verdicts.band`).
    """
    p = paper_value
    check = paper_check().set_index("claim")
    value = check["recomputed"]

    def word(claim: str, key: str) -> str:
        return verdict(key, value[claim], kind="paper arithmetic").word

    v100 = nas_cost()
    stated = p("nas_gpu_hours")
    low, high = band("nas_gpu_hours")
    years, usd = "NAS years (from the stated 40,000 h)", "NAS budget USD (from the stated 40,000 h)"
    derived = {word(years, "nas_gpu_years"), word(usd, "nas_usd")}
    return CostFacts(
        v100_run_hours=v100.hours_per_run, cpu_run_hours=float(value["one CPU-core run (h)"]),
        nas_gpu_hours=v100.device_hours, claim_years=stated / HOURS_PER_YEAR,
        claim_usd=stated * p("usd_per_v100_hour"),
        paper_cpu_gpu_ratio=float(
            value["CPU / GPU time per step ('nearly an order of magnitude')"]),
        arith_gain_mev=float(value["NAS improvement best vs mean (meV)"]),
        arith_gain_pct=float(value["NAS improvement best vs mean (%)"]),
        step_ratio=float(value["CPU / GPU gradient step only"]),
        nas_years=v100.years, nas_usd=v100.usd,
        stated_nas_hours=p("nas_architectures") * p("v100_hours_per_run"),
        trainings_per_arch=stated / v100.device_hours, trainings_low=low / v100.device_hours,
        trainings_high=high / v100.device_hours,
        nearly_low=NEARLY_ORDER_OF_MAGNITUDE[0], nearly_high=NEARLY_ORDER_OF_MAGNITUDE[1],
        v100_verdict=word("one V100 run (h)", "v100_hours_per_run"),
        cpu_verdict=word("one CPU-core run (h)", "cpu_hours_per_run"),
        ratio_verdict=word("CPU / GPU time per step ('nearly an order of magnitude')",
                           "cpu_gpu_slowdown"),
        step_ratio_verdict=word("CPU / GPU gradient step only", "cpu_gpu_slowdown"),
        hours_verdict=word("NAS GPU hours (from per-step times)", "nas_gpu_hours"),
        derived_verdict=derived.pop() if len(derived) == 1 else "checks out only in part",
        p_cpu_hours_per_run=p("cpu_hours_per_run"), p_nas_gpu_hours=stated,
    )


@dataclass(frozen=True)
class SchnetFacts:
    """Section 6.2: SchNet's parameters, counted on this book's rebuild."""

    schnet_params: int = fact(kind="same data", claim="schnet_parameters", fmt="{:,.0f}",
                              reason="this build's count: the book's rebuild of SchNet in the "
                                     "authors' layout (no biases, 150 Gaussians), same setting")
    schnet_verdict: str = fact()
    schnet_params_dev: float = fact(unit="%")
    schnet_filter_share: float = fact(unit="%")
    mpeu_params: int = fact()


def schnet_facts(breakdown: pd.DataFrame, n_mpeu: int, profile: str) -> SchnetFacts:
    """Facts of :func:`howbig.methods.models.schnet.parameter_breakdown` (last row: total).

    The verdict is the one the reproducibility page gives: none in the smoke profile, whose
    records are all fixtures.
    """
    n = int(breakdown["count"].iloc[-1])
    kind = "fixture" if profile == "smoke" else "same data"
    return SchnetFacts(
        schnet_params=n, schnet_verdict=verdict("schnet_parameters", n, kind=kind).label,
        schnet_params_dev=100 * (n / paper_value("schnet_parameters") - 1),
        schnet_filter_share=100 * float(breakdown["count"].iloc[1]) / n, mpeu_params=n_mpeu)


@dataclass(frozen=True)
class TimingFacts:
    """Section 6.2: this machine's training-step times, set against the paper's inputs."""

    n_structures: int = fact()
    n_train: int = fact()
    n_val: int = fact()
    target: str = fact()
    data_label: str = fact()
    credits: str = fact()
    device: str = fact()
    gpu_note: str = fact()
    schnet_step_s: float = fact(unit="s", fmt="{:.3g}")
    schnet_step_ms: float = fact(unit="ms")
    schnet_batch_ms: float = fact(unit="ms")
    step_share: float = fact(unit="%")
    bottleneck: str = fact()
    paper_batch_share: float = fact(unit="%")
    schnet_run_hours: float = fact(unit="h")
    vs_paper_cpu: float = fact(unit="x")
    mpeu_over_schnet: float = fact(unit="x")
    gpu_ratio_schnet: float | None = fact(unit="x")
    gpu_ratio_mpeu: float | None = fact(unit="x")
    here_years: float = fact(unit="years")


def timing_facts(profiles: list[StepProfile], ratios: dict[str, float], data: QuickData,
                 device: str, credits: str) -> TimingFacts:
    """Facts of the step profiles (SchNet first, then MPEU, on the default device), the
    GPU/CPU ratios of :func:`gpu_cpu_ratio` (empty without a GPU), the NAS data and their
    ``credits`` (:func:`howbig.profiles.data_credits`)."""
    schnet, mpeu = profiles[:2]
    p = paper_value
    share = 100 * schnet.step_seconds / schnet.seconds_per_step
    here = nas_cost(batch_seconds=schnet.batch_seconds, step_seconds=schnet.step_seconds)
    return TimingFacts(
        n_structures=data.n_structures, n_train=len(data.train), n_val=len(data.validation),
        target=data.target.replace("_", " "), data_label=data.source.label, credits=credits,
        device=device,
        gpu_note="no GPU" if "cpu" in schnet.device.lower() else "a GPU",
        schnet_step_s=schnet.step_seconds, schnet_step_ms=1e3 * schnet.step_seconds,
        schnet_batch_ms=1e3 * schnet.batch_seconds, step_share=share,
        bottleneck="the gradient step" if share > 50 else "batching",
        paper_batch_share=100 * p("v100_batch_seconds")
        / (p("v100_batch_seconds") + p("v100_step_seconds")),
        schnet_run_hours=here.hours_per_run,
        vs_paper_cpu=schnet.seconds_per_step / (p("cpu_batch_seconds") + p("cpu_step_seconds")),
        mpeu_over_schnet=mpeu.step_seconds / schnet.step_seconds,
        gpu_ratio_schnet=_rounded(ratios.get(schnet.model), 1),
        gpu_ratio_mpeu=_rounded(ratios.get(mpeu.model), 1), here_years=here.years,
    )


# -- 6.3 the search ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchFacts:
    """Section 6.3: the search (meV), with the seed noise it is judged against."""

    mean: Measured = fact(kind="analogue", claim="nas_mean_rmse", unit="meV", fmt="{:.0f}",
                          reason=_ANALOGUE)
    median: Measured = fact(kind="analogue", claim="nas_median_rmse", unit="meV", fmt="{:.0f}",
                            reason=_ANALOGUE)
    best: Measured = fact(kind="analogue", claim="nas_best_rmse", unit="meV", fmt="{:.0f}",
                          reason=_ANALOGUE)
    gain: Measured = fact(kind="analogue", claim="nas_search_gain", unit="meV", fmt="{:.0f}",
                          reason="the best candidate's lead over the mean in this build's "
                                 "small search, judged against twice its seed noise")
    gain_verdict: str = fact()
    n_structures: int = fact()
    n_train: int = fact()
    n_val: int = fact()
    target: str = fact()
    data_label: str = fact()
    trials: int = fact()
    cells: int = fact()
    all_cells: int = fact()
    best_mp_steps: int = fact()
    best_latent_size: int = fact()
    improvement_pct: float = fact(unit="%")
    target_std: float = fact(unit="meV")
    trivial_pct: float = fact(unit="%")
    trivial_word: str = fact()
    noise_n: int = fact()
    noise_std: float | None = fact(unit="meV")
    noise_spread: float = fact(unit="meV")
    cell_range: float = fact(unit="meV")
    range_over_noise: float | None = fact()
    minima: int = fact()
    resolved_minima: int = fact()
    max_steps: int = fact()
    p_mean: float = fact(unit="meV")
    p_median: float = fact(unit="meV")
    p_best: float = fact(unit="meV")
    p_improvement_pct: float = fact(unit="%")


def search_gain(summary: dict[str, float], noise: SeedNoise) -> Measured:
    """The best candidate's lead over the mean (meV), with twice the seed noise either side:
    the paper's finding holds beyond the noise when the whole interval lies above zero."""
    gain, width = 1e3 * summary["improvement"], 2e3 * noise.std
    return Measured(gain, low=gain - width, high=gain + width, n=len(noise.seeds),
                    spread=f"± twice the std over {len(noise.seeds)} seeds of the best "
                           "configuration")


def search_facts(grid: pd.DataFrame, summary: dict[str, float], noise: SeedNoise,
                 n_cells: int, data: QuickData, max_steps: int, profile: str) -> SearchFacts:
    """Facts of a search on ``data``: ``grid`` and ``summary`` from :mod:`.nas_analysis` (eV),
    ``noise`` from :func:`seed_noise`, ``n_cells`` the cells of the search space."""
    target_std = float(data.train.targets.std())
    cells = grid.to_numpy(dtype=float)
    cell_range = float(np.nanmax(cells) - np.nanmin(cells))
    n, gain = summary["n_trials"], search_gain(summary, noise)
    trivial = 100 * (1 - summary["best"] / target_std)
    return SearchFacts(
        mean=Measured(1e3 * summary["mean"], n=n, spread="over the search's candidates"),
        median=Measured(1e3 * summary["median"], n=n, spread="over the search's candidates"),
        best=Measured(1e3 * summary["best"], uncertainty=1e3 * noise.std, n=len(noise.seeds),
                      spread=f"std over {len(noise.seeds)} seeds of the best configuration"),
        gain=gain, gain_verdict=verdict("nas_search_gain", gain, kind="fixture"
                                        if profile == "smoke" else "analogue").label,
        n_structures=data.n_structures, n_train=len(data.train), n_val=len(data.validation),
        target=data.target.replace("_", " "), data_label=data.source.label,
        trials=int(n), cells=int(np.isfinite(cells).sum()), all_cells=n_cells,
        best_mp_steps=int(summary["best_mp_steps"]),
        best_latent_size=int(summary["best_latent_size"]),
        improvement_pct=summary["improvement_percent"], target_std=1e3 * target_std,
        trivial_pct=abs(trivial), trivial_word=_below(summary["best"], target_std),
        noise_n=len(noise.seeds), noise_std=_rounded(1e3 * noise.std),
        noise_spread=1e3 * noise.spread, cell_range=1e3 * cell_range,
        range_over_noise=_rounded(cell_range / noise.std if noise.std > 0 else math.inf, 1),
        minima=len(local_minima(grid)), resolved_minima=len(resolved_minima(grid, noise.std)),
        max_steps=max_steps, p_mean=paper_value("nas_mean_rmse"),
        p_median=paper_value("nas_median_rmse"), p_best=paper_value("nas_best_rmse"),
        p_improvement_pct=paper_value("nas_improvement_percent"),
    )


@dataclass(frozen=True)
class RankingFacts:
    """Section 6.3: an early look and a pruned replay against the full search's ranking.

    Rank correlations are ``None`` (glued "not computable") where the sample leaves them
    undefined (fewer than three candidates, or ties throughout).
    """

    rank_first_pct: float = fact(unit="%")
    rank_first_spearman: float | None = fact()
    rank_first_kendall: float | None = fact()
    rank_first_best: str = fact()
    pruned_n: int = fact()
    pruned_steps_pct: float = fact(unit="%")
    pruned_saved_pct: float = fact(unit="%")
    pruned_spearman: float | None = fact()
    pruned_kendall: float | None = fact()
    pruned_best: str = fact()


def ranking_facts(curve: pd.DataFrame, agreement: dict[str, float]) -> RankingFacts:
    """Facts of :func:`early_ranking_curve` (first look) and :func:`ranking_agreement`."""
    first = curve.iloc[0]
    return RankingFacts(
        rank_first_pct=100 * float(first["fraction"]),
        rank_first_spearman=_rounded(float(first["spearman"]), 2),
        rank_first_kendall=_rounded(float(first["kendall"]), 2),
        rank_first_best="picks" if first["same_best"] else "does not pick",
        pruned_n=int(agreement["n_pruned"]), pruned_steps_pct=100 * agreement["step_fraction"],
        pruned_saved_pct=100 * (1 - agreement["step_fraction"]),
        pruned_spearman=_rounded(float(agreement["spearman"]), 2),
        pruned_kendall=_rounded(float(agreement["kendall"]), 2),
        pruned_best="finds" if agreement["same_best"] else "misses",
    )
