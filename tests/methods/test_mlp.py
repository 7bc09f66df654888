"""MLP regressor: learns a smooth function, parameter count matches its tree, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from howbig.methods.complexity import nn_complexity
from howbig.methods.models.mlp import MLPRegressor


@pytest.mark.slow
def test_mlp_fits_a_smooth_function_and_is_reproducible():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = MLPRegressor(hidden=(32, 32), epochs=60, batch_size=64, learning_rate=3e-3, seed=1)
    model.fit(X[:300], y[:300])
    mae = np.mean(np.abs(model.predict(X[300:]) - y[300:]))
    assert mae < 0.25 * np.mean(np.abs(y[300:] - y[:300].mean()))
    expected = 2 * 32 + 32 * 32 + 32 + 64 + 1
    assert nn_complexity(model.params_)["total"] == expected
    assert len(model.history_) == 60  # one evaluation per epoch
    again = clone(model).fit(X[:300], y[:300])
    np.testing.assert_allclose(again.predict(X[300:]), model.predict(X[300:]), rtol=1e-5)
