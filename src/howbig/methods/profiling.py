"""Step profiler: time batching and the jitted gradient step separately, on any JAX device.

The step timed is the training step of :mod:`howbig.methods.training` (:func:`train_step`, the
same compiled function :func:`howbig.methods.training.train` runs), initialised by the same
jitted model + optimizer initialisation, so the profile measures what a training run does.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jax
import jraph
import numpy as np

from howbig.methods.allocator import keep_large_blocks_in_heap
from howbig.methods.graphs import PaddedBatcher
from howbig.methods.models.mpeu import mpeu
from howbig.methods.models.schnet import schnet
from howbig.methods.training import train_init, train_step

__all__ = ["StepProfile", "device_name", "profile_models", "profile_steps"]


def device_name(device: Any = None) -> str:
    """A readable name of a JAX device (default: JAX's default device), e.g. the GPU model."""
    dev = device if device is not None else jax.devices()[0]
    if dev.platform == "cpu":
        return f"CPU ({os.cpu_count()} cores visible), JAX {jax.__version__}"
    kind = getattr(dev, "device_kind", dev.platform)
    return f"{kind} ({dev.platform}), JAX {jax.__version__}"


@dataclass(frozen=True)
class StepProfile:
    """Median times of one training step, split into batching and gradient step.

    Attributes
    ----------
    model
        Label of the model profiled.
    device
        Name of the JAX device (:func:`device_name`).
    batch_size
        Graphs per batch.
    batch_seconds, step_seconds
        Median time to build one padded batch / of one jitted gradient step.
    batch_iqr, step_iqr
        Interquartile ranges of the same samples, seconds.
    n_samples
        Timed steps (after warm-up).
    n_parameters
        Trainable parameters of the model.
    """

    model: str
    device: str
    batch_size: int
    batch_seconds: float
    step_seconds: float
    batch_iqr: float
    step_iqr: float
    n_samples: int
    n_parameters: int

    @property
    def seconds_per_step(self) -> float:
        """Batching + gradient step."""
        return self.batch_seconds + self.step_seconds


def _iqr(x: np.ndarray) -> float:
    q1, q3 = np.percentile(x, [25, 75])
    return float(q3 - q1)


def profile_steps(
    model: Any,
    batches: Callable[[], Iterator[jraph.GraphsTuple]],
    *,
    label: str,
    batch_size: int,
    n_steps: int = 50,
    warmup: int = 5,
    learning_rate: float = 5e-4,
    seed: int = 0,
    device: Any = None,
) -> StepProfile:
    """Time batching and jitted gradient steps of ``model`` separately.

    Parameters
    ----------
    model
        A ``hk.Transformed`` mapping a ``jraph.GraphsTuple`` to one prediction per graph.
    batches
        Zero-argument callable returning a fresh iterator of padded ``GraphsTuple`` batches
        with the targets in ``globals`` (e.g. ``lambda: batcher.epoch(shuffle=True)``); it is
        restarted when exhausted.
    label
        Name of the model in the returned profile.
    batch_size
        Graphs per batch (recorded only).
    n_steps, warmup
        Timed steps and untimed warm-up steps (the warm-up absorbs jit compilation for every
        padding shape the batcher produces).
    learning_rate
        Adam learning rate of the timed steps (the value does not affect timing).
    seed
        PRNG seed of the parameter initialisation.
    device
        A ``jax.Device`` to run on (default: JAX's default device).

    Returns
    -------
    StepProfile
        Medians over ``n_steps`` samples. Batching time is the wall time of ``next(iterator)``;
        step time is the wall time of :func:`howbig.methods.training.train_step` with
        ``jax.block_until_ready`` on the new parameters, so asynchronous dispatch does not hide
        device time.
    """
    keep_large_blocks_in_heap()  # as train() does: the step timed is the step trained
    context = jax.default_device(device) if device is not None else contextlib.nullcontext()
    with context:
        iterator = batches()

        def next_batch() -> jraph.GraphsTuple:
            nonlocal iterator
            try:
                return next(iterator)
            except StopIteration:
                iterator = batches()
                return next(iterator)

        first = next_batch()
        params, opt_state = train_init(model)(np.int32(seed), first)
        n_parameters = int(sum(np.size(x) for x in jax.tree_util.tree_leaves(params)))
        step = train_step(model, "mse", donate=True)  # as train() runs it
        lr = np.float32(learning_rate)
        batch_times: list[float] = []
        step_times: list[float] = []
        for i in range(warmup + n_steps):
            t0 = time.perf_counter()
            graphs = next_batch()
            t1 = time.perf_counter()
            params, opt_state, loss = step(params, opt_state, graphs, lr)
            jax.block_until_ready((params, loss))
            t2 = time.perf_counter()
            if i >= warmup:
                batch_times.append(t1 - t0)
                step_times.append(t2 - t1)
    b, s = np.asarray(batch_times), np.asarray(step_times)
    return StepProfile(model=label, device=device_name(device), batch_size=int(batch_size),
                       batch_seconds=float(np.median(b)), step_seconds=float(np.median(s)),
                       batch_iqr=_iqr(b), step_iqr=_iqr(s), n_samples=int(n_steps),
                       n_parameters=n_parameters)


def profile_models(
    graphs: Any,
    *,
    batch_size: int = 32,
    latent_size: int = 64,
    mp_steps: int = 3,
    n_steps: int = 50,
    warmup: int = 5,
    seed: int = 0,
    n_species: int = 100,
    also_cpu: bool = True,
) -> list[StepProfile]:
    """Profile SchNet and MPEU of the same width and depth on one dataset.

    Parameters
    ----------
    graphs
        A :class:`howbig.methods.graphs.GraphSet`; batches come from a shuffling
        :class:`howbig.methods.graphs.PaddedBatcher` over it (the batching time is the time of that
        batcher's ``next``).
    batch_size, latent_size, mp_steps
        The paper's SchNet setting by default: batch 32, latent 64, three interaction blocks.
    n_steps, warmup, seed
        See :func:`profile_steps`.
    n_species
        Embedding size (atomic numbers must be smaller).
    also_cpu
        When JAX's default device is an accelerator, profile both models on the CPU too (so
        that both sides of a GPU / CPU comparison are measured).

    Returns
    -------
    list of StepProfile
        SchNet and MPEU on the default device, then (accelerator present and ``also_cpu``) the
        same on the CPU.
    """
    batcher = PaddedBatcher(graphs, batch_size, seed=seed)
    models = {"SchNet": schnet(latent_size=latent_size, interactions=mp_steps,
                               n_species=n_species),
              "MPEU": mpeu(latent_size=latent_size, mp_steps=mp_steps, n_species=n_species)}
    devices: list[Any] = [None]
    if also_cpu and jax.devices()[0].platform != "cpu":
        devices.append(jax.devices("cpu")[0])
    return [profile_steps(model, lambda: batcher.epoch(shuffle=True), label=name,
                          batch_size=batch_size, n_steps=n_steps, warmup=warmup, seed=seed,
                          device=device)
            for device in devices for name, model in models.items()]
