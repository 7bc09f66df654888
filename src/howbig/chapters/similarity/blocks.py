"""The paper's block letters of its Fig. 4 (a-n) and which blocks of this book's data play them.

The paper sorts each functional's calculations into three sets of k-meshes (lowest, medium,
highest) and labels blocks of the similarity matrix a-n (:data:`PAPER_BLOCKS`, as its Section 3
places them). Here the lowest, second-highest and highest k-mesh of each functional play these
sets (:func:`k_sets`); any other k-mesh carries no letter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PAPER_BLOCKS", "PaperBlock", "k_sets", "letter_table", "paper_letters"]


@dataclass(frozen=True)
class PaperBlock:
    """A lettered block of the paper's Fig. 4, as its text places it.

    Attributes
    ----------
    letter
        The paper's letter.
    xc
        Functionals of the rows and the columns.
    sets
        k-mesh sets of the rows and the columns (``"low"``, ``"medium"``, ``"high"``, ``"all"``).
    paper_indices
        The indices the paper's text gives for the block.
    """

    letter: str
    xc: tuple[str, str]
    sets: tuple[str, str]
    paper_indices: str


_LDA, _PBE, _X = ("lda", "lda"), ("pbe", "pbe"), ("lda", "pbe")
_PBE_RANGE = "i ≥ 71 (the text gives no sub-ranges)"
#: The paper's letters (its Section 3 and Fig. 4). The text names d and f together (the lowest
#: k-mesh against the others), likewise j and l, and m and n (LDA against PBE); the book reads
#: d, j as the lowest against the medium set and f, l as the lowest against the highest, so that
#: a-c and g-i are diagonal blocks and d-f, j-l the blocks above them in reading order.
PAPER_BLOCKS: tuple[PaperBlock, ...] = (
    PaperBlock("a", _LDA, ("low", "low"), "i ≤ 23"),
    PaperBlock("b", _LDA, ("medium", "medium"), "24 ≤ i ≤ 47"),
    PaperBlock("c", _LDA, ("high", "high"), "48 ≤ i ≤ 70"),
    PaperBlock("d", _LDA, ("low", "medium"), "i ≤ 23 against 24 ≤ i ≤ 70 (d, f)"),
    PaperBlock("e", _LDA, ("medium", "high"), "24 ≤ i ≤ 47 against 48 ≤ i ≤ 70"),
    PaperBlock("f", _LDA, ("low", "high"), "i ≤ 23 against 24 ≤ i ≤ 70 (d, f)"),
    PaperBlock("g", _PBE, ("low", "low"), _PBE_RANGE),
    PaperBlock("h", _PBE, ("medium", "medium"), _PBE_RANGE),
    PaperBlock("i", _PBE, ("high", "high"), _PBE_RANGE),
    PaperBlock("j", _PBE, ("low", "medium"), _PBE_RANGE),
    PaperBlock("k", _PBE, ("medium", "high"), _PBE_RANGE),
    PaperBlock("l", _PBE, ("low", "high"), _PBE_RANGE),
    PaperBlock("m, n", _X, ("all", "all"), "i ≤ 72 against i ≥ 71"),
)


def k_sets(meta: pd.DataFrame, xc: str) -> dict[str, str]:
    """Blocks playing the paper's k-mesh sets for ``xc``: ``low`` (fewest k-points), ``high``
    (most) and ``medium`` (second most, with three or more k-meshes); empty below two k-meshes."""
    part = meta[meta["xc"] == xc].sort_values("n_kpoints", kind="stable")
    meshes = list(dict.fromkeys(part["kmesh"]))
    if len(meshes) < 2:
        return {}
    name = xc.upper()
    out = {"low": f"{name} {meshes[0]}", "high": f"{name} {meshes[-1]}"}
    if len(meshes) >= 3:
        out["medium"] = f"{name} {meshes[-2]}"
    return out


def paper_letters(meta: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The paper's letter of each pair of blocks (row, column) of ``meta`` that plays one.

    Cross-functional blocks (m, n) are keyed by ``("LDA", "PBE")``.
    """
    sets = {xc: k_sets(meta, xc) for xc in ("lda", "pbe")}
    out = {}
    for block in PAPER_BLOCKS:
        if block.xc == _X:
            if {"lda", "pbe"} <= set(meta["xc"]):
                out[("LDA", "PBE")] = block.letter
            continue
        have = sets[block.xc[0]]
        if block.sets[0] in have and block.sets[1] in have:
            out[(have[block.sets[0]], have[block.sets[1]])] = block.letter
    return out


def _span(index: np.ndarray) -> str:
    """Indices counted from 1, as the paper and the figure count them."""
    return f"{index.min() + 1}-{index.max() + 1}"


def letter_table(meta: pd.DataFrame, letters: dict[tuple[str, str], str]) -> pd.DataFrame:
    """One row per letter of the paper: where the paper puts it and which blocks play it here
    (indices counted from 1, as in the figure)."""
    sets = {xc: k_sets(meta, xc) for xc in ("lda", "pbe")}
    rows = []
    for block in PAPER_BLOCKS:
        if block.xc == _X:
            here = "LDA against PBE" if ("LDA", "PBE") in letters else ""
            sides = [np.flatnonzero(meta["xc"].to_numpy() == x) for x in ("lda", "pbe")
                     ] if here else []
            where = "LDA, PBE"
        else:
            names = [sets[block.xc[0]].get(s) for s in block.sets]
            sides = [] if None in names else [
                np.flatnonzero(meta["block"].to_numpy() == n) for n in dict.fromkeys(names)]
            here = "" if None in names else " against ".join(dict.fromkeys(names))
            where = " against ".join(dict.fromkeys(f"{block.xc[0].upper()} {s}"
                                                   for s in block.sets))
        rows.append({"letter": block.letter, "the paper's indices": block.paper_indices,
                     "k-mesh sets": where, "blocks here": here or "none",
                     "indices here": " against ".join(_span(x) for x in sides) or "-"})
    return pd.DataFrame(rows).set_index("letter")
