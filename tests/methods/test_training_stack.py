"""The one training stack: one batcher for every graph model, one place that updates parameters,
schedules, fine-tuning, early stopping with a minimum improvement, resume on dense rows."""

from __future__ import annotations

import ast
from pathlib import Path

import jax
import numpy as np
import optax
import pytest
from ase.build import bulk

import howbig
from howbig.methods.arrays import ArrayBatcher, ArraySet
from howbig.methods.graphs import GraphSet, PaddedBatcher, build_graphs
from howbig.methods.models.mlp import _network
from howbig.methods.models.mpeu import mpeu
from howbig.methods.models.roost import roost
from howbig.methods.models.schnet import schnet
from howbig.methods.stoichiometry import StoichiometrySet, stoichiometry_set
from howbig.methods.training import (
    TrainConfig,
    TrainResult,
    batcher_for,
    learning_rate,
    masked_loss,
    predict,
    train,
    train_step,
)

SRC = Path(howbig.__file__).parent
NET = _network((8,), "tanh")  # shared, so the compiled step is reused across tests


def _rows(n: int = 40, seed: int = 0) -> ArraySet:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return ArraySet(x, x @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=n))


def _classes() -> dict[str, tuple[str, list[str]]]:
    """Every class defined in ``src/howbig``: name -> (module path, base names)."""
    out = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]
                out[node.name] = (str(path.relative_to(SRC)), bases)
    return out


def test_one_batcher_class_batches_every_models_graphs():
    batchers = {name: v for name, v in _classes().items() if "batcher" in name.lower()}
    # one padded graph batcher (subclasses of it at most) and the dense-row batcher of the MLPs
    assert {n for n, (_, bases) in batchers.items() if "PaddedBatcher" not in bases} == {
        "PaddedBatcher", "ArrayBatcher"}
    crystals = build_graphs([bulk("NaCl", "rocksalt", a=5.6), bulk("Si", "diamond", a=5.4)],
                            [0.0, 1.0], progress=False)
    formulas = stoichiometry_set(["Fe2O3", "NaCl"], [0.0, 1.0])
    for data, model in ((crystals, mpeu(8, 1)), (crystals, schnet(8, 1, n_species=20)),
                        (formulas, roost(width=8, mp_steps=1))):
        batcher = batcher_for(data, 2)
        assert isinstance(batcher, PaddedBatcher)
        batch = next(batcher.all())
        params = jax.eval_shape(model.init, jax.random.PRNGKey(0), batch)  # shapes only: fast
        assert jax.eval_shape(model.apply, params, batch).shape == (3,)
    assert isinstance(batcher_for(_rows(), 8), ArrayBatcher)
    assert issubclass(StoichiometrySet, type(crystals).__mro__[1])  # both are GraphData


