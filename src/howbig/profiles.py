"""Run profiles: ``quick`` (2-core laptop, minutes, small real data), ``full`` (the paper's scale).

Profiles are data, not branches: each chapter reads its sizes from :data:`PROFILES` and its data
from :func:`data_sources`, and runs the same code path in every profile. Chapters add their own
entries under their chapter key. What each profile runs on is declared once, as
:class:`~howbig.profile_data.DataSource` objects, in :mod:`howbig.profile_data`.
"""

from __future__ import annotations

import copy
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
            # Section 2.1: the three formation-energy tables (DatabaseSettings)
            "target_window": (-5.0, 2.5),  # eV/atom kept in every database
            "max_formulas": None,          # cut of every table (smoke); None: all formulas
            "n_boot": 400,
            "split_seed": 0,
            # Sections 2.2 and 2.3: every composition-model run (RunSettings, prefix run_)
            "run_width": 64,
            "run_mp_steps": 3,
            "run_batch_size": 256,
            "run_learning_rate": 3e-3,
            "run_final_lr_fraction": 1 / 64,  # the learning rate at a run's last step / first
            "run_epochs": 25,              # steps = max(min_steps, epochs * n / batch_size)
            "run_min_steps": 1_500,
            "run_eval_every": 100,
            "run_patience": 500,           # steps without progress of the validation MAE ...
            "run_min_improvement": 0.002,  # ... progress = 0.2 % below the last progress
            "run_max_validation": 2_000,
            "run_matrix_seeds": (0, 1),    # full-size runs: the transfer matrix
            "run_combined_seeds": (0, 1),
            "run_combined_cap": None,      # formulas per database in the combined model
            "run_jobs": 2,                 # worker processes (-1: all cores)
            # Section 2.3: learning curves and fine-tuning (CurveSettings, prefix curve_)
            "curve_sizes": 5,
            "curve_span": 32,
            "curve_seeds": (0, 1, 2),
            "curve_finetune_sizes": 5,     # the 5 smallest JARVIS sizes: all of them
            "curve_finetune_seeds": (0, 1),
            "curve_finetune_learning_rate": 1e-3,
            "curve_fit_boot": 1_000,
            "curve_tolerance": 0.1,
            # Section 2.4: published split, band gaps, MPEU on crystal graphs (YardstickSettings)
            "published_seeds": (0,),      # one model on the published MP split ...
            "published_epochs": 50,        # ... about 11,600 steps: a few minutes on one core
            "gap_max_train": 16_000,
            "gap_seeds": (0,),
            "max_structures": None,        # structures per database (random subsample)
            "mpeu_curve_fractions": (0.25, 0.5, 1.0),
            "mpeu_latent_size": 32,        # paper: 256 (MP run), 64 in the benchmark
            "mpeu_mp_steps": 3,
            "mpeu_batch_size": 32,
            "mpeu_learning_rate": 2e-3,
            "mpeu_decay_rate": 0.5,
            "mpeu_decay_steps": 500,
            "mpeu_max_steps": 1_500,
            "mpeu_eval_every": 50,
            "mpeu_patience": 300,          # steps without improvement of the validation loss
            "mpeu_seed": 0,
            "graph_jobs": 1,               # processes for the k-NN graphs (-1: all cores)
        },
        "similarity": {
            # NOMAD FHI-aims entries are read where data_sources(...) names them (full, smoke)
            "nomad_max_entries": None,  # NOMAD entries to read (None: all)
            "group_threshold": 0.8,   # minimal Tanimoto S inside a group (complete linkage)
            "thresholds_scan": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
            "n_boot": 1000,  # bootstrap resamples of the calculations (block comparisons)
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
            "plateau_fraction": 0.95,  # a fit path's plateau: this share of its improvement
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
            "target_window": (-5.0, 2.5),
            "max_formulas": None,
            "n_boot": 1_000,
            "split_seed": 0,
            "run_width": 64,
            "run_mp_steps": 3,
            "run_batch_size": 256,
            "run_learning_rate": 3e-3,
            "run_final_lr_fraction": 1 / 64,
            "run_epochs": 100,
            "run_min_steps": 5_000,
            "run_eval_every": 500,
            "run_patience": 5_000,
            "run_min_improvement": 0.002,
            "run_max_validation": None,
            "run_matrix_seeds": (0, 1, 2),
            "run_combined_seeds": (0, 1, 2),
            "run_combined_cap": None,
            "run_jobs": 1,                 # one process: on a GPU the runs share the device
            "curve_sizes": 7,
            "curve_span": 64,
            "curve_seeds": (0, 1, 2, 3, 4),
            "curve_finetune_sizes": 7,
            "curve_finetune_seeds": (0, 1, 2),
            "curve_finetune_learning_rate": 1e-3,
            "curve_fit_boot": 2_000,
            "curve_tolerance": 0.1,
            "published_seeds": (0, 1, 2),
            "published_epochs": 100,
            "gap_max_train": None,
            "gap_seeds": (0, 1, 2),
            # the paper's pair (data_sources); hyperparameters of the authors' run
            # (mp2018_mpeu_config.json); meant for a GPU
            "max_structures": None,
            "mpeu_curve_fractions": (0.1, 0.3, 1.0),
            "mpeu_latent_size": 256,
            "mpeu_mp_steps": 3,
            "mpeu_batch_size": 32,
            "mpeu_learning_rate": 1e-4,
            "mpeu_decay_rate": 0.96,
            "mpeu_decay_steps": 100_000,
            "mpeu_max_steps": 10_000_000,
            "mpeu_eval_every": 50_000,
            "mpeu_patience": 1_000_000,
            "mpeu_seed": 42,
            "graph_jobs": -1,
        },
        "similarity": {
            "nomad_max_entries": None,
            "group_threshold": 0.8,
            "thresholds_scan": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
            "n_boot": 1000,
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
            "plateau_fraction": 0.95,  # a fit path's plateau: this share of its improvement
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
        # the real tables cut to a few thousand formulas; runs of a few dozen steps
        "max_formulas": 3_000, "n_boot": 100,
        "run_epochs": 1, "run_min_steps": 40, "run_eval_every": 20, "run_patience": 40,
        "run_max_validation": 300, "run_matrix_seeds": (0, 1), "run_combined_seeds": (0,),
        "run_jobs": 2,
        "curve_sizes": 3, "curve_span": 4, "curve_seeds": (0,), "curve_finetune_sizes": 2,
        "curve_finetune_seeds": (0,), "curve_fit_boot": 50,
        "published_seeds": (0,), "published_epochs": 1, "gap_max_train": 1_000,
        "gap_seeds": (0,),
        "mpeu_latent_size": 8, "mpeu_batch_size": 2, "mpeu_max_steps": 20, "mpeu_eval_every": 5,
        "mpeu_patience": 10, "mpeu_decay_steps": 10, "mpeu_learning_rate": 1e-3,
        "graph_jobs": 1,
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
    # Chapter 2, one entry per page. quick: a build of the five pages from an empty build
    # folder on a shared 2-core machine (2026-12-05, load average 3-4: other jobs ran), 4 / 19 /
    # 219 / 444 / 161 s (2.3 loads 2.2's runs from the build folder; alone it trains them too),
    # rounded up; to be replaced by an idle build's status.json. smoke: 3 / 11 / 64 / 74 / 116 s.
    "02_transferability": {"quick": 1, "full": 1, "smoke": 1},
    "02_1_databases": {"quick": 1, "full": 5, "smoke": 1},
    "02_2_transfer": {"quick": 4, "full": 120, "smoke": 2},
    "02_3_how_big": {"quick": 8, "full": 360, "smoke": 2},
    "02_4_yardsticks": {"quick": 3, "full": 600, "smoke": 2},
    # Ch. 3 and 4 as rewritten on 2026-12-04, `book run` on the shared 2-core machine under
    # load (contended: 7-22 / 6-13 s and 100-174 / 65-114 s), rounded up from the less loaded
    # run
    "03_similarity": {"quick": 1, "full": 15, "smoke": 1},
    "04_cluster_expansion": {"quick": 2, "full": 10, "smoke": 2},
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
