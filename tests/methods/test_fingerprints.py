"""DOS fingerprints and similarities: reference implementation, known answers, invariances."""

from __future__ import annotations

import json

import numpy as np
import pytest

from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S

EV = 1.602176634e-19  # J per eV (the NOMAD spectra are in SI units)


@pytest.fixture(scope="module")
def nomad_cases(shared_mirror):
    from howbig.data import fetch_file

    return json.loads(fetch_file("nomad_dos_fingerprint_cases.json").read_text())


def _spectra(cases):
    """The 15 spectra of the fixture, in eV and states/eV, spin channels summed."""
    out = []
    for _, mid in cases["fingerprints"]:
        e = np.asarray(cases[mid]["dos_energies"]) / EV
        y = np.asarray(cases[mid]["dos_values"]).sum(axis=0) * EV
        out.append((mid, e, y))
    return out


# Windows that cover the spectra fully, cut them at the grid's edges, or end inside the grid.
TRUNCATIONS = [(0, 301), (30, 250), (100, 301), (0, 200), (120, 180)]


@pytest.mark.parametrize(
    "grid_kw", [{}, {"cutoff": (-10.0, 5.0)}, {"e_ref": 0.0, "cutoff": (-10.0, 10.0)}]
)
def test_bitwise_equal_to_reference_implementation(nomad_cases, grid_kw):
    """Fingerprints and similarities equal the madas/nomad_dos_fingerprints reference exactly.

    Tolerance: zero. Both codes compare the same floating-point state counts with the same
    thresholds; a different summation order could in principle flip a pixel that sits exactly
    on a threshold, which did not happen on these spectra, so we demand bit equality and
    similarities equal to machine precision (1e-12).
    """
    ref_mod = pytest.importorskip("nomad_dos_fingerprints")
    ref_grid = ref_mod.Grid.create(**{k: list(v) if k == "cutoff" else v
                                      for k, v in grid_kw.items()})
    grid = F.FingerprintGrid(**grid_kw)
    resolve = ref_mod.Grid.resolve_grid_id
    assert resolve(ref_grid.get_grid_id()) == resolve(grid.grid_id)
    assert np.array_equal([g[0] for g in ref_grid.grid()], grid.energies)
    refs, mine = [], []
    for i, (_, e, y) in enumerate(_spectra(nomad_cases)):
        lo, hi = TRUNCATIONS[i % len(TRUNCATIONS)]
        ref = ref_mod.DOSFingerprint().calculate(e[lo:hi], y[lo:hi], grid=ref_grid)
        fp = F.dos_fingerprint(e[lo:hi], y[lo:hi], grid)
        assert list(ref.indices) == [fp.start, fp.stop]
        assert np.array_equal(np.array(ref.get_bitarray().tolist(), bool), fp.bits.ravel())
        refs.append(ref)
        mine.append(fp)
    s_ref = np.array([[a.get_similarity(b) for b in refs] for a in refs])
    fps = F.FingerprintSet.stack(mine)
    for method in ("auto", "minsum", "popcount", "matmul"):
        np.testing.assert_allclose(S.similarity_matrix(fps, method), s_ref, atol=1e-12, rtol=0)
    assert F.tanimoto(mine[3], mine[4]) == pytest.approx(s_ref[3, 4], abs=1e-12)