def test_only_training_applies_optimizer_updates():
    calls = {"apply_updates", "scale_by_adam", "adam", "adamw", "sgd", "chain"}
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).as_posix() == "methods/training.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "optax" and node.attr in calls):
                offenders.append(f"{path.relative_to(SRC)}: optax.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "optax":
                offenders.append(f"{path.relative_to(SRC)}: from optax import ...")
    assert offenders == []


@pytest.mark.slow
def test_step_equals_optax_adamw_with_cosine_schedule():
    data = _rows()
    batch = next(ArrayBatcher(data, 16).all())
    params = NET.init(jax.random.PRNGKey(0), batch.x)
    config = TrainConfig(learning_rate=0.05, schedule="cosine", decay_steps=6, alpha=0.1,
                         weight_decay=0.01)
    reference = optax.adamw(optax.cosine_decay_schedule(0.05, 6, alpha=0.1), weight_decay=0.01)
    ref, ref_state = params, reference.init(params)
    ours, state = params, optax.scale_by_adam().init(params)
    step = train_step(NET, "mse", 0.01)
    grad = jax.jit(lambda p, b: jax.grad(masked_loss, argnums=1)(NET, p, b, "mse"))
    for i in range(9):  # past decay_steps: the rate stays at alpha times the initial one
        updates, ref_state = reference.update(grad(ref, batch), ref_state, ref)
        ref = optax.apply_updates(ref, updates)
        ours, state, _ = step(ours, state, batch, learning_rate(config, i))
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert learning_rate(TrainConfig(schedule="constant"), 10**6) == np.float32(1e-3)


@pytest.mark.slow
def test_padding_leaves_the_stoichiometry_loss_and_gradients_unchanged():
    data = stoichiometry_set(["Fe2O3", "NaCl", "LiFePO4", "Si", "BaTiO3"], np.arange(5.0))
    tight = PaddedBatcher(data, 5)
    loose = PaddedBatcher(data, 9, node_budget=tight.node_budget + 37,
                          edge_budget=tight.edge_budget + 101)
    b1, b2 = next(tight.all()), next(loose.all())
    assert len(b2.senders) > len(b1.senders) and len(b2.n_node) > len(b1.n_node)
    model = roost(width=8, mp_steps=2)
    params = jax.jit(model.init)(jax.random.PRNGKey(0), b1)
    kinds = ("mse", "mae", "bce")
    grads = jax.jit(lambda p, b: [jax.value_and_grad(masked_loss, argnums=1)(model, p, b, k)
                                  for k in kinds])  # one compilation per shape
    for (v1, g1), (v2, g2) in zip(grads(params, b1), grads(params, b2), strict=True):
        np.testing.assert_allclose(v1, v2, rtol=1e-5)
        for a, b in zip(jax.tree_util.tree_leaves(g1), jax.tree_util.tree_leaves(g2),
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_fine_tuning_starts_from_the_given_parameters():
    source, target = _rows(seed=1), _rows(seed=2).with_targets(_rows(seed=2).targets + 5.0)
    base = TrainConfig(learning_rate=0.02, max_steps=30, eval_every=10, batch_size=8,
                       patience=None, progress=False)
    pre = train(NET, source, source, base)
    # with a zero learning rate nothing moves: the result is the given parameters, and its
    # first validation loss is theirs, in the pre-trained model's target units
    frozen = train(NET, target, target, TrainConfig(**{**base.__dict__, "learning_rate": 0.0}),
                   init_params=pre)
    for a, b in zip(jax.tree_util.tree_leaves(frozen.params),
                    jax.tree_util.tree_leaves(pre.params), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (frozen.target_mean, frozen.target_std) == (pre.target_mean, pre.target_std)
    before = np.mean((predict(NET, pre, target) - target.targets) ** 2)
    assert frozen.history[0][2] == pytest.approx(before, rel=1e-5)
    # plain parameters (no standardisation of their own) work too, and training moves them
    tuned = train(NET, target, target, base, init_params=pre.params)
    assert tuned.best_val_rmse**2 < before
    fresh = train(NET, target, target, TrainConfig(**{**base.__dict__, "learning_rate": 0.0}))
    assert fresh.history[0][2] != pytest.approx(frozen.history[0][2], rel=1e-3)


def test_min_improvement_stops_a_slowly_improving_run():
    data = _rows(seed=3)
    config = TrainConfig(learning_rate=1e-4, schedule="constant", max_steps=40, eval_every=2,
                         patience=4, batch_size=40, progress=False)
    slow = train(NET, data, data, config)
    assert not slow.stopped_early and slow.steps == 40  # it improves at every evaluation
    assert np.all(np.diff([h[2] for h in slow.history]) < 0)
    strict = train(NET, data, data, TrainConfig(**{**config.__dict__, "min_improvement": 0.5}))
    # progress at step 2 (from infinity); never again by half: patience runs out at step 6
    assert strict.stopped_early and strict.steps == 6 and strict.best_step == 6


def test_dense_rows_resume_to_the_same_parameters(tmp_path):
    data = _rows(seed=4)
    base = dict(learning_rate=0.01, max_steps=24, eval_every=6, batch_size=7, patience=None,
                progress=False, seed=3, checkpoint_every=5)
    whole = train(NET, data, data, TrainConfig(**base))
    train(NET, data, data, TrainConfig(**{**base, "max_steps": 11},
                                       checkpoint_dir=str(tmp_path)))
    resumed = train(NET, data, data, TrainConfig(**base, checkpoint_dir=str(tmp_path)))
    assert resumed.steps == whole.steps
    np.testing.assert_allclose(np.asarray(resumed.history), np.asarray(whole.history), rtol=1e-6)
    for a, b in zip(jax.tree_util.tree_leaves(resumed.params),
                    jax.tree_util.tree_leaves(whole.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_binary_cross_entropy_predicts_probabilities():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 3))
    data = ArraySet(x, (x[:, 0] > 0) * 1.0)
    result = train(NET, data, data, TrainConfig(learning_rate=0.05, loss="bce", max_steps=60,
                                                 eval_every=20, batch_size=20, patience=None,
                                                 progress=False))
    p = predict(NET, result, data)
    assert isinstance(result, TrainResult) and np.all((p >= 0) & (p <= 1))
    assert result.best_val_mae == pytest.approx(np.mean((p > 0.5) != (data.targets > 0.5)))
    assert result.best_val_mae < 0.1  # error rate


def test_graph_sets_of_both_kinds_share_the_batcher_interface():
    g = build_graphs([bulk("Cu", "fcc", a=3.6)] * 3, [1.0, 2.0, 3.0], progress=False)
    s = stoichiometry_set(["Cu", "NaCl", "Fe2O3"], [1.0, 2.0, 3.0])
    for data in (g, s):
        sub = data.subset([2, 0])
        assert len(sub) == 2 and sub.targets.tolist() == [3.0, 1.0]
        assert data.with_targets(np.zeros(3)).targets.tolist() == [0.0] * 3
        assert isinstance(type(data).concatenate([sub, sub]), (GraphSet, StoichiometrySet))


def test_warmup_ramps_linearly_then_the_cosine_decays_from_its_end():
    config = TrainConfig(learning_rate=0.01, schedule="cosine", decay_steps=110, warmup=10,
                         alpha=0.1)
    rates = np.array([learning_rate(config, i) for i in range(130)])
    np.testing.assert_allclose(rates[:10], 0.01 * np.arange(1, 11) / 10, rtol=1e-6)
    assert rates[10] == np.float32(0.01)  # the cosine starts where the warm-up ends
    np.testing.assert_allclose(rates[60], 0.01 * (0.1 + 0.9 * 0.5), rtol=1e-6)  # half-way
    np.testing.assert_allclose(rates[110:], 0.001, rtol=1e-6)  # alpha from decay_steps on
    # no warm-up: the schedule as before; warm-up applies to the other schedules too
    plain = TrainConfig(learning_rate=0.01, schedule="cosine", decay_steps=100, alpha=0.1)
    assert learning_rate(plain, 50) == np.float32(0.01 * (0.1 + 0.9 * 0.5))
    assert learning_rate(TrainConfig(schedule="constant", warmup=4), 1) == np.float32(5e-4)
