"""Checks of a rendered site (``howbig book check-pages``): what a reader must never see.

* **warnings**: a Python warning in a cell's output (``RuntimeWarning: invalid value ...``), or
  the name of a warning class anywhere on a page;
* **build paths**: an absolute path of the build machine (``/home/...``, ``/work/...``,
  ``.venv/lib/...``, ``site-packages``), which a warning or a repr leaks with it;
* **the fixture banner** (``--smoke``): every chapter page of a smoke build shows the banner of
  :func:`howbig.book.page.fixture_banner`;
* **alt text** (``--require-alt``): every figure in a page's content has alt text that says
  something (docutils writes the image's file name where none was given).

Each check reads the page's main content (``<article>``) without scripts and styles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup

from howbig.book.page import BANNER_CLASS, BANNER_MARK

__all__ = ["SKIPPED_PAGES", "banner_missing", "build_paths", "check_site", "figures_without_alt",
           "pages", "warning_text"]

#: Generated pages that show no content of the book.
SKIPPED_PAGES = ("genindex.html", "search.html")
CHAPTER_FOLDER = "notebooks"
_OUTPUT_WARNING = re.compile(r"\b\w*Warning\b")
_WARNING_CLASS = re.compile(r"\b(?:[A-Z][a-z]+)+Warning\b|\bwarnings\.warn\b")
#: Absolute paths of a build machine (not preceded by a URL's host or another path).
_BUILD_PATH = re.compile(
    r"(?<![\w.:/~-])(?:/(?:work|home|Users|root|tmp|private|opt|srv|mnt|var/folders|usr/lib|"
    r"usr/local/lib)/[\w.~+-]+|[A-Za-z]:\\(?:Users|work)\\)"
    r"|\.venv[/\\]lib[/\\]|(?:site|dist)-packages[/\\]")


def pages(site: Path) -> Iterator[tuple[str, BeautifulSoup]]:
    """``(relative path, main content)`` of every page of a rendered site."""
    site = Path(site)
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        if relative.startswith(("_", ".")) or path.name in SKIPPED_PAGES:
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
        main = soup.find("article") or soup.body or soup
        for tag in main.find_all(["script", "style"]):
            tag.decompose()
        yield relative, main


def _excerpt(text: str, match: re.Match) -> str:
    start, end = max(match.start() - 60, 0), match.end() + 60
    return " ".join(text[start:end].split())


def warning_text(main: BeautifulSoup) -> list[str]:
    """Excerpts around warnings: any "...Warning" in a cell output, warning classes anywhere."""
    found = []
    for output in main.select(".cell_output, .output"):
        text = output.get_text(" ")
        found += [_excerpt(text, m) for m in _OUTPUT_WARNING.finditer(text)]
    text = main.get_text(" ")
    found += [_excerpt(text, m) for m in _WARNING_CLASS.finditer(text)]
    return list(dict.fromkeys(found))


def build_paths(main: BeautifulSoup, extra: tuple[str, ...] = ()) -> list[str]:
    """Excerpts around absolute build-machine paths in a page's text (links not counted)."""
    text = main.get_text(" ")
    found = [_excerpt(text, m) for m in _BUILD_PATH.finditer(text)]
    for path in extra:
        found += [_excerpt(text, m) for m in re.finditer(re.escape(path), text)]
    return list(dict.fromkeys(found))


def banner_missing(main: BeautifulSoup) -> bool:
    """True when the page shows no fixture banner (its class and its words)."""
    return not any(BANNER_MARK in " ".join(box.get_text(" ").split())
                   for box in main.select(f".{BANNER_CLASS}"))


def figures_without_alt(main: BeautifulSoup) -> list[str]:
    """``src`` of every image whose alt text is missing, empty or only its file name."""
    missing = []
    for image in main.find_all("img"):
        src, alt = image.get("src", ""), (image.get("alt") or "").strip()
        if not alt or alt == src or Path(alt).name == Path(src).name:
            missing.append(src)
    return missing


def check_site(site: Path, *, smoke: bool = False, require_alt: bool = False,
               extra_paths: tuple[str, ...] = ()) -> list[str]:
    """Every problem of a rendered site, one line each (``page: what: excerpt``).

    Parameters
    ----------
    site
        The rendered site (``_build/html``).
    smoke
        A smoke build: every chapter page (under ``notebooks/``) must show the fixture banner.
    require_alt
        Also report figures without alt text.
    extra_paths
        Further paths that must not appear (the build's own folders).
    """
    site = Path(site)
    if not (site / "index.html").is_file():
        return [f"{site}: no rendered site here (no index.html)"]
    problems = []
    for page, main in pages(site):
        problems += [f"{page}: warning: {text}" for text in warning_text(main)]
        problems += [f"{page}: build path: {text}" for text in build_paths(main, extra_paths)]
        if smoke and page.startswith(f"{CHAPTER_FOLDER}/") and banner_missing(main):
            problems.append(f"{page}: no fixture banner (howbig.book.page.fixture_banner) on "
                            "a chapter page of a smoke build")
        if require_alt:
            problems += [f"{page}: figure without alt text: {src}"
                         for src in figures_without_alt(main)]
    return problems
