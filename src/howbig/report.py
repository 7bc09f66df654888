"""Recording what a chapter computed: glued into its page, stored for the reproducibility page.

The one way to record is a *facts* dataclass per section of a page, recorded in one call::

    from dataclasses import dataclass
    from howbig.report import Measured, Recorder, fact

    @dataclass(frozen=True)
    class TransferFacts:
        mae_in_mp: Measured = fact(unit="eV/atom", kind="analogue", fmt="{:.3f}")
        cross_factor: Measured = fact(unit="x", kind="analogue", claim="cross_database_factor",
                                      reason="composition model, MP vs JARVIS")
        in_vs_gap: str = fact()          # a comparison word: "below" / "above"

    rec = Recorder("transferability", prefix="tr_", profile=profile, data=DATA,
                   results_dir=results_dir)
    rec.facts(TransferFacts(Measured(0.081, uncertainty=0.002, n=3, spread="std over 3 seeds"),
                            Measured(3.1, uncertainty=0.4, n=3, spread="std over 3 seeds"),
                            "below"))

:meth:`Recorder.facts` glues every field as ``<prefix><field>`` (a :class:`Measured` also as
``<key>_unc``, ``<key>_low`` and ``<key>_high`` where set), and, when ``results_dir`` is given
(``howbig book build`` passes it to every page through papermill), writes the records to
``<results_dir>/<chapter>.json``. It prints nothing. Nothing else decides whether records are
written: no environment variable is read.

Values that cannot be computed (NaN, inf or ``None``, e.g. a correlation of a single point) are
recordable: they are glued as the text :data:`NOT_COMPUTABLE` and stored as ``null``, so a page
never shows "nan"; ``{glue:text}`key:.2f``` of such a value fails the build, so a page words the
case with :func:`is_computable` (or :attr:`Measured.is_computable`) in its facts.

Kinds of record (``kind=``, one of :data:`KINDS`; how each is judged: :mod:`howbig.verdicts`):

* ``"input"``: set to the paper's value; listed apart, never judged;
* ``"paper arithmetic"``: the paper's own arithmetic, recomputed from its stated inputs;
* ``"same data"``: the same quantity measured on the paper's data;
* ``"analogue"``: the same kind of quantity measured on stand-in data;
* ``"external reference"``: a build value set beside a number of another publication
  (``reference=``, a key of :data:`howbig.paper.PUBLISHED`);
* ``"extrapolation"``: reported without a verdict (for example the limit of a fitted curve);
* ``"fixture"``: forced by the recorder for every classified record of the smoke profile, except
  ``paper arithmetic`` and ``input`` (the paper's own numbers), which do not depend on data;
* ``""``: a number the text uses that is not set beside the paper.

``claim=`` names the key of :data:`howbig.paper.PAPER` a record is set beside.

The old way, ``rec(key, value, unit=..., paper=..., kind=...)`` and :func:`record`, still works
until every chapter is ported to facts dataclasses; it will then be deleted.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from howbig.paper import PAPER, PUBLISHED

__all__ = [
    "KINDS",
    "NOT_COMPUTABLE",
    "Measured",
    "Record",
    "Recorder",
    "fact",
    "is_computable",
    "load_results",
    "record",
    "recorded_kind",
]

#: Kinds of record; see the module docstring.
KINDS = ("input", "paper arithmetic", "same data", "analogue", "external reference",
         "extrapolation", "fixture", "")

#: What is glued in place of a value that cannot be computed (NaN, inf, None).
NOT_COMPUTABLE = "not computable"

_OLD_KINDS = {"arithmetic": "paper arithmetic"}  # the old way's name, still accepted


@dataclass(frozen=True)
class Measured:
    """A measured value with its spread.

    Parameters
    ----------
    value
        The estimate (mean, median, point estimate).
    uncertainty
        One number in the unit of ``value``: a standard deviation or a half-width, as ``spread``
        says.
    low, high
        An interval (e.g. a bootstrap confidence interval), when there is one.
    n
        The repeats the spread comes from (seeds, folds, bootstrap samples).
    spread
        What the spread is, e.g. ``"std over 3 seeds"``, ``"95% bootstrap CI"``.
    """

    value: float
    uncertainty: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    spread: str = ""

    @property
    def is_computable(self) -> bool:
        """Whether the value is a finite number."""
        return is_computable(self.value)


def is_computable(value: Any) -> bool:
    """False for ``None``, NaN and infinities (of a number or a :class:`Measured`), else True."""
    if isinstance(value, Measured):
        value = value.value
    if value is None:
        return False
    try:
        return math.isfinite(value)
    except TypeError:  # strings, words: computable
        return True


def recorded_kind(kind: str, profile: str, *, claimed: bool = True) -> str:
    """The kind a record of ``kind`` gets in ``profile``: ``fixture`` in the smoke profile for a
    classified record (a kind, a claim or a reference: ``claimed``) other than ``paper
    arithmetic`` and ``input`` (the paper's own arithmetic and inputs stay what they are). A page
    that words a verdict (:func:`howbig.verdicts.verdict`) passes this kind, so that its words
    match the record's."""
    if profile == "smoke" and kind not in ("paper arithmetic", "input") and (kind or claimed):
        return "fixture"  # tiny fixture data: never judged against the paper
    return kind


def fact(*, unit: str = "", fmt: str = "{:.4g}", kind: str = "", claim: str | None = None,
         reference: str | None = None, reason: str = "", finding: str = "",
         default: Any = dataclasses.MISSING) -> Any:
    """A field of a facts dataclass, with what the reproducibility page needs to know about it.

    Parameters
    ----------
    unit
        Unit of the value.
    fmt
        Format of the value in the reproducibility tables.
    kind
        One of :data:`KINDS`.
    claim
        Key of :data:`howbig.paper.PAPER` this value is set beside.
    reference
        Key of :data:`howbig.paper.PUBLISHED` (kind ``external reference``).
    reason
        One line on why this build's value may differ from the paper's (data, scale, hardware).
    finding
        The row's note on the reproducibility and conclusions pages in place of ``reason``: what
        the row measures, where several rows stand beside one claim.
    default
        Default value of the field, if any.

    Returns
    -------
    A :func:`dataclasses.field` whose metadata holds the arguments.
    """
    meta = _checked(dict(unit=unit, fmt=fmt, kind=kind, claim=claim, reference=reference,
                         reason=reason, finding=finding), "fact()")
    return dataclasses.field(default=default, metadata=meta)


def _checked(meta: dict[str, Any], where: str) -> dict[str, Any]:
    meta["kind"] = _OLD_KINDS.get(meta["kind"], meta["kind"])
    if meta["kind"] not in KINDS:
        raise ValueError(f"{where}: kind {meta['kind']!r} is not one of {KINDS}")
    if meta["claim"] is not None and meta["claim"] not in PAPER:
        raise KeyError(f"{where}: {meta['claim']!r} is not a key of howbig.paper.PAPER")
    if meta["reference"] is not None and meta["reference"] not in PUBLISHED:
        raise KeyError(f"{where}: {meta['reference']!r} is not a key of howbig.paper.PUBLISHED")
    return meta


@dataclass
class Record:
    """One computed value of this build, as stored for the reproducibility page."""

    chapter: str
    key: str
    value: Any
    unit: str = ""
    claim: str | None = None
    reason: str = ""
    profile: str = ""
    data: str = ""
    fmt: str = "{:.4g}"
    kind: str = ""
    uncertainty: float | None = None
    n: int | None = None
    spread: str = ""
    finding: str = ""
    low: float | None = None
    high: float | None = None
    reference: str | None = None

    @property
    def is_computable(self) -> bool:
        """Whether the stored value is a number or word (``None`` marks "not computable")."""
        return is_computable(self.value)


def _plain(value: Any) -> Any:
    """Numpy scalars as Python scalars (they would glue as ``np.float64(...)``)."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _jsonable(value: Any) -> Any:
    value = _plain(value)
    return value if is_computable(value) else None


def _glue(key: str, value: Any) -> None:
    try:
        from myst_nb import glue  # absent on Colab: nothing to paste into
    except ImportError:
        return
    glue(key, value, display=False)


class Recorder:
    """Glue a chapter's facts into its page and store them for the reproducibility page.

    Parameters
    ----------
    chapter
        Chapter key, e.g. ``"transferability"`` (the name of the records file).
    prefix
        Prepended to every field name of :meth:`facts` (e.g. ``"tr_"``); glue keys are unique
        within the book.
    profile
        The profile this page runs in; ``"smoke"`` forces the kind ``fixture`` on every
        classified record except ``paper arithmetic`` and ``input``.
    data
        The data the numbers were computed with, in a few words.
    results_dir
        Where the records go (``<results_dir>/<chapter>.json``); ``None`` (a notebook run by
        hand, Colab): glue only.

    Examples
    --------
    >>> rec = Recorder("infrastructure", prefix="cmp_", profile="quick")
    >>> rec.facts(SomeFacts(...))            # doctest: +SKIP
    """

    def __init__(self, chapter: str, *, prefix: str = "", profile: str = "", data: str = "",
                 results_dir: str | Path | None = None) -> None:
        self.chapter, self.prefix, self.profile, self.data = chapter, prefix, profile, data
        self.results_dir = None if results_dir is None else Path(results_dir)

    def facts(self, obj: Any) -> None:
        """Glue and record every field of the facts dataclass ``obj``.

        A plain field is glued as ``<prefix><name>``; a :class:`Measured` as ``<prefix><name>``
        (its value) and ``_unc``, ``_low``, ``_high`` where set. Field metadata comes from
        :func:`fact` (a field declared without it is recorded with kind ``""``).

        Raises
        ------
        TypeError
            If ``obj`` is not a dataclass instance or a field holds something other than a
            number, a string, ``None`` or a :class:`Measured`.
        """
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            raise TypeError(f"Recorder.facts expects a dataclass instance, got {type(obj)!r}")
        entries = []
        for field in dataclasses.fields(obj):
            key = self.prefix + field.name
            value = _plain(getattr(obj, field.name))
            meta = {"unit": "", "fmt": "{:.4g}", "kind": "", "claim": None, "reference": None,
                    "reason": "", **field.metadata}
            if isinstance(value, Measured):
                parts = {"_unc": value.uncertainty, "_low": value.low, "_high": value.high}
                self._glue(key, value.value)
                for suffix, part in parts.items():
                    if part is not None:
                        self._glue(key + suffix, _plain(part))
                entries.append(self._record(key, value.value, meta, uncertainty=value.uncertainty,
                                            low=value.low, high=value.high, n=value.n,
                                            spread=value.spread))
            elif value is None or isinstance(value, bool | int | float | str):
                self._glue(key, value)
                entries.append(self._record(key, value, meta))
            else:
                raise TypeError(f"{type(obj).__name__}.{field.name}: a fact is a number, a "
                                f"string or a Measured, not {type(value).__name__}")
        self._write(entries)

    def _glue(self, key: str, value: Any) -> None:
        _glue(key, _plain(value) if is_computable(value) else NOT_COMPUTABLE)

    def _record(self, key: str, value: Any, meta: dict[str, Any], **measured: Any) -> Record:
        kind = recorded_kind(meta["kind"], self.profile,
                             claimed=meta["claim"] is not None or meta["reference"] is not None)
        spread = measured.pop("spread", "")
        numbers = {k: _jsonable(v) for k, v in measured.items()}
        return Record(self.chapter, key, _jsonable(value), meta["unit"], meta["claim"],
                      meta["reason"], self.profile, self.data, meta["fmt"], kind,
                      numbers.get("uncertainty"), numbers.get("n"), spread, meta.get("finding", ""),
                      numbers.get("low"), numbers.get("high"), meta["reference"])

    def _write(self, entries: list[Record]) -> None:
        if self.results_dir is None or not entries:
            return
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"{self.chapter}.json"
        table = json.loads(path.read_text()) if path.is_file() else {}
        table.update({e.key: asdict(e) for e in entries})
        path.write_text(json.dumps(table, indent=1))

    def __call__(self, key: str, value: Any, *, unit: str = "", paper: str | None = None,
                 claim: str | None = None, reference: str | None = None, reason: str = "",
                 data: str | None = None, fmt: str = "{:.4g}", kind: str = "",
                 uncertainty: float | None = None, low: float | None = None,
                 high: float | None = None, n: int | None = None, spread: str = "",
                 agrees: bool | None = None, finding: str = "", profile: str | None = None) -> Any:
        """The old way: glue and record one value under ``key`` (no prefix is added).

        ``value`` may be a :class:`Measured`: its value is glued and its uncertainty, interval, n
        and spread are recorded (they take precedence over the keyword arguments).
        Keyword arguments as for :func:`fact` and :class:`Measured`; ``paper`` is the old name of
        ``claim`` and ``kind="arithmetic"`` of ``"paper arithmetic"``. ``agrees`` is accepted and
        ignored: verdicts come from :func:`howbig.verdicts.verdict`. ``finding`` is shown as the
        row's note. A value that cannot be computed is glued as it is (the old behaviour).
        Deleted once every chapter records facts dataclasses.

        Returns
        -------
        The value (numpy scalars as Python scalars).
        """
        del agrees  # the old way's verdict; the page applies howbig.verdicts instead
        if isinstance(value, Measured):
            uncertainty = value.uncertainty if value.uncertainty is not None else uncertainty
            low = value.low if value.low is not None else low
            high = value.high if value.high is not None else high
            n = value.n if value.n is not None else n
            spread = value.spread or spread
            value = value.value
        value = _plain(value)
        meta = _checked(dict(unit=unit, fmt=fmt, kind=kind, claim=claim or paper,
                             reference=reference, reason=reason, finding=finding), f"rec({key!r})")
        saved = self.profile, self.data
        self.profile = saved[0] if profile is None else profile
        self.data = saved[1] if data is None else data
        try:
            _glue(key, value)
            self._write([self._record(key, value, meta, uncertainty=uncertainty, low=low,
                                      high=high, n=n, spread=spread)])
        finally:
            self.profile, self.data = saved
        return value


def record(chapter: str, key: str, value: Any, *, results_dir: str | Path | None = None,
           **kwargs: Any) -> Any:
    """The old way, unbound: ``Recorder(chapter, results_dir=results_dir)(key, value, **kwargs)``.

    Deleted once every page records facts dataclasses.
    """
    return Recorder(chapter, results_dir=results_dir)(key, value, **kwargs)


def load_results(directory: str | Path | None) -> list[Record]:
    """All records written into ``directory`` (the build's ``results_dir``); none for ``None``."""
    if directory is None or not Path(directory).is_dir():
        return []
    names = {f.name for f in dataclasses.fields(Record)}
    records = []
    for path in sorted(Path(directory).glob("*.json")):
        for entry in json.loads(path.read_text()).values():
            entry.setdefault("claim", entry.pop("paper", None))
            records.append(Record(**{k: v for k, v in entry.items() if k in names}))
    return records
