"""k-NN graphs and padded batches: known crystals, a brute-force reference, padding."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import jraph
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from howbig.methods.graphs import (
    GraphSet,
    PaddedBatcher,
    build_graphs,
    graph_mask,
    rbf_expand,
)
from howbig.methods.neighbours import knn_edges


def _brute_force_knn(atoms: Atoms, k: int, images: int = 3) -> list[np.ndarray]:
    """Sorted k smallest distances to every atom, by enumerating periodic images."""
    pos, cell = atoms.get_positions(), atoms.cell.array
    shifts = np.array(list(itertools.product(range(-images, images + 1), repeat=3))) @ cell
    out = []
    for i in range(len(atoms)):
        d = np.linalg.norm(pos[None, :, None, :] + shifts[None, None] - pos[i], axis=-1).ravel()
        d = np.sort(d[d > 1e-8])
        out.append(d[:k])
    return out


@pytest.mark.parametrize(
    ("atoms", "shells"),
    [
        (bulk("Cu", "fcc", a=3.61), [(12, 3.61 / np.sqrt(2))]),
        (bulk("Fe", "bcc", a=2.87), [(8, 2.87 * np.sqrt(3) / 2), (4, 2.87)]),
        (bulk("NaCl", "rocksalt", a=5.64), [(6, 5.64 / 2), (6, 5.64 / np.sqrt(2))]),
        (bulk("Si", "diamond", a=5.43), [(4, 5.43 * np.sqrt(3) / 4), (8, 5.43 / np.sqrt(2))]),
        # a sparse lattice: the search radius must grow beyond its 3 Å start
        (bulk("Cu", "fcc", a=10.0), [(12, 10.0 / np.sqrt(2))]),
    ],
    ids=["fcc-Cu", "bcc-Fe", "rocksalt-NaCl", "diamond-Si", "sparse-fcc"],
)
def test_knn_known_crystals(atoms, shells):
    _, receivers, distances = knn_edges(atoms, k=12)
    n = len(atoms)
    assert np.array_equal(np.bincount(receivers, minlength=n), np.full(n, 12))
    expected = np.concatenate([np.full(count, d) for count, d in shells])
    for i in range(n):
        np.testing.assert_allclose(np.sort(distances[receivers == i]), expected, atol=1e-5)


def test_knn_rocksalt_first_shell_is_the_other_species():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    senders, receivers, _ = knn_edges(atoms, k=6)
    assert np.all(senders != receivers)  # Na's six nearest are Cl and vice versa


def test_knn_matches_brute_force_on_triclinic_cell():
    rng = np.random.default_rng(3)
    cell = np.diag([3.1, 3.7, 4.3]) + rng.uniform(-0.6, 0.6, (3, 3))
    atoms = Atoms("Mg2O3", scaled_positions=rng.uniform(size=(5, 3)), cell=cell, pbc=True)
    senders, receivers, distances = knn_edges(atoms, k=12)
    reference = _brute_force_knn(atoms, 12)
    for i in range(len(atoms)):
        got = distances[receivers == i]
        assert np.all(np.diff(got) >= -1e-6)  # sorted per receiver
        np.testing.assert_allclose(got, reference[i], rtol=1e-5)
    # the recorded distance is that of an actual image of the sender
    pos = atoms.get_positions()
    shifts = np.array(list(itertools.product(range(-3, 4), repeat=3))) @ cell
    for s, r, d in zip(senders, receivers, distances, strict=True):
        assert np.min(np.abs(np.linalg.norm(pos[s] + shifts - pos[r], axis=1) - d)) < 1e-4


def test_knn_supercell_keeps_neighbour_distances():
    rng = np.random.default_rng(0)
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.rattle(0.05, seed=1)
    sc = atoms.repeat((2, 1, 1))
    _, r1, d1 = knn_edges(atoms)
    _, r2, d2 = knn_edges(sc)
    for i in rng.choice(len(atoms), 3, replace=False):
        np.testing.assert_allclose(d1[r1 == i], d2[r2 == i], atol=1e-5)
        np.testing.assert_allclose(d1[r1 == i], d2[r2 == i + len(atoms)], atol=1e-5)


def test_knn_molecule_without_pbc():
    atoms = Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    senders, receivers, _ = knn_edges(atoms, k=12)
    assert len(senders) == 6 and np.all(np.bincount(receivers) == 2)


def test_rbf_numpy_and_jax_agree_and_peak_at_centres():
    d = np.array([0.0, 1.0, 2.55, 7.3], np.float32)
    a = rbf_expand(d)
    b = np.asarray(rbf_expand(jnp.asarray(d)))
    assert a.shape == (4, 150)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-12)
    assert list(np.argmax(a, axis=1)) == [0, 10, 25, 73]  # centres every 0.1 Å


def _dataset(n: int = 23, seed: int = 0) -> GraphSet:
    rng = np.random.default_rng(seed)
    structures = []
    for _ in range(n):
        reps = tuple(rng.integers(1, 3, size=3))
        atoms = bulk("NaCl", "rocksalt", a=rng.uniform(5.4, 5.9)).repeat(reps)
        structures.append(atoms)
    return build_graphs(structures, rng.normal(size=n), progress=False)


def test_graphset_subset_and_concatenate_roundtrip():
    g = _dataset()
    idx = np.array([5, 0, 17])
    sub = g.subset(idx)
    assert len(sub) == 3
    np.testing.assert_array_equal(sub.targets, g.targets[idx])
    np.testing.assert_array_equal(sub.n_node, g.n_node[idx])
    joined = GraphSet.concatenate([g.subset(np.arange(10)), g.subset(np.arange(10, len(g)))])
    for name in ("atomic_numbers", "senders", "receivers", "distances", "n_node", "targets"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(g, name))
    mask = np.zeros(len(g), bool)
    mask[[1, 2]] = True
    assert len(g.subset(mask)) == 2


def test_batcher_static_shapes_cover_every_graph_once():
    g = _dataset()
    batcher = PaddedBatcher(g, 4, seed=1)
    shapes, seen = set(), []
    for batch in batcher.epoch():
        shapes.add((batch.n_node.shape, batch.nodes.shape, batch.edges.shape))
        mask = np.asarray(jraph.get_graph_padding_mask(batch))
        np.testing.assert_array_equal(graph_mask(batch), mask)
        node_mask = np.asarray(jraph.get_node_padding_mask(batch))
        assert mask.sum() <= 4 and node_mask.sum() == batch.n_node[mask].sum()
        assert np.all(batch.nodes[~node_mask] == 0)
        # every real edge joins two nodes of the same graph
        graph_of_node = np.repeat(np.arange(len(batch.n_node)), batch.n_node)
        real_edges = np.asarray(jraph.get_edge_padding_mask(batch))
        assert np.array_equal(graph_of_node[batch.senders[real_edges]],
                              graph_of_node[batch.receivers[real_edges]])
        seen.extend(batch.globals[mask].tolist())
    assert len(shapes) == 1
    np.testing.assert_allclose(sorted(seen), sorted(g.targets.tolist()))
    # unshuffled: dataset order
    ordered = np.concatenate(
        [b.globals[np.asarray(jraph.get_graph_padding_mask(b))] for b in batcher.all()])
    np.testing.assert_array_equal(ordered, g.targets)


def test_batcher_small_budget_closes_batches_early_but_keeps_shape():
    g = _dataset()
    need = int(g.n_node.max()) + 1
    batcher = PaddedBatcher(g, 8, node_budget=need, edge_budget=int(g.n_edge.max()))
    batches = list(batcher.all())
    assert {b.nodes.shape for b in batches} == {(need,)}
    assert sum(int(np.asarray(jraph.get_graph_padding_mask(b)).sum()) for b in batches) == len(g)


def test_epoch_batches_equal_single_batch_assembly():
    g = _dataset()
    batcher, reference = PaddedBatcher(g, 5, seed=3), PaddedBatcher(g, 5, seed=3)
    plan = reference.plan(np.arange(len(g)))
    for fast, idx in zip(batcher.all(), plan, strict=True):
        slow = reference.batch(idx)
        for name in ("nodes", "edges", "senders", "receivers", "n_node", "n_edge", "globals"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))


def _ase_reference_knn(atoms: Atoms, k: int = 12) -> tuple[np.ndarray, ...]:
    """The previous implementation: ASE neighbour lists grown 3 -> 4.5 -> 6.75 Å ... ."""
    from ase.neighborlist import primitive_neighbor_list

    radius, n = 3.0, len(atoms)
    while True:
        i, j, d = primitive_neighbor_list("ijd", atoms.pbc, atoms.cell.array,
                                          atoms.get_positions(), radius)
        counts = np.bincount(i, minlength=n)
        if counts.min() >= k:
            break
        radius *= 1.5
    order = np.lexsort((d, j, np.round(d, 6), i))
    i, j, d = i[order], j[order], d[order]
    rank = np.arange(len(i)) - np.repeat(np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    keep = rank < k
    return j[keep], i[keep], d[keep].astype(np.float32)


@pytest.mark.parametrize("seed", range(4))
def test_knn_identical_to_ase_neighbour_list(seed):
    """Same senders, receivers and float32 distances, bit for bit, as the ASE-based search."""
    rng = np.random.default_rng(seed)
    cell = np.diag(rng.uniform(3, 9, 3)) + rng.uniform(-1.0, 1.0, (3, 3))
    n = int(rng.integers(1, 9))
    # positions partly outside the cell: wrapping must not change the distances
    atoms = Atoms(numbers=rng.integers(1, 50, n), scaled_positions=rng.uniform(-0.5, 1.5, (n, 3)),
                  cell=cell, pbc=True)
    for got, want in zip(knn_edges(atoms), _ase_reference_knn(atoms), strict=True):
        assert np.array_equal(got, want)


def test_batcher_buckets_pad_to_the_smallest_shape_that_fits():
    g = _dataset()
    one, three = PaddedBatcher(g, 4, seed=2), PaddedBatcher(g, 4, seed=2, buckets=3)
    assert three.shape == one.shape and len(three.shapes) <= 3
    padded_one = padded_three = 0
    for a, b in zip(one.epoch(), three.epoch(), strict=True):
        mask = graph_mask(a)
        assert b.nodes.shape[0] in [n for _, n, _ in three.shapes]
        np.testing.assert_array_equal(graph_mask(b), mask)  # the same graphs, less padding
        np.testing.assert_array_equal(a.globals[mask], b.globals[mask])
        # the smallest bucket: the next smaller one would not hold the batch
        smaller = [(n, e) for n, e in three.budgets if n < b.nodes.shape[0]]
        real_nodes, real_edges = int(a.n_node[mask].sum()), int(a.n_edge[mask].sum())
        assert all(real_nodes >= n or real_edges > e for n, e in smaller)
        padded_one += a.nodes.shape[0] - real_nodes
        padded_three += b.nodes.shape[0] - real_nodes
    assert padded_three < padded_one
