"""Graphs as training data: flat graph sets and one padded static-shape batcher for all of them.

Every graph model of the book trains on :class:`jraph.GraphsTuple` batches cut by one batcher,
:class:`PaddedBatcher`, from a :class:`GraphData`: many graphs held as flat numpy arrays plus
per-graph node and edge counts. The sources differ only in how a graph is built
(:meth:`GraphData.gather`):

* :class:`GraphSet`: crystal graphs. The paper's MPEU code (tisabe/jraph_MPEU) connects every
  atom to its ``k = 12`` nearest neighbours, periodic images included
  (:func:`howbig.methods.neighbours.knn_edges`); edges point from the neighbour (``sender``) to
  the centre atom (``receiver``) and carry the distance.
* :class:`howbig.methods.stoichiometry.StoichiometrySet`: a formula as the fully connected graph
  of its elements (Roost); its edges are implied by the node counts and built on the fly.

The batcher cuts a set into batches of one or a few static shapes (node and edge budgets fixed
per batcher), so XLA compiles a step once per shape. Padding follows jraph's convention (real
graphs first, then one padding graph that owns every padding node and edge, then empty graphs),
so :func:`jraph.get_graph_padding_mask` masks it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import ase
import jraph
import numpy as np

from howbig.methods.neighbours import knn_edges
from howbig.parallel import parallel_map

__all__ = [
    "GraphData",
    "GraphSet",
    "PaddedBatcher",
    "build_graphs",
    "graph_mask",
    "ranges",
    "rbf_expand",
]


def rbf_expand(distances, k_max: int = 150, delta: float = 0.1, mu_min: float = 0.0):
    """Gaussian radial basis expansion of edge lengths (Jorgensen et al. 2018, eq. 5).

    ``exp(-(d + mu_min - k delta)^2 / delta)`` for ``k = 0 .. k_max - 1``, as in the paper's code
    (with the defaults the centres cover 0-15 Å every 0.1 Å).

    Parameters
    ----------
    distances
        Array of shape ``(E,)`` (numpy or jax).
    k_max, delta, mu_min
        Number of basis functions, their spacing and width (Å), and a shift (Å).

    Returns
    -------
    Array of shape ``(E, k_max)`` of the same array type as ``distances``.
    """
    if isinstance(distances, np.ndarray):
        xp = np
    else:  # imported here: the numpy path (graph construction) does not need jax
        import jax.numpy as xp
    centres = xp.arange(k_max, dtype=distances.dtype) * delta
    diff = distances[:, None] + mu_min - centres[None, :]
    return xp.exp(-(diff**2) / delta)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    counts = np.asarray(counts, np.int64)
    ends = np.cumsum(counts)
    if len(ends) == 0 or ends[-1] == 0:
        return np.zeros(0, np.int64)
    return np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(
        np.asarray(starts, np.int64) - (ends - counts), counts)


class GraphData:
    """Many graphs with one label each, as flat arrays: what :class:`PaddedBatcher` batches.

    A subclass holds ``targets`` and per-graph ``n_node`` / ``n_edge`` counts, and says how
    the graphs are built by :meth:`gather`. ``node_fill`` is the value of padding nodes' features
    (a scalar, or a dict per feature when the node features are a dict).
    """

    targets: np.ndarray
    n_node: np.ndarray
    n_edge: np.ndarray
    node_fill: Any = 0

    def __len__(self) -> int:
        return len(self.targets)

    def gather(self, order: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]:
        """The graphs at ``order``, concatenated in that order.

        Returns
        -------
        nodes
            Node features (an array or a dict of arrays), ``sum(n_node[order])`` rows.
        senders, receivers
            ``int32``, indices into the returned nodes.
        edges
            Edge features (``sum(n_edge[order])`` rows) or ``None``.
        """
        raise NotImplementedError

    def subset(self, indices: Sequence[int] | np.ndarray) -> GraphData:
        """The graphs at ``indices`` (in that order) as a new set."""
        raise NotImplementedError

    def with_targets(self, targets: np.ndarray) -> GraphData:
        """The same graphs with other labels."""
        raise NotImplementedError


def _offsets(counts: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(counts, dtype=np.int64)[:-1]))


@dataclass
class GraphSet(GraphData):
    """Crystal graphs stored as flat arrays.

    Attributes
    ----------
    atomic_numbers
        ``int32 (total_nodes,)``, the node features.
    senders, receivers
        ``int32 (total_edges,)``, node indices *local to their graph*.
    distances
        ``float32 (total_edges,)``, edge lengths in Å (the edge features).
    n_node, n_edge
        ``int32 (n_graphs,)``, nodes and edges per graph.
    targets
        ``float32 (n_graphs,)``, one label per graph (e.g. formation energy, eV/atom).
    """

    atomic_numbers: np.ndarray
    senders: np.ndarray
    receivers: np.ndarray
    distances: np.ndarray
    n_node: np.ndarray
    n_edge: np.ndarray
    targets: np.ndarray

    def __post_init__(self) -> None:
        self.atomic_numbers = np.asarray(self.atomic_numbers, np.int32)
        self.senders = np.asarray(self.senders, np.int32)
        self.receivers = np.asarray(self.receivers, np.int32)
        self.distances = np.asarray(self.distances, np.float32)
        self.n_node = np.asarray(self.n_node, np.int32)
        self.n_edge = np.asarray(self.n_edge, np.int32)
        self.targets = np.asarray(self.targets, np.float32)
        if not (len(self.n_node) == len(self.n_edge) == len(self.targets)):
            raise ValueError("GraphSet: n_node, n_edge and targets must have one entry per graph")
        if self.n_node.sum() != len(self.atomic_numbers):
            raise ValueError("GraphSet: sum(n_node) != number of atomic numbers")
        n_edges = {len(self.senders), len(self.receivers), len(self.distances)}
        if n_edges != {int(self.n_edge.sum())}:
            raise ValueError("GraphSet: sum(n_edge) != number of edges")
        self.node_offsets = _offsets(self.n_node)
        self.edge_offsets = _offsets(self.n_edge)

    def gather(self, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Atomic numbers, senders, receivers and distances of the graphs at ``order``."""
        n_node, n_edge = self.n_node[order], self.n_edge[order]
        nodes = ranges(self.node_offsets[order], n_node)
        edges = ranges(self.edge_offsets[order], n_edge)
        shift = np.repeat(_offsets(n_node), n_edge).astype(np.int32)
        return (self.atomic_numbers[nodes], self.senders[edges] + shift,
                self.receivers[edges] + shift, self.distances[edges])

    def subset(self, indices: Sequence[int] | np.ndarray) -> GraphSet:
        """The graphs at ``indices`` (in that order; a boolean mask also works)."""
        idx = np.asarray(indices)
        idx = np.flatnonzero(idx) if idx.dtype == bool else idx.astype(np.int64)
        nodes = ranges(self.node_offsets[idx], self.n_node[idx])
        edges = ranges(self.edge_offsets[idx], self.n_edge[idx])
        return GraphSet(self.atomic_numbers[nodes], self.senders[edges], self.receivers[edges],
                        self.distances[edges], self.n_node[idx], self.n_edge[idx],
                        self.targets[idx])

    def with_targets(self, targets: np.ndarray) -> GraphSet:
        """The same graphs with other labels."""
        return GraphSet(self.atomic_numbers, self.senders, self.receivers, self.distances,
                        self.n_node, self.n_edge, np.asarray(targets))

    @staticmethod
    def concatenate(sets: Sequence[GraphSet]) -> GraphSet:
        """Join several sets (e.g. two databases for the A+B model)."""
        return GraphSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in (
            "atomic_numbers", "senders", "receivers", "distances", "n_node", "n_edge", "targets")))


