"""The conclusions page: held-out and transfer rows, every disagreement, nothing missing unsaid."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from howbig import report
from howbig.book import conclusions as concl
from howbig.paper import PAPER
from howbig.report import Measured, Recorder, fact, load_results


@pytest.fixture(autouse=True)
def no_glue(monkeypatch):
    monkeypatch.setattr(report, "_glue", lambda key, value: None)


_RANK = dict(unit="meV", fmt="{:+.1f}", kind="analogue", claim="rf_nn_gap_ranking")


#: Chapter 4's held-out records beside a claim: key, value, finding (the row's note).
_HOLDOUT = (
    ("ce_holdout_sub_few_vs_many",
     Measured(-2.8, uncertainty=0.9, low=-5.3, high=-0.4, n=5, spread="folds"),
     "subset: linear minus nonlinear"),
    ("ce_holdout_all_few_vs_many", Measured(-1.1, low=-1.6, high=-0.7, n=5),
     "all: linear minus nonlinear"),
    ("ce_holdout_sub_gain_small", Measured(1.8, low=0.3, high=3.2, n=5),
     "subset: gain, small pool"),
)


@dataclass(frozen=True)
class Transfer:
    """Chapter 2's records (prefix tr_)."""

    cross_factor: Measured = fact(unit="x", fmt="{:.2f}", kind="analogue",
                                  claim="cross_database_factor")
    ratio_limit: Measured = fact(unit="x", fmt="{:.2f}", kind="extrapolation")
    other_factor: Measured = fact(unit="x", fmt="{:.2f}", kind="analogue",
                                  claim="cross_database_factor")


@dataclass(frozen=True)
class Elsewhere:
    """Rows of other chapters: one disagreeing ranking, one agreeing, the paper's arithmetic."""

    ranking: Measured = fact(unit="", kind="analogue", claim="sisso_nn_ranking",
                             reason="SISSO against the NN")
    agrees: Measured = fact(unit="", kind="analogue", claim="nas_search_gain")
    hours: float = fact(unit="h", kind="paper arithmetic", claim="v100_hours_per_run")
    gpu_hours: float = fact(unit="h", kind="paper arithmetic", claim="nas_gpu_hours",
                            reason="the paper's own product")


def _record(tmp_path, profile="quick", *, holdout=True, transfer=True):
    if holdout:
        rec = Recorder("cluster_expansion", profile=profile, results_dir=tmp_path)
        for key, value, finding in _HOLDOUT:
            rec(key, value, finding=finding, **_RANK)
        rec("ce_holdout_sub_cv_small_d1", 80.0, unit="meV")  # beside no claim: not a row
        rec("ce_holdout_sub_few", "d = 2")
    if transfer:
        Recorder("transferability", prefix="tr_", profile=profile,
                 results_dir=tmp_path).facts(Transfer(
                     Measured(2.64, uncertainty=0.01, n=2, spread="std over 2 seeds"),
                     Measured(1.85, low=1.72, high=4.05), Measured(12.0, uncertainty=1.0)))
    Recorder("complexity", profile=profile, results_dir=tmp_path).facts(Elsewhere(
        Measured(-0.5, uncertainty=0.1), Measured(30.0, uncertainty=5.0), 1.83, 3667.0))
    Recorder("newchapter", profile=profile, results_dir=tmp_path).facts(Elsewhere(
        Measured(-0.4, uncertainty=0.1), Measured(30.0, uncertainty=5.0), 2.0, 40000.0))
    return concl.this_profile(load_results(tmp_path), profile)


def test_holdout_rows_headlines_first_with_verdicts_and_intervals(tmp_path):
    table = concl.holdout_table(_record(tmp_path))
    assert list(table["held out"]) == ["subset: linear minus nonlinear",
                                       "all: linear minus nonlinear", "subset: gain, small pool"]
    assert list(table["verdict"]) == ["disagrees", "disagrees", "agrees"]
    assert table.iloc[0]["this build"] == "-2.8 [-5.3, -0.4] meV (n = 5, folds)"
    assert PAPER["rf_nn_gap_ranking"].quote in table.iloc[0]["the paper says"]


def test_missing_records_are_said_not_recorded(tmp_path):
    records = _record(tmp_path, holdout=False, transfer=False)
    keys = concl.HOLDOUT_HEADLINES + concl.TRANSFER_KEYS
    assert concl.missing(records, keys) == list(keys)
    assert not concl.complete(records, concl.HOLDOUT_HEADLINES)
    holdout = concl.holdout_table(records)
    assert len(holdout) == 2
    assert set(holdout["this build"]) == set(holdout["verdict"]) == {concl.NOT_RECORDED}
    transfer = concl.transfer_table(records)
    assert len(transfer) == len(concl.TRANSFER)
    assert set(transfer["this build"]) == {concl.NOT_RECORDED}
    facts = concl.conclusion_facts(records)
    assert facts.ce_sub == facts.ce_sub_verdict == facts.ce_sub_word == concl.NOT_RECORDED
    assert facts.cross_factor == facts.ratio_limit == concl.NOT_RECORDED
    assert facts.missing == ", ".join(keys)


