"""Chapter 3 in a few calls: the h-BN similarity study and its comparison with the paper.

:func:`similarity_study` turns DOS on a common grid into a sorted similarity matrix with block
labels; :func:`paper_comparison` computes, point by point, the quantities behind the statements
of the paper's Section 3 (blocks a-n of its Fig. 4) on this book's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.methods import fingerprints as F

__all__ = ["SimilarityStudy", "paper_comparison", "similarity_study"]


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
    from howbig.chapters.similarity.figures import block_letters

    order = meta.sort_values(["xc", "n_kpoints", "n_basis"], kind="stable").index.to_numpy()
    meta = meta.loc[order].reset_index(drop=True)
    dos = np.asarray(dos)[order]
    meta["block"] = [f"{x.upper()} {k}" for x, k in zip(meta["xc"], meta["kmesh"], strict=True)]
    names = list(dict.fromkeys(meta["block"]))
    letters = dict(zip(names, block_letters(len(names)), strict=True))
    meta["letter"] = meta["block"].map(letters)
    fps = F.dos_fingerprints(energies, dos, grid)
    sim = F.similarity_matrix(fps)
    blocks = F.block_means(sim, [f"{letters[b]}: {b}" for b in meta["block"]])
    return SimilarityStudy(np.asarray(energies), dos, meta, fps, sim, blocks)


def _block_pair(study: SimilarityStudy, a: str, b: str) -> float:
    la = next(k for k in study.blocks.index if k.endswith(a))
    lb = next(k for k in study.blocks.index if k.endswith(b))
    return float(study.blocks.loc[la, lb])


def paper_comparison(study: SimilarityStudy) -> pd.DataFrame:
    """The quantities behind the paper's statements on its Fig. 4, computed on ``study``.

    Returns
    -------
    DataFrame with columns ``key`` (glue-friendly), ``paper`` (blocks and statement, in short),
    ``quantity`` (what we compute) and ``value``.
    """
    meta, sim = study.meta, study.sim
    kmeshes = list(dict.fromkeys(meta.sort_values("n_kpoints")["kmesh"]))
    lo, mid, hi = kmeshes[0], kmeshes[-2], kmeshes[-1]
    rows = []

    def add(key: str, paper: str, quantity: str, value: float) -> None:
        rows.append({"key": key, "paper": paper, "quantity": quantity, "value": value})

    labels = {
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
    for xc in dict.fromkeys(meta["xc"]):
        xu = xc.upper()
        text = labels.get(xc, {})
        add(f"{xc}_lowk_within", text.get("lowk_within", ""),
            f"mean S within {xu} {lo}", _block_pair(study, f"{xu} {lo}", f"{xu} {lo}"))
        add(f"{xc}_lowk_vs_highk", text.get("lowk_vs_highk", ""),
            f"mean S {xu} {lo} vs {xu} {hi}", _block_pair(study, f"{xu} {lo}", f"{xu} {hi}"))
        add(f"{xc}_midk_vs_highk", text.get("midk_vs_highk", ""),
            f"mean S {xu} {mid} vs {xu} {hi}", _block_pair(study, f"{xu} {mid}", f"{xu} {hi}"))
        add(f"{xc}_highk_within", text.get("highk_within", ""),
            f"mean S within {xu} {hi}", _block_pair(study, f"{xu} {hi}", f"{xu} {hi}"))
        sub = meta["xc"] == xc
        part = meta[sub].reset_index(drop=True)
        ssub = sim[np.ix_(sub.to_numpy(), sub.to_numpy())]
        only_k, n_k = F.mean_over_pairs(ssub, part, same=("basis",), differ=("kmesh",))
        only_b, n_b = F.mean_over_pairs(ssub, part, same=("kmesh",), differ=("basis",))
        add(f"{xc}_only_kmesh", text.get("only_kmesh", ""),
            f"{xu}: mean S, same basis, different k-mesh ({n_k} pairs)", only_k)
        add(f"{xc}_only_basis", text.get("only_basis", ""),
            f"{xu}: mean S, same k-mesh, different basis ({n_b} pairs)", only_b)
    same_b, n1 = F.mean_over_pairs(sim, meta, same=("kmesh", "basis"), differ=("xc",))
    diff_b, n2 = F.mean_over_pairs(sim, meta, same=("kmesh",), differ=("xc", "basis"))
    add("xc_same_basis", "m, n: LDA vs PBE more similar at the same N_b",
        f"mean S LDA vs PBE, same k-mesh and basis ({n1} pairs)", same_b)
    add("xc_diff_basis", "m, n: LDA vs PBE more similar at the same N_b",
        f"mean S LDA vs PBE, same k-mesh, different basis ({n2} pairs)", diff_b)
    return pd.DataFrame(rows)
