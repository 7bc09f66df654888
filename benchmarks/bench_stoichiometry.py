"""Training throughput of the stoichiometry (Roost-style) model of Chapter 2, and its FLOP bound.

Compositions per second through the training loop (:func:`howbig.methods.training.train`:
batching, Adam step, validation every 200 steps), batch 256, width 64, one attention head,
3 message-passing steps, on MP formation energies; with one XLA thread and with all cores.
Beside it:

* a naive version of the same model and step: every formula padded to the worst case
  (9 elements, 81 edges) and each batch assembled formula by formula in Python;
* the **FLOP bound**: the model's matrix-product FLOPs per batch, counted analytically for the
  real nodes and edges of an average batch (forward, weight gradients and input gradients),
  divided by the one-thread matrix-product rate measured at exactly those shapes in the same run
  (the median of ``--bound-repeats`` >= 3 measurements);
* with ``--baseline-src DIR`` (the ``src`` directory of an older checkout, e.g. from
  ``git worktree add /tmp/before <commit>``), the same loop of that code, run alternately with
  this one, and the ratio (it reads either training API).

Each configuration runs in its own process (XLA's thread count is fixed when JAX starts); the
configurations alternate, ``--repeats`` times, and the median is printed. Goals (issue 18): the
loop at >= 1.5x the 31,504 compositions/s of issue 14 on one thread, or within 1.6x of the bound.

    python benchmarks/bench_stoichiometry.py [--steps 400] [--repeats 3] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
BATCH, WIDTH, STEPS = 256, 64, 3
ISSUE_14 = 31_504  # compositions/s on one thread, benchmarks/README.md (issue 14)


def _data(n_train: int, n_validation: int):
    import numpy as np

    from howbig.data.sources import load_composition_table
    from howbig.methods.stoichiometry import stoichiometry_set

    t = load_composition_table("mp_ef").sample(n_train + n_validation, random_state=0)
    s = stoichiometry_set(t["key"], t["target"])
    return s.subset(np.arange(n_train)), s.subset(np.arange(n_train, n_train + n_validation))


def _layers(n_nodes: float, n_edges: float, n_graphs: int, c: int = WIDTH,
            steps: int = STEPS) -> list[tuple[int, int, int, bool]]:
    """Dense layers of the model as (rows, inputs, outputs, input needs a gradient)."""
    hid = c // 2
    out = []
    for _ in range(steps):
        out += [(n_nodes, c, 2 * hid, True), (n_nodes, c, 2 * hid, True),  # receiver, sender
                (n_edges, hid, 1, True),  # gate, per edge
                (n_nodes, hid, c, True)]  # message layer, after the attention-weighted sum
    out += [(n_graphs, c, c, True), (n_graphs, c, c, True), (n_graphs, c, 1, True)]  # readout
    return [(round(m), k, n, g) for m, k, n, g in out]


def essential_flops(n_nodes: float, n_edges: float, n_graphs: int) -> float:
    """Matrix-product FLOPs of one gradient step: forward, weight and input gradients."""
    return float(sum(2 * m * k * n * (3 if grad else 2)
                     for m, k, n, grad in _layers(n_nodes, n_edges, n_graphs)))


def matmul_seconds(n_nodes: float, n_edges: float, n_graphs: int, repeats: int = 5) -> float:
    """CPU seconds of the step's matrix products, each timed alone at its own shape."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    shapes: dict[tuple[int, int, int], int] = {}
    for m, k, n, grad in _layers(n_nodes, n_edges, n_graphs):
        # forward X W, weight gradient X^T G, input gradient G W^T
        for shape in [(m, k, n), (k, m, n)] + ([(m, n, k)] if grad else []):
            shapes[shape] = shapes.get(shape, 0) + 1
    dot, rng, total = jax.jit(jnp.dot), np.random.default_rng(0), 0.0
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


