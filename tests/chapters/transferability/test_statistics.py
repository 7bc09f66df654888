"""Overlap statistics of Chapter 2: keys per database, shared keys, duplicates."""

from __future__ import annotations

import pandas as pd
import pytest

from howbig.chapters.transferability.statistics import (
    most_duplicated,
    overview_table,
    pairwise_overlap,
)


# ---------------------------------------------------------------------- dataset statistics
def _tables() -> dict[str, pd.DataFrame]:
    a = pd.DataFrame({"key": ["a_1", "a_1", "a_1", "b_2", "c_3"],
                      "formation_energy_per_atom": [1.0, 1.2, 1.4, 0.0, -1.0]})
    b = pd.DataFrame({"key": ["c_3", "d_4"], "formation_energy_per_atom": [-1.5, 2.0]})
    c = pd.DataFrame({"key": ["e_5"], "formation_energy_per_atom": [0.0]})
    return {"A": a, "B": b, "C": c}


def test_overview_and_duplicates_planted():
    t = _tables()
    ov = overview_table(t)
    assert ov.loc["A", "entries"] == 5 and ov.loc["A", "unique keys"] == 3
    assert ov.loc["A", "keys in other DBs"] == 1 and ov.loc["B", "keys in other DBs"] == 1
    assert ov.loc["A", "% in other DBs"] == pytest.approx(100 / 3)
    assert ov.loc["C", "keys in other DBs"] == 0 and ov.loc["C", "% in other DBs"] == 0.0
    assert ov.loc["A", "max entries per key"] == 3
    pw = pairwise_overlap(t).set_index(["A", "B"])
    assert pw.loc[("A", "B"), "shared keys"] == 1
    assert pw.loc[("A", "B"), "% of union"] == pytest.approx(25.0)
    assert pw.loc[("A", "C"), "shared keys"] == 0
    top = most_duplicated(t["A"], 2)
    assert list(top["key"]) == ["a_1", "b_2"] and list(top["entries"]) == [3, 1]
