"""Benchmark of Chapter 4: icet cluster vectors, CELL-style counts, polynomial features, OMP paths.

Prints ``name: value unit`` lines on the real GeSn2N4 data (registry dataset ``gesn2n4``):
cluster-space construction and cluster vectors per configuration for the small and large pools,
all-Ge cluster counts per configuration (the CELL cross-check), building the distinct d = 3
features of the small pool, and one OMP path of 200 features (fit only, and with 5-fold CV).

Run: ``HOWBIG_MIRROR=../shared/data nice -n 10 python benchmarks/bench_ce.py``.
"""

from __future__ import annotations

import time

import numpy as np

from howbig.chapters.cluster_expansion.experiment import cached_cluster_vectors
from howbig.data.sources.gesn2n4 import load_gesn2n4
from howbig.methods import cluster_expansion as ce

SMALL, LARGE, CHECK = (9.0, 5.5), (10.0, 8.5, 6.0), (10.0, 8.5)


def main() -> int:
    """Run the benchmark and print ``name: value unit`` lines."""
    table = load_gesn2n4()
    structures = list(table["atoms"])
    ref = table.loc[table["structure"] == 0, "atoms"].iloc[0]
    y = table["band_gap"].to_numpy(float)
    sample = structures[:200]
    pools = {}
    for name, cutoffs in (("small", SMALL), ("large", LARGE)):
        t0 = time.perf_counter()
        cs = ce.spinel_cluster_space(ref, cutoffs)
        print(f"ce_cluster_space_{name}: {time.perf_counter() - t0:.2f} s ({len(cs)} orbits)")
        t0 = time.perf_counter()
        ce.cluster_vectors(cs, sample)
        per = (time.perf_counter() - t0) / len(sample)
        print(f"ce_cluster_vector_{name}: {1000 * per:.2f} ms/configuration")
        pools[name] = cached_cluster_vectors(ref, cutoffs, structures)[0][:, 1:]
    cs = ce.spinel_cluster_space(ref, CHECK)
    t0 = time.perf_counter()
    ce.ge_cluster_counts(cs, sample)
    per = (time.perf_counter() - t0) / len(sample)
    print(f"ce_ge_cluster_counts: {1000 * per:.2f} ms/configuration ({len(cs)} orbits)")
    t0 = time.perf_counter()
    _, features = ce.PolynomialFeatures(pools["small"], 3).distinct()
    print(f"ce_distinct_d3_small: {time.perf_counter() - t0:.2f} s "
          f"({features.shape[1]} of {ce.polynomial_feature_count(27, 3)} columns)")
    t0 = time.perf_counter()
    ce.omp_path(features, y, max_features=200)
    print(f"ce_omp_path_200: {time.perf_counter() - t0:.2f} s ({features.shape[0]} rows)")
    t0 = time.perf_counter()
    ce.omp_cv_path(features, y, max_features=200, n_splits=5, seed=0)
    print(f"ce_omp_cv_path_200_5fold: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    ce.omp_nested_cv(features, y, max_features=200, n_splits=5, inner_splits=5, seed=0)
    print(f"ce_omp_nested_cv_200_5x5fold: {time.perf_counter() - t0:.2f} s")
    rng = np.random.default_rng(0)
    big = ce.PolynomialFeatures(rng.normal(size=(1000, 178)), 2)
    t0 = time.perf_counter()
    _, dense = big.distinct()
    print(f"ce_distinct_d2_p178_random: {time.perf_counter() - t0:.2f} s "
          f"({dense.shape[1]} columns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
