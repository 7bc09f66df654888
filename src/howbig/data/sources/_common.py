"""Helpers shared by the source parsers: the common table, CIF parsing, keys, a parse cache."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from ase import Atoms
from ase.io import read
from tqdm.auto import tqdm

from howbig.data.fetch import cache_dir
from howbig.data.keys import DEFAULT_SYMPREC, composition_spacegroup_keys

__all__ = [
    "COLUMNS",
    "PARSER_VERSION",
    "add_keys",
    "cached_table",
    "empty_table",
    "parse_cif",
    "parse_cifs",
    "service_url",
]


def service_url(base_url: str | None, variable: str, default: str) -> str:
    """``base_url``, else the environment variable ``variable``, else ``default``.

    The web services (AFLUX, NOMAD) are reached at their public address unless an environment
    variable points elsewhere: the smoke build serves fixtures in their real formats on
    127.0.0.1 that way.
    """
    return base_url or os.environ.get(variable, default)

COLUMNS: tuple[str, ...] = (
    "id",
    "source",
    "formula",
    "key",
    "spacegroup",
    "formation_energy_per_atom",
    "band_gap",
    "atoms",
)
"""Columns of the common table every structure loader returns (units: eV/atom, eV)."""

PARSER_VERSION = 2  # bump when parsing or keying changes, to invalidate cached tables

_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def empty_table() -> pd.DataFrame:
    """A common table with no rows (right columns and dtypes)."""
    return pd.DataFrame(
        {
            "id": pd.Series(dtype=str),
            "source": pd.Series(dtype=str),
            "formula": pd.Series(dtype=str),
            "key": pd.Series(dtype=str),
            "spacegroup": pd.Series(dtype=int),
            "formation_energy_per_atom": pd.Series(dtype=float),
            "band_gap": pd.Series(dtype=float),
            "atoms": pd.Series(dtype=object),
        }
    )


def _number(text: str) -> float:
    match = _FLOAT.match(text)
    if match is None:
        raise ValueError(text)
    return float(match.group(0))


def _parse_p1_cif(text: str) -> Atoms | None:
    """Fast path for the pymatgen-written P1 CIFs of MP/CMR; ``None`` if the file is not one."""
    lines = text.splitlines()
    cell: dict[str, float] = {}
    symops = 0
    for line in lines:
        s = line.strip()
        if s.startswith("_cell_length_") or s.startswith("_cell_angle_"):
            name, value = s.split(None, 1)
            cell[name] = _number(value)
        elif s.startswith(("_symmetry_space_group_name_H-M", "_space_group_name_H-M_alt")):
            if s.split(None, 1)[1].replace("'", "").replace('"', "").replace(" ", "") != "P1":
                return None
        elif re.match(r"^\d+\s+'?x,\s*y,\s*z'?$", s):
            symops += 1
    if len(cell) != 6 or symops > 1:
        return None
    # the atom-site loop: header lines starting with _atom_site_, then rows
    for i, line in enumerate(lines):
        if line.strip() == "loop_" and i + 1 < len(lines) and lines[i + 1].strip().startswith(
            "_atom_site_"
        ):
            header: list[str] = []
            j = i + 1
            while j < len(lines) and lines[j].strip().startswith("_atom_site_"):
                header.append(lines[j].strip())
                j += 1
            try:
                c_sym = header.index("_atom_site_type_symbol")
                c_x = header.index("_atom_site_fract_x")
                c_y = header.index("_atom_site_fract_y")
                c_z = header.index("_atom_site_fract_z")
            except ValueError:
                return None
            occ = "_atom_site_occupancy"
            c_occ = header.index(occ) if occ in header else None
            symbols: list[str] = []
            frac: list[list[float]] = []
            while j < len(lines):
                parts = lines[j].split()
                if not parts or parts[0].startswith(("_", "loop_", "#", "data_")):
                    break
                if len(parts) != len(header):
                    return None
                if c_occ is not None and abs(_number(parts[c_occ]) - 1.0) > 1e-6:
                    return None  # partial occupancy: leave it to the general parser
                symbols.append(re.sub(r"[^A-Za-z]", "", parts[c_sym]))
                frac.append([_number(parts[c_x]), _number(parts[c_y]), _number(parts[c_z])])
                j += 1
            if not symbols:
                return None
            par = [
                cell["_cell_length_a"], cell["_cell_length_b"], cell["_cell_length_c"],
                cell["_cell_angle_alpha"], cell["_cell_angle_beta"], cell["_cell_angle_gamma"],
            ]
            atoms = Atoms(symbols=symbols, scaled_positions=np.array(frac), cell=par, pbc=True)
            atoms.wrap()  # as ase's CIF reader does
            return atoms
    return None


def parse_cif(text: str) -> Atoms:
    """Parse one CIF (text) into ``ase.Atoms``.

    P1 CIFs as written by pymatgen (MP, CMR, MP-2018) take a fast path (several times faster
    than the general parser, see ``benchmarks/bench_data_loaders.py``); anything else goes
    through ``ase.io.read(format="cif")``.
    """
    if "\n" not in text and "\\n" in text:  # CIF stored with escaped newlines
        text = text.replace("\\n", "\n")
    try:
        atoms = _parse_p1_cif(text)
    except (ValueError, IndexError, KeyError):
        atoms = None
    if atoms is None:
        atoms = read(io.StringIO(text), format="cif")
    return atoms


def parse_cifs(texts: Iterable[str], *, progress: bool = False, desc: str = "CIFs") -> list[Atoms]:
    """Parse many CIFs (see :func:`parse_cif`), with an optional progress bar."""
    items = list(texts)
    if progress:
        items = tqdm(items, desc=desc, leave=False)
    return [parse_cif(t) for t in items]


def add_keys(table: pd.DataFrame, *, symprec: float = DEFAULT_SYMPREC,
             progress: bool = False, n_jobs: int = 1) -> pd.DataFrame:
    """Fill ``formula``, ``spacegroup``, ``key`` from the ``atoms`` column (in place; returned)."""
    formulas, groups, keys = composition_spacegroup_keys(
        table["atoms"], symprec, progress=progress, desc="spacegroups", n_jobs=n_jobs
    )
    table["formula"] = formulas
    table["spacegroup"] = np.asarray(groups, dtype=int)
    table["key"] = keys
    return table


def _fingerprint(parts: Sequence[object]) -> str:
    return hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:16]


def cached_table(
    name: str,
    parts: Sequence[object],
    build: Callable[[], pd.DataFrame],
    *,
    use_cache: bool = True,
) -> pd.DataFrame:
    """Return ``build()``, cached as a pickle under ``<cache>/tables/`` keyed by ``parts``.

    ``parts`` must pin everything the table depends on (input checksums, settings,
    :data:`PARSER_VERSION`); a change in any of them rebuilds the table.
    """
    path = cache_dir() / "tables" / f"{name}-{_fingerprint((PARSER_VERSION, *parts))}.pkl"
    if use_cache and path.is_file():
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            path.unlink(missing_ok=True)  # damaged or stale: rebuild
    t0 = time.perf_counter()
    table = build()
    table.attrs["build_seconds"] = time.perf_counter() - t0
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    return table

