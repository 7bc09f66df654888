"""Materials Project sample (MP-20 subset, 847 structures, VASP-PBE): ``mp20_sample.csv``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from howbig.data.fetch import fetch_file
from howbig.data.keys import DEFAULT_SYMPREC
from howbig.data.registry import file_entry
from howbig.data.sources._common import COLUMNS, add_keys, cached_table, parse_cifs

__all__ = ["FILE", "SOURCE", "load_mp20_sample", "table_from_raw"]

FILE = "mp20_sample.csv"
SOURCE = "MP"


def table_from_raw(raw: pd.DataFrame, *, symprec: float = DEFAULT_SYMPREC,
                   progress: bool = False) -> pd.DataFrame:
    """Common table from rows of ``mp20_sample.csv`` (as read by ``pd.read_csv``)."""
    table = pd.DataFrame(
        {
            "id": raw["material_id"].astype(str).to_numpy(),
            "source": SOURCE,
            "formation_energy_per_atom": raw["formation_energy_per_atom"].to_numpy(float),
            "band_gap": raw["band_gap"].to_numpy(float),
            "atoms": parse_cifs(raw["cif"], progress=progress, desc="MP CIFs"),
        }
    )
    add_keys(table, symprec=symprec, progress=progress)
    mismatch = int(np.sum(table["spacegroup"].to_numpy() != raw["spacegroup.number"].to_numpy()))
    table.attrs["spacegroup_mismatch_vs_file"] = mismatch
    return table[list(COLUMNS)].reset_index(drop=True)


def _build(symprec: float, progress: bool) -> pd.DataFrame:
    raw = pd.read_csv(fetch_file(FILE), index_col=0)
    return table_from_raw(raw, symprec=symprec, progress=progress)


def load_mp20_sample(
    *, symprec: float = DEFAULT_SYMPREC, use_cache: bool = True, progress: bool = False
) -> pd.DataFrame:
    """The 847 Materials Project structures of the quick profile, as the common table.

    Formation energy per atom and PBE band gap are MP's values as shipped in the file (eV/atom,
    eV). Space groups are recomputed with spglib at ``symprec`` (``table.attrs
    ["spacegroup_mismatch_vs_file"]`` counts disagreements with the file's own column: 0 at 0.1).
    The parsed table is cached (pickle in the data cache); a cold parse takes a few seconds.
    """
    sha = file_entry(FILE)[1].sha256
    return cached_table(
        "mp20_sample", (sha, symprec), lambda: _build(symprec, progress), use_cache=use_cache
    )
