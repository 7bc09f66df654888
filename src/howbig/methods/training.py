"""Training graph networks: optax Adam with exponential decay, early stopping, metrics.

:func:`train` works for any haiku model with the contract of :mod:`howbig.methods.models` (a padded
:class:`jraph.GraphsTuple` in, one prediction per graph slot out). Targets are standardised
with the training set's mean and standard deviation inside :func:`train` (as the paper's code
does); the returned :class:`TrainResult` stores both, and :func:`predict` applied to a
:class:`TrainResult` returns predictions in the targets' units.

Determinism: the parameter initialisation and the batch order derive from ``TrainConfig.seed``;
on CPU two runs with the same seed give identical parameters.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import numpy as np
import optax

from howbig.methods.checkpoints import (
    BatchStream,
    load_checkpoint,
    read_state,
    save_checkpoint,
    write_state,
)
from howbig.methods.graphs import GraphSet, PaddedBatcher, graph_mask

__all__ = [
    "TrainConfig",
    "TrainResult",
    "load_checkpoint",
    "metrics",
    "predict",
    "save_checkpoint",
    "train",
    "train_init",
    "train_step",
]


@dataclass
class TrainConfig:
    """Hyperparameters of a training run.

    Attributes
    ----------
    learning_rate
        Initial Adam learning rate (the paper's MP run: 1e-4 with 10 million steps; larger for
        short runs).
    decay_rate, decay_steps
        Exponential decay: ``lr(step) = learning_rate * decay_rate ** (step / decay_steps)``
        (paper: 0.96 every 100,000 steps).
    batch_size
        Graphs per batch (paper: 32).
    max_steps
        Maximum number of gradient steps.
    eval_every
        Evaluate on the validation set every this many steps (and after the last step).
    patience
        Early stopping: stop when the validation loss has not improved for this many *steps*
        (the paper's ``early_stopping_steps``); ``None`` disables early stopping.
    seed
        Seed for the parameter initialisation and the batch order.
    loss
        ``"mse"`` (paper) or ``"mae"``; also the validation loss used for early stopping.
    standardize
        Train on ``(y - mean) / std`` of the training targets.
    checkpoint_path
        If set, the best state is also pickled there whenever it improves.
    checkpoint_dir, checkpoint_every
        If ``checkpoint_dir`` is set, the whole training state (parameters, optimizer state,
        step, position of the batch stream, best-so-far state, early-stopping bookkeeping) is
        written to ``checkpoint_dir/state.pkl`` every ``checkpoint_every`` steps and at the
        last step; a run started with a directory that holds a checkpoint resumes from it and
        ends with the same parameters as an uninterrupted run (with a larger ``max_steps`` it
        continues the run).
    buckets
        Padded batch shapes of the training batches (see
        :class:`howbig.methods.graphs.PaddedBatcher`); the step compiles once per shape.
        ``None``: 3 for runs of at least 1,000 steps, where the padding saved (about 15 % of
        a step) outweighs two more compilations, else 1.
    progress
        Show a tqdm progress bar.
    """

    learning_rate: float = 1e-3
    decay_rate: float = 0.96
    decay_steps: int = 1000
    batch_size: int = 32
    max_steps: int = 2000
    eval_every: int = 200
    patience: int | None = 1000
    seed: int = 0
    loss: str = "mse"
    standardize: bool = True
    checkpoint_path: str | None = None
    checkpoint_dir: str | None = None
    checkpoint_every: int = 1000
    buckets: int | None = None
    progress: bool = True


@dataclass
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    params
        Parameters of the best validation state (numpy arrays).
    target_mean, target_std
        Standardisation of the targets (0 and 1 when ``standardize=False``).
    history
        ``(step, train loss, validation loss)`` per evaluation; the train loss is the mean
        minibatch loss since the previous evaluation (standardised units), the validation loss
        is in the targets' units (MSE or MAE).
    best_step
        Step of the best state.
    best_val_mae, best_val_rmse
        Validation MAE and RMSE of the best state, in the targets' units.
    steps
        Gradient steps taken.
    seconds
        Wall time of the loop.
    n_compilations
        Number of times the training step was traced (each trace compiles once) during this
        run; compiled steps are cached per (model, loss), so a second run of the same model
        with batches of the same shape reports 0.
    stopped_early
        Whether early stopping ended the run.
    config
        The configuration, as a dict.
    """

    params: Any
    target_mean: float
    target_std: float
    history: list[tuple[int, float, float]] = field(default_factory=list)
    best_step: int = 0
    best_val_mae: float = math.nan
    best_val_rmse: float = math.nan
    steps: int = 0
    seconds: float = 0.0
    n_compilations: int = 0
    stopped_early: bool = False
    config: dict = field(default_factory=dict)


def metrics(y: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
    """Mean absolute error and root-mean-square error, in the units of ``y``.

    (Multiply by 1000 for meV/atom when ``y`` is in eV/atom.)
    """
    diff = np.asarray(yhat, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    if diff.size == 0:
        return {"mae": math.nan, "rmse": math.nan}
    return {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff**2)))}


