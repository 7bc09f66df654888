"""A chapter's settings as one small typed record that the reader sees and may change.

A chapter declares a frozen dataclass whose fields are keys of its block in
:data:`howbig.profiles.PROFILES` (each with a one-line ``doc``) and reads it with ``of``::

    @dataclass(frozen=True)
    class SearchSettings(ChapterSettings):
        CHAPTER: ClassVar[str] = "compute"
        nas_trials: int = setting("candidates the search trains")

    cfg = SearchSettings.of(profile)                 # the sizes this profile sets
    cfg = dataclasses.replace(cfg, nas_trials=20)    # a reader's change

Lists of the profile table become tuples, so a record is immutable all the way down. In a
notebook the record shows one field per line with its ``doc`` (``_repr_pretty_``).

:func:`run_cost` gives the facts of a page's goals block: what running it costs per profile
(:func:`howbig.profiles.expected_minutes`), recorded with ``Recorder.facts`` and glued.
"""

from __future__ import annotations

import dataclasses
from pprint import pformat
from typing import Any, ClassVar, TypeVar

from howbig.profiles import RUN_TIME_BASIS, expected_minutes, settings
from howbig.report import fact

__all__ = ["ChapterSettings", "RunCost", "run_cost", "setting"]

S = TypeVar("S", bound="ChapterSettings")


def setting(doc: str) -> Any:
    """A required field of a settings record, with what it sets in a few words."""
    return dataclasses.field(metadata={"doc": doc})


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class ChapterSettings:
    """Base of a chapter's settings record; subclasses set :attr:`CHAPTER`."""

    #: Key of the chapter's block in :data:`howbig.profiles.PROFILES`.
    CHAPTER: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # IPython looks for _repr_pretty_ in each class of the MRO before the class's __repr__
        # (which @dataclass writes into every subclass): put it into the subclass itself
        cls._repr_pretty_ = ChapterSettings._repr_pretty_

    @classmethod
    def of(cls: type[S], profile: str) -> S:
        """The record of ``profile``: every field read from the chapter's block of the profile.

        Raises
        ------
        KeyError
            If the profile's block lacks a field of the record.
        """
        table = settings(cls.CHAPTER, profile)
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in table]
        if missing:
            raise KeyError(f"{cls.__name__}: profile {profile!r} has no {missing} under "
                           f"{cls.CHAPTER!r}")
        return cls(**{n: _frozen(table[n]) for n in names})

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """One field per line, with its ``doc`` as a comment (IPython's display)."""
        width = 79  # a code cell of the book's page shows about 80 characters
        lines = [f"{type(self).__name__}("]
        for f in dataclasses.fields(self):
            indent = " " * (len(f.name) + 5)
            value = pformat(getattr(self, f.name), width=width - len(indent), compact=True)
            line = f"    {f.name}={value.replace(chr(10), chr(10) + indent)},"
            doc = f.metadata.get("doc", "")
            beside = f"{line:<34}  # {doc}"
            if doc and ("\n" in line or len(beside) > width):
                lines.append(f"    # {doc}")
            elif doc:
                line = beside
            lines.append(line)
        printer.text("\n".join([*lines, ")"]))


@dataclasses.dataclass(frozen=True)
class RunCost:
    """What running a page costs, per profile (minutes), and the profile this run used."""

    profile: str = fact()
    minutes_quick: float = fact(unit="min")
    minutes_full: float = fact(unit="min")
    minutes_smoke: float = fact(unit="min")
    basis_quick: str = fact()
    basis_full: str = fact()


def run_cost(doc: str, profile: str) -> RunCost:
    """The expected minutes of the page ``doc`` (its file stem) and how they were obtained.

    Raises
    ------
    KeyError
        If :data:`howbig.profiles.EXPECTED_MINUTES` has no entry for the page.
    """
    minutes = expected_minutes(doc)
    if not minutes:
        raise KeyError(f"howbig.profiles.EXPECTED_MINUTES has no entry for {doc!r}")
    return RunCost(profile, minutes["quick"], minutes["full"], minutes["smoke"],
                   RUN_TIME_BASIS["quick"], RUN_TIME_BASIS["full"])
