"""Cluster expansion (CE): icet cluster vectors, polynomial (nonlinear) features and OMP paths.

Section 4 of Speckhard et al. (2025) compares a *standard* CE, a linear model in the cluster
correlations :math:`X_c`, with a *nonlinear* CE whose features are all monomials of the
correlations up to degree :math:`d`; sparse models of every size are chosen by orthogonal matching
pursuit (OMP). This module provides the three ingredients:

* :func:`spinel_cluster_space` / :func:`cluster_vectors`: icet correlations for configurations of a
  fixed supercell (one icet calculator per supercell, re-used for every configuration);
* :class:`PolynomialFeatures`: the monomials of degree 1..d of p base features, enumerated lazily,
  built in blocks, with exact duplicates dropped on the fly (they never reach memory);
* :func:`omp_path` / :func:`omp_cv_path`: one scikit-learn OMP path (``return_path=True``) per
  feature space (and per CV fold), giving the fit and the cross-validated RMSE of every model size.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

__all__ = [
    "FeatureSpace",
    "OMPPath",
    "PolynomialFeatures",
    "affine_rank",
    "agpd_baseline",
    "cached_cluster_vectors",
    "cell_crosscheck",
    "cluster_vectors",
    "feature_space_paths",
    "ge_cluster_counts",
    "omp_cv_path",
    "omp_path",
    "orbit_table",
    "plateau_size",
    "polynomial_feature_count",
    "span_residuals",
    "spinel_cluster_space",
    "spinel_primitive",
]


# --------------------------------------------------------------------------------------------
# cluster spaces and cluster vectors
# --------------------------------------------------------------------------------------------
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
    from icet.tools.geometry import get_primitive_structure

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
    from icet import ClusterSpace

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
        from tqdm.auto import tqdm

        items = tqdm(structures, desc="cluster vectors", leave=False)
    return np.array([cluster_space.get_cluster_vector(a) for a in items])


def _fingerprint(structures: Sequence[Atoms]) -> str:
    digest = hashlib.sha256()
    for a in structures:
        digest.update(a.numbers.tobytes())
        digest.update(np.round(a.get_scaled_positions(), 5).tobytes())
        digest.update(np.round(a.cell[:], 5).tobytes())
    return digest.hexdigest()[:16]


def cached_cluster_vectors(
    reference: Atoms,
    cutoffs: Sequence[float],
    structures: Sequence[Atoms],
    *,
    cache: Path | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cluster vectors and the orbit table, cached under ``<data cache>/ce/`` (npz + csv).

    The cache key pins the cutoffs and every structure's species, positions and cell, so a
    change in any of them recomputes.

    Returns
    -------
    (cluster vectors of shape (n, K), orbit table with K rows)
    """
    if cache is None:
        from howbig.data.fetch import cache_dir

        cache = cache_dir() / "ce"
    key = hashlib.sha256(
        repr((2, tuple(float(c) for c in cutoffs), _fingerprint([reference]),
              _fingerprint(structures))).encode()
    ).hexdigest()[:16]
    npz, csv = cache / f"cv-{key}.npz", cache / f"orbits-{key}.csv"
    if npz.is_file() and csv.is_file():
        return np.load(npz)["cv"], pd.read_csv(csv)
    cs = spinel_cluster_space(reference, cutoffs)
    cv = cluster_vectors(cs, structures, progress=progress)
    table = orbit_table(cs).reset_index(drop=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(npz, cv=cv)
    table.to_csv(csv, index=False)
    return cv, table


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
    from ase.data import atomic_numbers

    if not structures:
        return np.zeros((0, len(cluster_space)), dtype=int)
    reference = structures[0]
    supercell = cluster_space.orbit_list.get_supercell_orbit_list(
        reference, cluster_space.fractional_position_tolerance)
    n_orbits = len(cluster_space.orbit_list)
    target = atomic_numbers[species]
    items: Sequence[Atoms] | Iterator[Atoms] = structures
    if progress:
        from tqdm.auto import tqdm

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


# --------------------------------------------------------------------------------------------
# polynomial features
# --------------------------------------------------------------------------------------------
def polynomial_feature_count(p: int, d: int, *, include_constant: bool = False) -> int:
    r"""Monomials of ``p`` variables of degree 0..d: :math:`\sum_{k=0}^d \binom{p+k-1}{k}`.

    The paper's formula; ``include_constant=False`` drops the k = 0 term (p = 27: 405 at d = 2,
    4,059 at d = 3).
    """
    if p < 0 or d < 0:
        raise ValueError(f"p and d must be non-negative, got p={p}, d={d}")
    total = sum(comb(p + k - 1, k) for k in range(0, d + 1)) if p > 0 else 1
    return total if include_constant else total - 1


@dataclass
class PolynomialFeatures:
    """All monomials of degree 1..``degree`` of the columns of ``base``, built lazily.

    Terms are tuples of base-column indices (with repetition), in graded order: degree 1, then 2,
    ... (``combinations_with_replacement`` order within a degree). Nothing is built until asked
    for: :meth:`columns` builds chosen terms only, :meth:`blocks` yields the matrix in column
    blocks, and :meth:`distinct` keeps only the first of every set of columns that are equal up
    to centring and scale (OMP cannot tell those apart), so duplicates never reach memory.

    Parameters
    ----------
    base
        (n, p) base features (cluster correlations without the empty cluster).
    degree
        Highest degree d.
    names
        Optional names of the base columns (for :meth:`term_names`).
    """

    base: np.ndarray
    degree: int
    names: Sequence[str] | None = None
    _distinct: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.base = np.asarray(self.base, dtype=float)
        if self.base.ndim != 2:
            raise ValueError(f"base must be 2-d (n, p), got shape {self.base.shape}")
        if self.degree < 1:
            raise ValueError(f"degree must be >= 1, got {self.degree}")

    @property
    def p(self) -> int:
        """Number of base features."""
        return self.base.shape[1]

    @property
    def n_features(self) -> int:
        """Number of monomials (the paper's formula without the constant)."""
        return polynomial_feature_count(self.p, self.degree)

    def terms(self) -> Iterator[tuple[int, ...]]:
        """All terms, lazily, in graded order."""
        for k in range(1, self.degree + 1):
            yield from itertools.combinations_with_replacement(range(self.p), k)

    def term(self, index: int) -> tuple[int, ...]:
        """The term at position ``index`` (without enumerating the ones before it in memory)."""
        return next(itertools.islice(self.terms(), index, None))

    def term_names(self, indices: Sequence[int]) -> list[str]:
        """Readable names (e.g. ``X3*X7^2``) of terms at ``indices``."""
        names = list(self.names) if self.names is not None else [f"X{i}" for i in range(self.p)]
        wanted = sorted(set(int(i) for i in indices))
        found: dict[int, str] = {}
        for pos, t in enumerate(self.terms()):
            if pos in wanted:
                parts = [names[i] + (f"^{t.count(i)}" if t.count(i) > 1 else "")
                         for i in sorted(set(t))]
                found[pos] = "*".join(parts)
                if len(found) == len(wanted):
                    break
        return [found[int(i)] for i in indices]

    def _build(self, terms: Sequence[tuple[int, ...]],
               rows: np.ndarray | None = None) -> np.ndarray:
        base = self.base if rows is None else self.base[rows]
        out = np.empty((base.shape[0], len(terms)))
        for k in range(1, self.degree + 1):
            sel = [i for i, t in enumerate(terms) if len(t) == k]
            if sel:
                idx = np.array([terms[i] for i in sel])
                out[:, sel] = np.prod(base[:, idx], axis=2)
        return out

    def columns(self, indices: Sequence[int], rows: np.ndarray | None = None) -> np.ndarray:
        """Build only the terms at ``indices`` (optionally for ``rows`` only)."""
        wanted = {int(i): None for i in indices}
        bad = [i for i in wanted if not 0 <= i < self.n_features]
        if bad:
            raise IndexError(f"term indices {bad} out of range 0..{self.n_features - 1}")
        for pos, t in enumerate(self.terms()):
            if pos in wanted:
                wanted[pos] = t
        return self._build([wanted[int(i)] for i in indices], rows)  # type: ignore[misc]

    def blocks(self, size: int = 2048) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(term indices, columns)`` in blocks of ``size`` terms."""
        terms = self.terms()
        start = 0
        while True:
            chunk = list(itertools.islice(terms, size))
            if not chunk:
                return
            yield np.arange(start, start + len(chunk)), self._build(chunk)
            start += len(chunk)

    def matrix(self, max_bytes: float = 2e9) -> np.ndarray:
        """The full (n, n_features) matrix; refuses above ``max_bytes`` (use :meth:`distinct`)."""
        need = self.base.shape[0] * self.n_features * 8
        if need > max_bytes:
            raise MemoryError(
                f"{self.n_features:,} features x {self.base.shape[0]} rows need "
                f"{need / 1e9:.1f} GB;"
                " use PolynomialFeatures.distinct() or blocks() instead"
            )
        return np.hstack([b for _, b in self.blocks()])

    def distinct(self, decimals: int = 9) -> tuple[np.ndarray, np.ndarray]:
        """Columns that differ after centring and scaling, and their term indices.

        Built block by block: a column equal (up to centring, scale and sign) to one kept
        before, or constant on the data, is dropped before the next block is built. The result
        spans the same models for OMP (which normalises columns and fits an intercept).

        Returns
        -------
        (term indices of the kept columns, (n, q_distinct) matrix of the kept columns)
        """
        if self._distinct is not None:
            return self._distinct
        seen: set[bytes] = set()
        kept_idx: list[np.ndarray] = []
        kept_cols: list[np.ndarray] = []
        for idx, cols in self.blocks():
            z = cols - cols.mean(axis=0)
            norm = np.linalg.norm(z, axis=0)
            scale = np.maximum(np.abs(z).max(axis=0), 1e-300)
            keep = []
            for j in range(z.shape[1]):
                if norm[j] <= 1e-9 * max(1.0, np.abs(cols[:, j]).max()):
                    continue
                u = z[:, j] / norm[j]
                first = u[np.argmax(np.abs(z[:, j]) > 1e-9 * scale[j])]
                u = np.round(u * np.sign(first), decimals) + 0.0
                h = u.tobytes()
                if h not in seen:
                    seen.add(h)
                    keep.append(j)
            kept_idx.append(idx[keep])
            kept_cols.append(cols[:, keep])
        self._distinct = (np.concatenate(kept_idx), np.hstack(kept_cols))
        return self._distinct


# --------------------------------------------------------------------------------------------
# OMP paths
# --------------------------------------------------------------------------------------------
@dataclass
class OMPPath:
    """An OMP path: models with 1..``n_steps`` features and their errors.

    Attributes
    ----------
    sizes
        1..max_features (length ``max_features``).
    fit_rmse
        Training RMSE of the model with k features (NaN beyond the path's end).
    cv_rmse
        Cross-validated RMSE (NaN if not computed); pooled over the folds.
    order
        Column indices (into the matrix given to :func:`omp_path`) in the order OMP added them.
    n_steps
        Number of steps the path reached (less than ``max_features`` when the dictionary's rank,
        or the number of samples, runs out).
    n_candidates
        Number of candidate columns.
    """

    sizes: np.ndarray
    fit_rmse: np.ndarray
    cv_rmse: np.ndarray
    order: np.ndarray
    n_steps: int
    n_candidates: int
    coefs: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    intercepts: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def predict(self, features: np.ndarray, k: int) -> np.ndarray:
        """Predictions of the model with ``k`` features for rows of the same matrix."""
        k = min(k, self.n_steps)
        return features @ self.coefs[:, k - 1] + self.intercepts[k - 1]

    def best(self, which: str = "fit") -> int:
        """Model size with the lowest ``fit`` or ``cv`` RMSE."""
        values = self.fit_rmse if which == "fit" else self.cv_rmse
        return int(self.sizes[np.nanargmin(values)])


def _path(features: np.ndarray, y: np.ndarray, max_features: int, rank_tol: float = 1e-6):
    """OMP path on centred, unit-norm columns; returns (coefs in original units, intercepts)."""
    from sklearn.linear_model import orthogonal_mp

    mean_x = features.mean(axis=0)
    z = features - mean_x
    norm = np.linalg.norm(z, axis=0)
    usable = norm > 1e-12 * max(1.0, float(np.abs(features).max(initial=0.0)))
    cols = np.flatnonzero(usable)
    zn = z[:, cols] / norm[cols]
    y_mean = float(y.mean())
    k = int(min(max_features, zn.shape[1], zn.shape[0] - 1))
    if k < 1:
        return np.zeros((features.shape[1], 0)), np.zeros(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*linear dependence.*")
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        path = orthogonal_mp(zn, y - y_mean, n_nonzero_coefs=k, return_path=True, copy_X=True)
    path = np.asarray(path)
    if path.ndim == 1:
        path = path[:, None]
    # a step that added no new atom (premature end) repeats the previous model: cut it
    nnz = (path != 0).sum(axis=0)
    steps = int(np.max(np.flatnonzero(np.diff(np.r_[0, nnz]) > 0), initial=-1)) + 1
    path = path[:, :steps]
    # scikit-learn only stops when a new atom is dependent to machine precision; stop where it
    # is dependent to a practical tolerance (its part orthogonal to the chosen ones < rank_tol)
    chosen = _order(path)
    if chosen.size:
        r = np.abs(np.diag(np.linalg.qr(zn[:, chosen], mode="r")))
        dependent = np.flatnonzero(r < rank_tol)
        if dependent.size:
            steps = int(dependent[0])
            path = path[:, :steps]
    coefs = np.zeros((features.shape[1], steps))
    coefs[cols] = path / norm[cols, None]
    intercepts = y_mean - mean_x @ coefs
    return coefs, intercepts


def _order(coefs: np.ndarray) -> np.ndarray:
    order: list[int] = []
    for s in range(coefs.shape[1]):
        new = [int(i) for i in np.flatnonzero(coefs[:, s]) if int(i) not in order]
        order.extend(new)
    return np.array(order, dtype=int)


def omp_path(features: np.ndarray, y: np.ndarray, *, max_features: int = 200) -> OMPPath:
    """The OMP path (1..``max_features`` features) on all data, with its fit RMSE per size.

    Columns are centred and scaled to unit norm (an intercept is always fitted); constant
    columns are ignored. One call to :func:`sklearn.linear_model.orthogonal_mp` with
    ``return_path=True`` gives every model size at once.
    """
    features = np.asarray(features, dtype=float)
    y = np.asarray(y, dtype=float)
    coefs, intercepts = _path(features, y, max_features)
    steps = coefs.shape[1]
    fit = np.full(max_features, np.nan)
    if steps:
        pred = features @ coefs + intercepts
        fit[:steps] = np.sqrt(np.mean((pred - y[:, None]) ** 2, axis=0))
    return OMPPath(
        sizes=np.arange(1, max_features + 1), fit_rmse=fit, cv_rmse=np.full(max_features, np.nan),
        order=_order(coefs), n_steps=steps, n_candidates=features.shape[1],
        coefs=coefs, intercepts=intercepts,
    )


def omp_cv_path(features: np.ndarray, y: np.ndarray, *, max_features: int = 200,
                n_splits: int = 5, seed: int = 0) -> OMPPath:
    """:func:`omp_path` plus the K-fold cross-validated RMSE of every model size.

    One OMP path per training fold (the selection is redone inside every fold, so the CV error
    includes the selection's variance); the held-out squared errors of all folds are pooled.
    Sizes a fold's path did not reach reuse that fold's largest model.
    """
    from sklearn.model_selection import KFold

    result = omp_path(features, y, max_features=max_features)
    features = np.asarray(features, dtype=float)
    y = np.asarray(y, dtype=float)
    sq = np.zeros(max_features)
    for train, test in KFold(n_splits, shuffle=True, random_state=seed).split(features):
        coefs, intercepts = _path(features[train], y[train], max_features)
        if coefs.shape[1] == 0:
            pred = np.full((len(test), max_features), y[train].mean())
        else:
            pred = features[test] @ coefs + intercepts
            if pred.shape[1] < max_features:
                pred = np.hstack([pred, np.repeat(pred[:, -1:], max_features - pred.shape[1], 1)])
        sq += ((pred - y[test, None]) ** 2).sum(axis=0)
    result.cv_rmse = np.sqrt(sq / len(y))
    return result


# --------------------------------------------------------------------------------------------
# chapter-level helpers
# --------------------------------------------------------------------------------------------
@dataclass
class FeatureSpace:
    """One feature space of the chapter and its OMP path.

    Attributes
    ----------
    pool
        Name of the cluster pool (``"small"`` or ``"large"``).
    degree
        Polynomial degree (1 = standard CE).
    p
        Number of clusters in the pool (empty cluster excluded).
    n_nominal
        Number of features by the paper's formula.
    n_distinct
        Number of columns that differ on the data (what OMP can choose from).
    terms
        Term index (into :meth:`PolynomialFeatures.terms`) of every distinct column.
    path
        The OMP path over the distinct columns.
    """

    pool: str
    degree: int
    p: int
    n_nominal: int
    n_distinct: int
    terms: np.ndarray
    path: OMPPath
    matrix: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))

    def predict(self, k: int | None = None) -> np.ndarray:
        """In-sample predictions of the model with ``k`` features (default: the path's last)."""
        return self.path.predict(self.matrix, self.path.n_steps if k is None else k)

    @property
    def label(self) -> str:
        """Legend label."""
        return "standard CE" if self.degree == 1 else f"nonlinear CE, d = {self.degree}"


def feature_space_paths(
    pools: dict[str, np.ndarray],
    y: np.ndarray,
    spaces: Sequence[tuple[str, int]],
    *,
    max_features: int = 200,
    n_splits: int = 5,
    seed: int = 0,
    progress: bool = False,
) -> dict[tuple[str, int], FeatureSpace]:
    """OMP paths (fit and CV RMSE per size) for every ``(pool, degree)`` in ``spaces``.

    Parameters
    ----------
    pools
        Base features per pool name: cluster vectors *without* the empty-cluster column.
    y
        Targets.
    spaces
        ``(pool name, degree)`` pairs; degree 1 is the standard CE.
    """
    items: Sequence[tuple[str, int]] | Iterator[tuple[str, int]] = spaces
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(spaces, desc="feature spaces", leave=False)
    out = {}
    for pool, degree in items:
        feats = PolynomialFeatures(pools[pool], degree)
        terms, matrix = feats.distinct()
        path = omp_cv_path(matrix, y, max_features=max_features, n_splits=n_splits, seed=seed)
        out[(pool, degree)] = FeatureSpace(pool, degree, feats.p, feats.n_features,
                                           matrix.shape[1], terms, path, matrix)
    return out


def plateau_size(rmse: np.ndarray, fraction: float = 0.95) -> int:
    """Smallest model size that achieves ``fraction`` of the path's total RMSE reduction.

    The reduction is measured from the one-feature model to the best model on the path
    (NaN sizes ignored); a path that keeps falling steeply has its "plateau" at the end.
    """
    values = np.asarray(rmse, dtype=float)
    valid = np.flatnonzero(np.isfinite(values))
    if valid.size == 0:
        raise ValueError("rmse has no finite values")
    first, best = values[valid[0]], np.nanmin(values)
    target = first - fraction * (first - best)
    return int(valid[np.argmax(values[valid] <= target + 1e-15)] + 1)


def affine_rank(matrix: np.ndarray) -> int:
    """Rank of ``[1, matrix]``: how many independent features (with the constant) the data hold."""
    return int(np.linalg.matrix_rank(np.column_stack([np.ones(len(matrix)), matrix])))


def agpd_baseline(cutoffs: Sequence[float] = (13.5, 6.0, 5.5), *, n_splits: int = 5,
                  seed: int = 0, progress: bool = False) -> dict[str, float]:
    """Standard CE of the mixing energy of icet's Ag-Pd reference data (``icet_agpd_reference``).

    An fcc ClusterSpace with ``cutoffs``; OMP path over all orbits with K-fold CV.

    Returns
    -------
    ``n_structures``, ``n_orbits``, ``std`` (meV/atom, spread of the targets), ``cv_rmse`` (best
    CV RMSE over model sizes, meV/atom), ``best_size``, ``fit_rmse`` (of that model, meV/atom).
    """
    from ase.build import bulk
    from ase.db import connect
    from icet import ClusterSpace

    from howbig.data import fetch_file

    rows = list(connect(fetch_file("icet_agpd_reference.db")).select())
    structures = [r.toatoms() for r in rows]
    y = np.array([r.mixing_energy for r in rows], dtype=float)
    cs = ClusterSpace(bulk("Ag", a=4.09), list(cutoffs), [["Ag", "Pd"]])
    cv = cluster_vectors(cs, structures, progress=progress)
    path = omp_cv_path(cv[:, 1:], y, max_features=cv.shape[1] - 1, n_splits=n_splits, seed=seed)
    best = path.best("cv")
    return {
        "n_structures": len(y),
        "n_orbits": cv.shape[1] - 1,
        "std": 1000 * float(y.std()),
        "cv_rmse": 1000 * float(np.nanmin(path.cv_rmse)),
        "best_size": best,
        "fit_rmse": 1000 * float(path.fit_rmse[best - 1]),
    }
