"""Complexity measures: known counts for MLPs, forests and SISSO; eq. (4) sums to the total."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor

from howbig.methods.complexity import (
    Eq4,
    eq4_forest,
    eq4_mlp,
    eq4_sisso,
    forest_complexity,
    mlp_parameter_count,
    nn_complexity,
    sisso_complexity,
    weighted_complexity,
)
from howbig.methods.models.mlp import hidden_for_parameters
from howbig.methods.models.sisso import SissoRegressor


def _haiku_params(sizes: list[int], n_in: int) -> dict:
    net = hk.transform(lambda x: hk.nets.MLP(sizes)(x))
    return net.init(jax.random.PRNGKey(0), jnp.ones((1, n_in)))


def test_nn_complexity_counts_weights_and_biases_of_haiku_tree():
    params = _haiku_params([8, 4, 1], n_in=3)
    counts = nn_complexity(params)
    assert counts == {"weights": 3 * 8 + 8 * 4 + 4 * 1, "biases": 8 + 4 + 1, "total": 73}
    assert counts == mlp_parameter_count(3, (8, 4), 1)
    assert counts["total"] == sum(x.size for x in jax.tree_util.tree_leaves(params))


def test_nn_complexity_reads_flax_style_trees():
    params = {"params": {"Dense_0": {"kernel": np.zeros((5, 2)), "bias": np.zeros(2)},
                         "Dense_1": {"kernel": np.zeros((2, 1)), "bias": np.zeros(1)}}}
    assert nn_complexity(params) == {"weights": 12, "biases": 3, "total": 15}
    assert eq4_mlp(params) == Eq4(additive=3, linear=10, nonlinear=2)


def test_eq4_mlp_layerwise_split_and_unit_weights_give_total():
    params = _haiku_params([16, 16, 1], n_in=10)
    split = eq4_mlp(params)
    assert split == Eq4(additive=33, linear=160, nonlinear=16 * 16 + 16)
    assert weighted_complexity(split) == nn_complexity(params)["total"] == split.total
    assert weighted_complexity(split, a=0, b=0, c=2) == 2 * split.nonlinear


def test_forest_leaves_are_splits_plus_one_per_tree():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    forest = RandomForestRegressor(n_estimators=7, max_leaf_nodes=12, random_state=0).fit(X, y)
    counts = forest_complexity(forest)
    assert counts["trees"] == 7
    assert counts["leaves"] == counts["splits"] + counts["trees"]
    assert counts["leaves"] == 7 * 12  # 200 noisy points: every tree grows to its cap
    assert eq4_forest(forest) == Eq4(counts["leaves"], 0, 0)


def test_sisso_complexity_counts_bias_as_dimension():
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, size=(50, 3))
    y = 2 * X[:, 0] + 3 * X[:, 1] * X[:, 2] + 1
    model = SissoRegressor(operators=("mul",), max_rung=1, n_dim=2, n_sis=5).fit(X, y)
    assert sisso_complexity(model) == {"rung": 1, "max_rung": 1, "dimension": 3,
                                       "descriptors": 2, "bias": 1}
    assert eq4_sisso(model) == Eq4(additive=1, linear=1, nonlinear=1)


@pytest.mark.parametrize("target", [10, 500, 5000])
def test_hidden_for_parameters_is_closest_width(target):
    hidden = hidden_for_parameters(7, target, n_layers=2)
    total = mlp_parameter_count(7, hidden)["total"]
    for width in (hidden[0] - 1, hidden[0] + 1):
        if width >= 1:
            assert abs(total - target) <= abs(mlp_parameter_count(7, (width, width))["total"]
                                              - target)