def _graph_worker(args: tuple[ase.Atoms, int]) -> tuple[np.ndarray, ...]:
    atoms, k = args
    senders, receivers, distances = knn_edges(atoms, k)
    return atoms.get_atomic_numbers(), senders, receivers, distances


def build_graphs(
    atoms_list: Sequence[ase.Atoms],
    targets: Sequence[float] | np.ndarray,
    k: int = 12,
    progress: bool = True,
    n_jobs: int = 1,
) -> GraphSet:
    """k-NN graphs of many structures as one :class:`GraphSet`.

    Parameters
    ----------
    atoms_list
        Structures.
    targets
        One label per structure.
    k
        Neighbours per atom (see :func:`knn_edges`).
    progress
        Show a tqdm progress bar.
    n_jobs
        Processes for the neighbour search (``-1``: all cores). A structure takes about 1 ms
        on one core (one k-d tree query), so ~10^5 structures take a few minutes in one
        process; the result does not depend on ``n_jobs``.
    """
    targets = np.asarray(targets, dtype=np.float32)
    if len(targets) != len(atoms_list):
        raise ValueError(f"build_graphs: {len(atoms_list)} structures but {len(targets)} targets")
    parts = parallel_map(_graph_worker, ((atoms, k) for atoms in atoms_list), n_jobs=n_jobs,
                         progress=progress, desc="graphs")
    z = [p[0] for p in parts]
    s = [p[1] for p in parts]
    r = [p[2] for p in parts]
    d = [p[3] for p in parts]
    nn = [len(p[0]) for p in parts]
    ne = [len(p[1]) for p in parts]

    def cat(xs: list[np.ndarray], dt: type) -> np.ndarray:
        return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)

    return GraphSet(cat(z, np.int32), cat(s, np.int32), cat(r, np.int32), cat(d, np.float32),
                    np.asarray(nn, np.int32), np.asarray(ne, np.int32), targets)


