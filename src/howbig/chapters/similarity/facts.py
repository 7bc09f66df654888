"""The facts Chapter 3's text states, one frozen dataclass per section of the page.

Each is recorded with ``Recorder("similarity", prefix="sim_", ...).facts(...)`` in a hidden cell
of the page, which glues every field as ``sim_<field>``. The words that compare (a verdict label,
"higher than") are chosen here from the numbers; the sentences are the page's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.methods.fingerprints import FingerprintGrid
from howbig.report import Measured, fact, recorded_kind
from howbig.verdicts import verdict

__all__ = [
    "ComparisonFacts",
    "DataFacts",
    "FingerprintFacts",
    "GroupFacts",
    "NomadFacts",
    "NomadRankings",
    "PairFacts",
    "comparison_facts",
    "data_facts",
    "fingerprint_facts",
    "group_facts",
    "nomad_facts",
    "nomad_rankings",
]

SPREAD = "95% bootstrap interval, calculations resampled"
_PAIRS = dict(unit="", fmt="{:.3f}", kind="analogue",
              reason="PySCF h-BN (GTH basis sets, four k-meshes) instead of FHI-aims")


@dataclass(frozen=True)
class DataFacts:
    """Section 3.1: the PySCF h-BN calculations."""

    n_calcs: int = fact()
    n_converged: int = fact()
    n_kmeshes: int = fact()
    max_kpoints: int = fact()
    n_basis_sets: int = fact()
    sigma: float = fact(unit="eV")
    ecut: float = fact(unit="Ha")
    gen_jobs: int = fact()
    gen_run_min: float = fact(unit="min")
    gen_sum_min: float = fact(unit="min")
    gen_max_s: float = fact(unit="s")
    credits_check: str = fact()


def data_facts(meta: pd.DataFrame, credits_check: str) -> DataFacts:
    """Facts of :func:`howbig.dft.hbn.load_results`'s metadata (with its ``attrs``)."""
    gen = meta.attrs["generation"]
    return DataFacts(
        n_calcs=len(meta), n_converged=int(meta["converged"].sum()),
        n_kmeshes=int(meta.groupby("xc")["kmesh"].nunique().max()),
        max_kpoints=int(meta["n_kpoints"].max()),
        n_basis_sets=int(meta["basis"].nunique()),
        sigma=float(meta.attrs["broadening"]["sigma_ev"]),
        ecut=float(meta["ke_cutoff_hartree"].iloc[0]), gen_jobs=int(gen["jobs"]),
        gen_run_min=gen["wall_time_last_run_s"] / 60, gen_sum_min=gen["sum_calc_wall_time_s"] / 60,
        gen_max_s=float(meta["wall_time_s"].max()), credits_check=credits_check)


@dataclass(frozen=True)
class FingerprintFacts:
    """Section 3.2: the fingerprint grid, the two-spectrum example, the reference check."""

    emin: float = fact(unit="eV", kind="input", claim="dos_energy_min")
    emax: float = fact(unit="eV", kind="input", claim="dos_energy_max")
    n_intervals: int = fact()
    width_min: float = fact(unit="eV")
    width_max: float = fact(unit="eV")
    h_min: float = fact()
    h_max: float = fact()
    tutorial_s: float = fact()
    fig3_s: float = fact()
    n_ref: int = fact()
    ref_pixels: int = fact()
    ref_pixel_diff: int = fact()
    ref_maxdiff: float = fact()


def fingerprint_facts(grid: FingerprintGrid, tutorial_s: float, fig3_s: float,
                      check: dict[str, float]) -> FingerprintFacts:
    """Facts of the grid, of the page's two examples and of the reference check (``check``:
    ``n_ref``, ``ref_pixels``, ``ref_pixel_diff``, ``ref_maxdiff``)."""
    widths = np.diff(grid.energies)
    return FingerprintFacts(
        emin=float(grid.cutoff[0]), emax=float(grid.cutoff[1]), n_intervals=len(widths),
        width_min=float(widths.min()), width_max=float(widths.max()),
        h_min=float(grid.heights.min()), h_max=float(grid.heights.max()),
        tutorial_s=float(tutorial_s), fig3_s=float(fig3_s),
        n_ref=int(check["n_ref"]), ref_pixels=int(check["ref_pixels"]),
        ref_pixel_diff=int(check["ref_pixel_diff"]), ref_maxdiff=float(check["ref_maxdiff"]))


