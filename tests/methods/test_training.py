"""MPEU and the training loop: invariances, padding, parameter count, overfitting, determinism."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from howbig.methods.graphs import PaddedBatcher, build_graphs
from howbig.methods.models import count_parameters
from howbig.methods.models.mpeu import mpeu, mpeu_parameter_count, shifted_softplus
from howbig.methods.training import TrainConfig, masked_loss, metrics, predict, train


def _structures(n: int = 12, seed: int = 0) -> list[Atoms]:
    """Rattled binary and ternary crystals (no distance ties)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if i % 3 == 0:
            atoms = bulk("NaCl", "rocksalt", a=rng.uniform(5.3, 6.0), cubic=True)
        elif i % 3 == 1:
            atoms = bulk("MgO", "rocksalt", a=rng.uniform(4.0, 4.4))
        else:
            atoms = bulk("Si", "diamond", a=rng.uniform(5.3, 5.6))
            atoms.numbers[1] = 6
        atoms.rattle(0.05, seed=int(rng.integers(1_000_000)))
        out.append(atoms)
    return out


TINY = mpeu(latent_size=8, mp_steps=1)  # shared, so compiled functions are reused across tests


@pytest.fixture(scope="module")
def model_and_params():
    model = mpeu(latent_size=16, mp_steps=2)
    graphs = build_graphs(_structures(3), np.zeros(3), progress=False)
    params = jax.jit(model.init)(jax.random.PRNGKey(0), next(PaddedBatcher(graphs, 3).all()))
    # push the weights away from the init so that the invariances are not trivially satisfied
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(1), len(leaves))
    leaves = [w + 0.3 * jax.random.normal(k, w.shape) for w, k in zip(leaves, keys, strict=True)]
    return model, jax.tree_util.tree_unflatten(tree, leaves)


def _predict_structures(model, params, structures):
    # one static shape for every call: a single compilation
    g = build_graphs(structures, np.zeros(len(structures)), progress=False)
    batcher = PaddedBatcher(g, 4, node_budget=160, edge_budget=1920)
    return predict(model, params, g, batcher=batcher)


@pytest.mark.parametrize(("latent", "steps", "bias"),
                         [(64, 3, False), (16, 1, True), (10, 4, False)])
def test_parameter_count_matches_formula(latent, steps, bias):
    model = mpeu(latent_size=latent, mp_steps=steps, with_bias=bias)
    g = build_graphs(_structures(2), np.zeros(2), progress=False)
    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), next(PaddedBatcher(g, 2).all()))
    assert count_parameters(shapes) == mpeu_parameter_count(latent, steps, with_bias=bias)


def test_parameter_count_hand_value():
    # C=64, T=3, 100 species, K=150, no bias:
    # 6400 + (278*128 + 7*4096) + 2*(192*128 + 7*4096) + 64*32 + 32
    assert mpeu_parameter_count(64, 3) == 6400 + 35584 + 28672 + 2 * (24576 + 28672) + 2080


def test_shifted_softplus_zero_at_zero():
    assert float(shifted_softplus(0.0)) == pytest.approx(0.0, abs=1e-7)


def test_shifted_softplus_and_its_custom_derivative_are_exact():
    """The one-exp form and its hand-written derivative against float64 references."""
    x = np.linspace(-80, 80, 40001, dtype=np.float32)
    ref = np.logaddexp(x.astype(np.float64), 0.0) - np.log(2.0)
    y = np.asarray(shifted_softplus(x))
    assert np.all(np.abs(y - ref) <= 1e-6 + 1e-7 * np.abs(ref))  # float32 rounding of x
    grad = np.asarray(jax.vmap(jax.grad(shifted_softplus))(x))
    np.testing.assert_allclose(grad, 1.0 / (1.0 + np.exp(-x.astype(np.float64))), atol=1e-7)
    assert np.all(np.isfinite(grad))
    second = float(jax.grad(jax.grad(shifted_softplus))(0.3))  # sigma' = sigma (1 - sigma)
    assert second == pytest.approx(0.5744425 * (1 - 0.5744425), rel=1e-5)


