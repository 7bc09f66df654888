"""AFLOW: the ICSD key tables (quick profile) and an AFLUX REST client (full profile).

Quick profile
    ``aflow_icsd_nonmetal_gaps.csv`` and ``aflow_icsd_gap_window.csv`` (from the authors'
    repository): AFLOW ICSD entries with ``compound``, ``auid`` and ``spacegroup_relax`` but no
    structures and no formation energies. :func:`load_aflow_icsd_keys` merges them (unique AUIDs)
    for the key statistics: overlap with MP and duplicates per key.
Full profile
    :func:`fetch_aflux` pages through the AFLUX API (``$paging``), with retries and exponential
    back-off, caching every page on disk so an interrupted download resumes where it stopped;
    :func:`load_aflow` turns the entries into the common table with the paper's filters
    (``dft_type`` PAW_PBE, formation enthalpy in the authors' window -10 < Ef < 70 eV/atom).
"""

from __future__ import annotations

import ast
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
from ase import Atoms
from tqdm.auto import tqdm

from howbig.data.errors import DataUnavailableError
from howbig.data.fetch import cache_dir, fetch_file
from howbig.data.keys import DEFAULT_SYMPREC, key_from_formula, reduced_formula
from howbig.data.registry import file_entry
from howbig.data.sources._common import (
    COLUMNS,
    add_keys,
    cached_table,
    empty_table,
    service_url,
)

__all__ = [
    "AFLUX_URL",
    "DEFAULT_MATCHBOOK",
    "EF_WINDOW",
    "ICSD_FILES",
    "aflux_entries_to_table",
    "fetch_aflux",
    "load_aflow",
    "load_aflow_icsd_keys",
]

ICSD_FILES: tuple[str, ...] = ("aflow_icsd_nonmetal_gaps.csv", "aflow_icsd_gap_window.csv")
AFLUX_URL = "https://aflow.org/API/aflux/v1.0/"

DEFAULT_MATCHBOOK = (
    "enthalpy_formation_atom(*),Egap(*),dft_type(*),"
    "compound,auid,aurl,spacegroup_relax,geometry,positions_fractional"
)
"""Entries with a formation enthalpy, a band gap and a DFT type; relaxed geometry."""
EF_WINDOW: tuple[float, float] = (-10.0, 70.0)
"""The authors' formation-energy window (eV/atom), used to drop outliers."""


# ---------------------------------------------------------------------------------------------
# quick profile: ICSD key tables
# ---------------------------------------------------------------------------------------------
def _build_icsd_keys() -> pd.DataFrame:
    frames = []
    for name in ICSD_FILES:
        raw = pd.read_csv(fetch_file(name), index_col=0)
        raw["table"] = name
        frames.append(raw)
    raw = pd.concat(frames, ignore_index=True).drop_duplicates("auid").reset_index(drop=True)
    spacegroup = raw["spacegroup_relax"].astype(int).to_numpy()
    table = pd.DataFrame(
        {
            "id": raw["auid"].astype(str).to_numpy(),
            "source": "AFLOW-ICSD",
            "formula": [reduced_formula(c) for c in raw["compound"]],
            "key": [
                key_from_formula(c, s) for c, s in zip(raw["compound"], spacegroup, strict=True)
            ],
            "spacegroup": spacegroup,
            "band_gap": raw["Egap"].to_numpy(float),
            "compound": raw["compound"].astype(str).to_numpy(),
            "table": raw["table"].to_numpy(),
        }
    )
    return table


def load_aflow_icsd_keys(*, use_cache: bool = True) -> pd.DataFrame:
    """AFLOW ICSD entries of both key tables (unique AUIDs): key statistics only.

    Returns
    -------
    DataFrame
        ``id`` (AUID), ``source`` ("AFLOW-ICSD"), ``formula`` (reduced), ``key`` (cell formula
        from AFLOW's ``compound`` + AFLOW's ``spacegroup_relax``), ``spacegroup``, ``band_gap``
        (PBE, eV), plus ``compound`` and ``table`` (which file). No structures and no formation
        energies: the files do not have them. The space group is AFLOW-SYM's, not spglib's.
    """
    shas = tuple(file_entry(f)[1].sha256 for f in ICSD_FILES)
    return cached_table("aflow_icsd_keys", shas, _build_icsd_keys, use_cache=use_cache)


# ---------------------------------------------------------------------------------------------
# full profile: AFLUX client
# ---------------------------------------------------------------------------------------------
def _page_url(base_url: str, matchbook: str, page: int, page_size: int) -> str:
    return f"{base_url.rstrip('/')}/?{matchbook},$paging({int(page)},{int(page_size)})"


