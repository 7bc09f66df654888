"""SISSO: sure independence screening and sparsifying operator (Ouyang et al. 2018), in numpy.

A scikit-learn-compatible symbolic regressor:

1. **Feature construction.** Starting from the primary features (rung 0), every rung applies unary
   operators (``exp``, ``log``, ``sqrt``, powers, ...) to the features of the previous rung and
   binary operators (``+``, ``-``, ``*``, ``/``, ``|a-b|``) to pairs in which at least one member
   comes from the previous rung. Invalid features are dropped: undefined or non-finite values,
   values outside ``[min_abs, max_abs]``, constants, duplicates (features that are affine images
   of a kept one are redundant for a linear model) and, when ``units`` are given, dimensionally
   inconsistent ones (``+``/``-`` of different units, ``exp``/``log`` of dimensioned quantities).
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "BINARY_OPERATORS",
    "UNARY_OPERATORS",
    "FeatureSpace",
    "SissoRegressor",
    "evaluate",
    "expression",
    "l0_search",
    "n_combinations",
    "sis_scores",
]

Tree = tuple  # ("x", k) | (op, tree) | (op, tree, tree)

#: Unary operators: name -> (function, printed template, unit exponent factor or None = needs
#: a dimensionless argument).
UNARY_OPERATORS: dict[str, tuple[Any, str, float | None]] = {
    "exp": (np.exp, "exp({})", None),
    "nexp": (lambda a: np.exp(-a), "exp(-{})", None),
    "log": (np.log, "log({})", None),
    "sqrt": (np.sqrt, "sqrt({})", 0.5),
    "cbrt": (np.cbrt, "cbrt({})", 1.0 / 3.0),
    "inv": (lambda a: 1.0 / a, "(1 / {})", -1.0),
    "sq": (np.square, "({})^2", 2.0),
    "cb": (lambda a: a**3, "({})^3", 3.0),
    "abs": (np.abs, "|{}|", 1.0),
}
#: Binary operators: name -> (function, printed template, unit rule, commutative).
BINARY_OPERATORS: dict[str, tuple[Any, str, str, bool]] = {
    "add": (np.add, "({} + {})", "same", True),
    "sub": (np.subtract, "({} - {})", "same", True),  # b - a = -(a - b): redundant
    "mul": (np.multiply, "({} * {})", "sum", True),
    "div": (np.divide, "({} / {})", "diff", False),
    "absdiff": (lambda a, b: np.abs(a - b), "|{} - {}|", "same", True),
}
DEFAULT_OPERATORS = ("add", "sub", "mul", "div", "absdiff", "exp", "log", "sqrt", "inv", "sq")


def expression(tree: Tree, names: Sequence[str]) -> str:
    """Human-readable formula of a feature tree."""
    if tree[0] == "x":
        return names[tree[1]]
    if len(tree) == 2:
        return UNARY_OPERATORS[tree[0]][1].format(expression(tree[1], names))
    return BINARY_OPERATORS[tree[0]][1].format(expression(tree[1], names),
                                               expression(tree[2], names))


def evaluate(tree: Tree, X: np.ndarray) -> np.ndarray:
    """Values of a feature tree on the rows of ``X`` (primary features in columns)."""
    if tree[0] == "x":
        return np.asarray(X[:, tree[1]], dtype=float)
    with np.errstate(all="ignore"):
        if len(tree) == 2:
            return UNARY_OPERATORS[tree[0]][0](evaluate(tree[1], X))
        return BINARY_OPERATORS[tree[0]][0](evaluate(tree[1], X), evaluate(tree[2], X))


def n_operations(tree: Tree) -> int:
    """Number of operators in a feature tree."""
    if tree[0] == "x":
        return 0
    return 1 + sum(n_operations(t) for t in tree[1:])


def tree_depth(tree: Tree) -> int:
    """Depth of a feature tree (= the rung at which it is first generated)."""
    if tree[0] == "x":
        return 0
    return 1 + max(tree_depth(t) for t in tree[1:])


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


@dataclass
class FeatureSpace:
    """Stored features (all rungs below the last): values, trees, units.

    ``values`` is ``(n_samples, n_features)``; ``trees[k]`` and ``units[k]`` describe column ``k``;
    ``rung_start[r]`` is the first column of rung ``r``.
    """

    values: np.ndarray
    trees: list[Tree]
    units: np.ndarray
    rung_start: list[int] = field(default_factory=list)
    n_generated: int = 0  # candidates generated before validity checks


def _unit_ok(kind: str, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Dimensional consistency of a binary operation of ``ua`` with every row of ``ub``."""
    if kind == "same":
        return np.all(np.isclose(ua[None, :], ub), axis=1)
    return np.ones(len(ub), dtype=bool)


