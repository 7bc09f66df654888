"""Graph neural networks in dm-haiku (one model per module) and small helpers shared by them.

Every model is an :class:`haiku.Transformed` (without apply rng) that maps a padded
:class:`jraph.GraphsTuple` from :class:`howbig.methods.graphs.PaddedBatcher` to one prediction
per graph
slot, shape ``(n_graph,)``; predictions for padding graphs are meaningless and masked by the
training code.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

__all__ = ["count_parameters"]


def count_parameters(params: Any) -> int:
    """Number of scalar trainable parameters in a parameter pytree.

    Works on concrete arrays and on the abstract result of ``jax.eval_shape(model.init, ...)``.
    """
    return int(sum(int(np.prod(np.shape(leaf) if not hasattr(leaf, "shape") else leaf.shape))
                   for leaf in jax.tree_util.tree_leaves(params)))