class _LRU(OrderedDict):
    """A small least-recently-used cache of compiled functions (bounded: NAS makes many models)."""

    def __init__(self, size: int = 8) -> None:
        super().__init__()
        self.size = size

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_APPLY_CACHE = _LRU()
_INIT_CACHE = _LRU()
_STEP_CACHE = _LRU()


def _jitted_apply(model: hk.Transformed) -> Callable:
    return _APPLY_CACHE.get_or_make(model, lambda: jax.jit(model.apply))


def predict(
    model: hk.Transformed,
    params: Any,
    graphs: GraphSet,
    *,
    batch_size: int = 64,
    target_mean: float = 0.0,
    target_std: float = 1.0,
    batcher: PaddedBatcher | None = None,
) -> np.ndarray:
    """Predictions for every graph of ``graphs``, in dataset order.

    Parameters
    ----------
    model
        The haiku model.
    params
        Its parameters, or a :class:`TrainResult` (then its parameters and target
        standardisation are used, and predictions come out in the targets' units).
    graphs
        The dataset.
    batch_size
        Graphs per padded batch.
    target_mean, target_std
        Predictions are ``target_mean + target_std * model output`` (ignored for a TrainResult).
    batcher
        A batcher over ``graphs`` to reuse (and its compiled shapes).
    """
    if isinstance(params, TrainResult):
        target_mean, target_std, params = params.target_mean, params.target_std, params.params
    batcher = batcher or PaddedBatcher(graphs, batch_size)
    apply = _jitted_apply(model)
    out = []
    for batch in batcher.all():
        pred = np.asarray(apply(params, batch))
        out.append(pred[graph_mask(batch)])
    values = np.concatenate(out) if out else np.zeros(0, np.float32)
    return target_mean + target_std * values


