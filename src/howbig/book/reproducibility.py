"""The reproducibility page: the paper's numbers beside this build's, by kind of comparison.

Built from the records the chapters wrote (:func:`howbig.report.load_results`); what each kind
means is documented in :mod:`howbig.report`. The page shows

* a summary: rows per kind, how many agree with the paper, how many measured rows lack an
  uncertainty (:func:`summary_table`);
* a plot of build / paper for the rows where that ratio means something (``same data`` and
  ``arithmetic``; :func:`ratio_figure`);
* one table per paper section with kind, uncertainty and n for every result row
  (:func:`section_tables`), and the inputs (set to the paper's value) in a separate list
  (:func:`inputs_table`), never beside results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from howbig.paper import PAPER
from howbig.report import Record

__all__ = [
    "COMPARED",
    "Row",
    "inputs_table",
    "ratio_figure",
    "rows",
    "section_tables",
    "summary_table",
    "unclassified_by_chapter",
]

#: Kinds whose value is the same quantity measured the same way as the paper's: ratio shown.
COMPARED = ("same data", "arithmetic")
UNCLASSIFIED = "unclassified"
KIND_ORDER = ("same data", "arithmetic", "analogue", "fixture", "input", UNCLASSIFIED)
ARITHMETIC_TOLERANCE = 0.02  # the paper rounds its numbers to 2-3 significant digits
SAME_DATA_TOLERANCE = 0.10  # relative, only when no uncertainty was recorded
SAME_DATA_SIGMAS = 2.0


@dataclass
class Row:
    """One record that names a paper number, ready for the page."""

    record: Record
    kind: str
    paper_value: float
    ratio: float | None
    agrees: bool | None

    @property
    def section(self) -> str:
        return PAPER[self.record.paper].section

    @property
    def quantity(self) -> str:
        return PAPER[self.record.paper].description


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _agrees(rec: Record, kind: str, paper: float, ratio: float | None) -> bool | None:
    if kind in ("input", "fixture", UNCLASSIFIED):
        return None  # not a comparison
    if rec.agrees is not None:
        return bool(rec.agrees)
    if kind == "analogue" or ratio is None:
        return None  # an analogue without a stated finding has no verdict
    if kind == "arithmetic":
        return abs(ratio - 1) <= ARITHMETIC_TOLERANCE
    value = _number(rec.value)
    if rec.uncertainty:
        return abs(value - paper) <= SAME_DATA_SIGMAS * abs(rec.uncertainty)
    return abs(ratio - 1) <= SAME_DATA_TOLERANCE


def rows(records: list[Record]) -> list[Row]:
    """Every record that names a paper number, classified (records without kind: unclassified)."""
    out = []
    for rec in records:
        if rec.paper is None:
            continue
        paper = PAPER[rec.paper].value
        kind = rec.kind or UNCLASSIFIED
        value = _number(rec.value)
        ratio = value / paper if kind in COMPARED and value is not None and paper else None
        out.append(Row(rec, kind, paper, ratio, _agrees(rec, kind, paper, ratio)))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(out, key=lambda r: (_section_key(r.section), order.get(r.kind, 99)))


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in section.split("."))


def _fmt(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return fmt.format(value)
        except (ValueError, TypeError):
            return str(value)
    return str(value)


def _paper_text(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"
    return f"{text} {unit}".strip()


def _build_text(rec: Record) -> str:
    text = _fmt(rec.value, rec.fmt)
    if rec.uncertainty is not None:
        text += f" ± {_fmt(rec.uncertainty, rec.fmt)}"
    return f"{text} {rec.unit}".strip()


def _spread_text(row: Row) -> str:
    rec = row.record
    if rec.n is None and not rec.spread:
        return "no uncertainty recorded" if row.kind in ("same data", "analogue") else ""
    parts = [f"n = {rec.n}" if rec.n is not None else "", rec.spread]
    return ", ".join(p for p in parts if p)


def _versus_paper(row: Row) -> str:
    """The comparison in words: ratio and verdict, the analogue's verdict, or why none."""
    if row.kind in COMPARED:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        return f"{ratio} ({'agrees' if row.agrees else 'differs'})" if row.agrees is not None \
            else ratio
    if row.kind == "analogue":
        return {True: "same finding", False: "different finding", None: "no finding stated"}[
            row.agrees]
    return {"fixture": "not compared (fixture)", "input": "input"}.get(row.kind, "-")


def summary_table(table_rows: list[Row]) -> pd.DataFrame:
    """Rows per kind, how many agree / disagree / have no verdict, measured rows without spread."""
    summary = []
    for kind in KIND_ORDER:
        group = [r for r in table_rows if r.kind == kind]
        if not group:
            continue
        measured = kind in ("same data", "analogue")
        summary.append({
            "kind": kind,
            "rows": len(group),
            "agree": sum(r.agrees is True for r in group),
            "disagree": sum(r.agrees is False for r in group),
            "no verdict": sum(r.agrees is None for r in group),
            "without uncertainty": (
                sum(r.record.uncertainty is None for r in group) if measured else "-"
            ),
        })
    return pd.DataFrame(summary, columns=["kind", "rows", "agree", "disagree", "no verdict",
                                          "without uncertainty"])


