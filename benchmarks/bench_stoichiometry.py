"""Training throughput of the stoichiometry (Roost-style) model of Chapter 2.

Compositions per second through the training loop (batching, Adam step, validation every 200
steps), batch 256, width 64, one attention head, 3 message-passing steps, on MP formation
energies; once with one XLA thread and once with all cores. Beside it, a naive version of the
same model and step: every formula padded to the worst case (9 elements, 81 edges) and each batch
assembled formula by formula in Python. The goal (issue 14): >= 10,000 compositions/s on one core.

Each configuration runs in its own process (XLA's thread count is fixed when JAX starts); the
configurations alternate, ``--repeats`` times, and the median is printed.

    python benchmarks/bench_stoichiometry.py [--steps 400] [--repeats 2]
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


def _data(n_train: int, n_validation: int):
    from howbig.data.sources import load_composition_table
    from howbig.methods.stoichiometry import stoichiometry_set

    t = load_composition_table("mp_ef").sample(n_train + n_validation, random_state=0)
    s = stoichiometry_set(t["key"], t["target"])
    import numpy as np

    return s.subset(np.arange(n_train)), s.subset(np.arange(n_train, n_train + n_validation))


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


def _worker(mode: str, steps: int) -> dict:
    import jax
    import numpy as np
    import optax

    from howbig.methods.models.roost import roost
    from howbig.methods.stoichiometry_training import adam_step, train_stoichiometry
    from howbig.methods.training import TrainConfig

    train, validation = _data(20_000, 2_000)
    model = roost(width=64, mp_steps=3)
    if mode == "tight":
        config = TrainConfig(learning_rate=1e-3, batch_size=256, max_steps=steps, eval_every=200,
                             patience=None, loss="mae", progress=False)
        warm = TrainConfig(**{**config.__dict__, "max_steps": 200})
        train_stoichiometry(model, train, validation, warm)  # compiles step and predictions
        result = train_stoichiometry(model, train, validation, config)
        return {"compositions_per_s": steps * 256 / result.seconds}
    step = adam_step(model, "mae")
    rng = np.random.default_rng(0)
    first = _naive_batch(train, np.arange(256), 256)
    params = model.init(jax.random.PRNGKey(0), first)
    opt_state = optax.scale_by_adam().init(params)
    params, opt_state, loss = step(params, opt_state, first, np.float32(1e-3))
    loss.block_until_ready()
    start = time.perf_counter()
    for _ in range(steps):
        batch = _naive_batch(train, rng.choice(len(train), 256, replace=False), 256)
        params, opt_state, loss = step(params, opt_state, batch, np.float32(1e-3))
    loss.block_until_ready()
    return {"compositions_per_s": steps * 256 / (time.perf_counter() - start)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--naive-steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", choices=["tight", "naive"])
    args = parser.parse_args(argv)
    if args.worker:
        steps = args.steps if args.worker == "tight" else args.naive_steps
        print(json.dumps(_worker(args.worker, steps)))
        return
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeats):
        for threads in ("one thread", "all cores"):
            for mode in ("tight", "naive"):
                env = dict(os.environ)
                if threads == "one thread":
                    env["XLA_FLAGS"] = ONE_THREAD
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", mode, "--steps", str(args.steps),
                     "--naive-steps", str(args.naive_steps)],
                    env=env, capture_output=True, text=True, check=True)
                value = json.loads(out.stdout.strip().splitlines()[-1])["compositions_per_s"]
                results.setdefault((threads, mode), []).append(value)
    print(f"# stoichiometry model, batch 256, width 64, 3 steps; {os.cpu_count()} cores visible; "
          f"load average {os.getloadavg()[0]:.1f} (timings on a busy machine are lower bounds)")
    for threads, tag in (("one thread", "one_thread"), ("all cores", "all_cores")):
        tight = statistics.median(results[(threads, "tight")])
        naive = statistics.median(results[(threads, "naive")])
        print(f"stoichiometry_training_loop_{tag}: {tight:.0f} compositions/s")
        print(f"stoichiometry_naive_padded_{tag}: {naive:.0f} compositions/s")
        print(f"stoichiometry_speedup_over_naive_{tag}: {tight / naive:.1f} x")
    print("# goal: >= 10,000 compositions/s through the training loop on one thread")


if __name__ == "__main__":
    main()
