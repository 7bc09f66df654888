"""Chapter 2's facts on small planted inputs: words follow the numbers, keys are unique."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability import facts as F
from howbig.chapters.transferability.compositions import TransferResult
from howbig.chapters.transferability.curves import analyse_curves
from howbig.chapters.transferability.databases import (
    CORRECTION_GROUPS,
    correction_table,
    difference_table,
)
from howbig.chapters.transferability.decomposition import decompose, summarise
from howbig.chapters.transferability.learning_curves import finetuning_comparison
from howbig.chapters.transferability.summary import headline_table
from howbig.chapters.transferability.transfer import transfer_factor
from howbig.report import Recorder


def test_words_follow_the_numbers_and_the_profile():
    assert F.judge(True, "yes", "no") == "yes" and F.judge(False, "yes", "no") == "no"
    assert F.judge(True, "yes", "no", judged=False) == F.NOT_JUDGED
    assert F.judge(None, "yes", "no") == "not computable on this sample"
    assert F.compare(1, 2) == "below" and F.compare(3, 2) == "above"
    assert F.compare(np.nan, 2) == "not comparable"
    assert F.interval_word(0.1, 0.3) == "excludes" and F.interval_word(-0.1, 0.3) == "includes"
    assert F.interval_word(None, 0.3).startswith("not computable")
    assert F.span_text(1234.4) == "1,234"
    assert F.span_text(5.0, 1.0, np.inf, fmt="{:.1f}") == "5.0 (95 % interval 1.0 to unbounded)"
    assert F.span_text(np.inf) == "not computable on this sample"
    assert F.span_text(5e9, 2e4, 7e12, cap=1e6) == (
        "more than 1,000,000 (95 % interval 20,000 to more than 1,000,000)")


def test_glue_keys_are_unique_across_the_chapter():
    classes = [getattr(F, n) for n in F.__all__ if isinstance(getattr(F, n), type)
               and dataclasses.is_dataclass(getattr(F, n))]
    seen: dict[str, str] = {}
    for cls in classes:
        if cls is F.CrystalFactsSameData:  # the same keys as CrystalFacts, other kinds
            continue
        for field in dataclasses.fields(cls):
            assert field.name not in seen, f"{cls.__name__}.{field.name} and {seen[field.name]}"
            seen[field.name] = cls.__name__


def _planted_tables(anion_offset: float) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    keys = [f"Na{i}Cl" for i in range(1, 150)] + [f"Ga{i}As" for i in range(1, 150)]
    b = rng.normal(-1, 0.5, len(keys))
    shift = np.where([k.endswith("Cl") for k in keys], anion_offset, 0.0)
    a = b + shift + rng.normal(0, 0.01, len(keys))
    frame = {n: pd.DataFrame({"key": keys, "target": v}) for n, v in
             (("A", a), ("B", b), ("C", b + rng.normal(0, 0.05, len(keys))),
              ("A2", a + rng.normal(0, 0.001, len(keys))))}
    return frame


@pytest.mark.parametrize(("offset", "word"), [(-0.3, "differs"), (0.0, "agrees")])
def test_difference_facts_set_a_planted_anion_offset_against_the_paper(offset, word):
    tables = _planted_tables(offset)
    table = difference_table(tables, [("A", "B"), ("A", "C"), ("B", "C"), ("A", "A2")],
                             n_boot=100)
    fit = pd.DataFrame({"formulas": [149, 149, 149], "coefficient": [offset * 2, 0.01, 0.0],
                        "low": [offset * 2 - 0.01, -0.01, -0.02],
                        "high": [offset * 2 + 0.01, 0.03, 0.02]}, index=["Cl", "Na", "Br"])
    corrections = correction_table(fit, ["Cl", "Br", "I"])
    assert corrections.loc["I", "verdict"] == "too few formulas"
    facts = F.difference_facts(table, corrections, control="A2", names=("A", "B", "C"))
    assert facts.offset_vs_paper == word
    assert facts.n_ab == 298 and facts.n_ab_anion == 149
    assert facts.diff_ab_anion.low <= offset <= facts.diff_ab_anion.high + 0.01
    assert facts.control_vs_ab == ("below" if offset else facts.control_vs_ab)
    assert facts.corrected == ("Cl" if offset else "none")
    assert facts.control_verdict == ("no" if offset else facts.control_verdict)
    smoke = F.difference_facts(table, corrections, control="A2", names=("A", "B", "C"),
                               judged=False)
    assert smoke.offset_vs_paper == smoke.control_verdict == F.NOT_JUDGED


def _planted_runs(cross: float, seeds=(0, 1)) -> TransferResult:
    """Databases A, B, C and their union; MAE 0.1 in-database, ``cross`` across, 0.15 for the
    union everywhere."""
    names, union = ("A", "B", "C"), "A+B+C"
    rows = []
    for seed in seeds:
        for trained in (*names, union):
            for tested in names:
                err = 0.1 if trained == tested else 0.15 if trained == union else cross
                keys = [f"{tested}{i}" for i in range(20)]
                sign = np.where(np.arange(20) % 2, 1.0, -1.0)
                rows.append(pd.DataFrame({
                    "trained_on": trained, "n": 100, "seed": seed, "tested_on": tested,
                    "key": keys, "group": CORRECTION_GROUPS[-1], "target": 0.0,
                    "prediction": err * sign + 0.001 * seed}))
    p = pd.concat(rows, ignore_index=True)
    runs = pd.DataFrame([{"trained_on": t, "n": 100 * (3 if t == union else 1), "seed": s,
                          "n_train": 100 * (3 if t == union else 1), "max_steps": 10,
                          "steps": 10} for t in (*names, union) for s in seeds])
    return TransferResult(p, pd.DataFrame(), runs, labels=("trained_on", "n", "seed"))


@pytest.mark.parametrize(("cross", "verdict", "band"),
                         [(0.25, "disagrees", "below"), (1.0, "agrees", "inside")])
def test_matrix_facts_judge_the_factor_by_the_rule(cross, verdict, band):
    facts = F.matrix_facts(_planted_runs(cross), ("A", "B", "C"), "A+B+C")
    assert facts.cross_factor.value == pytest.approx(cross / 0.1, rel=0.02)
    assert facts.cross_factor_verdict == verdict and facts.factor_vs_band == band
    assert facts.pair_mp_jarvis.value == pytest.approx(cross / 0.1, rel=0.02)
    assert facts.combined_above_own == 3 and facts.combined_below_cross == 3
    assert facts.combined_vs_paper == "the same pattern" and facts.combined_cap == 100
    smoke = F.matrix_facts(_planted_runs(cross), ("A", "B", "C"), "A+B+C", judged=False)
    assert smoke.cross_factor_verdict == F.NOT_JUDGED


def test_decomposition_facts_on_planted_held_and_not_held_formulas():
    # A holds half of B's test formulas, with labels 0.2 above B's; the model copies A there
    # and errs by 1.0 on the others
    keys = [f"K{i}" for i in range(40)]
    tables = {"A": pd.DataFrame({"key": keys[:20], "target": 0.2}),
              "B": pd.DataFrame({"key": keys, "target": 0.0, "split": "test"}),
              "C": pd.DataFrame({"key": keys, "target": 0.0, "split": "test"})}
    rows = []
    for a, b in (("A", "B"), ("B", "A"), ("A", "C"), ("C", "A"), ("B", "C"), ("C", "B")):
        test = tables[b]
        held = test["key"].isin(tables[a]["key"])
        for seed in (0, 1):
            rows.append(pd.DataFrame({
                "trained_on": a, "seed": seed, "tested_on": b, "key": test["key"],
                "group": CORRECTION_GROUPS[1], "target": test["target"],
                "prediction": np.where(held, test["target"] + 0.2, test["target"] - 1.0)}))
    summary = summarise(decompose(pd.concat(rows, ignore_index=True), tables))
    facts = F.decomposition_facts(summary, ("A", "B", "C"), tables)
    assert facts.not_held_formulas_ab == pytest.approx(0.5)
    assert facts.not_held_share_ab.value == pytest.approx(1.0 / 1.2)
    assert facts.held_error_ab.value == pytest.approx(0.2)
    assert facts.held_difference_ab == pytest.approx(0.2)
    assert facts.not_held_error_ac.value == pytest.approx(-1.0)
    assert facts.ac_direction == "too stable" and facts.stability_vs_paper == "agrees"
    assert facts.convention_word == "yes"


def _planted_curves() -> tuple[TransferResult, dict[str, pd.DataFrame]]:
    """A and B; in-database error 0.5 n^-0.5 + 0.02, across 0.3 n^-0.3 + 0.1 (noise 2 %)."""
    rng = np.random.default_rng(1)
    keys = {n: [f"{n}{i}" for i in range(30)] for n in ("A", "B")}
    tables = {n: pd.DataFrame({"key": k, "target": 0.0, "split": "test"})
              for n, k in keys.items()}
    rows = []
    for trained in ("A", "B"):
        for n in (200, 500, 1_000, 3_000, 10_000, 30_000):
            for seed in (0, 1, 2):
                for tested in ("A", "B"):
                    mae = (0.5 * n**-0.5 + 0.02 if tested == trained else 0.3 * n**-0.3 + 0.1)
                    mae *= 1 + 0.02 * rng.standard_normal()
                    rows.append(pd.DataFrame({
                        "trained_on": trained, "n": n, "seed": seed, "tested_on": tested,
                        "key": keys[tested], "group": "g", "target": 0.0, "prediction": mae}))
    result = TransferResult(pd.concat(rows, ignore_index=True), pd.DataFrame(), pd.DataFrame(),
                            labels=("trained_on", "n", "seed"))
    return result, tables


def test_curve_facts_recover_planted_floors_and_a_ratio_limit_below_ten():
    result, tables = _planted_curves()
    analysis = analyse_curves(result, tables, ["A", "B"], n_boot=100)
    t = analysis.table.set_index(["trained_on", "tested_on"])
    assert t.loc[("A", "A"), "c"] == pytest.approx(0.02, abs=0.01)
    assert t.loc[("A", "B"), "c"] == pytest.approx(0.1, abs=0.03)
    assert t.loc[("A", "B"), "ratio limit"] == pytest.approx(5.0, rel=0.6)
    # curve_facts reads three databases: name B twice as the third
    analysis3 = analysis
    facts = F.curve_facts(analysis3, ("A", "B", "B"))
    assert facts.n_cross == 2 and facts.n_sizes == 6
    assert facts.crossover_where in ("within the data", "beyond the data")
    assert facts.paper_factor_reachable == ("no" if t.loc[("A", "B"), "ratio limit high"] < 10
                                            else "perhaps, a large enough one")
    assert F.curve_facts(analysis3, ("A", "B", "B"), judged=False).paper_factor_reachable == \
        F.NOT_JUDGED


def test_finetune_facts_on_a_planted_comparison():
    result, _ = _planted_curves()
    analysis = analyse_curves(result, _planted_curves()[1], ["A", "B"], n_boot=50)
    scratch = pd.DataFrame({"n": [200, 200, 30_000, 30_000], "seed": [0, 1, 0, 1],
                            "mae": [0.055, 0.057, 0.023, 0.023]})
    tuned = scratch.assign(mae=[0.03, 0.032, 0.022, 0.022])
    comparison = finetuning_comparison(tuned, scratch, analysis.fits[("A", "A")])
    raw = pd.DataFrame({"key": ["x", "y", "z", "x"], "part": ["test", "test", "train", "train"]})
    facts = F.finetune_facts(comparison, tuned, scratch, raw)
    assert facts.ft_n_first == 200 and facts.ft_better == 2
    assert facts.equivalent_first.value > 200 and facts.saved_first > 0
    assert (facts.jarvis_test_formulas, facts.jarvis_test_in_train) == (2, 1)
    assert facts.jarvis_scratch_mae.value == pytest.approx(0.023)


def test_headline_table_reads_the_records_back(tmp_path):
    rec = Recorder("transferability", prefix="tr_", profile="quick", results_dir=tmp_path)
    result = _planted_runs(0.25)

    @dataclasses.dataclass(frozen=True)
    class Headline:
        cross_factor: object = dataclasses.field(
            default=None, metadata=dataclasses.fields(F.MatrixFacts)[
                [f.name for f in dataclasses.fields(F.MatrixFacts)].index("cross_factor")
            ].metadata)

    rec.facts(Headline(transfer_factor(result, ["A", "B", "C"])))
    table = headline_table(tmp_path)
    assert list(table.index) == ["2.2 cross-database / in-database MAE, full-size runs"]
    assert table.iloc[0]["against the paper"] == "disagrees"
    assert headline_table(None).empty


def test_headline_table_words_a_crossover_far_beyond_the_data(tmp_path):
    from howbig.report import Measured

    rec = Recorder("transferability", prefix="tr_", profile="quick", results_dir=tmp_path)
    rec("tr_crossover_n", Measured(2.9e14, low=25_817.0, high=2.9e20), unit="formulas",
        kind="extrapolation")
    rec("tr_crossover_text", "more than 6,789,100")
    row = headline_table(tmp_path).iloc[0]
    assert row["value"] == "more than 6,789,100" and "e+" not in row["spread"]


@pytest.mark.parametrize("content", [
    {"mp_published_split_test_mae": {"mean": 0.0612, "std": 0.0011, "seeds": 3}},
    {"mp_published_split_test_mae": [0.0601, 0.0612, 0.0623]},
    {"results": {"mp_published_split_test_mae": {"mean": 0.0612, "std": 0.0011,
                                                 "seeds": [0, 1, 2]}}},
])
def test_the_benchmark_figure_is_read_where_it_has_been_run(tmp_path, content):
    path = tmp_path / "composition_accuracy.json"
    path.write_text(json.dumps(content))
    result = F.read_benchmark(path)
    assert result.value == pytest.approx(0.0612) and result.n == 3
    facts = F.benchmark_facts(result)
    assert facts.benchmark_run == "yes" and facts.benchmark_vs_goal == "above"
    assert facts.benchmark_mae_text.startswith("0.061 eV/atom (std 0.001")


def test_an_absent_or_broken_benchmark_file_reads_as_not_run(tmp_path):
    assert F.read_benchmark(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text("{not json")
    assert F.read_benchmark(tmp_path / "broken.json") is None
    (tmp_path / "other.json").write_text(json.dumps({"jarvis_published_split_test_mae": 0.1}))
    assert F.read_benchmark(tmp_path / "other.json") is None
    facts = F.benchmark_facts(None)
    assert facts.benchmark_run == "no" and facts.benchmark_mae_text == "none"
    assert F.BENCHMARK_RESULTS.parts[-3:] == ("benchmarks", "results", "composition_accuracy.json")


def test_published_facts_set_the_run_beside_the_published_models():
    result = _planted_runs(0.25)
    facts = F.published_facts(result, "A", "quick", "MP table")
    assert facts.published_split_mae.value == pytest.approx(0.1, abs=0.002)
    assert facts.published_seeds == 2 and facts.published_n_test == 20 * 3 * 4
    assert (facts.roost_published, facts.crabnet_published, facts.rf_published) == (
        0.055, 0.059, 0.100)
    assert facts.published_vs_roost == "above"
    assert facts.published_vs_rf == F.compare(facts.published_split_mae.value, 0.100)
    kinds = {f.name: f.metadata for f in dataclasses.fields(F.PublishedFacts)}
    assert kinds["published_split_mae"]["kind"] == "external reference"


def test_the_data_box_names_every_table_of_the_chapter():
    from howbig.profiles import data_credits, data_sources

    for profile in ("quick", "smoke", "full"):
        text = data_credits("transferability", profile)
        for source in data_sources("transferability", profile):
            assert source.label in text
        assert "MP formation energies" in text and "MP band gaps" in text


def test_crystal_facts_judge_the_curve_only_off_fixtures():
    curve = pd.DataFrame({"n_train": [100, 200, 400], "mae": [0.4, 0.3, 0.2],
                          "stopped_early": [False, True, False]})
    kwargs = dict(source="S", latent=8, same_data=False, names=["S"], factor=None,
                  full_names=["MP", "AFLOW"], paper_mae_mp=23.0, paper_mae_aflow=30.0)
    facts = F.crystal_facts(curve, **kwargs)
    assert facts.crystal_falls == "yes" and facts.crystal_stopped == 1
    assert facts.crystal_mae.value == pytest.approx(200.0) and facts.crystal_matrix == "not trained"
    assert F.crystal_facts(curve, judged=False, **kwargs).crystal_falls == F.NOT_JUDGED
