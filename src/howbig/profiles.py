"""Run profiles: ``quick`` (2-core laptop, minutes, small real data), ``full`` (the paper's scale).

Profiles are data, not branches: each chapter reads its sizes from :data:`PROFILES` and its data
from :func:`data_sources`, and runs the same code path in every profile. Chapters add their own
entries under their chapter key. What each profile runs on is declared once, as
:class:`~howbig.profile_data.DataSource` objects, in :mod:`howbig.profile_data`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from howbig.profile_data import DataSource

__all__ = ["PROFILES", "data_credits", "data_names", "data_sources",
           "profile_datasets", "settings", "stand_in_names"]

# Each chapter owns its own block in both profiles; keep the keys of the two profiles equal.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "transferability": {
            "max_train": 16_000,       # training formulas per database (random subsample)
            "max_validation": 2_000,
            "seeds": (0, 1, 2),        # Ef transfer matrix
            "gap_seeds": (0,),
            "roost_width": 64,
            "roost_steps": 3,
            "comp_batch_size": 256,
            "comp_learning_rate": 3e-3,
            "comp_decay_rate": 0.25,
            "comp_decay_steps": 800,
            "comp_max_steps": 2_400,
            "comp_eval_every": 100,
            "comp_patience": 300,      # steps without progress of the validation loss ...
            "comp_min_improvement": 0.005,  # ... progress = 0.5 % below the last progress
            "comp_loss": "mae",
            "curve_train": (3_000, 6_000),  # smaller MP training sets (one seed): learning curve
            "forest_trees": 60,
            "n_boot": 400,
            "jobs": 2,                 # worker processes for the training runs (-1: all cores)
            # crystal graphs: MPEU on the structure databases of data_sources(..., "structures")
            "max_structures": None,    # structures per database (random subsample; None: all)
            "curve_fractions": (0.25, 0.5, 1.0),
            "latent_size": 32,         # paper: 256 (MP run), 64 in the benchmark
            "mp_steps": 3,
            "batch_size": 32,
            "learning_rate": 2e-3,
            "decay_rate": 0.5,
            "decay_steps": 500,
            "max_steps": 1_500,
            "eval_every": 50,
            "patience": 300,           # steps without improvement of the validation loss
            "split_seed": 0,
            "seed": 0,
            "graph_jobs": 1,           # processes for the k-NN graphs (-1: all cores)
        },
        "similarity": {
            # NOMAD FHI-aims entries are read where data_sources(...) names them (full, smoke)
            "nomad_max_entries": None,  # NOMAD entries to read (None: all)
            "group_threshold": 0.8,   # minimal Tanimoto S inside a group (complete linkage)
            "thresholds_scan": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
        },
        "cluster_expansion": {
            "subset": 235,  # configurations in the paper-like setting (the paper had 235)
            "subset_seed": 0,
            "max_features": 200,
            "n_splits": 5,
            "inner_splits": 5,  # inner CV of the nested CV that chooses the model size
            "spread_seeds": (1, 2, 3),  # other paper-sized subsets: spread of fit statistics
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
            "exp1_folds": 5, "exp1_repeats": 1,  # group k-fold by molecule, repeated
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
        "infrastructure": {},  # Section 6.1: the paper's inputs only (its record is a Campaign)
        "compute": {
            # step profiler: the paper's SchNet setting (latent 64, 3 blocks, batch 32) and MPEU
            "profile_batch_size": 32,
            "profile_latent_size": 64,
            "profile_mp_steps": 3,
            "profile_steps": 15,
            "profile_warmup": 3,
            # NAS on data_sources("compute", ..., role="NAS"): a small random search on CPU
            "nas_target": "band_gap",
            "nas_max_structures": 400,
            "nas_trials": 10,
            "nas_max_steps": 300,
            "nas_eval_every": 30,
            "nas_mp_steps": [1, 2, 3],
            "nas_latent_sizes": [8, 16, 32],
            "nas_batch_sizes": [8, 16],
            "nas_learning_rate": [2e-3, 2e-2],
            "nas_seed": 0,
            "nas_noise_seeds": [1, 2],  # extra training seeds of the best configuration
            "nas_pruner": "median",
        },
    },
    "full": {
        "transferability": {
            "max_train": None,         # all training formulas
            "max_validation": None,
            "seeds": (0, 1, 2, 3, 4),
            "gap_seeds": (0, 1, 2),
            "roost_width": 64,
            "roost_steps": 3,
            "comp_batch_size": 256,
            "comp_learning_rate": 1e-3,
            "comp_decay_rate": 0.5,
            "comp_decay_steps": 20_000,
            "comp_max_steps": 200_000,
            "comp_eval_every": 1_000,
            "comp_patience": 20_000,
            "comp_min_improvement": 0.002,
            "comp_loss": "mae",
            "curve_train": (3_000, 12_000),
            "forest_trees": 300,
            "n_boot": 1_000,
            "jobs": 1,                 # one process: on a GPU the runs share the device
            # the paper's pair (data_sources); hyperparameters of the authors' run
            # (mp2018_mpeu_config.json); meant for a GPU
            "max_structures": None,
            "curve_fractions": (0.1, 0.3, 1.0),
            "latent_size": 256,
            "mp_steps": 3,
            "batch_size": 32,
            "learning_rate": 1e-4,
            "decay_rate": 0.96,
            "decay_steps": 100_000,
            "max_steps": 10_000_000,
            "eval_every": 50_000,
            "patience": 1_000_000,
            "split_seed": 0,
            "seed": 42,
            "graph_jobs": -1,
        },
        "similarity": {
            "nomad_max_entries": None,
            "group_threshold": 0.8,
            "thresholds_scan": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
        },
        "cluster_expansion": {
            "subset": 235,  # configurations in the paper-like setting (the paper had 235)
            "subset_seed": 0,
            "max_features": 200,
            "n_splits": 10,
            "inner_splits": 5,
            "spread_seeds": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
            "cv_seed": 0,
            "small_cutoffs": (9.0, 5.5),  # 27 clusters: 2 points, 17 pairs, 8 triplets
            "large_cutoffs": (10.0, 8.5, 6.0),  # 178: 2 points, 22 pairs, 132 triplets, 22 quads
            "crosscheck_cutoffs": (10.0, 8.5),
            "agpd_cutoffs": (13.5, 6.0, 5.5),
        },
        "complexity": {
            "sisso_rung": 2, "sisso_dim": 3, "sisso_sis": 30,
            "nn_epochs": 300, "nn_hidden_grid": [[8], [32, 32], [64, 64]], "nn_lr_grid": [3e-3],
            "exp1_folds": 5, "exp1_repeats": 3,
            "gap_n_train": None, "gap_cv_folds": 5, "gap_nn_epochs": 300, "gap_batch": 128,
            "gap_rf_grid": {"max_features": [0.2, 0.33, 0.5, 1.0], "min_samples_leaf": [1, 2, 4]},
            "gap_nn_grid": {"hidden": [[64, 64], [128, 128], [256, 256], [128, 128, 128]],
                            "learning_rate": [3e-4, 1e-3], "weight_decay": [0.0, 1e-4]},
            "gap_budgets": [100, 300, 1000, 3000, 10000, 30000, 100000],
            "gap_sisso_rungs": [0, 1, 2], "gap_sisso_dim": 4, "gap_sisso_sis": 20,
            "gap_curve_sizes": [250, 500, 1000, 2000, 4000, 8000, 11771],
            "icsd_n": None,
        },
        "infrastructure": {},
        "compute": {
            # on a GPU: more timed steps, the whole sample, the paper-sized search space
            "profile_batch_size": 32,
            "profile_latent_size": 64,
            "profile_mp_steps": 3,
            "profile_steps": 200,
            "profile_warmup": 10,
            "nas_target": "band_gap",
            "nas_max_structures": None,
            "nas_trials": 60,
            "nas_max_steps": 20_000,
            "nas_eval_every": 1_000,
            "nas_mp_steps": [1, 2, 3, 4, 5, 6],
            "nas_latent_sizes": [16, 32, 64, 128, 256],
            "nas_batch_sizes": [16, 32, 64],
            "nas_learning_rate": [1e-5, 1e-3],
            "nas_seed": 0,
            "nas_noise_seeds": [1, 2, 3, 4],
            "nas_pruner": "median",
        },
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


# ---------------------------------------------------------------------------------------------
# The ``smoke`` profile (owned by the book machinery).
# ---------------------------------------------------------------------------------------------
# ``smoke`` = the full profile's code paths with sizes cut to seconds, for CI: its data sources
# are the full profile's except where ``howbig book build --profile smoke`` serves fixture files
# in the real formats on 127.0.0.1
# (MP-2018 zip through ``HOWBIG_MIRROR``, AFLUX pages through ``HOWBIG_AFLUX_URL``, the NOMAD
# archive query through ``HOWBIG_NOMAD_URL``) with a separate cache (``HOWBIG_DATA_DIR``); see
# :mod:`howbig.book.smoke`. Only the sizes below differ from ``full``; keys absent here keep the
# full value. A chapter that adds a size key to ``full`` should cut it here too.
SMOKE_OVERRIDES: dict[str, dict[str, Any]] = {
    "transferability": {
        "latent_size": 8, "batch_size": 2, "max_steps": 20, "eval_every": 5, "patience": 10,
        "decay_steps": 10, "learning_rate": 1e-3, "graph_jobs": 1,
        # composition models: a few hundred steps on a few thousand formulas, two seeds
        "comp_max_steps": 60, "comp_eval_every": 20, "comp_patience": 40, "comp_decay_steps": 40,
        "max_train": 2000, "max_validation": 500, "seeds": (0, 1), "gap_seeds": (0,),
        "forest_trees": 20, "n_boot": 100, "curve_train": (500, 1000),
    },
    "similarity": {},
    "cluster_expansion": {"max_features": 30, "n_splits": 3},
    "complexity": {
        "nn_epochs": 20, "nn_hidden_grid": [[8]], "sisso_sis": 10,
        "gap_n_train": 200, "gap_cv_folds": 2, "gap_nn_epochs": 3,
        "gap_rf_grid": {"max_features": [0.33], "min_samples_leaf": [1]},
        "gap_nn_grid": {"hidden": [[16]], "learning_rate": [1e-3], "weight_decay": [0.0]},
        "gap_budgets": [100, 300], "gap_sisso_rungs": [0], "gap_sisso_dim": 2,
        "gap_sisso_sis": 5, "gap_curve_sizes": [100, 200], "icsd_n": 200,
    },
    "infrastructure": {},
    "compute": {
        "profile_steps": 3, "profile_warmup": 1, "nas_max_structures": 40, "nas_trials": 2,
        "nas_max_steps": 10, "nas_eval_every": 5, "nas_mp_steps": [1], "nas_latent_sizes": [8],
        "nas_batch_sizes": [8], "nas_noise_seeds": [1, 2],
    },
}


def _derive_smoke() -> dict[str, dict[str, Any]]:
    import copy

    smoke = copy.deepcopy(PROFILES["full"])
    for chapter, overrides in SMOKE_OVERRIDES.items():
        if chapter in smoke:
            # keys the full block lacks are skipped here (tests/book/test_book.py names them)
            smoke[chapter].update(
                {k: copy.deepcopy(v) for k, v in overrides.items() if k in smoke[chapter]}
            )
    return smoke


PROFILES["smoke"] = _derive_smoke()

# ---------------------------------------------------------------------------------------------
# What each profile runs on: DataSource objects, declared in howbig.profile_data.
# ---------------------------------------------------------------------------------------------
def _declared() -> dict[str, dict[str, tuple[DataSource, ...]]]:
    # the declaration imports every loader (pandas, ase: about 1 s); importing it only when a
    # source is asked for keeps ``import howbig.profiles`` (and the command line) fast
    from howbig.profile_data import SOURCES

    return SOURCES


def data_sources(chapter: str, profile: str, role: str | None = None) -> tuple[DataSource, ...]:
    """The data sources ``chapter`` runs on under ``profile`` (those of ``role`` if given).

    ``chapter`` is a key of :data:`PROFILES` (``"compute"`` is Chapter 6's NAS part). A role
    that another profile declares but ``profile`` does not gives an empty tuple (e.g. NOMAD's
    FHI-aims entries, ``"paper DOS"``, outside the quick profile).

    Raises
    ------
    ValueError
        For an unknown profile, chapter or role; the message lists the known ones.
    """
    table = _declared()
    if profile not in table:
        raise ValueError(f"unknown profile {profile!r}; use one of {sorted(table)}")
    if chapter not in table[profile]:
        raise ValueError(f"profile {profile!r} declares no data for chapter {chapter!r}; "
                         f"known: {sorted(table[profile])}")
    sources = table[profile][chapter]
    if role is None:
        return sources
    roles = {s.role for chapters in table.values() for s in chapters.get(chapter, ())}
    if role not in roles:  # a role no profile declares: a typo, not an absent source
        raise ValueError(f"chapter {chapter!r} has no data of role {role!r}; roles: "
                         f"{sorted(roles)}")
    return tuple(s for s in sources if s.role == role)


def data_names(chapter: str, profile: str, role: str | None = None) -> str:
    """The labels of :func:`data_sources`, joined by ``"; "`` (a recorder's ``data=``)."""
    return "; ".join(s.label for s in data_sources(chapter, profile, role))


def data_credits(chapter: str, profile: str, role: str | None = None) -> str:
    """``DataSource.credits()`` of every source, joined by ``"; "`` (the pages' data box)."""
    return "; ".join(s.credits() for s in data_sources(chapter, profile, role))


def profile_datasets(profile: str) -> tuple[str, ...]:
    """Every registry dataset the chapters read in ``profile`` (``howbig data fetch --all``)."""
    chapters = _declared().get(profile)
    if chapters is None:
        raise ValueError(f"unknown profile {profile!r}; use one of {sorted(_declared())}")
    return tuple(dict.fromkeys(d for sources in chapters.values() for s in sources
                               for d in s.datasets))


def stand_in_names() -> dict[str, tuple[str, ...]]:
    """The quick profile's stand-ins that the smoke profile does not use: label -> names.

    A smoke page (the full profile's code path) that prints one of these names (the label or a
    registry name) still runs a quick-profile branch; ``howbig book check-smoke`` looks for them.
    """
    table = _declared()
    smoke = {s.label for sources in table["smoke"].values() for s in sources}
    return {s.label: (s.label, *s.datasets) for sources in table["quick"].values()
            for s in sources if s.stand_in and s.label not in smoke}


#: Expected wall time of each notebook page in minutes (page -> profile -> minutes), keyed by
#: the page's file stem (``"02_transferability"``; a chapter split into sections has one entry
#: per section page): quick and smoke as measured by CI builds on 2 CPU cores
#: (``_build/status.json``; round up), full an estimate for one GPU that no build has measured
#: yet. Read through :func:`expected_minutes` by the Colab setup cell, the status page, the
#: teacher's guide and the pages' goals blocks.
EXPECTED_MINUTES: dict[str, dict[str, float]] = {
    # quick / smoke: CI build of 2026-11-30 on 2 cores (270 / 83 s, 4.5 / 5.3 s, 35 / 32 s,
    # 141 / 58 s, 78 / 36 s), rounded up to whole minutes
    "02_transferability": {"quick": 5, "full": 600, "smoke": 2},
    "03_similarity": {"quick": 1, "full": 15, "smoke": 1},
    "04_cluster_expansion": {"quick": 1, "full": 10, "smoke": 1},
    "05_complexity": {"quick": 3, "full": 90, "smoke": 1},
    "06_infrastructure": {"quick": 1, "full": 1, "smoke": 1},
    "06_2_compute": {"quick": 1, "full": 10, "smoke": 1},
    "06_3_search": {"quick": 2, "full": 240, "smoke": 1},
}

#: How each profile's run time above was obtained.
RUN_TIME_BASIS = {
    "quick": "2 CPU cores, measured",
    "full": "one GPU, an estimate not yet measured",
    "smoke": "2 CPU cores, measured",
}


def expected_minutes(doc: str) -> dict[str, float]:
    """Expected minutes per profile of the notebook page ``doc`` (a path or its stem).

    Examples
    --------
    >>> expected_minutes("notebooks/03_similarity")["quick"]
    1
    >>> expected_minutes("book/status")
    {}
    """
    stem = doc.rstrip("/").rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".ipynb")
    return dict(EXPECTED_MINUTES.get(stem, {}))
