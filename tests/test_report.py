"""The one recorder: facts dataclasses glued and written; the old way still working."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from howbig import report
from howbig.report import NOT_COMPUTABLE, Measured, Recorder, fact, is_computable, load_results


@pytest.fixture
def glued(monkeypatch):
    """Capture what the recorder glues (key -> value) instead of calling myst-nb."""
    out: dict[str, object] = {}
    monkeypatch.setattr(report, "_glue", lambda key, value: out.__setitem__(key, value))
    return out


@dataclass(frozen=True)
class ExampleFacts:
    mae: Measured = fact(unit="eV/atom", kind="analogue", fmt="{:.3f}")
    factor: Measured = fact(unit="x", kind="analogue", claim="cross_database_factor",
                            reason="composition model")
    hours: float = fact(unit="h", kind="paper arithmetic", claim="v100_hours_per_run")
    word: str = fact()
    count: int = fact()


def _example(**changes) -> ExampleFacts:
    values = dict(mae=Measured(np.float64(0.081), uncertainty=0.002, n=3, spread="std over 3"),
                  factor=Measured(3.2, low=2.9, high=3.6, n=3, spread="95% CI"),
                  hours=1.83, word="below", count=np.int64(7))
    return ExampleFacts(**{**values, **changes})


def test_facts_glue_every_field_with_prefix_and_measured_parts(glued):
    Recorder("ch", prefix="tr_", profile="quick").facts(_example())
    assert glued == {"tr_mae": 0.081, "tr_mae_unc": 0.002, "tr_factor": 3.2, "tr_factor_low": 2.9,
                     "tr_factor_high": 3.6, "tr_hours": 1.83, "tr_word": "below", "tr_count": 7}
    assert type(glued["tr_mae"]) is float and type(glued["tr_count"]) is int  # no numpy scalars


def test_facts_write_records_only_with_a_results_dir(glued, tmp_path, capsys):
    Recorder("ch", prefix="tr_", profile="quick").facts(_example())
    assert list(tmp_path.iterdir()) == []
    Recorder("ch", prefix="tr_", profile="quick", data="MP sample",
             results_dir=tmp_path / "results").facts(_example())
    assert capsys.readouterr().out == ""  # prints nothing
    records = {r.key: r for r in load_results(tmp_path / "results")}
    assert set(records) == {"tr_mae", "tr_factor", "tr_hours", "tr_word", "tr_count"}
    factor = records["tr_factor"]
    assert (factor.claim, factor.kind, factor.low, factor.high, factor.n, factor.data) == (
        "cross_database_factor", "analogue", 2.9, 3.6, 3, "MP sample")
    assert records["tr_mae"].uncertainty == 0.002 and records["tr_mae"].fmt == "{:.3f}"
    assert records["tr_word"].kind == "" and records["tr_word"].claim is None


def test_not_computable_values_are_recorded_and_never_glued_as_nan(glued, tmp_path):
    rec = Recorder("ch", prefix="x_", results_dir=tmp_path)
    rec.facts(_example(mae=Measured(float("nan"), uncertainty=float("nan")), count=None))
    assert glued["x_mae"] == NOT_COMPUTABLE and glued["x_mae_unc"] == NOT_COMPUTABLE
    assert glued["x_count"] == NOT_COMPUTABLE
    assert "nan" not in json.dumps(glued).lower().replace(NOT_COMPUTABLE, "")
    mae = {r.key: r for r in load_results(tmp_path)}["x_mae"]
    assert mae.value is None and not mae.is_computable
    assert "NaN" not in (tmp_path / "ch.json").read_text()  # valid JSON, null


def test_is_computable():
    assert is_computable(1.0) and is_computable("below") and is_computable(Measured(2.0))
    assert not is_computable(math.nan) and not is_computable(None)
    assert not is_computable(np.float64("inf")) and not Measured(math.nan).is_computable


def test_smoke_forces_fixture_except_paper_arithmetic(glued, tmp_path):
    Recorder("ch", prefix="s_", profile="smoke", results_dir=tmp_path).facts(_example())
    kinds = {r.key: r.kind for r in load_results(tmp_path)}
    assert kinds == {"s_mae": "fixture", "s_factor": "fixture", "s_hours": "paper arithmetic",
                     "s_word": "", "s_count": ""}


def test_recorded_kind_is_the_recorders_rule():
    assert report.recorded_kind("analogue", "smoke") == "fixture"
    assert report.recorded_kind("paper arithmetic", "smoke") == "paper arithmetic"
    assert report.recorded_kind("input", "smoke") == "input"
    assert report.recorded_kind("", "smoke", claimed=False) == ""
    assert report.recorded_kind("analogue", "quick") == "analogue"


@dataclass(frozen=True)
class NotedFacts:
    gain: Measured = fact(unit="meV", kind="analogue", claim="cross_database_factor",
                          reason="why it may differ", finding="held out, subset")


def test_a_facts_finding_is_the_records_note(glued, tmp_path):
    Recorder("ch", prefix="n_", profile="quick", results_dir=tmp_path).facts(
        NotedFacts(Measured(1.0, low=0.5, high=1.5)))
    (record,) = load_results(tmp_path)
    assert record.finding == "held out, subset" and record.reason == "why it may differ"


@dataclass(frozen=True)
class InputFacts:
    steps: float = fact(kind="input", claim="train_steps")


def test_smoke_keeps_the_papers_inputs(glued, tmp_path):
    Recorder("ch", prefix="i_", profile="smoke", results_dir=tmp_path).facts(InputFacts(2e6))
    assert {r.key: r.kind for r in load_results(tmp_path)} == {"i_steps": "input"}


def test_fact_checks_kind_claim_and_reference():
    with pytest.raises(ValueError, match="kind"):
        fact(kind="guess")
    with pytest.raises(KeyError, match="PAPER"):
        fact(claim="mae_on_everything")
    with pytest.raises(KeyError, match="PUBLISHED"):
        fact(reference="nobody2020")
    assert fact(kind="arithmetic").metadata["kind"] == "paper arithmetic"  # the old name


def test_facts_refuses_what_is_not_a_fact(glued):
    @dataclass(frozen=True)
    class Bad:
        values: list = fact()

    with pytest.raises(TypeError, match="Measured"):
        Recorder("ch").facts(Bad([1, 2]))
    with pytest.raises(TypeError, match="dataclass"):
        Recorder("ch").facts({"a": 1})


def test_old_way_still_records_with_the_recorders_binding(glued, tmp_path):
    rec = Recorder("ch", profile="quick", data="MP sample", results_dir=tmp_path)
    value = rec("ch_mae", np.float64(31.5), unit="meV/atom", paper="mae_aflow_on_aflow",
                kind="arithmetic", uncertainty=1.5, n=3, agrees=True, finding="f")
    assert type(value) is float and glued == {"ch_mae": 31.5}
    record, = load_results(tmp_path)
    assert (record.claim, record.kind, record.profile, record.data, record.finding) == (
        "mae_aflow_on_aflow", "paper arithmetic", "quick", "MP sample", "f")
    with pytest.raises(KeyError, match="not a key"):
        rec("x", 1.0, paper="mae_on_everything")
    report.record("other", "o", 2.0, results_dir=tmp_path, kind="analogue", profile="smoke")
    assert {r.key: r.kind for r in load_results(tmp_path)}["o"] == "fixture"


def test_load_results_without_a_directory_is_empty(tmp_path):
    assert load_results(None) == [] and load_results(tmp_path / "absent") == []


def test_nothing_reads_the_old_environment_variables():
    from tests.conftest import ROOT

    for path in (ROOT / "src" / "howbig").rglob("*.py"):
        text = path.read_text()
        assert "HOWBIG_PROFILE" not in text and "HOWBIG_RESULTS_DIR" not in text, path
    for path in [*(ROOT / "notebooks").glob("*.md"), *(ROOT / "book").glob("*.md")]:
        assert "HOWBIG_PROFILE" not in path.read_text(), path
