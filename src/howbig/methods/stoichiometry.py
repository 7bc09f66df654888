"""Stoichiometry graphs: a formula as a fully connected graph of its elements (Roost).

Goodall and Lee (2020) represent a composition without its structure: one node per element,
weighted by its atomic fraction, and an edge between every ordered pair of nodes (self-pairs
included), so that message passing can learn how each element behaves next to the others.
``Fe2O3`` and ``Fe4O6`` give the same graph (fractions 0.4 and 0.6).

Speed matters more here than for crystal graphs (a formula has 1-9 elements, a batch of 256
formulas about a thousand nodes), so the batcher does all per-batch work with a few vectorised
numpy operations on a CSR store, and pads each batch to a tight static budget (mean + 4 sigma of
the nodes and edges of ``batch_size`` random formulas) instead of the worst case (9 nodes and 81
edges per formula). A batch that would overflow the budget is cut short and its remaining
formulas go into the next one, so the compiled step sees one shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import jraph
import numpy as np
from ase.data import atomic_numbers
from ase.formula import Formula

__all__ = [
    "StoichiometryBatcher",
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
class StoichiometrySet:
    """Many formulas in compressed rows: formula ``i`` owns nodes ``offsets[i]:offsets[i+1]``.

    Attributes
    ----------
    elements, fractions
        Atomic number and atomic fraction of every node (all formulas concatenated).
    offsets
        Start of each formula's nodes, length ``n + 1``.
    targets
        One label per formula (float32).
    """

    elements: np.ndarray
    fractions: np.ndarray
    offsets: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def n_node(self) -> np.ndarray:
        """Elements per formula."""
        return np.diff(self.offsets)

    def subset(self, indices: Sequence[int] | np.ndarray) -> StoichiometrySet:
        """The formulas at ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        counts = self.n_node[idx]
        rows = _ranges(self.offsets[idx], counts)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
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


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a loop."""
    ends = np.cumsum(counts)
    return np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts - (ends - counts),
                                                                      counts)


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


class StoichiometryBatcher:
    """Static-shape padded batches of stoichiometry graphs, built with vectorised numpy.

    Parameters
    ----------
    data
        The formulas.
    batch_size
        Formulas per batch (at most; fewer when a batch would overflow the budget).
    seed
        Seed of the shuffling.
    node_budget, edge_budget
        Nodes and edges per padded batch (padding included). Default: mean + 4 standard
        deviations of a batch of ``batch_size`` random formulas, plus one padding node, rounded
        up to a multiple of 64; pass the training batcher's budgets to a validation batcher to
        reuse the compiled shapes.
    """

    def __init__(self, data: StoichiometrySet, batch_size: int, *, seed: int = 0,
                 node_budget: int | None = None, edge_budget: int | None = None) -> None:
        if len(data) == 0:
            raise ValueError("StoichiometryBatcher: empty data set")
        self.data, self.batch_size = data, int(batch_size)
        self.rng = np.random.default_rng(seed)
        n = data.n_node
        self._n_node, self._n_edge = n, n * n
        self.node_budget = node_budget or self._budget(self._n_node)
        self.edge_budget = edge_budget or self._budget(self._n_edge)
        if n.max() + 1 > self.node_budget or n.max() ** 2 + 1 > self.edge_budget:
            raise ValueError(f"a formula with {n.max()} elements does not fit the budget "
                             f"({self.node_budget} nodes, {self.edge_budget} edges)")

    def _budget(self, counts: np.ndarray) -> int:
        b = min(self.batch_size, len(counts))
        need = b * counts.mean() + 4.0 * np.sqrt(b) * counts.std() + counts.max() + 1
        return int(-(-need // 64) * 64)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(graph slots, nodes, edges) of every batch."""
        return self.batch_size + 1, self.node_budget, self.edge_budget

    def plan(self, order: np.ndarray) -> list[np.ndarray]:
        """Cut ``order`` into batches of at most ``batch_size`` formulas within the budgets."""
        caps = (self.node_budget - 1, self.edge_budget - 1)  # one node/edge left for padding
        cumulative = [np.concatenate(([0], np.cumsum(c[order]))) for c in (self._n_node,
                                                                            self._n_edge)]
        bounds = [0]
        while bounds[-1] < len(order):  # one iteration per batch, not per formula
            s = bounds[-1]
            fits = [int(np.searchsorted(c, c[s] + cap, side="right")) - 1
                    for c, cap in zip(cumulative, caps, strict=True)]
            bounds.append(min(s + self.batch_size, len(order), *fits))
        return [order[a:b] for a, b in pairwise(bounds)]

    def batch(self, indices: np.ndarray) -> jraph.GraphsTuple:
        """One padded batch of the formulas at ``indices``; the padding sits in the last graph."""
        d = self.data
        n = self._n_node[indices]
        rows = _ranges(d.offsets[indices], n)
        n_real, e_counts = len(rows), n * n
        e_real = int(e_counts.sum())
        starts = np.cumsum(n) - n
        graph_of_edge = np.repeat(np.arange(len(indices)), e_counts)
        local = np.arange(e_real) - np.repeat(np.cumsum(e_counts) - e_counts, e_counts)
        sender_local, receiver_local = np.divmod(local, n[graph_of_edge])
        senders = np.full(self.edge_budget, n_real, np.int32)  # padding edges: padding node
        receivers = np.full(self.edge_budget, n_real, np.int32)
        senders[:e_real] = starts[graph_of_edge] + sender_local
        receivers[:e_real] = starts[graph_of_edge] + receiver_local
        elements = np.zeros(self.node_budget, np.int32)
        fractions = np.ones(self.node_budget, np.float32)  # 1 keeps log(fraction) finite
        elements[:n_real] = d.elements[rows]
        fractions[:n_real] = d.fractions[rows]
        slots = self.batch_size + 1
        n_node = np.zeros(slots, np.int32)
        n_edge = np.zeros(slots, np.int32)
        n_node[:len(n)], n_edge[:len(n)] = n, e_counts
        n_node[len(n)] = self.node_budget - n_real
        n_edge[len(n)] = self.edge_budget - e_real
        targets = np.zeros(slots, np.float32)
        targets[:len(n)] = d.targets[indices]
        return jraph.GraphsTuple(nodes={"element": elements, "fraction": fractions}, edges=None,
                                 senders=senders, receivers=receivers, n_node=n_node,
                                 n_edge=n_edge, globals=targets)

    def epoch(self, shuffle: bool = True) -> Iterator[jraph.GraphsTuple]:
        """All formulas once, in batches (shuffled unless ``shuffle=False``)."""
        order = self.rng.permutation(len(self.data)) if shuffle else np.arange(len(self.data))
        for indices in self.plan(order):
            yield self.batch(indices)

    def all(self) -> Iterator[jraph.GraphsTuple]:
        """All formulas in dataset order (for predictions)."""
        return self.epoch(shuffle=False)