def graph_mask(graphs: jraph.GraphsTuple) -> np.ndarray:
    """Boolean mask of the real graphs of a padded batch, computed with numpy (no XLA).

    Same answer as :func:`jraph.get_graph_padding_mask` for jraph-style padding (one padding
    graph holding the padding nodes, then empty graphs), without compiling anything.
    """
    n_node = np.asarray(graphs.n_node)
    nonzero = np.flatnonzero(n_node)
    n_padding = len(n_node) - (int(nonzero[-1]) + 1 if len(nonzero) else 0) + 1
    return np.arange(len(n_node)) < len(n_node) - n_padding


# Expected padding (in standard deviations of a batch's size): 3.0 with one shape, 1.26 with
# two, 0.81 with three, 0.60 with four (1.0 with three at the 1/3 and 2/3 quantiles).
_OPTIMAL_Z = {2: [0.66], 3: [-0.06, 1.13], 4: [-0.47, 0.43, 1.38]}


def _pad(values: np.ndarray, size: int, fill: Any) -> np.ndarray:
    out = np.full((size, *values.shape[1:]), fill, values.dtype)
    out[:len(values)] = values
    return out


class PaddedBatcher:
    """Cut a :class:`GraphData` into padded :class:`jraph.GraphsTuple` batches of few static shapes.

    Every batch has ``batch_size + 1`` graph slots. A batch takes up to ``batch_size``
    consecutive graphs of the (shuffled) order; it is closed early, with fewer real graphs, only
    when the next graph would overflow the largest node or edge budget (the default budgets make
    this rare: mean + 3 standard deviations of a batch's size). It is then padded to the
    smallest of ``buckets`` (node, edge) budgets that holds it, so a jitted function compiles
    at most ``buckets`` times while little compute is spent on padding. The real graphs come
    first, then one padding graph holding all padding nodes and edges, then empty graphs, so
    :func:`jraph.get_graph_padding_mask` and :func:`jraph.get_node_padding_mask` identify the
    padding.

    Node and edge features are those of the source (for a :class:`GraphSet`: atomic numbers and
    distances, 0 for padding; padding nodes take the source's ``node_fill``), and
    ``graphs.globals`` holds the targets (``float32``, 0 for padding).

    Parameters
    ----------
    graphs
        The dataset (a :class:`GraphSet`, a stoichiometry set, any :class:`GraphData`).
    batch_size
        Real graphs per batch (at most).
    seed
        Seed of the shuffling generator (each :meth:`epoch` draws a new permutation from it).
    node_budget, edge_budget
        The largest static padded sizes; derived from the data when ``None``. Pass the budgets
        of another batcher (``batcher.node_budget``) to share its compiled shapes.
    buckets
        Number of padded shapes. The smaller budgets are placed where they minimise the
        expected padding of a batch whose size is normally distributed: with ``buckets = 3``
        the padding of a typical batch falls from 3 standard deviations of its size to 0.8.
    """

    def __init__(self, graphs: GraphData, batch_size: int, *, seed: int = 0,
                 node_budget: int | None = None, edge_budget: int | None = None,
                 buckets: int = 1) -> None:
        if len(graphs) == 0:
            raise ValueError("PaddedBatcher: the graph set is empty")
        if batch_size < 1 or buckets < 1:
            raise ValueError("PaddedBatcher: batch_size and buckets must be >= 1")
        self.graphs = graphs
        self.batch_size = int(batch_size)
        self.rng = np.random.default_rng(seed)
        self.n_graph = self.batch_size + 1
        # the padding graph needs one node of its own; the largest graph must fit alone
        need_nodes = int(graphs.n_node.max()) + 1
        need_edges = int(graphs.n_edge.max())

        def budgets(z: float, multiple: int) -> tuple[int, int]:
            return (max(self._budget(graphs.n_node, z, multiple) + 1, need_nodes),
                    max(self._budget(graphs.n_edge, z, multiple), need_edges))

        top_nodes, top_edges = budgets(3.0, 64)
        self.node_budget = max(int(node_budget or top_nodes), need_nodes)
        self.edge_budget = max(int(edge_budget or top_edges), need_edges)
        # smaller budgets at mean + z sqrt(b) std: for 2-4 shapes the z that minimise the expected
        # padding of a normally distributed batch size (top budget at z = 3), else quantiles
        quantiles = _OPTIMAL_Z.get(buckets) or [NormalDist().inv_cdf(q / buckets)
                                                for q in range(1, buckets)]
        sizes = {tuple(min(b, top) for b, top in zip(
            budgets(z, 8), (self.node_budget, self.edge_budget), strict=True)) for z in quantiles}
        sizes.add((self.node_budget, self.edge_budget))
        #: the (node budget, edge budget) pairs, smallest first
        self.budgets = sorted(sizes)

    def _budget(self, counts: np.ndarray, z: float, multiple: int) -> int:
        """``b mean + z sqrt(b) std`` of ``b = batch_size`` random graphs, rounded up."""
        b = min(self.batch_size, len(counts))
        need = b * float(counts.mean()) + z * np.sqrt(b) * float(counts.std())
        return int(-(-int(np.ceil(need)) // multiple) * multiple)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(graph slots, node budget, edge budget) of the largest batches."""
        return self.n_graph, self.node_budget, self.edge_budget

    @property
    def shapes(self) -> list[tuple[int, int, int]]:
        """Every (graph slots, node budget, edge budget) a batch can have, smallest first."""
        return [(self.n_graph, n, e) for n, e in self.budgets]

    def plan(self, order: np.ndarray) -> list[np.ndarray]:
        """Split ``order`` into batches that respect the graph, node and edge budgets."""
        g = self.graphs
        cn = np.concatenate(([0], np.cumsum(g.n_node[order], dtype=np.int64)))
        ce = np.concatenate(([0], np.cumsum(g.n_edge[order], dtype=np.int64)))
        batches, start, n = [], 0, len(order)
        node_cap, edge_cap = self.node_budget - 1, self.edge_budget
        while start < n:  # one iteration per batch, not per graph
            stop = min(start + self.batch_size, n)
            # largest stop with cn[stop] - cn[start] <= node_cap (and the same for edges)
            stop = min(stop, int(np.searchsorted(cn, cn[start] + node_cap, side="right")) - 1)
            stop = min(stop, int(np.searchsorted(ce, ce[start] + edge_cap, side="right")) - 1)
            batches.append(order[start:stop])
            start = stop
        return batches

    def batch(self, indices: np.ndarray) -> jraph.GraphsTuple:
        """Padded batch of the graphs at ``indices`` (which must fit the budgets)."""
        g, indices = self.graphs, np.asarray(indices, np.int64)
        n_node, n_edge = g.n_node[indices], g.n_edge[indices]
        if (len(indices) > self.batch_size or n_node.sum() >= self.node_budget
                or n_edge.sum() > self.edge_budget):
            raise ValueError("PaddedBatcher.batch: the graphs do not fit the static budgets")
        return self._assemble(*g.gather(indices), n_node, n_edge, g.targets[indices])

    def epoch(self, shuffle: bool = True) -> Iterator[jraph.GraphsTuple]:
        """One pass over the dataset, every graph exactly once (shuffled by default).

        The graphs of the whole epoch are gathered at once (vectorised); each batch is then a
        few contiguous slices copied into the padded arrays.
        """
        g = self.graphs
        order = self.rng.permutation(len(g)) if shuffle else np.arange(len(g))
        n_node, n_edge = g.n_node[order], g.n_edge[order]
        node_start = np.concatenate(([0], np.cumsum(n_node, dtype=np.int64)))
        edge_start = np.concatenate(([0], np.cumsum(n_edge, dtype=np.int64)))
        nodes, senders, receivers, edges = g.gather(order)
        targets = g.targets[order]
        start = 0
        for idx in self.plan(order):
            stop = start + len(idx)
            n0, n1 = node_start[start], node_start[stop]
            e0, e1 = edge_start[start], edge_start[stop]
            part = ({k: v[n0:n1] for k, v in nodes.items()} if isinstance(nodes, dict)
                    else nodes[n0:n1])
            yield self._assemble(part, senders[e0:e1] - n0, receivers[e0:e1] - n0,
                                 None if edges is None else edges[e0:e1], n_node[start:stop],
                                 n_edge[start:stop], targets[start:stop])
            start = stop

    def _assemble(self, nodes, senders, receivers, edges, n_node, n_edge, targets
                  ) -> jraph.GraphsTuple:
        tn, te, n_real = int(n_node.sum()), len(senders), len(n_node)
        # the smallest budget that holds the batch (one always does: the plan ensures it)
        nb, eb = next((nb, eb) for nb, eb in self.budgets if tn < nb and te <= eb)
        fill = self.graphs.node_fill
        if isinstance(nodes, dict):
            nodes = {k: _pad(v, nb, fill[k] if isinstance(fill, dict) else fill)
                     for k, v in nodes.items()}
        else:
            nodes = _pad(nodes, nb, fill)
        # padding edges join the first padding node (node tn) to itself
        senders = _pad(senders.astype(np.int32, copy=False), eb, tn)
        receivers = _pad(receivers.astype(np.int32, copy=False), eb, tn)
        if edges is not None:
            edges = _pad(edges, eb, 0)
        nn = np.zeros(self.n_graph, np.int32)
        ne = np.zeros(self.n_graph, np.int32)
        nn[:n_real], ne[:n_real] = n_node, n_edge
        nn[n_real], ne[n_real] = nb - tn, eb - te
        return jraph.GraphsTuple(nodes=nodes, edges=edges, senders=senders, receivers=receivers,
                                 n_node=nn, n_edge=ne, globals=_pad(targets, self.n_graph, 0.0))

    def all(self) -> Iterator[jraph.GraphsTuple]:
        """All graphs in dataset order (for prediction): ``epoch(shuffle=False)``."""
        return self.epoch(shuffle=False)

    def n_batches(self) -> int:
        """Number of batches in an (unshuffled) epoch."""
        return len(self.plan(np.arange(len(self.graphs))))
