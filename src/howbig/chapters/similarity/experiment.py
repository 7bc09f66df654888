"""Chapter 3 in a few calls: the h-BN similarity study and its comparison with the paper.

:func:`similarity_study` turns DOS on a common grid into a sorted similarity matrix with block
labels; :func:`paper_comparison` computes, point by point, the quantities behind the statements
of the paper's Section 3 (blocks a-n of its Fig. 4) on this book's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from string import ascii_lowercase

import numpy as np
import pandas as pd

from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S
from howbig.methods.bootstrap import bootstrap

__all__ = [
    "SimilarityStudy",
    "block_letters",
    "data_statistics",
    "nomad_study_meta",
    "nomad_summary",
    "paper_comparison",
    "prose_checks",
    "similarity_study",
]


@dataclass
class SimilarityStudy:
    """Everything the chapter shows, in display order (xc, then k-mesh, then basis size).

    Attributes
    ----------
    energies, dos
        Energy grid (eV, relative to the VBM) and DOS per calculation.
    meta
        Metadata per calculation (``xc``, ``kmesh``, ``basis``, ``n_kpoints``, ``n_basis``, ...),
        with added columns ``block`` (e.g. ``"LDA 2x2x1"``) and ``letter``.
    fps
        Fingerprints.
    sim
        Similarity matrix.
    blocks
        Mean similarity within (diagonal) and between blocks, indexed by ``"a: LDA 1x1x1"``.
    """

    energies: np.ndarray
    dos: np.ndarray
    meta: pd.DataFrame
    fps: F.FingerprintSet
    sim: np.ndarray
    blocks: pd.DataFrame

    def index(self, xc: str, kmesh: str, basis: str) -> int:
        """Row of the calculation with these settings."""
        hit = np.flatnonzero((self.meta["xc"] == xc) & (self.meta["kmesh"] == kmesh)
                             & (self.meta["basis"] == basis))
        if len(hit) != 1:
            raise KeyError(f"no unique calculation {xc}/{kmesh}/{basis}")
        return int(hit[0])


def block_letters(n_blocks: int) -> list[str]:
    """Letters a, b, c, ... (repeating after z) for the diagonal blocks."""
    return [ascii_lowercase[i % 26] for i in range(n_blocks)]


def similarity_study(
    energies: np.ndarray,
    dos: np.ndarray,
    meta: pd.DataFrame,
    grid: F.FingerprintGrid | None = None,
) -> SimilarityStudy:
    """Sort calculations by xc, k-mesh, basis size; fingerprint them; build the matrix and blocks.

    Parameters
    ----------
    energies, dos, meta
        As returned by :func:`howbig.dft.hbn.load_results`.
    grid
        Fingerprint grid (default: the paper's -10 to 10 eV window around the VBM).
    """
    meta = meta.reset_index(drop=True)
    order = meta.sort_values(["xc", "n_kpoints", "n_basis"], kind="stable").index.to_numpy()
    meta = meta.loc[order].reset_index(drop=True)
    dos = np.asarray(dos)[order]
    meta["block"] = [f"{x.upper()} {k}" for x, k in zip(meta["xc"], meta["kmesh"], strict=True)]
    names = list(dict.fromkeys(meta["block"]))
    letters = dict(zip(names, block_letters(len(names)), strict=True))
    meta["letter"] = meta["block"].map(letters)
    fps = F.dos_fingerprints(energies, dos, grid)
    sim = S.similarity_matrix(fps)
    blocks = S.block_means(sim, [f"{letters[b]}: {b}" for b in meta["block"]])
    return SimilarityStudy(np.asarray(energies), dos, meta, fps, sim, blocks)


def _pair_values(sim: np.ndarray, meta: pd.DataFrame, rows: np.ndarray | None = None, *,
                 same: Sequence[str] = (), differ: Sequence[str] = ()) -> np.ndarray:
    """Similarities of the pairs ``i < j`` (within ``rows``) that agree on ``same`` and differ
    in every ``differ`` (the pairs that :func:`howbig.methods.similarity_matrix.mean_over_pairs`
    averages)."""
    rows = np.arange(len(meta)) if rows is None else np.asarray(rows)
    i, j = np.triu_indices(len(rows), k=1)
    i, j = rows[i], rows[j]
    keep = np.ones(len(i), bool)
    for col in same:
        v = meta[col].to_numpy()
        keep &= v[i] == v[j]
    for col in differ:
        v = meta[col].to_numpy()
        keep &= v[i] != v[j]
    return sim[i[keep], j[keep]]


def _block_values(study: SimilarityStudy, a: str, b: str) -> np.ndarray:
    """Similarities of the pairs between blocks ``a`` and ``b`` (within a block if equal)."""
    block = study.meta["block"].to_numpy()
    ia, ib = np.flatnonzero(block == a), np.flatnonzero(block == b)
    if a == b:
        return _pair_values(study.sim, study.meta, ia)
    return study.sim[np.ix_(ia, ib)].ravel()


_LABELS = {
    "lda": {"lowk_within": "a: LDA lowest-k mutually dissimilar",
            "lowk_vs_highk": "d, f: LDA lowest k dissimilar to all others",
            "midk_vs_highk": "b, c: LDA medium and high k similar",
            "highk_within": "c: LDA high-k block similar",
            "only_kmesh": "e: LDA same N_b similar across k-meshes",
            "only_basis": "(none): LDA same k-mesh, different N_b"},
    "pbe": {"lowk_within": "g: PBE same N_b similar already at low k",
            "lowk_vs_highk": "j, l: PBE lowest k reaches medium S to highest k",
            "midk_vs_highk": "k: PBE medium k highly similar to highest k",
            "highk_within": "h, i: PBE high S, varying slightly with N_b",
            "only_kmesh": "g: PBE same N_b similar across k-meshes",
            "only_basis": "h, i: PBE same k-mesh, different N_b"},
}


def paper_comparison(study: SimilarityStudy, *, n_boot: int = 1000, seed: int = 0
                     ) -> pd.DataFrame:
    """The quantities behind the paper's statements on its Fig. 4, computed on ``study``.

    Every quantity is a mean similarity over a set of pairs; k-meshes are ranked per
    functional by their number of k-points (lowest, second highest = "medium", highest).
    Quantities whose pairs do not exist in the data (a block with one member, a functional
    with fewer than three k-meshes, basis sets not known) are NaN with ``n = 0``.

    Returns
    -------
    DataFrame with columns ``key`` (glue-friendly), ``paper`` (blocks and statement, in short),
    ``quantity`` (what we compute), ``value`` (mean S), ``n`` (pairs) and ``uncertainty``
    (half-width of the 95% bootstrap interval over pairs; pairs share calculations, so it is
    a lower bound on the true uncertainty).
    """
    meta, sim = study.meta, study.sim
    known_basis = bool(meta["n_basis"].notna().all())
    rows = []

    def add(key: str, paper: str, quantity: str, values: np.ndarray) -> None:
        result = bootstrap(np.mean, values, n_boot=n_boot, seed=seed)
        rows.append({"key": key, "paper": paper, "quantity": quantity,
                     "value": result.estimate, "n": result.n,
                     "uncertainty": result.half_width})

    empty = np.zeros(0)
    for xc in dict.fromkeys(meta["xc"]):
        xu, text = xc.upper(), _LABELS.get(xc, {})
        part = meta[meta["xc"] == xc]
        kmeshes = list(dict.fromkeys(part.sort_values("n_kpoints", kind="stable")["kmesh"]))
        lo, hi = f"{xu} {kmeshes[0]}", f"{xu} {kmeshes[-1]}"
        if lo == hi:
            lo = hi = f"{xu} {kmeshes[0]} (the only k-mesh)"
        mid = f"{xu} {kmeshes[-2]}" if len(kmeshes) >= 3 else None
        add(f"{xc}_lowk_within", text.get("lowk_within", ""), f"mean S within {lo}",
            _block_values(study, lo, lo) if len(kmeshes) > 1 else empty)
        add(f"{xc}_lowk_vs_highk", text.get("lowk_vs_highk", ""), f"mean S {lo} vs {hi}",
            _block_values(study, lo, hi) if lo != hi else empty)
        add(f"{xc}_midk_vs_highk", text.get("midk_vs_highk", ""),
            f"mean S {mid or 'medium k'} vs {hi}", _block_values(study, mid, hi) if mid else empty)
        add(f"{xc}_highk_within", text.get("highk_within", ""), f"mean S within {hi}",
            _block_values(study, hi, hi) if len(kmeshes) > 1 else empty)
        members = part.index.to_numpy()
        only_k = _pair_values(sim, meta, members, same=("basis",), differ=("kmesh",))
        only_b = _pair_values(sim, meta, members, same=("kmesh",), differ=("basis",))
        add(f"{xc}_only_kmesh", text.get("only_kmesh", ""),
            f"{xu}: mean S, same basis, different k-mesh", only_k if known_basis else empty)
        add(f"{xc}_only_basis", text.get("only_basis", ""),
            f"{xu}: mean S, same k-mesh, different basis", only_b if known_basis else empty)
    same_b = _pair_values(sim, meta, same=("kmesh", "basis"), differ=("xc",))
    diff_b = _pair_values(sim, meta, same=("kmesh",), differ=("xc", "basis"))
    add("xc_same_basis", "m, n: LDA vs PBE more similar at the same N_b",
        "mean S LDA vs PBE, same k-mesh and basis", same_b if known_basis else empty)
    add("xc_diff_basis", "m, n: LDA vs PBE more similar at the same N_b",
        "mean S LDA vs PBE, same k-mesh, different basis", diff_b if known_basis else empty)
    return pd.DataFrame(rows)


def nomad_study_meta(meta: pd.DataFrame) -> pd.DataFrame:
    """NOMAD metadata (:func:`howbig.data.sources.nomad.load_nomad_dos`) in the study's columns.

    ``xc`` becomes ``"lda"``/``"pbe"`` from the functional names; the archive does not give the
    size of FHI-aims' numeric atomic-orbital basis, so ``basis`` is the basis type and
    ``n_basis`` is NaN (basis-dependent quantities of :func:`paper_comparison` are then NaN).
    """
    out = meta.reset_index(drop=True).copy()
    names = out["xc"].fillna("").astype(str).str.upper()
    out["xc"] = np.where(names.str.contains("PBE"), "pbe",
                         np.where(names.str.contains("LDA"), "lda", names.str.lower()))
    out["kmesh"] = out["kmesh"].fillna("unknown")
    out["n_kpoints"] = pd.to_numeric(out["n_kpoints"], errors="coerce").fillna(0).astype(int)
    out["basis"] = out["basis"].fillna("unknown")
    if "n_basis" not in out:
        out["n_basis"] = np.nan
    return out


def nomad_summary(study: SimilarityStudy, comparison: pd.DataFrame, attrs: dict
                  ) -> tuple[str, str]:
    """Two texts on the NOMAD run: what was read (one sentence), and its block statistics.

    Every number comes from ``comparison`` (:func:`paper_comparison`); quantities without pairs
    are named as not available rather than left out.
    """
    meta = study.meta
    status = (f"read: {len(meta)} entries with a DOS from {attrs.get('source', 'NOMAD')} "
              f"({attrs.get('skipped', 0)} without a DOS skipped), "
              f"{meta['block'].nunique()} blocks of functional and k-mesh.")
    have = comparison[comparison["n"] > 0]
    missing = comparison[comparison["n"] == 0]
    text = ""
    if len(have):
        parts = [f"{q}: {v:.2f} ± {u:.2f} (n = {n} pairs)" for q, v, u, n in
                 zip(have["quantity"], have["value"], have["uncertainty"], have["n"],
                     strict=True)]
        text += "Block statistics on these data: " + "; ".join(parts) + "."
    if len(missing):
        text += (f" Not available in these data ({len(missing)} of {len(comparison)}"
                 " quantities): " + "; ".join(dict.fromkeys(missing["quantity"])) + ".")
    if not meta["n_basis"].notna().any():
        text += (" The archive does not give the size of FHI-aims' basis, so comparisons"
                 " across basis sets (blocks e, h, i, m, n) cannot be made here.")
    return status, text.strip()


def data_statistics(meta: pd.DataFrame) -> list[tuple[str, float, str]]:
    """``(key, value, unit)`` of the PySCF h-BN data set that the chapter quotes.

    ``meta`` as returned by :func:`howbig.dft.hbn.load_results` (with its ``attrs``).
    """
    gen = meta.attrs["generation"]
    return [
        ("sim_n_calcs", len(meta), ""), ("sim_n_converged", int(meta["converged"].sum()), ""),
        ("sim_sigma", float(meta.attrs["broadening"]["sigma_ev"]), "eV"),
        ("sim_gen_sum_min", gen["sum_calc_wall_time_s"] / 60, "min"),
        ("sim_gen_run_min", gen["wall_time_last_run_s"] / 60, "min"),
        ("sim_gen_jobs", gen["jobs"], ""), ("sim_gen_max_s", float(meta["wall_time_s"].max()), "s"),
        ("sim_ecut", float(meta["ke_cutoff_hartree"].iloc[0]), "Ha"),
    ]


def prose_checks(comparison: pd.DataFrame, multi_groups: pd.DataFrame,
                 meta: pd.DataFrame) -> list[str]:
    """The statements Chapter 3 makes about the PySCF h-BN data that these numbers contradict.

    Parameters
    ----------
    comparison
        :func:`paper_comparison` of the study.
    multi_groups
        :func:`howbig.methods.similarity_matrix.describe_groups` rows with more than one member.
    meta
        Metadata of the calculations, as :func:`howbig.dft.hbn.load_results` returns it (with
        the generator's record in ``attrs["generation"]``).

    Returns
    -------
    The failed statements (empty when the text is true on these data).
    """
    v = dict(zip(comparison["key"], comparison["value"], strict=True))
    u = dict(zip(comparison["key"], comparison["uncertainty"], strict=True))
    claims = {
        "same basis makes LDA and PBE more similar (beyond the bootstrap intervals)":
            v["xc_same_basis"] - u["xc_same_basis"] > v["xc_diff_basis"] + u["xc_diff_basis"],
        "the k-mesh matters more than the basis (LDA and PBE)":
            v["lda_only_basis"] > v["lda_only_kmesh"] and v["pbe_only_basis"] > v["pbe_only_kmesh"],
        "LDA similarity to the densest mesh rises with the k-mesh":
            v["lda_lowk_vs_highk"] < v["lda_midk_vs_highk"] < v["lda_highk_within"],
        "Gamma-only LDA calculations similar to each other, far from the densest mesh":
            v["lda_lowk_within"] > 0.5 > 0.3 > max(v["lda_lowk_vs_highk"], v["pbe_lowk_vs_highk"]),
        "no group spans two functionals or k-meshes":
            bool((multi_groups["xc"].str.count(",") == 0).all()
                 and (multi_groups["kmesh"].str.count(",") == 0).all()),
        "single-zeta calculations stay apart":
            not multi_groups["basis"].str.startswith("gth-szv,").any(),
        "at most 16 k-points": int(meta["n_kpoints"].max()) <= 16,
        "every calculation converged": bool(meta["converged"].all()),
        "every requested calculation ran":
            meta.attrs["generation"]["n_done"] == meta.attrs["generation"]["n_requested"],
    }
    return [claim for claim, holds in claims.items() if not holds]
