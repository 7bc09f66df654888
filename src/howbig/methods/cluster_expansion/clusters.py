"""Cluster spaces and cluster vectors with icet (the features of a cluster expansion).

* :func:`spinel_cluster_space` builds an icet ``ClusterSpace`` on the spinel's primitive cell;
* :func:`cluster_vectors` evaluates the cluster correlations of configurations;
* :func:`ge_cluster_counts`, :func:`cell_crosscheck` and :func:`span_residuals` compare icet's
  clusters with the integer cluster counts another code (CELL) wrote for the same configurations;
* :func:`affine_rank` says how many independent features a matrix holds on the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from ase import Atoms
from ase.data import atomic_numbers
from tqdm.auto import tqdm

__all__ = [
    "affine_rank",
    "cell_crosscheck",
    "cluster_vectors",
    "ge_cluster_counts",
    "orbit_table",
    "span_residuals",
    "spinel_cluster_space",
    "spinel_primitive",
]


def spinel_primitive(structure: Atoms, symprec: float = 1e-3) -> Atoms:
    """Primitive cell of an *ordered* spinel supercell, e.g. the normal spinel (14 atoms).

    icet's own reduction (the one :func:`spinel_cluster_space` uses), so positions stay in the
    supercell's setting; spglib's ``find_primitive`` may shift the origin.

    Parameters
    ----------
    structure
        A spinel configuration whose species mark the sublattices (normal spinel: Ge on the
        tetrahedral 8a, Sn on the octahedral 16d sites).
    symprec
        Symmetry tolerance (Å).
    """
    from icet.tools.geometry import get_primitive_structure  # imported here: icet takes ~2 s

    return get_primitive_structure(structure, symprec=symprec)


def spinel_cluster_space(
    reference: Atoms,
    cutoffs: Sequence[float],
    *,
    species: Sequence[str] = ("Ge", "Sn"),
    fixed: Sequence[str] = ("N",),
    symprec: float = 1e-3,
):
    """icet ``ClusterSpace`` on the spinel primitive cell: ``species`` on all cation sites.

    Parameters
    ----------
    reference
        Ordered configuration whose species mark the sublattices (the normal spinel); icet
        reduces it to its primitive cell (14 atoms for Fd-3m), where every cation site gets
        ``species`` and every ``fixed`` site keeps its species.
    cutoffs
        icet cutoffs (Å) for pairs, triplets, quadruplets, ...
    species
        The species allowed on every cation (tetrahedral and octahedral) site.
    fixed
        Species whose sites are not configurational (the N anions).
    """
    from icet import ClusterSpace  # imported here: icet takes ~2 s

    symbols = [[s] if s in fixed else list(species) for s in reference.get_chemical_symbols()]
    return ClusterSpace(reference, list(cutoffs), symbols, symprec=symprec)


def orbit_table(cluster_space) -> pd.DataFrame:
    """One row per cluster-space element: order, radius, multiplicity, sublattice(s)."""
    frame = cluster_space.to_dataframe()
    keep = [c for c in ("order", "radius", "multiplicity", "orbit_index", "sublattices")
            if c in frame.columns]
    return frame[keep]


def cluster_vectors(cluster_space, structures: Sequence[Atoms], *,
                    progress: bool = False) -> np.ndarray:
    """Cluster vectors (first column: the empty cluster, = 1) of configurations, shape (n, K).

    All ``structures`` of one supercell share their geometry here, so icet's calculator for the
    first one would serve all; we call ``get_cluster_vector`` per structure, which is the supported
    API and takes about a millisecond per 56-atom configuration for a few hundred orbits.
    """
    items: Sequence[Atoms] | Iterator[Atoms] = structures
    if progress:
        items = tqdm(structures, desc="cluster vectors", leave=False)
    return np.array([cluster_space.get_cluster_vector(a) for a in items])


def _site_order(atoms: Atoms, reference: Atoms, decimals: int = 3) -> np.ndarray:
    """Index into ``atoms`` of the atom on each site of ``reference`` (same cell, same sites)."""
    def keys(a: Atoms) -> list[bytes]:
        frac = np.round(a.get_scaled_positions(wrap=True), decimals) % 1.0
        return [np.round(f, decimals).tobytes() for f in frac + 0.0]

    where = {k: i for i, k in enumerate(keys(atoms))}
    try:
        return np.array([where[k] for k in keys(reference)])
    except KeyError as err:
        raise ValueError("structure does not have the sites of the reference supercell") from err


def ge_cluster_counts(cluster_space, structures: Sequence[Atoms], *,
                      species: str = "Ge", progress: bool = False) -> np.ndarray:
    """Number of clusters of every orbit whose sites all hold ``species``, shape (n, K).

    Column 0 is the empty cluster (1), as in CELL's "binary-linear" counts; columns 1.. follow
    the cluster-space order. All ``structures`` must occupy the sites of the first one (as the
    GeSn2N4 POSCARs do, in varying atom order): icet's supercell orbit list is built once for
    the first structure and every configuration is counted on it.
    """

    if not structures:
        return np.zeros((0, len(cluster_space)), dtype=int)
    reference = structures[0]
    supercell = cluster_space.orbit_list.get_supercell_orbit_list(
        reference, cluster_space.fractional_position_tolerance)
    n_orbits = len(cluster_space.orbit_list)
    target = atomic_numbers[species]
    items: Sequence[Atoms] | Iterator[Atoms] = structures
    if progress:
        items = tqdm(structures, desc="cluster counts", leave=False)
    rows = []
    for atoms in items:
        occupations = atoms.numbers[_site_order(atoms, reference)].tolist()
        row = [1]
        for i in range(n_orbits):
            counts = supercell.get_orbit(i).get_cluster_counts(occupations)
            row.append(sum(n for numbers, n in counts.items()
                           if all(z == target for z in numbers)))
        rows.append(row)
    return np.asarray(rows, dtype=int)


def cell_crosscheck(icet_counts: np.ndarray, cell_counts: np.ndarray,
                    orbits: pd.DataFrame) -> pd.DataFrame:
    """Match every CELL cluster-count column with icet all-Ge counts of the same configurations.

    Parameters
    ----------
    icet_counts
        (n, K) from :func:`ge_cluster_counts`.
    cell_counts
        (n, M) CELL counts of the same n configurations (same row order).
    orbits
        Orbit table of the cluster space (K rows) for the order and radius of matches.

    Returns
    -------
    One row per CELL column: ``match`` ("exact", "factor" when the icet count is a fixed integer
    multiple, or "none"), the matching icet orbit(s), their order and radius, and the factor.
    """
    rows = []
    for j in range(cell_counts.shape[1]):
        c = cell_counts[:, j].astype(float)
        exact = [k for k in range(icet_counts.shape[1]) if np.array_equal(icet_counts[:, k], c)]
        factor_hits: list[tuple[int, float]] = []
        if not exact and np.any(c != 0):
            for k in range(icet_counts.shape[1]):
                x = icet_counts[:, k].astype(float)
                nz = c != 0
                if not np.any(x) or np.any((x != 0) & ~nz):
                    continue
                ratio = x[nz] / c[nz]
                if np.allclose(ratio, ratio[0]) and ratio[0] > 0:
                    factor_hits.append((k, float(ratio[0])))
        hits = exact or [k for k, _ in factor_hits]
        rows.append(
            {
                "cell_column": j,
                "match": "exact" if exact else ("factor" if factor_hits else "none"),
                "icet_orbits": hits,
                "order": sorted({int(orbits["order"].iloc[k]) for k in hits}),
                "radius": sorted({round(float(orbits["radius"].iloc[k]), 3) for k in hits}),
                "factor": factor_hits[0][1] if factor_hits and not exact else 1.0,
            }
        )
    return pd.DataFrame(rows)


def span_residuals(basis: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Largest absolute residual of each column of ``targets`` fitted linearly by ``basis``.

    A residual at rounding level means the target column (e.g. an icet correlation) is an exact
    linear function of the basis columns (e.g. CELL's cluster counts) on these rows.
    """
    basis = np.asarray(basis, dtype=float)
    targets = np.asarray(targets, dtype=float)
    coef, *_ = np.linalg.lstsq(basis, targets, rcond=None)
    return np.abs(basis @ coef - targets).max(axis=0)


def affine_rank(matrix: np.ndarray) -> int:
    """Rank of ``[1, matrix]``: how many independent features (with the constant) the data hold."""
    return int(np.linalg.matrix_rank(np.column_stack([np.ones(len(matrix)), matrix])))
