"""The reproducibility page: the paper's claims beside this build's numbers, one rule each.

Built from the records the chapters wrote (:func:`howbig.report.load_results`); every verdict
comes from :func:`howbig.verdicts.verdict`, the function the chapters call for their own
sentences. The page shows

* the table of rules (:func:`rule_table`);
* separate tallies, each row counted once (:func:`tallies`): claims tested against the paper
  (same data and analogue rows: agree / disagree / no verdict), and the paper's own arithmetic
  (checked / checks out / slips);
* the claims tested, one table per paper section (:func:`section_tables`), and the paper's
  arithmetic in a table of its own (:func:`arithmetic_table`);
* the numbers of other publications with their citations (:func:`external_table`), the
  extrapolations (:func:`extrapolations_table`) and the inputs (:func:`inputs_table`), none of
  them judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from howbig.paper import PAPER, PUBLISHED, PaperNumber
from howbig.report import Record, fact
from howbig.verdicts import NO_VERDICT, RULES, Verdict, verdict

__all__ = [
    "NOT_A_TEST",
    "TESTED",
    "Row",
    "Tallies",
    "arithmetic_table",
    "external_table",
    "extrapolations_table",
    "inputs_table",
    "measured_by_chapter",
    "rows",
    "rule_table",
    "section_tables",
    "tallies",
    "unclassified_by_chapter",
    "value_text",
]

#: Kinds whose rows test a claim of the paper (its arithmetic is tallied apart).
TESTED = ("same data", "analogue")
UNCLASSIFIED = "unclassified"
KIND_ORDER = ("same data", "analogue", "paper arithmetic", "fixture", UNCLASSIFIED,
              "extrapolation", "external reference", "input")


@dataclass
class Row:
    """One record set beside a claim of the paper or a published number, with its verdict."""

    record: Record
    kind: str
    verdict: Verdict | None

    @property
    def number(self) -> PaperNumber | None:
        return PAPER.get(self.record.claim) if self.record.claim else None

    @property
    def section(self) -> str:
        return self.number.section if self.number else "-"

    @property
    def quantity(self) -> str:
        if self.number:
            return self.number.description
        return PUBLISHED[self.record.reference].what if self.record.reference else self.record.key


def rows(records: list[Record]) -> list[Row]:
    """Every record with a claim or a reference, with its verdict (``None`` without a claim)."""
    out = []
    for rec in records:
        if rec.claim is None and rec.reference is None:
            continue
        kind = rec.kind or UNCLASSIFIED
        judged = None
        if rec.claim is not None:
            value = rec.value if rec.value is not None else math.nan
            judged = verdict(rec.claim, value, kind=rec.kind, uncertainty=rec.uncertainty,
                             low=rec.low, high=rec.high)
        out.append(Row(rec, kind, judged))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(out, key=lambda r: (_section_key(r.section), order.get(r.kind, 99)))


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 99 for p in section.split("."))


@dataclass(frozen=True)
class Tallies:
    """The page's counts. Each row is counted once, in one of: ``tested``, ``beside``,
    ``arithmetic``, ``fixture``, ``unclassified``, ``extrapolations``, ``external``, ``inputs``."""

    tested: int = fact()
    agree: int = fact()
    disagree: int = fact()
    no_verdict: int = fact()
    within_noise: int = fact()
    beside: int = fact()
    arithmetic: int = fact()
    checks_out: int = fact()
    slips: int = fact()
    fixture: int = fact()
    unclassified: int = fact()
    extrapolations: int = fact()
    external: int = fact()
    inputs: int = fact()
    rows: int = fact()
    unclassified_chapters: str = fact()
    profile: str = fact()


#: Why a same-data or analogue row is not a test of the claim it stands beside.
NOT_A_TEST = ("different data", "input", "not judged")


def tallies(table_rows: list[Row], profile: str = "") -> Tallies:
    """Claims tested / agree / disagree / no verdict; the paper's arithmetic checked / checks out /
    slips; and the rows never judged, by kind.

    ``tested`` counts the same-data and analogue rows the rules can judge; ``beside`` those they
    cannot (an analogue beside a plain number of the paper, a value beside one of its inputs).
    ``no_verdict`` is what remains of the tested rows: within the noise, no noise estimate, not
    computable. ``unclassified_chapters`` lists the chapters with unclassified rows
    ("chapter (n), ...", ``"none"``); ``profile`` is passed through for the page.
    """
    def of(*kinds: str) -> list[Row]:
        return [r for r in table_rows if r.kind in kinds]

    measured, arithmetic = of(*TESTED), of("paper arithmetic")
    beside = [r for r in measured if r.verdict is None or r.verdict.why in NOT_A_TEST]
    tested = [r for r in measured if r not in beside]
    return Tallies(
        tested=len(tested),
        agree=sum(r.verdict.agrees is True for r in tested),
        disagree=sum(r.verdict.agrees is False for r in tested),
        no_verdict=sum(r.verdict.agrees is None for r in tested),
        within_noise=sum(r.verdict.why == "noise" for r in tested),
        beside=len(beside),
        arithmetic=len(arithmetic),
        checks_out=sum(bool(r.verdict and r.verdict.agrees is True) for r in arithmetic),
        slips=sum(bool(r.verdict and r.verdict.agrees is False) for r in arithmetic),
        fixture=len(of("fixture")), unclassified=len(of(UNCLASSIFIED)),
        extrapolations=len(of("extrapolation")), external=len(of("external reference")),
        inputs=len(of("input")), rows=len(table_rows),
        unclassified_chapters=", ".join(
            f"{c} ({n})" for c, n in unclassified_by_chapter(table_rows).items()) or "none",
        profile=profile,
    )


def rule_table() -> pd.DataFrame:
    """The rules of :mod:`howbig.verdicts`: one row per kind of claim."""
    return pd.DataFrame(
        [{"claim kind": r.name, "the paper's words": r.words, "tolerance band": r.band,
          "agrees when": r.agrees, "judged on": ", ".join(r.judged) or "-",
          "example": r.example} for r in RULES.values()],
    )


def _fmt(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "not computable"
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            text = fmt.format(value)
        except (ValueError, TypeError):
            return str(value)
        return f"{value:,.0f}" if "e+" in text else text  # 120,000, not 1.2e+05
    return str(value)


def _number_text(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"
    return f"{text} {unit}".strip()


def _band_text(row: Row) -> str:
    if row.verdict is None or row.verdict.band is None:
        return "-"
    lo, hi = row.verdict.band
    unit = "x" if "magnitude" in row.verdict.rule else row.number.unit if row.number else ""
    if math.isinf(hi):
        return f"above {lo:,.10g} {unit}".strip()
    return f"{lo:,.10g} to {hi:,.10g} {unit}".strip()


def value_text(rec: Record, *, spread: bool = True) -> str:
    """A record's value with its interval (or ± uncertainty) and unit, and (``spread``) its
    ``n`` and what the spread is, as a table cell (this page's and the conclusions page's).

    Examples
    --------
    >>> value_text(Record("c", "k", 2.5, unit="x", fmt="{:.1f}", low=2.0, high=3.0, n=3))
    '2.5 [2.0, 3.0] x (n = 3)'
    """
    text = _fmt(rec.value, rec.fmt)
    if rec.value is None:
        return text
    if rec.low is not None and rec.high is not None:
        text += f" [{_fmt(rec.low, rec.fmt)}, {_fmt(rec.high, rec.fmt)}]"
    elif rec.uncertainty is not None:
        text += f" ± {_fmt(rec.uncertainty, rec.fmt)}"
    text = f"{text} {rec.unit}".strip()
    about = ", ".join(p for p in (f"n = {rec.n}" if rec.n is not None else "", rec.spread) if p)
    return f"{text} ({about})" if about and spread else text


def _note(row: Row) -> str:
    parts = [row.record.finding or row.record.reason, row.number.note if row.number else ""]
    return "; ".join(p for p in parts if p) or "-"


def _paper_column(row: Row) -> str:
    return _number_text(row.number.value, row.number.unit) if row.number else "-"


def _caption(section: str, group: list[Row]) -> str:
    datasets = [d for d in dict.fromkeys(r.record.data for r in group) if d]
    profiles = [p for p in dict.fromkeys(r.record.profile for r in group) if p]
    caption = f"Section {section}"
    if datasets:
        caption += f" - data: {'; '.join(datasets)}"
    if profiles:
        caption += f" ({', '.join(profiles)} profile)"
    return caption


def section_tables(table_rows: list[Row]) -> list[tuple[str, str, pd.DataFrame]]:
    """One table per paper section of the rows that test a claim (same data, analogue), with
    fixture and unclassified rows labelled as such.

    Returns
    -------
    list of ``(section, caption, frame)``; columns: the paper says (its words), claim: band
    (the claim kind and its tolerance band), kind, this build (value, interval or ±
    uncertainty, n and spread), verdict (with the reason when there is none), note.
    """
    shown = [r for r in table_rows if r.number and r.kind in (*TESTED, "fixture", UNCLASSIFIED)]
    out = []
    for section in sorted({r.section for r in shown}, key=_section_key):
        group = [r for r in shown if r.section == section]
        frame = pd.DataFrame([{
            "the paper says": f"“{r.number.quote}”",
            "claim: band": f"{r.number.rule}: {_band_text(r)}", "kind": r.kind,
            "this build": value_text(r.record),
            "verdict": r.verdict.label if r.verdict else "-", "note": _note(r),
        } for r in group])
        out.append((section, _caption(section, group), frame))
    return out


def arithmetic_table(table_rows: list[Row]) -> pd.DataFrame:
    """The paper's own arithmetic, recomputed from its stated inputs: checks out or not."""
    return pd.DataFrame(
        [{"section": r.section, "the paper says": f"“{r.number.quote}”",
          "band": _band_text(r), "recomputed": value_text(r.record),
          "checks out": r.verdict.label if r.verdict else "-", "note": _note(r)}
         for r in table_rows if r.kind == "paper arithmetic" and r.number],
        columns=["section", "the paper says", "band", "recomputed", "checks out", "note"],
    )