@dataclass(frozen=True)
class GroupFacts:
    """Section 3.4: the grouping rule."""

    threshold: float = fact()
    n_groups: int = fact()
    n_multi: int = fact()
    n_single: int = fact()


def group_facts(threshold: float, table: pd.DataFrame) -> GroupFacts:
    """Facts of :func:`howbig.methods.similarity_matrix.describe_groups`'s table."""
    return GroupFacts(float(threshold), len(table), int((table["n"] > 1).sum()),
                      int((table["n"] == 1).sum()))


_CLAIMS = {"lowk_most_dissimilar": ("sim_lowk_most_dissimilar",
                                    "LDA, mean S of block e minus d, f"),
           "more_k_more_similar": ("sim_more_k_more_similar", "LDA, mean S in b, c minus a"),
           "same_nb_across_k": ("sim_same_nb_across_k",
                                "LDA block e, mean S at the same minus different N_b"),
           "same_nb_across_xc": ("sim_same_nb_across_xc",
                                 "LDA against PBE (m, n), mean S at the same minus "
                                 "different N_b")}
_RANKED = {name: {**_PAIRS, "claim": claim, "finding": f"PySCF h-BN: {what}"}
           for name, (claim, what) in _CLAIMS.items()}


@dataclass(frozen=True)
class ComparisonFacts:
    """Section 3.5: mean S over the pairs behind the paper's statements, and its orderings."""

    lda_lowk_within: Measured = fact(**_PAIRS)
    pbe_lowk_within: Measured = fact(**_PAIRS)
    lda_midk_within: Measured = fact(**_PAIRS)
    lda_highk_within: Measured = fact(**_PAIRS)
    lda_lowk_vs_highk: Measured = fact(**_PAIRS)
    pbe_lowk_vs_highk: Measured = fact(**_PAIRS)
    lda_midk_vs_highk: Measured = fact(**_PAIRS)
    pbe_midk_vs_highk: Measured = fact(**_PAIRS)
    lda_e_same_nb: Measured = fact(**_PAIRS)
    lda_e_diff_nb: Measured = fact(**_PAIRS)
    lda_only_kmesh: Measured = fact(**_PAIRS)
    lda_only_basis: Measured = fact(**_PAIRS)
    xc_same_basis: Measured = fact(**_PAIRS)
    xc_diff_basis: Measured = fact(**_PAIRS)
    n_same_nb_lowk: int = fact()
    lowk_most_dissimilar: Measured = fact(**_RANKED["lowk_most_dissimilar"])
    more_k_more_similar: Measured = fact(**_RANKED["more_k_more_similar"])
    same_nb_across_k: Measured = fact(**_RANKED["same_nb_across_k"])
    same_nb_across_xc: Measured = fact(**_RANKED["same_nb_across_xc"])
    lowk_most_dissimilar_verdict: str = fact()
    more_k_more_similar_verdict: str = fact()
    same_nb_across_k_verdict: str = fact()
    same_nb_across_xc_verdict: str = fact()
    pbe_vs_lda_lowk: Measured = fact(unit="", fmt="{:.3f}")
    pbe_vs_lda_lowk_word: str = fact()


def _measured(row: pd.Series) -> Measured:
    return Measured(float(row["value"]), uncertainty=(row["high"] - row["low"]) / 2,
                    low=float(row["low"]), high=float(row["high"]), n=int(row["n"]),
                    spread=SPREAD)


def _compare(m: Measured) -> str:
    """"higher than" / "lower than" / "indistinguishable from": where the interval of a
    difference lies against 0."""
    if not m.is_computable or m.low is None or not np.isfinite(m.low):
        return "not comparable with"
    return "higher than" if m.low > 0 else "lower than" if m.high < 0 else "indistinguishable from"


