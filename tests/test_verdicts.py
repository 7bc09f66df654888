"""The rules of howbig.verdicts, one test per rule, and the paper's words in howbig.paper."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from howbig import verdicts
from howbig.paper import PAPER, PUBLISHED, PaperNumber, paper_value
from howbig.report import Measured
from howbig.verdicts import RULES, band, precision, verdict
from tests.conftest import ROOT


def _number(value, rule="number", precision=None, unit="h"):
    return PaperNumber("test", value, unit, "6.2", "a test number", "words", rule, precision)


# ---------------------------------------------------------------------------- one test per rule
def test_rule_number_follows_the_printed_precision():
    assert band(_number(2)) == (1.5, 2.5)  # "2 h" means 1.5-2.5 h
    assert band(_number(10.5)) == pytest.approx((10.45, 10.55))
    assert band(_number(30000)) == (25000, 35000)  # trailing zeros are not significant ...
    assert band(_number(270000, precision=1)) == (269999.5, 270000.5)  # ... unless stated
    assert precision(_number(0.0023)) == pytest.approx(1e-4)
    judged = verdict(_number(405, precision=1), 406, kind="paper arithmetic")
    assert judged.agrees is False and judged.word == "does not check out"
    assert verdict(_number(2), 2.4, kind="same data").word == "agrees"
    assert verdict(_number(2), 2.6, kind="same data").word == "disagrees"


def test_rule_about_widens_the_band_by_the_stated_factor():
    assert verdicts.ABOUT_FACTOR == 2
    assert band(_number(2, "about")) == (1.0, 3.0)  # "about two hours"
    assert band(_number(8.1, "about")) == pytest.approx((8.0, 8.2))  # "roughly 8.1 TB"
    assert verdict(_number(2, "about"), 2.9, kind="paper arithmetic").agrees is True
    assert verdict(_number(2, "number"), 2.9, kind="paper arithmetic").agrees is False


def test_rule_lower_bound():
    assert band(_number(4.5, "lower bound")) == (pytest.approx(4.45), math.inf)
    assert verdict(_number(4.5, "lower bound"), 4.56, kind="paper arithmetic").agrees is True
    assert verdict(_number(4.5, "lower bound"), 0.42, kind="paper arithmetic").agrees is False


def test_rule_order_of_magnitude_larger_is_5_to_20():
    claim = _number(10, "order of magnitude larger", unit="x")
    assert band(claim) == (5.0, 20.0)
    assert verdict(claim, 5.7, kind="analogue").agrees is True
    assert verdict(claim, 3.2, kind="analogue").agrees is False  # log10 rounding would say 1
    assert verdict(claim, 25.0, kind="analogue").agrees is False
    # a measured ratio agrees when its interval overlaps the band
    assert verdict(claim, Measured(4.0, uncertainty=1.5), kind="analogue").agrees is True
    assert verdict(claim, Measured(3.0, low=2.5, high=4.9), kind="analogue").agrees is False


def test_rule_nearly_an_order_of_magnitude_is_7_to_10():
    claim = _number(10, "nearly an order of magnitude", unit="x")
    assert band(claim) == (7.0, 10.0)
    assert verdict(claim, 5.7, kind="paper arithmetic").agrees is False  # Sec. 6.2's CPU/GPU
    assert verdict(claim, 7.7, kind="paper arithmetic").agrees is True
    assert verdict(claim, 12.0, kind="paper arithmetic").agrees is False
    # the paper's own numbers: (0.0012 + 0.0177) / (0.0010 + 0.0023) = 5.7
    ratio = (paper_value("cpu_batch_seconds") + paper_value("cpu_step_seconds")) / (
        paper_value("v100_batch_seconds") + paper_value("v100_step_seconds"))
    assert ratio == pytest.approx(5.727, abs=1e-3)
    assert verdict("cpu_gpu_slowdown", ratio, kind="paper arithmetic").agrees is False


def test_rule_ranking_needs_the_order_beyond_the_noise():
    claim = _number(46, "ranking", unit="meV")
    assert verdict(claim, Measured(30, low=5, high=55), kind="analogue").agrees is True
    assert verdict(claim, Measured(-30, low=-55, high=-5), kind="analogue").agrees is False
    within = verdict(claim, Measured(10, uncertainty=12), kind="analogue")
    assert within.agrees is None and within.why == "noise"
    assert within.label == "no verdict: within the noise"
    assert verdict(claim, 30, kind="analogue").why == "no noise"  # no noise estimate
    assert verdict(claim, Measured(30, uncertainty=math.nan), kind="analogue").why == "no noise"
    assert verdict(claim, 30, kind="paper arithmetic").agrees is None


def test_rule_input_is_never_judged():
    for kind in ("same data", "analogue", "paper arithmetic"):
        judged = verdict("cpu_step_seconds", 0.0177, kind=kind)
        assert judged.agrees is None and judged.why == "input" and judged.band is None


def test_every_rule_has_a_test_and_a_band():
    tested = {"number", "about", "lower bound", "order of magnitude larger",
              "nearly an order of magnitude", "ranking", "input"}
    assert set(RULES) == tested
    for rule in RULES.values():
        assert rule.words and rule.band and rule.agrees and rule.example


# ---------------------------------------------------------------------- which records are judged
@pytest.mark.parametrize("kind", ["input", "extrapolation", "external reference", "fixture", ""])
def test_kinds_that_never_get_a_verdict(kind):
    judged = verdict("v100_hours_per_run", 2.0, kind=kind)
    assert judged.agrees is None and judged.word == "no verdict"


def test_an_analogue_is_not_judged_against_a_plain_number():
    judged = verdict("mae_mp_on_mp", 23.0, kind="analogue")
    assert judged.agrees is None and judged.why == "different data"
    assert verdict("mae_mp_on_mp", 23.0, kind="same data").agrees is True


def test_not_computable_values_get_no_verdict():
    assert verdict("mae_mp_on_mp", math.nan, kind="same data").why == "not computable"
    assert verdict("cross_database_factor", None, kind="analogue").why == "not computable"


def test_the_paper_arithmetic_of_section_6():
    steps = paper_value("train_steps")
    v100 = steps * (paper_value("v100_batch_seconds") + paper_value("v100_step_seconds")) / 3600
    assert verdict("v100_hours_per_run", v100, kind="paper arithmetic").word == "checks out"
    assert verdict("nas_gpu_hours", 2000 * v100, kind="paper arithmetic").agrees is False
    assert verdict("nas_gpu_years", 40000 / 8766, kind="paper arithmetic").agrees is True
    assert verdict("nas_usd", 40000 * 3, kind="paper arithmetic").agrees is True
    assert verdict("n_calculations", 270000, kind="paper arithmetic").agrees is True
    assert verdict("nas_improvement_percent", 100 * 82 / 556, kind="paper arithmetic").agrees


def test_the_feature_counts_are_a_stated_off_by_one():
    from math import comb

    printed = {d: sum(comb(27 + k - 1, k) for k in range(d + 1)) for d in (2, 3)}
    assert printed == {2: 406, 3: 4060}
    for d, key in ((2, "ce_features_d2_p27"), (3, "ce_features_d3_p27")):
        assert verdict(key, printed[d], kind="paper arithmetic").agrees is False
        assert verdict(key, printed[d] - 1, kind="paper arithmetic").agrees is True
        assert "constant" in PAPER[key].note


# ------------------------------------------------------------------------------ the paper table
def _paper_text() -> str | None:
    candidates = [os.environ.get("HOWBIG_PAPER_TEXT", ""),
                  ROOT.parent / "shared" / "paper" / "how-big-is-big-data.md",
                  ROOT.parent.parent / "shared" / "paper" / "how-big-is-big-data.md"]
    for path in candidates:
        if path and Path(path).is_file():
            return Path(path).read_text(encoding="utf-8")
    return None


def _plain(text: str) -> str:
    """The paper's Markdown without math markup, superscripts and emphasis."""
    text = text.replace("$", "").replace("*", "").replace("\\sim", "~")
    text = re.sub(r"<sup>.*?</sup>", "", text)
    return re.sub(r"~ ", "~", re.sub(r"\s+", " ", text))


