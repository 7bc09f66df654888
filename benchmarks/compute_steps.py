"""Benchmark: batching and gradient-step times of SchNet and MPEU on this machine's JAX device.

Prints ``name: value unit`` lines. Usage::

    python benchmarks/compute_steps.py [--structures 400] [--steps 50] [--batch-size 32]

Runs on whatever device JAX picks (a GPU if ``jax[cuda]`` is installed), on the MP-20 sample
(band gaps), with the paper's SchNet setting (latent size 64, three interaction blocks).
"""

from __future__ import annotations

import argparse

from howbig.chapters.infrastructure.compute import nas_cost
from howbig.chapters.infrastructure.nas import quick_dataset
from howbig.methods.profiling import profile_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--structures", type=int, default=400)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-size", type=int, default=64)
    parser.add_argument("--mp-steps", type=int, default=3)
    args = parser.parse_args()
    data = quick_dataset("band_gap", max_structures=args.structures, progress=False)
    profiles = profile_models(data.train, batch_size=args.batch_size,
                              latent_size=args.latent_size, mp_steps=args.mp_steps,
                              n_steps=args.steps, warmup=args.warmup)
    print(f"device: {profiles[0].device}")
    for p in profiles:
        name = p.model.lower()
        print(f"{name}_parameters: {p.n_parameters} count")
        print(f"{name}_batch_median: {1e3 * p.batch_seconds:.4g} ms")
        print(f"{name}_batch_iqr: {1e3 * p.batch_iqr:.4g} ms")
        print(f"{name}_step_median: {1e3 * p.step_seconds:.4g} ms")
        print(f"{name}_step_iqr: {1e3 * p.step_iqr:.4g} ms")
        cost = nas_cost(batch_seconds=p.batch_seconds, step_seconds=p.step_seconds)
        print(f"{name}_hours_per_2e6_steps: {cost.hours_per_run:.4g} h")
        print(f"{name}_nas_2000_years: {cost.years:.4g} years")


if __name__ == "__main__":
    main()
