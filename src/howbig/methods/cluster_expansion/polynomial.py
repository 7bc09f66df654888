r"""Polynomial (nonlinear) cluster-expansion features: all monomials of p base features to degree d.

The paper's count is :math:`\sum_{k=0}^{d}\binom{p+k-1}{k}` (:func:`polynomial_feature_count`);
:class:`PolynomialFeatures` enumerates the monomials lazily and builds them in blocks, dropping
columns that are duplicates on the data before they reach memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import comb

import numpy as np

__all__ = ["PolynomialFeatures", "polynomial_feature_count"]


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
