"""The h-BN generator and its committed result file."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from howbig.dft import hbn


@pytest.fixture(scope="module")
def results():
    return hbn.load_results()


def test_committed_grid_is_complete(results):
    energies, dos, meta = results
    assert np.allclose(energies, hbn.grid())
    assert dos.shape == (len(meta), len(energies))
    assert len(meta) >= 4 * 4 * 2
    assert meta["basis"].nunique() >= 4 and meta["kmesh"].nunique() >= 4
    assert set(meta["xc"]) == {"lda", "pbe"}
    assert not meta.duplicated(["xc", "basis", "kmesh"]).any()
    for col in ("n_basis", "n_kpoints", "total_energy_ev", "converged", "wall_time_s"):
        assert meta[col].notna().all(), col
    k = meta["kmesh"].str.split("x").map(lambda parts: int(np.prod([int(p) for p in parts])))
    assert (k == meta["n_kpoints"]).all()
    # more basis functions for each larger basis set of the family
    nb = meta.groupby("basis")["n_basis"].first().reindex(list(hbn.BASES)).dropna()
    assert nb.is_monotonic_increasing and nb.is_unique
    assert meta.attrs["generation"]["sum_calc_wall_time_s"] > 0


def test_dos_is_aligned_to_the_vbm(results):
    energies, dos, meta = results
    sigma = meta.attrs["broadening"]["sigma_ev"]
    assert (dos >= 0).all()
    at_vbm = dos[:, np.argmin(np.abs(energies))]
    assert (at_vbm > 0.1).all()  # a state sits at E = 0
    for row, gap in zip(dos, meta["gap_ev"], strict=True):
        if gap > 10 * sigma:  # nothing between VBM + 5 sigma and CBM - 5 sigma
            window = (energies > 5 * sigma) & (energies < gap - 5 * sigma)
            assert row[window].max() < 1e-3


def test_dos_on_grid_counts_states():
    eps = np.array([[-1.0, 0.0, 2.0], [-0.5, 0.0, 3.0]])
    e = np.linspace(-6, 8, 2801)
    dos = hbn.dos_on_grid(eps, np.array([0.5, 0.5]), e, sigma=0.1)
    assert np.trapezoid(dos, e) == pytest.approx(6.0, rel=1e-6)  # 3 bands x 2 spins


def test_rerun_only_assembles_cached_calculations(tmp_path):
    """Resumable: with every requested calculation cached, nothing is computed."""
    cache = tmp_path / "cache"
    cache.mkdir()
    spec = hbn.CalcSpec("lda", "gth-szv", (1, 1, 1))
    fake = {"xc": "lda", "basis": "gth-szv", "kmesh": [1, 1, 1], "name": spec.name,
            "wall_time_s": 1.5, "dos": [0.0] * len(hbn.grid())}
    (cache / f"{spec.name}.json").write_text(json.dumps(fake))
    out = tmp_path / "out.json.gz"
    code = hbn.main(["--xc", "lda", "--basis", "gth-szv", "--kmesh", "1x1x1", "--cache",
                     str(cache), "--out", str(out)])
    assert code == 0
    with gzip.open(out, "rt") as fh:
        payload = json.load(fh)
    assert [c["name"] for c in payload["calculations"]] == [spec.name]
    assert payload["generation"]["n_done"] == 1
    assert payload["generation"]["sum_calc_wall_time_s"] == 1.5


@pytest.mark.slow
def test_recomputed_calculation_matches_committed(results):
    """Known answer: rerunning the cheapest calculation reproduces the committed entry."""
    pytest.importorskip("pyscf")
    _, dos, meta = results
    row = meta.index[meta["name"] == "lda_gth-szv_k1x1x1"][0]
    fresh = hbn.run_calculation(hbn.CalcSpec("lda", "gth-szv", (1, 1, 1)))
    assert fresh["n_basis"] == meta.loc[row, "n_basis"]
    assert fresh["total_energy_ev"] == pytest.approx(meta.loc[row, "total_energy_ev"], abs=1e-4)
    np.testing.assert_allclose(fresh["dos"], dos[row], atol=1e-3)
