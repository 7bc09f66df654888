"""CMR cubic perovskites (Castelli et al. 2012, GPAW): ``cmr_perovskites_{val,test}.csv``.

The Perov-5 release (CDVAE) of the CMR cubic-perovskite database ships two energy columns:

``heat_all``
    a CMR heat of formation, rounded to 0.01 eV;
``heat_ref``
    a second variant against a different set of reference phases, at full precision; this is
    the column Perov-5 uses as its formation-energy target (CDVAE ``prop: heat_ref``). The two
    agree within 0.1 eV/atom for 78 % of the entries but differ by up to 1.4 eV/atom.

We use ``heat_ref`` as ``formation_energy_per_atom`` (eV/atom). Caveat, measured on these files:
Castelli et al.'s heat of formation is taken relative to a set of reference phases chosen for
water splitting (oxygen from water, etc.), so stable perovskites sit near 0 eV/atom and the mean
is about +1.4 eV/atom, whereas MP's formation energies are relative to the elements (e.g. NaNbO3:
MP -2.83 eV/atom, CMR +0.03 eV/atom). The two scales differ by eV/atom: a model trained on one
database cannot transfer to the other in absolute terms.

Band gap: the GLLB-SC gaps of the CMR (not PBE); we report the fundamental gap
``min(dir_gap, ind_gap)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from howbig.data.fetch import fetch_file
from howbig.data.keys import DEFAULT_SYMPREC
from howbig.data.registry import file_entry
from howbig.data.sources._common import COLUMNS, add_keys, cached_table, parse_cifs

__all__ = ["ENERGY_COLUMNS", "FILES", "SOURCE", "load_cmr_perovskites", "table_from_raw"]

FILES: tuple[str, ...] = ("cmr_perovskites_val.csv", "cmr_perovskites_test.csv")
SOURCE = "CMR"
ENERGY_COLUMNS = ("heat_ref", "heat_all")


def table_from_raw(
    raw: pd.DataFrame,
    *,
    energy_column: str = "heat_ref",
    symprec: float = DEFAULT_SYMPREC,
    progress: bool = False,
) -> pd.DataFrame:
    """Common table from rows of the Perov-5 CSVs (as read by ``pd.read_csv``)."""
    if raw["material_id"].duplicated().any():
        raw = raw.drop_duplicates("material_id")
    gap = np.minimum(raw["dir_gap"].to_numpy(float), raw["ind_gap"].to_numpy(float))
    table = pd.DataFrame(
        {
            "id": ("cmr-" + raw["material_id"].astype(str)).to_numpy(),
            "source": SOURCE,
            "formation_energy_per_atom": raw[energy_column].to_numpy(float),
            "band_gap": gap,
            "atoms": parse_cifs(raw["cif"], progress=progress, desc="CMR CIFs"),
        }
    )
    add_keys(table, symprec=symprec, progress=progress)
    return table[list(COLUMNS)].reset_index(drop=True)


def _build(energy_column: str, symprec: float, progress: bool) -> pd.DataFrame:
    raw = pd.concat([pd.read_csv(fetch_file(f), index_col=0) for f in FILES], ignore_index=True)
    return table_from_raw(raw, energy_column=energy_column, symprec=symprec, progress=progress)


def load_cmr_perovskites(
    *,
    energy_column: str = "heat_ref",
    symprec: float = DEFAULT_SYMPREC,
    use_cache: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """The 7,572 CMR cubic perovskites (Perov-5 val + test) as the common table.

    Parameters
    ----------
    energy_column
        ``"heat_ref"`` (default, full precision) or ``"heat_all"`` (rounded to 0.01 eV); see the
        module docstring for what this energy is and why it is not MP's formation energy.
    symprec
        spglib tolerance for the keys (Å).
    use_cache
        Reuse the parsed table from the data cache.
    progress
        Show progress bars while parsing.
    """
    if energy_column not in ENERGY_COLUMNS:
        raise ValueError(f"energy_column must be one of {ENERGY_COLUMNS}, got {energy_column!r}")
    shas = tuple(file_entry(f)[1].sha256 for f in FILES)
    return cached_table(
        "cmr_perovskites",
        (*shas, energy_column, symprec),
        lambda: _build(energy_column, symprec, progress),
        use_cache=use_cache,
    )
