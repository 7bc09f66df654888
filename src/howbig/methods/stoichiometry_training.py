"""Training loop for stoichiometry models: Adam, early stopping on the validation loss, tqdm.

Uses :class:`howbig.methods.training.TrainConfig` and returns
:class:`howbig.methods.training.TrainResult` (its ``history`` holds the learning curves), so a
stoichiometry model and a crystal-graph model are configured and read the same way. What differs
is the batcher (:class:`howbig.methods.stoichiometry.StoichiometryBatcher`) and one more loss:

* ``"mse"`` / ``"mae"``: regression on standardised targets (``standardize=True``);
* ``"bce"``: binary classification (targets 0/1, the model outputs a logit); the validation
  loss is the mean log loss and ``best_val_mae`` holds the error rate.

The validation batches are built once and reused at every evaluation; the training step and the
prediction function are compiled once per (model, loss) and batch shape.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from functools import lru_cache
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import numpy as np
import optax

from howbig.methods.stoichiometry import StoichiometryBatcher, StoichiometrySet
from howbig.methods.training import TrainConfig, TrainResult, metrics

__all__ = ["adam_step", "batch_loss", "predict_stoichiometry", "train_stoichiometry"]


def batch_loss(model: hk.Transformed, params: Any, graphs: jraph.GraphsTuple,
               kind: str = "mse") -> jnp.ndarray:
    """Mean loss over the real formulas of a padded batch (targets in ``graphs.globals``)."""
    out = model.apply(params, graphs)
    y = graphs.globals
    if kind == "mse":
        err = jnp.square(out - y)
    elif kind == "mae":
        err = jnp.abs(out - y)
    elif kind == "bce":
        err = optax.sigmoid_binary_cross_entropy(out, y)
    else:
        raise ValueError(f"loss must be 'mse', 'mae' or 'bce', not {kind!r}")
    mask = jraph.get_graph_padding_mask(graphs)
    return jnp.sum(jnp.where(mask, err, 0.0)) / jnp.maximum(jnp.sum(mask), 1)


@lru_cache(maxsize=16)
def adam_step(model: hk.Transformed, kind: str = "mse"):
    """Jitted ``(params, opt_state, graphs, lr) -> (params, opt_state, loss)``: one Adam step.

    The same update as ``optax.adam(lr)``; the learning rate is an argument so that a decaying
    schedule reuses the compiled step.
    """
    adam = optax.scale_by_adam()

    def step(params, opt_state, graphs, lr):
        loss, grads = jax.value_and_grad(batch_loss, argnums=1)(model, params, graphs, kind)
        updates, opt_state = adam.update(grads, opt_state, params)
        params = optax.apply_updates(params, jax.tree_util.tree_map(lambda u: -lr * u, updates))
        return params, opt_state, loss

    return jax.jit(step)


@lru_cache(maxsize=16)
def _apply(model: hk.Transformed):
    return jax.jit(model.apply)


def _outputs(model: hk.Transformed, params: Any, batches: list[tuple[jraph.GraphsTuple, int]]
             ) -> np.ndarray:
    apply = _apply(model)
    outs = [np.asarray(apply(params, g))[:n] for g, n in batches]
    return np.concatenate(outs) if outs else np.zeros(0, np.float32)


def _prepared(batcher: StoichiometryBatcher) -> list[tuple[jraph.GraphsTuple, int]]:
    """The batches of a fixed set, in dataset order, with their number of real formulas."""
    order = np.arange(len(batcher.data))
    return [(batcher.batch(idx), len(idx)) for idx in batcher.plan(order)]


def predict_stoichiometry(model: hk.Transformed, result: TrainResult, data: StoichiometrySet,
                          *, batch_size: int = 256) -> np.ndarray:
    """Predictions in the targets' units (probabilities of class 1 for a ``"bce"`` model)."""
    batches = _prepared(StoichiometryBatcher(data, batch_size))
    out = _outputs(model, result.params, batches)
    if result.config.get("loss") == "bce":
        return 1.0 / (1.0 + np.exp(-out))
    return result.target_mean + result.target_std * out


