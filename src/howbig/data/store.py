"""Store common tables in an ASE database (SQLite by default; any ASE URL, e.g. PostgreSQL).

Settings
--------
``HOWBIG_DB_URL``
    Database used when no URL is given: a path (``/data/structures.db``) or an ASE URL
    (``sqlite:///...``, ``postgresql://user:pw@host:5432/db``; server databases need
    their driver, e.g. ``psycopg2`` for PostgreSQL). Default:
    ``<data cache>/structures.db`` (see :func:`howbig.data.cache_dir`).

Each row holds the structure (``ase.Atoms``; an empty ``Atoms()`` for key-only entries) and the
table's scalar columns as key-value pairs. ASE reserves some names (``id``, ``formula``), so the
table's ``id`` is stored as ``entry_id`` and ``formula`` as ``reduced_formula``; NaN values are not
stored (they come back as NaN). :func:`read_table` reverses the mapping.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ase import Atoms
from ase.db import connect

from howbig.data.fetch import cache_dir

__all__ = ["DB_ENV", "default_url", "read_table", "write_table"]

DB_ENV = "HOWBIG_DB_URL"
_RENAME = {"id": "entry_id", "formula": "reduced_formula"}
_BACK = {v: k for k, v in _RENAME.items()}


def default_url() -> str:
    """``HOWBIG_DB_URL`` or ``<data cache>/structures.db``."""
    return os.environ.get(DB_ENV, "").strip() or str(cache_dir() / "structures.db")


def _url(url: str | Path | None) -> str:
    url = default_url() if url is None else str(url)
    if url.startswith("sqlite:///"):  # SQLAlchemy-style URL -> the file path ASE expects
        url = url[len("sqlite:///"):]
        url = url if url.startswith("/") else "./" + url
    if "://" not in url:
        Path(url).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def _value(value: Any) -> Any:
    """A key-value-pair value ASE accepts, or ``None`` to skip it."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return None


def write_table(
    table: pd.DataFrame,
    url: str | Path | None = None,
    *,
    append: bool = True,
    columns: Iterable[str] | None = None,
) -> int:
    """Write a common table to an ASE database; returns the number of rows written.

    Parameters
    ----------
    table
        Rows to write; an ``atoms`` column (``ase.Atoms`` or ``None``) is optional.
    url
        Path or ASE database URL (default: :func:`default_url`).
    append
        ``False`` empties the database first.
    columns
        Scalar columns to store (default: all but ``atoms``).
    """
    url = _url(url)
    names = [c for c in (columns or table.columns) if c != "atoms"]
    db = connect(url, append=append)
    if not append and "://" in url:  # a server database: delete the rows
        ids = [row.id for row in db.select()]
        if ids:
            db.delete(ids)
    n = 0
    with db:
        for record in table.to_dict("records"):
            atoms = record.get("atoms")
            if not isinstance(atoms, Atoms):
                atoms = Atoms()
            kvp = {}
            for name in names:
                value = _value(record.get(name))
                if value is not None:
                    kvp[_RENAME.get(name, name)] = value
            db.write(atoms, key_value_pairs=kvp)
            n += 1
    return n


def read_table(
    url: str | Path | None = None,
    selection: str | None = None,
    *,
    atoms: bool = True,
    **select: Any,
) -> pd.DataFrame:
    """Read rows from an ASE database back into a table (inverse of :func:`write_table`).

    Parameters
    ----------
    url
        Path or ASE database URL (default: :func:`default_url`).
    selection, select
        ASE selection (e.g. ``"source=MP"`` or ``source="MP"``).
    atoms
        Also rebuild the ``atoms`` column (empty structures come back as ``None``).
    """
    url = _url(url)
    records = []
    for row in connect(url).select(selection, **select):
        record = {_BACK.get(k, k): v for k, v in row.key_value_pairs.items()}
        if atoms:
            record["atoms"] = row.toatoms() if row.natoms else None
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if "id" in frame.columns:
        frame = frame[["id", *[c for c in frame.columns if c != "id"]]]
    for column in ("formation_energy_per_atom", "band_gap"):
        if column in frame.columns:
            frame[column] = frame[column].astype(float)
    return frame
