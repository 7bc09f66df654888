"""Every notebook source parses, has one parameters cell with a profile, and is in the toc."""

from __future__ import annotations

import re

import jupytext
import pytest
import yaml

from howbig.book import colab
from howbig.book.pipeline import LAST, is_notebook_source, source_order
from howbig.profiles import PROFILES
from tests.conftest import ROOT

SOURCES = sorted(p for p in [*ROOT.glob("notebooks/*.md"), *ROOT.glob("book/*.md")]
                 if is_notebook_source(p))
CHAPTERS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.md"))
INCLUDE = "```{include} ../book/_include/about_this_run.md"


def test_there_are_notebooks():
    assert len(SOURCES) >= 4


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_notebook_parses_and_has_one_parameters_cell(path):
    notebook = jupytext.read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{path.name}: expected exactly one parameters cell"
    assert re.search(r'^profile\s*=\s*"(quick|full|smoke)"', params[0].source, re.M)
    # the book build injects where the records go; nothing else says "this is a book build"
    assert re.search(r"^results_dir\s*=\s*None\b", params[0].source, re.M)
    # Outputs are never committed: the sources are text.
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_notebook_installs_itself_or_names_the_repository(path):
    """The Colab export writes the install cell, from _config.yml's repository.url only."""
    text = path.read_text()
    assert "pip install" not in text and "google.colab" not in text
    assert colab.repository_url(ROOT) not in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_shows_the_fixture_banner_and_the_shared_text_near_its_top(path):
    notebook = jupytext.read(path)
    cells = notebook.cells
    params = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    banner = next(i for i, c in enumerate(cells) if "fixture_banner(profile" in c.source)
    assert params < banner <= params + 2, "the banner cell follows the parameters cell"
    assert {"remove-input", "book-only"} <= set(cells[banner].metadata["tags"])
    include = next(i for i, c in enumerate(cells) if c.cell_type == "markdown"
                   and INCLUDE in c.source)
    assert include <= banner + 2, "the shared 'running this page' text comes near the top"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_book_only_cells_are_hidden_in_the_book(path):
    for cell in jupytext.read(path).cells:
        tags = set(cell.metadata.get("tags", []))
        if "book-only" in tags:
            assert tags & {"remove-cell", "remove-input"}, cell.source[:80]


def test_toc_lists_existing_files_and_every_chapter():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    docs = source_order(ROOT)
    for doc in docs:
        assert (ROOT / f"{doc}.md").is_file(), f"_toc.yml lists missing {doc}"
    for chapter in CHAPTERS:
        assert f"notebooks/{chapter.stem}" in docs
    # The pages that read the chapters' records run last, in the pipeline's order.
    assert docs[-len(LAST):] == [d for d in LAST if d in docs]


def test_profiles_have_the_same_chapters_and_keys():
    quick, full = PROFILES["quick"], PROFILES["full"]
    assert quick.keys() == full.keys()
    for chapter in quick:
        assert quick[chapter].keys() == full[chapter].keys(), chapter


def test_config_renders_with_warnings_as_errors_friendly_settings():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"  # papermill executes, not Sphinx
    assert config["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert "book/references.bib" in config["bibtex_bibfiles"]