def test_similarity_of_stored_fingerprints_matches_fixture_matrix(nomad_cases):
    """Our vectorised Tanimoto on the fixture's stored fingerprints gives its stored matrix.

    The stored fingerprints come from an older grid version of the reference (145 intervals
    instead of 141), so we compare the similarity arithmetic on them, not their generation.
    """
    rows, starts, stops = [], [], []
    for text, _ in nomad_cases["fingerprints"]:
        fp = json.loads(text)
        bits = np.unpackbits(np.frombuffer(bytes.fromhex(fp["bins"]), np.uint8)).astype(bool)
        start, stop = fp["indices"]
        rows.append(bits[: (stop - start) * 56].reshape(stop - start, 56))
        starts.append(start)
        stops.append(stop)
    n_int = max(stops)
    full = np.zeros((len(rows), n_int, 56), bool)
    for i, (r, s, e) in enumerate(zip(rows, starts, stops, strict=True)):
        full[i, s:e] = r
    fps = F.FingerprintSet(full, np.array(starts), np.array(stops), F.FingerprintGrid())
    np.testing.assert_allclose(S.similarity_matrix(fps), np.array(nomad_cases["simat"]),
                               atol=1e-12, rtol=0)


def _toy_dos(shift: float = 0.0, n: int = 2401) -> tuple[np.ndarray, np.ndarray]:
    e = np.linspace(-12, 12, n)
    y = 3 * np.exp(-((e + 4 - shift) ** 2) / 0.5) + 2 * np.exp(-((e - 5 - shift) ** 2) / 2.0)
    return e, y


def test_integration_conserves_states():
    e, y = _toy_dos()
    edges, integrals = F.integrate_to_bins(e, y, 0.05)
    assert np.allclose(np.diff(edges), 0.05)
    assert integrals.sum() == pytest.approx(np.trapezoid(y, e), rel=1e-6)


def test_similarity_properties():
    rng = np.random.default_rng(0)
    e, _ = _toy_dos()
    dos = np.stack([_toy_dos(s)[1] * rng.uniform(0.5, 2) for s in rng.uniform(-1, 1, 12)])
    fps = F.dos_fingerprints(e, dos)
    sim = S.similarity_matrix(fps)
    assert np.allclose(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0)
    assert ((sim >= 0) & (sim <= 1)).all()
    # identical spectra -> 1; the same spectrum rastered twice in a batch or alone -> same bits
    assert np.array_equal(F.dos_fingerprint(e, dos[3]).bits, fps[3].bits)
    # permutation equivariance
    perm = rng.permutation(len(dos))
    np.testing.assert_allclose(S.similarity_matrix(F.dos_fingerprints(e, dos[perm])),
                               sim[np.ix_(perm, perm)])


def test_planted_overlap_known_answer():
    """Hand-made images: |a & b| = 2, |a| = 3, |b| = 4 -> S = 2 / 5."""
    grid = F.FingerprintGrid.paper()
    a = np.zeros((grid.n_intervals, grid.n_pix), bool)
    b = np.zeros_like(a)
    a[10, :3] = True
    b[10, 1:3] = True
    b[20, :2] = True
    fa = F.Fingerprint(a, 0, grid.n_intervals, grid)
    fb = F.Fingerprint(b, 0, grid.n_intervals, grid)
    assert F.tanimoto(fa, fb) == pytest.approx(0.4)
    assert S.similarity_matrix(F.FingerprintSet.stack([fa, fb]))[0, 1] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="thermometer"):
        S.similarity_matrix(F.FingerprintSet.stack([fa, fb]), "minsum")
    img = F.overlap_image(fa, fb)
    assert (img == 3).sum() == 2 and (img == 1).sum() == 1 and (img == 2).sum() == 2


def test_shifted_spectrum_is_less_similar():
    e, y0 = _toy_dos()
    sims = [F.tanimoto(F.dos_fingerprint(e, y0), F.dos_fingerprint(e, _toy_dos(s)[1]))
            for s in (0.0, 0.1, 0.5, 2.0)]
    assert sims[0] == 1.0
    assert all(np.diff(sims) < 0)


