"""Chapter 2, three databases of one quantity: windows, chemistry groups and differences.

All functions take *aggregated* composition tables, one row per reduced formula with the columns
``key`` and ``target`` (see
:func:`howbig.chapters.transferability.compositions.aggregate_by_key`), and return DataFrames.

Conventions
-----------
* A difference of a pair ``(A, B)`` is always ``A's value - B's value`` of the same formula.
* The **target window** (:data:`TARGET_WINDOW`) is applied to every database alike. The lower
  edge lies below every tabulated value (a guard only); the upper edge is Matbench's rule for
  MP formation energies (Dunn et al. 2020: entries above 2.5 eV/atom removed). It takes out the
  unphysical tail of OQMD's table (values up to tens of eV/atom) and a few JARVIS entries.
* The **chemistry groups** (:data:`CORRECTION_GROUPS`, :func:`correction_group`) follow what the
  databases do differently, as the data show it (:func:`element_offsets`, :func:`element_fit`):
  MP's table differs from JARVIS's (which applies no corrections) on the compounds of O, F, Cl,
  S, N and H and of the GGA+U metals with O or F, its fitted corrections; on Br, I, Se and Te
  compounds the two agree (this MP table carries no correction for them, although later MP
  corrections include them). OQMD's values differ from both MP's and JARVIS's on Br, I and P
  compounds (its own fitted elemental references), which make a group of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from itertools import combinations

import numpy as np
import pandas as pd
from ase.formula import Formula

from howbig.methods.bootstrap import bootstrap

__all__ = [
    "CORRECTED_ANIONS",
    "CORRECTION_GROUPS",
    "GGA_U_METALS",
    "OQMD_OFFSET_ELEMENTS",
    "TARGET_WINDOW",
    "correction_group",
    "difference_table",
    "element_fit",
    "element_offsets",
    "in_window",
    "pair_differences",
    "window_effect",
]

#: Formation-energy window (eV/atom) applied to every database: ``low <= target <= high``.
TARGET_WINDOW: tuple[float, float] = (-5.0, 2.5)

#: Metals that MP computes with GGA+U (and a fitted correction) in oxides and fluorides
#: (Jain et al., Phys. Rev. B 84, 045115 (2011)).
GGA_U_METALS = frozenset({"Co", "Cr", "Fe", "Mn", "Mo", "Ni", "V", "W"})
#: Anions whose compounds carry a fitted correction in the MP table (found in the data).
CORRECTED_ANIONS = frozenset({"O", "F", "Cl", "S", "N", "H"})
#: Elements on which OQMD differs from both MP and JARVIS, while those two agree (the data).
OQMD_OFFSET_ELEMENTS = frozenset({"Br", "I", "P"})

#: Group labels, in order of precedence (a formula gets the first that applies).
CORRECTION_GROUPS: tuple[str, ...] = (
    "GGA+U metal with O/F", "O/F/Cl/S/N/H compound", "Br/I/P compound", "other")


@cache
def _elements(formula: str) -> frozenset[str]:
    return frozenset(Formula(formula).count())


def correction_group(formulas: Sequence[str] | pd.Series) -> np.ndarray:
    """Chemistry group of each formula, one of :data:`CORRECTION_GROUPS`.

    1. ``GGA+U metal with O/F``: a metal of :data:`GGA_U_METALS` together with O or F;
    2. ``O/F/Cl/S/N/H compound``: any other formula with an element of :data:`CORRECTED_ANIONS`;
    3. ``Br/I/P compound``: any other formula with an element of :data:`OQMD_OFFSET_ELEMENTS`;
    4. ``other``: the rest (intermetallics, selenides, tellurides, arsenides, carbides,
       silicides, borides, ...).

    Peroxides and superoxides fall into group 2 (their corrections differ from the oxide one,
    which a formula alone does not tell apart).
    """
    out = []
    for formula in formulas:
        elements = _elements(str(formula))
        if elements & GGA_U_METALS and elements & {"O", "F"}:
            out.append(CORRECTION_GROUPS[0])
        elif elements & CORRECTED_ANIONS:
            out.append(CORRECTION_GROUPS[1])
        elif elements & OQMD_OFFSET_ELEMENTS:
            out.append(CORRECTION_GROUPS[2])
        else:
            out.append(CORRECTION_GROUPS[3])
    return np.array(out, dtype=object)


def in_window(table: pd.DataFrame, window: tuple[float, float] = TARGET_WINDOW) -> pd.DataFrame:
    """The rows of ``table`` whose ``target`` lies in ``[low, high]`` (attrs kept)."""
    low, high = window
    out = table[(table["target"] >= low) & (table["target"] <= high)].reset_index(drop=True)
    out.attrs.update(table.attrs, window=window)
    return out


def window_effect(tables: Mapping[str, pd.DataFrame],
                  window: tuple[float, float] = TARGET_WINDOW
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the window removes, per database and per pair of databases.

    Returns
    -------
    per_database
        Indexed by database: ``formulas``, ``below``, ``above`` (outside the window), ``kept``,
        ``max`` (eV/atom, before the window) and ``% positive`` (after).
    per_pair
        ``A, B``, ``shared`` and ``shared in window`` (formulas both tables hold), ``lost``, and
        ``mae`` / ``mae in window`` of the differences (eV/atom).
    """
    low, high = window
    rows = []
    for name, t in tables.items():
        y = t["target"].to_numpy(float)
        kept = y[(y >= low) & (y <= high)]
        rows.append({"database": name, "formulas": len(y), "below": int((y < low).sum()),
                     "above": int((y > high).sum()), "kept": len(kept), "max": float(y.max()),
                     "% positive": 100.0 * float(np.mean(kept > 0)) if len(kept) else np.nan})
    pairs = []
    for a, b in combinations(tables, 2):
        full = pair_differences(tables[a], tables[b])
        cut = pair_differences(in_window(tables[a], window), in_window(tables[b], window))
        pairs.append({"A": a, "B": b, "shared": len(full), "shared in window": len(cut),
                      "lost": len(full) - len(cut),
                      "mae": float(full["difference"].abs().mean()),
                      "mae in window": float(cut["difference"].abs().mean())})
    return pd.DataFrame(rows).set_index("database"), pd.DataFrame(pairs)


