"""The build pipeline: jupytext + papermill execution, hidden injected parameters, failures."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from howbig.book import execute, myst_markdown, smoke
from howbig.book import pipeline as book
from howbig.book.pipeline import execute_notebook, is_notebook_source
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
    expected = EXPECTED_MINUTES["06_infrastructure"]["quick"]
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
    links = myst_markdown.citation_links(bib)
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
