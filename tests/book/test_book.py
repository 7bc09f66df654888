"""The build pipeline: jupytext + papermill execution, hidden injected parameters, failures."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from howbig.book import colab, execute, smoke
from howbig.book import pipeline as book
from howbig.book.pipeline import colab_notebooks, execute_notebook, is_notebook_source
from tests.conftest import FIXTURES, ROOT

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
def test_papermill_injects_profile_hides_the_injected_cell_and_reports_progress(tmp_path, capfd):
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
    err = capfd.readouterr().err
    assert "without encryption" not in err  # the kernel's TCP warning is silenced
    assert "tiny: 4/4 cells" in err  # title, parameters, injected parameters, print


@pytest.mark.slow
def test_papermill_injects_results_dir_beside_profile(tmp_path):
    source = _write(tmp_path / "rec.md", """
```{code-cell} ipython3
:tags: [parameters]
profile = "quick"
results_dir = None  # set by howbig book build
```

```{code-cell} ipython3
from howbig.report import Recorder
Recorder("tiny", profile=profile, results_dir=results_dir)("tiny_x", 1.5, kind="analogue")
```
""")
    results = tmp_path / "results"
    run = execute_notebook(source, tmp_path / "out" / "rec.ipynb", profile="smoke",
                           results_dir=results)
    assert run.status == "ok", run.error
    from howbig.report import load_results

    record, = load_results(results)
    assert (record.key, record.profile, record.kind) == ("tiny_x", "smoke", "fixture")


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


def test_stage_config_points_mathjax_at_vendored_copy(tmp_path):
    """The staged site carries its own MathJax, so math renders on an offline laptop."""
    pytest.importorskip("mathjax")
    root = ROOT
    stage = tmp_path / "stage"
    stage.mkdir()
    book._stage_config(root, stage)
    config = yaml.safe_load((stage / "_config.yml").read_text())
    path = config["sphinx"]["config"]["mathjax_path"]
    assert "://" not in path
    assert (stage / "book" / "_static" / path).is_file()
    fonts = stage / "book" / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff"))


# ------------------------------------------------------------------------- Colab export
MYST_ROLE = re.compile(r"\{[\w:.-]+\}`")
MYST_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{", re.M)

CHAPTER = """
```{code-cell} ipython3
:tags: [remove-cell]
import sys
if "google.colab" in sys.modules:
    %pip install -q "howbig[chemistry] @ git+https://example.org/elsewhere"
```

```{code-cell} ipython3
:tags: [parameters, remove-cell]
profile = "quick"
```

```{code-cell} ipython3
from myst_nb import glue
glue("x_mae", 31.456, display=False)
glue("x_word", "below", display=False)
```

(sec-x)=
## Results

The error is {glue:text}`x_mae:.1f` meV, {glue:text}`x_word` the paper's {cite}`speckhard2025`
(see {numref}`fig-x`, {ref}`the section <sec-x>` and eq. {eq}`eq-x`).