def comparison_facts(comparison: pd.DataFrame, rankings: pd.DataFrame, profile: str
                     ) -> ComparisonFacts:
    """Facts of :func:`~howbig.chapters.similarity.experiment.paper_comparison` and
    :func:`~howbig.chapters.similarity.experiment.paper_rankings`; verdict words by
    :func:`howbig.verdicts.verdict` with the kind this profile records."""
    rows = comparison.set_index("key")
    kind = recorded_kind("analogue", profile)
    ranked = {name: _measured(rankings.loc[claim]) for name, (claim, _) in _CLAIMS.items()}
    plain = ("lda_lowk_within", "pbe_lowk_within", "lda_midk_within", "lda_highk_within",
             "lda_lowk_vs_highk", "pbe_lowk_vs_highk", "lda_midk_vs_highk", "pbe_midk_vs_highk",
             "lda_e_same_nb", "lda_e_diff_nb", "lda_only_kmesh", "lda_only_basis",
             "xc_same_basis", "xc_diff_basis")
    pbe_vs_lda = _measured(rankings.loc["pbe_vs_lda_lowk"])
    return ComparisonFacts(
        **{key: _measured(rows.loc[key]) for key in plain},
        n_same_nb_lowk=int(rows.loc["lda_lowk_same_nb", "n"] + rows.loc["pbe_lowk_same_nb", "n"]),
        **ranked,
        **{f"{name}_verdict": verdict(claim, ranked[name], kind=kind).label
           for name, (claim, _) in _CLAIMS.items()},
        pbe_vs_lda_lowk=pbe_vs_lda, pbe_vs_lda_lowk_word=_compare(pbe_vs_lda))


@dataclass(frozen=True)
class NomadFacts:
    """Section 3.6: what was read from NOMAD (zeros where this profile reads nothing)."""

    nomad_n_entries: int = fact()
    nomad_n_skipped: int = fact()
    nomad_n_blocks: int = fact()
    nomad_n_computable: int = fact()
    nomad_n_quantities: int = fact()


def nomad_facts(meta: pd.DataFrame | None, attrs: dict, comparison: pd.DataFrame | None,
                n_quantities: int) -> NomadFacts:
    """Facts of the NOMAD study: its sorted metadata, the loader's ``attrs`` and its
    :func:`~howbig.chapters.similarity.experiment.paper_comparison` (``None`` when nothing was
    read); ``n_quantities``: quantities of the comparison."""
    if meta is None or comparison is None:
        return NomadFacts(0, 0, 0, 0, n_quantities)
    return NomadFacts(len(meta), int(attrs.get("skipped", 0)), int(meta["block"].nunique()),
                      int((comparison["n"] > 0).sum()), n_quantities)


_SAME = {name: {"unit": "", "fmt": "{:.3f}", "kind": "same data", "claim": claim,
                "finding": f"the paper's FHI-aims data (NOMAD): {what}"}
         for name, (claim, what) in _CLAIMS.items()}


@dataclass(frozen=True)
class NomadRankings:
    """Section 3.6: the paper's orderings on its own data (recorded only when NOMAD was read)."""

    nomad_lowk_most_dissimilar: Measured = fact(**_SAME["lowk_most_dissimilar"])
    nomad_more_k_more_similar: Measured = fact(**_SAME["more_k_more_similar"])
    nomad_same_nb_across_k: Measured = fact(**_SAME["same_nb_across_k"])
    nomad_same_nb_across_xc: Measured = fact(**_SAME["same_nb_across_xc"])


def nomad_rankings(rankings: pd.DataFrame) -> NomadRankings:
    """:func:`~howbig.chapters.similarity.experiment.paper_rankings` of the NOMAD study."""
    return NomadRankings(**{f"nomad_{name}": _measured(rankings.loc[claim])
                            for name, (claim, _) in _CLAIMS.items()})


@dataclass(frozen=True)
class PairFacts:
    """Section 3.7: the example pair of the explorer."""

    pair_s: float = fact()
