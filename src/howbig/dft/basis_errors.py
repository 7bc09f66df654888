"""Basis-set errors of DFT total energies for small molecules and their free atoms (PySCF).

An analogue, computed here, of the numerical-errors data of Carbogno et al. (2022) used in
Section 5 of the paper: for a set of small closed-shell molecules from ASE's G2 collection and for
their free atoms, PBE total energies are computed over a ladder of Gaussian basis sets. The error of
each calculation is measured against the largest basis of the ladder. Chapter 5 then asks whether a
molecule's error can be predicted from its atoms' errors (SISSO vs a neural network).

Run ``howbig dft basis-errors --help``. The generator is resumable: every calculation is cached as
one JSON file, so an interrupted run continues where it stopped. The committed result,
``howbig/resources/basis_errors.csv`` (+ ``basis_errors.json`` with the run's metadata), is what
the chapter reads; CI never regenerates it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from ase.collections import g2
from tqdm.auto import tqdm

__all__ = [
    "ATOM_SPIN",
    "BASIS_LADDER",
    "REFERENCE_BASIS",
    "compute",
    "default_molecules",
    "errors_table",
    "load",
    "main",
]

#: Basis sets from small to large; the last one is the reference.
BASIS_LADDER: tuple[str, ...] = (
    "sto-3g", "3-21g", "6-31g", "6-31g*", "cc-pvdz", "6-311g**", "cc-pvtz",
)
REFERENCE_BASIS = BASIS_LADDER[-1]
#: Elements allowed in the molecules (first and second row).
ELEMENTS: tuple[str, ...] = ("H", "Li", "Be", "B", "C", "N", "O", "F", "Na", "Mg", "Al", "Si",
                             "P", "S", "Cl")
#: Ground-state number of unpaired electrons (2S) of the free atoms.
ATOM_SPIN: dict[str, int] = {"H": 1, "Li": 1, "Be": 0, "B": 1, "C": 2, "N": 3, "O": 2, "F": 1,
                             "Na": 1, "Mg": 0, "Al": 1, "Si": 2, "P": 3, "S": 2, "Cl": 1}
XC = "pbe"
RESOURCE = "basis_errors.csv"


def default_molecules(max_atoms: int = 5, max_heavy: int = 3) -> list[str]:
    """Closed-shell G2 molecules made of :data:`ELEMENTS` with at most ``max_atoms`` atoms.

    Parameters
    ----------
    max_atoms
        Largest number of atoms of a molecule.
    max_heavy
        Largest number of non-hydrogen atoms (bounds the cost of the reference basis).
    """
    names = []
    for name in g2.names:
        atoms = g2[name]
        symbols = atoms.get_chemical_symbols()
        heavy = sum(s != "H" for s in symbols)
        if (len(atoms) < 2 or len(atoms) > max_atoms or heavy > max_heavy
                or not set(symbols) <= set(ELEMENTS)):
            continue
        if abs(atoms.get_initial_magnetic_moments().sum()) > 1e-8:
            continue  # radicals: skip, their SCF is less robust
        names.append(name)
    return sorted(names)


def _energy(system: str, basis: str) -> dict:
    """One PBE total energy (hartree) of a G2 molecule or a free atom (``system`` = symbol)."""
    from pyscf import dft, gto  # deferred: pyscf takes ~0.4 s; only a calculation needs it

    if system in ATOM_SPIN:
        atom, spin = f"{system} 0 0 0", ATOM_SPIN[system]
    else:
        atoms = g2[system]
        atom = [(s, tuple(p)) for s, p in zip(atoms.get_chemical_symbols(),
                                              atoms.positions, strict=True)]
        spin = 0
    mol = gto.M(atom=atom, basis=basis, spin=spin, unit="Angstrom", verbose=0)
    mf = dft.UKS(mol) if spin else dft.RKS(mol)
    mf.xc = XC
    mf.conv_tol = 1e-9
    mf.max_cycle = 200
    start = time.perf_counter()
    energy = mf.kernel()
    if not mf.converged:  # second-order solver as a fallback
        mf = mf.newton()
        energy = mf.kernel()
    return {"system": system, "basis": basis, "energy_ha": float(energy),
            "n_basis": int(mol.nao_nr()), "converged": bool(mf.converged),
            "seconds": time.perf_counter() - start}


def compute(systems: Sequence[str], bases: Sequence[str], cache: Path,
            progress: bool = True) -> pd.DataFrame:
    """Energies of every system in every basis, reading and filling the per-calculation cache.

    Parameters
    ----------
    systems
        G2 molecule names and/or element symbols (free atoms).
    bases
        PySCF basis names.
    cache
        Directory holding one ``<system>__<basis>.json`` per finished calculation.
    progress
        Show a tqdm progress bar.
    """
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(s, b) for s in systems for b in bases]
    rows = []
    for system, basis in tqdm(jobs, desc="PySCF", unit="calc", disable=not progress):
        path = cache / f"{system}__{basis.replace('*', 's')}.json"
        if path.is_file():
            rows.append(json.loads(path.read_text()))
            continue
        row = _energy(system, basis)
        path.write_text(json.dumps(row))
        rows.append(row)
    return pd.DataFrame(rows)


def errors_table(energies: pd.DataFrame, reference: str = REFERENCE_BASIS) -> pd.DataFrame:
    """Basis-set errors (meV, vs ``reference``) of molecules and atoms, one row per calculation.

    Columns: ``system, kind, formula, n_atoms, basis, n_basis, energy_ha, error_mev`` where
    ``error_mev = E(basis) - E(reference)`` (positive: variational, larger bases lower E).
    """
    ref = energies[energies.basis == reference].set_index("system").energy_ha
    table = energies[energies.basis != reference].copy()
    table["error_mev"] = (table.energy_ha - table.system.map(ref)) * 27211.386245988
    is_atom = table.system.isin(list(ATOM_SPIN))
    table["kind"] = np.where(is_atom, "atom", "molecule")
    table["formula"] = [s if a else g2[s].get_chemical_formula()
                        for s, a in zip(table.system, is_atom, strict=True)]
    table["n_atoms"] = [1 if a else len(g2[s]) for s, a in zip(table.system, is_atom, strict=True)]
    cols = ["system", "kind", "formula", "n_atoms", "basis", "n_basis", "energy_ha", "error_mev"]
    return table[cols].reset_index(drop=True)


def load() -> tuple[pd.DataFrame, dict]:
    """The committed result: the errors table and the metadata of the run that made it."""
    base = resources.files("howbig") / "resources"
    with resources.as_file(base / RESOURCE) as path:
        table = pd.read_csv(path)
    meta_file = base / RESOURCE.replace(".csv", ".json")
    meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    return table, meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: compute (or resume) the energies and write the result table."""
    parser = argparse.ArgumentParser(prog="howbig dft basis-errors",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "howbig" / "basis_errors"),
                        help="directory of per-calculation results (resumable)")
    parser.add_argument("--out", default=None,
                        help="output CSV (default: the package's resources/basis_errors.csv)")
    parser.add_argument("--max-atoms", type=int, default=5)
    parser.add_argument("--max-heavy", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="only the first N molecules")
    parser.add_argument("--bases", nargs="+", default=list(BASIS_LADDER),
                        help="basis ladder, the last one is the reference")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)

    molecules = default_molecules(args.max_atoms, args.max_heavy)[: args.limit]

    atoms = sorted({s for m in molecules for s in g2[m].get_chemical_symbols()})
    start = time.perf_counter()
    energies = compute(atoms + molecules, args.bases, Path(args.cache),
                       progress=not args.no_progress)
    table = errors_table(energies, reference=args.bases[-1])
    default_out = Path(__file__).resolve().parents[1] / "resources" / RESOURCE
    out = Path(args.out) if args.out else default_out
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.10g")
    import pyscf  # deferred: pyscf takes ~0.4 s; only for the version stamp

    meta = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds_this_run": round(time.perf_counter() - start, 1),
        "cpu_seconds_all_calculations": round(float(energies.seconds.sum()), 1),
        "xc": XC, "bases": list(args.bases), "reference": args.bases[-1],
        "molecules": molecules, "atoms": atoms,
        "all_converged": bool(energies.converged.all()),
        "pyscf": pyscf.__version__, "python": platform.python_version(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "command": "howbig dft basis-errors " + " ".join(argv or []),
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {out} ({len(table)} rows) in {meta['wall_seconds_this_run']} s")
    return 0
