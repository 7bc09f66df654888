"""SISSO: sure independence screening and sparsifying operator (Ouyang et al. 2018), in numpy.

A scikit-learn-compatible symbolic regressor:

1. **Feature construction** (:mod:`howbig.methods.models.sisso_features`). Operators applied rung
   by rung to the primary features; invalid, duplicate and (with ``units``) dimensionally
   inconsistent candidates dropped.
2. **Sure independence screening (SIS).** The score of every candidate is
   ``|Z^T r| / n`` with ``Z`` the standardized candidate matrix and ``r`` the centred residual: one
   matrix product per block. The last rung is never stored: it is generated block by block and
   only the best-scoring candidates are kept, so memory scales with the stored rungs only.
3. **Sparsifying operator (l0).** For dimension ``d`` the union of all screened subspaces is
   searched exhaustively over all ``d``-subsets. The least-squares problems are solved in batches
   through the normal equations (a ``(C, d, d)`` stack of Gram sub-matrices, one
   ``numpy.linalg.solve`` call per batch).
4. **Iterations.** Dimension ``d`` screens against the residual of the best ``(d-1)``-dimensional
   model, as in Ouyang et al. (2018).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(1, 2, size=(60, 3))
>>> y = 2 * X[:, 0] * X[:, 1] - 0.5 / X[:, 2] + 1
>>> model = SissoRegressor(max_rung=1, n_dim=2, n_sis=10).fit(X, y)
>>> model.formula(digits=3)
'y = +2 * (x1 * x0) -0.5 * (1 / x2) +1'
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from howbig.methods.models.sisso_features import (
    DEFAULT_OPERATORS,
    CandidateGenerator,
    CandidateSpace,
    Tree,
    evaluate,
    expression,
    tree_depth,
    unit_matrix,
)

__all__ = [
    "SissoRegressor",
    "l0_search",
    "n_combinations",
    "sis_scores",
]


def sis_scores(values: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """SIS scores ``|Z^T r| / (n * std(r))`` (absolute Pearson correlations) of the columns.

    Parameters
    ----------
    values
        ``(n_samples, n_features)`` candidate values (finite, non-constant columns).
    residual
        ``(n_samples,)`` target or residual.
    """
    r = residual - residual.mean()  # centring r suffices: sum(r) = 0 removes the column means
    return np.abs(values.T @ r) / (len(r) * values.std(axis=0) * (r.std() + 1e-300))


def n_combinations(n: int, d: int) -> int:
    """Number of ``d``-subsets of ``n`` candidates: the size of the l0 search."""
    return math.comb(n, d)


def _combinations(n: int, d: int, chunk: int) -> Iterator[np.ndarray]:
    it = itertools.combinations(range(n), d)
    while True:
        block = np.fromiter(itertools.chain.from_iterable(itertools.islice(it, chunk)),
                            dtype=np.int64)
        if block.size == 0:
            return
        yield block.reshape(-1, d)


def l0_search(X: np.ndarray, y: np.ndarray, d: int, fit_intercept: bool = True,
              chunk: int = 65536) -> tuple[np.ndarray, float, int]:
    """Exhaustive search for the ``d`` columns of ``X`` with the smallest least-squares error.

    All ``C(m, d)`` subsets are solved in batches through the normal equations.

    Returns
    -------
    best
        Column indices of the best subset.
    sse
        Its sum of squared residuals.
    n_solved
        Number of least-squares problems solved.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if fit_intercept:
        mu, sd = X.mean(axis=0), X.std(axis=0)
        Xs = (X - mu) / np.where(sd > 0, sd, 1.0)
        yc = y - y.mean()
    else:
        sd = np.sqrt((X**2).mean(axis=0))
        Xs = X / np.where(sd > 0, sd, 1.0)
        yc = y
    gram = Xs.T @ Xs
    b = Xs.T @ yc
    total = float(yc @ yc)
    best_sse, best, n_solved = np.inf, None, 0
    eye = np.eye(d) * 1e-10 * len(y)
    for idx in _combinations(X.shape[1], d, chunk):
        g = gram[idx[:, :, None], idx[:, None, :]] + eye
        bb = b[idx]
        w = np.linalg.solve(g, bb[..., None])[..., 0]
        sse = total - np.einsum("cd,cd->c", bb, w)
        k = int(np.argmin(sse))
        n_solved += len(idx)
        if sse[k] < best_sse - 1e-12 * max(total, 1e-300):
            best_sse, best = float(sse[k]), idx[k].copy()
    if best is None:
        raise ValueError(f"l0 search over {X.shape[1]} candidates found no {d}-subset")
    return best, max(best_sse, 0.0), n_solved


