"""One parser per real data source; every structure loader returns the common table.

Common table (:data:`howbig.data.sources._common.COLUMNS`): ``id, source, formula (reduced),
key (composition-spacegroup key), spacegroup, formation_energy_per_atom (eV/atom),
band_gap (eV, NaN where absent), atoms (ase.Atoms)``.
"""

from howbig.data.sources._common import COLUMNS, parse_cif, parse_cifs
from howbig.data.sources.aflow import fetch_aflux, load_aflow, load_aflow_icsd_keys
from howbig.data.sources.cmr import load_cmr_perovskites
from howbig.data.sources.composition_tables import COMPOSITION_TABLES, load_composition_table
from howbig.data.sources.mp20 import load_mp20_sample
from howbig.data.sources.mp2018 import load_mp2018, load_mp2018_config, load_mp2018_splits

__all__ = [
    "COLUMNS",
    "COMPOSITION_TABLES",
    "fetch_aflux",
    "load_aflow",
    "load_aflow_icsd_keys",
    "load_cmr_perovskites",
    "load_composition_table",
    "load_mp20_sample",
    "load_mp2018",
    "load_mp2018_config",
    "load_mp2018_splits",
    "parse_cif",
    "parse_cifs",
]
