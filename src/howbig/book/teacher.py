"""What the teacher's guide (``book/teacher.md``) shows, read from the chapters and the build.

Nothing here is typed per chapter, so the guide stays true when a chapter changes:

* :func:`chapter_outline`: a chapter's title, its goals (the bullets of its goals admonition,
  titled "In this chapter you will ..."), its sections, its reading time and its exercises;
* :func:`exercises`: the ``Exercise N.M`` admonitions of a chapter with the first sentence of
  each question, and whether a solution follows it (a hidden code cell whose first line is
  ``# Solution``, or a ``{dropdown} Solution``). An exercise admonition with ``:name: <label>``
  is linked to directly, the others through their chapter;
* :func:`timed_plan`: per chapter, reading time, the run time this build measured
  (``status.json``, through :func:`howbig.book.status.runs_table`) and the expected minutes per
  profile (:data:`howbig.profiles.EXPECTED_MINUTES`);
* :func:`markdown_table`: the MyST table the page displays (links as ``{doc}``/``{ref}`` roles,
  rendered because ``_config.yml`` sets ``nb_render_markdown_format: myst``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from howbig.book.myst_markdown import glue_values, myst_to_markdown
from howbig.book.pipeline import is_notebook_source, source_order
from howbig.profiles import expected_minutes

__all__ = ["READING_WORDS_PER_MINUTE", "ChapterOutline", "Exercise", "chapter_docs",
           "chapter_outline", "exercise_table", "exercises", "markdown_table", "timed_plan"]

#: Reading speed of technical prose with equations, for the reading time of a chapter.
READING_WORDS_PER_MINUTE = 150
GOALS_TITLE = "In this chapter you will"
#: A section page of a chapter split into pages titles its goals so (``_toc.yml`` sections).
SECTION_GOALS_TITLE = "In this section you will"
#: Sections every chapter has, which say nothing about what it teaches.
NOT_TAUGHT = ("Exercises", "Summary")
_EXERCISE = re.compile(r"^(`{3,}|:{3,})\{admonition\}\s*Exercise\s+(?P<number>\d+(?:\.\d+)*)\s*$")
_SOLUTION_DROPDOWN = re.compile(r"^(`{3,}|:{3,})\{dropdown\}\s*Solution")


@dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter."""

    number: str
    question: str  # first sentence, plain Markdown
    solution: str  # "code", "text" or "" (none follows it)
    label: str = ""  # the admonition's :name:, if any


@dataclass(frozen=True)
class ChapterOutline:
    """What the guide says about one chapter."""

    doc: str
    title: str
    goals: tuple[str, ...]
    sections: tuple[str, ...]
    words: int
    exercises: tuple[Exercise, ...] = field(default_factory=tuple)

    @property
    def reading_minutes(self) -> float:
        """Reading time of the prose at :data:`READING_WORDS_PER_MINUTE`."""
        return self.words / READING_WORDS_PER_MINUTE


def chapter_docs(root: Path) -> list[str]:
    """The chapters (and chapter sections) of ``_toc.yml``, in order: documents in notebooks/."""
    return [d for d in source_order(Path(root)) if d.startswith("notebooks/")
            and is_notebook_source(Path(root) / f"{d}.md")]


def _plain(text: str, glue: dict[str, str] | None = None) -> str:
    return " ".join(myst_to_markdown(text, glue or {}, {}).split())


# A sentence ends at . ? ! before a capital or the end, not after "Eq." "Fig." "e.g." "et al."
_SENTENCE_END = re.compile(r"(?<!\bEq)(?<!\bEqs)(?<!\bFig)(?<!\bFigs)(?<!\be\.g)(?<!\bi\.e)"
                           r"(?<!\bal)(?<!\bcf)[.?!](?=\s+[A-Z(]|\s*$)")


def _first_sentence(lines: list[str], glue: dict[str, str] | None = None) -> str:
    text = _plain("\n".join(line for line in lines if not re.match(r"^\s*:[\w-]+:", line)),
                  glue)
    match = _SENTENCE_END.search(text)
    return (text[:match.end()] if match else text).replace("|", "\\|")


def _blocks(cells: list) -> list[tuple[str, list[str], int]]:
    """``(cell type, lines, cell index)`` of every cell."""
    return [(c.cell_type, c.source.split("\n"), i) for i, c in enumerate(cells)]


