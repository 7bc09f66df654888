"""Chapter 6's ranking figure on a sample too small for rank correlations: no warning."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from howbig.chapters.infrastructure.compute_figures import ranking_figure


def test_ranking_figure_with_undefined_correlations_warns_nothing():
    curve = pd.DataFrame({"fraction": [0.1, 0.5], "spearman": [np.nan, np.nan],
                          "kendall": [np.nan, np.nan], "same_best": [0.0, 1.0]})
    agreement = {"step_fraction": 0.3, "spearman": np.nan, "n_pruned": 1, "n_trials": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = ranking_figure(curve, agreement)
    assert fig.axes[0].get_ylim() == (-0.05, 1.05)
    plt.close(fig)
