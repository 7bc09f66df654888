"""A chapter's settings record: read from every profile, immutable, shown one field per line;
the run cost of a page comes from the table of expected minutes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest
from IPython.lib.pretty import pretty

from howbig.chapters.cluster_expansion.settings import ClusterExpansionSettings
from howbig.chapters.complexity.settings import ComplexitySettings
from howbig.chapters.infrastructure.settings import SearchSettings, TimingSettings
from howbig.chapters.settings import ChapterSettings, run_cost, setting
from howbig.chapters.similarity.settings import SimilaritySettings
from howbig.chapters.transferability.settings import (
    CurveSettings,
    DatabaseSettings,
    RunSettings,
    YardstickSettings,
)
from howbig.profiles import EXPECTED_MINUTES, PROFILES

RECORDS = (SimilaritySettings, ClusterExpansionSettings, ComplexitySettings, TimingSettings,
           SearchSettings, DatabaseSettings, RunSettings, CurveSettings, YardstickSettings)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_fills_every_field(record, profile):
    cfg = record.of(profile)
    for f in dataclasses.fields(cfg):
        assert f.metadata["doc"], f"{record.__name__}.{f.name} says nothing about itself"
        value = getattr(cfg, f.name)
        assert not isinstance(value, list), f"{f.name}: lists become tuples"
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(cfg, dataclasses.fields(cfg)[0].name, None)


def test_a_missing_key_is_named():
    @dataclass(frozen=True)
    class Broken(ChapterSettings):
        CHAPTER: ClassVar[str] = "compute"
        no_such_key: int = setting("absent from the profile")

    with pytest.raises(KeyError, match="no_such_key"):
        Broken.of("quick")


def test_the_record_shows_one_field_per_line_with_its_doc():
    text = pretty(SearchSettings.of("quick"))
    lines = text.splitlines()
    assert lines[0] == "SearchSettings(" and lines[-1] == ")"
    # each field's doc sits beside it, or on the line above when both would not fit 80 characters
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("nas_trials="))
    assert "# candidates trained" in lines[at] + lines[at - 1]
    assert "# training steps per candidate" in next(
        line for line in lines if line.strip().startswith("nas_max_steps="))
    assert max(map(len, lines)) <= 80  # fits a code cell of the page


def test_run_cost_reads_the_expected_minutes_of_each_page():
    for doc in ("03_similarity", "04_cluster_expansion", "05_complexity", "06_infrastructure",
                "06_2_compute", "06_3_search"):
        cost = run_cost(doc, "quick")
        assert cost.minutes_quick == EXPECTED_MINUTES[doc]["quick"] and cost.profile == "quick"
    with pytest.raises(KeyError, match="EXPECTED_MINUTES"):
        run_cost("99_nothing", "quick")
