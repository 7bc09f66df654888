"""The Roost-style model's optional parts: several heads, element-feature tables, residual readout.

The defaults must leave the model as it was (same parameters, same function), so a frozen copy
of the single-head model is kept here to compare against.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import numpy as np
import pytest

from howbig.methods.graphs import PaddedBatcher
from howbig.methods.models.roost import N_ELEMENTS, WeightedAttention, roost
from howbig.methods.stoichiometry import stoichiometry_graph, stoichiometry_set

FORMULAS = ["Fe2O3", "NaCl", "LiFePO4", "Si", "Lu(MnGe)6", "BaTiO3", "K2Mn4O8", "CsPbI3"]


class _FrozenAttention(hk.Module):
    """The attention step as it was before the options were added (one head)."""

    def __init__(self, width, name=None):
        super().__init__(name=name)
        self.width, self.hidden = width, max(width // 2, 1)

    def __call__(self, h, fractions, senders, receivers):
        hid = self.hidden
        pair = (hk.Linear(2 * hid, name="receiver")(h)[receivers]
                + hk.Linear(2 * hid, with_bias=False, name="sender")(h)[senders])
        pair = jax.nn.silu(pair)
        gate = hk.Linear(1, with_bias=False, name="gate")(pair[:, :hid])[:, 0]
        power = hk.get_parameter("pow", (), init=jnp.ones)
        logits = gate + power * jnp.log(fractions)[senders]
        n = h.shape[0]
        attention = jraph.segment_softmax(logits, receivers, num_segments=n)
        pooled = jax.ops.segment_sum(attention[:, None] * pair[:, hid:], receivers,
                                     num_segments=n)
        has_edges = jax.ops.segment_sum(jnp.ones_like(logits), receivers, num_segments=n) > 0
        message = hk.Linear(self.width, name="message")(pooled)
        return h + jnp.where(has_edges[:, None], message, 0.0)

def _frozen_roost(width, mp_steps):
    def forward(graphs):
        elements, fractions = graphs.nodes["element"], graphs.nodes["fraction"]
        h = hk.Embed(N_ELEMENTS, width, name="embed")(elements)
        for step in range(mp_steps):
            h = _FrozenAttention(width, name=f"attention_{step}")(
                h, fractions, graphs.senders, graphs.receivers)
        n_graph = graphs.n_node.shape[0]
        graph_of_node = jnp.repeat(jnp.arange(n_graph), graphs.n_node,
                                   total_repeat_length=h.shape[0])
        pooled = jax.ops.segment_sum(fractions[:, None] * h, graph_of_node, num_segments=n_graph)
        return hk.nets.MLP([width, width, 1], activation=jax.nn.silu, name="readout")(pooled)[:, 0]

    return hk.without_apply_rng(hk.transform(forward))


def _batch(formulas):
    return next(PaddedBatcher(stoichiometry_set(formulas), len(formulas)).epoch(False))


def _table(dim=12, seed=0):
    table = np.random.default_rng(seed).normal(size=(N_ELEMENTS, dim)).astype(np.float32)
    table[0] = 0.0
    return table


def test_defaults_are_the_model_as_it_was():
    batch = _batch(FORMULAS)
    new, old = roost(width=16, mp_steps=2), _frozen_roost(16, 2)
    params = new.init(jax.random.PRNGKey(3), batch)
    old_params = old.init(jax.random.PRNGKey(3), batch)
    shapes = jax.tree_util.tree_map(np.shape, params)
    assert shapes == jax.tree_util.tree_map(np.shape, old_params)
    assert jax.tree_util.tree_all(jax.tree_util.tree_map(np.array_equal, params, old_params))
    assert np.array_equal(new.apply(params, batch), old.apply(params, batch))
    # heads=1, no table, no residual readout spelled out: the same model
    explicit = roost(width=16, mp_steps=2, heads=1, element_features=None, readout=None)
    assert np.array_equal(explicit.apply(params, batch), new.apply(params, batch))


@pytest.mark.parametrize("options", [
    {"heads": 3},
    {"element_features": _table()},
    {"readout": (32, 32, 8)},
    {"heads": 2, "element_features": _table(), "readout": (24, 8)},
])
def test_options_give_one_finite_number_per_graph_slot(options):
    batch = _batch(FORMULAS)
    model = roost(width=16, mp_steps=2, **options)
    params = model.init(jax.random.PRNGKey(0), batch)
    out = model.apply(params, batch)
    assert out.shape == (len(FORMULAS) + 1,) and np.isfinite(np.asarray(out)).all()
    if "element_features" in options:  # the table is an input, not a parameter
        assert "embed" not in params and "embed_features" in params
        assert all(v.shape != (N_ELEMENTS, 12) for d in params.values() for v in d.values())


def test_options_keep_invariance_to_element_order_and_formula_multiples():
    model = roost(width=16, mp_steps=2, heads=3, element_features=_table(), readout=(32, 8))
    params = model.init(jax.random.PRNGKey(1), _batch(["Fe2O3"]))
    out = np.asarray(model.apply(params, _batch(["Fe2O3", "Fe4O6", "O3Fe2", "NaCl"])))[:4]
    assert np.allclose(out[:3], out[0], atol=1e-5) and not np.isclose(out[0], out[3])
    g = stoichiometry_graph("LiFePO4")
    perm = np.array([3, 1, 0, 2])
    inverse = np.argsort(perm)
    permuted = g._replace(nodes={k: v[perm] for k, v in g.nodes.items()},
                          senders=inverse[g.senders], receivers=inverse[g.receivers])
    assert np.allclose(model.apply(params, g), model.apply(params, permuted), atol=1e-5)


def test_several_heads_average_single_head_updates():
    g = stoichiometry_graph("K2Mn4O8")
    h = jax.random.normal(jax.random.PRNGKey(1), (int(g.n_node[0]), 8))
    w = jnp.asarray(g.nodes["fraction"])

    def step(heads):
        return hk.without_apply_rng(hk.transform(
            lambda *a: WeightedAttention(8, heads=heads, name="att")(*a)))

    multi, single = step(3), step(1)
    params = multi.init(jax.random.PRNGKey(2), h, w, g.senders, g.receivers)
    got = np.asarray(multi.apply(params, h, w, g.senders, g.receivers))
    updates = []
    for k in range(3):
        cols = slice(8 * k, 8 * (k + 1))  # 2 * hidden (4) columns per head
        suffix = "" if k == 0 else f"_{k}"
        head = {"att/receiver": {"w": params["att/receiver"]["w"][:, cols],
                                 "b": params["att/receiver"]["b"][cols]},
                "att/sender": {"w": params["att/sender"]["w"][:, cols]},
                "att/gate": params[f"att/gate{suffix}"],
                "att/message": params[f"att/message{suffix}"],
                "att": {"pow": params["att"][f"pow{suffix}"]}}
        updates.append(np.asarray(single.apply(head, h, w, g.senders, g.receivers)) - h)
    assert np.allclose(got, h + np.mean(updates, axis=0), atol=1e-5)


def test_refuses_a_table_of_the_wrong_shape_and_zero_heads():
    with pytest.raises(ValueError, match="119"):
        roost(element_features=np.zeros((100, 8)))
    with pytest.raises(ValueError, match="heads"):
        roost(heads=0)
