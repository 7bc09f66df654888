"""CITATION.cff: the book, with the paper it rebuilds among its references."""

from __future__ import annotations

import tomllib

import yaml
from pybtex.database import parse_file

from tests.conftest import ROOT


def test_citation_file_names_the_book_and_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "type", "license"} <= cff.keys()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"]
    paper = parse_file(str(ROOT / "book" / "references.bib")).entries["speckhard2025"]
    reference = next(r for r in cff["references"] if r.get("doi") == paper.fields["doi"])
    assert reference["title"] == paper.fields["title"]
    assert [a["family-names"] for a in reference["authors"]] == [
        " ".join(p.last_names) for p in paper.persons["author"]]
    assert str(reference["year"]) == paper.fields["year"]
