"""Benchmark of the Chapter 2 training pipeline (graphs -> padded batches -> MPEU gradient step).

One configuration: batch 32, latent size 64, 3 message-passing steps, on the quick profile's
Materials Project sample (847 structures, k = 12 neighbours). Prints ``name: value unit`` lines:

* graph construction throughput (structures/s), in one process and in one per core,
* median time to assemble one padded batch (goal: < 0.1 ms; the paper's code about 1 ms),
* median time of one jitted gradient step, blocked until ready, and its ratio to the paper's
  CPU figure (17.7 ms per step on one core, for SchNet),
* the number of XLA compilations in a training run of ``--steps`` steps (goal: <= 3): traces of
  the training step, and all backend compilations seen by ``jax.monitoring`` (these include the
  evaluation function and small helper computations).

Usage::

    python benchmarks/bench_training.py [--threads 1] [--steps 2000]

``--threads 1`` (default) restricts XLA to one CPU thread, the setting of the paper's CPU number.
The machine may be shared: the load average is printed so that contention can be judged.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="XLA CPU threads (0: default)")
    parser.add_argument("--steps", type=int, default=2000, help="steps of the compilation run")
    parser.add_argument("--batches", type=int, default=2000, help="batches timed")
    parser.add_argument("--step-repeats", type=int, default=50, help="gradient steps timed")
    return parser.parse_args(argv)


def _step_flops(step, *args) -> float | None:
    """XLA's flop count of the compiled step, or None where the backend does not report one."""
    try:
        analysis = step.lower(*args).compile().cost_analysis()
    except Exception:  # an optional diagnostic: its absence is reported as None
        return None
    if isinstance(analysis, list):  # older jax: one dict per device
        analysis = analysis[0] if analysis else {}
    flops = (analysis or {}).get("flops")
    return float(flops) if flops else None


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.threads > 0:  # must happen before jax is imported
        multi = "false" if args.threads == 1 else "true"
        flags = (f"--xla_cpu_multi_thread_eigen={multi} "
                 f"intra_op_parallelism_threads={args.threads}")
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import jax
    import numpy as np

    from howbig.data.sources import load_mp20_sample
    from howbig.methods.graphs import PaddedBatcher, build_graphs
    from howbig.methods.models.mpeu import mpeu
    from howbig.methods.training import TrainConfig, _train_step, train
    from howbig.paper import paper_value

    compiles = [0]

    def listener(event: str, duration: float, **kwargs) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            compiles[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)

    print(f"load_average_1min: {os.getloadavg()[0]:.2f} (2 cores; > 2 means contention)")
    print(f"xla_threads: {args.threads or 'default'}")
    table = load_mp20_sample()
    t0 = time.perf_counter()
    graphs = build_graphs(list(table["atoms"]), table["formation_energy_per_atom"].to_numpy(),
                          progress=False)
    dt = time.perf_counter() - t0
    print(f"graph_throughput: {len(graphs) / dt:.0f} structures/s (one process)")
    cores = os.cpu_count() or 1
    t0 = time.perf_counter()
    build_graphs(list(table["atoms"]), table["formation_energy_per_atom"].to_numpy(),
                 progress=False, n_jobs=cores)
    dt_all = time.perf_counter() - t0
    print(f"graph_throughput_{cores}_processes: {len(graphs) / dt_all:.0f} structures/s "
          "(includes starting the worker processes)")
    print(f"graphs: {len(graphs)} structures, {int(graphs.n_edge.sum())} edges")

    batcher = PaddedBatcher(graphs, 32, seed=0)
    print(f"batch_shape: {batcher.shape} (graphs, nodes, edges)")
    times = []
    while len(times) < args.batches:
        it = batcher.epoch(shuffle=True)
        while True:
            t0 = time.perf_counter()
            batch = next(it, None)
            t1 = time.perf_counter()
            if batch is None:
                break
            times.append(t1 - t0)
    batch_ms = 1e3 * float(np.median(times))
    print(f"batching_median: {batch_ms:.4f} ms/batch")
    print(f"batching_mean: {1e3 * float(np.mean(times)):.4f} ms/batch (incl. per-epoch setup)")
    print(f"batching_vs_paper_cpu: {batch_ms / (1e3 * paper_value('cpu_batch_seconds')):.3f} x")
    fill = graphs.n_node.sum() / (batcher.n_batches() * batcher.node_budget)
    print(f"node_padding_fill: {100 * fill:.1f} %")

    model = mpeu(latent_size=64, mp_steps=3)
    import optax

    first = next(batcher.epoch())
    params = jax.jit(model.init)(jax.random.PRNGKey(0), first)
    state = optax.scale_by_adam().init(params)
    step, _ = _train_step(model, "mse")
    lr = np.float32(1e-3)
    batches = [b for b, _ in zip(batcher.epoch(), range(args.step_repeats), strict=False)]
    params, state, loss = step(params, state, batches[0], lr)  # compile
    jax.block_until_ready(loss)
    step_times = []
    for b in batches:
        t0 = time.perf_counter()
        params, state, loss = step(params, state, b, lr)
        jax.block_until_ready((params, loss))
        step_times.append(time.perf_counter() - t0)
    step_ms = 1e3 * float(np.median(step_times))
    paper_ms = 1e3 * paper_value("cpu_step_seconds")
    print(f"gradient_step_median: {step_ms:.2f} ms/step")
    print(f"gradient_step_vs_paper_cpu: {step_ms / paper_ms:.3f} x (paper: {paper_ms:.1f} ms, "
          "SchNet, one CPU core; < 1 is faster)")
    # The work in one step explains the time: XLA's own count of floating-point operations of the
    # compiled step (forward + backward + Adam) and the arithmetic rate that the median implies.
    flops = _step_flops(step, params, state, batches[0], lr)
    if flops:
        print(f"gradient_step_flops: {flops / 1e9:.2f} GFLOP/step (XLA cost analysis)")
        print(f"gradient_step_rate: {flops / (step_ms / 1e3) / 1e9:.1f} GFLOP/s")

    n = len(graphs)
    split = np.random.default_rng(0).permutation(n)
    tr, va = graphs.subset(split[: int(0.9 * n)]), graphs.subset(split[int(0.9 * n):])
    before = compiles[0]
    fresh = mpeu(latent_size=64, mp_steps=3)  # new model: nothing cached
    config = TrainConfig(max_steps=args.steps, eval_every=max(1, args.steps // 10),
                         patience=None, progress=False)
    t0 = time.perf_counter()
    result = train(fresh, tr, va, config)
    wall = time.perf_counter() - t0
    print(f"run_steps: {result.steps} steps in {wall:.1f} s")
    print(f"train_step_compilations: {result.n_compilations} compilations")
    print(f"xla_backend_compilations: {compiles[0] - before} compilations (all functions)")
    print(f"run_val_mae: {1e3 * result.best_val_mae:.1f} meV/atom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