def test_transfer_table_extrapolations_without_verdict_and_other_factors_listed(tmp_path):
    records = _record(tmp_path)
    assert concl.missing(records, concl.HOLDOUT_HEADLINES) == []
    assert concl.missing(records, concl.TRANSFER_KEYS) == [
        k for k in concl.TRANSFER_KEYS if k not in ("tr_cross_factor", "tr_ratio_limit")]
    assert concl.complete(records, ("tr_cross_factor", "tr_ratio_limit"))
    table = concl.transfer_table(records).set_index("quantity")
    what = dict(concl.TRANSFER)
    assert table.loc[what["tr_cross_factor"], "verdict"] == "disagrees"  # 2.64 is not 5-20x
    assert table.loc[what["tr_ratio_limit"], "verdict"].startswith("no verdict: extrapolation")
    assert table.loc[what["tr_ratio_limit"], "this build"] == "1.85 [1.72, 4.05] x"
    assert table.loc[what["tr_pair_mp_jarvis"], "this build"] == concl.NOT_RECORDED
    other = table.loc[PAPER["cross_database_factor"].description]
    assert other["verdict"] == "agrees" and other["kind"] == "analogue"


def test_a_crossover_far_beyond_the_data_is_shown_in_the_chapters_words(tmp_path):
    rec = Recorder("transferability", prefix="tr_", profile="quick", results_dir=tmp_path)
    rec("tr_crossover_n", Measured(2.9e14, low=25_817.0, high=3.6e19), unit="formulas",
        kind="extrapolation")
    rec("tr_crossover_text", "more than 6,789,100 (95 % interval 25,817 to more than 6,789,100)")
    table = concl.transfer_table(load_results(tmp_path)).set_index("quantity")
    shown = table.loc[dict(concl.TRANSFER)["tr_crossover_n"], "this build"]
    assert shown.startswith("more than 6,789,100") and "e+" not in shown


def test_every_disagreement_listed_by_chapter_with_a_link(tmp_path):
    table = concl.disagreements(_record(tmp_path))
    assert list(table["chapter"]) == [
        "{doc}`Chapter 2 <../notebooks/02_transferability>`",
        "{doc}`Chapter 4 <../notebooks/04_cluster_expansion>`",
        "{doc}`Chapter 4 <../notebooks/04_cluster_expansion>`",
        "{doc}`Chapter 5 <../notebooks/05_complexity>`",
        "newchapter",  # a chapter the page does not know is listed too, without a link
    ]
    assert "SISSO against the NN" in set(table["note"])
    assert PAPER["nas_search_gain"].quote not in " ".join(table["the paper says"])  # agrees
    slips = concl.disagreements(_record(tmp_path), arithmetic=True)
    assert len(slips) == 1 and slips.iloc[0]["note"] == "the paper's own product"
    assert slips.iloc[0]["chapter"] == "{doc}`Chapter 5 <../notebooks/05_complexity>`"


def test_smoke_states_no_disagreement_but_keeps_the_papers_arithmetic(tmp_path):
    records = _record(tmp_path, profile="smoke")
    assert concl.disagreements(records).empty
    assert set(concl.holdout_table(records)["verdict"]) == {"no verdict: fixture data"}
    assert len(concl.disagreements(records, arithmetic=True)) == 1


def test_records_of_another_profile_do_not_leak(tmp_path):
    _record(tmp_path, profile="quick")
    records = concl.this_profile(load_results(tmp_path), "smoke")
    assert records == []
    assert concl.missing(records, concl.HOLDOUT_HEADLINES) == list(concl.HOLDOUT_HEADLINES)


def test_conclusion_facts_words_follow_the_intervals(tmp_path):
    facts = concl.conclusion_facts(_record(tmp_path))
    assert facts.ce_sub == "-2.8 [-5.3, -0.4] meV"
    assert (facts.ce_sub_word, facts.ce_sub_verdict) == ("higher than", "disagrees")
    assert facts.cross_factor == "2.64 ± 0.01 x"
    assert facts.cross_quote == PAPER["cross_database_factor"].quote
    assert (facts.n_disagree, facts.n_slips) == (5, 1)
    assert facts.missing == ", ".join(
        k for k in concl.TRANSFER_KEYS if k not in ("tr_cross_factor", "tr_ratio_limit"))


def test_section_pages_by_key_prefix():
    rec = report.Record("infrastructure", "cmp_cpu_gpu", 5.7)
    assert concl.page_of(rec).doc == "notebooks/06_2_compute"
    assert concl.page_of(report.Record("infrastructure", "infra_x", 1)).doc == (
        "notebooks/06_infrastructure")
    assert concl.page_of(report.Record("unknown", "x", 1)) is None


def test_markdown_table_escapes_pipes():
    import pandas as pd

    text = concl.markdown_table(pd.DataFrame({"a": ["x | y"], "b": [1]}))
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x \\| y | 1 |"]


def test_not_computable_is_not_complete(tmp_path):
    Recorder("transferability", prefix="tr_", results_dir=tmp_path).facts(
        Transfer(Measured(float("nan")), Measured(1.0), Measured(1.0)))
    records = load_results(tmp_path)
    assert concl.missing(records, ("tr_cross_factor",)) == []
    assert not concl.complete(records, ("tr_cross_factor",))
    assert concl.value_text(concl.find(records, "tr_cross_factor")) == "not computable"