def measured_by_chapter(records: list[Record]) -> pd.DataFrame:
    """Per chapter: measured records (same data, analogue, fixture), how many carry an
    uncertainty, and how many of them name a paper number (the rest the paper states in words).
    """
    measured = [r for r in records if r.kind in ("same data", "analogue", "fixture")]
    chapters = list(dict.fromkeys(r.chapter for r in measured))
    return pd.DataFrame(
        [{"chapter": c,
          "measured": sum(r.chapter == c for r in measured),
          "with uncertainty": sum(r.chapter == c and r.uncertainty is not None for r in measured),
          "beside a paper number": sum(r.chapter == c and r.paper is not None for r in measured)}
         for c in chapters],
        columns=["chapter", "measured", "with uncertainty", "beside a paper number"],
    )


def unclassified_by_chapter(table_rows: list[Row]) -> dict[str, int]:
    """Chapter -> number of rows that still have no kind."""
    counts: dict[str, int] = {}
    for row in table_rows:
        if row.kind == UNCLASSIFIED:
            counts[row.record.chapter] = counts.get(row.record.chapter, 0) + 1
    return counts


def section_tables(table_rows: list[Row]) -> list[tuple[str, str, pd.DataFrame]]:
    """One table per paper section of the result rows (inputs excluded).

    Returns
    -------
    list of ``(section, caption, frame)``; the caption names the data and the profile. Columns:
    quantity, kind, paper, this build (value ± uncertainty, then n and what the spread is),
    build / paper (the ratio and verdict for same data and arithmetic, the verdict of an
    analogue's finding, else why there is none), note (an analogue's finding, else why the
    values may differ).
    """
    out = []
    results = [r for r in table_rows if r.kind != "input"]
    for section in sorted({r.section for r in results}, key=_section_key):
        group = [r for r in results if r.section == section]
        datasets = [d for d in dict.fromkeys(r.record.data for r in group) if d]
        profiles = [p for p in dict.fromkeys(r.record.profile for r in group) if p]
        caption = f"Section {section}"
        if datasets:
            caption += f" - data: {'; '.join(datasets)}"
        if profiles:
            caption += f" ({', '.join(profiles)} profile)"
        frame = pd.DataFrame([
            {
                "quantity": r.quantity,
                "kind": r.kind,
                "paper": _paper_text(r.paper_value, PAPER[r.record.paper].unit),
                "this build": " ".join(
                    p for p in (_build_text(r.record), f"({_spread_text(r)})"
                                if _spread_text(r) else "") if p),
                "build / paper": _versus_paper(r),
                "note": (r.record.finding if r.kind == "analogue" else r.record.reason) or "-",
            }
            for r in group
        ])
        out.append((section, caption, frame))
    return out


def inputs_table(table_rows: list[Row]) -> pd.DataFrame:
    """The inputs taken from the paper (kind ``input``): section, quantity, value."""
    return pd.DataFrame(
        [{"section": r.section, "quantity": r.quantity,
          "value": _paper_text(r.paper_value, PAPER[r.record.paper].unit)}
         for r in table_rows if r.kind == "input"],
        columns=["section", "quantity", "value"],
    )


def ratio_figure(table_rows: list[Row]):
    """Build / paper for the compared rows (log scale), with the uncertainty as error bars.

    Returns ``None`` when no row is compared. One row per quantity, labelled by section and
    quantity; filled markers agree with the paper, open ones do not.
    """
    import matplotlib.pyplot as plt

    from howbig.style import COLORS

    compared = [r for r in table_rows if r.ratio is not None and r.ratio > 0]
    if not compared:
        return None
    height = 0.9 + 0.32 * len(compared)
    fig, ax = plt.subplots(figsize=(7.0, height), layout="constrained")
    colors = {"same data": COLORS["blue"], "arithmetic": COLORS["orange"]}
    for y, row in enumerate(reversed(compared)):
        err = (abs(row.record.uncertainty) / abs(row.paper_value)
               if row.record.uncertainty and row.paper_value else None)
        ax.errorbar(row.ratio, y, xerr=err, fmt="o", color=colors[row.kind],
                    mfc=colors[row.kind] if row.agrees else "white", ms=7, capsize=3)
    labels = [f"{r.section}  {r.quantity[:48]}" for r in reversed(compared)]
    ax.set_yticks(range(len(compared)), labels)
    ax.axvline(1.0, color="0.3", lw=1)
    ax.axvspan(1 - SAME_DATA_TOLERANCE, 1 + SAME_DATA_TOLERANCE, color="0.9", zorder=0)
    ax.set_xscale("log")
    ax.set_xlabel("this build / paper")
    for kind, color in colors.items():
        ax.plot([], [], "o", color=color, label=kind)
    ax.legend(loc="lower right", fontsize=10, frameon=False)
    ax.set_ylim(-0.7, len(compared) - 0.3)
    return fig