def exercises(cells: list, glue: dict[str, str] | None = None) -> list[Exercise]:
    """The ``Exercise N.M`` admonitions of a notebook's cells (jupytext/nbformat cells).

    ``glue`` gives the values of glued numbers in the questions (default: a placeholder).
    """
    found = []
    for kind, lines, index in _blocks(cells):
        if kind != "markdown":
            continue
        for i, line in enumerate(lines):
            match = _EXERCISE.match(line.strip())
            if not match:
                continue
            fence = match.group(1)
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence),
                       len(lines))
            body = lines[i + 1:end]
            label = next((b.split(":", 2)[2].strip() for b in body
                          if b.strip().startswith(":name:")), "")
            found.append(Exercise(match.group("number"), _first_sentence(body, glue),
                                  _solution(cells, index, "\n".join(lines[end + 1:])), label))
    return found


def _solution(cells: list, index: int, rest: str) -> str:
    """The kind of solution right after an exercise: in the rest of its cell, or the next cell."""
    if rest.strip():
        return "text" if _SOLUTION_DROPDOWN.match(rest.strip()) else ""
    if index + 1 >= len(cells):
        return ""
    following = cells[index + 1]
    if following.cell_type == "code" and \
            following.source.lstrip().lower().startswith("# solution"):
        return "code"
    if following.cell_type == "markdown" and _SOLUTION_DROPDOWN.match(following.source.strip()):
        return "text"
    return ""


def _goals(cells: list) -> tuple[str, ...]:
    for kind, lines, _ in _blocks(cells):
        if kind != "markdown":
            continue
        for i, line in enumerate(lines):
            if re.match(rf"^(`{{3,}}|:{{3,}})\{{\w+\}}\s*({GOALS_TITLE}|{SECTION_GOALS_TITLE})",
                        line.strip()):
                bullets = []
                for item in lines[i + 1:]:
                    if re.match(r"^(`{3,}|:{3,})\s*$", item.strip()):
                        break
                    if re.match(r"^\s*[-*]\s+", item):
                        bullets.append(re.sub(r"^\s*[-*]\s+", "", item))
                    elif bullets and item.startswith("  "):
                        bullets[-1] += " " + item.strip()
                return tuple(_plain(b) for b in bullets)
    return ()


def chapter_outline(root: Path, doc: str, stage: Path | None = None) -> ChapterOutline:
    """Title, goals, sections, words of prose and exercises of the chapter ``doc``.

    ``stage``: the build's stage folder; glued numbers in the questions take the values of the
    executed notebook there.
    """
    import jupytext  # deferred: ~0.2 s; only the outline reads a chapter

    executed = Path(stage) / f"{doc}.ipynb" if stage else None
    glue = glue_values(executed) if executed and executed.is_file() else {}
    cells = jupytext.read(Path(root) / f"{doc}.md").cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    title = next((line[2:].strip() for line in markdown.split("\n") if line.startswith("# ")),
                 doc)
    sections = tuple(_plain(line[3:]) for line in markdown.split("\n")
                     if line.startswith("## ") and line[3:].strip() not in NOT_TAUGHT)
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{[\w:.-]+\}`[^`]*`", " ", markdown, flags=re.S)
    words = len(re.findall(r"[A-Za-z][A-Za-z'-]+", prose))
    return ChapterOutline(doc, title, _goals(cells), sections, words,
                          tuple(exercises(cells, glue)))


def timed_plan(outlines: list[ChapterOutline], runs: pd.DataFrame) -> pd.DataFrame:
    """Per chapter: reading, this build's run time and the expected minutes per profile.

    ``runs`` is the status page's table (:func:`howbig.book.status.runs_table`).
    """
    seconds = dict(zip(runs["notebook"], runs["seconds"], strict=True)) if len(runs) else {}
    rows = []
    for outline in outlines:
        expected = expected_minutes(outline.doc)
        run = seconds.get(outline.doc)
        rows.append({
            "chapter": f"{{doc}}`/{outline.doc}`",
            "reading (min)": round(outline.reading_minutes),
            "run, this build (min)": "-" if run is None else f"{run / 60:.1f}",
            "expected, quick (min)": f"{expected['quick']:g}" if "quick" in expected else "-",
            "expected, full (min)": f"{expected['full']:g}" if "full" in expected else "-",
            "exercises": len(outline.exercises),
        })
    return pd.DataFrame(rows)


def exercise_table(outlines: list[ChapterOutline]) -> pd.DataFrame:
    """Every exercise: a link to it (its solution follows it), the question, the solution kind."""
    rows = []
    for outline in outlines:
        for ex in outline.exercises:
            target = f"{{ref}}`Exercise {ex.number} <{ex.label}>`" if ex.label else \
                f"{{doc}}`Exercise {ex.number} </{outline.doc}>`"
            rows.append({"exercise": target, "question": ex.question,
                         "solution": ex.solution or "none yet"})
    return pd.DataFrame(rows, columns=["exercise", "question", "solution"])


def markdown_table(frame: pd.DataFrame) -> str:
    """A Markdown (MyST) table of ``frame``: cells as they are, so roles stay roles."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v).replace("\n", " ") for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"
