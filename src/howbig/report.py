"""Recording the numbers a chapter computes: glue them into the page and into the results store.

A chapter calls :func:`record` for every number its narrative uses. The value is

* glued with myst-nb (``{glue:text}`key:.1f``` in the narrative), and
* written to ``$HOWBIG_RESULTS_DIR/<chapter>.json`` when that variable is set (the book build sets
  it), so that the reproducibility page can put it beside the paper's value.

Nothing is ever typed into the reproducibility table: it is built from these records
(:mod:`howbig.book.reproducibility`).

What a record says about the paper
----------------------------------
``kind`` (one of :data:`KINDS`) decides how the reproducibility page treats a record that names a
paper number (``paper=``):

* ``"input"``: set to the paper's value; listed apart as an input, never as a result (no ratio).
* ``"arithmetic"`` / ``"same data"``: the same quantity measured the same way; shown with the
  ratio build / paper. Agreement: ``agrees=`` if given, otherwise arithmetic within 2 % and same
  data within two uncertainties (within 10 % when no uncertainty is recorded).
* ``"analogue"``: measured on stand-in data; no ratio. Give the qualitative finding instead:
  ``agrees=True/False`` (e.g. same sign, same ranking as the paper) and ``finding=`` a short text
  saying what was compared ("same ranking: RF < NN < SISSO").
* ``"fixture"``: smoke profile (tiny fixture data). Forced for every classified record when the
  profile is ``"smoke"``; never compared with the paper.
* ``""`` with a paper key: shown as *unclassified* (the chapter still has to say which it is).

Measured kinds (``same data``, ``analogue``) carry ``uncertainty`` (same unit as the value),
``n`` (repeats it comes from) and ``spread`` (what it is: "std over 3 seeds").
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from howbig.paper import PAPER

__all__ = [
    "KINDS",
    "Record",
    "Recorder",
    "load_results",
    "record",
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
    agrees: bool | None = None
    finding: str = ""


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
    agrees: bool | None = None,
    finding: str = "",
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
    agrees, finding
        For analogues: whether the qualitative finding of the paper holds here (same sign, same
        ranking, ...) and a short text naming what was compared. For same data / arithmetic,
        ``agrees`` overrides the page's numeric test.

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
    profile = profile or os.environ.get("HOWBIG_PROFILE", "")
    if profile == "smoke" and (kind or paper is not None):
        kind = "fixture"  # tiny fixture data: never compared with the paper
    _glue(key, value)
    directory = results_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{chapter}.json"
        table = json.loads(path.read_text()) if path.is_file() else {}
        entry = Record(chapter, key, _jsonable(value), unit, paper, reason, profile, data, fmt,
                       kind, _jsonable(uncertainty), n, spread,
                       None if agrees is None else bool(agrees), finding)
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