def _naive_batch(data, indices, batch_size):
    """Pad every formula to 9 nodes / 81 edges; assemble the batch one formula at a time."""
    import jraph
    import numpy as np

    graphs = []
    for i in indices:  # the per-formula Python work the library avoids
        lo, hi = data.offsets[i], data.offsets[i + 1]
        n = hi - lo
        pairs = [(a, b) for a in range(n) for b in range(n)]
        graphs.append(jraph.GraphsTuple(
            nodes={"element": data.elements[lo:hi], "fraction": data.fractions[lo:hi]},
            edges=None, senders=np.array([a for a, _ in pairs], np.int32),
            receivers=np.array([b for _, b in pairs], np.int32), n_node=np.array([n]),
            n_edge=np.array([n * n]), globals=np.array([data.targets[i]], np.float32)))
    batch = jraph.batch_np(graphs)
    padded = jraph.pad_with_graphs(batch, n_node=9 * batch_size + 1, n_edge=81 * batch_size + 1,
                                   n_graph=batch_size + 1)
    nodes = dict(padded.nodes)
    nodes["fraction"] = np.where(np.arange(len(nodes["fraction"])) < batch.n_node.sum(),
                                 nodes["fraction"], 1.0).astype(np.float32)
    return padded._replace(nodes=nodes)


def _loop(model, train, validation, steps: int) -> dict:
    """Wall and CPU seconds of ``steps`` steps through the project's training loop (either API).

    The wall time is the loop's own (``TrainResult.seconds``); the CPU time is that of the run
    less that of a run of no steps (its setup), the fairer clock on a shared machine.
    """
    from howbig.methods.training import TrainConfig

    config = TrainConfig(learning_rate=1e-3, batch_size=BATCH, max_steps=steps, eval_every=200,
                         patience=None, loss="mae", progress=False, buckets=3)
    try:  # the code before issue 18: a loop of its own for stoichiometry graphs
        from howbig.methods.stoichiometry_training import train_stoichiometry as run
    except ImportError:
        from howbig.methods.training import train as run
    run(model, train, validation, TrainConfig(**{**config.__dict__, "max_steps": 200}))  # warm
    c0 = time.process_time()
    run(model, train, validation, TrainConfig(**{**config.__dict__, "max_steps": 0}))
    c1 = time.process_time()
    wall = run(model, train, validation, config).seconds
    return {"wall": wall, "cpu": time.process_time() - c1 - (c1 - c0)}


def _worker(mode: str, steps: int, bound_repeats: int) -> dict:
    from howbig.methods.allocator import keep_large_blocks_in_heap

    keep_large_blocks_in_heap()  # first thing, as a training process does
    import jax
    import numpy as np
    import optax

    from howbig.methods.models.roost import roost

    train, validation = _data(20_000, 2_000)
    model = roost(width=WIDTH, mp_steps=STEPS)
    if mode == "tight":
        seconds = _loop(model, train, validation, steps)
        return {"compositions_per_s": steps * BATCH / seconds["cpu"],
                "compositions_per_s_wall": steps * BATCH / seconds["wall"]}
    if mode == "bound":
        n = train.n_node.astype(float)
        n_nodes, n_edges = BATCH * n.mean(), BATCH * (n * n).mean()
        flops = essential_flops(n_nodes, n_edges, BATCH + 1)
        seconds = [matmul_seconds(n_nodes, n_edges, BATCH + 1) for _ in range(bound_repeats)]
        return {"flops": flops, "bound_s": statistics.median(seconds), "bounds_s": seconds,
                "nodes": n_nodes, "edges": n_edges}
    from howbig.methods.training import train_step

    step = train_step(model, "mae")
    rng = np.random.default_rng(0)
    first = _naive_batch(train, np.arange(BATCH), BATCH)
    params = model.init(jax.random.PRNGKey(0), first)
    opt_state = optax.scale_by_adam().init(params)
    params, opt_state, loss = step(params, opt_state, first, np.float32(1e-3))
    loss.block_until_ready()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        batch = _naive_batch(train, rng.choice(len(train), BATCH, replace=False), BATCH)
        params, opt_state, loss = step(params, opt_state, batch, np.float32(1e-3))
    loss.block_until_ready()
    return {"compositions_per_s": steps * BATCH / (time.process_time() - cpu),
            "compositions_per_s_wall": steps * BATCH / (time.perf_counter() - start)}


