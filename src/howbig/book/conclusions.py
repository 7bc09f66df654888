"""The conclusions page: what this build found, negative results first.

Reads the records the chapters wrote (:func:`howbig.report.load_results`) and selects what the
page reports, in its order:

1. Chapter 4's comparison of the cluster expansions on held-out data (the records with the
   prefix :data:`HOLDOUT_PREFIX` set beside a claim of the paper): :func:`holdout_table`;
2. Chapter 2's transfer factor and how it depends on the model's accuracy
   (:data:`TRANSFER`, and any other record beside the paper's factor): :func:`transfer_table`;
3. every claim of the paper this build judged and found not to hold, and every number of the
   paper's arithmetic that does not check out, with a link to its chapter:
   :func:`disagreements`.

Verdicts come from :func:`howbig.book.reproducibility.rows` (that is, from
:func:`howbig.verdicts.verdict`), so a row reads here as it reads on the reproducibility page.
A record the page expects but the build did not write reads :data:`NOT_RECORDED`, never an
empty cell. The functions return table cells and short words; the page words the sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from howbig.book.reproducibility import TESTED, Row, rows
from howbig.book.reproducibility import value_text as repro_value_text
from howbig.chapters.transferability.summary import WORDED
from howbig.paper import PAPER
from howbig.report import Record, fact
from howbig.verdicts import NO_VERDICT

__all__ = [
    "HOLDOUT_HEADLINES",
    "HOLDOUT_PREFIX",
    "NOT_RECORDED",
    "PAGES",
    "TRANSFER",
    "TRANSFER_KEYS",
    "ConclusionFacts",
    "Page",
    "complete",
    "conclusion_facts",
    "disagreements",
    "find",
    "holdout_table",
    "markdown_table",
    "missing",
    "page_of",
    "this_profile",
    "transfer_table",
    "value_text",
]

#: What a cell reads when the build did not write the record the page expects.
NOT_RECORDED = "not recorded in this build"
#: Chapter 4's held-out records (nested cross-validation).
HOLDOUT_PREFIX = "ce_holdout_"
#: Chapter 4's held-out records the page's sentences state: few clusters with nonlinear
#: features against many clusters, on the paper-sized subset and on all configurations.
HOLDOUT_HEADLINES = ("ce_holdout_sub_few_vs_many", "ce_holdout_all_few_vs_many")
#: Chapter 2's records on the transfer factor: key, what it is (a table cell).
TRANSFER: tuple[tuple[str, str], ...] = (
    ("tr_cross_factor", "cross-database over in-database error, full-size runs, all pairs"),
    ("tr_pair_mp_jarvis", "the same, MP and JARVIS only"),
    ("tr_ratio_at_max", "MP model, error on JARVIS over error on MP, at the largest training "
                        "set of the learning curves"),
    ("tr_ratio_limit", "its limit for an unbounded training set, c_cross / c_in"),
    ("tr_not_held_share_ab", "share of the MP model's error on JARVIS carried by the formulas "
                             "MP does not hold"),
    ("tr_crossover_n", "MP training formulas at which the MP model's error on JARVIS comes "
                       "within tolerance of its floor"),
    ("tr_saved_first", "JARVIS formulas that pre-training on MP saves, at the smallest "
                       "fine-tuning set"),
)

#: The keys of :data:`TRANSFER`.
TRANSFER_KEYS = tuple(key for key, _ in TRANSFER)


@dataclass(frozen=True)
class Page:
    """Where a chapter's records are discussed: a label and a document of ``_toc.yml``."""

    label: str
    doc: str


#: The page of each chapter key (the name of its records file), in the book's order.
PAGES: dict[str, Page] = {
    "transferability": Page("Chapter 2", "notebooks/02_transferability"),
    "similarity": Page("Chapter 3", "notebooks/03_similarity"),
    "cluster_expansion": Page("Chapter 4", "notebooks/04_cluster_expansion"),
    "complexity": Page("Chapter 5", "notebooks/05_complexity"),
    "infrastructure": Page("Chapter 6", "notebooks/06_infrastructure"),
}
#: Section pages of a chapter, by the prefix of their records' keys.
SECTION_PAGES: dict[tuple[str, str], Page] = {
    ("infrastructure", "cmp_"): Page("Chapter 6", "notebooks/06_2_compute"),
    ("infrastructure", "nas_"): Page("Chapter 6", "notebooks/06_3_search"),
}