def _get_json(
    session: requests.Session, url: str, *, retries: int, backoff: float, timeout: float
) -> Any:
    """GET ``url`` and decode JSON, retrying transient failures with exponential back-off."""
    last = ""
    for attempt in range(retries + 1):
        try:
            response = session.get(url, timeout=timeout)
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError as exc:
                    last = f"invalid JSON ({exc})"
            elif response.status_code in (408, 429) or response.status_code >= 500:
                last = f"HTTP {response.status_code}"
            else:
                raise DataUnavailableError(
                    f"AFLUX request failed with HTTP {response.status_code} (not retried): {url}\n"
                    f"{response.text[:300]}"
                )
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    raise DataUnavailableError(
        f"AFLUX request failed after {retries + 1} attempts ({last}): {url}\n"
        "The pages fetched so far are cached; call again to resume."
    )


def _cache_folder(base_url: str, matchbook: str, page_size: int, cache: Path | None) -> Path:
    tag = hashlib.sha256(f"{base_url}|{matchbook}|{page_size}".encode()).hexdigest()[:16]
    return (Path(cache) if cache is not None else cache_dir() / "aflux") / tag


def _iter_pages(folder: Path) -> Iterator[list[dict[str, Any]]]:
    for path in sorted(folder.glob("page_*.json")):
        yield json.loads(path.read_text())


def fetch_aflux(
    base_url: str | None = None,
    *,
    matchbook: str = DEFAULT_MATCHBOOK,
    page_size: int = 1000,
    max_pages: int | None = None,
    cache: str | Path | None = None,
    retries: int = 5,
    backoff: float = 2.0,
    timeout: float = 120.0,
    progress: bool = True,
    session: requests.Session | None = None,
) -> list[dict[str, Any]]:
    """Download AFLOW entries through AFLUX, page by page, resumably.

    Parameters
    ----------
    base_url
        AFLUX endpoint (``https://aflow.org/API/aflux/v1.0/``; tests point it at a local server).
    matchbook
        AFLUX matchbook (properties, with ``(*)`` = "must be present"); ``$paging`` is appended.
    page_size
        Entries per request.
    max_pages
        Stop after this many pages (``None``: until AFLUX returns an empty page, which is
        remembered in the cache folder so that a later call makes no request).
    cache
        Folder for the page files (default ``<data cache>/aflux``); each (URL, matchbook,
        page size) gets its own sub-folder. Pages already there are not requested again.
    retries, backoff, timeout
        Transient failures (network errors, HTTP 408/429/5xx, bad JSON) are retried ``retries``
        times, sleeping ``backoff * 2**attempt`` seconds; other HTTP errors raise at once.
    progress
        Show a progress bar over pages.
    session
        A ``requests.Session`` to reuse (default: a new one).

    Returns
    -------
    list of dict
        The raw AFLUX entries of all pages, in page order.
    """
    base_url = service_url(base_url, "HOWBIG_AFLUX_URL", AFLUX_URL)
    folder = _cache_folder(base_url, matchbook, page_size, Path(cache) if cache else None)
    folder.mkdir(parents=True, exist_ok=True)
    done_marker = folder / "COMPLETE"
    session = session or requests.Session()
    bar = None
    if progress:
        bar = tqdm(desc="AFLUX pages", unit="page", leave=False, total=max_pages)
    page = 1
    try:
        while max_pages is None or page <= max_pages:
            path = folder / f"page_{page:06d}.json"
            if not path.is_file():
                if done_marker.is_file():
                    break
                data = _get_json(
                    session,
                    _page_url(base_url, matchbook, page, page_size),
                    retries=retries,
                    backoff=backoff,
                    timeout=timeout,
                )
                if isinstance(data, dict):  # some AFLUX versions wrap entries in a mapping
                    data = list(data.values())
                if not data:
                    done_marker.write_text("empty page reached\n")
                    break
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data))
                tmp.replace(path)
                # only an empty page ends the download (never infer the end from a short page)
            if bar is not None:
                bar.update(1)
            page += 1
    finally:
        if bar is not None:
            bar.close()
    entries: list[dict[str, Any]] = []
    for index, chunk in enumerate(_iter_pages(folder), start=1):
        if max_pages is not None and index > max_pages:
            break
        entries.extend(chunk)
    return entries


def _as_array(value: Any) -> np.ndarray:
    """Numbers from AFLUX JSON lists, Python-literal strings (``"[[0, 0, 0], ...]"``, as in the
    authors' CSV) or AFLOW's plain-text form (``"0,0,0;0.5,0.5,0.5"``)."""
    if isinstance(value, str):
        text = value.strip()
        if ";" in text and not text.startswith("["):
            return np.array([[float(x) for x in row.split(",")] for row in text.split(";")])
        value = ast.literal_eval(text)
    return np.asarray(value, dtype=float)


