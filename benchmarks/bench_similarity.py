"""All-pairs DOS similarity matrix of 2,000 fingerprints: howbig vs the madas reference.

Spectra: the 40 PySCF h-BN DOS committed with the package, each copied 50 times with a random
rigid energy shift (|shift| <= 0.5 eV) and scale (0.8-1.2), seed 0, so every fingerprint differs.

The reference (``nomad_dos_fingerprints``, bundled with madas 1.3.0) compares one pair per Python
call; its all-pairs time grows as N^2. It is timed on the first ``--ref-n`` spectra (both the
fingerprint generation and the full matrix) and extrapolated to N with (N / ref_n)^2 for the
matrix and N / ref_n for the generation; the printed lines say so. Values are compared on the
subset: the two matrices must be identical.

Usage::

    nice -n 10 python benchmarks/bench_similarity.py [--n 2000] [--ref-n 300]

``--ref-n 2000`` times the reference on all 2,000 spectra (about 80 s here) instead of
extrapolating.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from howbig.dft.hbn import load_results
from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S


def _spectra(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    energies, dos, _ = load_results()
    rng = np.random.default_rng(seed)
    base = dos[rng.integers(0, len(dos), n)]
    shifts = rng.uniform(-0.5, 0.5, n)
    scales = rng.uniform(0.8, 1.2, n)
    out = np.stack([s * np.interp(energies, energies + d, y) for y, d, s in
                    zip(base, shifts, scales, strict=True)])
    return energies, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--ref-n", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    energies, spectra = _spectra(args.n)
    grid = F.FingerprintGrid.paper()
    t0 = time.perf_counter()
    fps = F.dos_fingerprints(energies, spectra, grid)
    t_fp = time.perf_counter() - t0
    times = {}
    sims = {}
    for method in ("minsum", "popcount", "matmul"):
        best = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sim = S.similarity_matrix(fps, method)
            best = min(best, time.perf_counter() - t0)
        times[method] = best
        sims[method] = sim
    agree = all(np.array_equal(sims["minsum"], v) for v in sims.values())
    print(f"n_fingerprints: {args.n}")
    print(f"pixels_per_fingerprint: {grid.n_intervals * grid.n_pix}")
    print(f"howbig_methods_identical: {agree}")
    print(f"howbig_fingerprints_time: {t_fp:.3f} s")
    print(f"howbig_matrix_minsum_time: {times['minsum']:.3f} s")
    print(f"howbig_matrix_popcount_time: {times['popcount']:.3f} s")
    print(f"howbig_matrix_matmul_time: {times['matmul']:.3f} s")

    from nomad_dos_fingerprints import DOSFingerprint, Grid

    m = min(args.ref_n, args.n)
    ref_grid = Grid.create(e_ref=grid.e_ref, cutoff=list(grid.cutoff))
    t0 = time.perf_counter()
    refs = [DOSFingerprint().calculate(energies, y, grid=ref_grid) for y in spectra[:m]]
    t_ref_fp = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref_sim = np.array([fp.get_similarities(refs) for fp in refs])
    t_ref = time.perf_counter() - t0
    ours_sub = S.similarity_matrix(F.dos_fingerprints(energies, spectra[:m], grid))
    max_diff = float(np.abs(ours_sub - ref_sim).max())
    scale = (args.n / m) ** 2
    t_ref_n = t_ref * scale
    best = min(times.values())
    print(f"reference_subset_n: {m}")
    print(f"reference_fingerprints_time_subset: {t_ref_fp:.3f} s")
    print(f"reference_matrix_time_subset: {t_ref:.3f} s")
    if m == args.n:
        print(f"reference_fingerprints_time_n{args.n}: {t_ref_fp:.1f} s (measured)")
        print(f"reference_matrix_time_n{args.n}: {t_ref_n:.1f} s (measured)")
    else:
        print(f"reference_fingerprints_time_extrapolated_n{args.n}: {t_ref_fp * args.n / m:.1f} s "
              "(linear extrapolation)")
        print(f"reference_matrix_time_extrapolated_n{args.n}: {t_ref_n:.1f} s "
              f"(measured at n={m}, x(n/{m})^2)")
    print(f"max_abs_difference_vs_reference: {max_diff:.3g} (n={m})")
    print(f"speedup_matrix_best: {t_ref_n / best:.0f} x")
    for method, t in times.items():
        print(f"speedup_matrix_{method}: {t_ref_n / t:.0f} x")
    print(f"speedup_fingerprints: {t_ref_fp * args.n / m / t_fp:.0f} x")
    assert sim.shape == (args.n, args.n)


if __name__ == "__main__":
    main()
