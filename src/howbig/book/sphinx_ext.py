"""Sphinx extension of the book (``sphinx.extra_extensions`` in ``_config.yml``).

* **One citation style.** Bibliography labels are author-year ("Speckhard et al., 2025"; "2022a",
  "2022b" where one author-year pair repeats) and citations in the text show the same label
  (``bibtex_reference_style: label``), so the text and the bibliography read alike.
* **Launch buttons on chapters only.** sphinx-book-theme adds them to every executed page; the
  reproducibility, status and other book pages mean nothing on Colab, so their buttons go.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle

__all__ = ["AuthorYearLabels", "AuthorYearStyle", "author_year", "setup"]

STYLE = "howbig_author_year"
CHAPTER_PREFIX = "notebooks/"


def author_year(entry: Any) -> str:
    """``"Speckhard et al., 2025"`` for a pybtex entry (``"A and B, 2019"`` for two authors)."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [re.sub(r"[{}\\]", "", " ".join(p.last_names)) for p in people]
    if len(names) >= 3:
        who = f"{names[0]} et al."
    elif names:
        who = " and ".join(names)
    else:
        who = re.sub(r"[{}\\]", "", entry.fields.get("title", entry.key))[:40]
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """pybtex labels "Author et al., year", with a, b, ... where a label would repeat."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year(e) for e in entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style (sorted by author, year, title) with author-year labels."""

    default_label_style = STYLE


def _only_chapters_launch(app: Any, pagename: str, templatename: str, context: dict,
                          doctree: Any) -> None:
    if pagename.startswith(CHAPTER_PREFIX):
        return
    buttons = context.get("header_buttons")
    if buttons:
        context["header_buttons"] = [b for b in buttons if b.get("label") != "launch-buttons"]


def setup(app: Any) -> dict[str, Any]:
    """Register the author-year bibliography style and the launch-button filter."""
    register_plugin("pybtex.style.labels", STYLE, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", STYLE, AuthorYearStyle)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _only_chapters_launch, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
