"""Chapter 4 in a few calls: feature spaces of the GeSn2N4 band gap, their OMP paths and CV.

The methods (icet cluster vectors, polynomial features, OMP paths, nested CV) live in
:mod:`howbig.methods.cluster_expansion`; this module holds what only the chapter needs: a file
cache of the cluster vectors, one :class:`FeatureSpacePath` per (cluster pool, degree), a paired
fold-by-fold comparison of two spaces, and the Ag-Pd sanity check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from ase.build import bulk
from scipy.stats import t as student_t
from tqdm.auto import tqdm

from howbig.data.fetch import cache_dir
from howbig.data.sources.agpd import load_agpd_reference
from howbig.methods.cluster_expansion import (
    NestedCV,
    OMPPath,
    PolynomialFeatures,
    cluster_vectors,
    omp_cv_path,
    omp_nested_cv,
    omp_path,
    orbit_table,
    spinel_cluster_space,
)

__all__ = [
    "AgPdBaseline",
    "FeatureSpacePath",
    "FoldComparison",
    "agpd_baseline",
    "best_nested",
    "cached_cluster_vectors",
    "compare_folds",
    "cv_summary",
    "feature_space_paths",
    "fit_paths_over_subsets",
]


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


@dataclass
class FeatureSpacePath:
    """One CE feature space (a cluster pool at one polynomial degree) and its OMP path.

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
        The OMP path over the distinct columns, with K-fold CV errors per size.
    nested
        Nested CV of "choose the size by inner CV, then fit" (``None`` if not computed).
    matrix
        The distinct feature columns.
    """

    pool: str
    degree: int
    p: int
    n_nominal: int
    n_distinct: int
    terms: np.ndarray
    path: OMPPath
    nested: NestedCV | None = None
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
    inner_splits: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> dict[tuple[str, int], FeatureSpacePath]:
    """OMP paths (fit and CV RMSE per size) for every ``(pool, degree)`` in ``spaces``.

    Parameters
    ----------
    pools
        Base features per pool name: cluster vectors *without* the empty-cluster column.
    y
        Targets.
    spaces
        ``(pool name, degree)`` pairs; degree 1 is the standard CE.
    max_features, n_splits, seed
        Longest path, number of CV folds and the folds' seed (the same folds for every space).
    inner_splits
        Folds of the inner CV of :func:`~howbig.methods.cluster_expansion.omp_nested_cv`;
        ``None`` skips the nested CV.
    """
    items: Sequence[tuple[str, int]] | Iterator[tuple[str, int]] = spaces
    if progress:
        items = tqdm(spaces, desc="feature spaces", leave=False)
    out = {}
    for pool, degree in items:
        feats = PolynomialFeatures(pools[pool], degree)
        terms, matrix = feats.distinct()
        path = omp_cv_path(matrix, y, max_features=max_features, n_splits=n_splits, seed=seed)
        nested = None if inner_splits is None else omp_nested_cv(
            matrix, y, max_features=max_features, n_splits=n_splits, inner_splits=inner_splits,
            seed=seed)
        out[(pool, degree)] = FeatureSpacePath(pool, degree, feats.p, feats.n_features,
                                               matrix.shape[1], terms, path, nested, matrix)
    return out


@dataclass(frozen=True)
class FoldComparison:
    """Paired comparison of two feature spaces' nested-CV errors on the same outer folds.

    Attributes
    ----------
    difference
        Mean over folds of ``rmse(a) - rmse(b)`` (units of the targets).
    stderr
        Standard error of that mean (fold standard deviation / sqrt(n)).
    n
        Number of folds.
    low, high
        95% t-interval of the mean difference (``n - 1`` degrees of freedom). The folds'
        training sets overlap, so their differences are correlated and the interval is too
        narrow rather than too wide.
    """

    difference: float
    stderr: float
    n: int
    low: float
    high: float

    @property
    def word(self) -> str:
        """``"lower than"`` or ``"higher than"`` when the interval excludes 0, else
        ``"indistinguishable from"``."""
        if self.high < 0:
            return "lower than"
        if self.low > 0:
            return "higher than"
        return "indistinguishable from"


def compare_folds(a: FeatureSpacePath, b: FeatureSpacePath) -> FoldComparison:
    """Fold-by-fold nested-CV error of ``a`` minus ``b`` (both need ``nested``, same folds)."""
    if a.nested is None or b.nested is None:
        raise ValueError("both feature spaces need a nested CV (inner_splits=...)")
    diff = a.nested.fold_rmse - b.nested.fold_rmse
    n = len(diff)
    mean, stderr = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(n))
    half = float(student_t.ppf(0.975, n - 1)) * stderr
    return FoldComparison(mean, stderr, n, mean - half, mean + half)


@dataclass(frozen=True)
class AgPdBaseline:
    """Standard CE of icet's Ag-Pd mixing energies (meV/atom)."""

    n_structures: int
    n_orbits: int
    std: float
    cv_rmse: float
    cv_fold_spread: float
    best_size: int
    fit_rmse: float
    nested: NestedCV


