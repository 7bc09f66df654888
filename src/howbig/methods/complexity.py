"""Model complexity per model class (Section 5.1 of the paper) and the weighted sum of eq. (4).

* Neural networks: the two-vector (weights, biases), read from a haiku/flax parameter tree.
* Random forests: the number of leaves (each learns one constant); splits = leaves - trees.
* SISSO: the two-vector (rung, dimension), the bias counted as an extra dimension if present.

Eq. (4) of the paper, ``C(h) = a A(h) + b L(h) + c N(h)``, splits a model's trainable
parameters into additive constants ``A``, coefficients of terms linear in the features ``L`` and
coefficients of nonlinear terms ``N``. With ``a = b = c = 1`` it is the total parameter count.
The convention used here for each class is documented in its ``eq4_*`` function.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "Eq4",
    "eq4_forest",
    "eq4_mlp",
    "eq4_sisso",
    "forest_complexity",
    "mlp_parameter_count",
    "nn_complexity",
    "sisso_complexity",
    "weighted_complexity",
]


@dataclass(frozen=True)
class Eq4:
    """Parameters split as in eq. (4): additive, linear and nonlinear coefficients."""

    additive: int
    linear: int
    nonlinear: int

    @property
    def total(self) -> int:
        """``A + L + N``: eq. (4) with unit weights, the trainable parameter count."""
        return self.additive + self.linear + self.nonlinear

    def as_dict(self) -> dict[str, int]:
        """The three counts and their total."""
        return {**asdict(self), "total": self.total}


def weighted_complexity(split: Eq4, a: float = 1.0, b: float = 1.0, c: float = 1.0) -> float:
    """Eq. (4): ``C = a A + b L + c N``."""
    return a * split.additive + b * split.linear + c * split.nonlinear


# ----------------------------------------------------------------------------- neural networks
def _layers(params: Mapping[str, Any]) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Dense layers of a haiku (``{'mlp/~/linear_0': {'w', 'b'}}``) or flax
    (``{'params': {'Dense_0': {'kernel', 'bias'}}}``) parameter tree, in network order."""
    if "params" in params and isinstance(params["params"], Mapping):
        params = params["params"]
    layers = []
    for name, leaf in params.items():
        if not isinstance(leaf, Mapping):
            continue
        arrays = {k: np.asarray(v) for k, v in leaf.items()}
        if any(isinstance(v, Mapping) for v in leaf.values()):  # nested flax modules
            layers.extend(_layers(leaf))
            continue
        layers.append((name, arrays))

    def order(item: tuple[str, Any]) -> tuple[int, str]:
        numbers = re.findall(r"(\d+)$", item[0])
        return (int(numbers[0]) if numbers else -1, item[0])

    return sorted(layers, key=order)


def nn_complexity(params: Mapping[str, Any]) -> dict[str, int]:
    """The paper's NN complexity: numbers of weights (arrays of rank >= 2) and biases (rank 1).

    Parameters
    ----------
    params
        haiku or flax parameter tree (nested mappings of arrays).
    """
    weights = biases = 0
    for _, arrays in _layers(params):
        for array in arrays.values():
            if array.ndim >= 2:
                weights += array.size
            else:
                biases += array.size
    return {"weights": weights, "biases": biases, "total": weights + biases}


def mlp_parameter_count(n_in: int, hidden: Sequence[int], n_out: int = 1) -> dict[str, int]:
    """Weights and biases of a dense MLP ``n_in -> hidden... -> n_out`` without building it."""
    sizes = [n_in, *hidden, n_out]
    weights = sum(a * b for a, b in itertools.pairwise(sizes))
    biases = sum(sizes[1:])
    return {"weights": weights, "biases": biases, "total": weights + biases}


def eq4_mlp(params: Mapping[str, Any]) -> Eq4:
    """Eq. (4) for an MLP, layer-wise convention.

    Biases are additive (``A``); first-layer weights multiply the raw features, i.e. linear terms
    (``L``); weights of deeper layers multiply nonlinear functions of the features (``N``). This
    follows the paper's remark that deeper parameters "transform nonlinear inputs with nonlinear
    functions".
    """
    layers = _layers(params)
    additive = linear = nonlinear = 0
    for depth, (_, arrays) in enumerate(layers):
        for array in arrays.values():
            if array.ndim < 2:
                additive += array.size
            elif depth == 0:
                linear += array.size
            else:
                nonlinear += array.size
    return Eq4(additive, linear, nonlinear)


# ---------------------------------------------------------------------------------- forests
def forest_complexity(forest: Any) -> dict[str, int]:
    """Leaves, splits and trees of a fitted scikit-learn forest (or single tree).

    Each leaf learns one constant; each split learns one threshold; in a binary tree
    ``leaves = splits + 1``.
    """
    estimators = getattr(forest, "estimators_", [forest])
    leaves = splits = 0
    for est in np.ravel(estimators):
        tree = est.tree_
        n_leaves = int(tree.n_leaves)
        leaves += n_leaves
        splits += int(tree.node_count) - n_leaves
    return {"leaves": leaves, "splits": splits, "trees": len(np.ravel(estimators))}


def eq4_forest(forest: Any) -> Eq4:
    """Eq. (4) for a forest: every leaf value is an additive constant; no linear or nonlinear
    coefficients (the split thresholds are not coefficients of any term)."""
    return Eq4(forest_complexity(forest)["leaves"], 0, 0)


# ------------------------------------------------------------------------------------ SISSO
def sisso_complexity(model: Any) -> dict[str, int]:
    """SISSO's (rung, dimension) of a fitted :class:`howbig.methods.models.sisso.SissoRegressor`.

    ``dimension`` counts the descriptors plus one for the bias when the model has one;
    ``max_rung`` is the rung of the feature space searched, ``rung`` the deepest selected tree.
    """
    bias = int(bool(model.fit_intercept))
    return {"rung": int(model.rung_), "max_rung": int(model.max_rung),
            "dimension": len(model.trees_) + bias, "descriptors": len(model.trees_),
            "bias": bias}


def eq4_sisso(model: Any) -> Eq4:
    """Eq. (4) for SISSO: the bias is additive, coefficients of primary features (rung 0) are
    linear and coefficients of generated (rung >= 1) features are nonlinear."""
    # imported here: the models package imports jax (~0.7 s), which the counts do not need
    from howbig.methods.models.sisso_features import tree_depth

    depths = [tree_depth(t) for t in model.trees_]
    return Eq4(int(bool(model.fit_intercept)), sum(d == 0 for d in depths),
               sum(d > 0 for d in depths))
