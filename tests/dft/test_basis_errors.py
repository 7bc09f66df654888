"""Basis-set error data (Chapter 5): the committed table is consistent; the generator resumes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.complexity.small_data import basis_error_dataset
from howbig.dft import basis_errors


def test_committed_table_is_complete_and_variational():
    table, meta = basis_errors.load()
    assert set(table.kind) == {"atom", "molecule"}
    ladder = [b for b in meta["bases"] if b != meta["reference"]]
    # every system has every basis of the ladder below the reference
    counts = table.groupby("system").basis.nunique()
    assert (counts == len(ladder)).all()
    # variational principle: a Gaussian basis never gives a lower energy than the larger
    # reference basis by more than numerical noise (DFT grids: allow 1 meV)
    assert (table.error_mev > -1.0).all()
    # the minimal basis is the worst for every system
    worst = table.loc[table.groupby("system").error_mev.idxmax(), "basis"]
    assert (worst == "sto-3g").all()
    assert "generated" in meta


def test_basis_error_dataset_sums_atom_errors():
    table, _ = basis_errors.load()
    data = basis_error_dataset(table)
    atoms = table[table.kind == "atom"].set_index(["system", "basis"]).error_mev
    row = data[(data.molecule == "H2") & (data.basis == "sto-3g")].iloc[0]
    assert row.atoms_error == pytest.approx(2 * atoms[("H", "sto-3g")])
    assert row.n_atoms == 2 and row.n_hydrogen == 2
    assert len(data) == (table.kind == "molecule").sum()


def test_errors_table_against_reference_by_hand():
    energies = pd.DataFrame({
        "system": ["H", "H", "H2", "H2"], "basis": ["sto-3g", "cc-pvtz"] * 2,
        "energy_ha": [-0.45, -0.50, -1.10, -1.17], "n_basis": [1, 14, 2, 28],
        "converged": [True] * 4, "seconds": [0.1] * 4,
    })
    out = basis_errors.errors_table(energies, reference="cc-pvtz").set_index("system")
    hartree_mev = 27211.386245988
    assert out.loc["H", "error_mev"] == pytest.approx(0.05 * hartree_mev)
    assert out.loc["H2", "error_mev"] == pytest.approx(0.07 * hartree_mev)
    assert out.loc["H2", "kind"] == "molecule" and out.loc["H2", "n_atoms"] == 2


def test_compute_reads_the_cache_instead_of_recomputing(tmp_path):
    cached = {"system": "He", "basis": "sto-3g", "energy_ha": -2.8, "n_basis": 1,
              "converged": True, "seconds": 0.0}
    (tmp_path / "He__sto-3g.json").write_text(json.dumps(cached))
    out = basis_errors.compute(["He"], ["sto-3g"], tmp_path, progress=False)
    assert out.energy_ha.tolist() == [-2.8]  # a real PBE calculation would give about -2.81


@pytest.mark.slow
def test_one_pyscf_energy_matches_the_committed_value(tmp_path):
    pytest.importorskip("pyscf")
    out = basis_errors.compute(["H2"], ["sto-3g"], tmp_path, progress=False)
    table, _ = basis_errors.load()
    committed = table[(table.system == "H2") & (table.basis == "sto-3g")].energy_ha.item()
    assert out.energy_ha.item() == pytest.approx(committed, abs=1e-6)
    assert np.isfinite(out.seconds.item())
