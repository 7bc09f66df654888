"""Chapter 3 in a few calls: the h-BN similarity study and its comparison with the paper.

:func:`similarity_study` turns DOS on a common grid into a sorted similarity matrix whose blocks
carry the paper's letters; :func:`paper_comparison` computes the mean
similarity over the pairs behind each statement of the paper's Section 3, and
:func:`paper_rankings` the differences that its statements order, each with a bootstrap interval
that resamples calculations (:func:`pair_bootstrap`), so that pairs sharing a calculation are not
counted as independent.
The letters and the k-mesh sets that play the paper's are in
:mod:`howbig.chapters.similarity.blocks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from howbig.chapters.similarity.blocks import k_sets, paper_letters
from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S
from howbig.report import NOT_COMPUTABLE
from howbig.verdicts import verdict

__all__ = [
    "SimilarityStudy",
    "comparison_table",
    "nomad_study_meta",
    "pair_bootstrap",
    "paper_comparison",
    "paper_letters",
    "paper_rankings",
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
        with added columns ``block`` (e.g. ``"LDA 2x2x1"``) and ``letter`` (the paper's letter of
        its diagonal block, ``""`` if none).
    fps
        Fingerprints.
    sim
        Similarity matrix.
    blocks
        Mean similarity within (diagonal) and between blocks, indexed by ``"a: LDA 1x1x1"``
        (unlettered blocks by their name alone).
    letters
        The paper's letter of each pair of blocks ``(row block, column block)`` that has one.
    """

    energies: np.ndarray
    dos: np.ndarray
    meta: pd.DataFrame
    fps: F.FingerprintSet
    sim: np.ndarray
    blocks: pd.DataFrame
    letters: dict[tuple[str, str], str] = field(default_factory=dict)

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
    meta = meta.reset_index(drop=True)
    order = meta.sort_values(["xc", "n_kpoints", "n_basis"], kind="stable").index.to_numpy()
    meta = meta.loc[order].reset_index(drop=True)
    dos = np.asarray(dos)[order]
    meta["block"] = [f"{x.upper()} {k}" for x, k in zip(meta["xc"], meta["kmesh"], strict=True)]
    letters = paper_letters(meta)
    meta["letter"] = [letters.get((b, b), "") for b in meta["block"]]
    fps = F.dos_fingerprints(energies, dos, grid)
    sim = S.similarity_matrix(fps)
    labels = [f"{x}: {b}" if x else b for x, b in zip(meta["letter"], meta["block"], strict=True)]
    return SimilarityStudy(np.asarray(energies), dos, meta, fps, sim, S.block_means(sim, labels),
                           letters)


