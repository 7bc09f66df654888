"""Benchmark of the Chapter 2 training pipeline: graphs, batches, the gradient step and its bound.

On the quick profile's Materials Project sample (847 structures, k = 12 neighbours), batch 32,
3 message-passing steps, latent size 64 (``--latent`` to change), prints ``name: value unit``:

* k-NN graph construction throughput (structures/s);
* padded batching: median time per batch and the fill of the padded node slots (buckets);
* the jitted MPEU gradient step: median wall time and median CPU time (the CPU time of a
  one-thread step is the fairer figure on a shared machine), next to its **FLOP bound**: the
  model's essential floating-point operations, counted analytically (the dense layers' matrix
  products of the forward pass, the weight gradients and the input gradients that are needed,
  for the batch's real nodes and edges), divided by the single-core matrix-multiply rate
  measured at exactly those shapes (goal: step within 1.6x of the bound);
* the same step with glibc's default allocator (``HOWBIG_MALLOC_DEFAULTS=1``, in a subprocess):
  what :mod:`howbig.methods.allocator` saves;
* the XLA compilations of a fresh training run, each named (goal: <= 3 of the step, <= 5 in all);
* with ``--baseline-src DIR`` (the ``src`` directory of an older checkout), the step of that
  code and of this one timed alternately in fresh processes, ``--rounds`` times, and the ratio.

Usage::

    python benchmarks/bench_training.py [--threads 1] [--latent 64] [--steps 300]
    python benchmarks/bench_training.py --baseline-src /tmp/before/src --rounds 5

``--threads 1`` (default) restricts XLA to one CPU thread, the setting of the paper's CPU number.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="XLA CPU threads (0: default)")
    parser.add_argument("--latent", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300, help="steps of the compilation run")
    parser.add_argument("--step-repeats", type=int, default=30, help="gradient steps timed")
    parser.add_argument("--step-only", action="store_true",
                        help="time the gradient step only (used for the allocator comparison)")
    parser.add_argument("--baseline-src", help="src directory of an older checkout to compare")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (baseline)")
    return parser.parse_args(argv)


def _layers(n_nodes: int, n_edges: int, c: int, mp_steps: int = 3, n_species: int = 100,
            k_max: int = 150) -> list[tuple[int, int, int, bool]]:
    """Dense layers of MPEU as (rows, inputs, outputs, input needs a gradient)."""
    out = [(n_nodes, n_species, c, False)]  # one-hot embedding
    for t in range(mp_steps):
        out += [(n_nodes, c, 2 * c, True), (n_nodes, c, 2 * c, True),  # sender, receiver blocks
                (n_edges, k_max if t == 0 else c, 2 * c, t > 0),  # edge block (RBF at t = 0)
                (n_edges, 2 * c, c, True), (n_edges, c, c, True), (n_edges, c, c, True),
                (n_nodes, c, c, True), (n_nodes, c, c, True), (n_nodes, c, c, True)]
    out += [(n_nodes, c, c // 2, True), (n_nodes, c // 2, 1, True)]
    return out


def essential_flops(n_nodes: int, n_edges: int, c: int, **kw: int) -> float:
    """Matrix-product FLOPs of one MPEU gradient step (forward, weight and input gradients)."""
    return float(sum(2 * m * k * n * (3 if grad else 2)
                     for m, k, n, grad in _layers(n_nodes, n_edges, c, **kw)))


def matmul_seconds(n_nodes: int, n_edges: int, c: int, repeats: int = 5) -> float:
    """CPU seconds of the step's matrix products, each timed alone at its own shape."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    total, rng = 0.0, np.random.default_rng(0)
    shapes: dict[tuple[int, int, int], int] = {}
    for m, k, n, grad in _layers(n_nodes, n_edges, c):
        # forward X W, weight gradient X^T G, input gradient G W^T
        for shape in [(m, k, n), (k, m, n)] + ([(m, n, k)] if grad else []):
            shapes[shape] = shapes.get(shape, 0) + 1
    dot = jax.jit(jnp.dot)
    for (m, k, n), count in shapes.items():
        a = jnp.asarray(rng.normal(size=(m, k)), jnp.float32)
        b = jnp.asarray(rng.normal(size=(k, n)), jnp.float32)
        dot(a, b).block_until_ready()
        samples = []
        for _ in range(repeats):
            t0 = time.process_time()
            dot(a, b).block_until_ready()
            samples.append(time.process_time() - t0)
        total += count * float(np.median(samples))
    return total


