"""Power-law fits of learning curves: planted curves, crossover sizes, ratios, fine-tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.learning_curves import (
    crossover_size,
    curve_plan,
    finetuning_comparison,
    fit_curves,
    fit_power_law,
    floor_ratio,
    inverse_power_law,
    power_law,
    ratio_curve,
    run_errors,
)

SIZES = (500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000)
IN, CROSS = (3.0, 0.45, 0.03), (4.0, 0.5, 0.15)  # (a, b, c): in-database and cross-database


def _runs(noise: float = 0.03, seeds: int = 3, rng_seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(rng_seed)
    n = np.repeat(SIZES, seeds).astype(float)
    shared = rng.normal(0, noise, len(n))  # one run: both test sets move together
    return pd.DataFrame({
        "n": n, "seed": np.tile(np.arange(seeds), len(SIZES)),
        "in": power_law(n, *IN) * np.exp(shared + rng.normal(0, noise / 2, len(n))),
        "cross": power_law(n, *CROSS) * np.exp(shared + rng.normal(0, noise / 2, len(n)))})


def test_fit_recovers_a_noiseless_planted_curve():
    n = np.array(SIZES, float)
    a, b, c = fit_power_law(n, power_law(n, *IN))
    assert (a, b, c) == pytest.approx(IN, rel=1e-3)
    assert inverse_power_law(power_law(5_000.0, *IN), *IN) == pytest.approx(5_000)
    assert np.isinf(inverse_power_law(0.02, *IN))  # below the floor: never
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2], [0.1, 0.2])


@pytest.mark.parametrize("method", ["residuals", "runs"])
def test_bootstrap_intervals_cover_the_planted_parameters(method):
    fits = fit_curves(_runs(noise=0.01), ["in", "cross"], n_boot=200, method=method, seed=1)
    for name, truth in (("in", IN), ("cross", CROSS)):
        fit = fits[name]
        assert fit.samples.shape == (200, 3) and fit.n_max == 32_000
        for p, t in zip("abc", truth, strict=True):
            e = fit.estimate(p)
            assert e.low <= e.value <= e.high
            assert e.value == pytest.approx(t, rel=0.15), (name, p, e, t)
        low, high = fit.band(np.array([1e3, 1e4]))
        assert np.all(low <= power_law(np.array([1e3, 1e4]), *truth) * 1.02)
        assert np.all(high >= power_law(np.array([1e3, 1e4]), *truth) * 0.98)


@pytest.mark.slow
def test_residual_bootstrap_covers_the_planted_values_in_most_replicates():
    # measured over 100 replicates (7 sizes x 3 seeds): 0.87-0.92 for a nominal 0.95
    hits = []
    for r in range(20):
        fits = fit_curves(_runs(rng_seed=100 + r), ["in", "cross"], n_boot=100, seed=r)
        c, lim = fits["cross"].estimate("c"), floor_ratio(fits["cross"], fits["in"])
        x = crossover_size(fits["cross"]).size
        hits.append([c.low <= CROSS[2] <= c.high, lim.low <= CROSS[2] / IN[2] <= lim.high,
                     x.low <= (CROSS[0] / (0.1 * CROSS[2])) ** (1 / CROSS[1]) <= x.high])
    assert np.all(np.mean(hits, axis=0) >= 0.75)


def test_crossover_ratio_and_floor_ratio_on_planted_curves():
    fits = fit_curves(_runs(noise=0.01), ["in", "cross"], n_boot=200, seed=2)
    a, b, c = CROSS
    truth = (a / (0.1 * c)) ** (1 / b)  # a N^-b = 0.1 c
    x = crossover_size(fits["cross"])
    assert x.size.low <= x.size.value <= x.size.high and x.tolerance == 0.1
    assert x.size.value == pytest.approx(truth, rel=0.5)
    assert x.beyond_data == (x.size.value > 32_000)
    lim = floor_ratio(fits["cross"], fits["in"])
    assert lim.value == pytest.approx(CROSS[2] / IN[2], rel=0.15)
    r = ratio_curve(fits["cross"], fits["in"], [1e3, 1e4, 1e7])
    want = power_law(r["n"], *CROSS) / power_law(r["n"], *IN)
    assert np.all((r["low"] <= r["ratio"]) & (r["ratio"] <= r["high"]))
    assert np.allclose(r["ratio"], want, rtol=0.1)
    assert r["ratio"].iloc[-1] == pytest.approx(lim.value, rel=0.05)  # tends to the limit
    with pytest.raises(ValueError, match="paired"):
        floor_ratio(fits["cross"], fit_curves(_runs(), ["in"], n_boot=10)["in"])


def test_a_lower_bound_on_the_floor_is_respected():
    runs = _runs(noise=0.01)
    fit = fit_curves(runs, ["cross"], n_boot=50, c_min={"cross": 0.16})["cross"]
    assert fit.c >= 0.16 and (fit.samples[:, 2] >= 0.16 * 0.99).all()
    with pytest.raises(ValueError, match="c_min"):
        fit_power_law(runs["n"], runs["cross"], c_min=1.0)


def test_a_curve_without_floor_has_no_crossover():
    n = np.repeat(SIZES, 2).astype(float)
    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"n": n, "e": power_law(n, 2.0, 0.4, 0.0)
                         * np.exp(rng.normal(0, 0.005, len(n)))})
    fit = fit_curves(runs, ["e"], n_boot=50)["e"]
    x = crossover_size(fit)
    assert x.size.value > 1e6 and x.beyond_data and x.size.high > 1e8


def test_finetuning_saves_the_planted_amount_of_data():
    fits = fit_curves(_runs(noise=0.01), ["in"], n_boot=200, seed=4)
    sizes = [500, 1_000, 2_000, 4_000]
    rows = [{"n": n, "seed": s, "mae": float(power_law(4 * n, *IN)) * (1 + 0.005 * s)}
            for n in sizes for s in range(3)]  # fine-tuned = scratch at four times the data
    scratch = _runs(noise=0.01).rename(columns={"in": "mae"})
    table = finetuning_comparison(pd.DataFrame(rows), scratch, fits["in"])
    assert list(table.index) == sizes and (table["seeds"] == 3).all()
    assert (table["difference"] < 0).all()
    ratio = table["equivalent n"] / table.index
    assert np.allclose(ratio, 4.0, rtol=0.25)
    assert ((table["low"] <= 4 * table.index * 1.05) & (4 * table.index * 0.95 <= table["high"])
            ).all()
    assert np.allclose(table["saved"], table["equivalent n"] - table.index)
    assert not table["beyond data"].any()


def test_curve_plan_meets_the_issue_rules():
    plan = curve_plan(67_891)
    sizes = sorted(plan["n"].unique())
    assert len(sizes) >= 5 and sizes[-1] == 67_891 and sizes[-1] / sizes[0] >= 10 ** 1.5 * 0.99
    seeds = plan.groupby("n")["seed"].nunique()
    assert (seeds.loc[sizes[-2:]] >= 2).all() and (seeds.loc[sizes[:-2]] == 3).all()
    assert (plan["steps"] >= 1_500).all()
    big = plan[plan["n"] == sizes[-1]].iloc[0]
    assert big["steps"] == np.ceil(25 * 67_891 / 256) and big["epochs"] == pytest.approx(25, 0.01)


def test_run_errors_tabulates_mae_per_run_and_test_set():
    p = pd.DataFrame({"trained_on": "A", "n": [10, 10, 10, 20], "seed": 0,
                      "tested_on": ["A", "A", "B", "A"], "target": 0.0,
                      "prediction": [0.1, -0.3, 0.5, 0.05]})
    table = run_errors(p)
    assert list(table.columns) == ["trained_on", "n", "seed", "A", "B"]
    assert table.loc[0, "A"] == pytest.approx(0.2) and table.loc[0, "B"] == 0.5
    assert np.isnan(table.loc[1, "B"])
