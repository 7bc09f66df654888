"""SchNet (Schütt et al., NeurIPS 2017) in dm-haiku on jraph graphs.

Layout follows the SchNet of the paper's authors (``jraph_MPEU/models/schnet.py``, whose count
the paper quotes as "ca. 85,000" trainable parameters for latent size 64, three interaction blocks
and 81 element types):

* **embedding**: atom type -> vector of size ``latent_size`` (a one-hot times a weight matrix,
  i.e. a lookup table of ``n_species x latent_size``);
* **edge expansion**: the distance ``d`` is expanded in ``n_rbf`` Gaussians
  ``exp(-(d - k*delta)^2 / delta)``, ``k = 0 .. n_rbf - 1`` (150 Gaussians 0.1 A apart;
  :func:`howbig.methods.graphs.rbf_expand`, shared with MPEU);
* **interaction block** (``interactions`` times), a continuous-filter convolution:
  filter ``W_ij = ssp(L2(ssp(L1(rbf(d_ij))))) * f_c(d_ij)`` with the cosine cutoff
  ``f_c(d) = (cos(pi d / r_c) + 1) / 2`` for ``d < r_c`` (0 beyond), message
  ``m_ij = W_ij * L3(h_j)``, update ``h_i <- h_i + L5(ssp(L4(sum_j m_ij)))``;
* **readout**: per atom ``L7(ssp(L6(h_i)))`` with ``latent_size // 2`` hidden units, then the mean
  (or sum) over the atoms of each graph.

``ssp(x) = log(1 + e^x) - log 2`` is the shifted softplus. Layers have no bias by default, as in
the authors' code; ``with_bias=True`` gives the textbook variant. :func:`parameter_breakdown`
derives the count term by term.

Input contract (shared with :mod:`howbig.methods.models.mpeu`): a padded ``jraph.GraphsTuple`` whose
``nodes`` are atomic numbers and whose ``edges`` are interatomic distances in Angstrom, as made
by :class:`howbig.methods.graphs.PaddedBatcher`; output: one prediction per graph, shape
``[n_graph]``.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jraph
import pandas as pd

from howbig.methods.graphs import rbf_expand
from howbig.methods.models.mpeu import shifted_softplus

__all__ = [
    "cosine_cutoff",
    "parameter_breakdown",
    "schnet",
]



def cosine_cutoff(d: jnp.ndarray, cutoff: float) -> jnp.ndarray:
    """``(cos(pi d / cutoff) + 1) / 2`` inside the cutoff, 0 outside."""
    return jnp.where(d < cutoff, 0.5 * (jnp.cos(jnp.pi * d / cutoff) + 1.0), 0.0)


def schnet(
    latent_size: int = 64,
    interactions: int = 3,
    n_species: int = 100,
    n_rbf: int = 150,
    delta: float = 0.1,
    cutoff: float = 8.0,
    readout: str = "mean",
    with_bias: bool = False,
) -> hk.Transformed:
    """Build a SchNet as a haiku transform ``GraphsTuple -> [n_graph]`` predictions.

    Parameters
    ----------
    latent_size
        Width of the atom representations and filters.
    interactions
        Number of interaction blocks (message-passing steps).
    n_species
        Size of the atom-type embedding table; atom types must be ``< n_species``.
    n_rbf, delta
        Number and spacing (Angstrom) of the Gaussians of the distance expansion.
    cutoff
        Radius (Angstrom) of the cosine cutoff applied to the filters.
    readout
        ``"mean"`` (intensive targets such as band gaps) or ``"sum"`` over the atoms of a graph.
    with_bias
        Give every linear layer a bias (the authors' code uses none).

    Returns
    -------
    hk.Transformed
        Without state or randomness: ``init(rng, graphs)``, ``apply(params, graphs)``.
    """
    if readout not in ("mean", "sum"):
        raise ValueError(f"schnet: readout must be 'mean' or 'sum', got {readout!r}")
    hidden = latent_size // 2

    def forward(graphs: jraph.GraphsTuple) -> jnp.ndarray:
        species = jnp.reshape(graphs.nodes, (-1,)).astype(jnp.int32)
        dist = jnp.reshape(graphs.edges, (-1,)).astype(jnp.float32)
        n_nodes = species.shape[0]
        n_graph = graphs.n_node.shape[0]

        h = hk.Embed(n_species, latent_size, name="embedding")(species)
        rbf = rbf_expand(dist, n_rbf, delta)
        fcut = cosine_cutoff(dist, cutoff)[:, None]
        for t in range(interactions):
            lin = lambda n, name, _t=t: hk.Linear(n, with_bias=with_bias,  # noqa: E731
                                                  name=f"interaction_{_t}_{name}")
            w = shifted_softplus(lin(latent_size, "filter_1")(rbf))
            w = shifted_softplus(lin(latent_size, "filter_2")(w)) * fcut
            x = lin(latent_size, "atomwise_in")(h)
            messages = w * x[graphs.senders]
            agg = jraph.segment_sum(messages, graphs.receivers, num_segments=n_nodes)
            v = lin(latent_size, "update_2")(shifted_softplus(lin(latent_size, "update_1")(agg)))
            h = h + v
        out = hk.Linear(hidden, with_bias=with_bias, name="readout_1")(h)
        out = hk.Linear(1, with_bias=with_bias, name="readout_2")(shifted_softplus(out))[:, 0]
        graph_of_node = jnp.repeat(jnp.arange(n_graph), graphs.n_node,
                                   total_repeat_length=n_nodes)
        total = jax.ops.segment_sum(out, graph_of_node, num_segments=n_graph)
        if readout == "sum":
            return total
        return total / jnp.maximum(graphs.n_node, 1).astype(total.dtype)

    return hk.without_apply_rng(hk.transform(forward))


def parameter_breakdown(latent_size: int = 64, interactions: int = 3, n_species: int = 81,
                        n_rbf: int = 150, with_bias: bool = False) -> pd.DataFrame:
    """Trainable parameters of :func:`schnet`, term by term.

    Parameters
    ----------
    latent_size, interactions, n_species, n_rbf, with_bias
        As in :func:`schnet`; the defaults are the paper's setting (latent 64, three blocks,
        81 element types) with the authors' 150 Gaussians and bias-free layers.

    Returns
    -------
    DataFrame
        Columns ``term``, ``formula``, ``per block`` (bool), ``count``; the last row is the total.
    """
    c, h, b = latent_size, latent_size // 2, int(with_bias)

    def dense(n_in: int, n_out: int) -> tuple[int, str]:
        return n_in * n_out + b * n_out, (f"{n_in}x{n_out}" + (f" + {n_out}" if b else ""))

    terms: list[tuple[str, tuple[int, str], bool]] = [
        ("embedding (species x latent)", (n_species * c, f"{n_species}x{c}"), False),
        ("filter layer 1 (RBF -> latent)", dense(n_rbf, c), True),
        ("filter layer 2 (latent -> latent)", dense(c, c), True),
        ("atom-wise layer before the convolution", dense(c, c), True),
        ("update layer 1", dense(c, c), True),
        ("update layer 2", dense(c, c), True),
        ("readout layer 1 (latent -> latent/2)", dense(c, h), False),
        ("readout layer 2 (latent/2 -> 1)", dense(h, 1), False),
    ]
    rows = []
    for name, (count, formula), per_block in terms:
        if per_block:
            rows.append({"term": name, "formula": f"{interactions} x ({formula})",
                         "per block": True, "count": interactions * count})
        else:
            rows.append({"term": name, "formula": formula, "per block": False, "count": count})
    total = sum(r["count"] for r in rows)
    rows.append({"term": "total", "formula": "", "per block": False, "count": total})
    return pd.DataFrame(rows)