def test_block_means_and_grouping_on_planted_blocks():
    labels = ["A"] * 3 + ["B"] * 2
    sim = np.array([
        [1.0, 0.9, 0.8, 0.1, 0.2],
        [0.9, 1.0, 0.7, 0.2, 0.1],
        [0.8, 0.7, 1.0, 0.3, 0.2],
        [0.1, 0.2, 0.3, 1.0, 0.95],
        [0.2, 0.1, 0.2, 0.95, 1.0],
    ])
    table = S.block_means(sim, labels)
    assert table.loc["A", "A"] == pytest.approx(0.8)
    assert table.loc["B", "B"] == pytest.approx(0.95)
    assert table.loc["A", "B"] == pytest.approx(np.mean(sim[:3, 3:]))
    assert table.loc["A", "B"] == table.loc["B", "A"]
    groups = S.group_by_similarity(sim, 0.6)
    assert groups.tolist() == [0, 0, 0, 1, 1]
    # complete linkage: every pair inside a group reaches the threshold
    assert S.group_by_similarity(sim, 0.75).tolist() == [0, 0, 1, 2, 2]
    assert S.group_by_similarity(sim, 0.0).tolist() == [0] * 5


def test_errors_speak():
    grid = F.FingerprintGrid.paper()
    with pytest.raises(ValueError, match="does not overlap"):
        F.dos_fingerprint(np.linspace(20, 30, 50), np.ones(50), grid)
    with pytest.raises(ValueError, match="method"):
        S.similarity_matrix(F.dos_fingerprints(*_toy_dos()), "loops")


def test_same_range_fast_path_equals_bitwise_methods():
    """One energy window for all spectra takes the blockwise minsum path: it must give exactly the
    values of the bit-level methods, also when the matrix spans several blocks."""
    rng = np.random.default_rng(1)
    e, _ = _toy_dos()
    dos = np.stack([_toy_dos(s)[1] * rng.uniform(0.5, 2) for s in rng.uniform(-1, 1, 30)])
    fps = F.dos_fingerprints(e, dos)
    assert np.all(fps.starts == fps.starts[0]) and np.all(fps.stops == fps.stops[0])
    fast = S.similarity_matrix(fps, "minsum")
    assert np.array_equal(fast, S.similarity_matrix(fps, "popcount"))
    assert np.array_equal(fast, S.similarity_matrix(fps, "matmul"))
    counts = fps.bits.sum(axis=2)
    assert np.array_equal(S._tanimoto_minsum_same_range(counts, block=7), fast)
    assert np.array_equal(S._intersections_minsum(counts, block=7),
                          S._intersections_popcount(fps.bits))


@pytest.mark.parametrize("mixed_ranges", [False, True])
def test_nearest_neighbours_stream_equals_full_matrix(mixed_ranges):
    """Blockwise top-k and block means equal those read off the full similarity matrix."""
    rng = np.random.default_rng(4)
    e, _ = _toy_dos()
    dos = np.stack([_toy_dos(s)[1] * rng.uniform(0.5, 2) for s in rng.uniform(-1, 1, 37)])
    if mixed_ranges:  # spectra on different energy windows: a FingerprintSet of single prints
        cut = [e <= 9.0 - 2.0 * (i % 3) for i in range(len(dos))]
        fps = F.FingerprintSet.stack([F.dos_fingerprint(e[c], y[c])
                                      for c, y in zip(cut, dos, strict=True)])
        assert len(set(fps.stops.tolist())) > 1
    else:
        fps = F.dos_fingerprints(e, dos)
    sim = S.similarity_matrix(fps)
    labels = [f"block {i % 4}" for i in range(len(dos))]
    got = S.nearest_neighbours(fps, k=4, labels=labels, block=8, tile=16)
    off = sim - 2 * np.eye(len(sim))  # itself is not a neighbour
    want = np.sort(off, axis=1)[:, ::-1][:, :4]
    np.testing.assert_array_equal(got.similarities, want)
    np.testing.assert_array_equal(np.take_along_axis(sim, got.indices, 1), want)
    assert np.all(got.indices != np.arange(len(sim))[:, None])
    np.testing.assert_allclose(got.block_means.to_numpy(),
                               S.block_means(sim, labels).to_numpy(), rtol=1e-12)
