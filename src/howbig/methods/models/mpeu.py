"""Message passing neural network with edge updates (MPEU; Jorgensen, Jacobsen and Schmidt 2018).

Architecture, following the paper's code (tisabe/jraph_MPEU, ``models.py``) with ``C`` the latent
size, ``K`` the number of radial basis functions and ``sigma`` the shifted softplus
``log(1 + e^x) - log 2``:

* node embedding: ``h_v = W_emb onehot(Z_v)`` (linear, ``C`` outputs);
* edge embedding: ``e_vw = rbf(d_vw)`` (:func:`howbig.methods.graphs.rbf_expand`, ``K`` features);
* for each of ``T`` message-passing steps, with weights of its own:

  - edge update ``e_vw <- W2 sigma(W1 [h_w, h_v, e_vw])`` (``2C`` hidden, ``C`` out),
  - message ``m_vw = sigma(W4 sigma(W3 e_vw)) * (W5 h_w)``,
  - node update ``h_v <- h_v + W7 sigma(W6 agg_w m_vw)`` with ``agg`` the mean (or sum) over
    incoming edges;

* readout: ``y = agg_v W9 sigma(W8 h_v)`` (``C/2`` hidden), ``agg`` the mean or sum over atoms.

The first edge-update layer ``W1`` acts on a concatenation; it is stored as three blocks (sender,
receiver, edge) so that the node blocks are applied once per atom and then gathered, which is the
same function at a fraction of the cost (likewise ``W5`` is applied per atom). As in the paper's
code the dense layers have no bias by default (``with_bias=False``); the
parameter count is then ``Z C + sum_t [(2C + K_t) 2C + 7 C^2] + C (C/2) + C/2`` with
``K_0 = K`` and ``K_t = C`` afterwards (see :func:`mpeu_parameter_count`).
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jraph

from howbig.methods.graphs import rbf_expand

__all__ = ["mpeu", "mpeu_parameter_count", "shifted_softplus"]

_LOG2 = float(jnp.log(2.0))
# above it log(1 + e^x) = x and e^x / (1 + e^x) = 1 in float32 (e^-20 < 2^-28), and below it
# e^x cannot overflow
_SOFTPLUS_LINEAR = 20.0


@jax.custom_jvp
def shifted_softplus(x: jnp.ndarray) -> jnp.ndarray:
    """``log(1 + exp(x)) - log(2)``: smooth, zero at zero.

    Computed with one ``exp`` and one ``log`` per element, as ``log(1 + exp(x))`` for ``x <= 20``
    and ``x`` above (where the two agree to float32 precision, and ``exp`` cannot overflow);
    its derivative, the logistic function ``t / (1 + t)`` with ``t = exp(x)``, reuses the same
    ``exp`` (a custom JVP: automatic differentiation of the formula would need more
    transcendentals). On CPU this halves the cost of the activations, which are a third of a
    training step at latent size 64.
    """
    t = jnp.exp(jnp.minimum(x, _SOFTPLUS_LINEAR))
    return jnp.where(x > _SOFTPLUS_LINEAR, x, jnp.log(1.0 + t)) - _LOG2


@shifted_softplus.defjvp
def _shifted_softplus_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    t = jnp.exp(jnp.minimum(x, _SOFTPLUS_LINEAR))
    y = jnp.where(x > _SOFTPLUS_LINEAR, x, jnp.log(1.0 + t)) - _LOG2
    return y, dx * (t / (1.0 + t))


def _segment(kind: str):
    if kind == "mean":
        return jraph.segment_mean
    if kind == "sum":
        return jraph.segment_sum
    raise ValueError(f"aggregation must be 'mean' or 'sum', not {kind!r}")


def mpeu(
    latent_size: int = 64,
    mp_steps: int = 3,
    readout: str = "mean",
    n_species: int = 100,
    *,
    aggregation: str = "mean",
    k_max: int = 150,
    delta: float = 0.1,
    mu_min: float = 0.0,
    with_bias: bool = False,
) -> hk.Transformed:
    """The MPEU network as a haiku transform: ``apply(params, graphs) -> (n_graph,)``.

    Parameters
    ----------
    latent_size
        ``C``, the width of node and edge features (256 in the paper's MP run, 64 here by default).
    mp_steps
        Number of message-passing steps ``T`` (3 in the paper).
    readout
        ``"mean"`` (per-atom targets such as formation energy per atom) or ``"sum"``.
    n_species
        Length of the one-hot element encoding; atomic numbers must be below it.
    aggregation
        How messages to an atom are combined: ``"mean"`` (paper's config) or ``"sum"``.
    k_max, delta, mu_min
        Radial basis (see :func:`howbig.methods.graphs.rbf_expand`); the paper uses 150, 0.1 Å, 0.
    with_bias
        Give the dense layers biases (the paper's code has none).

    Returns
    -------
    haiku.Transformed
        ``init(rng, graphs)`` and ``apply(params, graphs)``; ``graphs.nodes`` are atomic numbers
        and ``graphs.edges`` distances (Å), as made by :class:`howbig.methods.graphs.PaddedBatcher`.
    """
    agg_messages = _segment(aggregation)
    agg_readout = _segment(readout)
    if latent_size < 2:
        raise ValueError("latent_size must be >= 2")

    def linear(size: int, name: str, bias: bool = True) -> hk.Linear:
        return hk.Linear(size, with_bias=with_bias and bias, name=name)

    def forward(graphs: jraph.GraphsTuple) -> jnp.ndarray:
        n_node_total = graphs.nodes.shape[0]
        n_graph = graphs.n_node.shape[0]
        h = linear(latent_size, "embedding")(jax.nn.one_hot(graphs.nodes, n_species))
        e = rbf_expand(graphs.edges, k_max, delta, mu_min)
        senders, receivers = graphs.senders, graphs.receivers
        for t in range(mp_steps):
            # W1 [h_w, h_v, e_vw] computed as (W1s h)_w + (W1r h)_v + W1e e_vw: the same linear
            # map, but the node parts are computed once per atom instead of once per edge.
            wide = 2 * latent_size
            pre = (linear(wide, f"edge_update_{t}_1_sender", bias=False)(h)[senders]
                   + linear(wide, f"edge_update_{t}_1_receiver", bias=False)(h)[receivers]
                   + linear(wide, f"edge_update_{t}_1_edge")(e))
            e = linear(latent_size, f"edge_update_{t}_2")(shifted_softplus(pre))
            gate = shifted_softplus(linear(latent_size, f"message_edge_{t}_2")(
                shifted_softplus(linear(latent_size, f"message_edge_{t}_1")(e))))
            messages = gate * linear(latent_size, f"message_node_{t}")(h)[senders]
            pooled = agg_messages(messages, receivers, num_segments=n_node_total)
            h = h + linear(latent_size, f"node_update_{t}_2")(
                shifted_softplus(linear(latent_size, f"node_update_{t}_1")(pooled)))
        per_atom = linear(1, "readout_2")(
            shifted_softplus(linear(latent_size // 2, "readout_1")(h)))[:, 0]
        graph_of_node = jnp.repeat(jnp.arange(n_graph), graphs.n_node,
                                   total_repeat_length=n_node_total)
        return agg_readout(per_atom, graph_of_node, num_segments=n_graph)

    return hk.without_apply_rng(hk.transform(forward))


def mpeu_parameter_count(
    latent_size: int = 64,
    mp_steps: int = 3,
    n_species: int = 100,
    k_max: int = 150,
    with_bias: bool = False,
) -> int:
    """Trainable parameters of :func:`mpeu`, derived by hand (used to test the model)."""
    c, half = latent_size, latent_size // 2
    total = n_species * c + (c if with_bias else 0)
    for t in range(mp_steps):
        edge_in = 2 * c + (k_max if t == 0 else c)
        weights = edge_in * 2 * c + 2 * c * c + 2 * c * c + c * c + 2 * c * c
        biases = 2 * c + c + 2 * c + c + 2 * c
        total += weights + (biases if with_bias else 0)
    total += c * half + half + ((half + 1) if with_bias else 0)
    return total
