"""Does this build bear out what the paper says? One table of rules, one per kind of claim.

Every number of the paper a chapter sets beside its own (:data:`howbig.paper.PAPER`) carries the
paper's words and the kind of claim they make (``PaperNumber.rule``). :func:`verdict` judges a
build value against it by the rule of that kind, :data:`RULES`; the chapters (for the words of
their sentences) and the reproducibility page (for its tables and tallies) both call it, so one
claim gets one verdict everywhere.

The rules
---------
A claim's **tolerance band** comes from its rule:

* ``number`` (a value stated plainly): the value +- half a unit of its last printed digit, the
  paper's stated precision: "2 h" is 1.5-2.5 h, "10.5 h" is 10.45-10.55 h, "405" is 404.5-405.5.
  Trailing zeros of a whole number are not significant ("30 000": +- 5 000) unless the number
  states its ``precision`` (exact counts such as 270 000 do);
* ``about`` ("about", "roughly", "approximately", "ca.", "~"): the ``number`` band widened by
  :data:`ABOUT_FACTOR`, i.e. +- one unit of the last printed digit: "about two hours" is 1-3 h;
* ``lower bound`` ("larger than X", "more than X"): from X less half a unit of its last digit up;
* ``order of magnitude larger``: a ratio from :data:`ORDER_OF_MAGNITUDE` (5 to 20 times);
* ``nearly an order of magnitude``: a ratio from :data:`NEARLY_ORDER_OF_MAGNITUDE` (7 to 10
  times; 5.7 times is not "nearly an order of magnitude");
* ``ranking`` (A outperforms B): the build records the difference in the paper's order (positive
  when the paper's order holds) with its noise; the band is everything above zero;
* ``input``: a number the paper uses to compute others; never judged.

The build value's **interval** is ``[low, high]`` where the record has one, otherwise
``value +- uncertainty`` (the uncertainty as recorded: a standard deviation or a half-width, as
its ``spread`` says), otherwise the value alone.

A value **agrees** when its interval overlaps the band (touching counts), and **disagrees** when
it lies wholly outside. A ranking agrees only when the whole interval lies above zero, disagrees
when it lies wholly below, and otherwise gets no verdict: the difference is within the noise; a
ranking recorded without a noise estimate gets no verdict either.

Which records are judged
------------------------
Only a record that measured the same kind of thing as the claim gets a verdict:

* ``paper arithmetic`` (the paper's own numbers recomputed from its stated inputs) and
  ``same data`` records are judged by every rule but ``ranking`` (arithmetic) and ``input``;
* ``analogue`` records (stand-in data) only by the rules about a relation, which do not depend on
  the data's scale: the two order-of-magnitude rules and ``ranking``. An analogue's value set
  beside a plain number of the paper gets no verdict ("different data");
* ``input``, ``extrapolation``, ``external reference``, ``fixture`` and unclassified records never
  get a verdict, nor does any record set beside a claim whose rule is ``input``, nor a value that
  is not computable.

For ``paper arithmetic`` the verdict reads "checks out" / "does not check out".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from howbig.paper import PAPER, PaperNumber
from howbig.report import Measured

__all__ = [
    "ABOUT_FACTOR",
    "NEARLY_ORDER_OF_MAGNITUDE",
    "NO_VERDICT",
    "ORDER_OF_MAGNITUDE",
    "RULES",
    "Rule",
    "Verdict",
    "band",
    "interval",
    "precision",
    "verdict",
]

#: "about", "roughly", ... widen the band of a plain number by this factor.
ABOUT_FACTOR = 2.0
#: Ratios that are "an order of magnitude" larger.
ORDER_OF_MAGNITUDE = (5.0, 20.0)
#: Ratios that are "nearly an order of magnitude" larger.
NEARLY_ORDER_OF_MAGNITUDE = (7.0, 10.0)

_MEASURED = ("same data", "paper arithmetic")
_RELATION = ("same data", "analogue", "paper arithmetic")


@dataclass(frozen=True)
class Rule:
    """How one kind of claim is judged.

    Attributes
    ----------
    name
        The claim kind (``PaperNumber.rule``).
    words
        The paper's wording this rule reads.
    band
        The tolerance band, in words.
    agrees
        When a build value agrees.
    judged
        Kinds of record that can test the claim.
    example
        An example from the paper.
    """

    name: str
    words: str
    band: str
    agrees: str
    judged: tuple[str, ...]
    example: str


_OVERLAP = "the build's interval overlaps the band"
RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("number", "a value stated plainly",
         "the value ± half a unit of its last printed digit", _OVERLAP, _MEASURED,
         '"10.5 hours" (10.45–10.55 h); "405 features" (404.5–405.5)'),
    Rule("about", '"about", "roughly", "approximately", "ca.", "~"',
         f"the plain number's band widened by a factor of {ABOUT_FACTOR:g}: the value ± one "
         "unit of its last printed digit", _OVERLAP, _MEASURED,
         '"about two hours" (1–3 h); "roughly 8.1 TB" (8.0–8.2 TB)'),
    Rule("lower bound", '"larger than X", "more than X"',
         "from X less half a unit of its last printed digit, upwards", _OVERLAP, _MEASURED,
         '"more than 4.5 years" (4.45 years and up)'),
    Rule("order of magnitude larger", '"an order of magnitude larger"',
         f"a ratio of {ORDER_OF_MAGNITUDE[0]:g} to {ORDER_OF_MAGNITUDE[1]:g}", _OVERLAP,
         _RELATION, "cross-database errors against in-database errors (Sec. 2)"),
    Rule("nearly an order of magnitude", '"nearly an order of magnitude"',
         f"a ratio of {NEARLY_ORDER_OF_MAGNITUDE[0]:g} to {NEARLY_ORDER_OF_MAGNITUDE[1]:g}",
         _OVERLAP, _RELATION, "CPU against V100 training time (Sec. 6.2)"),
    Rule("ranking", '"A outperforms B"',
         "a difference in the paper's order above zero",
         "the whole interval lies above zero (wholly below: disagrees; else within the noise, "
         "no verdict)", ("same data", "analogue"), "SISSO against the NN (Sec. 5)"),
    Rule("input", "a number the paper computes with", "none", "never judged", (),
         '"0.0023 seconds to perform a gradient-update step"'),
)}

#: Why a record gets no verdict (short labels for the page's tables).
NO_VERDICT = {
    "input": "input: never judged",
    "extrapolation": "extrapolation: reported without verdict",
    "external reference": "another publication's number",
    "fixture": "fixture data",
    "unclassified": "kind not stated",
    "different data": "different data: only relations are compared",
    "not judged": "the rule does not apply to this kind",
    "noise": "within the noise",
    "no noise": "no noise estimate",
    "not computable": "not computable",
}


@dataclass(frozen=True)
class Verdict:
    """The verdict on one build value against one claim of the paper.

    Attributes
    ----------
    claim, rule, kind
        The claim (key of :data:`howbig.paper.PAPER`), its rule and the record's kind.
    agrees
        True / False, or ``None`` when there is no verdict (``why`` says why).
    band
        The claim's tolerance band (``None`` for inputs).
    interval
        The build value's interval (``None`` when not computable).
    why
        A key of :data:`NO_VERDICT` when ``agrees`` is None, else "".
    """

    claim: str
    rule: str
    kind: str
    agrees: bool | None
    band: tuple[float, float] | None
    interval: tuple[float, float] | None
    why: str = ""

    @property
    def word(self) -> str:
        """"agrees" / "disagrees" ("checks out" / "does not check out" for paper arithmetic),
        or "no verdict"."""
        if self.agrees is None:
            return "no verdict"
        if self.kind == "paper arithmetic":
            return "checks out" if self.agrees else "does not check out"
        return "agrees" if self.agrees else "disagrees"

    @property
    def label(self) -> str:
        """:attr:`word`, with the reason when there is no verdict (for tables)."""
        return self.word if self.agrees is not None else f"no verdict: {NO_VERDICT[self.why]}"


def precision(number: PaperNumber) -> float:
    """The unit of the last digit the paper prints for ``number`` (its ``precision`` if stated).

    Derived from the value otherwise: its last non-zero digit (``2`` -> 1, ``10.5`` -> 0.1,
    ``40000`` -> 10000).
    """
    if number.precision is not None:
        return float(number.precision)
    digits = Decimal(repr(float(number.value))).normalize()
    return float(Decimal(1).scaleb(digits.as_tuple().exponent))


def band(claim: str | PaperNumber) -> tuple[float, float] | None:
    """The tolerance band of ``claim`` by its rule (``None`` for an input)."""
    number = PAPER[claim] if isinstance(claim, str) else claim
    half = precision(number) / 2
    value = float(number.value)
    bands = {
        "number": (value - half, value + half),
        "about": (value - ABOUT_FACTOR * half, value + ABOUT_FACTOR * half),
        "lower bound": (value - half, math.inf),
        "order of magnitude larger": ORDER_OF_MAGNITUDE,
        "nearly an order of magnitude": NEARLY_ORDER_OF_MAGNITUDE,
        "ranking": (0.0, math.inf),
    }
    if number.rule == "input":
        return None
    if number.rule not in bands:
        raise ValueError(f"{number.key}: unknown rule {number.rule!r}; rules: {list(RULES)}")
    return bands[number.rule]


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(x)


def interval(value: float, uncertainty: float | None = None, low: float | None = None,
             high: float | None = None) -> tuple[float, float] | None:
    """``[low, high]`` if both are given, else ``value +- uncertainty``, else ``[value, value]``;
    ``None`` when the value is not a finite number."""
    if not _finite(value):
        return None
    if _finite(low) and _finite(high):
        return (float(min(low, high)), float(max(low, high)))
    if _finite(uncertainty):
        return (value - abs(uncertainty), value + abs(uncertainty))
    return (float(value), float(value))


def verdict(claim: str | PaperNumber, value: Any, *, kind: str,
            uncertainty: float | None = None, low: float | None = None,
            high: float | None = None) -> Verdict:
    """Judge a build value against a claim of the paper by the claim's rule.

    Parameters
    ----------
    claim
        A key of :data:`howbig.paper.PAPER` (or the :class:`PaperNumber`).
    value
        The build's value, or a :class:`howbig.report.Measured` (its uncertainty and interval are
        then used).
    kind
        The record's kind (:data:`howbig.report.KINDS`; ``""`` is unclassified).
    uncertainty, low, high
        The value's spread, when ``value`` is a plain number.

    Returns
    -------
    Verdict

    Examples
    --------
    >>> verdict("v100_hours_per_run", 1.83, kind="paper arithmetic").word
    'checks out'
    >>> verdict("cpu_gpu_slowdown", 5.7, kind="paper arithmetic").word
    'does not check out'
    """
    number = PAPER[claim] if isinstance(claim, str) else claim
    if isinstance(value, Measured):
        value, uncertainty, low, high = value.value, value.uncertainty, value.low, value.high
    kind = {"arithmetic": "paper arithmetic"}.get(kind, kind)
    tolerance = band(number)
    try:
        span = interval(float(value), uncertainty, low, high)
    except (TypeError, ValueError):
        span = None

    def none(why: str) -> Verdict:
        return Verdict(number.key, number.rule, kind, None, tolerance, span, why)

    if kind in ("input", "extrapolation", "external reference", "fixture"):
        return none(kind)
    if kind == "":
        return none("unclassified")
    if number.rule == "input":
        return none("input")
    if kind not in RULES[number.rule].judged:
        return none("different data" if kind == "analogue" else "not judged")
    if span is None:
        return none("not computable")
    lo, hi = span
    if number.rule == "ranking":
        if not _finite(uncertainty) and not (_finite(low) and _finite(high)):
            return none("no noise")
        if lo > 0 or hi < 0:
            return Verdict(number.key, number.rule, kind, lo > 0, tolerance, span)
        return none("noise")
    assert tolerance is not None
    agrees = hi >= tolerance[0] and lo <= tolerance[1]
    return Verdict(number.key, number.rule, kind, bool(agrees), tolerance, span)
