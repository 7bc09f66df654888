"""The paper's numbers, in its own words, and the published numbers of other works.

Speckhard, Bechtel, Ghiringhelli, Kuban, Rigamonti and Draxl, "How big is big data?",
Faraday Discuss. 2025, 256, 483 (DOI 10.1039/d4fd00102h).

:data:`PAPER` holds every number of the paper a chapter sets beside its own, transcribed from the
text, with the paper's words (``quote``, checked against the paper's text by the tests) and the
kind of claim they make (``rule``, a key of :data:`howbig.verdicts.RULES`), which decides how a
build value is judged against it. Numbers the paper derives (for example the GPU hours of
Section 6.2) are stored as stated and recomputed from the stated inputs by the chapters.

:data:`PUBLISHED` holds numbers of *other* publications that the book compares against (kind
``external reference``), each with its citation and bibliography key.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAPER", "PUBLISHED", "PaperNumber", "Published", "paper_value"]

DOI = "10.1039/d4fd00102h"

#: The value of a ranking whose words state an order and no size (judged by its sign only).
_ORDER_ONLY = float("nan")


@dataclass(frozen=True)
class PaperNumber:
    """One number stated in the paper, with its words and the kind of claim they make.

    Parameters
    ----------
    key
        Stable identifier used by chapters (``fact(claim=key)``, ``rec(..., paper=key)``).
    value
        The value as stated in the paper. For a ranking, the difference in the paper's order
        (positive; NaN where the paper states the order without a size); for "an order of
        magnitude", the nominal factor 10.
    unit
        Unit of ``value`` ("" for counts and ratios).
    section
        Paper section the number comes from ("2", "6.2", ...).
    description
        What the number is, in a few words.
    quote
        The paper's words (at most a sentence, verbatim up to whitespace and markup).
    rule
        The kind of claim (a key of :data:`howbig.verdicts.RULES`): ``"number"``, ``"about"``,
        ``"lower bound"``, ``"order of magnitude larger"``, ``"nearly an order of magnitude"``,
        ``"ranking"`` or ``"input"`` (a number the paper uses, never judged).
    precision
        The unit of the last digit the paper prints ("2 h": 1; "10.5 h": 0.1; "85 000": 1000);
        ``None`` derives it from ``value``: the last non-zero digit (trailing zeros of a whole
        number are taken as not significant). Set it where that reading is wrong, e.g. exact
        counts (270 000 = 30 000 x 9: precision 1).
    note
        The book's remark on the number (an off-by-one, an alternative reading), shown beside it.
    """

    key: str
    value: float
    unit: str
    section: str
    description: str
    quote: str
    rule: str = "number"
    precision: float | None = None
    note: str = ""


_NUMBERS: tuple[PaperNumber, ...] = (
    # --- Section 2: transferability ------------------------------------------------------
    PaperNumber("aflow_entries", 61898, "", "2", "AFLOW entries after filtering",
                "After filtering, the two datasets comprise 61 898 and 60 289 materials, "
                "respectively."),
    PaperNumber("mp_entries", 60289, "", "2", "MP-crystals-2018.6.1 entries after filtering",
                "After filtering, the two datasets comprise 61 898 and 60 289 materials, "
                "respectively."),
    PaperNumber("aflow_unique_keys", 50652, "", "2", "unique composition-spacegroup keys, AFLOW",
                "This results in 50 652 unique composition–spacegroup pairs in the AFLOW dataset"),
    PaperNumber("mp_unique_keys", 54438, "", "2", "unique composition-spacegroup keys, MP",
                "and 54 438 in the MP dataset"),
    PaperNumber("shared_keys", 8591, "", "2", "keys shared by AFLOW and MP",
                "with 8591 pairs being common to both datasets"),
    PaperNumber("overlap_percent", 16, "%", "2", "overlap of keys between AFLOW and MP",
                "the relatively small overlap of the spacegroup-composition pairs in the two "
                "databases, which is about 16% only", "about"),
    PaperNumber("ti2o4_136_aflow_count", 127, "", "2", "entries of Ti2O4_136 in AFLOW (1 in MP)",
                "occur 127 and 115 times, respectively, while only one of each compound is found "
                "in the MP data"),
    PaperNumber("batio3_221_aflow_count", 115, "", "2",
                "entries of BaTiO3_221 in AFLOW (1 in MP)",
                "occur 127 and 115 times, respectively, while only one of each compound is found "
                "in the MP data"),
    PaperNumber("mae_aflow_on_aflow", 30, "meV/atom", "2", "MPEU trained and tested on AFLOW",
                "with mean absolute errors (MAEs) of 30 meV per atom and 23 meV per atom, "
                "respectively", precision=1),
    PaperNumber("mae_mp_on_mp", 23, "meV/atom", "2", "MPEU trained and tested on MP",
                "with mean absolute errors (MAEs) of 30 meV per atom and 23 meV per atom, "
                "respectively"),
    PaperNumber("cross_database_factor", 10, "x", "2",
                "cross-database MAE relative to in-database MAE",
                "However, the errors in the prediction of the other database are an order of "
                "magnitude larger.", "order of magnitude larger"),
    # --- Section 3: similarity -------------------------------------------------------------
    PaperNumber("dos_energy_min", -10, "eV", "3", "fingerprint window start, relative to VBM",
                "in the energy range between -10 and 10 eV around the valence band maximum",
                "input"),
    PaperNumber("dos_energy_max", 10, "eV", "3", "fingerprint window end, relative to VBM",
                "in the energy range between -10 and 10 eV around the valence band maximum",
                "input"),
    # the statements on Fig. 4 state an order, not a size: rankings with value NaN
    PaperNumber("sim_lowk_most_dissimilar", _ORDER_ONLY, "", "3",
                "LDA: medium against highest k-mesh more similar than the lowest k-mesh against "
                "the others (mean S of block e minus blocks d, f)",
                "are most dissimilar to all others (blocks d and f in Fig. 4)", "ranking",
                precision=1),
    PaperNumber("sim_more_k_more_similar", _ORDER_ONLY, "", "3",
                "LDA: calculations on the medium and highest k-meshes more similar among "
                "themselves than those on the lowest (mean S of blocks b, c minus block a)",
                "generally show higher similarity among themselves (blocks b and c)", "ranking",
                precision=1),
    PaperNumber("sim_same_nb_across_k", _ORDER_ONLY, "", "3",
                "LDA, medium against highest k-mesh: the same basis more similar than different "
                "ones (block e, mean S of same minus different N_b)",
                "are similar among different BZ samplings (block e)", "ranking", precision=1),
    PaperNumber("sim_same_nb_across_xc", _ORDER_ONLY, "", "3",
                "LDA against PBE, same k-mesh: the same basis more similar than different ones "
                "(blocks m, n, mean S of same minus different N_b)",
                "we find a pattern corresponding to calculations with the same number of basis "
                "functions", "ranking", precision=1),
    # --- Section 4: cluster expansion ------------------------------------------------------
    PaperNumber("ce_configurations", 235, "", "4", "BaSnO3-x vacancy configurations",
                "We use a dataset of 235 oxide perovskites", "input"),
    PaperNumber("ce_small_pool", 27, "", "4", "clusters in the small pool",
                "from a pool of p=27 clusters", "input"),
    PaperNumber("ce_large_pool", 176, "", "4", "clusters in the large pool",
                "For this, we have created a pool of 176 clusters.", "input"),
    PaperNumber("ce_features_d2_p27", 405, "", "4", "polynomial features, p=27, d=2",
                "we explore polynomials of degree d=2 and d=3, containing 405 and 4059 features",
                note="the printed sum over k = 0..d counts the constant (k = 0) as well; the "
                     "paper's count leaves it out"),
    PaperNumber("ce_features_d3_p27", 4059, "", "4", "polynomial features, p=27, d=3",
                "we explore polynomials of degree d=2 and d=3, containing 405 and 4059 features",
                note="the printed sum over k = 0..d counts the constant (k = 0) as well; the "
                     "paper's count leaves it out"),
    PaperNumber("ce_parity_features", 150, "", "4", "features of the d=3 model in Fig. 5's parity "
                "plot", "the nonlinear CE of degree 3 models with 150 features", "input"),
    PaperNumber("ce_nonlinear_p27_fit", _ORDER_ONLY, "meV", "4",
                "27-cluster pool, fit RMSE: standard CE minus nonlinear CE (d=3) at 27 features",
                "better models than the standard CE with the same number of 27 clusters",
                "ranking", precision=1),
    PaperNumber("ce_nonlinear_p176_fit", _ORDER_ONLY, "meV", "4",
                "176-cluster pool, fit RMSE: standard CE minus nonlinear CE (d=2) at equal "
                "size, the smallest over the sizes",
                "the second-order nonlinear CE based on this same pool allows for obtaining "
                "better fits at all numbers of features", "ranking", precision=1),
    PaperNumber("ce_nonlinear_vs_more_clusters", _ORDER_ONLY, "meV", "4",
                "RMSE of the standard CE of the large pool minus that of the nonlinear CE of the "
                "small pool",
                "whether the beneficial effect of nonlinear features could be also obtained by "
                "adding more cluster correlations", "ranking", precision=1,
                note="the paper answers its question with the fit errors of Fig. 5: the standard "
                     "CE of the large pool levels off, the nonlinear CE of the small pool fits "
                     "better; the book records the difference in that order"),
    PaperNumber("ce_nonlinear_ground_truth", _ORDER_ONLY, "meV", "4",
                "held-out RMSE: standard CE minus the nonlinear CE of the same cluster pool",
                "Including nonlinear terms enables the CE to better fit the underlying ground "
                "truth even with a small data set size", "ranking", precision=1,
                note="the paper shows fit errors; errors on held-out data measure how well a "
                     "model approaches the ground truth"),
    PaperNumber("ce_standard_p27_rmse", 250, "meV", "4", "standard CE fit RMSE, 27 clusters",
                "yield fit root-mean-squared errors (RMSEs) larger than 250 meV", "lower bound"),
    PaperNumber("ce_plateau_features_d3", 150, "", "4", "features where the d=3 fit RMSE plateaus",
                "a plateau above ~150 features for d=3", "about"),
    PaperNumber("ce_plateau_features_d2", 180, "", "4", "features where the d=2 fit RMSE plateaus",
                "above ~180 features for d=2", "about"),
    PaperNumber("ce_standard_p176_plateau_rmse", 125, "meV", "4",
                "standard CE plateau RMSE, 176-cluster pool",
                "we see a plateau setting in at about 110 clusters with a RMSE of ~125 meV",
                "about"),
    PaperNumber("ce_standard_p176_plateau_features", 110, "", "4",
                "clusters where the 176-pool standard CE plateaus",
                "we see a plateau setting in at about 110 clusters with a RMSE of ~125 meV",
                "about"),
    # --- Section 5: complexity -------------------------------------------------------------
    PaperNumber("sisso_test_rmsle", 0.231, "", "5", "SISSO test RMSLE, numerical-errors data",
                "with a test root-meansquared-logarithmic error of 0.231 compared to 1.367"),
    PaperNumber("nn_test_rmsle", 1.367, "", "5", "best NN test RMSLE, numerical-errors data",
                "with a test root-meansquared-logarithmic error of 0.231 compared to 1.367"),
    PaperNumber("sisso_nn_ranking", 1.136, "", "5",
                "SISSO below the best NN in test RMSLE (NN minus SISSO)",
                "The SISSO model outperforms the best-performing NN architecture", "ranking"),
    PaperNumber("rf_aflow_gap_mae", 469, "meV", "5", "RF test MAE, AFLOW band gaps",
                "the RF outperforms the NN, with test MAEs of 469 meV and 515 meV, respectively"),
    PaperNumber("nn_aflow_gap_mae", 515, "meV", "5", "NN test MAE, AFLOW band gaps",
                "the RF outperforms the NN, with test MAEs of 469 meV and 515 meV, respectively"),
    PaperNumber("rf_nn_gap_ranking", 46, "meV", "5",
                "RF below the NN in band-gap test MAE (NN minus RF)",
                "On the AFLOW bandgap dataset, after cross-validation, the RF outperforms the NN",
                "ranking"),
    # --- Section 6.1: storage ---------------------------------------------------------------
    PaperNumber("files_per_structure", 41, "", "6.1", "output files per structure (relax + band structure)",
                "This rather simple workflow creates 41 output files and roughly 30 MB of data "
                "for each crystal structure.", "input"),
    PaperNumber("mb_per_structure", 30, "MB", "6.1", "data per structure and setting",
                "This rather simple workflow creates 41 output files and roughly 30 MB of data "
                "for each crystal structure.", "input"),
    PaperNumber("n_structures", 30000, "", "6.1", "crystal structures in the campaign",
                "For 30 000 crystal structures", "input"),
    PaperNumber("settings_per_structure", 9, "", "6.1", "k-grids x basis sizes (3 x 3)",
                "and nine different settings per structure", "input"),
    PaperNumber("n_calculations", 270000, "", "6.1", "relaxations + band structures",
                "we perform 270 000 relaxations and bandstructure calculations", precision=1),
    PaperNumber("n_files", 11070000, "", "6.1", "files of the campaign",
                "This amounts to 11 070 000 files", precision=1),
    PaperNumber("storage_tb", 8.1, "TB", "6.1", "storage of the campaign",
                "or in terms of storage, roughly 8.1 TB of data", "about"),
    PaperNumber("hpc_file_quota", 1_000_000, "", "6.1", "typical HPC limit on files",
                "often at the most 1 million", "input"),
    # --- Section 6.2: compute ---------------------------------------------------------------
    PaperNumber("nas_mean_rmse", 556, "meV", "6.2", "mean validation RMSE of NAS candidates",
                "The mean (median) validation RMSE of a NAS candidate architecture across the "
                "entire space, not just these two parameters, is 556 meV (553 meV)."),
    PaperNumber("nas_median_rmse", 553, "meV", "6.2", "median validation RMSE of NAS candidates",
                "The mean (median) validation RMSE of a NAS candidate architecture across the "
                "entire space, not just these two parameters, is 556 meV (553 meV)."),
    PaperNumber("nas_best_rmse", 474, "meV", "6.2", "best NAS candidate validation RMSE",
                "The best candidate, which has a latent size of 128 and uses 3 MP steps, has a "
                "validation RMSE of 474 meV."),
    PaperNumber("nas_improvement_mev", 80, "meV", "6.2", "best vs mean improvement",
                "the optimal NAS architecture yields an improvement of 80 meV over the mean "
                "architecture in our search space"),
    PaperNumber("nas_improvement_percent", 14.7, "%", "6.2", "best vs mean, relative",
                "or in relative terms, 14.7%"),
    PaperNumber("nas_search_gain", 80, "meV", "6.2",
                "the best architecture beats the mean one (mean minus best)",
                "the optimal NAS architecture yields an improvement of 80 meV over the mean "
                "architecture in our search space", "ranking"),
    PaperNumber("schnet_parameters", 85000, "", "6.2",
                "SchNet trainable parameters (latent 64, 3 blocks, 81 elements)",
                "The SchNet graph neural network has ca. 85 000 trainable parameters for a latent "
                "size of 64 and three message-passing steps", "about"),
    PaperNumber("painn_parameters", 600000, "", "6.2", "PaiNN trainable parameters",
                "such as PaiNN (600 000 vs. 85 000 parameters)", "input"),
    PaperNumber("train_steps", 2_000_000, "", "6.2", "gradient steps per architecture",
                "approximately 2 000 000 steps are needed to have an idea of whether a candidate "
                "architecture is promising or not", "input"),
    PaperNumber("batch_size", 32, "", "6.2", "batch size", "(batch size 32)", "input"),
    PaperNumber("v100_hours_per_run", 2, "h", "6.2", "one SchNet training run on a V100",
                "On a single NVIDIA V100 GPU, it takes about two hours to train 2 000 000 steps "
                "on the AFLOW bandgap dataset (batch size 32).", "about"),
    PaperNumber("v100_batch_seconds", 0.0010, "s", "6.2", "batching time per step, V100 run",
                "the model takes 0.0010 seconds on average to batch the data", "input",
                precision=0.0001),
    PaperNumber("v100_step_seconds", 0.0023, "s", "6.2", "gradient step, V100",
                "and 0.0023 seconds to perform a gradient-update step", "input"),
    PaperNumber("cpu_batch_seconds", 0.0012, "s", "6.2", "batching time per step, one CPU core",
                "on average approximately 0.0012 seconds each training step to batch the data",
                "input"),
    PaperNumber("cpu_step_seconds", 0.0177, "s", "6.2", "gradient step, one CPU core",
                "and 0.0177 seconds to take a gradient step and update the parameters", "input"),
    PaperNumber("cpu_hours_per_run", 10.5, "h", "6.2", "one SchNet training run on one CPU core",
                "On a single CPU core, the training of 2 000 000 training steps of the SchNet "
                "model takes 10.5 hours"),
    PaperNumber("cpu_gpu_slowdown", 10, "x", "6.2", "CPU time per training step over the V100's",
                "We conclude that CPU training is nearly an order of magnitude slower.",
                "nearly an order of magnitude"),
    PaperNumber("nas_architectures", 2000, "", "6.2", "architectures in the NAS",
                "This means that to train 2000 architectures", "input"),
    PaperNumber("nas_gpu_hours", 40000, "h", "6.2", "GPU hours for the NAS",
                "approximately 40 000 GPU hours for this dataset are needed", "about",
                note="the stated hours per run times the stated architectures fall far short of "
                     "this; the figure "
                     "would follow if every architecture was trained several times, as for the "
                     "sweep over learning rates, batch sizes and dropouts behind Fig. 7, which "
                     "the text does not say"),
    PaperNumber("nas_gpu_years", 4.5, "years", "6.2", "single-V100 years of the NAS",
                "or in other words, more than 4.5 years on a single V100 GPU", "lower bound"),
    PaperNumber("usd_per_v100_hour", 3, "USD", "6.2", "AWS price per V100 hour",
                "fluctuate around 3 USD per NVIDIA V100 GPU hour", "input"),
    PaperNumber("nas_usd", 120000, "USD", "6.2", "NAS budget",
                "Thus, a budget of roughly 120 000 USD is needed to perform this NAS.", "about"),
    PaperNumber("aflow_gap_dataset_size", 60000, "", "6.2", "AFLOW band-gap data points",
                "about 60 000 data points", "about"),
)

PAPER: dict[str, PaperNumber] = {n.key: n for n in _NUMBERS}


@dataclass(frozen=True)
class Published:
    """A number of another publication that the book compares against (kind ``external reference``).

    Parameters
    ----------
    key
        Stable identifier (``fact(reference=key)``).
    value, unit
        The published number and its unit.
    citation
        Where it is printed: authors, journal, volume, page, year and table.
    bibkey
        Key of the publication in ``book/references.bib``.
    what
        What was measured, on which data and split.
    """

    key: str
    value: float
    unit: str
    citation: str
    bibkey: str
    what: str


_WANG = "Wang et al., npj Comput. Mater. 7, 77 (2021), Table 2"
_GUPTA = "Gupta et al., Nat. Commun. 12, 6595 (2021), Table 4"

PUBLISHED: dict[str, Published] = {p.key: p for p in (
    Published("wang2021_roost_mp", 0.055, "eV/atom", _WANG, "wang2021crabnet",
              "Roost, test MAE of formation energy on the MP table of Bartel et al. "
              "(CrabNet's published split)"),
    Published("wang2021_crabnet_mp", 0.059, "eV/atom", _WANG, "wang2021crabnet",
              "CrabNet, test MAE of formation energy on the same MP table and split"),
    Published("wang2021_rf_mp", 0.100, "eV/atom", _WANG, "wang2021crabnet",
              "random forest, test MAE of formation energy on the same MP table and split"),
    Published("gupta2021_jarvis_scratch", 0.135, "eV/atom", _GUPTA, "gupta2021",
              "JARVIS formation energy, test MAE of the best model trained from scratch"),
    Published("gupta2021_jarvis_transfer", 0.125, "eV/atom", _GUPTA, "gupta2021",
              "JARVIS formation energy, test MAE of the best transfer-learning model"),
)}


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
        import difflib  # only on the error path

        close = difflib.get_close_matches(key, PAPER, n=5)
        raise KeyError(f"{key!r} is not a paper number; close matches: {close}") from None