def _step_in_subprocess(args: argparse.Namespace, **env: str) -> float:
    """CPU seconds of the step in a fresh process (with ``env`` added to the environment)."""
    import subprocess

    cmd = [sys.executable, __file__, "--step-only", "--threads", str(args.threads),
           "--latent", str(args.latent), "--step-repeats", str(args.step_repeats)]
    out = subprocess.run(cmd, env={**os.environ, **env}, check=True,
                         capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("gradient_step_cpu_median:"))
    return float(line.split()[1]) / 1e3


def _compare_with_baseline(args: argparse.Namespace) -> int:
    """The step of this code and of ``--baseline-src``, alternately in fresh processes."""
    import statistics

    ours, base = [], []
    for _ in range(args.rounds):
        ours.append(_step_in_subprocess(args))
        base.append(_step_in_subprocess(args, PYTHONPATH=args.baseline_src))
    ratios = [b / o for o, b in zip(ours, base, strict=True)]
    print(f"load_average_1min: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    print(f"gradient_step_cpu_median_this: {1e3 * statistics.median(ours):.1f} ms/step "
          f"(rounds: {', '.join(f'{1e3 * x:.1f}' for x in ours)})")
    print(f"gradient_step_cpu_median_baseline: {1e3 * statistics.median(base):.1f} ms/step "
          f"(rounds: {', '.join(f'{1e3 * x:.1f}' for x in base)}; {args.baseline_src})")
    print(f"gradient_step_speedup_over_baseline: {statistics.median(ratios):.2f} x "
          f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.baseline_src:
        return _compare_with_baseline(args)
    from howbig.methods.allocator import keep_large_blocks_in_heap

    keep_large_blocks_in_heap()  # first thing, before XLA starts its threads (as training does)
    if args.threads > 0:  # must happen before jax is imported
        multi = "false" if args.threads == 1 else "true"
        flags = (f"--xla_cpu_multi_thread_eigen={multi} "
                 f"intra_op_parallelism_threads={args.threads}")
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import jax
    import numpy as np

    from howbig.data.sources import load_mp20_sample
    from howbig.methods.graphs import PaddedBatcher, build_graphs, graph_mask
    from howbig.methods.models.mpeu import mpeu
    from howbig.methods.training import TrainConfig, train, train_init, train_step

    print(f"load_average_1min: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores; "
          "shared machine if above the core count: wall times are inflated, CPU times less so)")
    print(f"xla_threads: {args.threads or 'default'}")
    table = load_mp20_sample()
    t0 = time.perf_counter()
    graphs = build_graphs(list(table["atoms"]), table["formation_energy_per_atom"].to_numpy(),
                          progress=False)
    dt = time.perf_counter() - t0
    print(f"graph_throughput: {len(graphs) / dt:.0f} structures/s (one process)")

    batcher = PaddedBatcher(graphs, 32, seed=0, buckets=3)
    print(f"batch_shapes: {batcher.shapes} (graphs, nodes, edges)")
    times, slots, real = [], 0, 0
    it = batcher.epoch(shuffle=True)
    for _ in range(2000):
        t0 = time.perf_counter()
        batch = next(it, None)
        times.append(time.perf_counter() - t0)
        if batch is None:
            it = batcher.epoch(shuffle=True)
            continue
        slots += len(batch.nodes)
        real += int(batch.n_node[graph_mask(batch)].sum())
    print(f"batching_median: {1e3 * float(np.median(times)):.4f} ms/batch")
    print(f"node_padding_fill: {100 * real / slots:.1f} % (3 buckets)")
    one = PaddedBatcher(graphs, 32, seed=0)
    print(f"node_padding_fill_one_shape: "
          f"{100 * graphs.n_node.sum() / (one.n_batches() * one.node_budget):.1f} %")

    # --- the gradient step and its FLOP bound ---------------------------------------------------
    c = args.latent
    model = mpeu(latent_size=c, mp_steps=3)
    batch = batcher.batch(np.arange(32))  # 32 real graphs, in the smallest bucket holding them
    n_nodes, n_edges = int(graphs.n_node[:32].sum()), int(graphs.n_edge[:32].sum())
    params, state = train_init(model)(np.int32(0), batch)
    step = train_step(model, "mse")
    step = step[0] if isinstance(step, tuple) else step  # the API before issue 18 also counted
    lr = np.float32(1e-3)
    out = step(params, state, batch, lr)
    jax.block_until_ready(out)
    wall, cpu = [], []
    for _ in range(args.step_repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = step(params, state, batch, lr)
        jax.block_until_ready(out)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    step_cpu = float(np.median(cpu))
    flops = essential_flops(n_nodes, n_edges, c)
    bound = matmul_seconds(n_nodes, n_edges, c)
    print(f"step_batch: 32 graphs, {n_nodes} real nodes, {n_edges} real edges "
          f"(padded to {len(batch.nodes)} / {len(batch.edges)})")
    print(f"gradient_step_wall_median: {1e3 * float(np.median(wall)):.1f} ms/step")
    print(f"gradient_step_cpu_median: {1e3 * step_cpu:.1f} ms/step")
    print(f"essential_flops: {flops / 1e9:.3f} GFLOP/step (dense layers, forward + backward)")
    print(f"matmul_rate_at_step_shapes: {flops / bound / 1e9:.1f} GFLOP/s (one core)")
    print(f"flop_bound: {1e3 * bound:.1f} ms/step")
    print(f"step_over_bound: {step_cpu / bound:.2f} x (goal <= 1.6)")
    if args.step_only:
        return 0
    if os.environ.get("HOWBIG_MALLOC_DEFAULTS") != "1":
        default = _step_in_subprocess(args, HOWBIG_MALLOC_DEFAULTS="1")
        print(f"gradient_step_cpu_median_glibc_default_allocator: {1e3 * default:.1f} ms/step "
              f"({default / step_cpu:.2f} x the step with large blocks kept in the heap)")

    # --- compilations of a fresh run ------------------------------------------------------------
    compiled: list[str] = []

    class _Names(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            msg = record.getMessage()
            if msg.startswith("Finished XLA compilation of "):
                compiled.append(msg.removeprefix("Finished XLA compilation of ").split(" in ")[0])

    logging.getLogger("jax").addHandler(_Names())
    logging.getLogger("jax").setLevel(logging.DEBUG)
    jax.config.update("jax_log_compiles", True)
    n = len(graphs)
    split = np.random.default_rng(0).permutation(n)
    tr, va = graphs.subset(split[: int(0.9 * n)]), graphs.subset(split[int(0.9 * n):])
    fresh = mpeu(latent_size=c, mp_steps=3)  # new model: nothing cached
    config = TrainConfig(max_steps=args.steps, eval_every=max(1, args.steps // 5),
                         patience=None, progress=False, buckets=3)
    t0 = time.perf_counter()
    result = train(fresh, tr, va, config)
    wall_run = time.perf_counter() - t0
    jax.config.update("jax_log_compiles", False)
    logging.getLogger("jax").setLevel(logging.WARNING)
    print(f"run_steps: {result.steps} steps in {wall_run:.1f} s (compilation included)")
    print(f"train_step_compilations: {result.n_compilations} (goal <= 3: one per batch shape)")
    print(f"xla_compilations: {len(compiled)} (goal <= 5): {', '.join(compiled)}")
    print(f"run_val_mae: {1e3 * result.best_val_mae:.1f} meV/atom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
