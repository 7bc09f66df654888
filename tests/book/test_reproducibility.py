"""The reproducibility page: rows judged by howbig.verdicts, tallies counting each row once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from howbig import report
from howbig.book import reproducibility as repro
from howbig.paper import PAPER, PUBLISHED
from howbig.report import Measured, Recorder, fact, load_results
from howbig.verdicts import RULES, verdict


@pytest.fixture(autouse=True)
def no_glue(monkeypatch):
    monkeypatch.setattr(report, "_glue", lambda key, value: None)


@dataclass(frozen=True)
class Facts:
    factor: Measured = fact(unit="x", kind="analogue", claim="cross_database_factor")
    gap: Measured = fact(unit="meV", kind="analogue", claim="rf_nn_gap_ranking")
    noisy: Measured = fact(unit="", kind="analogue", claim="sisso_nn_ranking")
    mae: Measured = fact(unit="meV/atom", kind="analogue", claim="mae_mp_on_mp")
    same: Measured = fact(unit="meV/atom", kind="same data", claim="mae_aflow_on_aflow")
    hours: float = fact(unit="h", kind="paper arithmetic", claim="v100_hours_per_run")
    gpu_hours: float = fact(unit="h", kind="paper arithmetic", claim="nas_gpu_hours")
    steps: float = fact(kind="input", claim="train_steps")
    limit: Measured = fact(unit="x", kind="extrapolation", claim="cross_database_factor")
    roost: Measured = fact(unit="eV/atom", kind="external reference",
                           reference="wang2021_roost_mp")
    word: str = fact()


def _facts() -> Facts:
    return Facts(factor=Measured(3.1, uncertainty=0.4, n=3, spread="std over 3 seeds"),
                 gap=Measured(40.0, low=12.0, high=70.0), noisy=Measured(0.1, uncertainty=0.3),
                 mae=Measured(80.0, uncertainty=3.0), same=Measured(31.0, uncertainty=1.0),
                 hours=1.83, gpu_hours=3667.0, steps=2e6, limit=Measured(4.5, low=3.0, high=9.0),
                 roost=Measured(0.07, uncertainty=0.003), word="below")


def _rows(tmp_path, profile="quick"):
    Recorder("ch", prefix="t_", profile=profile, data="data", results_dir=tmp_path).facts(_facts())
    return repro.rows(load_results(tmp_path))


def test_rows_use_the_one_verdict_function(tmp_path):
    rows = {r.record.key: r for r in _rows(tmp_path)}
    assert "t_word" not in rows  # not set beside anything: not on the page
    for row in rows.values():
        if row.record.claim:
            rec = row.record
            assert row.verdict == verdict(rec.claim, rec.value, kind=rec.kind,
                                          uncertainty=rec.uncertainty, low=rec.low, high=rec.high)
    assert rows["t_factor"].verdict.word == "disagrees"  # 3.1 +- 0.4 is not 5-20x
    assert rows["t_gap"].verdict.word == "agrees"
    assert rows["t_noisy"].verdict.why == "noise"
    assert rows["t_mae"].verdict.why == "different data"
    assert rows["t_hours"].verdict.word == "checks out"
    assert rows["t_gpu_hours"].verdict.word == "does not check out"
    assert rows["t_roost"].verdict is None


def test_tallies_count_each_row_once(tmp_path):
    t = repro.tallies(_rows(tmp_path), "quick")
    assert (t.tested, t.agree, t.disagree, t.no_verdict, t.within_noise) == (4, 2, 1, 1, 1)
    assert t.beside == 1  # the analogue MAE beside the paper's plain 23 meV/atom: not a test
    assert (t.arithmetic, t.checks_out, t.slips) == (2, 1, 1)
    assert (t.inputs, t.extrapolations, t.external, t.fixture, t.unclassified) == (1, 1, 1, 0, 0)
    groups = (t.tested + t.beside + t.arithmetic + t.inputs + t.extrapolations + t.external
              + t.fixture + t.unclassified)
    assert groups == t.rows == 10
    assert t.profile == "quick" and t.unclassified_chapters == "none"


def test_smoke_labels_fixture_rows_but_keeps_the_paper_arithmetic(tmp_path):
    rows = _rows(tmp_path, profile="smoke")
    t = repro.tallies(rows, "smoke")
    # The paper's inputs stay inputs in smoke (like its arithmetic); only measured rows are fixtures.
    assert (t.tested, t.beside, t.arithmetic, t.inputs, t.fixture) == (0, 0, 2, 1, 7)
    arithmetic = repro.arithmetic_table(rows)
    assert list(arithmetic["checks out"]) == ["checks out", "does not check out"]
    assert list(arithmetic["band"]) == ["1 to 3 h", "30,000 to 50,000 h"]
    tables = repro.section_tables(rows)
    assert {k for _, _, f in tables for k in f["kind"]} == {"fixture"}
    assert {v for _, _, f in tables for v in f["verdict"]} == {"no verdict: fixture data"}


def test_no_verdict_on_an_input_and_inputs_listed_apart(tmp_path):
    rows = _rows(tmp_path)
    inputs = repro.inputs_table(rows)
    assert list(inputs["quantity"]) == [PAPER["train_steps"].description]
    assert all("input" not in set(f["kind"]) for _, _, f in repro.section_tables(rows))
    assert "train_steps" not in repro.arithmetic_table(rows).to_string()


def test_section_tables_show_the_papers_words_band_and_interval(tmp_path):
    tables = {s: f.set_index("claim: band") for s, _, f in
              repro.section_tables(_rows(tmp_path))}
    factor = tables["2"].loc["order of magnitude larger: 5 to 20 x"]
    assert PAPER["cross_database_factor"].quote in factor["the paper says"]
    assert factor["this build"] == "3.1 ± 0.4 x (n = 3, std over 3 seeds)"
    gap = tables["5"].loc["ranking: above 0 meV"]
    assert gap["this build"] == "40 [12, 70] meV"
    assert "number: 22.5 to 23.5 meV/atom" in tables["2"].index  # the analogue MAE's claim


def test_external_table_lists_every_published_number_with_its_citation(tmp_path):
    table = repro.external_table(_rows(tmp_path)).set_index("what")
    assert len(table) == len(PUBLISHED)
    roost = table.loc[PUBLISHED["wang2021_roost_mp"].what]
    assert roost["citation"].startswith("Wang et al., npj Comput. Mater. 7, 77 (2021)")
    assert roost["this build"].startswith("0.07 ± 0.003 eV/atom")
    gupta = table.loc[PUBLISHED["gupta2021_jarvis_scratch"].what]
    assert gupta["this build"] == "not computed in this build"


def test_extrapolations_are_reported_without_verdict(tmp_path):
    table = repro.extrapolations_table(_rows(tmp_path))
    assert len(table) == 1 and table.iloc[0]["verdict"].startswith("no verdict")


def test_not_computable_rows_say_so(tmp_path):
    @dataclass(frozen=True)
    class Nan:
        factor: Measured = fact(unit="x", kind="analogue", claim="cross_database_factor")

    Recorder("ch", results_dir=tmp_path).facts(Nan(Measured(float("nan"))))
    row, = repro.rows(load_results(tmp_path))
    assert row.verdict.why == "not computable"
    frame = repro.section_tables([row])[0][2]
    assert frame.iloc[0]["this build"] == "not computable"
    assert "nan" not in frame.to_string().lower()


def test_rule_table_has_one_row_per_rule():
    table = repro.rule_table()
    assert list(table["claim kind"]) == list(RULES)


def test_old_records_are_judged_by_the_same_rules(tmp_path):
    rec = Recorder("ch", profile="quick", results_dir=tmp_path)
    rec("old", 5.7, paper="cpu_gpu_slowdown", kind="arithmetic", agrees=True)  # old kind, verdict
    row, = repro.rows(load_results(tmp_path))
    assert row.kind == "paper arithmetic" and row.verdict.agrees is False  # agrees= is ignored
    rec("unclassified", 1.0, paper="mae_mp_on_mp")
    assert repro.unclassified_by_chapter(repro.rows(load_results(tmp_path))) == {"ch": 1}


def test_measured_by_chapter_counts_intervals_as_uncertainty(tmp_path):
    _rows(tmp_path)
    table = repro.measured_by_chapter(load_results(tmp_path)).set_index("chapter")
    assert table.loc["ch"].tolist() == [5, 5, 5]