def test_every_paper_number_quotes_the_paper():
    text = _paper_text()
    if text is None:
        pytest.skip("the paper's text is not here; set HOWBIG_PAPER_TEXT to its Markdown")
    plain = _plain(text)
    missing = [n.key for n in PAPER.values() if _plain(n.quote) not in plain]
    assert not missing, f"quotes not found in the paper: {missing}"


def test_every_paper_number_has_words_a_rule_and_a_band():
    for number in PAPER.values():
        assert number.quote and not re.search(r"[a-z]\. [A-Z]", number.quote), number.key
        assert number.rule in RULES, number.key
        assert (band(number) is None) == (number.rule == "input"), number.key


def test_published_numbers_cite_entries_of_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    page = (ROOT / "book" / "reproducibility.md").read_text()
    for pub in PUBLISHED.values():
        assert f"{{{pub.bibkey}," in bib, pub.key
        assert f"{{cite}}`{pub.bibkey}`" in page, pub.key  # the page cites every source
        assert pub.citation and pub.what
    assert {p.key: p.value for p in PUBLISHED.values()} == {
        "wang2021_roost_mp": 0.055, "wang2021_crabnet_mp": 0.059, "wang2021_rf_mp": 0.100,
        "gupta2021_jarvis_scratch": 0.135, "gupta2021_jarvis_transfer": 0.125}


def test_paper_value_suggests_close_keys():
    assert paper_value("n_files") == PAPER["n_files"].value
    with pytest.raises(KeyError, match="close matches"):
        paper_value("n_file")
