"""Benchmark: batching and gradient-step times of SchNet and MPEU on this machine's JAX device.

One command, for a GPU machine as for a laptop::

    python benchmarks/compute_steps.py [--structures 400] [--steps 50] [--batch-size 32]

Runs on whatever device JAX picks (a GPU if ``jax[cuda12]`` is installed; the first line says
which), on the MP-20 sample (band gaps), with the paper's SchNet setting (latent size 64, three
interaction blocks), through :func:`howbig.methods.profiling.profile_models` (the training step
of :mod:`howbig.methods.training`). Prints ``name: value unit`` lines: per model the median
batching and gradient-step times, graphs per second through both, and the paper's NAS
arithmetic at the measured step time. On an accelerator the same models are also timed on the
CPU, and the ratio is printed.
"""

from __future__ import annotations

import argparse

from howbig.chapters.infrastructure.compute import gpu_cpu_ratio, nas_cost
from howbig.chapters.infrastructure.nas import quick_dataset
from howbig.methods.profiling import profile_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=400)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-size", type=int, default=64)
    parser.add_argument("--mp-steps", type=int, default=3)
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU comparison on a GPU")
    args = parser.parse_args()
    data = quick_dataset("band_gap", max_structures=args.structures, progress=False)
    profiles = profile_models(data.train, batch_size=args.batch_size,
                              latent_size=args.latent_size, mp_steps=args.mp_steps,
                              n_steps=args.steps, warmup=args.warmup, also_cpu=not args.no_cpu)
    print(f"device: {profiles[0].device}")
    for p in profiles:
        name = p.model.lower() + ("_cpu" if p.device.startswith("CPU") and
                                  not profiles[0].device.startswith("CPU") else "")
        print(f"{name}_parameters: {p.n_parameters} count")
        print(f"{name}_batch_median: {1e3 * p.batch_seconds:.4g} ms (iqr {1e3 * p.batch_iqr:.2g})")
        print(f"{name}_step_median: {1e3 * p.step_seconds:.4g} ms (iqr {1e3 * p.step_iqr:.2g})")
        print(f"{name}_graphs_per_second: {p.batch_size / p.seconds_per_step:.4g} graphs/s "
              "(batching + step, up to batch-size graphs per batch)")
        cost = nas_cost(batch_seconds=p.batch_seconds, step_seconds=p.step_seconds)
        print(f"{name}_hours_per_2e6_steps: {cost.hours_per_run:.4g} h")
        print(f"{name}_nas_2000_years: {cost.years:.4g} years")
    for model, ratio in gpu_cpu_ratio(profiles).items():
        print(f"{model.lower()}_cpu_over_device: {ratio:.3g} x (time per step)")


if __name__ == "__main__":
    main()
