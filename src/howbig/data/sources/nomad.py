"""NOMAD API v1: the FHI-aims h-BN convergence data of the paper's Section 3 (full profile).

The paper's similarity matrices use FHI-aims calculations of hexagonal BN from the NOMAD dataset
DOI 10.17172/NOMAD/2020.07.27-1 (Carbogno et al., npj Comput. Mater. 8, 69 (2022)). This module
pages through ``POST /entries/archive/query`` of the NOMAD API, keeps the raw pages in the data
cache (a rerun with the same query does not touch the network) and turns every entry into its DOS
(eV, states/eV, spin channels summed, aligned to the valence-band maximum) plus settings metadata.

Example
-------
::

    from howbig.data.sources.nomad import load_nomad_dos
    energies, dos, meta = load_nomad_dos()       # needs internet on the first call
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import requests
from tqdm.auto import tqdm

from howbig.data.errors import DataUnavailableError
from howbig.data.fetch import cache_dir, fetch_file
from howbig.data.sources._common import service_url

__all__ = [
    "API_URL",
    "HBN_DATASET_DOI",
    "HBN_QUERY",
    "HBN_REQUIRED",
    "entry_dos",
    "iter_archive_pages",
    "load_fingerprint_cases",
    "load_nomad_dos",
    "query_archive",
]

API_URL = "https://nomad-lab.eu/prod/v1/api/v1"

HBN_DATASET_DOI = "10.17172/NOMAD/2020.07.27-1"
JOULE_PER_EV = 1.602176634e-19

#: Entries of the convergence study that are bulk h-BN.
HBN_QUERY: dict[str, Any] = {
    "datasets.doi": HBN_DATASET_DOI,
    "results.material.chemical_formula_reduced": "BN",
}
#: Archive sections to return: settings and the electronic DOS, nothing else.
HBN_REQUIRED: dict[str, Any] = {
    "results": {
        "material": {"chemical_formula_reduced": "*"},
        "method": "*",
        "properties": {"electronic": {"dos_electronic": "*", "band_gap": "*"}},
    },
    "run": {"method": {"k_mesh": "*", "electrons_representation": "*", "dft": "*"}},
}


def _post(url: str, body: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    try:
        response = requests.post(url, json=body, timeout=timeout)
    except requests.RequestException as exc:
        raise DataUnavailableError(
            f"NOMAD API not reachable at {url} ({exc.__class__.__name__}: {exc}); "
            "this loader needs internet access once, later calls read the cache"
        ) from exc
    if response.status_code != 200:
        raise DataUnavailableError(
            f"NOMAD API answered {response.status_code} for {url}: {response.text[:300]}"
        )
    return response.json()


def iter_archive_pages(
    query: Mapping[str, Any],
    required: Mapping[str, Any],
    *,
    base_url: str | None = None,
    page_size: int = 25,
    max_entries: int | None = None,
    timeout: float = 60.0,
) -> Iterator[dict[str, Any]]:
    """Yield the raw response pages of ``POST {base_url}/entries/archive/query``.

    Paging follows the API: each response's ``pagination.next_page_after_value`` is sent back as
    ``page_after_value`` until it is absent (or ``max_entries`` entries were received).
    """
    base_url = service_url(base_url, "HOWBIG_NOMAD_URL", API_URL)
    url = base_url.rstrip("/") + "/entries/archive/query"
    after: str | None = None
    received = 0
    while True:
        pagination: dict[str, Any] = {"page_size": page_size}
        if after is not None:
            pagination["page_after_value"] = after
        page = _post(url, {"owner": "visible", "query": dict(query), "required": dict(required),
                           "pagination": pagination}, timeout)
        yield page
        received += len(page.get("data", []))
        after = page.get("pagination", {}).get("next_page_after_value")
        if not after or not page.get("data") or (max_entries and received >= max_entries):
            return


def query_archive(
    query: Mapping[str, Any] = HBN_QUERY,
    required: Mapping[str, Any] = HBN_REQUIRED,
    *,
    base_url: str | None = None,
    page_size: int = 25,
    max_entries: int | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """All archive entries matching ``query`` (cached as gzip'd JSON under the data cache).

    Parameters
    ----------
    query, required
        NOMAD query and required-sections specification.
    base_url
        API root, e.g. ``https://nomad-lab.eu/prod/v1/api/v1`` (or a local test server).
    page_size, max_entries
        Entries per request; stop after this many entries (``None``: all).
    use_cache
        Read and write ``<cache>/nomad/<hash>.json.gz``; the hash covers URL, query, required
        sections and ``max_entries``.
    progress
        Show a progress bar over pages.
    """
    base_url = service_url(base_url, "HOWBIG_NOMAD_URL", API_URL)
    key = json.dumps([base_url, query, required, max_entries], sort_keys=True)
    path = cache_dir() / "nomad" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json.gz"
    if use_cache and path.is_file():
        with gzip.open(path, "rt") as fh:
            return json.load(fh)
    entries: list[dict[str, Any]] = []
    bar = tqdm(desc="NOMAD pages", unit="page", disable=not progress)
    for page in iter_archive_pages(query, required, base_url=base_url, page_size=page_size,
                                   max_entries=max_entries):
        entries.extend(page.get("data", []))
        bar.update(1)
        bar.set_postfix(entries=len(entries), total=page.get("pagination", {}).get("total"))
    bar.close()
    if max_entries:
        entries = entries[:max_entries]
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt") as fh:
            json.dump(entries, fh)
        tmp.replace(path)
    return entries


def _get(tree: Any, *keys: Any, default: Any = None) -> Any:
    """``tree[k0][k1]...`` where lists are entered at their first element; ``default`` if absent."""
    for key in keys:
        if isinstance(tree, list):
            tree = tree[0] if tree else None
        if not isinstance(tree, Mapping) or key not in tree:
            return default
        tree = tree[key]
    return tree


def entry_dos(entry: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """DOS of one archive entry: energies (eV, relative to the VBM), DOS (states/eV), metadata.

    Raises
    ------
    ValueError
        If the entry carries no electronic DOS.
    """
    archive = entry.get("archive", entry)
    results = archive.get("results", {})
    dos_sec = _get(results, "properties", "electronic", "dos_electronic")
    if isinstance(dos_sec, list):
        dos_sec = dos_sec[0] if dos_sec else None
    if not dos_sec or "energies" not in dos_sec:
        raise ValueError(f"NOMAD entry {entry.get('entry_id')} has no electronic DOS")
    energies = np.asarray(dos_sec["energies"], float) / JOULE_PER_EV
    channels = dos_sec.get("total", [])
    dos = np.sum([np.asarray(c["value"], float) for c in channels], axis=0) * JOULE_PER_EV
    vbm = _get(dos_sec, "band_gap", "energy_highest_occupied")
    if vbm is None:
        vbm = _get(results, "properties", "electronic", "band_gap", "energy_highest_occupied")
    if vbm is None:
        vbm = dos_sec.get("energy_fermi")
    vbm_ev = float(vbm) / JOULE_PER_EV if vbm is not None else 0.0
    dft = _get(results, "method", "simulation", "dft", default={}) or {}
    method = _get(archive, "run", "method", default={}) or {}
    k_mesh = _get(method, "k_mesh", default={}) or {}
    basis = _get(method, "electrons_representation", "basis_set", default={}) or {}
    meta = {
        "entry_id": entry.get("entry_id", archive.get("entry_id")),
        "upload_id": entry.get("upload_id"),
        "xc": ",".join(dft.get("xc_functional_names", [])) or dft.get("xc_functional_type"),
        "code": _get(results, "method", "simulation", "program_name"),
        "basis_set_type": dft.get("basis_set_type"),
        "basis": basis.get("type") if isinstance(basis, Mapping) else None,
        "kmesh": "x".join(map(str, k_mesh.get("grid", []))) or None,
        "n_kpoints": k_mesh.get("n_points"),
        "vbm_ev": vbm_ev,
        "n_spin_channels": len(channels),
    }
    return energies - vbm_ev, dos, meta


def load_nomad_dos(
    *,
    base_url: str | None = None,
    energy_grid: np.ndarray | None = None,
    page_size: int = 25,
    max_entries: int | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The FHI-aims h-BN DOS of the paper's Section 3, on one energy grid.

    Parameters
    ----------
    base_url
        NOMAD API root.
    energy_grid
        Common grid (eV, relative to the VBM) to interpolate every DOS onto; default
        ``-12 ... 12`` eV in 0.02 eV steps (the grid of :mod:`howbig.dft.hbn`).
    page_size, max_entries, use_cache, progress
        See :func:`query_archive`.

    Returns
    -------
    energies, dos (``n_entries x n_energies``), metadata (one row per entry). Entries without a
    DOS are skipped and counted in ``meta.attrs["skipped"]``.
    """
    base_url = service_url(base_url, "HOWBIG_NOMAD_URL", API_URL)
    if energy_grid is None:
        energy_grid = np.linspace(-12.0, 12.0, 1201)
    entries = query_archive(HBN_QUERY, HBN_REQUIRED, base_url=base_url, page_size=page_size,
                            max_entries=max_entries, use_cache=use_cache, progress=progress)
    rows, curves, skipped = [], [], 0
    for entry in entries:
        try:
            e, y, meta = entry_dos(entry)
        except ValueError:
            skipped += 1
            continue
        curves.append(np.interp(energy_grid, e, y, left=0.0, right=0.0))
        rows.append(meta)
    if not rows:
        raise DataUnavailableError(f"no NOMAD entry with a DOS for query {HBN_QUERY}")
    meta_df = pd.DataFrame(rows)
    meta_df.attrs.update({"source": base_url, "dataset_doi": HBN_DATASET_DOI,
                          "skipped": skipped})
    return np.asarray(energy_grid), np.array(curves), meta_df


def load_fingerprint_cases() -> dict[str, Any]:
    """The 15 NOMAD DOS test cases of the reference fingerprint implementation, as stored.

    Registry dataset ``nomad_dos_fingerprint_cases``: ``fingerprints`` lists the cases, each
    case holds ``dos_energies`` (J) and ``dos_values`` (per spin channel, 1/J), ``simat`` the
    reference similarity matrix.
    """
    return json.loads(fetch_file("nomad_dos_fingerprint_cases.json").read_text())
