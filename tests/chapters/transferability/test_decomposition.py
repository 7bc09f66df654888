"""Where the cross-database error comes from: planted predictions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.decomposition import (
    PARTS,
    copy_floor,
    decompose,
    decomposition_figure,
    summarise,
)

GROUPS = ("anion", "rest")


def _planted(seeds=(0, 1)):
    """A holds keys k0..k59 (A = B + shift by group); B's test set holds k40..k99.

    A model trained on A predicts A's label (+ noise) where A holds the formula, and B's label
    + 1.0 (an extrapolation error) where it does not.
    """
    rng = np.random.default_rng(0)
    keys = [f"k{i}" for i in range(100)]
    group = np.where(np.arange(100) % 2 == 0, "anion", "rest")
    b = pd.DataFrame({"key": keys, "target": rng.normal(-1, 1, 100)})
    shift = np.where(group == "anion", -0.2, 0.0)
    a = pd.DataFrame({"key": keys[:60], "target": (b["target"] + shift)[:60]})
    test = b.iloc[40:].assign(group=group[40:])
    rows = []
    for seed in seeds:
        noise = np.random.default_rng(seed).normal(0, 0.01, len(test))
        held = test["key"].isin(a["key"]).to_numpy()
        pred = np.where(held, test["target"] + shift[40:], test["target"] + 1.0) + noise
        rows.append(test.assign(trained_on="A", tested_on="B", seed=seed, prediction=pred))
        rows.append(test.assign(trained_on="B", tested_on="B", seed=seed,
                                prediction=test["target"]))  # diagonal: skipped
    return pd.concat(rows, ignore_index=True), {"A": a, "B": b}


def test_shares_add_to_one_and_held_error_is_the_database_difference():
    predictions, tables = _planted()
    per_seed = decompose(predictions, tables, groups=GROUPS)
    assert set(per_seed["trained_on"]) == {"A"} and set(per_seed["part"]) == set(PARTS)
    total = per_seed.groupby(["seed", "group"])[["error share", "formula share"]].sum()
    assert np.allclose(total, 1.0)
    held = per_seed[per_seed["part"] == "held"].set_index(["seed", "group"])
    # 20 of B's 60 test formulas are held (k40..k59)
    assert (held.xs("all", level="group")["formulas"] == 20).all()
    assert held.xs("anion", level="group")["mean difference"].to_numpy() == pytest.approx(-0.2)
    assert held.xs("rest", level="group")["mean difference"].to_numpy() == pytest.approx(0.0)
    assert np.allclose(held["mean error"], held["mean difference"], atol=0.01)
    assert (held["mae vs own label"] < 0.02).all()
    other = per_seed[per_seed["part"] == "not held"]
    assert np.allclose(other["mean error"], 1.0, atol=0.01)
    assert other["mean difference"].isna().all()
    # the not-held formulas carry the error: 40 x 1.0 against 10 x 0.2
    share = per_seed.query("part == 'not held' and group == 'all'")["error share"]
    assert np.allclose(share, 40 / 42, atol=0.01)


def test_summary_has_the_seed_spread_and_the_figure_draws():
    predictions, tables = _planted(seeds=(0, 1, 2))
    summary = summarise(decompose(predictions, tables, groups=GROUPS))
    row = summary.loc[("A", "B", "all", "not held")]
    assert row["seeds"] == 3 and row["mean error std"] > 0
    assert row["error share"] + summary.loc[("A", "B", "all", "held"), "error share"] \
        == pytest.approx(1.0)
    one = summarise(decompose(predictions[predictions["seed"] == 0], tables, groups=GROUPS))
    assert one["mae std"].isna().all()
    fig = decomposition_figure(summary, groups=["all", *GROUPS])
    assert len(fig.axes) == 2


def test_copy_floor_counts_the_held_differences_over_all_test_formulas():
    _, tables = _planted()
    test = tables["B"].iloc[40:]
    # held: k40..k59, half of them (even) shifted by 0.2; 60 test formulas
    assert copy_floor(test, tables["A"]) == pytest.approx(10 * 0.2 / 60)
    assert copy_floor(test, tables["B"]) == 0.0


def test_runs_of_several_sizes_are_kept_apart():
    predictions, tables = _planted()
    both = pd.concat([predictions.assign(n=10), predictions.assign(n=20)], ignore_index=True)
    per_seed = decompose(both, tables, groups=GROUPS, by=("n",))
    assert list(per_seed.columns[:2]) == ["n", "trained_on"]
    assert np.allclose(per_seed.groupby(["n", "seed", "group"])["error share"].sum(), 1.0)
    summary = summarise(per_seed, by=("n",))
    assert summary.loc[(20, "A", "B", "all", "held"), "formulas"] == 20