def test_permutation_translation_and_supercell_invariance(model_and_params):
    model, params = model_and_params
    base = _structures(3, seed=4)
    rng = np.random.default_rng(0)
    permuted = [a[rng.permutation(len(a))] for a in base]
    translated = []
    for a in base:
        b = a.copy()
        b.translate(rng.normal(size=3) * 3.0)
        b.wrap()
        translated.append(b)
    supercells = [a.repeat((2, 1, 2)) for a in base]
    reference = _predict_structures(model, params, base)
    assert np.std(reference) > 1e-3  # the structures are told apart
    for variant in (permuted, translated, supercells):
        np.testing.assert_allclose(_predict_structures(model, params, variant), reference,
                                   rtol=1e-4, atol=1e-5)


def test_sum_readout_is_extensive(model_and_params):
    _, params = model_and_params
    model = mpeu(latent_size=16, mp_steps=2, readout="sum")
    base = _structures(2, seed=5)
    ref = _predict_structures(model, params, base)
    doubled = _predict_structures(model, params, [a.repeat((2, 1, 1)) for a in base])
    np.testing.assert_allclose(doubled, 2 * ref, rtol=1e-4)


def test_padding_leaves_loss_and_gradient_unchanged(model_and_params):
    model, params = model_and_params
    g = build_graphs(_structures(5), np.linspace(-1, 1, 5), progress=False)
    tight = PaddedBatcher(g, 5)
    loose = PaddedBatcher(g, 9, node_budget=tight.node_budget + 137,
                          edge_budget=tight.edge_budget + 301)
    b1, b2 = next(tight.all()), next(loose.all())
    assert b1.nodes.shape != b2.nodes.shape and b1.n_node.shape != b2.n_node.shape

    @jax.jit
    def losses_and_grads(p, batch):
        mse, grad = jax.value_and_grad(masked_loss, argnums=1)(model, p, batch, "mse")
        return mse, masked_loss(model, p, batch, "mae"), grad

    mse1, mae1, g1 = losses_and_grads(params, b1)
    mse2, mae2, g2 = losses_and_grads(params, b2)
    np.testing.assert_allclose([mse1, mae1], [mse2, mae2], rtol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(g1), jax.tree_util.tree_leaves(g2), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


def test_metrics_known_answer():
    m = metrics(np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, -1.0, 3.0, -3.0]))
    assert m["mae"] == pytest.approx(2.0)
    assert m["rmse"] == pytest.approx(np.sqrt(5.0))


@pytest.mark.slow
def test_overfits_tiny_dataset_and_compiles_once():
    structures = [bulk(x, "fcc", a=a) for x, a in (("Cu", 3.61), ("Al", 4.05), ("Ni", 3.52))]
    structures += [bulk("NaCl", "rocksalt", a=5.64), bulk("Fe", "bcc", a=2.87),
                   bulk("Si", "diamond", a=5.43), bulk("MgO", "rocksalt", a=4.21)]
    rng = np.random.default_rng(0)
    g = build_graphs(structures, rng.normal(-1.0, 0.5, size=len(structures)), progress=False)
    config = TrainConfig(learning_rate=1e-3, max_steps=300, eval_every=50, batch_size=4,
                         patience=None, progress=False, seed=0)
    result = train(mpeu(latent_size=32, mp_steps=2), g, g, config)
    first_train, last_train = result.history[0][1], result.history[-1][1]
    assert last_train < 1e-3 * first_train  # three orders of magnitude
    assert result.best_val_mae < 0.01  # eV, from a target spread of 0.5 eV
    np.testing.assert_allclose(predict(mpeu(latent_size=32, mp_steps=2), result, g), g.targets,
                               atol=0.03)
    assert 1 <= result.n_compilations <= 3  # one per padded shape (config.buckets)
    assert result.steps == 300 and len(result.history) == 6


