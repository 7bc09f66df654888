"""MP-crystals-2018.6.1 (Chen et al. 2019; 69,239 Materials Project entries), full profile.

The registry file ``mp.2018.6.1.json.zip`` (figshare 15087992) holds ``mp.2018.6.1.json``: a list
of records with ``material_id``, ``structure`` (CIF text), ``formation_energy_per_atom``,
``band_gap``, ... Its checksum is not published: :func:`howbig.data.fetch_file` pins it on first
download and enforces it afterwards.

The authors' split (``mp2018_mpeu_splits.json``) maps ASE-database row ids to splits; row id =
index in ``mp.2018.6.1.json`` + 1 (column ``asedb_id`` of :func:`load_mp2018`).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from howbig.data.fetch import fetch_file, sha256sum
from howbig.data.keys import DEFAULT_SYMPREC
from howbig.data.sources._common import COLUMNS, add_keys, cached_table, parse_cifs

__all__ = [
    "CONFIG_FILE",
    "FILE",
    "JSON_MEMBER",
    "SOURCE",
    "SPLITS_FILE",
    "load_mp2018",
    "load_mp2018_config",
    "load_mp2018_splits",
    "read_mp2018_records",
]

FILE = "mp.2018.6.1.json.zip"
JSON_MEMBER = "mp.2018.6.1.json"
SPLITS_FILE = "mp2018_mpeu_splits.json"
CONFIG_FILE = "mp2018_mpeu_config.json"
SOURCE = "MP"


def read_mp2018_records(path: str | Path) -> pd.DataFrame:
    """Read the JSON records from the zip (or a bare ``.json``) into a DataFrame, in file order."""
    path = Path(path)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".json")]
            if not names:
                raise ValueError(f"{path} holds no .json member (members: {archive.namelist()})")
            member = JSON_MEMBER if JSON_MEMBER in names else names[0]
            with archive.open(member) as handle:
                data: Any = json.load(handle)
    else:
        data = json.loads(path.read_text())
    frame = pd.DataFrame(data)
    missing = {"material_id", "structure", "formation_energy_per_atom"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: records lack {sorted(missing)}; columns: {list(frame.columns)}")
    return frame


def _build(
    path: Path, symprec: float, limit: int | None, progress: bool, n_jobs: int
) -> pd.DataFrame:
    raw = read_mp2018_records(path)
    raw["asedb_id"] = np.arange(1, len(raw) + 1)
    if limit is not None:
        raw = raw.iloc[:limit]
    table = pd.DataFrame(
        {
            "id": raw["material_id"].astype(str).to_numpy(),
            "source": SOURCE,
            "formation_energy_per_atom": raw["formation_energy_per_atom"].to_numpy(float),
            "band_gap": pd.to_numeric(raw.get("band_gap", np.nan), errors="coerce"),
            "atoms": parse_cifs(raw["structure"], progress=progress, desc="MP-2018 CIFs"),
        }
    )
    add_keys(table, symprec=symprec, progress=progress, n_jobs=n_jobs)
    table = table[list(COLUMNS)]
    table["asedb_id"] = raw["asedb_id"].to_numpy()
    return table.reset_index(drop=True)


def load_mp2018(
    *,
    symprec: float = DEFAULT_SYMPREC,
    limit: int | None = None,
    use_cache: bool = True,
    progress: bool = True,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """MP-crystals-2018.6.1 as the common table plus ``asedb_id`` (JSON index + 1).

    Parameters
    ----------
    symprec
        spglib tolerance for the keys (Å).
    limit
        Keep only the first ``limit`` records (for trials).
    use_cache
        Reuse the parsed table from the data cache (parsing 69k CIFs takes minutes).
    progress
        Progress bars while parsing.
    n_jobs
        Processes for the symmetry search (``-1``: all cores).
    """
    path = fetch_file(FILE, progress=progress)
    digest = sha256sum(path)
    return cached_table(
        "mp2018",
        (digest, symprec, limit),
        lambda: _build(path, symprec, limit, progress, n_jobs),
        use_cache=use_cache,
    )


def load_mp2018_splits() -> pd.Series:
    """The authors' split: a Series indexed by ASE-db row id (``asedb_id``), values
    ``"train"``/``"validation"``/``"test"``. Use ``table["asedb_id"].map(splits)``."""
    data = json.loads(fetch_file(SPLITS_FILE).read_text())
    series = pd.Series({int(k): str(v) for k, v in data.items()}, name="split").sort_index()
    series.index.name = "asedb_id"
    return series


def load_mp2018_config() -> dict[str, Any]:
    """The authors' MPEU hyperparameters for MP-2018 (``mp2018_mpeu_config.json``)."""
    return json.loads(fetch_file(CONFIG_FILE).read_text())
