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
    sample_keys,
    training_sets,
)
from howbig.chapters.transferability.transfer import (
    combined_comparison,
    matrix_table,
    merge,
    pair_factor,
    transfer_factor,
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


@pytest.mark.parametrize(("table", "registered", "damaged"),
                         [("jarvis_ef", "jarvis_ef", "jarvis_ef_test.csv"),
                          ("oqmd_ef", "oqmd_dhf", "oqmd_dhf_val.csv")])
def test_a_corrupted_file_is_refused_with_the_dataset_named(table, registered, damaged,
                                                            shared_mirror, isolated_cache,
                                                            tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for f in dataset(registered).files:
        shutil.copy(mirror_file(shared_mirror, f.name), mirror / f.name)
    path = mirror / damaged
    path.write_text(path.read_text().replace("0.", "1.", 1))
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    with pytest.raises(ChecksumMismatchError, match=registered):
        load_composition_table(table, use_cache=False)


def test_the_oqmd_loader_reads_both_parts_of_the_benchmark(shared_mirror):
    table = load_composition_table("oqmd_ef")
    assert len(table) == 102_510 and set(table["part"]) == {"val", "test"}
    assert table["source"].eq("oqmd_dhf").all() and table["target"].max() > 40


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


def test_sample_keys_keeps_the_same_formulas_everywhere():
    a = pd.DataFrame({"key": [f"k{i}" for i in range(1000)], "target": 0.0})
    b = pd.DataFrame({"key": [f"k{i}" for i in range(500, 800)], "target": 1.0})
    cut = sample_keys({"A": a, "B": b}, 100, seed=1)
    assert 60 < len(cut["A"]) < 140
    assert set(cut["B"]["key"]) == set(cut["A"]["key"]) & set(b["key"])
    assert sample_keys({"A": a}, None)["A"] is a


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


def test_transfer_factors_are_formed_per_seed():
    result = _planted_result()
    factor = transfer_factor(result, ["A", "B"])
    # seed 0: (0.3 + 0.3) / (0.1 + 0.1); seed 1: (0.32 + 0.28) / (0.1 + 0.1)
    assert factor.n == 2 and factor.value == pytest.approx(3.0)
    assert factor.uncertainty == pytest.approx(0.0, abs=1e-9)
    assert pair_factor(result, "A", "B").value == pytest.approx(factor.value)
    table = matrix_table(result, ["A", "B"])
    assert table.loc["A", ("B", "MAE")] == pytest.approx(0.31)


def test_combined_model_is_set_beside_own_and_other_models():
    result = _planted_result()
    rows = result.predictions.query("trained_on == 'A'").assign(
        trained_on="A+B", prediction=lambda d: d["target"] + 0.2)
    both = merge(result, TransferResult(rows, pd.DataFrame(), pd.DataFrame()))
    table = combined_comparison(both, "A+B", ["A", "B"])
    assert table.loc["A", "combined"] == pytest.approx(0.2)
    assert table.loc["A", "own model"] == pytest.approx(0.1)
    assert table.loc["A", "other models (mean)"] == pytest.approx(0.29)
