"""The one training stack: masked loss, Adam step and :func:`train`, for every model of the book.

:func:`train` fits any haiku model with the contract of :mod:`howbig.methods.models` (a padded
:class:`jraph.GraphsTuple` in, one prediction per graph slot out) on a
:class:`howbig.methods.graphs.GraphData` (crystal graphs, stoichiometry graphs), batched by
:class:`howbig.methods.graphs.PaddedBatcher`, and a dense network on a
:class:`howbig.methods.arrays.ArraySet` (batched by :class:`howbig.methods.arrays.ArrayBatcher`).
Every model runs the same :func:`masked_loss` (MSE, MAE or binary cross-entropy over the real
rows of a padded batch) and the same Adam step (:func:`train_step`, optionally with decoupled
weight decay), the only place of the package that applies optimizer updates. The loop adds
learning-rate schedules, early stopping with a minimum improvement, checkpoints and resume,
fine-tuning from given parameters and a progress bar.

Targets are standardised with the training set's mean and standard deviation (as the paper's
code does); :class:`TrainResult` stores both, and :func:`predict` applied to a result returns
predictions in the targets' units. ``train`` applies the allocator setting of
:mod:`howbig.methods.allocator` (opt out with ``HOWBIG_MALLOC_DEFAULTS=1``).

Determinism: the initialisation and the batch order derive from ``TrainConfig.seed``; on CPU two
runs with the same seed give identical parameters.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import numpy as np
import optax
from tqdm.auto import tqdm

from howbig.methods.allocator import keep_large_blocks_in_heap
from howbig.methods.arrays import ArrayBatcher, ArraySet
from howbig.methods.checkpoints import BatchStream, read_state, save_checkpoint, write_state
from howbig.methods.graphs import GraphData, PaddedBatcher, graph_mask

__all__ = ["TrainConfig", "TrainResult", "batcher_for", "learning_rate", "masked_loss", "metrics",
           "predict", "train", "train_init", "train_step"]


@dataclass
class TrainConfig:
    """Hyperparameters of a training run.

    Attributes
    ----------
    learning_rate
        Initial Adam learning rate (the paper's MP run: 1e-4 with 10 million steps).
    schedule
        ``"exponential"``: ``learning_rate * decay_rate ** (step / decay_steps)`` (paper: 0.96
        every 100,000 steps); ``"cosine"``: from ``learning_rate`` down to ``alpha`` times it
        at ``decay_steps`` (``optax.cosine_decay_schedule``); ``"constant"``.
    decay_rate, decay_steps, alpha
        Parameters of the schedule.
    warmup
        Linear warm-up: the rate is multiplied by ``min(1, (step + 1) / warmup)``, and a cosine
        decay starts after the warm-up (reaching ``alpha`` at ``decay_steps``); 0: none.
    weight_decay
        Decoupled weight decay (AdamW); 0 is Adam.
    batch_size
        Graphs (rows) per batch (paper: 32).
    max_steps
        Maximum number of gradient steps.
    eval_every
        Evaluate on the validation set every this many steps (and after the last step).
    patience, min_improvement
        Early stopping: stop when the validation loss has not fallen by at least the fraction
        ``min_improvement`` below its last such progress for ``patience`` steps (the paper's
        ``early_stopping_steps``); ``None`` disables it. The best parameters are kept either way.
    seed
        Seed for the parameter initialisation and the batch order.
    loss
        ``"mse"`` (paper), ``"mae"``, or ``"bce"`` (targets 0/1, the model outputs a logit; the
        validation loss is the log loss and ``best_val_mae`` the error rate).
    standardize
        Train on ``(y - mean) / std`` of the training targets (not for ``"bce"``).
    checkpoint_path
        If set, the best state is also pickled there whenever it improves.
    checkpoint_dir, checkpoint_every
        If ``checkpoint_dir`` is set, the whole training state (parameters, optimizer state,
        step, position of the batch stream, best-so-far state, early-stopping bookkeeping) is
        written to ``checkpoint_dir/state.pkl`` every ``checkpoint_every`` steps and at the last
        step; a run started with a directory that holds a checkpoint resumes from it and ends
        with the same parameters as an uninterrupted run (a larger ``max_steps`` continues it).
    buckets
        Padded batch shapes of graph batches (:class:`PaddedBatcher`); the step compiles once per
        shape. ``None``: 3 for runs of at least 1,000 steps, where the padding saved outweighs two
        more compilations, else 1.
    progress, desc
        Show a tqdm progress bar, with this label. ``None``: tqdm's default, shown unless the
        environment sets ``TQDM_DISABLE=1`` (as the test suite does).
    """

    learning_rate: float = 1e-3
    schedule: str = "exponential"
    decay_rate: float = 0.96
    decay_steps: int = 1000
    alpha: float = 0.0
    warmup: int = 0
    weight_decay: float = 0.0
    batch_size: int = 32
    max_steps: int = 2000
    eval_every: int = 200
    patience: int | None = 1000
    min_improvement: float = 0.0
    seed: int = 0
    loss: str = "mse"
    standardize: bool = True
    checkpoint_path: str | None = None
    checkpoint_dir: str | None = None
    checkpoint_every: int = 1000
    buckets: int | None = None
    progress: bool | None = None
    desc: str = "training"


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
        ``(step, train loss, validation loss)`` per evaluation: the mean minibatch loss since
        the previous evaluation (standardised units) and the validation loss in the targets'
        units (MSE, MAE or log loss; NaN without a validation set).
    best_step
        Step of the best state.
    best_val_mae, best_val_rmse
        Validation MAE and RMSE of the best state in the targets' units (error rate for bce).
    steps, seconds
        Gradient steps taken and the wall time of the loop.
    n_compilations
        Compilations of the training step during this run (one per new batch shape; compiled
        steps are cached per model, loss and weight decay, so a rerun reports 0).
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
    """Mean absolute error and root-mean-square error, in the units of ``y``."""
    diff = np.asarray(yhat, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    if diff.size == 0:
        return {"mae": math.nan, "rmse": math.nan}
    return {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff**2)))}


def learning_rate(config: TrainConfig, step: int) -> np.float32:
    """The schedule's learning rate at ``step`` (0 for the first step), computed on the host."""
    lr = config.learning_rate
    if config.schedule == "exponential":
        lr *= config.decay_rate ** (step / config.decay_steps)
    elif config.schedule == "cosine":
        span = max(config.decay_steps - config.warmup, 1)
        x = min(max(step - config.warmup, 0), span) / span
        lr *= (1.0 - config.alpha) * 0.5 * (1.0 + math.cos(math.pi * x)) + config.alpha
    elif config.schedule != "constant":
        raise ValueError(f"unknown schedule {config.schedule!r}")
    if config.warmup:
        lr *= min(1.0, (step + 1) / config.warmup)
    return np.float32(lr)


def batcher_for(data: GraphData | ArraySet, batch_size: int, *, seed: int = 0,
                buckets: int = 1) -> PaddedBatcher | ArrayBatcher:
    """The batcher of a data set: padded graphs, or dense rows."""
    if isinstance(data, ArraySet):
        return ArrayBatcher(data, batch_size, seed=seed)
    return PaddedBatcher(data, batch_size, seed=seed, buckets=buckets)


def _parts(batch: Any) -> tuple[Any, Any, Any]:
    """Model input, targets and mask of the real rows of a batch (graphs or dense rows)."""
    if isinstance(batch, jraph.GraphsTuple):
        return batch, batch.globals, jraph.get_graph_padding_mask(batch)
    return batch.x, batch.y, batch.mask


def _real(batch: Any) -> np.ndarray:
    return graph_mask(batch) if isinstance(batch, jraph.GraphsTuple) else np.asarray(batch.mask)


def masked_loss(model: hk.Transformed, params: Any, batch: Any, kind: str = "mse") -> jnp.ndarray:
    """Mean loss over the real rows (graphs) of a padded batch; padding contributes nothing."""
    inputs, y, mask = _parts(batch)
    out = model.apply(params, inputs)
    if kind == "mse":
        err = jnp.square(out - y)
    elif kind == "mae":
        err = jnp.abs(out - y)
    elif kind == "bce":
        err = optax.sigmoid_binary_cross_entropy(out, y)
    else:
        raise ValueError(f"loss must be 'mse', 'mae' or 'bce', not {kind!r}")
    return jnp.sum(jnp.where(mask, err, 0.0)) / jnp.maximum(jnp.sum(mask), 1)


@lru_cache(maxsize=16)  # bounded: NAS makes many models
def train_init(model: hk.Transformed):
    """Jitted ``(seed, batch) -> (params, Adam state)``: one compilation for both."""

    def init(seed, batch):
        params = model.init(jax.random.PRNGKey(seed), _parts(batch)[0])
        return params, optax.scale_by_adam().init(params)

    return jax.jit(init)


@lru_cache(maxsize=16)
def train_step(model: hk.Transformed, loss: str = "mse", weight_decay: float = 0.0,
               donate: bool = False):
    """Jitted Adam step ``(params, state, batch, lr) -> (params, state, loss)``, cached.

    The one optimizer update of the package: ``optax.adam`` (``optax.adamw`` with
    ``weight_decay``) with the learning rate as an argument, so that a schedule evaluated on the
    host reuses the compiled step. :func:`train` and :mod:`howbig.methods.profiling` run it with
    ``donate=True``: the input parameters and optimizer state are then given to XLA for the
    outputs (no new buffers every step) and must not be used again by the caller.
    """
    adam = optax.scale_by_adam()

    def step(params, opt_state, batch, lr):
        value, grads = jax.value_and_grad(masked_loss, argnums=1)(model, params, batch, loss)
        updates, opt_state = adam.update(grads, opt_state, params)
        if weight_decay:
            updates = jax.tree_util.tree_map(lambda u, p: u + weight_decay * p, updates, params)
        updates = jax.tree_util.tree_map(lambda u: -lr * u, updates)
        return optax.apply_updates(params, updates), opt_state, value

    return jax.jit(step, donate_argnums=(0, 1) if donate else ())


def _host(tree: Any) -> Any:
    """A numpy copy (never a view: the step may reuse the device buffers it was given)."""
    return jax.tree_util.tree_map(np.array, tree)


@lru_cache(maxsize=16)
def _apply(model: hk.Transformed):
    return jax.jit(model.apply)


def _outputs(model: hk.Transformed, params: Any, batches: list) -> np.ndarray:
    """Raw model outputs of the real rows of ``batches`` (prepared ``(batch, mask)`` pairs)."""
    apply = _apply(model)
    outs = [np.asarray(apply(params, _parts(b)[0]))[mask] for b, mask in batches]
    return np.concatenate(outs) if outs else np.zeros(0, np.float32)


def predict(model: hk.Transformed, params: Any, data: GraphData | ArraySet, *,
            batch_size: int = 256, target_mean: float = 0.0, target_std: float = 1.0,
            batcher: PaddedBatcher | ArrayBatcher | None = None) -> np.ndarray:
    """Predictions for every graph (row) of ``data``, in dataset order.

    Parameters
    ----------
    model
        The haiku model.
    params
        Its parameters, or a :class:`TrainResult`: then its parameters and standardisation are
        used and predictions come out in the targets' units (probabilities for a ``"bce"`` run).
    data
        Graphs (any :class:`GraphData`) or dense rows (:class:`ArraySet`).
    batch_size
        Graphs per padded batch.
    target_mean, target_std
        Predictions are ``target_mean + target_std * model output`` (ignored for a result).
    batcher
        A batcher over ``data`` to reuse (and its compiled shapes).
    """
    classify = False
    if isinstance(params, TrainResult):
        classify = params.config.get("loss") == "bce"
        target_mean, target_std, params = params.target_mean, params.target_std, params.params
    batcher = batcher or batcher_for(data, batch_size)
    out = _outputs(model, params, [(b, _real(b)) for b in batcher.all()])
    if classify:
        return 1.0 / (1.0 + np.exp(-out))
    return target_mean + target_std * out


# Configuration fields that change the trajectory: a checkpoint resumes only a run that agrees.
_RESUME_FIELDS = ("learning_rate", "schedule", "decay_rate", "decay_steps", "alpha", "warmup",
                  "weight_decay", "batch_size", "eval_every", "patience", "min_improvement",
                  "seed", "loss", "standardize", "buckets")


def train(model: hk.Transformed, train: GraphData | ArraySet,
          validation: GraphData | ArraySet | None, config: TrainConfig | None = None, *,
          init_params: Any = None, on_evaluation: Any = None) -> TrainResult:
    """Train ``model`` on ``train`` with early stopping on ``validation``.

    Parameters
    ----------
    model
        Any haiku model with the :mod:`howbig.methods.models` contract (or a dense network for
        an :class:`ArraySet`).
    train, validation
        Datasets (targets in their natural units, e.g. eV/atom). Without a validation set the
        final parameters are returned.
    config
        Hyperparameters; defaults to :class:`TrainConfig()`. With ``checkpoint_dir`` set, the
        run resumes from the checkpoint found there.
    init_params
        Fine-tuning: start from these parameters instead of a fresh initialisation (a fresh
        optimizer state). A :class:`TrainResult` also brings its target standardisation, so the
        model's outputs keep their meaning.
    on_evaluation
        Called as ``on_evaluation(step, val_rmse)`` (targets' units) after every evaluation. It
        may raise (e.g. ``optuna.TrialPruned``) to stop the run; the exception propagates.

    Returns
    -------
    TrainResult
        The best state (lowest validation loss) and the history.
    """

    keep_large_blocks_in_heap()
    config = config or TrainConfig()
    if len(train) == 0 or (validation is not None and len(validation) == 0):
        raise ValueError("train: the training and validation sets must not be empty")
    classify = config.loss == "bce"
    mean, std = 0.0, 1.0
    if isinstance(init_params, TrainResult):
        mean, std, init_params = init_params.target_mean, init_params.target_std, \
            init_params.params
    elif config.standardize and not classify:
        mean, std = float(np.mean(train.targets)), float(np.std(train.targets)) or 1.0
    saved = read_state(config.checkpoint_dir, asdict(config), _RESUME_FIELDS)
    # a resumed run keeps the padded shapes it started with (no new compilations, same sums)
    buckets = (saved["buckets"] if saved else
               config.buckets or (3 if config.max_steps >= 1000 else 1))
    batches = BatchStream(batcher_for(train.with_targets((train.targets - mean) / std),
                                      config.batch_size, seed=config.seed, buckets=buckets))
    val_batches = [] if validation is None else [
        (b, _real(b)) for b in batcher_for(validation, 4 * config.batch_size).all()]
    step_jit = train_step(model, config.loss, float(config.weight_decay), donate=True)
    compiled_before = step_jit._cache_size()
    pending = None
    if saved is None:
        pending = next(batches)
        params, opt_state = train_init(model)(np.int32(config.seed), pending)
        if init_params is not None:
            params = jax.tree_util.tree_map(jnp.array, init_params)  # a copy: it is donated
            opt_state = optax.scale_by_adam().init(params)
        result = TrainResult(params=_host(params), target_mean=mean, target_std=std,
                             config=asdict(config))
        step, best_loss, running, progress = 0, math.inf, [], (math.inf, 0)
    else:
        batches.restore(saved["batches"])
        params, opt_state, step = saved["params"], saved["opt_state"], saved["step"]
        best_loss, running = saved["best_loss"], list(saved["running"])
        progress = tuple(saved["progress"])
        result = TrainResult(**{**saved["result"], "config": asdict(config)})
    start = time.perf_counter()
    shown = {} if config.progress is None else {"disable": not config.progress}
    bar = tqdm(total=config.max_steps, initial=step, desc=config.desc, leave=False, **shown)
    last_eval = result.history[-1][0] if result.history else 0

    def evaluate() -> bool:
        """Evaluate at ``step``; True when early stopping ends the run."""
        nonlocal best_loss, running, last_eval, progress
        train_loss = float(np.mean(jax.device_get(running))) if running else math.nan
        running, last_eval = [], step
        if validation is None:
            result.history.append((step, train_loss, math.nan))
            result.params, result.best_step = _host(params), step
            return False
        out, y = _outputs(model, params, val_batches), validation.targets
        if classify:
            val_loss = float(np.mean(np.logaddexp(0, out) - y * out))
            mae = rmse = float(np.mean((out > 0) != (y > 0.5)))
        else:
            m = metrics(y, mean + std * out)
            mae, rmse = m["mae"], m["rmse"]
            val_loss = rmse**2 if config.loss == "mse" else mae
        result.history.append((step, train_loss, val_loss))
        if val_loss < best_loss:
            best_loss = val_loss
            result.params = _host(params)
            result.best_step, result.best_val_mae, result.best_val_rmse = step, mae, rmse
            if config.checkpoint_path:
                save_checkpoint(config.checkpoint_path, result)
        if val_loss < (1.0 - config.min_improvement) * progress[0]:
            progress = (val_loss, step)
        bar.set_postfix(val=f"{val_loss:.4g}", best=f"{best_loss:.4g}")
        if on_evaluation is not None:
            on_evaluation(step, rmse)
        return config.patience is not None and step - progress[1] >= config.patience

    try:
        while step < config.max_steps and not result.stopped_early:
            batch = pending if pending is not None else next(batches)
            pending = None
            params, opt_state, loss = step_jit(params, opt_state, batch,
                                               learning_rate(config, step))
            running.append(loss)
            step += 1
            bar.update(1)
            if step % config.eval_every == 0:
                result.stopped_early = evaluate()
            if config.checkpoint_dir and (step % config.checkpoint_every == 0
                                          or step == config.max_steps or result.stopped_early):
                write_state(config.checkpoint_dir, params=params, opt_state=opt_state, step=step,
                            batches=batches.state(), buckets=buckets, best_loss=best_loss,
                            running=running, progress=progress, result=asdict(result))
        if last_eval != step and not result.stopped_early:
            # the last step is always evaluated; after the checkpoint, which thus holds the
            # same state as a longer run's at this step
            result.stopped_early = evaluate()
    finally:
        bar.close()
        result.steps = step
        result.seconds = time.perf_counter() - start
        result.n_compilations = step_jit._cache_size() - compiled_before
    return result
