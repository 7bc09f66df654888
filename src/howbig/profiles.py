"""Run profiles: ``quick`` (2-core laptop, minutes, small real data), ``full`` (the paper's scale).

Profiles are data, not branches: each chapter reads its sizes from :data:`PROFILES` and runs the
same code path in both. Chapters add their own entries under their chapter key.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

__all__ = ["PROFILES", "settings"]

# Each chapter owns its own block in both profiles; keep the keys of the two profiles equal.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "transferability": {},
        "similarity": {},
        "cluster_expansion": {
            "subset": 235,  # configurations in the paper-like setting (the paper had 235)
            "subset_seed": 0,
            "max_features": 200,
            "n_splits": 5,
            "cv_seed": 0,
            "small_cutoffs": (9.0, 5.5),  # 27 clusters: 2 points, 17 pairs, 8 triplets
            "large_cutoffs": (10.0, 8.5, 6.0),  # 178: 2 points, 22 pairs, 132 triplets, 22 quads
            "crosscheck_cutoffs": (10.0, 8.5),
            "agpd_cutoffs": (13.5, 6.0, 5.5),
        },
        "complexity": {
            # experiment 1: SISSO vs NN on the PySCF basis-set errors (small data: same in both)
            "sisso_rung": 2, "sisso_dim": 3, "sisso_sis": 30,
            "nn_epochs": 300, "nn_hidden_grid": [[8], [32, 32], [64, 64]], "nn_lr_grid": [3e-3],
            # experiment 2: AFLOW band gaps (non-metals); None = all training compounds
            "gap_n_train": 3000, "gap_cv_folds": 3, "gap_nn_epochs": 100, "gap_batch": 128,
            "gap_rf_grid": {"max_features": [0.33, 1.0], "min_samples_leaf": [1]},
            "gap_nn_grid": {"hidden": [[64, 64], [128, 128]], "learning_rate": [1e-3],
                            "weight_decay": [1e-4]},
            "gap_budgets": [100, 300, 1000, 3000, 10000, 30000],
            "gap_sisso_rungs": [0, 1], "gap_sisso_dim": 4, "gap_sisso_sis": 20,
            "gap_curve_sizes": [250, 500, 1000, 2000, 3000],
            "icsd_n": 1500,
        },
        "infrastructure": {
            "storage_max_structures": 100_000,
        },
        "compute": {},
    },
    "full": {
        "transferability": {},
        "similarity": {},
        "cluster_expansion": {
            "subset": 235,  # configurations in the paper-like setting (the paper had 235)
            "subset_seed": 0,
            "max_features": 200,
            "n_splits": 10,
            "cv_seed": 0,
            "small_cutoffs": (9.0, 5.5),  # 27 clusters: 2 points, 17 pairs, 8 triplets
            "large_cutoffs": (10.0, 8.5, 6.0),  # 178: 2 points, 22 pairs, 132 triplets, 22 quads
            "crosscheck_cutoffs": (10.0, 8.5),
            "agpd_cutoffs": (13.5, 6.0, 5.5),
        },
        "complexity": {
            "sisso_rung": 2, "sisso_dim": 3, "sisso_sis": 30,
            "nn_epochs": 300, "nn_hidden_grid": [[8], [32, 32], [64, 64]], "nn_lr_grid": [3e-3],
            "gap_n_train": None, "gap_cv_folds": 5, "gap_nn_epochs": 300, "gap_batch": 128,
            "gap_rf_grid": {"max_features": [0.2, 0.33, 0.5, 1.0], "min_samples_leaf": [1, 2, 4]},
            "gap_nn_grid": {"hidden": [[64, 64], [128, 128], [256, 256], [128, 128, 128]],
                            "learning_rate": [3e-4, 1e-3], "weight_decay": [0.0, 1e-4]},
            "gap_budgets": [100, 300, 1000, 3000, 10000, 30000, 100000],
            "gap_sisso_rungs": [0, 1, 2], "gap_sisso_dim": 4, "gap_sisso_sis": 20,
            "gap_curve_sizes": [250, 500, 1000, 2000, 4000, 8000, 11771],
            "icsd_n": None,
        },
        "infrastructure": {
            "storage_max_structures": 1_000_000,
        },
        "compute": {},
    },
}


def settings(chapter: str, profile: str) -> MappingProxyType:
    """Read-only settings of ``chapter`` under ``profile``.

    Raises
    ------
    ValueError
        If the profile or the chapter is unknown; the message lists the known ones.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {sorted(PROFILES)}")
    table = PROFILES[profile]
    if chapter not in table:
        raise ValueError(
            f"profile {profile!r} has no settings for chapter {chapter!r}; known: {sorted(table)}"
        )
    return MappingProxyType(dict(table[chapter]))