def _pairs(meta: pd.DataFrame, rows: np.ndarray, cols: np.ndarray | None = None, *,
           same: Sequence[str] = (), differ: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs within ``rows`` (``i < j``) or between ``rows`` and ``cols``, agreeing on
    ``same`` and differing in every ``differ``."""
    rows = np.asarray(rows, int)
    if cols is None:
        a, b = np.triu_indices(len(rows), k=1)
        i, j = rows[a], rows[b]
    else:
        i, j = (m.ravel() for m in np.meshgrid(rows, np.asarray(cols, int), indexing="ij"))
    keep = np.ones(len(i), bool)
    for col in same:
        v = meta[col].to_numpy()
        keep &= v[i] == v[j]
    for col in differ:
        v = meta[col].to_numpy()
        keep &= v[i] != v[j]
    return i[keep], j[keep]


def pair_bootstrap(n: int, pair_sets: Sequence[tuple[np.ndarray, np.ndarray]],
                   values: np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """Bootstrap means over sets of pairs, resampling the ``n`` calculations (not the pairs).

    Each resample draws the calculations with replacement; a pair counts as often as the product
    of its two calculations' counts. Every set is averaged with the same resample, so that the
    difference of two means has its own distribution.

    Parameters
    ----------
    n
        Number of calculations.
    pair_sets
        ``(i, j)`` index arrays per set.
    values
        The ``n x n`` similarity matrix.
    n_boot, seed
        Resamples and seed.

    Returns
    -------
    ``(n_boot, len(pair_sets))`` resampled means (NaN where a resample keeps no pair of a set).
    """
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    out = np.full((n_boot, len(pair_sets)), np.nan)
    for k, (i, j) in enumerate(pair_sets):
        if len(i) == 0:
            continue
        weight = counts[:, i] * counts[:, j]
        total = weight.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k] = (weight @ values[i, j]) / total
    return out


def _interval(samples: np.ndarray) -> tuple[float, float]:
    finite = samples[np.isfinite(samples)]
    if len(finite) < 2:
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


# key, k-mesh sets of the pairs (None: any), columns equal / different, statement per functional
_QUANTITIES = (
    ("lowk_within", "low", None, (), (), {"lda": "a: lowest k, dissimilar to each other",
                                          "pbe": "g: all pairs (the paper's g: same N_b)"}),
    ("lowk_same_nb", "low", None, ("n_basis",), (),
     {"lda": "a: pairwise similar (same N_b, other settings differ)",
      "pbe": "g: same N_b similar already at low k"}),
    ("midk_within", "medium", None, (), (), {"lda": "b: medium k, higher S among themselves",
                                             "pbe": "h: high S, varying only slightly"}),
    ("highk_within", "high", None, (), (), {"lda": "c: highest k, higher S among themselves",
                                            "pbe": "i: high S, varying only slightly"}),
    ("lowk_vs_midk", "low", "medium", (), (), {"lda": "d: lowest k dissimilar to all others",
                                               "pbe": "j: lowest k, medium S to higher k"}),
    ("lowk_vs_highk", "low", "high", (), (), {"lda": "f: lowest k dissimilar to all others",
                                              "pbe": "l: lowest k, medium S to higher k"}),
    ("midk_vs_highk", "medium", "high", (), (), {"lda": "e: medium against highest k",
                                                 "pbe": "k: medium k highly similar to highest"}),
    ("e_same_nb", "medium", "high", ("n_basis",), (),
     {"lda": "e: same N_b similar across k-meshes"}),
    ("e_diff_nb", "medium", "high", (), ("n_basis",), {"lda": "e: less similar at different N_b"}),
    ("only_kmesh", None, None, ("basis",), ("kmesh",),
     {x: "(the book's own): k-mesh changed alone" for x in ("lda", "pbe")}),
    ("only_basis", None, None, ("kmesh",), ("basis",),
     {x: "(the book's own): basis changed alone" for x in ("lda", "pbe")}),
)
_SAID = {"n_basis": "N_b", "basis": "basis", "kmesh": "k-mesh"}
#: The paper's orderings (key of :data:`howbig.paper.PAPER`): larger set minus smaller set.
_RANKINGS = {
    "sim_lowk_most_dissimilar": (("lda_midk_vs_highk",), ("lda_lowk_vs_midk", "lda_lowk_vs_highk")),
    "sim_more_k_more_similar": (("lda_midk_within", "lda_highk_within"), ("lda_lowk_within",)),
    "sim_same_nb_across_k": (("lda_e_same_nb",), ("lda_e_diff_nb",)),
    "sim_same_nb_across_xc": (("xc_same_basis",), ("xc_diff_basis",)),
    "pbe_vs_lda_lowk": (("pbe_lowk_vs_highk",), ("lda_lowk_vs_highk",)),  # no claim: a word
}
_RANKED_BLOCKS = {"sim_lowk_most_dissimilar": "e against d, f",
                  "sim_more_k_more_similar": "b, c against a",
                  "sim_same_nb_across_k": "e: same against different N_b",
                  "sim_same_nb_across_xc": "m, n: same against different N_b",
                  "pbe_vs_lda_lowk": "l against f"}


def _what(prefix: str, same: Sequence[str], differ: Sequence[str]) -> str:
    return ", ".join([prefix, *(f"same {_SAID[c]}" for c in same),
                      *(f"different {_SAID[c]}" for c in differ)])


def _pair_sets(study: SimilarityStudy) -> dict[str, tuple[str, str, tuple[np.ndarray, ...]]]:
    """key -> (statement, what the pairs are, (i, j)) for every quantity of the comparison."""
    meta = study.meta
    known = bool(meta["n_basis"].notna().all())
    empty = (np.zeros(0, int), np.zeros(0, int))
    out = {}
    for xc in ("lda", "pbe"):
        sets = k_sets(meta, xc)
        block = meta["block"].to_numpy()
        rows_of = {s: np.flatnonzero(block == b) for s, b in sets.items()}
        for key, a, b, same, differ, words in _QUANTITIES:
            if xc not in words:
                continue
            if a is None:
                what = _what(xc.upper(), same, differ)
                pairs = _pairs(meta, np.flatnonzero(meta["xc"].to_numpy() == xc), same=same,
                               differ=differ)
            elif a in sets and (b is None or b in sets):
                what = _what(f"within {sets[a]}" if b is None else f"{sets[a]} against {sets[b]}",
                             same, differ)
                pairs = _pairs(meta, rows_of[a], None if b is None else rows_of[b], same=same,
                               differ=differ)
            else:
                what, pairs = "no such block here", empty
            needs_basis = bool({"n_basis", "basis"} & {*same, *differ})
            out[f"{xc}_{key}"] = (words[xc], what, pairs if known or not needs_basis else empty)
    lda, pbe = (np.flatnonzero(meta["xc"].to_numpy() == x) for x in ("lda", "pbe"))
    for key, same, differ, text in (("xc_same_basis", ("kmesh", "n_basis"), (), "same"),
                                    ("xc_diff_basis", ("kmesh",), ("n_basis",), "different")):
        pairs = _pairs(meta, lda, pbe, same=same, differ=differ) if known else empty
        out[key] = (f"m, n: LDA against PBE, {text} N_b", _what("LDA against PBE", same, differ),
                    pairs)
    return out


def paper_comparison(study: SimilarityStudy, *, n_boot: int = 1000, seed: int = 0
                     ) -> pd.DataFrame:
    """The quantities behind the paper's statements on its Fig. 4, computed on ``study``.

    Every quantity is a mean similarity over a set of pairs. Quantities whose pairs do not exist
    in the data (a block with one member, a functional with fewer than three k-meshes, pairs with
    the same basis inside a block, basis sizes not known) are NaN with ``n = 0``.

    Returns
    -------
    DataFrame with columns ``key``, ``paper`` (letters and statement, in short), ``quantity``
    (the pairs), ``value`` (mean S), ``n`` (pairs), ``low``, ``high`` (95% bootstrap interval,
    calculations resampled) and ``uncertainty`` (half its width).
    """
    sets = _pair_sets(study)
    boot = pair_bootstrap(len(study.meta), [p for *_, p in sets.values()], study.sim,
                          n_boot=n_boot, seed=seed)
    rows = []
    for k, (key, (paper, what, (i, j))) in enumerate(sets.items()):
        low, high = _interval(boot[:, k]) if len(i) else (np.nan, np.nan)
        rows.append({"key": key, "paper": paper, "quantity": what,
                     "value": float(study.sim[i, j].mean()) if len(i) else np.nan,
                     "n": len(i), "low": low, "high": high, "uncertainty": (high - low) / 2})
    return pd.DataFrame(rows)


def paper_rankings(study: SimilarityStudy, *, n_boot: int = 1000, seed: int = 0
                   ) -> pd.DataFrame:
    """The differences the paper's statements order, larger set minus smaller (positive in the
    paper's order), with 95% bootstrap intervals that resample calculations.

    Returns
    -------
    DataFrame indexed by ``key`` (a :data:`howbig.paper.PAPER` key, or ``pbe_vs_lda_lowk``) with
    columns ``blocks`` (the paper's letters, larger set first), ``value``, ``low``, ``high`` and
    ``n`` (pairs in both sets).
    """
    sets = _pair_sets(study)

    def union(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return (np.concatenate([sets[k][2][0] for k in keys]),
                np.concatenate([sets[k][2][1] for k in keys]))

    pairs = [union(side) for sides in _RANKINGS.values() for side in sides]
    boot = pair_bootstrap(len(study.meta), pairs, study.sim, n_boot=n_boot, seed=seed)
    rows = []
    for k, key in enumerate(_RANKINGS):
        (ia, ja), (ib, jb) = pairs[2 * k], pairs[2 * k + 1]
        ok = len(ia) > 0 and len(ib) > 0
        value = float(study.sim[ia, ja].mean() - study.sim[ib, jb].mean()) if ok else np.nan
        low, high = _interval(boot[:, 2 * k] - boot[:, 2 * k + 1]) if ok else (np.nan, np.nan)
        rows.append({"key": key, "blocks": _RANKED_BLOCKS[key], "value": value, "low": low,
                     "high": high, "n": len(ia) + len(ib)})
    return pd.DataFrame(rows).set_index("key")


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`paper_comparison` for display: S with its interval, or "not computable"."""
    def cell(row: pd.Series) -> str:
        if row["n"] == 0 or not np.isfinite(row["value"]):
            return NOT_COMPUTABLE
        return f"{row['value']:.2f} [{row['low']:.2f}, {row['high']:.2f}]"

    return pd.DataFrame({"the paper (letters)": comparison["paper"],
                         "pairs here": comparison["quantity"],
                         "mean S [95% interval]": comparison.apply(cell, axis=1),
                         "pairs": comparison["n"]}).set_index("the paper (letters)")


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


def prose_checks(comparison: pd.DataFrame, rankings: pd.DataFrame, multi_groups: pd.DataFrame,
                 meta: pd.DataFrame) -> list[str]:
    """The statements Chapter 3 makes about the PySCF h-BN data that these numbers contradict.

    Parameters
    ----------
    comparison, rankings
        :func:`paper_comparison` and :func:`paper_rankings` of the study.
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
    n = dict(zip(comparison["key"], comparison["n"], strict=True))
    agrees = {k: verdict(k, r.value, kind="analogue", low=r.low, high=r.high).agrees
              for k, r in rankings.drop(index="pbe_vs_lda_lowk").iterrows()}
    claims = {
        "the Summary lists first what is not borne out: a against b, c and block e":
            agrees["sim_more_k_more_similar"] is not True
            and agrees["sim_same_nb_across_k"] is not True,
        "then what is: d, f against e and m, n":
            agrees["sim_lowk_most_dissimilar"] is True and agrees["sim_same_nb_across_xc"] is True,
        "the k-mesh matters more than the basis (LDA and PBE)":
            v["lda_only_basis"] > v["lda_only_kmesh"] and v["pbe_only_basis"] > v["pbe_only_kmesh"],
        "LDA similarity to the densest mesh rises with the k-mesh":
            v["lda_lowk_vs_highk"] < v["lda_midk_vs_highk"] < v["lda_highk_within"],
        "Gamma-only calculations similar to each other, far from the densest mesh":
            min(v["lda_lowk_within"], v["pbe_lowk_within"]) > 0.5 > 0.3
            > max(v["lda_lowk_vs_highk"], v["pbe_lowk_vs_highk"]),
        "one calculation per functional, k-mesh and basis (no same-N_b pairs in a block)":
            n["lda_lowk_same_nb"] == n["pbe_lowk_same_nb"] == 0
            and not meta.duplicated(["xc", "kmesh", "basis"]).any(),
        "four k-meshes per functional: one has no letter of the paper":
            bool((meta.groupby("xc")["kmesh"].nunique() == 4).all()),
        "no group spans two functionals or k-meshes":
            bool((multi_groups["xc"].str.count(",") == 0).all()
                 and (multi_groups["kmesh"].str.count(",") == 0).all()),
        "single-zeta calculations stay apart":
            not multi_groups["basis"].str.startswith("gth-szv,").any(),
        "the densest mesh is far from converged (at most 16 k-points)":
            int(meta["n_kpoints"].max()) <= 16,
        "every calculation converged": bool(meta["converged"].all()),
        "every requested calculation ran":
            meta.attrs["generation"]["n_done"] == meta.attrs["generation"]["n_requested"],
        "every ranking computable": bool(rankings["value"].notna().all()),
    }
    return [claim for claim, holds in claims.items() if not holds]
