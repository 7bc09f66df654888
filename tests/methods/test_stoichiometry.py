"""Stoichiometry graphs, their batcher, the Roost-style model and its training loop."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from howbig.methods.graphs import PaddedBatcher, graph_mask
from howbig.methods.models.roost import WeightedAttention, roost
from howbig.methods.stoichiometry import (
    StoichiometrySet,
    formula_fractions,
    stoichiometry_graph,
    stoichiometry_set,
)
from howbig.methods.training import TrainConfig, predict, train

FORMULAS = ["Fe2O3", "NaCl", "LiFePO4", "Si", "Lu(MnGe)6", "BaTiO3", "Cu", "Al2O3", "ZnS",
            "K2Mn4O8", "CsPbI3", "Mg"]


def test_formula_fractions_handle_groups_and_refuse_garbage():
    z, w = formula_fractions("Lu(MnGe)6")
    assert z.tolist() == [25, 32, 71]  # Mn, Ge, Lu sorted by atomic number
    assert np.allclose(w, [6 / 13, 6 / 13, 1 / 13])
    with pytest.raises(ValueError, match="Xx2"):
        formula_fractions("Xx2")


def test_one_graph_is_fully_connected_with_self_pairs():
    g = stoichiometry_graph("BaTiO3")
    assert int(g.n_node[0]) == 3 and int(g.n_edge[0]) == 9
    assert set(zip(g.senders.tolist(), g.receivers.tolist(), strict=True)) == {
        (i, j) for i in range(3) for j in range(3)}


def test_subset_and_concatenate_keep_the_formulas():
    s = stoichiometry_set(FORMULAS, np.arange(len(FORMULAS)))
    part = s.subset([4, 0])
    assert part.n_node.tolist() == [3, 2] and part.targets.tolist() == [4.0, 0.0]
    both = StoichiometrySet.concatenate([part, s.subset([1])])
    assert both.n_node.tolist() == [3, 2, 2]
    assert both.elements[5:].tolist() == [11, 17]  # Na, Cl


def test_batches_have_the_batchers_shapes_and_cover_every_formula_once():
    s = stoichiometry_set(FORMULAS * 20, np.arange(len(FORMULAS) * 20))
    batcher = PaddedBatcher(s, batch_size=16, seed=3, buckets=3)
    seen = []
    for batch in batcher.epoch():
        shape = (len(batch.n_node), len(batch.nodes["element"]), len(batch.senders))
        assert shape in batcher.shapes and len(batch.nodes["fraction"]) == shape[1]
        # padding nodes: element 0, fraction 1 (log(fraction) stays finite)
        real = int(batch.n_node[graph_mask(batch)].sum())
        assert np.all(batch.nodes["element"][real:] == 0)
        assert np.all(batch.nodes["fraction"][real:] == 1.0)
        seen.extend(batch.globals[graph_mask(batch)].tolist())
        # every edge joins two nodes of the same graph
        graph_of_node = np.repeat(np.arange(shape[0]), batch.n_node)
        assert np.array_equal(graph_of_node[batch.senders], graph_of_node[batch.receivers])
    assert sorted(seen) == sorted(s.targets.tolist())


def test_budget_is_tight_compared_with_padding_to_nine_elements():
    s = stoichiometry_set(FORMULAS * 30)
    batcher = PaddedBatcher(s, batch_size=256)
    assert batcher.node_budget < 0.5 * 256 * 9 and batcher.edge_budget < 0.25 * 256 * 81


def _predict(model, params, formulas):
    batch = next(PaddedBatcher(stoichiometry_set(formulas), len(formulas)).epoch(False))
    return np.asarray(model.apply(params, batch))[:len(formulas)]


def test_model_is_invariant_to_element_order_and_to_multiplying_the_formula():
    model = roost(width=16, mp_steps=2)
    batch = next(PaddedBatcher(stoichiometry_set(["Fe2O3"]), 1).epoch(False))
    params = model.init(jax.random.PRNGKey(0), batch)
    out = _predict(model, params, ["Fe2O3", "Fe4O6", "O3Fe2", "NaCl"])
    assert np.allclose(out[:3], out[0], atol=1e-6)
    assert not np.isclose(out[0], out[3])
    # permuting the nodes inside a batch (and relabelling the edges) changes nothing either
    g = stoichiometry_graph("LiFePO4")
    perm = np.array([3, 1, 0, 2])
    inverse = np.argsort(perm)
    permuted = g._replace(nodes={k: v[perm] for k, v in g.nodes.items()},
                          senders=inverse[g.senders], receivers=inverse[g.receivers])
    assert np.allclose(model.apply(params, g), model.apply(params, permuted), atol=1e-6)


def test_attention_step_equals_a_dense_loop():
    g = stoichiometry_graph("K2Mn4O8")
    n = int(g.n_node[0])
    h = jax.random.normal(jax.random.PRNGKey(1), (n, 8))
    w = jnp.asarray(g.nodes["fraction"])
    f = hk.without_apply_rng(hk.transform(lambda *a: WeightedAttention(8, name="att")(*a)))
    params = f.init(jax.random.PRNGKey(2), h, w, g.senders, g.receivers)
    got = np.asarray(f.apply(params, h, w, g.senders, g.receivers))
    p = {k: {n_: np.asarray(v) for n_, v in d.items()} for k, d in params.items()}
    hid = 4
    expected = np.array(h)
    for i in range(n):
        logits, messages = [], []
        for j in range(n):
            x = (np.asarray(h[i]) @ p["att/receiver"]["w"] + p["att/receiver"]["b"]
                 + np.asarray(h[j]) @ p["att/sender"]["w"])
            x = x / (1 + np.exp(-x))  # silu
            logits.append(x[:hid] @ p["att/gate"]["w"][:, 0]
                          + p["att"]["pow"] * np.log(float(w[j])))
            messages.append(x[hid:] @ p["att/message"]["w"] + p["att/message"]["b"])
        a = np.exp(np.array(logits) - max(logits))
        expected[i] += (a / a.sum()) @ np.array(messages)
    assert np.allclose(got, expected, atol=1e-5)


def test_a_tiny_model_overfits_a_tiny_set():
    targets = np.linspace(-2.0, 1.0, len(FORMULAS))
    data = stoichiometry_set(FORMULAS, targets)
    config = TrainConfig(learning_rate=3e-3, decay_rate=1.0, decay_steps=1000, batch_size=16,
                         max_steps=600, eval_every=50, patience=None, seed=0, loss="mae",
                         progress=False)
    model = roost(width=32, mp_steps=2)
    result = train(model, data, data, config)
    pred = predict(model, result, data)
    assert np.mean(np.abs(pred - targets)) < 0.1 * np.std(targets)
    assert result.history[-1][2] < result.history[0][2]  # the validation curve came down
    assert result.steps == 600 and not result.stopped_early


def test_early_stopping_triggers_when_validation_stalls():
    data = stoichiometry_set(FORMULAS, np.zeros(len(FORMULAS)))
    noise = stoichiometry_set(FORMULAS, np.random.default_rng(0).normal(size=len(FORMULAS)))
    config = TrainConfig(learning_rate=1e-2, batch_size=16, max_steps=2000, eval_every=10,
                         patience=50, loss="mse", progress=False)
    result = train(roost(width=8, mp_steps=1), noise, data, config)
    assert result.stopped_early and result.steps < 2000
    assert result.steps - result.best_step >= 50
