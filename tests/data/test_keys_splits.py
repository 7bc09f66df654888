"""Composition-spacegroup keys, group splits shared across databases and the ASE store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal

from howbig.data.keys import (
    cell_formula,
    composition_spacegroup_key,
    key_from_formula,
    reduced_formula,
    spacegroup_number,
)
from howbig.data.splits import SPLITS, assign_splits, group_splits, subsample
from howbig.data.store import read_table, write_table


def rutile() -> Atoms:
    return crystal(["Ti", "O"], basis=[(0, 0, 0), (0.3048, 0.3048, 0)], spacegroup=136,
                   cellpar=[4.594, 4.594, 2.959, 90, 90, 90])


def rocksalt_conventional() -> Atoms:
    return crystal(["Na", "Cl"], basis=[(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=225,
                   cellpar=[5.64, 5.64, 5.64, 90, 90, 90])


# ------------------------------------------------------------------------------------ keys
def test_known_crystals():
    assert composition_spacegroup_key(rutile()) == ("TiO2", 136, "Ti2O4_136")
    assert composition_spacegroup_key(bulk("NaCl", "rocksalt", a=5.64)) == ("NaCl", 225, "NaCl_225")
    # the conventional cell has 8 atoms: same space group, cell formula differs (paper convention)
    assert composition_spacegroup_key(rocksalt_conventional()) == ("NaCl", 225, "Na4Cl4_225")
    assert composition_spacegroup_key(rocksalt_conventional(), reduced=True)[2] == "NaCl_225"
    perovskite = crystal(["Sr", "Ti", "O"], basis=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0)],
                         spacegroup=221, cellpar=[3.905] * 3 + [90] * 3)
    assert composition_spacegroup_key(perovskite)[2] == "SrTiO3_221"
    assert spacegroup_number(bulk("Cu", "fcc", a=3.6)) == 225
    assert spacegroup_number(bulk("Si", "diamond", a=5.43)) == 227


def test_key_invariances():
    """Translation, rotation, atom order and noise below symprec leave the key unchanged."""
    rng = np.random.default_rng(0)
    ref = composition_spacegroup_key(rutile())
    atoms = rutile()
    atoms.translate([0.37, -1.2, 0.5])
    atoms.wrap()
    assert composition_spacegroup_key(atoms) == ref
    atoms = rutile()
    atoms.rotate(33, "z", rotate_cell=True)
    atoms.rotate(12, "x", rotate_cell=True)
    assert composition_spacegroup_key(atoms) == ref
    atoms = rutile()[rng.permutation(6)]
    assert composition_spacegroup_key(atoms) == ref
    atoms = rutile()
    atoms.positions += rng.normal(scale=0.005, size=atoms.positions.shape)
    assert composition_spacegroup_key(atoms) == ref  # 5 mÅ noise << symprec 0.1 Å
    # ... but a strict tolerance sees the broken symmetry
    assert composition_spacegroup_key(atoms, symprec=1e-5)[1] < 136
    # a supercell keeps space group and reduced formula, changes the cell formula
    big = rutile().repeat((1, 1, 2))
    assert composition_spacegroup_key(big) == ("TiO2", 136, "Ti4O8_136")


def test_key_from_formula_matches_structures():
    """AFLOW-style compound strings give the same key as the structure itself."""
    formula, spg, key = composition_spacegroup_key(rutile())
    assert key_from_formula("O4Ti2", spg) == key == key_from_formula("Ti2O4", 136)
    assert key_from_formula("Se2Ti1", 164) == "TiSe2_164"
    assert key_from_formula("F4Mg2", 136) == "Mg2F4_136"  # the paper's example
    assert key_from_formula("O4Ti2", 136, reduced=True) == "TiO2_136"
    assert cell_formula("Lu(SiPd)2") == "LuPd2Si2"
    assert formula == reduced_formula("O4Ti2") == "TiO2"
    assert reduced_formula("Ba2Ti2O6") == "BaTiO3"
    with pytest.raises(ValueError, match=r"1\.\.230"):
        key_from_formula("NaCl", 0)
    with pytest.raises(ValueError, match="cannot parse"):
        key_from_formula("Xx(", 225)


# ---------------------------------------------------------------------------------- splits
def test_group_splits_shared_across_datasets():
    """No key in two splits: split each dataset on its own, then pool the assignments."""
    rng = np.random.default_rng(1)
    pool = [f"K{i}_{rng.integers(1, 231)}" for i in range(3000)]
    a = pd.DataFrame({"key": rng.choice(pool, 4000)})  # repeated keys within a dataset
    b = pd.DataFrame({"key": rng.choice(pool[1500:] + [f"B{i}_1" for i in range(500)], 3000)})
    a["split"] = assign_splits(a, seed=3)
    b["split"] = assign_splits(b, seed=3)
    both = pd.concat([a, b])
    assert set(both["split"]) == set(SPLITS)
    assert both.groupby("key")["split"].nunique().max() == 1
    shared = set(a["key"]) & set(b["key"])
    assert len(shared) > 100  # the test means something


def test_group_splits_fractions_seed_and_determinism():
    keys = [f"X{i}_{i % 230 + 1}" for i in range(30000)]
    split = group_splits(keys, (0.7, 0.2, 0.1), seed=0)
    counts = pd.Series(split).value_counts(normalize=True)
    assert counts["train"] == pytest.approx(0.7, abs=0.01)
    assert counts["validation"] == pytest.approx(0.2, abs=0.01)
    assert counts["test"] == pytest.approx(0.1, abs=0.01)
    assert group_splits(reversed(keys), (0.7, 0.2, 0.1), seed=0) == split  # order-free
    other = group_splits(keys, (0.7, 0.2, 0.1), seed=1)
    assert sum(split[k] != other[k] for k in keys) > 0.3 * len(keys)
    assert set(group_splits(keys[:50], (1.0, 0.0, 0.0)).values()) == {"train"}
    with pytest.raises(ValueError, match="sum"):
        group_splits(keys, (0.8, 0.1, 0.2))
    with pytest.raises(KeyError, match="nokey"):
        assign_splits(pd.DataFrame({"k": ["a"]}), key_column="nokey")


def test_subsample_is_seeded_ordered_and_bounded():
    table = pd.DataFrame({"x": np.arange(100)})
    a, b = subsample(table, 10, seed=1), subsample(table, 10, seed=1)
    assert len(a) == 10 and a.equals(b) and a["x"].is_monotonic_increasing
    assert not a.equals(subsample(table, 10, seed=2))
    assert len(subsample(table, None)) == 100 and len(subsample(table, 500)) == 100


# ----------------------------------------------------------------------------------- store
def test_store_round_trip(tmp_path, monkeypatch):
    table = pd.DataFrame(
        {
            "id": ["r-1", "n-2", "k-3"],
            "source": ["X", "X", "Y"],
            "formula": ["TiO2", "NaCl", "TiO2"],
            "key": ["Ti2O4_136", "Na4Cl4_225", "Ti2O4_136"],
            "spacegroup": [136, 225, 136],
            "formation_energy_per_atom": [-3.3, -2.1, np.nan],
            "band_gap": [1.8, np.nan, 2.0],
            "atoms": [rutile(), rocksalt_conventional(), None],
        }
    )
    for url in (tmp_path / "a.db", f"sqlite:///{tmp_path / 'b.db'}"):
        assert write_table(table, url) == 3
        back = read_table(url)
        assert list(back["id"]) == list(table["id"])
        for column in ("source", "formula", "key", "spacegroup"):
            assert list(back[column]) == list(table[column])
        np.testing.assert_array_equal(back["band_gap"].isna(), table["band_gap"].isna())
        np.testing.assert_allclose(back["formation_energy_per_atom"].to_numpy()[:2], [-3.3, -2.1])
        for original, restored in zip(table["atoms"][:2], back["atoms"][:2], strict=True):
            np.testing.assert_array_equal(original.numbers, restored.numbers)
            np.testing.assert_allclose(original.positions, restored.positions)
            np.testing.assert_allclose(original.cell[:], restored.cell[:])
        assert back["atoms"][2] is None
        assert list(read_table(url, source="Y")["id"]) == ["k-3"]
    # default location from HOWBIG_DB_URL; append=False replaces the content
    monkeypatch.setenv("HOWBIG_DB_URL", str(tmp_path / "env.db"))
    write_table(table)
    write_table(table.iloc[:1], append=False)
    assert list(read_table(atoms=False)["id"]) == ["r-1"]


def test_parallel_keys_match_serial():
    from howbig.data.keys import composition_spacegroup_keys

    rng = np.random.default_rng(2)
    structures = []
    for i in range(40):
        atoms = rutile()
        scale = 0.002 if i % 4 == 0 else 0.3
        atoms.positions += rng.normal(scale=scale, size=atoms.positions.shape)
        structures.append(atoms)
    serial = composition_spacegroup_keys(structures)
    assert composition_spacegroup_keys(structures, n_jobs=2) == serial
    assert len(set(serial[2])) > 1  # the rattles lower the space groups differently
