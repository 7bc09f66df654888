"""A multilayer-perceptron regressor in haiku + optax with a scikit-learn interface.

The size of the network can be matched to a target parameter count
(:func:`hidden_for_parameters`), which Chapter 5 uses to compare NNs with random forests and SISSO
models of equal complexity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from howbig.methods.complexity import mlp_parameter_count

__all__ = ["MLPRegressor", "hidden_for_parameters"]


def hidden_for_parameters(n_in: int, target: int, n_layers: int = 2, n_out: int = 1,
                          max_width: int = 4096) -> tuple[int, ...]:
    """Equal-width hidden layers whose MLP has a parameter count closest to ``target``.

    Parameters
    ----------
    n_in
        Number of input features.
    target
        Desired number of trainable parameters (weights + biases).
    n_layers
        Number of hidden layers.
    """
    if n_layers < 1:
        raise ValueError("n_layers must be >= 1")
    best, best_gap = (1,) * n_layers, np.inf
    for width in range(1, max_width + 1):
        total = mlp_parameter_count(n_in, (width,) * n_layers, n_out)["total"]
        gap = abs(total - target)
        if gap < best_gap:
            best, best_gap = (width,) * n_layers, gap
        if total > target:
            break
    return best


class MLPRegressor(RegressorMixin, BaseEstimator):
    """Dense feed-forward network for regression (inputs and target standardized internally).

    Parameters
    ----------
    hidden
        Widths of the hidden layers.
    activation
        ``"relu"``, ``"tanh"``, ``"softplus"`` or ``"silu"``.
    learning_rate
        Adam learning rate (cosine-decayed to 1 % over training).
    weight_decay
        Decoupled weight decay (AdamW).
    epochs
        Passes over the training data.
    batch_size
        Minibatch size (the whole set if larger than it).
    validation_fraction
        Fraction held out for model selection over epochs: the parameters of the epoch with the
        lowest validation loss are kept (0: the final parameters are kept).
    clip
        Standardized inputs are clipped to ``[-clip, clip]``.
    seed
        Seed of initialization, shuffling and the validation split.
    """

    def __init__(self, hidden: Sequence[int] = (64, 64), activation: str = "relu",
                 learning_rate: float = 1e-3, weight_decay: float = 0.0, epochs: int = 200,
                 batch_size: int = 64, validation_fraction: float = 0.1, clip: float = 10.0,
                 seed: int = 0) -> None:
        self.hidden = hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.clip = clip
        self.seed = seed

    def _net(self):
        import haiku as hk
        import jax

        act = {"relu": jax.nn.relu, "tanh": jax.numpy.tanh, "softplus": jax.nn.softplus,
               "silu": jax.nn.silu}[self.activation]
        sizes = [*list(self.hidden), 1]

        def forward(x):
            return hk.nets.MLP(sizes, activation=act)(x)[:, 0]

        return hk.without_apply_rng(hk.transform(forward))

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train with Adam(W) on the mean squared error of the standardized target."""
        import jax
        import jax.numpy as jnp
        import optax

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32).ravel()
        self.n_features_in_ = X.shape[1]
        self.x_mean_ = X.mean(0)
        std = X.std(0)
        # features (nearly) constant in the training set are only centred, not blown up
        self.x_std_ = np.where(std > 1e-6 * (np.abs(self.x_mean_) + 1.0), std, 1.0)
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-8)
        Xs = self._scale(X)
        ys = (y - self.y_mean_) / self.y_std_
        rng = np.random.default_rng(self.seed)
        n_val = round(self.validation_fraction * len(y)) if len(y) >= 10 else 0
        perm = rng.permutation(len(y))
        val, train = perm[:n_val], perm[n_val:]
        net = self._net()
        params = net.init(jax.random.PRNGKey(self.seed), jnp.asarray(Xs[:1]))
        batch = min(self.batch_size, len(train))
        steps_per_epoch = max(len(train) // batch, 1)
        schedule = optax.cosine_decay_schedule(self.learning_rate,
                                               self.epochs * steps_per_epoch, alpha=0.01)
        opt = optax.adamw(schedule, weight_decay=self.weight_decay)
        state = opt.init(params)

        def loss(p, xb, yb):
            return jnp.mean((net.apply(p, xb) - yb) ** 2)

        def step(p, s, xb, yb):
            value, grads = jax.value_and_grad(loss)(p, xb, yb)
            updates, s = opt.update(grads, s, p)
            return optax.apply_updates(p, updates), s, value

        Xj, yj = jnp.asarray(Xs), jnp.asarray(ys)
        Xv, yv = (Xj[val], yj[val]) if n_val else (Xj[train], yj[train])
        orders = np.stack([rng.permutation(train)[: steps_per_epoch * batch]
                           .reshape(steps_per_epoch, batch) for _ in range(self.epochs)])

        @jax.jit
        def train_all(p, s, orders):
            def one_epoch(carry, idx):
                p, s, best_p, best_v = carry

                def body(c, b):
                    p, s = c
                    p, s, v = step(p, s, Xj[b], yj[b])
                    return (p, s), v

                (p, s), values = jax.lax.scan(body, (p, s), idx)
                v = loss(p, Xv, yv)
                better = v < best_v
                best_p = jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), p, best_p)
                return (p, s, best_p, jnp.minimum(v, best_v)), (values.mean(), v)

            init = (p, s, p, jnp.asarray(jnp.inf, dtype=jnp.float32))
            (p, s, best_p, _), history = jax.lax.scan(one_epoch, init, orders)
            return p, best_p, history

        last, best_params, history = train_all(params, state, jnp.asarray(orders))
        if not n_val:  # nothing held out: keep the final parameters
            best_params = last
        train_hist, val_hist = (np.asarray(h) for h in history)
        self.history_ = list(zip(train_hist.tolist(), (val_hist if n_val else
                                                        np.full_like(val_hist, np.nan)).tolist(),
                                 strict=True))
        self.params_ = jax.device_get(best_params)
        return self

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """Standardize with the training statistics and clip to +-``clip`` (robust to outliers
        of features that barely vary in the training set)."""
        Xs = (X - self.x_mean_) / self.x_std_
        return np.clip(Xs, -self.clip, self.clip).astype(np.float32)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the units of the training target."""
        import jax.numpy as jnp

        check_is_fitted(self, "params_")
        Xs = self._scale(np.asarray(X, dtype=np.float32))
        out = np.asarray(self._net().apply(self.params_, jnp.asarray(Xs)))
        return out.astype(float) * self.y_std_ + self.y_mean_

    @property
    def n_parameters_(self) -> int:
        """Trainable parameters (weights + biases) of the fitted network."""
        check_is_fitted(self, "params_")
        return mlp_parameter_count(self.n_features_in_, tuple(self.hidden))["total"]
