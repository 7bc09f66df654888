"""icet's Ag-Pd fcc reference data (registry dataset ``icet_agpd_reference``).

``icet_agpd_reference.db`` is an ASE SQLite database of fcc Ag-Pd structures with their mixing
energies (eV/atom), the data of icet's tutorial (Ångqvist et al., Adv. Theory Simul. 2, 1900015
(2019), MPL-2.0).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.db import connect

from howbig.data.fetch import fetch_file

__all__ = ["load_agpd_reference"]


def load_agpd_reference() -> tuple[list[Atoms], np.ndarray]:
    """Structures and mixing energies (eV/atom) of icet's Ag-Pd reference data."""
    rows = list(connect(fetch_file("icet_agpd_reference.db")).select())
    return [r.toatoms() for r in rows], np.array([r.mixing_energy for r in rows], dtype=float)
