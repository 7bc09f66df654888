"""Words and facts every page of Chapter 2 uses: comparison words, the cost, the chapter page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from howbig.paper import paper_value
from howbig.profiles import expected_minutes
from howbig.report import fact

__all__ = ["NOT_JUDGED", "PAGES", "ChapterCost", "ChapterFacts",
           "chapter_cost", "chapter_facts", "compare", "interval_word", "judge",
           "span_text"]

#: The chapter's pages (file stems), in reading order.
PAGES = ("02_transferability", "02_1_databases", "02_2_transfer", "02_3_how_big",
         "02_4_yardsticks")
#: A finding word on fixture data.
NOT_JUDGED = "not judged on fixture data"


def judge(condition: bool | None, yes: str, no: str, *, judged: bool = True,
          undetermined: str = "not computable on this sample") -> str:
    """``yes`` or ``no`` by ``condition``; ``undetermined`` when it is None; :data:`NOT_JUDGED`
    when the run is not one that states findings (``judged=False``: the smoke profile)."""
    if not judged:
        return NOT_JUDGED
    if condition is None:
        return undetermined
    return yes if condition else no


def compare(a: float, b: float, *, words: tuple[str, str, str] = ("below", "above", "equal to"),
            ) -> str:
    """``"below"`` if a < b, ``"above"`` if a > b, else ``"equal to"`` (NaN: "not comparable")."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return "not comparable"
    return words[0] if a < b else words[1] if a > b else words[2]


def interval_word(low: float | None, high: float | None, *,
                  words: tuple[str, str] = ("excludes", "includes")) -> str:
    """Whether the interval ``[low, high]`` excludes zero (not computable: says so)."""
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return "not computable on this sample"
    return words[0] if low > 0 or high < 0 else words[1]


def span_text(value: float, low: float | None = None, high: float | None = None, *,
              fmt: str = "{:,.0f}", cap: float | None = None) -> str:
    """A value that may be infinite or not computable, with its 95 % interval, as text for a
    sentence: ``"12,300 (95 % interval 8,100 to 20,400)"``; an infinite end reads "unbounded",
    a value above ``cap`` "more than <cap>", a value that is not a finite number "not
    computable on this sample"."""
    if value is None or not np.isfinite(value):
        return "not computable on this sample"

    def end(x: float | None) -> str:
        if x is None or not np.isfinite(x):
            return "unbounded"
        return f"more than {fmt.format(cap)}" if cap is not None and x > cap else fmt.format(x)

    if low is None and high is None:
        return end(value)
    return f"{end(value)} (95 % interval {end(low)} to {end(high)})"


# ------------------------------------------------------------------------- cost of the pages
@dataclass(frozen=True)
class ChapterCost:
    """Expected run time of each page and of the chapter (minutes; quick on a 2-core laptop,
    full on one GPU), from :data:`howbig.profiles.EXPECTED_MINUTES`."""

    minutes_20: float = fact(unit="min")
    minutes_21: float = fact(unit="min")
    minutes_22: float = fact(unit="min")
    minutes_23: float = fact(unit="min")
    minutes_24: float = fact(unit="min")
    minutes_chapter: float = fact(unit="min")
    minutes_chapter_full: float = fact(unit="min")


def chapter_cost() -> ChapterCost:
    """The chapter's :class:`ChapterCost`."""
    quick = [expected_minutes(p).get("quick", float("nan")) for p in PAGES]
    full = [expected_minutes(p).get("full", float("nan")) for p in PAGES]
    return ChapterCost(*quick, float(sum(quick)), float(sum(full)))


@dataclass(frozen=True)
class ChapterFacts:
    """The chapter page: the paper's numbers it quotes, the profile and every data source."""

    paper_mae_aflow: float = fact(unit="meV/atom")
    paper_mae_mp: float = fact(unit="meV/atom")
    paper_overlap: float = fact(unit="%")
    paper_factor: float = fact(unit="x")
    profile: str = fact()
    chapter_sources: str = fact()


def chapter_facts(profile: str, sources: str) -> ChapterFacts:
    """The :class:`ChapterFacts` (``sources``: ``data_credits("transferability", profile)``)."""
    return ChapterFacts(paper_value("mae_aflow_on_aflow"), paper_value("mae_mp_on_mp"),
                        paper_value("overlap_percent"), paper_value("cross_database_factor"),
                        profile, sources)