def _dft_type(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    text = str(value)
    if text.startswith("["):
        try:
            return ",".join(str(v) for v in ast.literal_eval(text))
        except (ValueError, SyntaxError):
            pass
    return text


def entry_to_atoms(entry: dict[str, Any]) -> Atoms:
    """``ase.Atoms`` from an AFLUX entry (``geometry`` = a, b, c, alpha, beta, gamma;
    ``positions_fractional``; species from ``compound``, whose order is AFLOW's site order)."""
    cell = _as_array(entry["geometry"])
    positions = _as_array(entry["positions_fractional"]).reshape(-1, 3)
    atoms = Atoms(symbols=str(entry["compound"]), scaled_positions=positions, cell=cell, pbc=True)
    atoms.wrap()
    return atoms


def aflux_entries_to_table(
    entries: list[dict[str, Any]],
    *,
    dft_type: str | None = "PAW_PBE",
    ef_window: tuple[float, float] | None = EF_WINDOW,
    symprec: float = DEFAULT_SYMPREC,
    progress: bool = False,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Filter AFLUX entries as the paper did and convert them to the common table.

    Keeps entries whose ``dft_type`` is exactly ``dft_type`` and whose formation enthalpy lies
    strictly inside ``ef_window`` (eV/atom); keys from spglib on the relaxed structure. The
    number of entries dropped by each filter is in ``table.attrs["filtered"]``.
    """
    if not entries:
        table = empty_table()
        table.attrs["filtered"] = {"input": 0}
        return table
    raw = pd.DataFrame(entries)
    counts = {"input": len(raw)}
    if dft_type is not None:
        raw = raw[raw["dft_type"].map(_dft_type) == dft_type]
        counts["after_dft_type"] = len(raw)
    ef = pd.to_numeric(raw["enthalpy_formation_atom"], errors="coerce")
    if ef_window is not None:
        raw = raw[(ef > ef_window[0]) & (ef < ef_window[1])]
        counts["after_ef_window"] = len(raw)
    raw = raw.drop_duplicates("auid").reset_index(drop=True)
    counts["unique_auid"] = len(raw)
    items = raw.to_dict("records")
    if progress:
        items = tqdm(items, desc="AFLOW structures", leave=False)
    table = pd.DataFrame(
        {
            "id": raw["auid"].astype(str).to_numpy(),
            "source": "AFLOW",
            "formation_energy_per_atom": pd.to_numeric(
                raw["enthalpy_formation_atom"], errors="coerce"
            ).to_numpy(float),
            "band_gap": pd.to_numeric(raw.get("Egap", np.nan), errors="coerce"),
            "atoms": [entry_to_atoms(e) for e in items],
        }
    )
    if len(table):
        add_keys(table, symprec=symprec, progress=progress, n_jobs=n_jobs)
    else:
        table = empty_table()
    table = table[list(COLUMNS)].reset_index(drop=True)
    table.attrs["filtered"] = counts
    return table


def load_aflow(
    base_url: str | None = None,
    *,
    matchbook: str = DEFAULT_MATCHBOOK,
    page_size: int = 1000,
    max_pages: int | None = None,
    cache: str | Path | None = None,
    dft_type: str | None = "PAW_PBE",
    ef_window: tuple[float, float] | None = EF_WINDOW,
    symprec: float = DEFAULT_SYMPREC,
    progress: bool = True,
    n_jobs: int = -1,
    **fetch_kwargs: Any,
) -> pd.DataFrame:
    """AFLOW PBE entries with formation enthalpy, band gap and relaxed structure (full profile).

    :func:`fetch_aflux` (resumable) followed by :func:`aflux_entries_to_table` (the paper's
    filters). The parsed table is cached too, keyed by the downloaded pages' content.
    ``n_jobs`` processes run the symmetry search (``-1``: all cores).
    """
    base_url = service_url(base_url, "HOWBIG_AFLUX_URL", AFLUX_URL)
    entries = fetch_aflux(
        base_url,
        matchbook=matchbook,
        page_size=page_size,
        max_pages=max_pages,
        cache=cache,
        progress=progress,
        **fetch_kwargs,
    )
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    return cached_table(
        "aflow",
        (digest, dft_type, ef_window, symprec),
        lambda: aflux_entries_to_table(
            entries, dft_type=dft_type, ef_window=ef_window, symprec=symprec,
            progress=progress, n_jobs=n_jobs,
        ),
    )
