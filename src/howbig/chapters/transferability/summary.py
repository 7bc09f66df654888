"""The chapter's headline numbers, read back from the records its sections wrote in a build."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from howbig.report import Record, load_results
from howbig.verdicts import verdict

__all__ = ["HEADLINES", "headline_table"]

#: Glue keys of the chapter's headline records and what they are, in reading order.
HEADLINES: dict[str, str] = {
    "tr_diff_ab": "2.1 MP - JARVIS, mean difference on shared formulas",
    "tr_cross_factor": "2.2 cross-database / in-database MAE, full-size runs",
    "tr_not_held_share_ab": "2.2 MP -> JARVIS, share of the error on formulas MP lacks",
    "tr_crossover_n": "2.3 MP -> JARVIS, training formulas to come within 10 % of the floor",
    "tr_ratio_limit": "2.3 MP -> JARVIS, limit of the cross/in ratio",
    "tr_jarvis_scratch_mae": "2.3 JARVIS, full training set from scratch",
    "tr_jarvis_finetuned_mae": "2.3 JARVIS, full training set fine-tuned from MP",
    "tr_published_split_mae": "2.4 MP, published split",
    "tr_crystal_mae": "2.4 MPEU on crystal graphs",
}

#: Headline records whose number reads wrong in a table, and the worded record shown instead: a
#: crossover far beyond the data is an artefact of the extrapolation ("more than 100 times the
#: largest training set", with its interval), not a size to print as 2.9e+14.
WORDED: dict[str, str] = {"tr_crossover_n": "tr_crossover_text"}


def _number(x: float | None, fmt: str) -> str:
    return "not computable" if x is None else fmt.format(x)


def _spread(r: Record) -> str:
    if r.low is not None or r.high is not None:
        return f"{_number(r.low, r.fmt)} to {_number(r.high, r.fmt)}"
    if r.uncertainty is not None:
        return f"± {r.fmt.format(r.uncertainty)} ({r.spread})"
    return r.spread or "-"


def headline_table(results_dir: str | Path | None) -> pd.DataFrame:
    """One row per headline record found in ``results_dir`` (``None``, or no records: an
    empty table): what it is, the value with its unit, its spread, its kind and, where it is set
    beside a claim of the paper, the verdict of :func:`howbig.verdicts.verdict`."""
    records = {r.key: r for r in load_results(results_dir) if r.chapter == "transferability"}
    rows = []
    for key, what in HEADLINES.items():
        r = records.get(key)
        if r is None:
            continue
        judged = "-"
        if r.claim is not None:
            judged = verdict(r.claim, r.value, kind=r.kind, uncertainty=r.uncertainty,
                             low=r.low, high=r.high).label
        value, spread = _number(r.value, r.fmt), _spread(r)
        if key in WORDED and WORDED[key] in records:
            value, spread = str(records[WORDED[key]].value), "interval in the value"
        rows.append({"what": what, "value": value, "unit": r.unit,
                     "spread": spread, "kind": r.kind or "-", "against the paper": judged})
    columns = ["what", "value", "unit", "spread", "kind", "against the paper"]
    return pd.DataFrame(rows, columns=columns).set_index("what")
