"""DOS similarity matrix: howbig (numpy) against a compiled C kernel of the same min-sum algorithm.

The reference is written to a temporary directory at run time and compiled with
``cc -O3 -march=native`` (no compiler: the script says so and skips the comparison). Both compute
the Tanimoto matrix of thermometer-coded fingerprints from their per-interval pixel counts,
``|a & b| = sum_i min(m_a[i], m_b[i])`` over the upper triangle, one thread, then
``S = |a & b| / (|a| + |b| - |a & b|)``; the values must be identical. The two are timed in
alternation, best of ``--repeat`` each.

Then the blockwise path for sets too large for the matrix: :func:`nearest_neighbours` on
``--big`` spectra (default 20,000: the matrix would take 3.2 GB) keeps only each spectrum's
``k`` nearest neighbours and the block means, and the time is extrapolated as ``n^2`` to 10^5.

Spectra: the 40 PySCF h-BN DOS of the package, copied with random shifts and scales (seed 0), as
in ``bench_similarity.py``.

Usage::

    python benchmarks/bench_similarity_kernel.py [--n 2000] [--big 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import ctypes
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

KERNEL = r"""
#include <stdint.h>
/* Tanimoto matrix of thermometer-coded images from per-interval counts c (n x k, row-major). */
void tanimoto_minsum(const uint8_t *c, long n, long k, const double *total, double *out) {
    for (long i = 0; i < n; i++) {
        const uint8_t *a = c + i * k;
        out[i * n + i] = total[i] > 0 ? 1.0 : 0.0;
        for (long j = i + 1; j < n; j++) {
            const uint8_t *b = c + j * k;
            unsigned both = 0;
            for (long q = 0; q < k; q++) both += a[q] < b[q] ? a[q] : b[q];
            double uni = total[i] + total[j] - both;
            double s = uni > 0 ? both / uni : 0.0;
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
}
"""


def compile_kernel(workdir: Path) -> ctypes.CDLL | None:
    """Compile the C reference; None (with a message) when there is no working compiler."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        print("c_kernel: skipped (no C compiler on PATH: install gcc or clang to compare)")
        return None
    src, lib = workdir / "minsum.c", workdir / "minsum.so"
    src.write_text(KERNEL)
    cmd = [cc, "-O3", "-march=native", "-shared", "-fPIC", str(src), "-o", str(lib)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"c_kernel: skipped ({' '.join(cmd)} failed: {done.stderr.strip()[:200]})")
        return None
    print(f"c_kernel: {' '.join(cmd[:4])} ({Path(cc).name})")
    return ctypes.CDLL(str(lib))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--big", type=int, default=20000)
    parser.add_argument("--k", type=int, default=5, help="neighbours kept per spectrum")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bench_similarity import _spectra

    from howbig.methods import fingerprints as F
    from howbig.methods import similarity_matrix as S

    energies, spectra = _spectra(args.n)
    fps = F.dos_fingerprints(energies, spectra)
    counts = fps.counts[:, fps.counts.any(axis=0)]
    print(f"n_fingerprints: {args.n} ({counts.shape[1]} non-empty intervals, "
          f"{fps.bits.shape[1] * fps.bits.shape[2]} pixels each)")
    with tempfile.TemporaryDirectory() as tmp:
        lib = compile_kernel(Path(tmp))
        if lib is not None:
            c8 = np.ascontiguousarray(counts, np.uint8)
            total = counts.sum(axis=1).astype(np.float64)
            out = np.empty((args.n, args.n))

            def c_matrix() -> np.ndarray:
                lib.tanimoto_minsum(c8.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(args.n),
                                    ctypes.c_long(c8.shape[1]),
                                    total.ctypes.data_as(ctypes.c_void_p),
                                    out.ctypes.data_as(ctypes.c_void_p))
                return out

            best = {"c": np.inf, "howbig": np.inf}
            for _ in range(args.repeat):  # alternate, so both see the same load
                for name, fn in (("c", c_matrix), ("howbig", lambda: S.similarity_matrix(fps))):
                    t0 = time.perf_counter()
                    result = fn()
                    best[name] = min(best[name], time.perf_counter() - t0)
                    if name == "howbig":
                        ours = result
            print(f"values_identical: {bool(np.array_equal(ours, out))}")
            print(f"c_kernel_time: {best['c']:.4f} s (best of {args.repeat})")
            print(f"howbig_time: {best['howbig']:.4f} s (best of {args.repeat})")
            print(f"howbig_over_c: {best['howbig'] / best['c']:.2f} x (goal <= 2)")

    energies, spectra = _spectra(args.big, seed=1)
    big = F.dos_fingerprints(energies, spectra)
    labels = [f"copy of spectrum {i % 40}" for i in range(args.big)]
    t0 = time.perf_counter()
    result = S.nearest_neighbours(big, k=args.k, labels=labels)
    dt = time.perf_counter() - t0
    print(f"blockwise_n: {args.big} (matrix not held: it would take "
          f"{8 * args.big**2 / 1e9:.1f} GB in float64)")
    print(f"blockwise_time: {dt:.1f} s ({args.k} nearest neighbours and "
          f"{len(result.block_means)}x{len(result.block_means)} block means)")
    print(f"blockwise_pairs_per_second: {args.big**2 / dt / 1e6:.0f} million")
    print(f"extrapolated_time_n1e5: {dt * (1e5 / args.big) ** 2 / 60:.0f} min (n^2 scaling; "
          "memory stays block x n)")


if __name__ == "__main__":
    main()
