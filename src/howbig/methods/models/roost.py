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
chapter's slim setting; Roost uses 3 heads and wider networks). Optional, off by default: several
attention heads per step (their updates averaged, as in Roost), node states started from a fixed
table of element features (e.g. mat2vec or matscholar vectors) through a learned linear map
instead of a learned embedding, and a residual readout network (Roost's output network).

Contract of :mod:`howbig.methods.models`: a padded :class:`jraph.GraphsTuple` with
``nodes = {"element", "fraction"}`` in, one number per graph slot out.
"""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import numpy as np

__all__ = ["N_ELEMENTS", "ResidualReadout", "WeightedAttention", "roost"]

N_ELEMENTS = 119  # atomic numbers 0 (padding) .. 118


def _named(base: str, k: int) -> str:
    """Head 0 keeps the single-head names, so ``heads=1`` is today's model, parameters and all."""
    return base if k == 0 else f"{base}_{k}"


class WeightedAttention(hk.Module):
    """One message-passing step: fraction-weighted attention over all pairs of a formula.

    With ``heads > 1`` every head has its own gate, message and exponent (the first layer of all
    heads is one wider product) and the step adds the mean of the heads' updates.
    """

    def __init__(self, width: int, hidden: int | None = None, heads: int = 1,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        self.width, self.hidden, self.heads = width, hidden or max(width // 2, 1), heads

    def __call__(self, h: jnp.ndarray, fractions: jnp.ndarray, senders: jnp.ndarray,
                 receivers: jnp.ndarray) -> jnp.ndarray:
        hid, n = self.hidden, h.shape[0]
        # first layer of the gate and message networks on concat(h_i, h_j), split per node
        pair = (hk.Linear(2 * hid * self.heads, name="receiver")(h)[receivers]
                + hk.Linear(2 * hid * self.heads, with_bias=False, name="sender")(h)[senders])
        pair = jax.nn.silu(pair)
        # the message layer runs once per node instead of once per edge:
        # sum_j a_ij (x_ij W + b) = (sum_j a_ij x_ij) W + b, as sum_j a_ij = 1 (a node without
        # edges, padding only, receives nothing)
        has_edges = jax.ops.segment_sum(jnp.ones(receivers.shape, h.dtype), receivers,
                                        num_segments=n) > 0
        update = 0.0
        for k in range(self.heads):
            head = pair[:, 2 * hid * k:2 * hid * (k + 1)]
            # no bias: the softmax over j is invariant to a constant added to every g_ij
            gate = hk.Linear(1, with_bias=False, name=_named("gate", k))(head[:, :hid])[:, 0]
            power = hk.get_parameter(_named("pow", k), (), init=jnp.ones)
            logits = gate + power * jnp.log(fractions)[senders]
            attention = jraph.segment_softmax(logits, receivers, num_segments=n)
            pooled = jax.ops.segment_sum(attention[:, None] * head[:, hid:], receivers,
                                         num_segments=n)
            update = update + hk.Linear(self.width, name=_named("message", k))(pooled)
        if self.heads > 1:
            update = update / self.heads
        return h + jnp.where(has_edges[:, None], update, 0.0)


class ResidualReadout(hk.Module):
    """Roost's output network: ``x <- silu(W x) + P x`` per layer (``P`` = identity when the
    width is kept, else a linear map), then one linear output."""

    def __init__(self, widths: Sequence[int], name: str | None = None) -> None:
        super().__init__(name=name)
        self.widths = tuple(widths)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        for i, w in enumerate(self.widths):
            skip = x if x.shape[-1] == w else hk.Linear(w, with_bias=False, name=f"skip_{i}")(x)
            x = jax.nn.silu(hk.Linear(w, name=f"layer_{i}")(x)) + skip
        return hk.Linear(1, name="output")(x)


def roost(*, width: int = 64, mp_steps: int = 3, hidden: int | None = None, heads: int = 1,
          element_features: np.ndarray | None = None,
          readout: Sequence[int] | None = None) -> hk.Transformed:
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
    heads
        Attention heads per step (Roost: 3); the cost of a step grows about in proportion.
    element_features
        ``(119, d)`` table indexed by atomic number (row 0: padding), e.g.
        :func:`howbig.data.sources.element_embeddings.load_element_embeddings`: the initial node
        state is a learned linear map of the element's row (the table itself stays fixed).
        ``None``: a learned embedding per element.
    readout
        Hidden widths of a residual readout network (:class:`ResidualReadout`; Roost: 1024,
        512, 256, 128, 64). ``None``: a plain network with two hidden layers of ``width``.
    """
    table = None
    if element_features is not None:
        table = np.asarray(element_features, dtype=np.float32)
        if table.ndim != 2 or table.shape[0] != N_ELEMENTS:
            raise ValueError(f"element_features must have shape ({N_ELEMENTS}, d), "
                             f"not {table.shape}")
    if heads < 1:
        raise ValueError(f"heads must be >= 1, not {heads}")

    def forward(graphs: jraph.GraphsTuple) -> jnp.ndarray:
        elements, fractions = graphs.nodes["element"], graphs.nodes["fraction"]
        if table is None:
            h = hk.Embed(N_ELEMENTS, width, name="embed")(elements)
        else:
            h = hk.Linear(width, name="embed_features")(jnp.asarray(table)[elements])
        for step in range(mp_steps):
            h = WeightedAttention(width, hidden, heads, name=f"attention_{step}")(
                h, fractions, graphs.senders, graphs.receivers)
        n_graph = graphs.n_node.shape[0]
        graph_of_node = jnp.repeat(jnp.arange(n_graph), graphs.n_node,
                                   total_repeat_length=h.shape[0])
        pooled = jax.ops.segment_sum(fractions[:, None] * h, graph_of_node,
                                     num_segments=n_graph)
        if readout is None:
            out = hk.nets.MLP([width, width, 1], activation=jax.nn.silu, name="readout")(pooled)
        else:
            out = ResidualReadout(readout, name="residual_readout")(pooled)
        return out[:, 0]

    return hk.without_apply_rng(hk.transform(forward))