def pair_differences(table_a: pd.DataFrame, table_b: pd.DataFrame, *,
                     groups: Callable[[pd.Series], np.ndarray] = correction_group
                     ) -> pd.DataFrame:
    """Per formula both tables hold: ``key, a, b, difference`` (= a - b) and ``group``."""
    a, b = table_a.set_index("key")["target"], table_b.set_index("key")["target"]
    common = a.index.intersection(b.index)
    out = pd.DataFrame({"key": np.asarray(common, dtype=object),
                        "a": a.loc[common].to_numpy(float), "b": b.loc[common].to_numpy(float)})
    out["difference"] = out["a"] - out["b"]
    out["group"] = groups(out["key"]) if len(out) else np.array([], dtype=object)
    return out


def _mae(d: np.ndarray) -> float:
    return float(np.mean(np.abs(d)))


def difference_table(tables: Mapping[str, pd.DataFrame],
                     pairs: Sequence[tuple[str, str]] | None = None, *,
                     groups: Sequence[str] = CORRECTION_GROUPS, n_boot: int = 1000,
                     confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Differences of every pair of databases on the formulas both hold, by chemistry group.

    Parameters
    ----------
    tables
        Aggregated tables by database name.
    pairs
        ``(A, B)`` pairs (default: every pair, in the order of ``tables``). A control pair
        (two snapshots of one database) is passed like any other.
    groups
        Group labels to report (each pair also gets the row ``"all"``).
    n_boot, confidence, seed
        Percentile bootstrap over formulas (:func:`howbig.methods.bootstrap.bootstrap`).

    Returns
    -------
    pandas.DataFrame
        One row per (pair, group): ``A, B, group, n``, ``% of group`` (share of the pair's shared
        formulas), ``mean, mean low, mean high, median, mae, mae low, mae high`` (eV/atom,
        A - B). Groups without formulas have ``n = 0`` and NaN statistics.
    """
    pairs = list(pairs) if pairs is not None else list(combinations(tables, 2))
    rows = []
    for a, b in pairs:
        diffs = pair_differences(tables[a], tables[b])
        parts = [(g, diffs.loc[diffs["group"] == g, "difference"].to_numpy()) for g in groups]
        parts.append(("all", diffs["difference"].to_numpy()))
        for group, d in parts:
            mean = bootstrap(np.mean, d, n_boot=n_boot, confidence=confidence, seed=seed)
            mae = bootstrap(_mae, d, n_boot=n_boot, confidence=confidence, seed=seed)
            rows.append({"A": a, "B": b, "group": group, "n": len(d),
                         "% of pair": 100.0 * len(d) / len(diffs) if len(diffs) else np.nan,
                         "mean": mean.estimate, "mean low": mean.low, "mean high": mean.high,
                         "median": float(np.median(d)) if len(d) else np.nan,
                         "mae": mae.estimate, "mae low": mae.low, "mae high": mae.high})
    return pd.DataFrame(rows)


def element_offsets(diffs: pd.DataFrame, elements: Sequence[str], *,
                    exclude: Sequence[str] = (CORRECTION_GROUPS[0],), n_boot: int = 1000,
                    seed: int = 0) -> pd.DataFrame:
    """Mean difference of the formulas that contain each element, and of those that contain it
    with none of the other listed elements (``alone``).

    Parameters
    ----------
    diffs
        Output of :func:`pair_differences`.
    elements
        Elements to test, e.g. candidate anions ``["O", "F", "Cl", "Br", ...]``.
    exclude
        Groups left out first (default: the GGA+U group, whose offset would mask the anion's).

    Returns
    -------
    pandas.DataFrame
        Indexed by element: ``n, mean, mean low, mean high, median`` and ``n alone, mean alone,
        alone low, alone high`` (eV/atom; 95 % percentile bootstrap over formulas).
    """
    d = diffs[~diffs["group"].isin(set(exclude))]
    members = [_elements(k) for k in d["key"]]
    listed = set(elements)
    values = d["difference"].to_numpy(float)
    rows = []
    for e in elements:
        has = np.array([e in m for m in members], dtype=bool)
        alone = np.array([e in m and not (m & listed) - {e} for m in members], dtype=bool)
        b = bootstrap(np.mean, values[has], n_boot=n_boot, seed=seed)
        c = bootstrap(np.mean, values[alone], n_boot=n_boot, seed=seed)
        rows.append({"element": e, "n": int(has.sum()), "mean": b.estimate, "mean low": b.low,
                     "mean high": b.high,
                     "median": float(np.median(values[has])) if has.any() else np.nan,
                     "n alone": int(alone.sum()), "mean alone": c.estimate,
                     "alone low": c.low, "alone high": c.high})
    return pd.DataFrame(rows).set_index("element")


def _fractions(keys: Sequence[str]) -> pd.DataFrame:
    rows = []
    for k in keys:
        count = Formula(str(k)).count()
        total = sum(count.values())
        rows.append({e: n / total for e, n in count.items()})
    return pd.DataFrame(rows).fillna(0.0)


def element_fit(diffs: pd.DataFrame, *, min_formulas: int = 30, n_boot: int = 200,
                seed: int = 0) -> pd.DataFrame:
    """Least-squares difference per atom of each element, the form of MP's corrections.

    Fits ``difference = sum_e c_e x_e + sum_M u_M x_M [O or F present]`` over shared formulas,
    with ``x_e`` the atomic fraction of element ``e`` and ``M`` the :data:`GGA_U_METALS`: ``c_e``
    is the difference per atom of ``e`` (eV/atom of e), ``u_M`` the extra difference per atom of
    a GGA+U metal in an oxide or fluoride. Elements (and metal terms) in fewer than
    ``min_formulas`` formulas are folded into one column ``"rare"`` (their summed fraction).

    Returns
    -------
    pandas.DataFrame
        Indexed by term (element, or ``"Fe with O/F"`` etc.): ``formulas`` (how many hold it),
        ``coefficient``, ``low``, ``high`` (95 % percentile bootstrap over formulas, ``n_boot``
        refits), sorted by ``|coefficient|``.
    """
    x = _fractions(list(diffs["key"]))
    oxfl = (x.get("O", 0.0) > 0) | (x.get("F", 0.0) > 0)
    for m in sorted(GGA_U_METALS & set(x.columns)):
        x[f"{m} with O/F"] = x[m] * oxfl
    count = (x > 0).sum()
    rare = count.index[count < min_formulas]
    if len(rare):
        x = x.drop(columns=rare).assign(rare=x[rare].sum(axis=1))
    a, y = x.to_numpy(float), diffs["difference"].to_numpy(float)
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    rng = np.random.default_rng(seed)
    boots = np.empty((n_boot, a.shape[1]))
    for i in range(n_boot):  # a resample = integer weights on the formulas (normal equations)
        w = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
        aw = a * w[:, None]
        boots[i] = np.linalg.lstsq(aw.T @ a, aw.T @ y, rcond=None)[0]
    low, high = np.percentile(boots, [2.5, 97.5], axis=0)
    out = pd.DataFrame({"formulas": (x > 0).sum().to_numpy(), "coefficient": coef,
                        "low": low, "high": high}, index=pd.Index(x.columns, name="term"))
    return out.iloc[np.argsort(-np.abs(coef))]