```{admonition} About this run
:class: note
Profile {glue:text}`x_word`.
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


def _colab_repo(tmp_path):
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Intro\n")
    shutil.copy(ROOT / "book" / "references.bib",
                root / "book" / "references.bib")
    _write(root / "notebooks" / "02_transferability.md", CHAPTER)
    _write(root / "book" / "status.md", "\n```{code-cell} ipython3\nx = 1\n```\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/02_transferability\n"
        "  - file: book/status\n"
    )
    (root / "_config.yml").write_text("repository:\n  url: https://github.com/someone/thebook\n")
    return root


def _executed_stage(root, build_dir):
    """An executed notebook with the glue outputs myst-nb writes (display=False)."""
    notebook = nbformat.v4.new_notebook()
    outputs = []
    for key, text in (("x_mae", "31.456"), ("x_word", "'below'")):
        outputs.append(nbformat.v4.new_output(
            "display_data", data={f"{colab.GLUE_PREFIX}text/plain": text},
            metadata={"scrapbook": {"name": key, "mime_prefix": colab.GLUE_PREFIX}}))
    notebook.cells.append(nbformat.v4.new_code_cell("glue(...)", outputs=outputs))
    target = build_dir / "stage" / "notebooks" / "02_transferability.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)
    (build_dir / "status.json").write_text(json.dumps({"profile": "full", "runs": {}}))


def test_colab_notebook_is_plain_markdown_with_the_builds_values(tmp_path):
    root = _colab_repo(tmp_path)
    _executed_stage(root, root / "_build")
    written = colab_notebooks(root, tmp_path / "colab", commit="0123456789abcdef")
    assert [p.name for p in written] == ["02_transferability.ipynb"]  # chapters only
    notebook = nbformat.read(written[0], as_version=4)
    nbformat.validate(notebook)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not MYST_ROLE.search(markdown), MYST_ROLE.findall(markdown)
    assert not MYST_FENCE.search(markdown)
    assert "The error is 31.5 meV, below the paper's (" in markdown
    assert "[Speckhard et al., 2025](https://doi.org/" in markdown
    assert "> **About this run**" in markdown and "> Profile below." in markdown
    assert "$$\na = b\n$$" in markdown.replace("> ", "")
    assert "`full` build" in markdown
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert "import jax" in code[0] and "EXPECTED_MINUTES" in code[0]
    install = [c for c in code if "pip install" in c]
    assert install == [c for c in code if "git+" in c] and len(install) == 1
    assert "git+https://github.com/someone/thebook@0123456789abcdef" in install[0]
    params = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert params.source.startswith('profile = "full"')


def test_real_chapters_export_without_myst_syntax(tmp_path):
    root = ROOT
    for path in colab_notebooks(root, tmp_path, build_dir=tmp_path / "no-build", commit="c0"):
        notebook = nbformat.read(path, as_version=4)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert not MYST_ROLE.search(markdown), (path.name, MYST_ROLE.findall(markdown)[:5])
        assert not MYST_FENCE.search(markdown), path.name
        url = colab.repository_url(root)
        assert sum(f"git+{url}@c0" in c.source for c in notebook.cells) == 1


def test_publishing_refuses_the_placeholder_repository(tmp_path):
    (tmp_path / "_config.yml").write_text(
        f"repository:\n  url: {colab.PLACEHOLDER_REPOSITORY}\n")
    with pytest.raises(ValueError, match="placeholder"):
        colab.check_repository(tmp_path)
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/a/b\n")
    assert colab.check_repository(tmp_path, "https://github.com/a/b") == "https://github.com/a/b"
    with pytest.raises(ValueError, match="runs in"):
        colab.check_repository(tmp_path, "https://github.com/c/d")


# --------------------------------------------------------------- progress and widget state
def test_widget_state_and_views_are_stripped_static_figures_kept():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {execute.WIDGET_STATE: {"state": {"x": 1}}}
    view = {execute.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "interactive(...)"}
    figure = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    notebook.cells.append(nbformat.v4.new_code_cell("explorer()", outputs=[
        nbformat.v4.new_output("display_data", data=view),
        nbformat.v4.new_output("display_data", data={**figure, execute.WIDGET_VIEW: {}}),
        nbformat.v4.new_output("display_data", data=figure),
    ]))
    assert execute.strip_widget_state(notebook) == 2
    text = json.dumps(notebook)
    assert "widget-state" not in text and "widget-view" not in text
    outputs = notebook.cells[0].outputs
    assert [sorted(o.data) for o in outputs] == [["image/png"], ["image/png", "text/plain"]]


def test_progress_is_one_log_line_per_cell_off_a_terminal():
    from tqdm import tqdm

    log = io.StringIO()
    with tqdm(total=3, **execute.progress_options("02_x", log)) as bar:
        for _ in range(3):
            bar.update(1)
    lines = [line for line in log.getvalue().splitlines() if line]
    assert "\r" not in log.getvalue()
    assert lines[-1].startswith("02_x: 3/3 cells [")
    assert len(lines) >= 3  # one per finished cell (plus the opening line)


# -------------------------------------------------------------------------- smoke profile
def test_smoke_profile_is_full_with_sizes_cut():
    from howbig.profiles import PROFILES, SMOKE_OVERRIDES

    assert set(PROFILES["smoke"]) == set(PROFILES["full"])
    for chapter, block in PROFILES["full"].items():
        assert set(PROFILES["smoke"][chapter]) == set(block), chapter
        unknown = set(SMOKE_OVERRIDES.get(chapter, {})) - set(block)
        assert not unknown, f"SMOKE_OVERRIDES[{chapter!r}] names keys full lacks: {unknown}"


def test_smoke_runs_the_full_profiles_loaders_on_honestly_labelled_fixtures():
    from howbig.profile_data import SOURCES
    from howbig.profiles import data_sources

    for chapter in SOURCES["full"]:
        full, smoke_ = data_sources(chapter, "full"), data_sources(chapter, "smoke")
        # the same code path: every role with the same loaders, in the same order
        assert [(s.role, s.loader) for s in smoke_] == [(s.role, s.loader) for s in full]
        for real, used in zip(full, smoke_, strict=True):
            if used.fixture:  # a fixture is named as what it is, never as the real database
                assert "fixture" in used.label and "fixture" in used.short, used
                assert used.label != real.label and used.stand_in and not used.datasets
            else:
                assert used == real, chapter
    # the AFLUX fixture is MP-20 structures: its label says so (issue 19)
    aflux = [s for s in data_sources("transferability", "smoke") if "AFLUX" in s.label]
    assert aflux and all("MP-20" in s.label and "AFLOW" not in s.short for s in aflux)


def test_fixture_server_feeds_the_real_loaders(tmp_path, monkeypatch):
    from howbig.data.fetch import fetch_file
    from howbig.data.sources.aflow import fetch_aflux
    from howbig.data.sources.mp2018 import read_mp2018_records
    from howbig.data.sources.nomad import query_archive

    fixtures = FIXTURES
    with smoke.FixtureServer(fixtures, tmp_path / "smoke") as server:
        env = server.environment
        assert all("127.0.0.1" in env[k] for k in
                   ("HOWBIG_MIRROR", "HOWBIG_AFLUX_URL", "HOWBIG_NOMAD_URL"))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        records = read_mp2018_records(fetch_file("mp.2018.6.1.json.zip"))
        assert len(records) == len(json.loads((fixtures / "mp2018_records.json").read_text()))
        entries = fetch_aflux(env["HOWBIG_AFLUX_URL"], page_size=2, progress=False,
                              cache=tmp_path / "aflux", retries=0)
        assert len(entries) == len(json.loads((fixtures / "aflux_entries.json").read_text()))
        archive = query_archive(base_url=env["HOWBIG_NOMAD_URL"], use_cache=False, page_size=2)
        assert len(archive) == len(
            json.loads((fixtures / "nomad_hbn_archive.json").read_text())["entries"])
    assert Path(env["HOWBIG_DATA_DIR"]).is_relative_to(tmp_path)


def test_stand_in_check_finds_names_in_pages_not_in_scripts(tmp_path):
    site = tmp_path / "html"
    (site / "notebooks").mkdir(parents=True)
    (site / "notebooks" / "02_x.html").write_text(
        "<p>Trained on the MP-20 sample.</p><script>var CMR = 1;</script>")
    (site / "notebooks" / "03_y.html").write_text("<p>MP-2018 and AFLOW; CMRX is no name</p>")
    (site / "references.html").write_text("<p>CMR</p>")  # bibliography: not checked
    names = {"mp20": ("MP-20",), "cmr": ("CMR",)}
    assert smoke.stand_in_mentions(site, names) == [("notebooks/02_x.html", "MP-20")]


def test_heartbeat_lines_while_a_long_cell_runs():
    log = io.StringIO()
    with execute.heartbeat("02_x", 0.05, log):
        time.sleep(0.18)
    lines = log.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("02_x: still running (00:00") for line in lines)
    with execute.heartbeat("02_x", None, log):  # off: nothing more
        time.sleep(0.06)
    assert log.getvalue().splitlines() == lines


def test_status_table_sets_expected_minutes_beside_the_run(tmp_path):
    from howbig.book.status import runs_table
    from howbig.profiles import EXPECTED_MINUTES

    status = tmp_path / "status.json"
    status.write_text(json.dumps({"profile": "quick", "runs": {
        "notebooks/06_infrastructure": {"profile": "quick", "status": "ok", "seconds": 90.0},
        "book/reproducibility": {"profile": "quick", "status": "ok", "seconds": 3.0}}}))
    table = runs_table(status).set_index("notebook")
    expected = EXPECTED_MINUTES["infrastructure"]["quick"]
    assert table.loc["notebooks/06_infrastructure", "expected minutes"] == f"{expected:g}"
    assert table.loc["book/reproducibility", "expected minutes"] == "-"


def test_smoke_fixtures_share_keys_across_the_two_databases(tmp_path, monkeypatch):
    """The smoke MP-2018 and AFLUX fixtures parse with the real loaders and overlap by key."""
    from howbig.data.sources.aflow import aflux_entries_to_table
    from howbig.data.sources.mp2018 import _build

    files = smoke.smoke_fixtures(FIXTURES)
    assert files["mp2018"].parent.name == "smoke" and files["aflux"].parent.name == "smoke"
    monkeypatch.setenv("HOWBIG_DATA_DIR", str(tmp_path))
    aflow = aflux_entries_to_table(json.loads(files["aflux"].read_text()))
    mp = _build(files["mp2018"], 0.1, None, False, 1)
    assert len(mp) >= 40 and len(aflow) >= 40
    assert len(set(mp["key"]) & set(aflow["key"])) >= 5


# ------------------------------------------------------------------ Sphinx: citations, buttons
def test_author_year_labels_are_unique_and_match_the_colab_links():
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    from howbig.book.sphinx_ext import AuthorYearLabels

    bib = ROOT / "book" / "references.bib"
    entries = find_plugin("pybtex.style.sorting", "author_year_title")().sort(
        list(parse_file(str(bib)).entries.values()))
    labels = list(AuthorYearLabels().format_labels(entries))
    assert len(set(labels)) == len(labels)
    by_key = dict(zip([e.key for e in entries], labels, strict=True))
    assert by_key["speckhard2025"] == "Speckhard et al., 2025"
    links = colab.citation_links(bib)
    assert all(links[key].startswith(f"[{label}]") or links[key] == label
               for key, label in by_key.items())


def test_launch_buttons_only_on_chapter_pages():
    from howbig.book.sphinx_ext import _only_chapters_launch

    def context():
        return {"header_buttons": [{"label": "launch-buttons"}, {"label": "download-buttons"}]}

    chapter, page = context(), context()
    _only_chapters_launch(None, "notebooks/02_transferability", "page.html", chapter, None)
    _only_chapters_launch(None, "book/reproducibility", "page.html", page, None)
    assert [b["label"] for b in chapter["header_buttons"]] == ["launch-buttons",
                                                                "download-buttons"]
    assert [b["label"] for b in page["header_buttons"]] == ["download-buttons"]