def _run(mode: str, args: argparse.Namespace, one_thread: bool, src: str | None = None) -> dict:
    env = dict(os.environ)
    if one_thread:
        env["XLA_FLAGS"] = ONE_THREAD
    if src:
        env["PYTHONPATH"] = src
    cmd = [sys.executable, __file__, "--worker", mode, "--steps", str(args.steps),
           "--naive-steps", str(args.naive_steps), "--bound-repeats", str(args.bound_repeats)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--naive-steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bound-repeats", type=int, default=3)
    parser.add_argument("--baseline-src", help="src directory of an older checkout to compare")
    parser.add_argument("--all-cores", action="store_true", help="also run without one thread")
    parser.add_argument("--worker", choices=["tight", "naive", "bound"])
    args = parser.parse_args(argv)
    if args.worker:
        steps = args.steps if args.worker == "tight" else args.naive_steps
        print(json.dumps(_worker(args.worker, steps, max(3, args.bound_repeats))))
        return
    runs = [("one_thread", True)] + ([("all_cores", False)] if args.all_cores else [])
    modes = ["tight", "naive"] + (["baseline"] if args.baseline_src else [])
    results: dict[tuple[str, str], list[float]] = {}
    bound = _run("bound", args, True)
    for _ in range(args.repeats):
        for tag, one in runs:
            for mode in modes:
                src = args.baseline_src if mode == "baseline" else None
                value = _run("tight" if mode == "baseline" else mode, args, one, src)
                results.setdefault((tag, mode), []).append(value["compositions_per_s"])
                results.setdefault((tag, mode + "_wall"), []).append(
                    value["compositions_per_s_wall"])
    print(f"# stoichiometry model, batch {BATCH}, width {WIDTH}, one head, {STEPS} steps; "
          f"{os.cpu_count()} cores visible; load average {os.getloadavg()[0]:.1f} (timings on a "
          "busy machine are lower bounds)")
    for tag, _ in runs:
        tight = statistics.median(results[(tag, "tight")])
        naive = statistics.median(results[(tag, "naive")])
        print(f"stoichiometry_training_loop_{tag}: {tight:.0f} compositions/s, CPU time "
              f"(runs: {', '.join(f'{v:.0f}' for v in results[(tag, 'tight')])})")
        print(f"stoichiometry_training_loop_{tag}_wall: "
              f"{statistics.median(results[(tag, 'tight_wall')]):.0f} compositions/s")
        print(f"stoichiometry_naive_padded_{tag}: {naive:.0f} compositions/s")
        print(f"stoichiometry_speedup_over_naive_{tag}: {tight / naive:.1f} x")
        if args.baseline_src:
            pairs = zip(results[(tag, "tight")], results[(tag, "baseline")], strict=True)
            ratios = [a / b for a, b in pairs]
            base = statistics.median(results[(tag, "baseline")])
            print(f"stoichiometry_baseline_loop_{tag}: {base:.0f} compositions/s "
                  f"({args.baseline_src})")
            print(f"stoichiometry_speedup_over_baseline_{tag}: {statistics.median(ratios):.2f} x "
                  f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})")
    flops, seconds = bound["flops"], bound["bound_s"]
    tight = statistics.median(results[("one_thread", "tight")])
    print(f"flops_per_batch: {flops / 1e6:.0f} MFLOP (matrix products, forward + backward; "
          f"{bound['nodes']:.0f} real nodes, {bound['edges']:.0f} real edges)")
    rates = ", ".join(f"{flops / s / 1e9:.1f}" for s in bound["bounds_s"])
    rates = ", ".join(f"{flops / s / 1e9:.1f}" for s in bound["bounds_s"])
    print(f"matmul_rate_at_step_shapes: {flops / seconds / 1e9:.1f} GFLOP/s (median of "
          f"{len(bound['bounds_s'])}: {rates})")
    print(f"flop_bound: {1e3 * seconds:.2f} ms/batch = {BATCH / seconds:.0f} compositions/s")
    print(f"loop_over_bound: {BATCH / tight / seconds:.2f} x (goal <= 1.6)")
    print(f"loop_over_issue_14: {tight / ISSUE_14:.2f} x (goal >= 1.5; {ISSUE_14} compositions/s "
          "on one thread in issue 14)")


if __name__ == "__main__":
    main()
