"""Bootstrap: known answers for the mean of normal data, paired resampling, edge cases."""

import numpy as np
import pytest

from howbig.methods.bootstrap import bootstrap


def test_mean_interval_covers_truth_and_matches_standard_error():
    x = np.random.default_rng(1).normal(2.0, 1.0, 400)
    res = bootstrap(np.mean, x, n_boot=2000)
    assert res.low < 2.0 < res.high
    # standard error of the mean is sigma / sqrt(n) = 0.05
    assert res.stderr == pytest.approx(1 / np.sqrt(400), rel=0.15)
    assert res.estimate == pytest.approx(x.mean())


def test_paired_arrays_are_resampled_together():
    y = np.arange(50.0)
    res = bootstrap(lambda a, b: np.mean(np.abs(a - b)), y, y + 1.5)
    assert res.low == res.high == res.estimate == pytest.approx(1.5)


def test_empty_and_mismatched():
    assert np.isnan(bootstrap(np.mean, np.array([])).estimate)
    with pytest.raises(ValueError, match="differ in length"):
        bootstrap(np.mean, np.ones(3), np.ones(4))
