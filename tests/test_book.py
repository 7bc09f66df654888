"""The build pipeline: jupytext + papermill execution, hidden injected parameters, failures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from howbig.book import pipeline as book
from howbig.book.pipeline import colab_notebooks, execute_notebook, is_notebook_source

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


def _write(path, body: str):
    path.write_text(HEADER + body)
    return path


@pytest.mark.slow
def test_papermill_injects_profile_and_hides_the_injected_cell(tmp_path):
    source = _write(tmp_path / "tiny.md", """
```{code-cell} ipython3
:tags: [parameters]
profile = "quick"
```

```{code-cell} ipython3
print("profile is", profile)
```
""")
    out = tmp_path / "out" / "tiny.ipynb"
    run = execute_notebook(source, out, profile="full")
    assert run.status == "ok", run.error
    notebook = nbformat.read(out, as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0].metadata["tags"]
    printed = json.dumps(notebook.cells[-1].outputs)
    assert "profile is full" in printed


@pytest.mark.slow
def test_failing_cell_marks_the_run_failed(tmp_path):
    source = _write(tmp_path / "bad.md", """
```{code-cell} ipython3
:tags: [parameters]
profile = "quick"
```

```{code-cell} ipython3
raise RuntimeError("boom")
```
""")
    run = execute_notebook(source, tmp_path / "bad.ipynb")
    assert run.status == "failed"
    assert "boom" in run.error


def test_notebook_sources_are_told_apart_from_plain_pages(tmp_path):
    notebook = _write(tmp_path / "nb.md", "")
    plain = tmp_path / "plain.md"
    plain.write_text("# Just text\n")
    assert is_notebook_source(notebook)
    assert not is_notebook_source(plain)


def test_colab_notebooks_are_real_ipynb_files(tmp_path):
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Intro\n")
    _write(root / "notebooks" / "02_x.md", "\n```{code-cell} ipython3\nx = 1\n```\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/02_x\n"
    )
    written = colab_notebooks(root, tmp_path / "colab")
    assert [p.name for p in written] == ["02_x.ipynb"]
    notebook = nbformat.read(written[0], as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[-1].source == "x = 1"


def test_stage_config_points_mathjax_at_vendored_copy(tmp_path):
    """The staged site carries its own MathJax, so math renders on an offline laptop."""
    pytest.importorskip("mathjax")
    root = Path(__file__).resolve().parents[1]
    stage = tmp_path / "stage"
    stage.mkdir()
    book._stage_config(root, stage)
    config = yaml.safe_load((stage / "_config.yml").read_text())
    path = config["sphinx"]["config"]["mathjax_path"]
    assert "://" not in path
    assert (stage / "book" / "_static" / path).is_file()
    fonts = stage / "book" / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff"))
