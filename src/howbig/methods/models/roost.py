"""A Roost-style message-passing network on stoichiometry graphs (Goodall and Lee, 2020).

Nodes are the elements of a formula with their atomic fractions :math:`w_j`; every node attends
to every node of its formula (itself included) with fraction-weighted attention:

.. math::

    a_{ij} = \\frac{w_j^{p}\\, e^{g_{ij}}}{\\sum_k w_k^{p}\\, e^{g_{ik}}}, \\qquad
    h_i \\leftarrow h_i + \\sum_j a_{ij}\\, m_{ij},

with gate :math:`g_{ij}` and message :math:`m_{ij}` small networks of the pair
:math:`(h_i, h_j)` and a learned exponent :math:`p`. The readout is the fraction-weighted mean of
the node states followed by a small network, so the prediction does not depend on the order of
the elements nor on multiplying the formula (``Fe2O3`` = ``Fe4O6``).

The first dense layer of the pair networks acts on ``concat(h_i, h_j)``; it is split into a
receiver and a sender part applied per *node* and gathered per edge, and the message network's
output layer, being linear, is applied after the attention-weighted sum, per node: the same
function at a fraction of the cost (a formula has n nodes but n^2 edges). One attention head,
width 64 and 3 steps by default, pair networks with a hidden layer of half the width (the
chapter's slim setting; Roost uses 3 heads and wider networks).

Contract of :mod:`howbig.methods.models`: a padded :class:`jraph.GraphsTuple` with
``nodes = {"element", "fraction"}`` in, one number per graph slot out.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jraph

__all__ = ["N_ELEMENTS", "WeightedAttention", "roost"]

N_ELEMENTS = 119  # atomic numbers 0 (padding) .. 118


class WeightedAttention(hk.Module):
    """One message-passing step: fraction-weighted attention over all pairs of a formula."""

    def __init__(self, width: int, hidden: int | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.width, self.hidden = width, hidden or max(width // 2, 1)

    def __call__(self, h: jnp.ndarray, fractions: jnp.ndarray, senders: jnp.ndarray,
                 receivers: jnp.ndarray) -> jnp.ndarray:
        hid = self.hidden
        # first layer of the gate and message networks on concat(h_i, h_j), split per node
        pair = (hk.Linear(2 * hid, name="receiver")(h)[receivers]
                + hk.Linear(2 * hid, with_bias=False, name="sender")(h)[senders])
        pair = jax.nn.silu(pair)
        # no bias: the softmax over j is invariant to a constant added to every g_ij
        gate = hk.Linear(1, with_bias=False, name="gate")(pair[:, :hid])[:, 0]
        power = hk.get_parameter("pow", (), init=jnp.ones)
        logits = gate + power * jnp.log(fractions)[senders]
        n = h.shape[0]
        attention = jraph.segment_softmax(logits, receivers, num_segments=n)
        # sum_j a_ij (x_ij W + b) = (sum_j a_ij x_ij) W + b, as sum_j a_ij = 1: the message
        # layer runs once per node instead of once per edge (a node without edges, padding
        # only, receives nothing, as before)
        pooled = jax.ops.segment_sum(attention[:, None] * pair[:, hid:], receivers,
                                     num_segments=n)
        has_edges = jax.ops.segment_sum(jnp.ones_like(logits), receivers, num_segments=n) > 0
        message = hk.Linear(self.width, name="message")(pooled)
        return h + jnp.where(has_edges[:, None], message, 0.0)


def roost(*, width: int = 64, mp_steps: int = 3, hidden: int | None = None) -> hk.Transformed:
    """The model as a haiku transform: ``apply(params, graphs) -> (n_graph_slots,)``.

    Parameters
    ----------
    width
        Size of the node states (and of the element embedding).
    mp_steps
        Message-passing steps, each with its own weights.
    hidden
        Width of the gate and message networks' hidden layer (default: ``width // 2``; twice as
        wide costs 1.6x the training time, see ``benchmarks/bench_stoichiometry.py``).
    """

    def forward(graphs: jraph.GraphsTuple) -> jnp.ndarray:
        elements, fractions = graphs.nodes["element"], graphs.nodes["fraction"]
        h = hk.Embed(N_ELEMENTS, width, name="embed")(elements)
        for step in range(mp_steps):
            h = WeightedAttention(width, hidden, name=f"attention_{step}")(
                h, fractions, graphs.senders, graphs.receivers)
        n_graph = graphs.n_node.shape[0]
        graph_of_node = jnp.repeat(jnp.arange(n_graph), graphs.n_node,
                                   total_repeat_length=h.shape[0])
        pooled = jax.ops.segment_sum(fractions[:, None] * h, graph_of_node,
                                     num_segments=n_graph)
        out = hk.nets.MLP([width, width, 1], activation=jax.nn.silu, name="readout")(pooled)
        return out[:, 0]

    return hk.without_apply_rng(hk.transform(forward))
