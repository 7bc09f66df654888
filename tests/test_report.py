"""Recording numbers (glue-safe values, the results store) and the reproducibility page logic."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from howbig import report
from howbig.book import reproducibility as repro
from howbig.paper import PAPER, paper_table, paper_value


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_RESULTS_DIR", str(tmp_path))
    monkeypatch.delenv("HOWBIG_PROFILE", raising=False)
    return tmp_path


def _rows(results):
    return repro.rows(report.load_results(results))


def test_record_persists_and_converts_numpy_scalars(results):
    value = report.record("ch", "ch_mae", np.float64(31.5), unit="meV/atom",
                          paper="mae_aflow_on_aflow", reason="smaller data", profile="quick",
                          kind="same data", uncertainty=1.5, n=3, spread="std over 3 seeds")
    assert type(value) is float
    records = report.load_results(results)
    assert [(r.key, r.value, r.paper, r.n) for r in records] == [
        ("ch_mae", 31.5, "mae_aflow_on_aflow", 3)]
    (_, caption, frame), = repro.section_tables(repro.rows(records))
    assert caption.startswith(f"Section {PAPER['mae_aflow_on_aflow'].section}")
    row = frame.iloc[0]
    assert row["paper"] == "30 meV/atom"
    assert row["this build"] == "31.5 ± 1.5 meV/atom (n = 3, std over 3 seeds)"
    assert row["build / paper"] == "1.05 (agrees)"  # |31.5 - 30| <= 2 * 1.5
    assert row["note"] == "smaller data"


def test_record_rejects_unknown_paper_keys_and_kinds(results):
    with pytest.raises(KeyError, match="not a key"):
        report.record("ch", "x", 1.0, paper="mae_on_everything")
    with pytest.raises(ValueError, match="kind"):
        report.record("ch", "x", 1.0, kind="guess")


def test_records_without_paper_key_stay_off_the_page(results):
    report.record("ch", "helper_value", 3)
    assert _rows(results) == []
    assert repro.summary_table([]).empty


def test_inputs_get_no_ratio_and_are_listed_apart(results):
    n_files = PAPER["n_files"].value
    report.record("b", "b_files", n_files, paper="n_files", kind="input")
    rows = _rows(results)
    assert rows[0].ratio is None and rows[0].agrees is None
    assert repro.section_tables(rows) == []  # no result table holds an input
    inputs = repro.inputs_table(rows)
    assert list(inputs["quantity"]) == [PAPER["n_files"].description]
    assert "1.00" not in inputs.to_string()


def test_ratio_only_for_same_data_and_arithmetic(results):
    paper = PAPER["mae_aflow_on_aflow"].value
    report.record("a", "a1", paper * 2, paper="mae_aflow_on_aflow", kind="analogue",
                  uncertainty=1.0, n=5, spread="std over 5 folds", agrees=True,
                  finding="same sign: yes")
    report.record("a", "a2", paper, paper="mae_aflow_on_aflow", kind="arithmetic")
    report.record("a", "a3", paper, paper="mae_aflow_on_aflow")  # no kind yet
    by_kind = {r.kind: r for r in _rows(results)}
    assert by_kind["analogue"].ratio is None and by_kind["analogue"].agrees is True
    assert by_kind["arithmetic"].ratio == pytest.approx(1.0)
    assert by_kind["arithmetic"].agrees is True
    assert by_kind["unclassified"].ratio is None
    frame = repro.section_tables(list(by_kind.values()))[0][2].set_index("kind")
    assert frame.loc["analogue", "build / paper"] == "same finding"  # no ratio
    assert frame.loc["analogue", "note"] == "same sign: yes"
    assert frame.loc["analogue", "this build"].endswith("(n = 5, std over 5 folds)")
    assert frame.loc["arithmetic", "build / paper"] == "1.00 (agrees)"
    assert frame.loc["unclassified", "build / paper"] == "-"
    assert repro.unclassified_by_chapter(list(by_kind.values())) == {"a": 1}


def test_summary_counts_rows_per_kind_and_agreement(results):
    paper = PAPER["mae_aflow_on_aflow"].value
    report.record("a", "s1", paper, paper="mae_aflow_on_aflow", kind="same data")  # within 10 %
    report.record("a", "s2", paper * 3, paper="mae_aflow_on_aflow", kind="same data",
                  uncertainty=0.1, n=3)
    report.record("a", "an", 1.0, paper="mae_aflow_on_aflow", kind="analogue", agrees=False,
                  finding="same ranking: no")
    summary = repro.summary_table(_rows(results)).set_index("kind")
    assert summary.loc["same data", "rows"] == 2
    assert summary.loc["same data", "agree"] == 1
    assert summary.loc["same data", "disagree"] == 1
    assert summary.loc["same data", "without uncertainty"] == 1
    assert summary.loc["analogue", "disagree"] == 1


def test_smoke_profile_forces_fixture_kind(results):
    report.record("a", "x", 1.0, paper="mae_aflow_on_aflow", kind="same data", profile="smoke")
    report.record("a", "narrative", 2.0, profile="smoke")  # no kind, no paper: stays narrative
    kinds = {r.key: r.kind for r in report.load_results(results)}
    assert kinds == {"x": "fixture", "narrative": ""}
    row, = _rows(results)
    assert row.ratio is None and row.agrees is None


def test_recorder_binds_chapter_profile_data(results):
    rec = report.Recorder("ch", profile="quick", data="MP sample")
    rec("k", 2.0, paper="mae_aflow_on_aflow", kind="analogue", agrees=True, finding="f")
    record, = report.load_results(results)
    assert (record.chapter, record.profile, record.data, record.agrees) == (
        "ch", "quick", "MP sample", True)


def test_ratio_figure_one_point_per_compared_row(results):
    paper = PAPER["mae_aflow_on_aflow"].value
    report.record("a", "s", paper * 1.2, paper="mae_aflow_on_aflow", kind="same data",
                  uncertainty=2.0, n=3)
    report.record("a", "i", paper, paper="mae_aflow_on_aflow", kind="input")
    fig = repro.ratio_figure(_rows(results))
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == 1
    assert repro.ratio_figure([r for r in _rows(results) if r.kind == "input"]) is None


def test_paper_table_is_consistent():
    assert paper_value("n_files") == PAPER["n_files"].value
    assert set(paper_table("6.1").index) >= {"n_files", "storage_tb", "n_calculations"}
    with pytest.raises(KeyError, match="close matches"):
        paper_value("n_file")


def test_measured_by_chapter_counts_records_without_a_paper_number():
    from howbig.book.reproducibility import measured_by_chapter
    from howbig.report import Record

    records = [
        Record("similarity", "a", 0.5, kind="analogue", uncertainty=0.1, n=10),
        Record("similarity", "b", 0.7, kind="analogue"),
        Record("similarity", "c", 3, kind="input", paper="dos_energy_max"),
        Record("transferability", "d", 2.0, kind="analogue", paper="cross_database_factor",
               uncertainty=0.1, n=3),
    ]
    table = measured_by_chapter(records).set_index("chapter")
    assert table.loc["similarity"].tolist() == [2, 1, 0]
    assert table.loc["transferability"].tolist() == [1, 1, 1]
