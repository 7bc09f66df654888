"""A multilayer-perceptron regressor in haiku with a scikit-learn interface.

It trains through the book's one training loop, :func:`howbig.methods.training.train`.

The size of the network can be matched to a target parameter count
(:func:`hidden_for_parameters`), which Chapter 5 uses to compare NNs with random forests and SISSO
models of equal complexity.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import haiku as hk
import jax
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from howbig.methods.arrays import ArraySet
from howbig.methods.complexity import mlp_parameter_count
from howbig.methods.training import TrainConfig, predict, train

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


@lru_cache(maxsize=32)
def _network(hidden: tuple[int, ...], activation: str) -> hk.Transformed:
    """The network of given widths (one object per shape, so compiled steps are reused)."""
    act = {"relu": jax.nn.relu, "tanh": jax.numpy.tanh, "softplus": jax.nn.softplus,
           "silu": jax.nn.silu}[activation]

    def forward(x):
        return hk.nets.MLP([*hidden, 1], activation=act)(x)[:, 0]

    return hk.without_apply_rng(hk.transform(forward))


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

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train with Adam(W) on the mean squared error of the standardized target.

        Through :func:`howbig.methods.training.train` (cosine learning-rate decay to 1 %,
        the validation loss evaluated after every epoch, the best epoch's parameters kept).
        """
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
        val, fit_rows = perm[:n_val], perm[n_val:]
        batch = min(self.batch_size, len(fit_rows))
        steps_per_epoch = -(-len(fit_rows) // batch)
        total = self.epochs * steps_per_epoch
        config = TrainConfig(
            learning_rate=self.learning_rate, schedule="cosine", decay_steps=max(total, 1),
            alpha=0.01, weight_decay=self.weight_decay, batch_size=batch, max_steps=total,
            eval_every=steps_per_epoch, patience=None, seed=self.seed, loss="mse",
            standardize=False, progress=False)
        result = train(_network(tuple(self.hidden), self.activation),
                       ArraySet(Xs[fit_rows], ys[fit_rows]),
                       ArraySet(Xs[val], ys[val]) if n_val else None, config)
        self.history_ = [(t, v) for _, t, v in result.history]
        self.params_ = result.params
        return self

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """Standardize with the training statistics and clip to +-``clip`` (robust to outliers
        of features that barely vary in the training set)."""
        Xs = (X - self.x_mean_) / self.x_std_
        return np.clip(Xs, -self.clip, self.clip).astype(np.float32)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the units of the training target."""
        check_is_fitted(self, "params_")
        Xs = self._scale(np.asarray(X, dtype=np.float32))
        out = predict(_network(tuple(self.hidden), self.activation), self.params_,
                      ArraySet(Xs, np.zeros(len(Xs))), batch_size=4096)
        return out.astype(float) * self.y_std_ + self.y_mean_
