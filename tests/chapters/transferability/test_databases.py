"""Three databases of one quantity: groups, window, differences, splits (planted and real)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.compositions import (
    regrouped_splits,
    split_conflicts,
    training_sets,
)
from howbig.chapters.transferability.databases import (
    CORRECTION_GROUPS,
    TARGET_WINDOW,
    correction_group,
    difference_table,
    element_fit,
    element_offsets,
    in_window,
    pair_differences,
    window_effect,
)
from howbig.data.sources import load_composition_table


def test_correction_groups_known_answers():
    formulas = ["Fe2O3", "MnF2", "NiS", "Al2O3", "NaCl", "LiH", "GaN", "KBr", "CsI", "GaP",
                "ZnSe", "CdTe", "GaAs", "FeSi", "Mo", "CoSe", "VOCl", "Li3PO4"]
    want = [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 0, 1]
    assert correction_group(formulas).tolist() == [CORRECTION_GROUPS[i] for i in want]
    assert correction_group([]).tolist() == []


def _table(keys, values):
    return pd.DataFrame({"key": keys, "target": np.asarray(values, float)})


def test_window_removes_outliers_and_counts_what_it_removes():
    a = _table(["NaCl", "KCl", "Fe2O3", "CuPaU2"], [-2.0, -2.2, -1.7, 43.5])
    b = _table(["NaCl", "Fe2O3", "CuPaU2", "LiF"], [-2.1, -1.5, 0.1, -3.0])
    assert list(in_window(a)["key"]) == ["NaCl", "KCl", "Fe2O3"]
    assert in_window(a).attrs["window"] == TARGET_WINDOW
    per_db, per_pair = window_effect({"A": a, "B": b})
    assert per_db.loc["A", "above"] == 1 and per_db.loc["A", "kept"] == 3
    assert per_db.loc["A", "max"] == 43.5 and per_db.loc["B", "% positive"] == 25.0
    row = per_pair.iloc[0]
    assert (row["shared"], row["shared in window"], row["lost"]) == (3, 2, 1)
    assert row["mae in window"] == pytest.approx(0.15)


def test_difference_table_recovers_planted_offsets_by_group():
    rng = np.random.default_rng(0)
    keys = [f"Na{i}Cl" for i in range(1, 200)] + [f"Ga{i}As" for i in range(1, 200)]
    b = rng.normal(-1, 0.5, len(keys))
    planted = np.where([k.endswith("Cl") for k in keys], -0.3, 0.0)
    a = _table(keys, b + planted + rng.normal(0, 0.01, len(keys)))
    tables = {"A": a, "B": _table(keys, b), "A copy": a.copy()}
    table = difference_table(tables, [("A", "B"), ("A", "A copy")], n_boot=200)
    t = table.set_index(["A", "B", "group"])
    cl = t.loc[("A", "B", CORRECTION_GROUPS[1])]
    assert cl["n"] == 199 and cl["mean low"] <= -0.3 <= cl["mean high"]
    assert t.loc[("A", "B", "other"), "mean"] == pytest.approx(0.0, abs=0.005)
    assert t.loc[("A", "B", "all"), "n"] == 398 and t.loc[("A", "B", "all"), "% of pair"] == 100
    assert t.loc[("A", "B", CORRECTION_GROUPS[0]), "n"] == 0  # an empty group: NaN, no error
    assert np.isnan(t.loc[("A", "B", CORRECTION_GROUPS[0]), "mean"])
    assert t.loc[("A", "A copy", "all"), "mae"] == 0.0


def test_element_offsets_and_fit_recover_a_planted_per_atom_correction():
    rng = np.random.default_rng(1)
    metals = ["Na", "K", "Ca", "Mg", "Al", "Ga", "Zn", "Li"]
    keys = [f"{m}{i}{x}{j}" for m in metals for x in ("Cl", "Br", "P") for i in range(1, 4)
            for j in range(1, 5)]
    keys += [f"{m}{n}" for m in metals for n in metals if m != n]
    x_cl = np.array([(int(k.split("Cl")[1]) / (int(k.split("Cl")[0][-1]) + int(
        k.split("Cl")[1]))) if "Cl" in k else 0.0 for k in keys])
    diff = -0.5 * x_cl + rng.normal(0, 0.005, len(keys))  # -0.5 eV per Cl atom
    diffs = pd.DataFrame({"key": keys, "difference": diff, "group": correction_group(keys)})
    off = element_offsets(diffs, ["Cl", "Br", "P"], n_boot=200)
    assert off.loc["Cl", "mean"] < -0.2 and off.loc["Cl", "n alone"] == off.loc["Cl", "n"]
    assert off.loc["Br", "mean"] == pytest.approx(0.0, abs=0.005)
    fit = element_fit(diffs, n_boot=100, min_formulas=10)
    assert fit.loc["Cl", "coefficient"] == pytest.approx(-0.5, abs=0.02)
    assert fit.loc["Cl", "low"] <= -0.5 <= fit.loc["Cl", "high"]
    assert abs(fit.loc["Br", "coefficient"]) < 0.02 and fit.index[0] == "Cl"


def test_pair_differences_sign_convention():
    d = pair_differences(_table(["NaCl", "KCl"], [-2.0, -2.2]), _table(["NaCl"], [-1.9]))
    assert d.to_dict("records") == [{"key": "NaCl", "a": -2.0, "b": -1.9,
                                     "difference": pytest.approx(-0.1),
                                     "group": CORRECTION_GROUPS[1]}]


def test_split_conflicts_finds_a_planted_conflict():
    a = pd.DataFrame({"key": ["x", "y"], "split": ["train", "test"]})
    b = pd.DataFrame({"key": ["x", "z"], "split": ["test", "train"]})
    c = pd.DataFrame({"key": ["y"], "split": ["test"]})
    conflicts = split_conflicts({"A": a, "B": b, "C": c})
    assert list(conflicts["key"]) == ["x"] and conflicts.loc[0, "B"] == "test"
    assert split_conflicts({"A": a, "C": c}).empty


def test_three_databases_share_no_key_across_splits_and_match_the_issue(shared_mirror):
    raw = {n: load_composition_table(s) for n, s in
           (("MP", "mp_ef"), ("JARVIS", "jarvis_ef"), ("OQMD", "oqmd_ef"))}
    assert len(raw["OQMD"]) == 102_510 and set(raw["OQMD"]["part"]) == {"val", "test"}
    tables = regrouped_splits(raw, window=TARGET_WINDOW, groups=correction_group)
    assert split_conflicts(tables).empty
    shared = [set(tables[a]["key"]) & set(tables[b]["key"])
              for a, b in (("MP", "JARVIS"), ("MP", "OQMD"), ("JARVIS", "OQMD"))]
    assert all(len(s) > 5_000 for s in shared)
    assert len(set.intersection(*map(set, (t["key"] for t in tables.values())))) > 1_000
    assert tables["OQMD"]["target"].max() <= TARGET_WINDOW[1]
    _, per_pair = window_effect({n: tables[n] for n in ("MP", "JARVIS")})
    assert per_pair.loc[0, "shared"] > 20_000
    # pre-training on MP's training split never sees a JARVIS (or OQMD) test formula
    sets = training_sets(tables, max_train=None, max_validation=None, combined_cap=5_000)
    mp_seen = set(sets["MP"]["train"]["key"]) | set(sets["MP"]["validation"]["key"])
    assert not mp_seen & (set(sets["JARVIS"]["test"]["key"]) | set(sets["OQMD"]["test"]["key"]))
    union = sets["MP+JARVIS+OQMD"]["train"]
    assert union["database"].value_counts().to_dict() == {"MP": 5_000, "JARVIS": 5_000,
                                                          "OQMD": 5_000}