@pytest.mark.slow
def test_training_is_deterministic_and_callback_can_stop_it():
    g = build_graphs(_structures(6, seed=3), np.arange(6.0), progress=False)
    model = TINY
    config = TrainConfig(max_steps=20, eval_every=10, batch_size=3, progress=False, seed=7)
    r1, r2 = train(model, g, g, config), train(model, g, g, config)
    for a, b in zip(jax.tree_util.tree_leaves(r1.params), jax.tree_util.tree_leaves(r2.params),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert r1.history == r2.history
    assert r1.n_compilations <= 3 and r2.n_compilations == 0  # the compiled step is reused

    calls = []

    class Stop(Exception):
        pass

    def on_evaluation(step, val_rmse):
        calls.append((step, val_rmse))
        raise Stop

    with pytest.raises(Stop):
        train(model, g, g, config, on_evaluation=on_evaluation)
    assert calls and calls[0][0] == 10 and np.isfinite(calls[0][1])


@pytest.mark.slow
def test_early_stopping_when_validation_loss_stalls(tmp_path):
    g = build_graphs(_structures(6, seed=3), np.arange(6.0), progress=False)  # shapes as above
    path = tmp_path / "best.pkl"
    config = TrainConfig(learning_rate=0.0, max_steps=1000, eval_every=5, patience=15,
                         batch_size=3, progress=False, checkpoint_path=str(path))
    result = train(TINY, g, g, config)
    # nothing can improve with a zero learning rate: best at the first evaluation
    assert result.stopped_early and result.best_step == 5 and result.steps == 20
    assert path.is_file()


@pytest.mark.slow
def test_train_step_matches_optax_adam_with_exponential_decay():
    import optax

    from howbig.methods.training import train_step

    g = build_graphs(_structures(6, seed=3), np.arange(6.0), progress=False)
    batches = list(PaddedBatcher(g, 3, seed=0).epoch())
    params = jax.jit(TINY.init)(jax.random.PRNGKey(0), batches[0])
    schedule = optax.exponential_decay(0.01, transition_steps=2, decay_rate=0.5)
    reference = optax.adam(schedule)
    ref_params, ref_state = params, reference.init(params)
    step = train_step(TINY, "mse")
    ref_grad = jax.jit(lambda p, b: jax.grad(masked_loss, argnums=1)(TINY, p, b, "mse"))
    ours, state = params, optax.scale_by_adam().init(params)
    for i, batch in enumerate(batches * 2):
        grads = ref_grad(ref_params, batch)
        updates, ref_state = reference.update(grads, ref_state, ref_params)
        ref_params = optax.apply_updates(ref_params, updates)
        ours, state, _ = step(ours, state, batch, np.float32(0.01 * 0.5 ** (i / 2)))
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref_params),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_parameters(tmp_path):
    """Stopped after 12 steps (max_steps, or an exception mid-run) and restarted from its
    checkpoint directory, a run ends with the parameters and history of an uninterrupted one."""
    g = build_graphs(_structures(7, seed=5), np.arange(7.0), progress=False)
    base = dict(learning_rate=3e-3, max_steps=30, eval_every=6, batch_size=3, patience=None,
                progress=False, seed=11, checkpoint_every=4)
    whole = train(TINY, g, g, TrainConfig(**base))
    first = train(TINY, g, g, TrainConfig(**{**base, "max_steps": 12},
                                          checkpoint_dir=str(tmp_path / "a")))
    assert first.steps == 12 and (tmp_path / "a" / "state.pkl").is_file()
    resumed = train(TINY, g, g, TrainConfig(**base, checkpoint_dir=str(tmp_path / "a")))

    class Interrupt(Exception):
        pass

    def stop_at_18(step, _):
        if step == 18:
            raise Interrupt  # after the checkpoint of step 16, before that of step 20

    config = TrainConfig(**base, checkpoint_dir=str(tmp_path / "b"))
    with pytest.raises(Interrupt):
        train(TINY, g, g, config, on_evaluation=stop_at_18)
    restarted = train(TINY, g, g, config)
    for other in (resumed, restarted):
        assert other.steps == whole.steps and other.best_step == whole.best_step
        assert [h[0] for h in other.history] == [h[0] for h in whole.history]
        np.testing.assert_allclose([h[1:] for h in other.history],
                                   [h[1:] for h in whole.history], rtol=1e-6)
        for a, b in zip(jax.tree_util.tree_leaves(other.params),
                        jax.tree_util.tree_leaves(whole.params), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="other settings"):
        train(TINY, g, g, TrainConfig(**{**base, "seed": 12}, checkpoint_dir=str(tmp_path / "a")))