def page_of(record: Record) -> Page | None:
    """The page that states ``record`` (a section page where its key's prefix names one)."""
    for (chapter, prefix), page in SECTION_PAGES.items():
        if record.chapter == chapter and record.key.startswith(prefix):
            return page
    return PAGES.get(record.chapter)


def _link(record: Record) -> str:
    """A MyST link to the record's page from ``book/`` (the chapter key where there is none)."""
    page = page_of(record)
    return f"{{doc}}`{page.label} <../{page.doc}>`" if page else record.chapter


def _chapter_order(record: Record) -> int:
    return list(PAGES).index(record.chapter) if record.chapter in PAGES else len(PAGES)


def this_profile(records: list[Record], profile: str) -> list[Record]:
    """The records written in ``profile`` (and those that do not say): a results folder that
    still holds another profile's records does not leak them into this page."""
    return [r for r in records if r.profile in (profile, "")]


def find(records: list[Record], key: str) -> Record | None:
    """The record of ``key`` (the last one written), or ``None``."""
    found = [r for r in records if r.key == key]
    return found[-1] if found else None


def value_text(record: Record | None, *, spread: bool = True) -> str:
    """The reproducibility page's cell for ``record``
    (:func:`howbig.book.reproducibility.value_text`); :data:`NOT_RECORDED` for ``None``."""
    return NOT_RECORDED if record is None else repro_value_text(record, spread=spread)


def _verdict_text(row: Row | None, record: Record | None) -> str:
    if record is None:
        return NOT_RECORDED
    if row is not None and row.verdict is not None:
        return row.verdict.label
    if record.kind in NO_VERDICT:
        return f"no verdict: {NO_VERDICT[record.kind]}"
    return "-"


def _rows_by_key(records: list[Record]) -> dict[str, Row]:
    return {r.record.key: r for r in rows(records)}


def holdout_table(records: list[Record]) -> pd.DataFrame:
    """Chapter 4's held-out comparisons beside a claim of the paper, one row each.

    Columns: held out (what the difference measures: the record's finding), the paper says
    (its words), this build (difference with its interval), verdict. The records of
    :data:`HOLDOUT_HEADLINES` come first and are listed even when absent (:data:`NOT_RECORDED`).
    """
    judged = _rows_by_key(records)
    keys = list(HOLDOUT_HEADLINES)
    keys += [k for k, r in judged.items() if k.startswith(HOLDOUT_PREFIX) and k not in keys
             and r.record.claim is not None]
    out = []
    for key in keys:
        row = judged.get(key)
        rec = row.record if row else None
        number = PAPER.get(rec.claim) if rec and rec.claim else None
        out.append({"held out": (rec.finding or rec.key) if rec else key,
                    "the paper says": f"“{number.quote}”" if number else "-",
                    "this build": value_text(rec), "verdict": _verdict_text(row, rec)})
    return pd.DataFrame(out, columns=["held out", "the paper says", "this build", "verdict"])


def transfer_table(records: list[Record]) -> pd.DataFrame:
    """Chapter 2's transfer factor, the same ratio along the learning curves, its limit and
    what the cross-database error is made of: the keys of :data:`TRANSFER` (absent ones read
    :data:`NOT_RECORDED`) and any other record beside the paper's factor.

    Columns: quantity, kind, this build, verdict (extrapolations: reported without verdict).
    """
    judged = _rows_by_key(records)
    wanted = [(key, what, find(records, key)) for key, what in TRANSFER]
    known = {key for key, _ in TRANSFER}
    wanted += [(r.record.key, "; ".join(filter(None, (PAPER[r.record.claim].description,
                                                      r.record.reason))), r.record)
               for r in judged.values() if r.record.claim == "cross_database_factor"
               and r.record.key not in known]

    def shown(key: str, rec: Record | None) -> str:
        # a number that reads wrong in a table (a crossover far beyond the data) is shown in
        # the chapter's words, which carry its interval
        worded = find(records, WORDED[key]) if key in WORDED else None
        return str(worded.value) if worded is not None else value_text(rec)

    return pd.DataFrame(
        [{"quantity": what, "kind": (rec.kind or "-") if rec else "-",
          "this build": shown(key, rec), "verdict": _verdict_text(judged.get(key), rec)}
         for key, what, rec in wanted],
        columns=["quantity", "kind", "this build", "verdict"])


