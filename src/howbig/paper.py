"""The paper's headline numbers: one table, read by the chapters and the reproducibility page.

Speckhard, Bechtel, Ghiringhelli, Kuban, Rigamonti and Draxl, "How big is big data?",
Faraday Discuss. 2025, 256, 483 (DOI 10.1039/d4fd00102h).

Every value here is transcribed from the paper's text; derived values (for example the GPU hours of
Section 6.2) are *not* stored here but recomputed from the stated inputs by ``howbig.chapters.infrastructure.storage``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["PAPER", "PaperNumber", "paper_table", "paper_value"]

DOI = "10.1039/d4fd00102h"


@dataclass(frozen=True)
class PaperNumber:
    """One number stated in the paper.

    Parameters
    ----------
    key
        Stable identifier used by chapters (``howbig.report.record(..., paper=key)``).
    value
        The value as stated in the paper.
    unit
        Unit of ``value`` ("" for counts and ratios).
    section
        Paper section the number comes from ("2", "6.2", ...).
    description
        What the number is, in a few words.
    kind
        ``"stated"`` for a measured/reported result, ``"input"`` for an input the paper states
        and later arithmetic uses, ``"derived"`` for a number the paper computes from inputs.
    """

    key: str
    value: float
    unit: str
    section: str
    description: str
    kind: str = "stated"


_NUMBERS: tuple[PaperNumber, ...] = (
    # --- Section 2: transferability ------------------------------------------------------
    PaperNumber("aflow_entries", 61898, "", "2", "AFLOW entries after filtering"),
    PaperNumber("mp_entries", 60289, "", "2", "MP-crystals-2018.6.1 entries after filtering"),
    PaperNumber("aflow_unique_keys", 50652, "", "2", "unique composition-spacegroup keys, AFLOW"),
    PaperNumber("mp_unique_keys", 54438, "", "2", "unique composition-spacegroup keys, MP"),
    PaperNumber("shared_keys", 8591, "", "2", "keys shared by AFLOW and MP"),
    PaperNumber("overlap_percent", 16, "%", "2", "overlap of keys between AFLOW and MP"),
    PaperNumber("ti2o4_136_aflow_count", 127, "", "2", "entries of Ti2O4_136 in AFLOW (1 in MP)"),
    PaperNumber("batio3_221_aflow_count", 115, "", "2", "entries of BaTiO3_221 in AFLOW (1 in MP)"),
    PaperNumber("mae_aflow_on_aflow", 30, "meV/atom", "2", "MPEU trained and tested on AFLOW"),
    PaperNumber("mae_mp_on_mp", 23, "meV/atom", "2", "MPEU trained and tested on MP"),
    PaperNumber(
        "cross_database_factor", 10, "x", "2",
        "cross-database MAE relative to in-database MAE ('an order of magnitude')",
    ),
    # --- Section 3: similarity -------------------------------------------------------------
    PaperNumber("dos_energy_min", -10, "eV", "3", "fingerprint window start, relative to VBM", "input"),
    PaperNumber("dos_energy_max", 10, "eV", "3", "fingerprint window end, relative to VBM", "input"),
    # --- Section 4: cluster expansion ------------------------------------------------------
    PaperNumber("ce_configurations", 235, "", "4", "BaSnO3-x vacancy configurations"),
    PaperNumber("ce_small_pool", 27, "", "4", "clusters in the small pool"),
    PaperNumber("ce_large_pool", 176, "", "4", "clusters in the large pool"),
    PaperNumber("ce_features_d2_p27", 405, "", "4", "polynomial features, p=27, d=2", "derived"),
    PaperNumber("ce_features_d3_p27", 4059, "", "4", "polynomial features, p=27, d=3", "derived"),
    PaperNumber("ce_standard_p27_rmse", 250, "meV", "4", "standard CE fit RMSE, 27 clusters (lower bound: 'larger than')"),
    PaperNumber("ce_plateau_features_d3", 150, "", "4", "features where the d=3 fit RMSE plateaus"),
    PaperNumber("ce_plateau_features_d2", 180, "", "4", "features where the d=2 fit RMSE plateaus"),
    PaperNumber("ce_standard_p176_plateau_rmse", 125, "meV", "4", "standard CE plateau RMSE, 176-cluster pool"),
    PaperNumber("ce_standard_p176_plateau_features", 110, "", "4", "clusters where the 176-pool standard CE plateaus"),
    # --- Section 5: complexity -------------------------------------------------------------
    PaperNumber("sisso_test_rmsle", 0.231, "", "5", "SISSO test RMSLE on the numerical-errors data"),
    PaperNumber("nn_test_rmsle", 1.367, "", "5", "best NN test RMSLE on the numerical-errors data"),
    PaperNumber("rf_aflow_gap_mae", 469, "meV", "5", "RF test MAE, AFLOW band gaps"),
    PaperNumber("nn_aflow_gap_mae", 515, "meV", "5", "NN test MAE, AFLOW band gaps"),
    # --- Section 6.1: storage ---------------------------------------------------------------
    PaperNumber("files_per_structure", 41, "", "6.1", "output files per structure (relax + band structure)", "input"),
    PaperNumber("mb_per_structure", 30, "MB", "6.1", "data per structure and setting", "input"),
    PaperNumber("n_structures", 30000, "", "6.1", "crystal structures in the campaign", "input"),
    PaperNumber("settings_per_structure", 9, "", "6.1", "k-grids x basis sizes (3 x 3)", "input"),
    PaperNumber("n_calculations", 270000, "", "6.1", "relaxations + band structures", "derived"),
    PaperNumber("n_files", 11070000, "", "6.1", "files of the campaign", "derived"),
    PaperNumber("storage_tb", 8.1, "TB", "6.1", "storage of the campaign", "derived"),
    PaperNumber("hpc_file_quota", 1_000_000, "", "6.1", "typical HPC limit on files", "input"),
    # --- Section 6.2: compute ---------------------------------------------------------------
    PaperNumber("nas_mean_rmse", 556, "meV", "6.2", "mean validation RMSE of NAS candidates"),
    PaperNumber("nas_median_rmse", 553, "meV", "6.2", "median validation RMSE of NAS candidates"),
    PaperNumber("nas_best_rmse", 474, "meV", "6.2", "best NAS candidate validation RMSE"),
    PaperNumber("nas_improvement_mev", 80, "meV", "6.2", "best vs mean improvement", "derived"),
    PaperNumber("nas_improvement_percent", 14.7, "%", "6.2", "best vs mean, relative", "derived"),
    PaperNumber("schnet_parameters", 85000, "", "6.2", "SchNet trainable parameters (latent 64, 3 blocks, 81 elements)"),
    PaperNumber("painn_parameters", 600000, "", "6.2", "PaiNN trainable parameters"),
    PaperNumber("train_steps", 2_000_000, "", "6.2", "gradient steps per architecture", "input"),
    PaperNumber("batch_size", 32, "", "6.2", "batch size", "input"),
    PaperNumber("v100_hours_per_run", 2, "h", "6.2", "one SchNet training run on a V100", "stated"),
    PaperNumber("v100_batch_seconds", 0.0010, "s", "6.2", "batching time per step, V100 run", "input"),
    PaperNumber("v100_step_seconds", 0.0023, "s", "6.2", "gradient step, V100", "input"),
    PaperNumber("cpu_batch_seconds", 0.0012, "s", "6.2", "batching time per step, one CPU core", "input"),
    PaperNumber("cpu_step_seconds", 0.0177, "s", "6.2", "gradient step, one CPU core", "input"),
    PaperNumber("cpu_hours_per_run", 10.5, "h", "6.2", "one SchNet training run on one CPU core", "stated"),
    PaperNumber("nas_architectures", 2000, "", "6.2", "architectures in the NAS", "input"),
    PaperNumber("nas_gpu_hours", 40000, "h", "6.2", "GPU hours for the NAS", "derived"),
    PaperNumber("nas_gpu_years", 4.5, "years", "6.2", "'more than 4.5 years' on one V100", "derived"),
    PaperNumber("usd_per_v100_hour", 3, "USD", "6.2", "AWS price per V100 hour", "input"),
    PaperNumber("nas_usd", 120000, "USD", "6.2", "NAS budget", "derived"),
    PaperNumber("aflow_gap_dataset_size", 60000, "", "6.2", "AFLOW band-gap data points (about)"),
)

PAPER: dict[str, PaperNumber] = {n.key: n for n in _NUMBERS}


def paper_value(key: str) -> float:
    """Return the paper's value for ``key``.

    Raises
    ------
    KeyError
        If ``key`` is not in the table; the message lists close matches.
    """
    try:
        return PAPER[key].value
    except KeyError:
        import difflib

        close = difflib.get_close_matches(key, PAPER, n=5)
        raise KeyError(f"{key!r} is not a paper number; close matches: {close}") from None


def paper_table(section: str | None = None) -> pd.DataFrame:
    """The table of paper numbers as a DataFrame, optionally for one section."""
    rows = [n.__dict__ for n in _NUMBERS if section is None or n.section.startswith(section)]
    return pd.DataFrame(rows).set_index("key")