def external_table(table_rows: list[Row]) -> pd.DataFrame:
    """Every number of another publication in :data:`howbig.paper.PUBLISHED`, with its citation
    and this build's values set beside it (none judged)."""
    out = []
    for pub in PUBLISHED.values():
        mine = [r for r in table_rows if r.record.reference == pub.key]
        out.append({"published": f"{_number_text(pub.value, pub.unit)}", "what": pub.what,
                    "citation": pub.citation,
                    "this build": "; ".join(f"{value_text(r.record)} ({r.kind})" for r in mine)
                    or "not computed in this build"})
    return pd.DataFrame(out, columns=["published", "what", "citation", "this build"])


def extrapolations_table(table_rows: list[Row]) -> pd.DataFrame:
    """Extrapolated values, reported without verdict."""
    return pd.DataFrame(
        [{"chapter": r.record.chapter, "quantity": r.quantity,
          "paper": _paper_column(r), "this build": value_text(r.record),
          "verdict": f"no verdict: {NO_VERDICT['extrapolation']}", "note": _note(r)}
         for r in table_rows if r.kind == "extrapolation"],
        columns=["chapter", "quantity", "paper", "this build", "verdict", "note"],
    )


def inputs_table(table_rows: list[Row]) -> pd.DataFrame:
    """The inputs taken from the paper (kind ``input``): section, quantity, the paper's value and
    the value this build used (they differ where a chapter says why); never judged."""
    return pd.DataFrame(
        [{"section": r.section, "quantity": r.quantity, "paper": _paper_column(r),
          "this build": value_text(r.record), "note": r.record.reason or "-"}
         for r in table_rows if r.kind == "input"],
        columns=["section", "quantity", "paper", "this build", "note"],
    )


def measured_by_chapter(records: list[Record]) -> pd.DataFrame:
    """Per chapter: measured records (same data, analogue, fixture), how many carry an
    uncertainty or interval, and how many are set beside a claim of the paper.
    """
    measured = [r for r in records if r.kind in ("same data", "analogue", "fixture")]
    chapters = list(dict.fromkeys(r.chapter for r in measured))

    def spread(r: Record) -> bool:
        return r.uncertainty is not None or (r.low is not None and r.high is not None)

    return pd.DataFrame(
        [{"chapter": c,
          "measured": sum(r.chapter == c for r in measured),
          "with uncertainty": sum(r.chapter == c and spread(r) for r in measured),
          "beside a claim of the paper": sum(r.chapter == c and r.claim is not None
                                             for r in measured)}
         for c in chapters],
        columns=["chapter", "measured", "with uncertainty", "beside a claim of the paper"],
    )


def unclassified_by_chapter(table_rows: list[Row]) -> dict[str, int]:
    """Chapter -> number of rows that still have no kind."""
    counts: dict[str, int] = {}
    for row in table_rows:
        if row.kind == UNCLASSIFIED:
            counts[row.record.chapter] = counts.get(row.record.chapter, 0) + 1
    return counts