def disagreements(records: list[Record], *, arithmetic: bool = False) -> pd.DataFrame:
    """Every claim this build judged and found not to hold (``arithmetic=False``: same data and
    analogue rows whose verdict is "disagrees"), or every number of the paper's own arithmetic
    that does not check out (``arithmetic=True``), in the book's chapter order.

    Columns: chapter (a MyST link to the page that states it), section (of the paper), the
    paper says, this build, note (the chapter's finding or reason).
    """
    kinds = ("paper arithmetic",) if arithmetic else TESTED
    found = [r for r in rows(records) if r.kind in kinds and r.verdict is not None
             and r.verdict.agrees is False]
    found.sort(key=lambda r: (_chapter_order(r.record), r.record.chapter))
    return pd.DataFrame(
        [{"chapter": _link(r.record), "section": r.section,
          "the paper says": f"“{r.number.quote}”" if r.number else "-",
          "this build": value_text(r.record),
          "note": r.record.finding or r.record.reason or "-"} for r in found],
        columns=["chapter", "section", "the paper says", "this build", "note"])


def missing(records: list[Record], keys: tuple[str, ...]) -> list[str]:
    """The ``keys`` this build did not record."""
    return [k for k in keys if find(records, k) is None]


def complete(records: list[Record], keys: tuple[str, ...]) -> bool:
    """Whether every one of ``keys`` is recorded with a value (the page states a sentence
    only then; its table shows what is missing or not computable)."""
    return all((r := find(records, k)) is not None and r.value is not None for k in keys)


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a MyST pipe table (cells may hold roles such as ``{doc}`` links)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines) + "\n"


def _direction(record: Record | None) -> str:
    """The nonlinear expansion's held-out error against the linear one's, from the difference
    ``linear - nonlinear``: "lower than" when its interval lies above 0, "higher than" below."""
    if record is None:
        return NOT_RECORDED
    if record.low is None or record.high is None:
        return "not computable"
    return ("lower than" if record.low > 0 else "higher than" if record.high < 0
            else "indistinguishable from")


@dataclass(frozen=True)
class ConclusionFacts:
    """What the page's sentences state (prefix ``concl_``): the headline records as text,
    their verdicts, and the counts of the lists (the page glues the profile and the tallies
    from :class:`howbig.book.reproducibility.Tallies`)."""

    ce_sub: str = fact()
    ce_sub_word: str = fact()
    ce_sub_verdict: str = fact()
    ce_all: str = fact()
    ce_all_word: str = fact()
    ce_all_verdict: str = fact()
    cross_factor: str = fact()
    cross_factor_verdict: str = fact()
    cross_quote: str = fact()
    pair_mp_jarvis: str = fact()
    ratio_at_max: str = fact()
    ratio_limit: str = fact()
    n_disagree: int = fact()
    n_slips: int = fact()
    missing: str = fact()


def conclusion_facts(records: list[Record]) -> ConclusionFacts:
    """The :class:`ConclusionFacts` of this build's records (already :func:`this_profile`)."""
    judged = _rows_by_key(records)

    def text(key: str) -> str:
        return value_text(find(records, key), spread=False)

    def word(key: str) -> str:
        return _verdict_text(judged.get(key), find(records, key))

    sub, every = (f"{HOLDOUT_PREFIX}{t}_few_vs_many" for t in ("sub", "all"))
    return ConclusionFacts(
        text(sub), _direction(find(records, sub)), word(sub), text(every),
        _direction(find(records, every)), word(every), text("tr_cross_factor"),
        word("tr_cross_factor"), PAPER["cross_database_factor"].quote,
        text("tr_pair_mp_jarvis"), text("tr_ratio_at_max"), text("tr_ratio_limit"),
        len(disagreements(records)), len(disagreements(records, arithmetic=True)),
        ", ".join(missing(records, HOLDOUT_HEADLINES + TRANSFER_KEYS)) or "none")
