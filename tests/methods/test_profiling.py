"""Tests of Section 6.2's library: SchNet, MPEU parameter counts, cost model, step profiler."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jraph
import numpy as np
import pytest

from howbig.chapters.infrastructure.compute import (
    HOURS_PER_YEAR,
    gpu_cpu_ratio,
    nas_cost,
    paper_check,
)
from howbig.methods.models import count_parameters
from howbig.methods.models.mpeu import mpeu
from howbig.methods.models.schnet import cosine_cutoff, parameter_breakdown, schnet
from howbig.methods.profiling import StepProfile, profile_steps
from howbig.paper import paper_value


def _graph(distances=(1.0, 1.2, 2.0, 2.5), species=(1, 8, 8, 3)) -> jraph.GraphsTuple:
    """Two real graphs (3 atoms, 1 atom) plus one padding graph, jraph padding convention."""
    return jraph.GraphsTuple(
        nodes=jnp.array([*species, 0], jnp.int32),
        edges=jnp.array([*distances, 0.0], jnp.float32),
        senders=jnp.array([0, 1, 2, 3, 4], jnp.int32),
        receivers=jnp.array([1, 0, 1, 3, 4], jnp.int32),
        n_node=jnp.array([3, 1, 1], jnp.int32),
        n_edge=jnp.array([3, 1, 1], jnp.int32),
        globals=jnp.array([0.5, 1.0, 0.0], jnp.float32),
    )


def _n_params(model, graphs=None) -> int:
    """Parameter count from the shapes alone (jax.eval_shape: traced, never executed)."""
    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), graphs or _graph())
    return int(sum(np.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes)))


# --- parameter counts against hand-derived formulas --------------------------------------------
def schnet_formula(c: int, t: int, z: int, k: int, bias: bool) -> int:
    """SchNet by hand: embedding Z C; per block a K->C and four C->C layers; readout C->C/2->1."""
    b = int(bias)
    block = (k * c + b * c) + 4 * (c * c + b * c)
    return z * c + t * block + (c * (c // 2) + b * (c // 2)) + (c // 2 + b)


@pytest.mark.parametrize(("c", "t", "z", "k", "bias"),
                         [(64, 3, 81, 150, False), (64, 3, 81, 150, True), (16, 1, 10, 20, False),
                          (32, 4, 100, 150, True)])
def test_schnet_count_matches_formula_and_breakdown(c, t, z, k, bias):
    model = schnet(latent_size=c, interactions=t, n_species=z, n_rbf=k, with_bias=bias)
    expected = schnet_formula(c, t, z, k, bias)
    assert _n_params(model) == expected
    if (c, t) == (16, 1):  # the shape count equals the count of real initialised parameters
        params = jax.jit(model.init)(jax.random.PRNGKey(0), _graph())
        assert count_parameters(params) == expected
    table = parameter_breakdown(c, t, z, k, bias)
    assert table["count"].iloc[-1] == expected
    assert table["count"].iloc[:-1].sum() == expected


def test_schnet_paper_setting_is_about_85000():
    n = _n_params(schnet(latent_size=64, interactions=3, n_species=81))
    assert n == 85_216
    assert abs(n - paper_value("schnet_parameters")) / paper_value("schnet_parameters") < 0.01


def mpeu_formula(c: int, t: int, z: int, k: int) -> int:
    """MPEU (bias-free) by hand, from its description: embedding Z C; per step an edge MLP
    [h_w, h_v, e] -> 2C -> C (input 2C + K on the first step, 3C afterwards), a two-layer C
    message gate, a C->C node projection, a two-layer C node update; readout C -> C/2 -> 1."""
    total = z * c
    for step in range(t):
        edge_in = 2 * c + (k if step == 0 else c)
        total += edge_in * 2 * c + 2 * c * c  # edge update
        total += 2 * c * c  # message gate (two C x C layers)
        total += c * c  # node projection
        total += 2 * c * c  # node update
    return total + c * (c // 2) + c // 2


@pytest.mark.parametrize(("c", "t", "z"), [(64, 3, 100), (16, 1, 100), (32, 2, 81)])
def test_mpeu_count_matches_hand_formula(c, t, z):
    assert _n_params(mpeu(latent_size=c, mp_steps=t, n_species=z)) == mpeu_formula(c, t, z, 150)


# --- SchNet properties ------------------------------------------------------------------------
def test_schnet_permutation_and_padding_invariance():
    model = schnet(latent_size=16, interactions=2, n_species=10)
    g = _graph()
    params = jax.jit(model.init)(jax.random.PRNGKey(1), g)
    apply = jax.jit(model.apply)
    out = np.asarray(apply(params, g))
    # relabel the atoms of the first graph (0,1,2) -> (2,0,1); edges follow their atoms
    perm = np.array([2, 0, 1, 3, 4])  # new index of old atom i
    nodes = np.empty(5, np.int32)
    nodes[perm] = np.asarray(g.nodes)
    order = np.array([2, 0, 1, 3, 4])  # also shuffle the edge list
    g2 = g._replace(nodes=jnp.asarray(nodes),
                    senders=jnp.asarray(perm[np.asarray(g.senders)][order]),
                    receivers=jnp.asarray(perm[np.asarray(g.receivers)][order]),
                    edges=g.edges[order])
    np.testing.assert_allclose(np.asarray(apply(params, g2))[:2], out[:2], rtol=1e-5)
    # the padding graph does not influence the real ones
    g3 = g._replace(nodes=g.nodes.at[4].set(7), edges=g.edges.at[4].set(0.7))
    np.testing.assert_allclose(np.asarray(apply(params, g3))[:2], out[:2], rtol=1e-6)


def test_schnet_cosine_cutoff_silences_far_edges():
    assert float(cosine_cutoff(jnp.array(0.0), 5.0)) == 1.0
    assert float(cosine_cutoff(jnp.array(5.0), 5.0)) == 0.0
    model = schnet(latent_size=8, interactions=1, n_species=10, cutoff=2.2)
    params = jax.jit(model.init)(jax.random.PRNGKey(2), _graph())
    apply = jax.jit(model.apply)
    near = apply(params, _graph(distances=(1.0, 1.2, 2.3, 2.5)))
    far = apply(params, _graph(distances=(1.0, 1.2, 9.0, 2.5)))
    np.testing.assert_allclose(near, far, rtol=1e-6)  # edge 2 lies beyond the cutoff either way
    moved = apply(params, _graph(distances=(1.0, 1.5, 2.3, 2.5)))
    assert not np.allclose(near[0], moved[0])  # an edge inside the cutoff matters


# --- cost model --------------------------------------------------------------------------------
def test_cost_model_defaults_are_the_papers_arithmetic():
    cost = nas_cost()
    per_step = paper_value("v100_batch_seconds") + paper_value("v100_step_seconds")
    assert cost.seconds_per_step == pytest.approx(0.0033)
    assert cost.hours_per_run == pytest.approx(2e6 * per_step / 3600)  # 1.83 h, "about two"
    assert cost.device_hours == pytest.approx(2000 * 2e6 * 0.0033 / 3600)
    assert cost.years == pytest.approx(cost.device_hours / 8766)
    assert cost.usd == pytest.approx(3 * cost.device_hours)
    cpu = nas_cost(batch_seconds=paper_value("cpu_batch_seconds"),
                   step_seconds=paper_value("cpu_step_seconds"))
    assert cpu.hours_per_run == pytest.approx(10.5)  # the paper's CPU figure, exactly


def test_cost_model_scales_linearly():
    base = nas_cost()
    assert nas_cost(architectures=4000).usd == pytest.approx(2 * base.usd)
    assert nas_cost(dataset_size=120_000).device_hours == pytest.approx(2 * base.device_hours)
    assert nas_cost(usd_per_hour=6).usd == pytest.approx(2 * base.usd)
    with pytest.raises(ValueError):
        nas_cost(steps=-1)


def test_paper_check_verdicts():
    table = paper_check().set_index("claim")
    verdict = table["agrees"]
    assert verdict["one V100 run (h)"]  # 1.83 h vs "about two hours"
    assert verdict["one CPU-core run (h)"]  # 10.5 h
    # 2,000 x 1.83 h = 3,667 h, not 40,000 h: the paper's NAS figures are ~10x too large ...
    row = table.loc["NAS GPU hours (from per-step times)"]
    assert not row["agrees"] and row["ratio"] == pytest.approx(3666.67 / 40000, rel=1e-4)
    assert not verdict["NAS GPU hours (from the stated 2 h per run)"]
    # ... but internally consistent with its own 40,000 h
    assert verdict["NAS years (from the stated 40,000 h)"]
    assert verdict["NAS budget USD (from the stated 40,000 h)"]
    assert table.loc["NAS years (from the stated 40,000 h)", "recomputed"] == pytest.approx(
        40000 / HOURS_PER_YEAR)
    assert table.loc["NAS improvement best vs mean (%)", "recomputed"] == pytest.approx(
        100 * 82 / 556)
    assert math.isclose(table.loc["CPU / GPU gradient step only", "recomputed"], 0.0177 / 0.0023)
    # "nearly an order of magnitude" is 7-10x (howbig.verdicts): the 5.7x per step does not
    # check out; the gradient step alone (7.7x) does
    assert not verdict["CPU / GPU time per step ('nearly an order of magnitude')"]
    assert verdict["CPU / GPU gradient step only"]
    assert verdict["NAS improvement best vs mean (meV)"]  # 82 meV, printed as "80"


# --- step profiler -----------------------------------------------------------------------------
@pytest.mark.slow
def test_profile_steps_times_both_phases():
    g = _graph()
    calls = []

    def batches():
        for _ in range(3):
            calls.append(1)
            yield g

    prof = profile_steps(schnet(latent_size=8, interactions=1, n_species=10), batches,
                         label="SchNet", batch_size=2, n_steps=4, warmup=1,
                         device=jax.devices("cpu")[0])
    assert prof.batch_seconds >= 0 and prof.step_seconds > 0
    assert prof.n_samples == 4 and prof.device
    assert prof.n_parameters == schnet_formula(8, 1, 10, 150, False)
    assert len(calls) == 6  # one batch for init + one per step; restarted when exhausted


def test_gpu_cpu_ratio_only_where_both_measured():
    def prof(model, device, step):
        return StepProfile(model, device, 32, 0.001, step, 0.0, 0.0, 10, 100)

    profiles = [prof("SchNet", "NVIDIA H100 (gpu)", 0.002),
                prof("MPEU", "NVIDIA H100 (gpu)", 0.004),
                prof("SchNet", "CPU (16 cores visible)", 0.029)]
    assert gpu_cpu_ratio(profiles) == {"SchNet": pytest.approx(0.030 / 0.003)}
    assert gpu_cpu_ratio(profiles[2:]) == {}