def _unit_result(kind: str, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Units of ``a op b`` for paired rows of ``ua`` and ``ub``."""
    if kind == "same":
        return ua
    if kind == "sum":
        return ua + ub
    return ua - ub  # div: a / b


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
    def _unit_matrix(self, p: int) -> tuple[np.ndarray, bool]:
        if self.units is None:
            return np.zeros((p, 1)), False
        if len(self.units) != p:
            raise ValueError(f"units has {len(self.units)} entries but X has {p} features")
        dims = sorted({k for u in self.units for k in u})
        mat = np.array([[float(u.get(k, 0.0)) for k in dims] for u in self.units])
        return (mat if dims else np.zeros((p, 1))), True

    def _valid(self, v: np.ndarray) -> np.ndarray:
        """Columns of ``v`` that are finite, within bounds and not constant."""
        with np.errstate(all="ignore"):
            hi, lo = v.max(axis=0), v.min(axis=0)  # NaN propagates into both
            mx = np.maximum(np.abs(hi), np.abs(lo))
            ok = np.isfinite(mx) & (mx <= self.max_abs) & (mx >= self.min_abs)
            ok &= (hi - lo) > 1e-10 * mx
        return ok

    def _unary(self) -> list[str]:
        ops = [o for o in self.operators if o in UNARY_OPERATORS]
        unknown = set(self.operators) - set(UNARY_OPERATORS) - set(BINARY_OPERATORS)
        if unknown:
            raise ValueError(f"unknown operators {sorted(unknown)}; known: "
                             f"{sorted(UNARY_OPERATORS) + sorted(BINARY_OPERATORS)}")
        return ops

    def _binary(self) -> list[str]:
        return [o for o in self.operators if o in BINARY_OPERATORS]

    def _rung_blocks(self, space: FeatureSpace, rung: int, dimensional: bool
                     ) -> Iterator[tuple[np.ndarray, np.ndarray, Any]]:
        """Candidate blocks of ``rung`` built from ``space``: (values, units, decoder).

        Binary operations pair every feature ``i`` of the previous rung with every stored feature
        ``j < i``; pairs are batched into blocks of about ``block_elements`` values. Trees are built
        lazily by ``decoder(k)`` (column ``k`` of the block) to keep the last rung cheap.
        """
        lo = space.rung_start[rung - 1]
        hi = space.rung_start[rung] if len(space.rung_start) > rung else space.values.shape[1]
        X, U, T = space.values, space.units, space.trees
        width = max(1, self.block_elements // max(len(X), 1))
        for op in self._unary():
            fn, _, power = UNARY_OPERATORS[op]
            cols = np.arange(lo, hi)
            if dimensional and power is None:
                cols = cols[np.all(np.isclose(U[cols], 0.0), axis=1)]
            for start in range(0, cols.size, width):
                part = cols[start:start + width]
                with np.errstate(all="ignore"):
                    vals = fn(X[:, part])
                units = U[part] * (1.0 if power is None else power)
                yield vals, units, (lambda k, op=op, part=part: (op, T[part[k]]))
        for op in self._binary():
            fn, _, rule, commutative = BINARY_OPERATORS[op]
            orders = (False,) if commutative else (False, True)
            pending_i: list[np.ndarray] = []
            pending_j: list[np.ndarray] = []
            size = 0
            for i in range(lo, hi + 1):
                if i < hi:
                    cols = np.arange(0, i)
                    if dimensional:
                        cols = cols[_unit_ok(rule, U[i], U[cols])]
                    pending_i.append(np.full(cols.size, i))
                    pending_j.append(cols)
                    size += cols.size
                if size and (size >= width or i == hi):
                    ii, jj = np.concatenate(pending_i), np.concatenate(pending_j)
                    pending_i, pending_j, size = [], [], 0
                    for start in range(0, ii.size, width):
                        a, b = ii[start:start + width], jj[start:start + width]
                        for swap in orders:
                            left, right = (b, a) if swap else (a, b)
                            with np.errstate(all="ignore"):
                                vals = fn(X[:, left], X[:, right])
                            yield (vals, _unit_result(rule, U[left], U[right]),
                                   (lambda k, op=op, left=left, right=right:
                                    (op, T[left[k]], T[right[k]])))

    @staticmethod
    def _keys(values: np.ndarray) -> list[bytes]:
        """Hashable keys identifying columns up to affine maps (standardized, sign-fixed)."""
        z = values - values.mean(axis=0)
        z /= np.abs(z).max(axis=0)
        first = z[np.argmax(np.abs(z) > 1e-6, axis=0), np.arange(z.shape[1])]
        z *= np.sign(first)
        z = np.round(z, 7) + 0.0
        return [z[:, k].tobytes() for k in range(z.shape[1])]

    def build_space(self, X: np.ndarray, names: Sequence[str]) -> FeatureSpace:
        """Store rungs ``0 .. max_rung - 1`` of the feature space (validity-checked, unique)."""
        X = np.asarray(X, dtype=float)
        U, dimensional = self._unit_matrix(X.shape[1])
        keep = self._valid(X)
        trees: list[Tree] = [("x", k) for k in range(X.shape[1])]
        seen: set[bytes] = set()
        cols = []
        for k, key in zip(np.flatnonzero(keep), self._keys(X[:, keep]), strict=True):
            if key not in seen:
                seen.add(key)
                cols.append(k)
        space = FeatureSpace(X[:, cols], [trees[k] for k in cols], U[cols], [0],
                             n_generated=X.shape[1])
        for rung in range(1, self.max_rung):
            new_vals, new_trees, new_units = [], [], []
            for vals, units, decode in self._rung_blocks(space, rung, dimensional):
                space.n_generated += vals.shape[1]
                ok = np.flatnonzero(self._valid(vals))
                if ok.size == 0:
                    continue
                for k, key in zip(ok, self._keys(vals[:, ok]), strict=True):
                    if key in seen:
                        continue
                    seen.add(key)
                    new_vals.append(vals[:, k])
                    new_trees.append(decode(k))
                    new_units.append(units[k])
                if space.values.shape[1] + len(new_vals) > self.max_stored:
                    raise ValueError(
                        f"rung {rung} exceeds max_stored={self.max_stored} features; lower "
                        "max_rung, use fewer primary features or operators, or raise max_stored"
                    )
            space.rung_start.append(space.values.shape[1])
            if new_vals:
                space.values = np.column_stack([space.values, *[v[:, None] for v in new_vals]])
                space.trees = space.trees + new_trees
                space.units = np.vstack([space.units, np.array(new_units)])
        return space

    def _screen(self, space: FeatureSpace, residual: np.ndarray, k: int, dimensional: bool,
                exclude: np.ndarray | None) -> tuple[np.ndarray, list[Tree]]:
        """The ``k`` best-scoring unique candidates of all rungs (the last generated on the fly)."""
        pool_scores: list[np.ndarray] = []
        pool_vals: list[np.ndarray] = []
        pool_trees: list[Tree] = []
        budget = 4 * k + 8

        def offer(vals: np.ndarray, decode: Any) -> None:
            ok = np.flatnonzero(self._valid(vals))
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
            for vals, _, decode in self._rung_blocks(space, self.max_rung, dimensional):
                offer(vals, decode)
                if len(pool_trees) > 20 * budget:  # compact the pool
                    self._compact(pool_scores, pool_vals, pool_trees, budget)
        scores = np.concatenate(pool_scores)
        vals = np.column_stack(pool_vals)
        order = np.argsort(-scores, kind="stable")
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
        _, dimensional = self._unit_matrix(X.shape[1])
        start = time.perf_counter()
        self.n_evaluated_ = 0
        self.n_solved_ = 0
        space = self.build_space(X, self.names_)
        self.n_stored_ = space.values.shape[1]
        sub_vals = np.empty((len(y), 0))
        sub_trees: list[Tree] = []
        residual = y.copy()
        self.models_: list[dict] = []
        for d in range(1, self.n_dim + 1):
            vals, trees = self._screen(space, residual, self.n_sis, dimensional, sub_vals)
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