def train_stoichiometry(model: hk.Transformed, train: StoichiometrySet,
                        validation: StoichiometrySet, config: TrainConfig | None = None, *,
                        desc: str = "training", min_improvement: float = 0.0) -> TrainResult:
    """Train ``model`` with Adam and early stopping on the validation loss.

    Parameters
    ----------
    model
        e.g. :func:`howbig.methods.models.roost.roost`.
    train, validation
        Formulas with labels (eV/atom, eV, or 0/1 for ``loss="bce"``).
    config
        Hyperparameters (``seed`` fixes the initialisation and the batch order).
    desc
        Label of the tqdm bar.
    min_improvement
        Early stopping counts a validation loss as progress only when it is at least this
        fraction below the loss at the last progress (0: any improvement); the returned
        parameters are those of the lowest loss either way.

    Returns
    -------
    TrainResult
        Parameters of the lowest validation loss, ``history`` = (step, train loss, validation
        loss) per evaluation, ``stopped_early`` when the patience ran out.
    """
    from tqdm.auto import tqdm

    config = config or TrainConfig()
    if len(train) == 0 or len(validation) == 0:
        raise ValueError("train_stoichiometry: the training and validation sets must not be empty")
    classify = config.loss == "bce"
    mean, std = 0.0, 1.0
    if config.standardize and not classify:
        mean, std = float(np.mean(train.targets)), float(np.std(train.targets)) or 1.0
    batcher = StoichiometryBatcher(train.with_targets((train.targets - mean) / std),
                                   config.batch_size, seed=config.seed)
    val_batches = _prepared(StoichiometryBatcher(
        validation, config.batch_size, node_budget=batcher.node_budget,
        edge_budget=batcher.edge_budget))
    first = next(batcher.epoch())
    params = jax.jit(model.init)(jax.random.PRNGKey(config.seed), first)
    opt_state = optax.scale_by_adam().init(params)
    step_fn = adam_step(model, config.loss)
    result = TrainResult(params=jax.device_get(params), target_mean=mean, target_std=std,
                         config=asdict(config))
    best, running, step, start = math.inf, [], 0, time.perf_counter()
    progress_loss, progress_step = math.inf, 0
    bar = tqdm(total=config.max_steps, desc=desc, disable=not config.progress, leave=False)
    try:
        while step < config.max_steps:
            for graphs in batcher.epoch():
                lr = np.float32(config.learning_rate
                                * config.decay_rate ** (step / config.decay_steps))
                params, opt_state, loss = step_fn(params, opt_state, graphs, lr)
                running.append(loss)
                step += 1
                if step % config.eval_every and step < config.max_steps:
                    continue
                bar.update(len(running))
                out = _outputs(model, params, val_batches)
                y = validation.targets
                if classify:
                    val_loss = float(np.mean(np.logaddexp(0, out) - y * out))
                    err = float(np.mean((out > 0) != (y > 0.5)))
                    rmse = err
                else:
                    m = metrics(y, mean + std * out)
                    val_loss = m["rmse"] ** 2 if config.loss == "mse" else m["mae"]
                    err, rmse = m["mae"], m["rmse"]
                result.history.append((step, float(np.mean(jax.device_get(running))), val_loss))
                running = []
                if val_loss < best:
                    best, result.best_step = val_loss, step
                    result.params = jax.device_get(params)
                    result.best_val_mae, result.best_val_rmse = err, rmse
                if val_loss < (1.0 - min_improvement) * progress_loss:
                    progress_loss, progress_step = val_loss, step
                bar.set_postfix(val=f"{val_loss:.4g}", best=f"{best:.4g}")
                stop = config.patience is not None and step - progress_step >= config.patience
                if stop or step >= config.max_steps:
                    result.stopped_early = bool(stop) and step < config.max_steps
                    break
            else:
                continue
            break
    finally:
        bar.close()
        result.steps, result.seconds = step, time.perf_counter() - start
    return result
