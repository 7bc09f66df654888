"""The Colab export: plain Markdown with the build's numbers, without the book's cells."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest

from howbig import cli
from howbig.book import colab
from howbig.book import pipeline as book
from howbig.book.execute import NotebookRun
from howbig.book.myst_markdown import GLUE_PREFIX, myst_to_markdown
from tests.conftest import ROOT

MYST_ROLE = re.compile(r"\{[\w:.-]+\}`")
MYST_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{", re.M)
COMMIT = "0123456789abcdef"

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Tiny
"""

CHAPTER = HEADER + """
```{code-cell} ipython3
:tags: [parameters, remove-cell]
profile = "quick"  # "quick" | "full" | "smoke"
results_dir = None
```

```{code-cell} ipython3
:tags: [remove-input, book-only]
from howbig.book.page import fixture_banner

fixture_banner(profile)
```

```{include} ../book/_include/about.md
```

```{code-cell} ipython3
import numpy as np
value = np.pi
interactive = results_dir is None
```

```{code-cell} ipython3
:tags: [remove-cell, book-only]
from myst_nb import glue
recorded = dict(x_mae=31.456, x_word="below", where=results_dir)
for key, v in recorded.items():
    glue(key, v, display=False)
```

(sec-x)=
## Results

The error is {glue:text}`x_mae:.1f` meV, {glue:text}`x_word` the paper's {cite}`speckhard2025`
(see {numref}`fig-x`, {ref}`the section <sec-x>` and eq. {eq}`eq-x`).

```{admonition} About this run
:class: note
Profile {glue:text}`x_word`.
```

```{admonition} Exercise 2.1
Compute it.
```

```{code-cell} ipython3
:tags: [hide-cell]
# Solution
print(value * 2)
```

:::{dropdown} Solution
Nested:
```{math}
a = b
```
:::

````{figure} fig.png
:name: fig-x
A caption.
````

$$ a^2 $$ (eq-x)
"""


def _repo(tmp_path, chapter: str = CHAPTER):
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    (root / "book" / "_include").mkdir(parents=True)
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "_include" / "about.md").write_text(
        ":::{dropdown} Running this page\nOn **Colab**: see {doc}`the guide </book/teacher>`.\n"
        ":::\n")
    shutil.copy(ROOT / "book" / "references.bib", root / "book" / "references.bib")
    (root / "notebooks" / "02_transferability.md").write_text(chapter)
    (root / "book" / "status.md").write_text(HEADER + "\n```{code-cell} ipython3\nx = 1\n```\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/02_transferability\n"
        "  - file: book/status\n")
    (root / "_config.yml").write_text("repository:\n  url: https://github.com/someone/thebook\n")
    return root


def _build(root, *, profile="full", status="ok", commit=COMMIT, source=None):
    """An executed build: glue outputs as myst-nb writes them, status.json as the build does."""
    build_dir = root / "_build"
    notebook = nbformat.v4.new_notebook()
    outputs = [nbformat.v4.new_output(
        "display_data", data={f"{GLUE_PREFIX}text/plain": text},
        metadata={"scrapbook": {"name": key, "mime_prefix": GLUE_PREFIX}})
        for key, text in (("x_mae", "31.456"), ("x_word", "'below'"))]
    notebook.cells.append(nbformat.v4.new_code_cell("glue(...)", outputs=outputs))
    target = build_dir / "stage" / "notebooks" / "02_transferability.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    doc = "notebooks/02_transferability"
    digest = source or colab.source_digest(root / f"{doc}.md")
    (build_dir / "status.json").write_text(json.dumps({"profile": profile, "runs": {doc: {
        "profile": profile, "status": status, "seconds": 90.0, "commit": commit,
        "source_sha256": digest}}}))
    return build_dir


