"""SISSO's candidate feature space: operators, expression trees, rungs and dimensional checks.

Starting from the primary features (rung 0), every rung applies unary operators (``exp``, ``log``,
``sqrt``, powers, ...) to the features of the previous rung and binary operators (``+``, ``-``,
``*``, ``/``, ``|a-b|``) to pairs in which at least one member comes from the previous rung.
Invalid features are dropped: undefined or non-finite values, values outside
``[min_abs, max_abs]``, constants, duplicates (features that are affine images of a kept one are
redundant for a linear model) and, when units are given, dimensionally inconsistent ones
(``+``/``-`` of different units, ``exp``/``log`` of dimensioned quantities).

:class:`CandidateGenerator` stores every rung but the last (:class:`CandidateSpace`) and yields the
last rung block by block (:meth:`CandidateGenerator.rung_blocks`), so that the screening of
:mod:`howbig.methods.models.sisso` never holds it in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BINARY_OPERATORS",
    "DEFAULT_OPERATORS",
    "UNARY_OPERATORS",
    "CandidateGenerator",
    "CandidateSpace",
    "evaluate",
    "expression",
    "tree_depth",
    "unit_matrix",
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


def tree_depth(tree: Tree) -> int:
    """Depth of a feature tree (= the rung at which it is first generated)."""
    if tree[0] == "x":
        return 0
    return 1 + max(tree_depth(t) for t in tree[1:])


def unit_matrix(units: Sequence[dict[str, float]] | None, p: int) -> tuple[np.ndarray, bool]:
    """Exponents of the base units of ``p`` primary features, and whether units were given.

    ``units[k]`` maps a base unit to its exponent, e.g. ``{"meV": 1}`` or ``{}`` (dimensionless).
    """
    if units is None:
        return np.zeros((p, 1)), False
    if len(units) != p:
        raise ValueError(f"units has {len(units)} entries but X has {p} features")
    dims = sorted({k for u in units for k in u})
    mat = np.array([[float(u.get(k, 0.0)) for k in dims] for u in units])
    return (mat if dims else np.zeros((p, 1))), True


@dataclass
class CandidateSpace:
    """Stored candidate features (all rungs below the last): values, trees, units.

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


def affine_keys(values: np.ndarray) -> list[bytes]:
    """Hashable keys identifying columns up to affine maps (standardized, sign-fixed)."""
    z = values - values.mean(axis=0)
    z /= np.abs(z).max(axis=0)
    first = z[np.argmax(np.abs(z) > 1e-6, axis=0), np.arange(z.shape[1])]
    z *= np.sign(first)
    z = np.round(z, 7) + 0.0
    return [z[:, k].tobytes() for k in range(z.shape[1])]


@dataclass
class CandidateGenerator:
    """Builds SISSO's candidate features rung by rung (see the module docstring).

    Parameters
    ----------
    operators
        Names from :data:`UNARY_OPERATORS` and :data:`BINARY_OPERATORS`.
    units
        Optional units of the primary features (see :func:`unit_matrix`).
    max_abs, min_abs
        Candidates with ``max |value|`` above ``max_abs`` or below ``min_abs`` are dropped.
    max_stored
        Upper bound on the number of stored (non-last-rung) features.
    block_elements
        Candidate values (samples x features) generated per block.
    """

    operators: Sequence[str] = DEFAULT_OPERATORS
    units: Sequence[dict[str, float]] | None = None
    max_abs: float = 1e50
    min_abs: float = 1e-50
    max_stored: int = 300_000
    block_elements: int = 4_000_000

    def __post_init__(self) -> None:
        unknown = set(self.operators) - set(UNARY_OPERATORS) - set(BINARY_OPERATORS)
        if unknown:
            raise ValueError(f"unknown operators {sorted(unknown)}; known: "
                             f"{sorted(UNARY_OPERATORS) + sorted(BINARY_OPERATORS)}")
        self.unary = [o for o in self.operators if o in UNARY_OPERATORS]
        self.binary = [o for o in self.operators if o in BINARY_OPERATORS]

    def valid(self, v: np.ndarray) -> np.ndarray:
        """Columns of ``v`` that are finite, within bounds and not constant."""
        with np.errstate(all="ignore"):
            hi, lo = v.max(axis=0), v.min(axis=0)  # NaN propagates into both
            mx = np.maximum(np.abs(hi), np.abs(lo))
            ok = np.isfinite(mx) & (mx <= self.max_abs) & (mx >= self.min_abs)
            ok &= (hi - lo) > 1e-10 * mx
        return ok

    def rung_blocks(self, space: CandidateSpace, rung: int, dimensional: bool
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
        for op in self.unary:
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
        for op in self.binary:
            yield from self._binary_blocks(op, X, U, T, lo, hi, width, dimensional)

    @staticmethod
    def _binary_blocks(op: str, X: np.ndarray, U: np.ndarray, T: list[Tree], lo: int, hi: int,
                       width: int, dimensional: bool
                       ) -> Iterator[tuple[np.ndarray, np.ndarray, Any]]:
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

    def build(self, X: np.ndarray, n_stored_rungs: int) -> CandidateSpace:
        """Store rungs ``0 .. n_stored_rungs - 1`` (validity-checked, unique)."""
        X = np.asarray(X, dtype=float)
        U, dimensional = unit_matrix(self.units, X.shape[1])
        keep = self.valid(X)
        trees: list[Tree] = [("x", k) for k in range(X.shape[1])]
        seen: set[bytes] = set()
        cols = []
        for k, key in zip(np.flatnonzero(keep), affine_keys(X[:, keep]), strict=True):
            if key not in seen:
                seen.add(key)
                cols.append(k)
        space = CandidateSpace(X[:, cols], [trees[k] for k in cols], U[cols], [0],
                               n_generated=X.shape[1])
        for rung in range(1, n_stored_rungs):
            new_vals, new_trees, new_units = [], [], []
            for vals, units, decode in self.rung_blocks(space, rung, dimensional):
                space.n_generated += vals.shape[1]
                ok = np.flatnonzero(self.valid(vals))
                if ok.size == 0:
                    continue
                for k, key in zip(ok, affine_keys(vals[:, ok]), strict=True):
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