def agpd_baseline(cutoffs: Sequence[float] = (13.5, 6.0, 5.5), *, n_splits: int = 5,
                  inner_splits: int = 5, seed: int = 0) -> AgPdBaseline:
    """Standard CE of the mixing energy of icet's Ag-Pd reference data (``icet_agpd_reference``).

    An fcc ClusterSpace with ``cutoffs``; OMP path over all orbits with K-fold CV, and the
    nested CV of the size choice.
    """
    from icet import ClusterSpace  # deferred: icet takes ~0.25 s; only this baseline needs it

    structures, y = load_agpd_reference()
    cs = ClusterSpace(bulk("Ag", a=4.09), list(cutoffs), [["Ag", "Pd"]])
    cv = cluster_vectors(cs, structures)
    k_max = cv.shape[1] - 1
    path = omp_cv_path(cv[:, 1:], y, max_features=k_max, n_splits=n_splits, seed=seed)
    nested = omp_nested_cv(cv[:, 1:], y, max_features=k_max, n_splits=n_splits,
                           inner_splits=inner_splits, seed=seed)
    best = path.best("cv")
    return AgPdBaseline(
        n_structures=len(y), n_orbits=k_max, std=1000 * float(y.std()),
        cv_rmse=1000 * float(np.nanmin(path.cv_rmse)),
        cv_fold_spread=1000 * float(np.std(path.fold_rmse[:, best - 1], ddof=1)),
        best_size=best, fit_rmse=1000 * float(path.fit_rmse[best - 1]), nested=nested)


def fit_paths_over_subsets(
    pools: dict[str, np.ndarray],
    y: np.ndarray,
    spaces: Sequence[tuple[str, int]],
    *,
    size: int,
    seeds: Sequence[int],
    max_features: int = 200,
) -> dict[tuple[str, int], list[OMPPath]]:
    """Fit-only OMP paths of every space on random subsets of ``size`` rows, one per seed.

    The spread of a fit statistic (a plateau size, an RMSE) over these subsets is its
    uncertainty from the choice of the paper-sized sample.
    """
    out: dict[tuple[str, int], list[OMPPath]] = {key: [] for key in spaces}
    for seed in seeds:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), size=size, replace=False))
        for pool, degree in spaces:
            _, matrix = PolynomialFeatures(pools[pool][rows], degree).distinct()
            out[(pool, degree)].append(omp_path(matrix, y[rows], max_features=max_features))
    return out


def cv_summary(runs: dict[str, dict[tuple[str, int], FeatureSpacePath]]) -> pd.DataFrame:
    """One row per (data, pool, degree): fit, optimistic CV minimum and nested CV (meV).

    ``min CV`` is the lowest pooled CV RMSE over sizes (biased low: the size was chosen on the
    same folds); ``nested CV`` is :class:`NestedCV` ``rmse`` with the standard deviation over
    the outer folds, and the range of sizes the inner CV chose.
    """
    rows = []
    for label, run in runs.items():
        for (pool, degree), s in run.items():
            row = {"data": label, "pool": pool, "degree d": degree,
                   "best fit RMSE (meV)": 1000 * np.nanmin(s.path.fit_rmse),
                   "min CV RMSE (meV)": 1000 * np.nanmin(s.path.cv_rmse),
                   "size at min CV": s.path.best("cv")}
            if s.nested is not None:
                sizes = s.nested.chosen_sizes
                row["nested CV RMSE (meV)"] = 1000 * s.nested.rmse
                row["fold std (meV)"] = 1000 * s.nested.spread
                row["sizes chosen"] = f"{sizes.min()}-{sizes.max()}"
            rows.append(row)
    return pd.DataFrame(rows).set_index(["data", "pool", "degree d"])


def best_nested(run: dict[tuple[str, int], FeatureSpacePath],
                pool: str | None = None) -> FeatureSpacePath:
    """The feature space (of ``pool``, or of all pools) with the lowest nested CV RMSE."""
    members = [s for (p, _), s in run.items() if (pool is None or p == pool) and s.nested]
    if not members:
        raise ValueError("no feature space with a nested CV")
    return min(members, key=lambda s: s.nested.rmse)  # type: ignore[union-attr]
