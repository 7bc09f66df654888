"""The teacher's guide reads the chapters and the build: goals, exercises, a timed plan."""

from __future__ import annotations

import jupytext
import pandas as pd
import pytest

from howbig.book import teacher
from tests.conftest import ROOT

SOURCE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{admonition} In this chapter you will
:class: tip
- fit a model to {glue:text}`n` points,
- compare it with Eq. (4) of
  the paper.
```

## First part

Some prose words here.

## Exercises

```{admonition} Exercise 9.1
:name: ex-9-1
Fit it. Then plot it.
```

```{code-cell} ipython3
:tags: [hide-cell]
# Solution
x = 1
```

```{admonition} Exercise 9.2
Eq. (4) assigns parameters | to classes. Which ones?
```

```{dropdown} Solution
Prose.
```

```{admonition} Exercise 9.3
No solution yet.
```
"""


@pytest.fixture
def outline(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "09_x.md").write_text(SOURCE)
    return teacher.chapter_outline(tmp_path, "notebooks/09_x")


def test_outline_reads_goals_sections_and_exercises(outline):
    assert outline.title == "A chapter"
    assert outline.goals == ("fit a model to *(computed when the notebook runs)* points,",
                             "compare it with Eq. (4) of the paper.")
    assert outline.sections == ("First part",)  # not "Exercises"
    assert [(e.number, e.question, e.solution, e.label) for e in outline.exercises] == [
        ("9.1", "Fit it.", "code", "ex-9-1"),
        ("9.2", "Eq. (4) assigns parameters \\| to classes.", "text", ""),
        ("9.3", "No solution yet.", "", "")]
    assert outline.reading_minutes == outline.words / teacher.READING_WORDS_PER_MINUTE


def test_a_section_page_states_its_goals_as_a_section(tmp_path):
    (tmp_path / "notebooks").mkdir()
    source = SOURCE.replace("In this chapter you will", "In this section you will")
    (tmp_path / "notebooks" / "09_2_x.md").write_text(source)
    outline = teacher.chapter_outline(tmp_path, "notebooks/09_2_x")
    assert outline.goals[1] == "compare it with Eq. (4) of the paper."


def test_exercise_table_links_labelled_exercises_directly(outline):
    table = teacher.exercise_table([outline])
    assert list(table["exercise"]) == ["{ref}`Exercise 9.1 <ex-9-1>`",
                                       "{doc}`Exercise 9.2 </notebooks/09_x>`",
                                       "{doc}`Exercise 9.3 </notebooks/09_x>`"]
    assert list(table["solution"]) == ["code", "text", "none yet"]


def test_timed_plan_takes_run_times_from_the_status_table(outline):
    runs = pd.DataFrame({"notebook": ["notebooks/09_x"], "seconds": [90.0]})
    plan = teacher.timed_plan([outline], runs)
    assert plan.loc[0, "run, this build (min)"] == "1.5"
    assert plan.loc[0, "expected, quick (min)"] == "-"  # no such chapter in the profiles
    assert plan.loc[0, "chapter"] == "{doc}`/notebooks/09_x`"
    empty = teacher.timed_plan([outline], pd.DataFrame(columns=["notebook", "seconds"]))
    assert empty.loc[0, "run, this build (min)"] == "-"


def test_markdown_table_keeps_roles():
    frame = pd.DataFrame({"a": ["{doc}`/x`"], "b": [1]})
    assert teacher.markdown_table(frame) == "| a | b |\n|---|---|\n| {doc}`/x` | 1 |\n"


@pytest.mark.parametrize("doc", teacher.chapter_docs(ROOT))
def test_every_chapter_has_exercises_with_solutions(doc):
    outline = teacher.chapter_outline(ROOT, doc)
    assert outline.exercises, doc
    assert all(e.solution for e in outline.exercises), [e.number for e in outline.exercises]
    chapter = doc.split("/")[-1][:2].lstrip("0")
    assert all(e.number.split(".")[0] == chapter for e in outline.exercises)


def test_teacher_page_is_in_the_toc_and_runs_after_the_chapters():
    from howbig.book.pipeline import source_order

    order = source_order(ROOT)
    assert "book/teacher" in order
    assert order.index("book/teacher") > max(order.index(d) for d in teacher.chapter_docs(ROOT))
    assert "{doc}`teacher's guide <teacher>`" in (ROOT / "book" / "index.md").read_text()
    assert jupytext.read(ROOT / "book" / "teacher.md").metadata["kernelspec"]
