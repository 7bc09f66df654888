"""Composition features for band-gap models: Magpie statistics and FHI-aims free-atom features.

* :func:`magpie_features`: the 132 Magpie statistics of Ward et al. (2016) (22 elemental
  properties x minimum, maximum, range, mean, mean absolute deviation, mode), computed vectorised
  from Magpie's element table (:func:`howbig.data.sources.band_gaps.load_magpie_elements`, a
  committed copy of matminer's); equal to
  ``matminer.featurizers.composition.ElementProperty.from_preset("magpie", impute_nan=True)``
  (checked in the tests, where matminer is installed).
* :func:`fhiaims_features`: the paper's own elemental features (free-atom FHI-aims quantities,
  :func:`howbig.data.sources.band_gaps.load_fhiaims_elements`), composition-weighted mean and
  mean absolute deviation of every column.

No file is read here: the element tables are arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "MAGPIE_STATS",
    "composition_matrix",
    "fhiaims_features",
    "magpie_features",
    "parse_formula",
]

MAGPIE_STATS = ("minimum", "maximum", "range", "mean", "avg_dev", "mode")
_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")


def parse_formula(formula: str) -> dict[str, float]:
    """Element amounts of a flat formula such as ``"Ba1I2O6"`` or ``"NaCl"``.

    Raises
    ------
    ValueError
        If the formula has characters other than element symbols and numbers.
    """
    tokens = _TOKEN.findall(formula)
    if "".join(s + n for s, n in tokens) != formula.strip():
        raise ValueError(f"cannot parse formula {formula!r} (flat formulas like 'Ba1I2O6' only)")
    out: dict[str, float] = {}
    for symbol, number in tokens:
        out[symbol] = out.get(symbol, 0.0) + (float(number) if number else 1.0)
    return out


def composition_matrix(formulas: Sequence[str], elements: Sequence[str]) -> np.ndarray:
    """Atomic fractions ``(n_formulas, n_elements)``; raises if an element is not in the table."""
    index = {e: k for k, e in enumerate(elements)}
    out = np.zeros((len(formulas), len(elements)))
    for row, formula in enumerate(formulas):
        amounts = parse_formula(formula)
        total = sum(amounts.values())
        for symbol, amount in amounts.items():
            if symbol not in index:
                raise KeyError(f"element {symbol} of {formula} has no entry in the feature table")
            out[row, index[symbol]] = amount / total
    return out


def _weighted_stats(fractions: np.ndarray, table: np.ndarray, stats: Sequence[str]
                    ) -> np.ndarray:
    """Statistics of element properties over compositions, vectorised over the rows."""
    present = fractions > 0
    mean = fractions @ table
    columns = []
    big = np.inf
    for k in range(table.shape[1]):
        values = table[:, k][None, :]
        out = {}
        out["mean"] = mean[:, k]
        out["minimum"] = np.where(present, values, big).min(axis=1)
        out["maximum"] = np.where(present, values, -big).max(axis=1)
        out["range"] = out["maximum"] - out["minimum"]
        out["avg_dev"] = np.sum(fractions * np.abs(values - mean[:, k:k + 1]), axis=1)
        if "mode" in stats:
            top = np.isclose(fractions, fractions.max(axis=1, keepdims=True)) & present
            out["mode"] = np.where(top, values, big).min(axis=1)
        columns.append(np.column_stack([out[s] for s in stats]))
    return np.hstack(columns)


def magpie_features(formulas: Sequence[str], table: pd.DataFrame) -> pd.DataFrame:
    """The 132 Magpie composition features, columns named ``MagpieData <stat> <property>``.

    ``table``: Magpie's element table (the 22 properties as columns, in matminer's order;
    elements as index), e.g. :func:`howbig.data.sources.band_gaps.load_magpie_elements`.
    """
    frac = composition_matrix(list(formulas), list(table.index))
    values = _weighted_stats(frac, table.to_numpy(), MAGPIE_STATS)
    names = [f"MagpieData {s} {p}" for p in table.columns for s in MAGPIE_STATS]
    return pd.DataFrame(values, columns=names, index=pd.Index(formulas, name="formula"))


def fhiaims_features(formulas: Sequence[str], table: pd.DataFrame) -> pd.DataFrame:
    """Composition-weighted mean and mean absolute deviation of the free-atom features."""
    frac = composition_matrix(list(formulas), list(table.index))
    values = _weighted_stats(frac, table.to_numpy(), ("mean", "avg_dev"))
    names = [f"{s} {c}" for c in table.columns for s in ("mean", "avg_dev")]
    return pd.DataFrame(values, columns=names, index=pd.Index(formulas, name="formula"))
