"""Stoichiometry graphs: a formula as a fully connected graph of its elements (Roost).

Goodall and Lee (2020) represent a composition without its structure: one node per element,
weighted by its atomic fraction, and an edge between every ordered pair of nodes (self-pairs
included), so that message passing can learn how each element behaves next to the others.
``Fe2O3`` and ``Fe4O6`` give the same graph (fractions 0.4 and 0.6).

A :class:`StoichiometrySet` holds many formulas in compressed rows; it is a
:class:`howbig.methods.graphs.GraphData`, so the one batcher of the package,
:class:`howbig.methods.graphs.PaddedBatcher`, cuts it into padded static-shape batches (tight
budgets instead of the worst case of 9 nodes and 81 edges per formula). Only the edges are built
here, with a few vectorised numpy operations for a whole epoch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jraph
import numpy as np
from ase.data import atomic_numbers
from ase.formula import Formula

from howbig.methods.graphs import GraphData, ranges

__all__ = [
    "StoichiometrySet",
    "formula_fractions",
    "stoichiometry_graph",
    "stoichiometry_set",
]


def formula_fractions(formula: str) -> tuple[np.ndarray, np.ndarray]:
    """Atomic numbers (sorted) and atomic fractions of a formula such as ``"Lu(MnGe)6"``.

    Raises
    ------
    ValueError
        If the formula cannot be parsed or has no atoms.
    """
    try:
        counts = Formula(str(formula).strip()).count()
    except ValueError as exc:
        raise ValueError(f"cannot parse chemical formula {formula!r}: {exc}") from None
    if not counts:
        raise ValueError(f"formula {formula!r} has no atoms")
    unknown = [s for s in counts if s not in atomic_numbers]
    if unknown:
        raise ValueError(f"formula {formula!r} has unknown element(s) {unknown}")
    numbers = np.array([atomic_numbers[s] for s in counts], dtype=np.int32)
    amounts = np.array(list(counts.values()), dtype=np.float64)
    order = np.argsort(numbers)
    return numbers[order], (amounts[order] / amounts.sum()).astype(np.float32)


def stoichiometry_graph(formula: str) -> jraph.GraphsTuple:
    """The graph of one formula: nodes = elements (``element``, ``fraction``), all ordered pairs."""
    numbers, fractions = formula_fractions(formula)
    n = len(numbers)
    senders, receivers = np.divmod(np.arange(n * n, dtype=np.int32), n)
    return jraph.GraphsTuple(
        nodes={"element": numbers, "fraction": fractions}, edges=None,
        senders=senders, receivers=receivers, n_node=np.array([n]), n_edge=np.array([n * n]),
        globals=np.zeros(1, np.float32))


@dataclass
class StoichiometrySet(GraphData):
    """Many formulas in compressed rows: formula ``i`` owns nodes ``offsets[i]:offsets[i+1]``.

    Attributes
    ----------
    elements, fractions
        Atomic number and atomic fraction of every node (all formulas concatenated); the node
        features ``{"element", "fraction"}``. Padding nodes get element 0 and fraction 1 (which
        keeps ``log(fraction)`` finite).
    offsets
        Start of each formula's nodes, length ``n + 1``.
    targets
        One label per formula (float32).
    """

    elements: np.ndarray
    fractions: np.ndarray
    offsets: np.ndarray
    targets: np.ndarray
    node_fill = {"element": 0, "fraction": 1.0}  # noqa: RUF012  (a class constant)

    def __post_init__(self) -> None:
        self.offsets = np.asarray(self.offsets, np.int64)
        self.targets = np.asarray(self.targets, np.float32)
        if len(self.offsets) != len(self.targets) + 1:
            raise ValueError("StoichiometrySet: offsets must have one entry per formula plus one")
        #: elements per formula, and edges (every ordered pair, self-pairs included)
        self.n_node = np.diff(self.offsets).astype(np.int32)
        self.n_edge = self.n_node * self.n_node

    def gather(self, order: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray, None]:
        """Nodes and all-pairs edges of the formulas at ``order`` (see :class:`GraphData`)."""
        n = self.n_node[order].astype(np.int64)
        rows = ranges(self.offsets[order], n)
        pairs = n * n
        graph_of_edge = np.repeat(np.arange(len(n)), pairs)
        local = np.arange(int(pairs.sum())) - np.repeat(np.cumsum(pairs) - pairs, pairs)
        sender, receiver = np.divmod(local, n[graph_of_edge])
        start = (np.cumsum(n) - n)[graph_of_edge]
        nodes = {"element": self.elements[rows], "fraction": self.fractions[rows]}
        return nodes, (start + sender).astype(np.int32), (start + receiver).astype(np.int32), None

    def subset(self, indices: Sequence[int] | np.ndarray) -> StoichiometrySet:
        """The formulas at ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        counts = self.n_node[idx]
        rows = ranges(self.offsets[idx], counts)
        offsets = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        return StoichiometrySet(self.elements[rows], self.fractions[rows], offsets,
                                self.targets[idx])

    def with_targets(self, targets: np.ndarray) -> StoichiometrySet:
        """The same formulas with other labels."""
        return StoichiometrySet(self.elements, self.fractions, self.offsets,
                                np.asarray(targets, dtype=np.float32))

    @staticmethod
    def concatenate(sets: Sequence[StoichiometrySet]) -> StoichiometrySet:
        """Join several sets (e.g. two databases)."""
        starts = np.cumsum([0] + [len(s.elements) for s in sets[:-1]])
        offsets = np.concatenate([[0]] + [s.offsets[1:] + o for s, o in zip(sets, starts,
                                                                              strict=True)])
        return StoichiometrySet(np.concatenate([s.elements for s in sets]),
                                np.concatenate([s.fractions for s in sets]),
                                offsets.astype(np.int64),
                                np.concatenate([s.targets for s in sets]))


def stoichiometry_set(formulas: Sequence[str], targets: Sequence[float] | None = None
                      ) -> StoichiometrySet:
    """Parse formulas (each distinct one once) into a :class:`StoichiometrySet`."""
    formulas = [str(f) for f in formulas]
    parsed = {f: formula_fractions(f) for f in dict.fromkeys(formulas)}
    counts = np.array([len(parsed[f][0]) for f in formulas], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    elements = np.concatenate([parsed[f][0] for f in formulas]) if formulas else np.zeros(0)
    fractions = np.concatenate([parsed[f][1] for f in formulas]) if formulas else np.zeros(0)
    y = np.zeros(len(formulas)) if targets is None else np.asarray(targets, dtype=float)
    return StoichiometrySet(elements.astype(np.int32), fractions.astype(np.float32), offsets,
                            y.astype(np.float32))
