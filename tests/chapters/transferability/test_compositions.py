"""Chapter 2 on composition tables: loaders on the real files, regrouped splits, statistics."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.compositions import (
    TransferResult,
    aggregate_by_key,
    regrouped_splits,
    training_sets,
)
from howbig.chapters.transferability.records import ratio_per_seed
from howbig.chapters.transferability.statistics import (
    GROUPS,
    chemistry_groups,
    difference_summary,
    key_differences,
)
from howbig.data.errors import ChecksumMismatchError
from howbig.data.keys import reduced_formula
from howbig.data.registry import dataset
from howbig.data.sources import COMPOSITION_TABLES, load_composition_table
from tests.conftest import mirror_file


@pytest.mark.parametrize("name", sorted(COMPOSITION_TABLES))
def test_every_composition_table_parses(name, shared_mirror):
    table = load_composition_table(name)
    assert list(table.columns) == ["id", "source", "part", "formula", "key", "target"]
    assert len(table) > 1000 and table["id"].is_unique
    assert np.isfinite(table["target"]).all()
    for formula, key in table[["formula", "key"]].sample(200, random_state=0).itertuples(
            index=False):
        assert reduced_formula(formula) == key
    # nothing silently lost: every published row is kept or counted as dropped
    files = dataset(COMPOSITION_TABLES[name].dataset).files
    rows = sum(len(pd.read_csv(mirror_file(shared_mirror, f.name))) for f in files)
    assert len(table) + table.attrs["dropped"] == rows


def test_a_corrupted_file_is_refused_with_the_dataset_named(shared_mirror, isolated_cache,
                                                            tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for f in dataset("jarvis_ef").files:
        shutil.copy(mirror_file(shared_mirror, f.name), mirror / f.name)
    damaged = mirror / "jarvis_ef_test.csv"
    damaged.write_text(damaged.read_text().replace("0.", "1.", 1))
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    with pytest.raises(ChecksumMismatchError, match="jarvis_ef"):
        load_composition_table("jarvis_ef", use_cache=False)


def test_regrouped_splits_share_no_key_across_databases_on_the_real_files(shared_mirror):
    raw = {"MP": load_composition_table("mp_ef"), "JARVIS": load_composition_table("jarvis_ef")}
    tables = regrouped_splits(raw, seed=0)
    splits = {n: t.set_index("key")["split"] for n, t in tables.items()}
    shared = splits["MP"].index.intersection(splits["JARVIS"].index)
    assert len(shared) > 10_000
    assert (splits["MP"].loc[shared] == splits["JARVIS"].loc[shared]).all()
    # the published files do not: some formula is in MP's train part and JARVIS's test part
    mp_train = set(raw["MP"].loc[raw["MP"]["part"] == "train", "key"])
    jarvis_test = set(raw["JARVIS"].loc[raw["JARVIS"]["part"] == "test", "key"])
    assert mp_train & jarvis_test
    sets = training_sets(tables, max_train=5000, max_validation=500, seed=0)
    trained = set(sets["MP+JARVIS"]["train"]["key"]) | set(sets["MP+JARVIS"]["validation"]["key"])
    for name in ("MP", "JARVIS"):
        assert not trained & set(sets[name]["test"]["key"])
    assert len(sets["MP"]["train"]) == 5000 and (sets["MP"]["train"]["split"] == "train").all()


def test_aggregation_takes_the_rule_per_key():
    table = pd.DataFrame({"key": ["TiO2", "TiO2", "NaCl"], "target": [-3.0, -3.2, -2.1]})
    out = aggregate_by_key(table, "min").set_index("key")
    assert out.loc["TiO2", "target"] == -3.2 and out.loc["TiO2", "entries"] == 2


def test_chemistry_groups_known_answers():
    got = chemistry_groups(["Fe2O3", "MnF2", "ZnS", "Al2O3", "NaCl", "GaAs", "FeSi"])
    assert got.tolist() == [GROUPS[0], GROUPS[0], GROUPS[1], GROUPS[1], GROUPS[2], GROUPS[2],
                            GROUPS[2]]


def test_difference_summary_on_planted_offsets():
    a = pd.DataFrame({"key": ["Fe2O3", "NaCl", "ZnS", "MnO"], "target": [1.0, 0.0, 0.5, 2.0]})
    b = a.assign(target=a["target"] - np.array([0.2, 0.0, 0.1, 0.2]))
    diffs = key_differences(a, b)
    table, boots = difference_summary(diffs, n_boot=50)
    assert table.loc[GROUPS[0], "mean"] == pytest.approx(0.2)
    assert table.loc["all", "shared keys"] == 4
    assert boots["all"]["mean"].estimate == pytest.approx(0.125)


def _planted_result() -> TransferResult:
    rows = []
    for seed, noise in ((0, 0.0), (1, 0.02)):
        for trained, tested, shift in (("A", "A", 0.1), ("B", "B", 0.1), ("A", "B", 0.3),
                                       ("B", "A", -0.3)):
            target = np.zeros(10)
            err = np.where(np.arange(10) % 2, shift, -shift) if trained == tested else shift
            rows.append(pd.DataFrame({"trained_on": trained, "seed": seed, "tested_on": tested,
                                      "key": [f"k{i}" for i in range(10)], "group": "g",
                                      "target": target, "prediction": target + err + noise}))
    return TransferResult(pd.concat(rows, ignore_index=True), pd.DataFrame(), pd.DataFrame())


def test_cells_split_mae_into_offset_and_scatter():
    cells = _planted_result().cells()
    assert cells.loc[("A", "B"), "offset"] == pytest.approx(0.31)
    assert cells.loc[("A", "B"), "scatter"] == pytest.approx(0.0, abs=1e-12)
    assert cells.loc[("A", "A"), "offset"] == pytest.approx(0.01)
    assert cells.loc[("A", "A"), "scatter"] == pytest.approx(0.1)
    assert cells.loc[("A", "B"), "mae std"] == pytest.approx(np.std([0.3, 0.32], ddof=1))
    assert int(cells.loc[("A", "B"), "seeds"]) == 2


def test_ratio_per_seed_pairs_seeds():
    ratios = ratio_per_seed(_planted_result().predictions, "A", "B")
    assert ratios[0] == pytest.approx(3.0)
    assert len(ratios) == 2


def test_forest_baseline_learns_a_planted_composition_rule(shared_mirror):
    """The Magpie random forest runs on the committed element table and beats the mean."""
    from howbig.chapters.transferability.compositions import forest_baseline

    rng = np.random.default_rng(0)
    metals, anions = ["Fe", "Co", "Ni", "Cu", "Zn", "Mn"], ["O", "S", "Se", "F", "Cl"]
    rows = []
    for m in metals:
        for a in anions:
            for i, j in [(1, 1), (1, 2), (2, 1), (2, 3), (3, 4)]:
                key = f"{m}{i}{a}{j}"
                rows.append({"key": key, "group": "rest",
                             "target": j / (i + j) + 0.5 * (a == "O") + rng.normal(0, 0.01)})
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)
    sets = {"A": {"train": table.iloc[:120], "test": table.iloc[120:]}}
    frame = forest_baseline(sets, n_estimators=30).predictions
    test = table.iloc[120:]
    assert len(frame) == len(test)
    baseline = np.abs(test["target"] - table.iloc[:120]["target"].mean()).mean()
    mae = np.abs(frame["target"] - frame["prediction"]).mean()
    assert mae < 0.5 * baseline