def _loss_fn(kind: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    if kind == "mse":
        return jnp.square
    if kind == "mae":
        return jnp.abs
    raise ValueError(f"loss must be 'mse' or 'mae', not {kind!r}")


def masked_loss(model: hk.Transformed, params: Any, graphs: jraph.GraphsTuple,
                kind: str = "mse") -> jnp.ndarray:
    """Mean loss over the real graphs of a padded batch (padding contributes nothing).

    The targets are read from ``graphs.globals``.
    """
    pred = model.apply(params, graphs)
    mask = jraph.get_graph_padding_mask(graphs)
    err = _loss_fn(kind)(pred - graphs.globals)
    return jnp.sum(jnp.where(mask, err, 0.0)) / jnp.maximum(jnp.sum(mask), 1)


def train_init(model: hk.Transformed) -> Callable:
    """Jitted ``(seed, graphs) -> (params, Adam state)``: one compilation for both.

    (Initialising the optimizer outside jit costs one small XLA compilation per parameter
    shape, and creating the PRNG key outside jit one more.)
    """

    def init(seed, graphs):
        params = model.init(jax.random.PRNGKey(seed), graphs)
        return params, optax.scale_by_adam().init(params)

    return _INIT_CACHE.get_or_make(model, lambda: jax.jit(init))


def train_step(model: hk.Transformed, loss: str = "mse") -> tuple[Callable, list[int]]:
    """Jitted Adam step ``(params, state, graphs, lr) -> (params, state, loss)``, cached.

    The one training step of the package (:func:`train` and the step profiler of
    :mod:`howbig.methods.profiling` use it). The learning rate is an argument (not a constant)
    so that runs with other learning-rate schedules reuse the compiled step; ``counter[0]``
    counts traces (= compilations).
    """

    def make() -> tuple[Callable, list[int]]:
        adam = optax.scale_by_adam()
        counter = [0]

        def step_fn(params, opt_state, graphs, lr):
            counter[0] += 1  # Python side effect: runs once per trace
            value, grads = jax.value_and_grad(masked_loss, argnums=1)(model, params, graphs, loss)
            updates, opt_state = adam.update(grads, opt_state, params)
            updates = jax.tree_util.tree_map(lambda u: -lr * u, updates)
            return optax.apply_updates(params, updates), opt_state, value

        return jax.jit(step_fn), counter

    return _STEP_CACHE.get_or_make((model, loss), make)


# Configuration fields that change the trajectory: a checkpoint resumes only a run that agrees.
_RESUME_FIELDS = ("learning_rate", "decay_rate", "decay_steps", "batch_size", "eval_every",
                  "patience", "seed", "loss", "standardize", "buckets")


def train(
    model: hk.Transformed,
    train: GraphSet,
    validation: GraphSet,
    config: TrainConfig | None = None,
    *,
    on_evaluation: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``train`` with early stopping on ``validation``.

    Parameters
    ----------
    model
        Any haiku model with the :mod:`howbig.methods.models` contract.
    train, validation
        Datasets (targets in their natural units, e.g. eV/atom).
    config
        Hyperparameters; defaults to :class:`TrainConfig()`. With ``checkpoint_dir`` set, the
        run resumes from the checkpoint found there.
    on_evaluation
        Called as ``on_evaluation(step, val_rmse)`` (targets' units) after every evaluation. It
        may raise (e.g. ``optuna.TrialPruned``) to stop the run; the exception propagates.

    Returns
    -------
    TrainResult
        The best state (lowest validation loss) and the history.
    """
    from tqdm.auto import tqdm

    config = config or TrainConfig()
    if len(train) == 0 or len(validation) == 0:
        raise ValueError("train: the training and validation sets must not be empty")
    if config.standardize:
        mean = float(np.mean(train.targets))
        std = float(np.std(train.targets)) or 1.0
    else:
        mean, std = 0.0, 1.0
    scaled = train.with_targets((train.targets - mean) / std)
    saved = read_state(config.checkpoint_dir, asdict(config), _RESUME_FIELDS)
    # a resumed run keeps the padded shapes it started with (no new compilations, same sums)
    buckets = (saved["buckets"] if saved else
               config.buckets or (3 if config.max_steps >= 1000 else 1))
    batcher = PaddedBatcher(scaled, config.batch_size, seed=config.seed, buckets=buckets)
    # one shape for evaluation (one compilation), four times the batch: fewer calls
    val_batcher = PaddedBatcher(validation, 4 * config.batch_size)
    batches = BatchStream(batcher)
    step_jit, traces = train_step(model, config.loss)
    traces_before = traces[0]
    pending = None
    if saved is None:
        pending = next(batches)
        params, opt_state = train_init(model)(np.int32(config.seed), pending)
        result = TrainResult(params=jax.device_get(params), target_mean=mean, target_std=std,
                             config=asdict(config))
        step, best_loss, running = 0, math.inf, []
    else:
        batches.restore(saved["batches"])
        params, opt_state, step = saved["params"], saved["opt_state"], saved["step"]
        best_loss, running = saved["best_loss"], list(saved["running"])
        result = TrainResult(**{**saved["result"], "config": asdict(config)})
    start = time.perf_counter()
    bar = tqdm(total=config.max_steps, initial=step, desc="training",
               disable=not config.progress)
    last_eval = result.history[-1][0] if result.history else 0

    def evaluate() -> bool:
        """Evaluate at ``step``; True when early stopping ends the run."""
        nonlocal best_loss, running, last_eval
        yhat = predict(model, params, validation, target_mean=mean, target_std=std,
                       batcher=val_batcher)
        m = metrics(validation.targets, yhat)
        val_loss = m["rmse"] ** 2 if config.loss == "mse" else m["mae"]
        train_loss = float(np.mean(jax.device_get(running))) if running else math.nan
        running, last_eval = [], step
        result.history.append((step, train_loss, val_loss))
        if val_loss < best_loss:
            best_loss = val_loss
            result.params = jax.device_get(params)
            result.best_step = step
            result.best_val_mae, result.best_val_rmse = m["mae"], m["rmse"]
            if config.checkpoint_path:
                save_checkpoint(config.checkpoint_path, result)
        bar.set_postfix(val_mae=f"{m['mae']:.4g}", best=f"{result.best_val_mae:.4g}")
        if on_evaluation is not None:
            on_evaluation(step, m["rmse"])
        return config.patience is not None and step - result.best_step >= config.patience

    try:
        while step < config.max_steps and not result.stopped_early:
            graphs = pending if pending is not None else next(batches)
            pending = None
            # optax.exponential_decay, evaluated on the host (a traced argument, no recompiling)
            lr = np.float32(config.learning_rate
                            * config.decay_rate ** (step / config.decay_steps))
            params, opt_state, loss = step_jit(params, opt_state, graphs, lr)
            running.append(loss)
            step += 1
            bar.update(1)
            if step % config.eval_every == 0:
                result.stopped_early = evaluate()
            if config.checkpoint_dir and (step % config.checkpoint_every == 0
                                          or step == config.max_steps or result.stopped_early):
                write_state(config.checkpoint_dir, params=params, opt_state=opt_state, step=step,
                            batches=batches.state(), buckets=buckets, best_loss=best_loss,
                            running=running, result=asdict(result))
        if last_eval != step and not result.stopped_early:
            # the last step is always evaluated; after the checkpoint, which thus holds the
            # same state as a longer run's at this step
            result.stopped_early = evaluate()
    finally:
        bar.close()
        result.steps = step
        result.seconds = time.perf_counter() - start
        result.n_compilations = traces[0] - traces_before
    return result
