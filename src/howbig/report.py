"""Recording the numbers a chapter computes: glue them into the page and into the results store.

A chapter calls :func:`record` for every number its narrative uses. The value is

* glued with myst-nb (``{glue:text}`key:.1f``` in the narrative), and
* written to ``$HOWBIG_RESULTS_DIR/<chapter>.json`` when that variable is set (the book build sets
  it), so that the reproducibility page can put it beside the paper's value.

Nothing is ever typed into the reproducibility table: it is built from these records.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from howbig.paper import PAPER

__all__ = [
    "KINDS",
    "Record",
    "Recorder",
    "load_results",
    "record",
    "reproducibility_sections",
    "reproducibility_table",
    "results_dir",
]


@dataclass
class Record:
    """One computed number of this build."""

    chapter: str
    key: str
    value: Any
    unit: str = ""
    paper: str | None = None
    reason: str = ""
    profile: str = ""
    data: str = ""
    fmt: str = "{:.4g}"
    kind: str = ""
    uncertainty: float | None = None
    n: int | None = None
    spread: str = ""


#: What a record is, for the reproducibility page.  ``input``: set to the paper's value;
#: ``arithmetic``: recomputed from the paper's own numbers; ``same data``: measured on the paper's
#: data; ``analogue``: measured on stand-in data; ``fixture``: measured on test fixtures (smoke
#: profile), never compared with the paper.  An empty kind marks a number the narrative uses
#: that is not set beside the paper at all.
KINDS = ("input", "arithmetic", "same data", "analogue", "fixture", "")


def results_dir() -> Path | None:
    """``$HOWBIG_RESULTS_DIR`` as a path, or ``None`` when records are not persisted."""
    value = os.environ.get("HOWBIG_RESULTS_DIR")
    return Path(value) if value else None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _glue(key: str, value: Any) -> None:
    try:
        from myst_nb import glue
    except ImportError:  # e.g. on Colab: nothing to paste into
        return
    glue(key, value, display=False)


def record(
    chapter: str,
    key: str,
    value: Any,
    *,
    unit: str = "",
    paper: str | None = None,
    reason: str = "",
    profile: str = "",
    data: str = "",
    fmt: str = "{:.4g}",
    kind: str = "",
    uncertainty: float | None = None,
    n: int | None = None,
    spread: str = "",
) -> Any:
    """Glue ``value`` under ``key`` and store it for the reproducibility page.

    Parameters
    ----------
    chapter
        Chapter key, e.g. ``"transferability"``.
    key
        Glue key; unique within the book (prefix it with the chapter's short name).
    value
        The computed number (or short string).
    unit
        Unit of ``value``.
    paper
        Key in :data:`howbig.paper.PAPER` that this number reproduces, if any.
    reason
        One line on why this build's value may differ from the paper's (data, scale, hardware).
    profile, data
        The profile and the data this number was computed with.
    fmt
        Format used for the value in the reproducibility table.
    kind
        One of :data:`KINDS`.
    uncertainty, n, spread
        For measured values: the uncertainty (same unit as ``value``), the number of repeats it
        comes from, and what it is (e.g. ``"std over 3 seeds"``, ``"95% bootstrap CI half-width"``).

    Returns
    -------
    The value (numpy scalars as Python scalars), so that ``x = record(..., compute())`` reads
    naturally.
    """
    if paper is not None and paper not in PAPER:
        raise KeyError(f"record({key!r}): {paper!r} is not a key of howbig.paper.PAPER")
    if kind not in KINDS:
        raise ValueError(f"record({key!r}): kind {kind!r} is not one of {KINDS}")
    # numpy scalars would glue as "np.float64(...)", which {glue:text} cannot format.
    value = value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
    _glue(key, value)
    directory = results_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{chapter}.json"
        table = json.loads(path.read_text()) if path.is_file() else {}
        entry = Record(chapter, key, _jsonable(value), unit, paper, reason, profile, data, fmt,
                       kind, _jsonable(uncertainty), n, spread)
        table[key] = asdict(entry)
        path.write_text(json.dumps(table, indent=1))
    return value


class Recorder:
    """:func:`record` bound to one chapter, profile and data description.

    Examples
    --------
    >>> rec = Recorder("transferability", profile="quick", data="MP vs JARVIS tables")
    >>> mae = rec("tr_mae_mp", 0.081, unit="eV/atom", kind="analogue", uncertainty=0.002, n=3,
    ...           spread="std over 3 seeds")
    """

    def __init__(self, chapter: str, *, profile: str = "", data: str = "") -> None:
        self.chapter, self.profile, self.data = chapter, profile, data

    def __call__(self, key: str, value: Any, **kwargs: Any) -> Any:
        """Record ``value`` under ``key``; keyword arguments as for :func:`record`."""
        kwargs.setdefault("profile", self.profile)
        kwargs.setdefault("data", self.data)
        return record(self.chapter, key, value, **kwargs)


def load_results(directory: Path | None = None) -> list[Record]:
    """All records written by the chapters of this build."""
    directory = directory or results_dir()
    if directory is None or not Path(directory).is_dir():
        return []
    records = []
    for path in sorted(Path(directory).glob("*.json")):
        for entry in json.loads(path.read_text()).values():
            records.append(Record(**entry))
    return records


def _format(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int | float):
        try:
            return fmt.format(value)
        except (ValueError, TypeError):
            return str(value)
    return str(value)


def _paper_text(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"
    return f"{text} {unit}".strip()


def _ratio(value: Any, paper: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or paper == 0:
        return None
    return float(value) / paper


def reproducibility_table(records: list[Record]) -> pd.DataFrame:
    """Paper value beside this build's value for every record that names a paper number.

    The ``build / paper`` column is the ratio of the two values where both are numbers
    (1.00 means identical); ``why they may differ`` is the chapter's one-line reason.
    """
    rows = []
    for rec in records:
        if rec.paper is None:
            continue
        number = PAPER[rec.paper]
        ratio = _ratio(rec.value, number.value)
        rows.append(
            {
                "section": number.section,
                "quantity": number.description,
                "paper": _paper_text(number.value, number.unit),
                "this build": f"{_format(rec.value, rec.fmt)} {rec.unit}".strip(),
                "build / paper": "-" if ratio is None else f"{ratio:.2f}",
                "profile": rec.profile,
                "data": rec.data,
                "why they may differ": rec.reason or "-",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["section", "quantity", "paper", "this build", "build / paper", "profile",
                 "data", "why they may differ"],
    )
    return frame.sort_values("section", kind="stable").reset_index(drop=True)


def reproducibility_sections(table: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """Split :func:`reproducibility_table` into one narrow table per paper section.

    The full table has eight columns, too wide for a book page. Per section, the data the
    numbers were computed on (usually one dataset) moves into a caption and the profile into the
    reason column where it is not the same for every row of the book.

    Returns
    -------
    list of ``(section, caption, frame)`` with ``frame`` holding the columns quantity, paper,
    this build, build / paper and why they may differ.
    """
    profiles = set(table["profile"]) if len(table) else set()
    out = []
    for section, rows in table.groupby("section", sort=False):
        datasets = [d for d in dict.fromkeys(rows["data"]) if d]
        caption = f"Section {section}" + (f" - data: {'; '.join(datasets)}" if datasets else "")
        frame = rows[["quantity", "paper", "this build", "build / paper",
                      "why they may differ"]].reset_index(drop=True)
        if len(profiles) > 1:
            frame["why they may differ"] = [
                f"({p} profile) {why}" for p, why in zip(rows["profile"],
                                                         rows["why they may differ"], strict=True)
            ]
        out.append((str(section), caption, frame))
    return out
