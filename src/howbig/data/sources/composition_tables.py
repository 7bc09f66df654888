"""Composition tables: one number per chemical formula, from several high-throughput databases.

These tables (``formula, target``) hold no structures, so the key that says "the same material"
is the **reduced formula** in canonical order (:func:`howbig.data.keys.reduced_formula`:
``O4Ti2`` and ``TiO2`` both give ``TiO2``). Formulas with fractional amounts (a few AFLOW alloys
such as ``Re0.83Ti0.17``) have no reduced formula; they are dropped, and the count is kept in
``table.attrs["dropped"]``.

Every loader returns one row per entry of the published files with the columns ``id``,
``source`` (the registry dataset), ``part`` (the file's own train/val/test part, kept only for
reference: Chapter 2 regroups the splits by key), ``formula`` (as published), ``key`` and
``target`` (eV/atom or eV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from howbig.data.fetch import fetch_file
from howbig.data.keys import reduced_formula
from howbig.data.registry import dataset
from howbig.data.sources._common import cached_table

__all__ = ["COMPOSITION_TABLES", "CompositionSource", "load_composition_table"]


@dataclass(frozen=True)
class CompositionSource:
    """Where one composition table lives and how its files are laid out."""

    dataset: str
    quantity: str  # "formation_energy_per_atom" (eV/atom) or "band_gap" (eV)
    formula_column: str
    target_column: str
    description: str


_EF, _GAP = "formation_energy_per_atom", "band_gap"
_SPECS = (  # name, dataset, quantity, formula column, target column, description
    ("mp_ef", "mp_ef_critexam", _EF, "formula", "target",
     "Materials Project, lowest-energy entry per composition (Bartel et al.)"),
    ("mp_ef_matbench", "matbench_mp_e_form", _EF, "formula", "target",
     "Materials Project as in Matbench mp_e_form (all polymorphs)"),
    ("jarvis_ef", "jarvis_ef", _EF, "pretty_comp", "formation_energy_peratom",
     "JARVIS-DFT, OptB88vdW"),
    ("mp_gap", "matbench_mp_gap", _GAP, "formula", "target",
     "Materials Project PBE band gaps as in Matbench mp_gap"),
    ("aflow_gap", "aflow_egap", _GAP, "formula", "target", "AFLOW PBE band gaps (Clement et al.)"),
    ("jarvis_gap", "jarvis_gap", _GAP, "pretty_comp", "optb88vdw_bandgap",
     "JARVIS-DFT OptB88vdW band gaps"),
    ("oqmd_gap", "oqmd_gap", _GAP, "formula", "target", "OQMD band gaps (ElemNet set)"),
    ("oqmd_ef", "oqmd_dhf", _EF, "formula", "target",
     "OQMD formation enthalpies (CrabNet benchmark; val + test parts)"),
)

#: The tables Chapter 2 can name (profile key -> source).
COMPOSITION_TABLES: dict[str, CompositionSource] = {
    name: CompositionSource(*rest) for name, *rest in _SPECS}


def _part(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    for part in ("train", "val", "test"):
        if stem.endswith(f"_{part}"):
            return part
    return "all"


def _canonical_keys(formulas: pd.Series) -> pd.Series:
    """Reduced canonical formula per row (``None`` where amounts are fractional)."""
    unique = pd.unique(formulas)
    keys = {}
    for formula in unique:  # once per distinct formula; the table is cached afterwards
        try:
            keys[formula] = reduced_formula(formula)
        except ValueError:
            keys[formula] = None
    return formulas.map(keys)


def _read(name: str, source: CompositionSource) -> pd.DataFrame:
    ds = dataset(source.dataset)
    frames = []
    for entry in ds.files:
        path = fetch_file(entry.name)
        raw = pd.read_csv(path)
        missing = {source.formula_column, source.target_column} - set(raw.columns)
        if missing:
            raise ValueError(
                f"Dataset {ds.name!r}: {entry.name} lacks the column(s) {sorted(missing)} "
                f"(has {list(raw.columns)}); the file at {entry.url} changed its format")
        frames.append(pd.DataFrame({
            "part": _part(entry.name),
            "formula": raw[source.formula_column].astype(str).str.strip(),
            "target": pd.to_numeric(raw[source.target_column], errors="coerce"),
        }))
    table = pd.concat(frames, ignore_index=True)
    table["key"] = _canonical_keys(table["formula"])
    bad = table["key"].isna() | ~np.isfinite(table["target"].to_numpy(float))
    table = table[~bad].reset_index(drop=True)
    table.insert(0, "id", [f"{name}-{i}" for i in range(len(table))])
    table.insert(1, "source", ds.name)
    table.attrs["dropped"] = int(bad.sum())
    return table[["id", "source", "part", "formula", "key", "target"]]


def load_composition_table(name: str, *, use_cache: bool = True) -> pd.DataFrame:
    """One composition table (see the module docstring), fetched and checksummed.

    Parameters
    ----------
    name
        A key of :data:`COMPOSITION_TABLES`, e.g. ``"mp_ef"`` or ``"jarvis_ef"``.
    use_cache
        Reuse the parsed table cached under ``<cache>/tables`` (keyed by the files' checksums).

    Raises
    ------
    KeyError
        For an unknown name (the message lists the known ones).
    howbig.data.errors.ChecksumMismatchError
        When a file does not match the registry (the message names the dataset).
    """
    if name not in COMPOSITION_TABLES:
        raise KeyError(f"unknown composition table {name!r}; known: {sorted(COMPOSITION_TABLES)}")
    source = COMPOSITION_TABLES[name]
    ds = dataset(source.dataset)
    for entry in ds.files:  # verify first, so a damaged file is refused even when cached
        fetch_file(entry.name)
    table = cached_table(f"composition-{name}", [f.sha256 for f in ds.files],
                         lambda: _read(name, source), use_cache=use_cache)
    table.attrs.setdefault("quantity", source.quantity)
    table.attrs.setdefault("description", source.description)
    return table
