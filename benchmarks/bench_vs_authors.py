"""Side by side with the paper authors' own code (tisabe/jraph_MPEU): same function, then speed.

One command::

    python benchmarks/bench_vs_authors.py [--authors-dir DIR] [--latent 64 256]

takes their code from ``DIR`` (an unpacked checkout) or downloads the archive of the pinned
commit into the data cache (their repository has no licence: it is never copied into this
project); it needs their one extra dependency, ``ml_collections`` (``pip install -e
'.[authors]'``). On the MP-20 sample (847 crystals, formation energy per atom, k = 12) it

1. checks that both MPEU models compute the same function: their randomly initialised weights
   are copied into ours, and predictions and gradients of the loss are compared on one batch;
2. builds the k-NN graphs of every structure with both codes, interleaved structure by
   structure, compares the neighbour distances, and prints the time per structure and the ratio;
3. runs each project's own training loop in a steady state, the way each project runs it:
   theirs is the body of their ``train_and_evaluate`` (``DataReader`` with their dynamic
   batching, ``CheckpointingUpdater.update``, the NaN check, ``Evaluater.update``), with the
   reader, updater and evaluator created once; ours is :func:`howbig.methods.training.train`
   (its own batching with 3 padded shapes), whose loop time excludes its setup. Both evaluate
   at ``--eval-every`` (default: the authors' configured 50,000 steps, i.e. never within the
   timed window); each side's setup is timed apart. Rounds of ``--steps`` steps alternate in
   one process so that both sides see the same machine load; it prints graphs per second in
   CPU and wall time and the ratio;
4. times both gradient steps on one identical padded batch (batching out of the picture).

Both sides run on one CPU thread (``--threads 1``), the setting of the paper's CPU figures.
Prints ``name: value unit`` lines; exits 0 whatever the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--authors-dir", help="unpacked tisabe/jraph_MPEU checkout (else download)")
    p.add_argument("--cache", help="where a download goes (default: $HOWBIG_DATA_DIR)")
    p.add_argument("--latent", type=int, nargs="+", default=[64, 256])
    p.add_argument("--steps", type=int, default=100, help="gradient steps per timed round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    p.add_argument("--eval-every", type=int, default=50_000,
                   help="evaluation cadence of both loops (the authors' default.py: 50,000)")
    p.add_argument("--threads", type=int, default=1, help="XLA CPU threads (0: default)")
    return p.parse_args(argv)


def _set_threads(threads: int) -> None:
    if threads > 0:  # before jax is imported
        multi = "false" if threads == 1 else "true"
        os.environ["XLA_FLAGS"] = (f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_"
                                   f"eigen={multi} intra_op_parallelism_threads={threads}")
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from howbig.methods.allocator import keep_large_blocks_in_heap

    # first thing, before JAX starts XLA's threads; process-wide, so the authors' loop runs
    # with it too (see howbig.methods.allocator)
    heap = keep_large_blocks_in_heap()
    _set_threads(args.threads)
    import _authors as authors
    import haiku as hk
    import jax
    import numpy as np

    from howbig.data.sources import load_mp20_sample
    from howbig.methods.graphs import GraphSet, PaddedBatcher
    from howbig.methods.models.mpeu import mpeu
    from howbig.methods.neighbours import knn_edges
    from howbig.methods.training import TrainConfig, masked_loss, train

    print(f"allocator: large blocks kept in the heap for both sides: {heap} (see "
          "howbig.methods.allocator)")
    root = authors.locate(args.authors_dir, args.cache)
    mods = authors.import_modules(root)
    print(f"authors_code: {root} (commit {authors.COMMIT[:7]})")
    print(f"load_average_1min: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores; shared machine "
          "if above the core count)")
    table = load_mp20_sample()
    structures = list(table["atoms"])
    targets = table["formation_energy_per_atom"].to_numpy()

    # --- k-NN graphs, interleaved structure by structure --------------------------------------
    t_ours = t_theirs = 0.0
    ours_edges, max_diff = [], 0.0
    for atoms in structures:  # CPU time: the fair clock on a shared machine (one thread each)
        t0 = time.process_time()
        theirs = mods["input_pipeline"].get_graph_knearest(atoms.copy(), 12)
        t1 = time.process_time()
        mine = knn_edges(atoms, 12)
        t2 = time.process_time()
        t_theirs += t1 - t0
        t_ours += t2 - t1
        ours_edges.append(mine)
        # neighbour distances per receiver, sorted, must agree
        d_theirs = np.linalg.norm(theirs[2], axis=1)
        for i in range(len(atoms)):
            a = np.sort(d_theirs[theirs[4] == i])
            b = np.sort(mine[2][mine[1] == i])
            max_diff = max(max_diff, float(np.abs(a - b).max()))
    n = len(structures)
    print(f"knn_structures: {n}")
    print(f"knn_max_distance_difference: {max_diff:.2g} Å (float32 vs float64)")
    print(f"knn_authors: {1e3 * t_theirs / n:.2f} ms/structure (CPU time)")
    print(f"knn_howbig: {1e3 * t_ours / n:.2f} ms/structure (CPU time)")
    print(f"knn_speedup: {t_theirs / t_ours:.1f} x (goal >= 2)")

    graphs = GraphSet(
        np.concatenate([a.get_atomic_numbers() for a in structures]),
        np.concatenate([e[0] for e in ours_edges]), np.concatenate([e[1] for e in ours_edges]),
        np.concatenate([e[2] for e in ours_edges]), [len(a) for a in structures],
        [len(e[0]) for e in ours_edges], targets)
    split = np.random.default_rng(0).permutation(n)
    n_train = int(0.9 * n)
    train_set, val_set = graphs.subset(split[:n_train]), graphs.subset(split[n_train:])
    mean, std = float(train_set.targets.mean()), float(train_set.targets.std())
    scaled = (targets - mean) / std
    their_all = authors.their_graphs(mods, structures, scaled)
    their_train = [their_all[i] for i in split[:n_train]]
    their_val = [their_all[i] for i in split[n_train:]]

    for latent in args.latent:
        _compare(latent, args, mods, authors, graphs, train_set, val_set, their_train,
                 their_val, jax, hk, np, PaddedBatcher, mpeu, masked_loss, TrainConfig, train)
    return 0


def _compare(latent, args, mods, authors, graphs, train_set, val_set, their_train, their_val,
             jax, hk, np, PaddedBatcher, mpeu, masked_loss, TrainConfig, train) -> None:
    # --- same function ----------------------------------------------------------------------
    cfg = authors.config(mods, latent, eval_every=args.eval_every)
    net = hk.transform_with_state(mods["create_model"](cfg, is_training=True))
    batch = PaddedBatcher(graphs, 32).batch(np.arange(32))
    their_batch = authors.as_their_batch(batch)
    their_params, hk_state = net.init(jax.random.PRNGKey(0), their_batch)
    ours = authors.to_ours(their_params, 3)
    model = mpeu(latent, 3)
    mask = np.asarray(batch.n_node > 0)[:32]
    pred_t = np.asarray(net.apply(their_params, hk_state, jax.random.PRNGKey(1),
                                  their_batch)[0].globals[:32, 0])
    pred_o = np.asarray(model.apply(ours, batch))[:32]
    loss_t = mods["train"].loss_fn_mse
    g_t = jax.grad(lambda p: loss_t(p, {"hk_state": hk_state}, jax.random.PRNGKey(1),
                                    their_batch, net.apply)[0])(their_params)
    g_o = jax.grad(lambda p: masked_loss(model, p, batch))(ours)
    g_t = authors.to_ours(g_t, 3)
    grad_rel = max(float(np.abs(np.asarray(g_o[k]["w"]) - np.asarray(g_t[k]["w"])).max()
                         / (np.abs(np.asarray(g_t[k]["w"])).max() + 1e-30)) for k in g_o)
    n_params = sum(np.size(x) for x in jax.tree_util.tree_leaves(their_params))
    scale = float(np.abs(pred_t[mask]).max())
    print(f"latent{latent}_parameters: {n_params} (both)")
    print(f"latent{latent}_prediction_max_difference: "
          f"{float(np.abs(pred_t - pred_o)[mask].max()):.2g} (predictions up to {scale:.2g})")
    print(f"latent{latent}_gradient_max_relative_difference: {grad_rel:.2g} (per layer, "
          "relative to its largest entry; float32)")
    same = bool(np.abs(pred_t - pred_o)[mask].max() < 1e-5 * max(scale, 1.0) and grad_rel < 1e-3)
    print(f"latent{latent}_same_function: {same}")

    # --- each project's own training loop, in a steady state ----------------------------------
    _loops(latent, args, mods, net, loss_t, cfg, model, train_set, val_set, their_train,
           their_val, jax, np, mpeu, TrainConfig, train)
    _same_batch_steps(latent, args, mods, net, loss_t, cfg, model, batch, their_batch, jax, np)


def _loops(latent, args, mods, net, loss_t, cfg, model, train_set, val_set, their_train,
           their_val, jax, np, mpeu, TrainConfig, train) -> None:
    """Each project's loop the way it runs: reader, updater and evaluator created once (setup,
    timed apart), evaluation at ``--eval-every`` on both sides (default: the authors' configured
    50,000 steps, so never inside the timed window), rounds of ``--steps`` steps alternating."""
    import tempfile

    workdir = tempfile.mkdtemp(prefix="authors_ckpt_")
    net_eval = hk_transform(mods, cfg)
    t0, c0 = time.perf_counter(), time.process_time()
    reader = mods["input_pipeline"].DataReader(their_train, 32, repeat=True, seed=42)
    updater = mods["train"].CheckpointingUpdater(
        mods["train"].Updater(net, loss_t, mods["train"].create_optimizer(cfg)), workdir,
        10**9, 1)
    state = updater.init(jax.random.PRNGKey(42), next(reader))
    evaluater = mods["train"].Evaluater(net_eval, loss_t, workdir, 10**9, args.eval_every,
                                        10**9, 32)
    evaluater.init_loss_lists(["validation"])
    setup = {"authors": (time.perf_counter() - t0, time.process_time() - c0)}
    datasets = {"validation": their_val}

    def authors_round(steps: int) -> tuple[int, float]:
        """Their train_and_evaluate loop body; returns real graphs and wall seconds."""
        nonlocal state
        real, t0 = 0, time.perf_counter()
        for _ in range(steps):
            graphs = next(reader)
            real += int(np.count_nonzero(graphs.n_node)) - 1  # minus the padding graph
            state, metrics = updater.update(state, graphs)
            if np.isnan(metrics["loss"]):
                break
            evaluater.update(state, datasets, ["validation"])
        jax.block_until_ready(state["params"])
        return real, time.perf_counter() - t0

    config = TrainConfig(max_steps=args.steps, eval_every=args.eval_every, patience=None,
                         progress=False, batch_size=32, seed=42, buckets=3)
    real_ours = _real_graphs(train_set, config, np)

    def our_round(steps: int) -> tuple[int, float]:
        """howbig's train(); its loop's own wall time (setup excluded: measured apart)."""
        return real_ours, train(model, train_set, val_set, config).seconds

    # warm-up: compilation of every padded shape on both sides (their dynamic batching makes
    # one shape; ours three)
    authors_round(2 * args.steps)
    train(model, train_set, val_set, TrainConfig(**{**config.__dict__, "max_steps": 300}))
    # setup of a howbig run (batchers, validation batches, initialisation): a run of no steps
    ours_setup = []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        train(model, train_set, val_set, TrainConfig(**{**config.__dict__, "max_steps": 0}))
        ours_setup.append((time.perf_counter() - t0, time.process_time() - c0))
    setup["howbig"] = tuple(float(np.median(x)) for x in zip(*ours_setup, strict=True))
    wall = {"authors": 0.0, "howbig": 0.0}
    cpu = {"authors": 0.0, "howbig": 0.0}
    counts = {"authors": 0, "howbig": 0}
    for _ in range(args.rounds):
        for name, loop in (("authors", authors_round), ("howbig", our_round)):
            c0 = time.process_time()
            real, seconds = loop(args.steps)
            spent_cpu = time.process_time() - c0
            if name == "howbig":  # CPU time of the run less that of its setup
                spent_cpu -= setup["howbig"][1]
            counts[name] += real
            wall[name] += seconds
            cpu[name] += spent_cpu
    for name in ("authors", "howbig"):
        print(f"latent{latent}_setup_{name}: {1e3 * setup[name][0]:.0f} ms wall, "
              f"{1e3 * setup[name][1]:.0f} ms CPU (once per run; not in the loop figures)")
    print(f"latent{latent}_loop_steps: {args.rounds} rounds x {args.steps} steps per side, "
          f"evaluation every {args.eval_every} steps on both sides")
    for clock, spent in (("cpu", cpu), ("wall", wall)):
        rate = {k: counts[k] / spent[k] for k in spent}
        for name in ("authors", "howbig"):
            print(f"latent{latent}_loop_{name}_{clock}: {rate[name]:.1f} graphs/s "
                  f"({spent[name] / (args.rounds * args.steps) * 1e3:.1f} ms/step)")
        print(f"latent{latent}_loop_speedup_{clock}: {rate['howbig'] / rate['authors']:.2f} x")


def _same_batch_steps(latent, args, mods, net, loss_t, cfg, model, batch, their_batch, jax,
                      np) -> None:
    """Both gradient steps on one identical padded batch (batching out of the picture)."""
    from howbig.methods.training import train_init, train_step

    updater = mods["train"].Updater(net, loss_t, mods["train"].create_optimizer(cfg))
    state = updater.init(jax.random.PRNGKey(0), their_batch)
    params, opt_state = train_init(model)(np.int32(0), batch)
    step, lr = train_step(model, "mse"), np.float32(1e-3)
    times: dict[str, list[float]] = {"authors": [], "howbig": []}
    for r in range(args.rounds + 1):  # the first round is the warm-up
        for name in ("authors", "howbig"):
            c0 = time.process_time()
            for _ in range(20):
                if name == "authors":
                    state, _ = updater.update(state, their_batch)
                else:
                    params, opt_state, _ = step(params, opt_state, batch, lr)
            jax.block_until_ready(state["params"] if name == "authors" else params)
            if r:
                times[name].append((time.process_time() - c0) / 20)
    t = {k: float(np.median(v)) for k, v in times.items()}
    print(f"latent{latent}_same_batch_step_authors_cpu: {1e3 * t['authors']:.1f} ms/step")
    print(f"latent{latent}_same_batch_step_howbig_cpu: {1e3 * t['howbig']:.1f} ms/step")
    print(f"latent{latent}_same_batch_step_ratio: {t['authors'] / t['howbig']:.2f} x")


def hk_transform(mods, cfg):
    """Their evaluation network (``is_training=False``)."""
    import haiku as hk

    return hk.transform_with_state(mods["create_model"](cfg, is_training=False))


def _real_graphs(train_set, config, np) -> int:
    """Real graphs in the first ``max_steps`` training batches of :func:`train` (its order)."""
    from howbig.methods.checkpoints import BatchStream
    from howbig.methods.graphs import PaddedBatcher

    stream = BatchStream(PaddedBatcher(train_set, config.batch_size, seed=config.seed,
                                       buckets=config.buckets))
    # train() draws its first batch for the initialisation and steps on it
    return sum(int(np.count_nonzero(next(stream).n_node)) - 1 for _ in range(config.max_steps))


if __name__ == "__main__":
    sys.exit(main())
