"""Chapter 2's training runs: the plan, the cache keyed by the run's settings, fine-tuning."""

from __future__ import annotations

from dataclasses import replace

import jax
import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability import plan
from howbig.chapters.transferability import runs as R
from howbig.chapters.transferability.compositions import regrouped_splits
from howbig.chapters.transferability.settings import CurveSettings, RunSettings

TINY = replace(RunSettings.from_profile("smoke"), width=8, mp_steps=1, batch_size=16,
               min_steps=6, eval_every=3, patience=None, max_validation=20,
               matrix_seeds=(0, 1), combined_seeds=(0,), jobs=1)
CURVES = replace(CurveSettings.from_profile("smoke"), sizes=3, span=4, seeds=(0,),
                 finetune_sizes=2, finetune_seeds=(0, 1))


def _tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    metals = ["Na", "K", "Li", "Mg", "Ca", "Al", "Ga", "Zn", "Fe", "Cu"]
    keys = [f"{a}{i}{b}{j}" for a in metals for b in ("O", "Cl", "S", "Se") for i in (1, 2, 3)
            for j in (1, 2, 3, 4)]
    raw = {}
    for name, shift, share in (("A", 0.0, 0.9), ("B", 0.1, 0.6)):
        pick = rng.random(len(keys)) < share
        raw[name] = pd.DataFrame({"key": np.array(keys)[pick],
                                  "target": rng.normal(-1 + shift, 0.3, pick.sum())})
    return regrouped_splits(raw, seed=0)


@pytest.fixture(scope="module")
def sets():
    return plan.database_sets(_tables(), TINY)


def test_curve_plan_ends_in_the_matrix_runs_and_every_run_is_tested_everywhere(sets):
    matrix = plan.curve_jobs(sets, TINY)
    curve = plan.curve_jobs(sets, TINY, CURVES)
    assert {R.run_key(j) for j in matrix} <= {R.run_key(j) for j in curve}
    assert [j["labels"]["seed"] for j in matrix if j["labels"]["trained_on"] == "A"] == [0, 1]
    assert all(set(j["tests"]) == {"A", "B"} for j in curve)
    sizes = sorted({j["labels"]["n"] for j in curve if j["labels"]["trained_on"] == "A"})
    assert len(sizes) == 3 and sizes[-1] == len(sets["A"]["train"])
    combined = plan.combined_jobs(sets, TINY)
    smallest = min(len(sets[n]["train"]) for n in ("A", "B"))
    assert combined[0]["labels"]["n"] == 2 * smallest


def test_run_key_follows_settings_and_data_not_the_progress_bar(sets):
    job = plan.curve_jobs(sets, TINY)[0]
    same = {**job, "config": {**job["config"], "progress": True, "desc": "x"}}
    assert R.run_key(job) == R.run_key(same)
    other = {**job, "config": {**job["config"], "learning_rate": 0.5}}
    assert R.run_key(job) != R.run_key(other)
    moved = {**job, "train": job["train"].assign(target=job["train"]["target"] + 1e-3)}
    assert R.run_key(job) != R.run_key(moved)


def test_the_cache_trains_a_run_once_and_recomputes_when_absent(sets, tmp_path, monkeypatch):
    jobs = plan.curve_jobs(sets, TINY)[:2]
    trained = []
    real = R._train_job
    monkeypatch.setattr(R, "_train_job", lambda job: trained.append(job) or real(job))
    first = R.run_jobs(jobs, cache=tmp_path, progress=False)["curve"]
    assert len(trained) == 2 and len(list(tmp_path.glob("*.pkl"))) == 2
    again = R.run_jobs(jobs, cache=tmp_path, progress=False)["curve"]
    assert len(trained) == 2  # loaded, not trained
    pd.testing.assert_frame_equal(first.predictions, again.predictions)
    next(tmp_path.glob("*.pkl")).write_bytes(b"damaged")
    R.run_jobs(jobs, cache=tmp_path, progress=False)
    assert len(trained) == 3  # a damaged entry is trained again
    assert R.cache_folder(None) is None
    assert R.cache_folder(tmp_path / "build" / "results") == (
        tmp_path / "build" / "cache" / "transferability").resolve()


def test_fine_tuning_starts_from_the_pretrained_parameters(sets):
    pre = R.run_jobs(plan.curve_jobs(sets, TINY), progress=False)["curve"]
    frozen = replace(CURVES, finetune_learning_rate=0.0)
    jobs = plan.finetune_jobs(sets, pre, TINY, frozen, source="A", target="B")
    assert [(j["labels"]["n"], j["labels"]["seed"]) for j in jobs][:2] == [
        (jobs[0]["labels"]["n"], 0), (jobs[0]["labels"]["n"], 1)]
    # the same training formulas as B's own run of that size and seed
    own = {(j["labels"]["n"], j["labels"]["seed"]): j for j in plan.curve_jobs(
        sets, TINY, replace(CURVES, seeds=(0, 1))) if j["labels"]["trained_on"] == "B"}
    job = jobs[1]
    pd.testing.assert_frame_equal(job["train"], own[(job["labels"]["n"], 1)]["train"])
    tuned = R.run_jobs(jobs[:2], progress=False)["finetune"]
    n_a = len(sets["A"]["train"])
    for seed in (0, 1):
        start = pre.models[("A", n_a, seed)]
        end = tuned.models[("B", job["labels"]["n"], seed, "A")]
        assert end["target_mean"] == start["target_mean"]
        for a, b in zip(jax.tree_util.tree_leaves(end["params"]),
                        jax.tree_util.tree_leaves(start["params"]), strict=True):
            np.testing.assert_array_equal(a, b)  # a zero learning rate: nothing moved


def test_pretraining_never_sees_a_test_formula_of_the_target(sets):
    assert plan.pretraining_leaks(sets, "A", "B") == set()
    assert plan.pretraining_leaks(sets, "B", "A") == set()
    leaky = {**sets, "A": {**sets["A"], "train": pd.concat([sets["A"]["train"],
                                                            sets["B"]["test"].iloc[:1]])}}
    assert plan.pretraining_leaks(leaky, "A", "B") == {sets["B"]["test"]["key"].iloc[0]}
    with pytest.raises(ValueError, match="saw 1 B test formulas"):
        plan.finetune_jobs(leaky, None, TINY, CURVES, source="A", target="B")


def test_subsample_is_fixed_by_size_and_seed():
    rows = pd.DataFrame({"key": [f"k{i}" for i in range(50)], "target": np.arange(50.0)})
    a, b = plan.subsample(rows, 10, 1), plan.subsample(rows, 10, 1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(plan.subsample(rows, 10, 2))
    assert len(plan.subsample(rows, 99, 0)) == 50
