"""GeSn2N4 spinel solid solution (Sánchez-Palencia et al.): registry dataset ``gesn2n4``.

Files (all from the authors' repository ``pablos-pv/GeSn2N4_ML``, GPL-3.0):

``gesn2n4_gga.csv``
    1,012 rows without header: ``tag, inversion degree, total energy (eV), band gap (eV)``,
    VASP-GGA. Row ``i`` belongs to the POSCAR whose number is on line ``i`` of
    ``gesn2n4_gga_structures.txt``.
``gesn2n4_structures.tar.gz``
    ``repository_data/structure_files/NNNN_wK-POSCAR``: the 4,222 symmetry-inequivalent cation
    configurations of the 56-atom conventional spinel cell (Ge8Sn16N32, a = 8.75 Å); ``K`` is the
    configuration's multiplicity (number of equivalent configurations). Every POSCAR has the same
    lattice and the same *ideal* site positions (cations on the 8a/16d sites, N at u = 0.383); only
    which cation sits on which site changes. No relaxed geometries are included, so no mapping to
    a reference lattice is needed.
``gesn2n4_hse.csv``
    58 HSE06 gaps, ``./struct_NNNN,gap`` (NNNN = POSCAR number).
``gesn2n4_cell_cluster_counts.txt``
    4,222 rows (row ``k`` = POSCAR ``k``), 35 integer columns written by the CELL code
    (``clusterx``): for each cluster of a pool of empty, point, pair and triplet clusters on the
    24-site cation sublattice of the same cubic cell, ``round(correlation * multiplicity)`` in the
    "binary-linear" basis, i.e. the number of clusters of that kind whose sites are *all* Ge.
"""

from __future__ import annotations

import io
import re
import tarfile

import numpy as np
import pandas as pd
from ase import Atoms
from ase.io import read

from howbig.data.fetch import fetch_file
from howbig.data.registry import file_entry
from howbig.data.sources._common import cached_table

__all__ = ["FILES", "load_cell_counts", "load_gesn2n4", "load_hse_gaps"]

FILES: tuple[str, ...] = (
    "gesn2n4_gga.csv",
    "gesn2n4_gga_structures.txt",
    "gesn2n4_structures.tar.gz",
)
_POSCAR = re.compile(r"structure_files/(\d{4})_w(\d+)-POSCAR$")


def _read_poscars(numbers: set[int]) -> dict[int, tuple[int, Atoms]]:
    """POSCARs ``numbers`` from the archive as ``{number: (multiplicity, atoms)}``."""
    out: dict[int, tuple[int, Atoms]] = {}
    with tarfile.open(fetch_file("gesn2n4_structures.tar.gz"), "r:gz") as archive:
        for member in archive:
            match = _POSCAR.search(member.name)
            if match is None or int(match.group(1)) not in numbers:
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            text = handle.read().decode()
            out[int(match.group(1))] = (int(match.group(2)), read(io.StringIO(text), format="vasp"))
    missing = numbers - set(out)
    if missing:
        raise ValueError(
            f"gesn2n4_structures.tar.gz lacks POSCARs {sorted(missing)[:5]}...; "
            "the archive does not match the registry version"
        )
    return out


def _build() -> pd.DataFrame:
    table = pd.read_csv(
        fetch_file("gesn2n4_gga.csv"), header=None,
        names=["tag", "inversion", "energy", "band_gap"],
    )
    numbers = [int(s) for s in fetch_file("gesn2n4_gga_structures.txt").read_text().split()]
    if len(numbers) != len(table):
        raise ValueError(
            f"gesn2n4_gga.csv has {len(table)} rows but gesn2n4_gga_structures.txt lists "
            f"{len(numbers)} structures; they must correspond line by line"
        )
    poscars = _read_poscars(set(numbers))
    table.insert(0, "structure", numbers)
    table.insert(2, "weight", [poscars[n][0] for n in numbers])
    table["atoms"] = [poscars[n][1] for n in numbers]
    return table


def load_gesn2n4(*, use_cache: bool = True) -> pd.DataFrame:
    """The 1,012 GGA configurations of GeSn2N4 with their structures.

    Returns
    -------
    DataFrame with columns ``structure`` (POSCAR number, also the row of the CELL counts),
    ``tag``, ``weight`` (multiplicity of the configuration), ``inversion`` (fraction of the 8
    tetrahedral sites held by Sn), ``energy`` (eV per 56-atom cell), ``band_gap`` (GGA, eV) and
    ``atoms`` (``ase.Atoms``, 56 atoms, ideal positions).
    """
    shas = tuple(file_entry(f)[1].sha256 for f in FILES)
    return cached_table("gesn2n4", shas, _build, use_cache=use_cache)


def load_hse_gaps() -> pd.Series:
    """The 58 HSE06 band gaps (eV), indexed by POSCAR number."""
    raw = pd.read_csv(fetch_file("gesn2n4_hse.csv"), header=None, names=["name", "gap"])
    index = raw["name"].str.extract(r"(\d+)\s*$")[0].astype(int)
    return pd.Series(raw["gap"].to_numpy(float), index=index.rename("structure"), name="hse_gap")


def load_cell_counts() -> np.ndarray:
    """CELL cluster counts, shape (4222, 35), row ``k`` = POSCAR ``k`` (see module docstring)."""
    rows = [
        [int(v) for v in line.split()]
        for line in fetch_file("gesn2n4_cell_cluster_counts.txt").read_text().splitlines()
        if line.strip()
    ]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"gesn2n4_cell_cluster_counts.txt has rows of widths {sorted(widths)}")
    return np.asarray(rows, dtype=int)