def _export(root, tmp_path):
    written = colab.colab_notebooks(root, tmp_path / "colab", commit=COMMIT)
    assert [p.name for p in written] == ["02_transferability.ipynb"]  # chapters only
    notebook = nbformat.read(written[0], as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_export_is_plain_markdown_with_the_builds_values_and_a_note_naming_them(tmp_path):
    root = _repo(tmp_path)
    _build(root)
    notebook = _export(root, tmp_path)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not MYST_ROLE.search(markdown), MYST_ROLE.findall(markdown)
    assert not MYST_FENCE.search(markdown)
    assert "The error is 31.5 meV, below the paper's (" in markdown
    assert "[Speckhard et al., 2025](https://doi.org/" in markdown
    assert "> **About this run**" in markdown and "> Profile below." in markdown
    assert "$$\na = b\n$$" in markdown
    note = notebook.cells[1].source
    assert note == ("*The numbers in the text are from the published build (profile full, "
                    "commit `0123456789ab`); your run prints its own.*")


def test_export_puts_the_install_cell_first_and_prints_the_run_time_once(tmp_path):
    root = _repo(tmp_path)
    _build(root)
    notebook = _export(root, tmp_path)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert "pip install" in code[0] and "jax" not in code[0]
    assert 'git+https://github.com/someone/thebook@0123456789abcdef"' in code[0]
    assert sum("pip install" in c or "git+" in c for c in code) == 1
    assert "import jax" in code[1] and "EXPECTED_MINUTES" in code[1]
    assert "ran it in 1.5 min" in code[1]  # 90 s
    assert 'ran it in 5 s.")' in colab._runtime_cell("x", {}, "quick", 4.6)
    assert sum("Expected run time" in c for c in code) == 1


def test_export_drops_book_only_cells_and_offers_quick_and_full(tmp_path):
    root = _repo(tmp_path)
    _build(root)
    notebook = _export(root, tmp_path)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "glue(" not in code and "fixture_banner" not in code
    params = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "results_dir" not in params.source
    setup = [c.source for c in notebook.cells if c.cell_type == "code"][1]
    assert "results_dir = None" in setup  # a kept cell reads it
    assert 'profile = "full"  #@param ["quick", "full"]' in params.source
    assert "smoke" not in params.source


def test_export_collapses_solutions_and_inlines_the_include(tmp_path):
    root = _repo(tmp_path)
    _build(root)
    notebook = _export(root, tmp_path)
    solution = next(c for c in notebook.cells if "value * 2" in c.source)
    assert solution.source.startswith("#@title Solution\n")
    assert solution.metadata["cellView"] == "form"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "<details>\n<summary>Solution</summary>" in markdown
    assert "<summary>Running this page</summary>" in markdown and "On **Colab**: see the guide" \
        in markdown


def test_export_refuses_a_kept_cell_that_needs_a_book_only_name(tmp_path):
    chapter = CHAPTER.replace("print(value * 2)", "print(recorded)")
    root = _repo(tmp_path, chapter)
    _build(root)
    with pytest.raises(ValueError, match="recorded"):
        colab.colab_notebooks(root, tmp_path / "colab", commit=COMMIT)


def test_book_only_leaks_ignore_function_locals_and_magics():
    kept = ["def f(x):\n    y = x\n    return y", "%pip install nothing\nz = f(1)"]
    assert colab.book_only_leaks(kept, ["y = 2\nimport numpy as np"]) == {}
    assert colab.book_only_leaks(["np.pi"], ["import numpy as np"]) == {"np.pi": {"np"}}


@pytest.mark.parametrize(("change", "message"), [
    ("no build", "no executed build"),
    ("smoke", "'smoke' profile"),
    ("failed", "failed"),
    ("other commit", "ran at commit fedcba987654"),
    ("edited", "changed since it ran"),
])
def test_export_refuses_without_an_executed_build_of_this_commit(tmp_path, change, message):
    root = _repo(tmp_path)
    if change != "no build":
        _build(root, profile="smoke" if change == "smoke" else "quick",
               status="failed" if change == "failed" else "ok",
               commit="fedcba9876543210" if change == "other commit" else COMMIT,
               source="0" * 64 if change == "edited" else None)
    with pytest.raises(colab.BuildMissingError, match=message) as error:
        colab.colab_notebooks(root, tmp_path / "colab", commit=COMMIT)
    assert "howbig book build --profile quick" in str(error.value)


def test_colab_command_says_what_to_run_and_warns_about_the_placeholder(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "_config.yml").write_text(f"repository:\n  url: {colab.PLACEHOLDER_REPOSITORY}\n")
    code = cli.main(["book", "colab", "--root", str(root), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "warning: repository.url in _config.yml is the placeholder" in err
    assert "run `howbig book build --profile quick` (or --profile full) first" in err
    assert colab.placeholder_warning(root)
    (root / "_config.yml").write_text("repository:\n  url: https://github.com/a/b\n")
    assert colab.placeholder_warning(root) is None


def test_build_records_commit_and_source_of_each_run(tmp_path, monkeypatch):
    root = _repo(tmp_path)
    doc = "notebooks/02_transferability"

    def fake_execute(source, output, **kwargs):
        return NotebookRun(str(source), kwargs["profile"], "ok", 1.0)

    monkeypatch.setattr(book, "execute_notebook", fake_execute)
    monkeypatch.setattr(book, "build_commit", lambda root: COMMIT)
    status, status_path = {"runs": {}}, tmp_path / "status.json"
    assert book._execute_all(root, tmp_path / "stage", [doc], status, status_path, "quick",
                             None, tmp_path / "results") == []
    run = json.loads(status_path.read_text())["runs"][doc]
    assert run["commit"] == COMMIT
    assert run["source_sha256"] == colab.source_digest(root / f"{doc}.md")


def test_publishing_refuses_the_placeholder_repository(tmp_path):
    (tmp_path / "_config.yml").write_text(
        f"repository:\n  url: {colab.PLACEHOLDER_REPOSITORY}\n")
    with pytest.raises(ValueError, match="placeholder"):
        colab.check_repository(tmp_path)
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/a/b\n")
    assert colab.check_repository(tmp_path, "https://github.com/a/b") == "https://github.com/a/b"
    with pytest.raises(ValueError, match="runs in"):
        colab.check_repository(tmp_path, "https://github.com/c/d")


@pytest.mark.parametrize("path", sorted(ROOT.glob("notebooks/[0-9][0-9]_*.md")),
                         ids=lambda p: p.stem)
def test_real_chapters_export_as_notebooks(path):
    """No MyST left, the install cell first, no name only a dropped book-only cell defines."""
    doc = f"notebooks/{path.stem}"
    notebook = colab.colab_notebook(ROOT, doc, commit="c0")
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not MYST_ROLE.search(markdown), MYST_ROLE.findall(markdown)[:5]
    assert not MYST_FENCE.search(markdown)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    url = colab.repository_url(ROOT)
    assert f"git+{url}@c0" in code[0] and sum("git+" in c for c in code) == 1
    assert "Running this page yourself" in markdown  # the shared include, inlined
    params = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "smoke" not in params.source and "results_dir" not in params.source
    recording = re.compile(r"\bRecorder\(|\brec(\.facts)?\(|\bglue\(")
    assert not [c for c in code if recording.search(c)], "a recording call in a Colab cell"


def test_include_is_dropped_without_a_base_folder():
    assert myst_to_markdown("```{include} x.md\n```\nafter", {}, {}) == "after"
