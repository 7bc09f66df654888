"""Recording numbers: glue-safe values, the results store and the reproducibility table."""

from __future__ import annotations

import numpy as np
import pytest

from howbig import report
from howbig.paper import PAPER, paper_table, paper_value


def test_record_persists_and_converts_numpy_scalars(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_RESULTS_DIR", str(tmp_path))
    value = report.record("ch", "ch_mae", np.float64(31.5), unit="meV/atom",
                          paper="mae_aflow_on_aflow", reason="smaller data", profile="quick")
    assert type(value) is float
    records = report.load_results(tmp_path)
    assert [(r.key, r.value, r.paper) for r in records] == [("ch_mae", 31.5, "mae_aflow_on_aflow")]
    table = report.reproducibility_table(records)
    assert table.loc[0, "paper"] == "30 meV/atom"
    assert table.loc[0, "this build"] == "31.5 meV/atom"
    assert table.loc[0, "why they may differ"] == "smaller data"


def test_record_rejects_unknown_paper_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_RESULTS_DIR", str(tmp_path))
    with pytest.raises(KeyError, match="not a key"):
        report.record("ch", "x", 1.0, paper="mae_on_everything")


def test_records_without_paper_key_stay_off_the_table(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_RESULTS_DIR", str(tmp_path))
    report.record("ch", "helper_value", 3)
    assert report.reproducibility_table(report.load_results(tmp_path)).empty


def test_paper_table_is_consistent():
    assert paper_value("n_files") == PAPER["n_files"].value
    assert set(paper_table("6.1").index) >= {"n_files", "storage_tb", "n_calculations"}
    with pytest.raises(KeyError, match="close matches"):
        paper_value("n_file")


def test_sections_split_rows_and_caption_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_RESULTS_DIR", str(tmp_path))
    report.record("a", "a_mae", 31.5, paper="mae_aflow_on_aflow", reason="smaller data",
                  profile="quick", data="MP sample")
    report.record("b", "b_files", 11_070_000, paper="n_files", reason="-", profile="quick",
                  data="paper inputs")
    table = report.reproducibility_table(report.load_results(tmp_path))
    sections = report.reproducibility_sections(table)
    assert [s for s, _, _ in sections] == sorted({PAPER["mae_aflow_on_aflow"].section,
                                                   PAPER["n_files"].section})
    assert sum(len(f) for _, _, f in sections) == len(table)
    by_section = {s: (c, f) for s, c, f in sections}
    caption, frame = by_section[PAPER["mae_aflow_on_aflow"].section]
    assert caption.endswith("data: MP sample")
    assert list(frame.columns) == ["quantity", "paper", "this build", "build / paper",
                                   "why they may differ"]
    assert frame.loc[0, "why they may differ"] == "smaller data"  # one profile: not repeated