class SissoRegressor(RegressorMixin, BaseEstimator):
    """Symbolic regression by SISSO (Ouyang et al., Phys. Rev. Mater. 2, 083802, 2018).

    Parameters
    ----------
    operators
        Names from :data:`UNARY_OPERATORS` and :data:`BINARY_OPERATORS`.
    max_rung
        Largest depth of the feature trees (0 to 3).
    n_dim
        Dimension of the final model (number of descriptors, bias not counted).
    n_sis
        Features selected by screening per dimension (the l0 subspace grows by this much).
    fit_intercept
        Fit a constant bias.
    units
        Optional units of the primary features, e.g. ``[{"eV": 1}, {"A": 1}, {}]``; enables the
        dimensional checks.
    feature_names
        Names of the primary features (default ``x0, x1, ...`` or the DataFrame's columns).
    max_abs, min_abs
        Candidates with ``max |value|`` above ``max_abs`` or below ``min_abs`` are dropped.
    max_stored
        Upper bound on the number of stored (non-last-rung) features; a ``ValueError`` explains
        what to reduce when it is exceeded.
    block_elements
        Candidate values (samples x features) generated and screened per block.
    """

    def __init__(self, operators: Sequence[str] = DEFAULT_OPERATORS, max_rung: int = 2,
                 n_dim: int = 2, n_sis: int = 20, fit_intercept: bool = True,
                 units: Sequence[dict[str, float]] | None = None,
                 feature_names: Sequence[str] | None = None, max_abs: float = 1e50,
                 min_abs: float = 1e-50, max_stored: int = 300_000,
                 block_elements: int = 4_000_000) -> None:
        self.operators = operators
        self.max_rung = max_rung
        self.n_dim = n_dim
        self.n_sis = n_sis
        self.fit_intercept = fit_intercept
        self.units = units
        self.feature_names = feature_names
        self.max_abs = max_abs
        self.min_abs = min_abs
        self.max_stored = max_stored
        self.block_elements = block_elements

    # ----------------------------------------------------------------------------- helpers
    def _generator(self) -> CandidateGenerator:
        return CandidateGenerator(self.operators, self.units, self.max_abs, self.min_abs,
                                  self.max_stored, self.block_elements)

    def _screen(self, gen: CandidateGenerator, space: CandidateSpace, residual: np.ndarray,
                k: int, dimensional: bool, exclude: np.ndarray | None
                ) -> tuple[np.ndarray, list[Tree]]:
        """The ``k`` best-scoring unique candidates of all rungs (the last generated on the fly)."""
        pool_scores: list[np.ndarray] = []
        pool_vals: list[np.ndarray] = []
        pool_trees: list[Tree] = []
        budget = 4 * k + 8

        def offer(vals: np.ndarray, decode: Any) -> None:
            ok = np.flatnonzero(gen.valid(vals))
            self.n_evaluated_ += vals.shape[1]
            if ok.size == 0:
                return
            s = sis_scores(vals[:, ok], residual)
            top = ok[np.argsort(-s)[:budget]]
            pool_scores.append(np.sort(s)[::-1][:budget])
            pool_vals.append(vals[:, top])
            pool_trees.extend(decode(int(t)) for t in top)

        offer(space.values, lambda t: space.trees[t])
        if self.max_rung > 0:
            for vals, _, decode in gen.rung_blocks(space, self.max_rung, dimensional):
                offer(vals, decode)
                if len(pool_trees) > 20 * budget:  # compact the pool
                    self._compact(pool_scores, pool_vals, pool_trees, budget)
        scores = np.concatenate(pool_scores)
        vals = np.column_stack(pool_vals)
        # best score first; among (numerically) equal scores the shallower tree, so that a
        # primary feature wins over a deeper expression with the same values
        depths = np.array([tree_depth(t) for t in pool_trees])
        order = np.lexsort((depths, -np.round(scores, 12)))
        # greedy: drop candidates that are affine images of a better one or of an excluded one
        z = vals - vals.mean(axis=0)
        z /= np.linalg.norm(z, axis=0)
        chosen: list[int] = []
        ref = None
        if exclude is not None and exclude.size:
            ref = exclude - exclude.mean(axis=0)
            ref /= np.linalg.norm(ref, axis=0)
        for j in order:
            if ref is not None and np.max(np.abs(ref.T @ z[:, j])) > 1 - 1e-9:
                continue
            if chosen and np.max(np.abs(z[:, chosen].T @ z[:, j])) > 1 - 1e-9:
                continue
            chosen.append(int(j))
            if len(chosen) == k:
                break
        return vals[:, chosen], [pool_trees[j] for j in chosen]

    @staticmethod
    def _compact(scores: list, vals: list, trees: list, budget: int) -> None:
        s = np.concatenate(scores)
        v = np.column_stack(vals)
        keep = np.argsort(-s, kind="stable")[: 4 * budget]
        kept_trees = [trees[j] for j in keep]
        scores[:] = [s[keep]]
        vals[:] = [v[:, keep]]
        trees[:] = kept_trees

    # --------------------------------------------------------------------------------- API
    def fit(self, X: Any, y: Any) -> SissoRegressor:
        """Build the feature space, then screen and search dimension by dimension."""
        if not 0 <= self.max_rung <= 3:
            raise ValueError(f"max_rung must be 0..3, got {self.max_rung}")
        if self.n_dim < 1 or self.n_sis < 1:
            raise ValueError("n_dim and n_sis must be positive")
        names = self.feature_names
        if names is None and hasattr(X, "columns"):
            names = [str(c) for c in X.columns]
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (n_samples, n_features) matching y; got {X.shape}, "
                             f"{y.shape}")
        self.names_ = list(names) if names is not None else [f"x{k}" for k in range(X.shape[1])]
        self.n_features_in_ = X.shape[1]
        _, dimensional = unit_matrix(self.units, X.shape[1])
        gen = self._generator()
        start = time.perf_counter()
        self.n_evaluated_ = 0
        self.n_solved_ = 0
        space = gen.build(X, self.max_rung)
        self.n_stored_ = space.values.shape[1]
        sub_vals = np.empty((len(y), 0))
        sub_trees: list[Tree] = []
        residual = y.copy()
        self.models_: list[dict] = []
        for d in range(1, self.n_dim + 1):
            vals, trees = self._screen(gen, space, residual, self.n_sis, dimensional, sub_vals)
            sub_vals = np.column_stack([sub_vals, vals])
            sub_trees += trees
            if sub_vals.shape[1] < d:
                break
            best, _, solved = l0_search(sub_vals, y, d, self.fit_intercept)
            self.n_solved_ += solved
            coef, intercept = self._lstsq(sub_vals[:, best], y)
            residual = y - sub_vals[:, best] @ coef - intercept
            self.models_.append({
                "dimension": d, "trees": [sub_trees[b] for b in best], "coef": coef,
                "intercept": intercept, "rmse": float(np.sqrt(np.mean(residual**2))),
                "descriptors": [expression(sub_trees[b], self.names_) for b in best],
            })
        self.subspace_size_ = sub_vals.shape[1]
        self.fit_seconds_ = time.perf_counter() - start
        final = self.models_[-1]
        self.trees_ = final["trees"]
        self.coef_ = final["coef"]
        self.intercept_ = final["intercept"]
        self.descriptors_ = final["descriptors"]
        return self

    def _lstsq(self, D: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        if self.fit_intercept:
            A = np.column_stack([D, np.ones(len(y))])
            sol = np.linalg.lstsq(A, y, rcond=None)[0]
            return sol[:-1], float(sol[-1])
        return np.linalg.lstsq(D, y, rcond=None)[0], 0.0

    def predict(self, X: Any, dimension: int | None = None) -> np.ndarray:
        """Predictions of the final model (or of the model of the given ``dimension``)."""
        check_is_fitted(self, "coef_")
        X = np.asarray(X, dtype=float)
        model = self.models_[-1] if dimension is None else self.models_[dimension - 1]
        out = np.full(len(X), model["intercept"], dtype=float)
        for tree, c in zip(model["trees"], model["coef"], strict=True):
            out += c * evaluate(tree, X)
        return out

    def formula(self, dimension: int | None = None, digits: int = 4) -> str:
        """The fitted model as a formula string."""
        check_is_fitted(self, "coef_")
        model = self.models_[-1] if dimension is None else self.models_[dimension - 1]
        terms = [f"{c:+.{digits}g} * {e}" for c, e in zip(model["coef"], model["descriptors"],
                                                         strict=True)]
        if self.fit_intercept:
            terms.append(f"{model['intercept']:+.{digits}g}")
        return "y = " + " ".join(terms)

    @property
    def rung_(self) -> int:
        """Largest depth of the selected descriptors' trees."""
        check_is_fitted(self, "trees_")
        return max(tree_depth(t) for t in self.trees_)
