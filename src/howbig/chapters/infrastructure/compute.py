"""Compute cost of training and of neural architecture search (paper Section 6.2).

The step profiler that measures batching and gradient-step times lives in
:mod:`howbig.methods.profiling` (it reuses the training step); this module holds

* a **cost model** (:func:`nas_cost`) that turns steps per architecture, number of architectures,
  time per step and a price per GPU hour into GPU hours, years and dollars. Its defaults are the
  inputs the paper states (2,000,000 steps; 0.0010 s + 0.0023 s per step on a V100; 2,000
  architectures; 3 USD per V100 hour). :func:`paper_check` recomputes every derived number of the
  paper's Section 6.2 from those inputs and says which ones check out (:mod:`howbig.verdicts`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from howbig.methods.profiling import StepProfile
from howbig.paper import paper_value
from howbig.verdicts import verdict

__all__ = [
    "HOURS_PER_YEAR",
    "NasCost",
    "gpu_cpu_ratio",
    "nas_cost",
    "paper_check",
    "timing_table",
]

HOURS_PER_YEAR = 365.25 * 24  # Julian year, 8766 h


# ------------------------------------------------------------------------------------------------
# Cost model
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NasCost:
    """Cost of training ``architectures`` models for ``steps`` steps each.

    Attributes
    ----------
    steps
        Gradient steps per architecture (after any dataset-size scaling).
    architectures
        Number of architectures trained.
    seconds_per_step
        Batching + gradient step, in seconds.
    usd_per_hour
        Price of one device hour.
    """

    steps: float
    architectures: float
    seconds_per_step: float
    usd_per_hour: float

    @property
    def hours_per_run(self) -> float:
        """Device hours of one training run."""
        return self.steps * self.seconds_per_step / 3600.0

    @property
    def device_hours(self) -> float:
        """Device hours of the whole search (runs one after another on one device)."""
        return self.architectures * self.hours_per_run

    @property
    def years(self) -> float:
        """Wall-clock years of the search on a single device."""
        return self.device_hours / HOURS_PER_YEAR

    @property
    def usd(self) -> float:
        """Price of the search."""
        return self.device_hours * self.usd_per_hour

    def as_dict(self) -> dict[str, float]:
        """Inputs and derived quantities as one flat dictionary."""
        out = asdict(self)
        out.update(hours_per_run=self.hours_per_run, device_hours=self.device_hours,
                   years=self.years, usd=self.usd)
        return out


def nas_cost(
    steps: float | None = None,
    architectures: float | None = None,
    batch_seconds: float | None = None,
    step_seconds: float | None = None,
    usd_per_hour: float | None = None,
    *,
    dataset_size: float | None = None,
    reference_dataset_size: float | None = None,
) -> NasCost:
    """Cost of a neural architecture search; every argument defaults to the paper's input.

    Parameters
    ----------
    steps
        Gradient steps per architecture (paper: 2,000,000 at batch size 32).
    architectures
        Architectures trained (paper: 2,000).
    batch_seconds, step_seconds
        Time to build one batch and time of one gradient step (paper, V100: 0.0010 s, 0.0023 s).
    usd_per_hour
        Price of one device hour (paper: 3 USD per V100 hour on AWS).
    dataset_size
        If given, ``steps`` is scaled by ``dataset_size / reference_dataset_size``, i.e. every
        architecture sees the data the same number of epochs as in the paper's setting.
    reference_dataset_size
        The dataset size ``steps`` refers to (paper: about 60,000 AFLOW band gaps).

    Returns
    -------
    NasCost
    """
    steps = paper_value("train_steps") if steps is None else steps
    architectures = paper_value("nas_architectures") if architectures is None else architectures
    batch_seconds = paper_value("v100_batch_seconds") if batch_seconds is None else batch_seconds
    step_seconds = paper_value("v100_step_seconds") if step_seconds is None else step_seconds
    usd_per_hour = paper_value("usd_per_v100_hour") if usd_per_hour is None else usd_per_hour
    for name, value in (("steps", steps), ("architectures", architectures),
                        ("batch_seconds", batch_seconds), ("step_seconds", step_seconds),
                        ("usd_per_hour", usd_per_hour)):
        if value < 0:
            raise ValueError(f"nas_cost: {name} must be >= 0, got {value}")
    if dataset_size is not None:
        reference = (paper_value("aflow_gap_dataset_size") if reference_dataset_size is None
                     else reference_dataset_size)
        if reference <= 0:
            raise ValueError("nas_cost: reference_dataset_size must be > 0")
        steps = steps * dataset_size / reference
    return NasCost(steps=float(steps), architectures=float(architectures),
                   seconds_per_step=float(batch_seconds + step_seconds),
                   usd_per_hour=float(usd_per_hour))


def paper_check() -> pd.DataFrame:
    """Recompute every derived number of the paper's Section 6.2 from its stated inputs.

    Each row is judged by :func:`howbig.verdicts.verdict` as ``paper arithmetic``, by the rule of
    the claim it recomputes (the rules the reproducibility page applies): "about two hours" is
    1-3 h, "more than 4.5 years" a lower bound, "nearly an order of magnitude" a ratio of 7-10.

    Returns
    -------
    DataFrame
        One row per claim: ``claim``, ``paper key``, ``paper`` (the figure as stated; 10 for the
        order-of-magnitude claim), ``recomputed``, ``ratio`` (recomputed / paper), ``agrees``
        (bool: checks out), ``verdict`` ("checks out" / "does not check out"), ``how`` (the
        arithmetic).
    """
    p = paper_value
    steps = p("train_steps")
    v100 = p("v100_batch_seconds") + p("v100_step_seconds")
    cpu = p("cpu_batch_seconds") + p("cpu_step_seconds")
    n_arch = p("nas_architectures")
    price = p("usd_per_v100_hour")
    gpu = nas_cost()
    rows: list[dict[str, Any]] = []

    def add(claim: str, key: str, recomputed: float, how: str) -> None:
        stated = p(key)
        judged = verdict(key, recomputed, kind="paper arithmetic")
        rows.append({
            "claim": claim,
            "paper key": key,
            "paper": stated,
            "recomputed": recomputed,
            "ratio": recomputed / stated if stated else math.nan,
            "agrees": bool(judged.agrees),
            "verdict": judged.word,
            "how": how,
        })

    add("one V100 run (h)", "v100_hours_per_run", gpu.hours_per_run,
        f"{steps:,.0f} x ({p('v100_batch_seconds')} + {p('v100_step_seconds')}) s / 3600")
    add("one CPU-core run (h)", "cpu_hours_per_run",
        steps * cpu / 3600, f"{steps:,.0f} x ({p('cpu_batch_seconds')} + "
        f"{p('cpu_step_seconds')}) s / 3600")
    add("NAS GPU hours (from per-step times)", "nas_gpu_hours",
        gpu.device_hours, f"{n_arch:,.0f} architectures x {gpu.hours_per_run:.3f} h")
    add("NAS GPU hours (from the stated 2 h per run)", "nas_gpu_hours",
        n_arch * p("v100_hours_per_run"), f"{n_arch:,.0f} x {p('v100_hours_per_run'):g} h")
    add("NAS years on one V100 (from per-step times)", "nas_gpu_years",
        gpu.years, f"{gpu.device_hours:,.0f} h / {HOURS_PER_YEAR:g} h per year")
    add("NAS years (from the stated 40,000 h)", "nas_gpu_years",
        p("nas_gpu_hours") / HOURS_PER_YEAR,
        f"{p('nas_gpu_hours'):,.0f} h / {HOURS_PER_YEAR:g} h per year; 'more than 4.5'")
    add("NAS budget USD (from per-step times)", "nas_usd", gpu.usd,
        f"{gpu.device_hours:,.0f} h x {price:g} USD/h")
    add("NAS budget USD (from the stated 40,000 h)", "nas_usd",
        p("nas_gpu_hours") * price, f"{p('nas_gpu_hours'):,.0f} h x {price:g} USD/h")
    add("CPU / GPU time per step ('nearly an order of magnitude')", "cpu_gpu_slowdown",
        cpu / v100, f"({p('cpu_batch_seconds')} + {p('cpu_step_seconds')}) / "
        f"({p('v100_batch_seconds')} + {p('v100_step_seconds')})")
    add("CPU / GPU gradient step only", "cpu_gpu_slowdown",
        p("cpu_step_seconds") / p("v100_step_seconds"),
        f"{p('cpu_step_seconds')} / {p('v100_step_seconds')}")
    add("NAS improvement best vs mean (meV)", "nas_improvement_mev",
        p("nas_mean_rmse") - p("nas_best_rmse"),
        f"{p('nas_mean_rmse'):g} - {p('nas_best_rmse'):g} meV")
    add("NAS improvement best vs mean (%)", "nas_improvement_percent",
        100 * (p("nas_mean_rmse") - p("nas_best_rmse")) / p("nas_mean_rmse"),
        f"100 x ({p('nas_mean_rmse'):g} - {p('nas_best_rmse'):g}) / {p('nas_mean_rmse'):g}")
    return pd.DataFrame(rows)


def gpu_cpu_ratio(profiles: list[StepProfile]) -> dict[str, float]:
    """CPU time per step over accelerator time per step, per model, where both were measured."""
    out = {}
    for prof in profiles:
        if prof.device.startswith("CPU"):
            continue
        cpu = [p for p in profiles if p.model == prof.model and p.device.startswith("CPU")]
        if cpu:
            out[prof.model] = cpu[0].seconds_per_step / prof.seconds_per_step
    return out


def timing_table(profiles: list[StepProfile]) -> pd.DataFrame:
    """This machine's step times next to the paper's V100 and CPU-core figures (SchNet).

    Returns one row per measured model plus the paper's two rows, with milliseconds per batch,
    per gradient step and per training step, and the implied hours for the paper's 2,000,000
    steps.
    """
    steps = paper_value("train_steps")
    rows = []
    for prof in profiles:
        rows.append({"source": "this machine", "model": prof.model, "device": prof.device,
                     "batch size": prof.batch_size, "parameters": prof.n_parameters,
                     "batching (ms)": 1e3 * prof.batch_seconds,
                     "gradient step (ms)": 1e3 * prof.step_seconds,
                     "hours for 2e6 steps": steps * prof.seconds_per_step / 3600})
    for dev, b, s in (("NVIDIA V100", "v100_batch_seconds", "v100_step_seconds"),
                      ("one CPU core", "cpu_batch_seconds", "cpu_step_seconds")):
        rows.append({"source": "paper", "model": "SchNet", "device": dev,
                     "batch size": int(paper_value("batch_size")),
                     "parameters": int(paper_value("schnet_parameters")),
                     "batching (ms)": 1e3 * paper_value(b),
                     "gradient step (ms)": 1e3 * paper_value(s),
                     "hours for 2e6 steps": steps * (paper_value(b) + paper_value(s)) / 3600})
    return pd.DataFrame(rows)

