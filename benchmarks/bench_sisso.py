"""Benchmark of howbig.methods.models.sisso: fit time vs primary features, rung, SIS size and
dimension.

Prints ``name: value unit`` lines. For each setting: the fit time, the candidate features scored
per second by the screening step, the least-squares problems solved by the l0 search over the
screened subspace, and the cost a brute-force l0 search over *all* candidates would have
(``C(n_candidates, d)`` problems at the measured time per solve).

Run: ``nice -n 10 python benchmarks/bench_sisso.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from howbig.methods.models.sisso import SissoRegressor, l0_search, n_combinations


def _data(n: int, p: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 2.5, size=(n, p))
    y = 2.0 * X[:, 0] * X[:, 1] - np.sqrt(X[:, 2]) / X[:, 3] + 0.1 * rng.normal(size=n)
    return X, y


def seconds_per_solve(d: int, n: int = 200, m: int = 60) -> float:
    """Measured wall time of one d-dimensional least-squares solve in the batched l0 search."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(n, m)), rng.normal(size=n)
    start = time.perf_counter()
    _, _, solved = l0_search(X, y, d)
    return (time.perf_counter() - start) / solved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer settings")
    parser.add_argument("--n", type=int, default=200, help="samples")
    args = parser.parse_args()
    settings = [  # (primary features, rung, n_sis, dimension)
        (5, 1, 20, 2), (10, 1, 20, 2), (20, 1, 20, 2),
        (5, 2, 20, 2), (10, 2, 20, 2),
        (10, 2, 50, 2), (10, 2, 20, 3),
    ]
    if not args.quick:
        settings += [(20, 2, 20, 2), (5, 3, 20, 2), (10, 2, 100, 3)]
    per_solve = {d: seconds_per_solve(d, args.n) for d in sorted({s[3] for s in settings})}
    for d, sec in per_solve.items():
        print(f"l0_seconds_per_solve_d{d}: {sec:.3e} s")
    for p, rung, n_sis, dim in settings:
        X, y = _data(args.n, p)
        model = SissoRegressor(max_rung=rung, n_dim=dim, n_sis=n_sis).fit(X, y)
        tag = f"p{p}_rung{rung}_sis{n_sis}_dim{dim}"
        n_cand = model.n_evaluated_ // dim  # each dimension rescreens the whole space
        brute = n_combinations(n_cand, dim)
        print(f"fit_seconds_{tag}: {model.fit_seconds_:.3f} s")
        print(f"candidates_{tag}: {n_cand} features")
        print(f"candidates_per_second_{tag}: {model.n_evaluated_ / model.fit_seconds_:.3e} 1/s")
        print(f"l0_solves_{tag}: {model.n_solved_} problems")
        print(f"bruteforce_l0_solves_{tag}: {brute:.3e} problems")
        est = brute * per_solve[dim]
        print(f"bruteforce_l0_seconds_estimate_{tag}: {est:.3e} s")
        print(f"bruteforce_over_sisso_time_{tag}: {est / model.fit_seconds_:.3e} x")


if __name__ == "__main__":
    main()
