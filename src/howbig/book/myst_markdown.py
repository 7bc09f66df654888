"""MyST Markdown -> plain Markdown for Colab: the build's glued values, author-year links.

A chapter's MyST source uses roles (``{glue:text}``, ``{cite}``, ``{ref}``, ``{numref}``,
``{eq}``, ...) and directives (```` ```{admonition} ````, ``:::{dropdown}``, ``{figure}``,
``{math}``, ``{include}``, ...) that Colab shows as raw text. :func:`myst_to_markdown` rewrites
every one of them:

* glued values become the values of an executed build (:func:`glue_values`);
* citations become author-year links (:func:`citation_links`, from ``book/references.bib``);
* dropdowns (solutions, optional details) become collapsed ``<details>`` blocks; admonitions and
  other boxes become quoted blocks with a bold title; math blocks become ``$$ ... $$``;
* an ``{include}`` is replaced by the included file, converted the same way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["GLUE_PREFIX", "citation_links", "glue_values", "myst_to_markdown"]

GLUE_PREFIX = "application/papermill.record/"
#: Directives shown as a collapsed ``<details>`` block on Colab.
COLLAPSED = ("dropdown",)
ADMONITIONS = ("admonition", "note", "warning", "important", "tip", "caution", "attention",
               "danger", "error", "hint", "seealso", "topic", "sidebar", "margin")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<body>[^`]*)`")
_LABEL = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_EQ_LABEL = re.compile(r"(\$\$)\s*\([\w:.-]+\)\s*$")
MISSING = "*(computed when the notebook runs)*"


@dataclass
class _Context:
    glue: dict[str, str]
    cites: dict[str, str]
    base: Path | None = None  # folder of the document: where ``{include}`` paths start
    seen: set[Path] = field(default_factory=set)  # includes being expanded (no cycles)


# ------------------------------------------------------------------------ glue and citations
def glue_values(executed: Path) -> dict[str, str]:
    """``key -> text/plain`` of every glued value in an executed notebook."""
    import nbformat  # deferred: ~0.1 s; only reading an executed notebook needs it

    values = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            data = output.get("data", {})
            text = data.get(scrap.get("mime_prefix", "") + "text/plain")
            if text is None:
                text = data.get(GLUE_PREFIX + "text/plain", data.get("text/plain"))
            if text is not None:
                values[scrap["name"]] = "".join(text) if isinstance(text, list) else text
    return values


def _format_glue(text: str, spec: str) -> str:
    """As myst-nb's ``{glue:text}``: literal value, formatted by ``spec``."""
    try:
        value: Any = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    try:
        if kind == "s":
            value = str(value)
        elif kind in "bcdoxX":
            value = int(value)
        elif kind in "eEfFgGn%":
            value = float(value)
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def citation_links(bib: Path) -> dict[str, str]:
    """``key -> [Author et al., year](https://doi.org/...)``: the book's bibliography labels."""
    from pybtex.database import parse_file  # deferred: pybtex comes with the book extra only
    from pybtex.plugin import find_plugin  # deferred: as above

    from howbig.book.sphinx_ext import AuthorYearLabels  # deferred: imports pybtex

    entries = find_plugin("pybtex.style.sorting", "author_year_title")().sort(
        list(parse_file(str(bib)).entries.values()))
    links = {}
    for entry, text in zip(entries, AuthorYearLabels().format_labels(entries), strict=True):
        doi, url = entry.fields.get("doi"), entry.fields.get("url")
        target = f"https://doi.org/{doi}" if doi else url
        links[entry.key] = f"[{text}]({target})" if target else text
    return links


# ---------------------------------------------------------------------- MyST -> Markdown
def _role(name: str, body: str, ctx: _Context) -> str:
    if name.startswith("glue"):
        key, _, spec = body.partition(":")
        if "::" in body:  # another document's value: path::key:spec
            key, _, spec = body.split("::", 1)[1].partition(":")
        return _format_glue(ctx.glue[key], spec) if key in ctx.glue else MISSING
    if name.startswith("cite"):
        keys = [k.strip() for k in body.split(",") if k.strip()]
        text = "; ".join(ctx.cites.get(k, k) for k in keys)
        return text if name in ("cite:t", "cite:ts") else f"({text})"
    if name in ("math",):
        return f"${body}$"
    if name in ("sub", "sup"):
        return f"<{name}>{body}</{name}>"
    if name == "eq":
        return f"({body})"
    explicit = re.match(r"^(?P<text>.+?)\s*<(?P<target>[^>]+)>$", body)
    if explicit:  # {ref}`text <label>`, {doc}`text <path>`
        return explicit.group("text")
    if name in ("ref", "numref", "doc", "term", "download", "any"):
        return body.split("/")[-1].replace("-", " ").replace("_", " ")
    return body


def _roles(line: str, ctx: _Context) -> str:
    return _ROLE.sub(lambda m: _role(m.group("name"), m.group("body"), ctx), line)


def _directive_body(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Options (``:key: value`` lines or a ``---`` YAML block) and the remaining body."""
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        if end:
            loaded = yaml.safe_load("\n".join(lines[1:end])) or {}
            options = {str(k): str(v) for k, v in loaded.items()}
            lines = lines[end + 1:]
    while lines and re.match(r"^\s*:[\w-]+:", lines[0]):
        key, _, value = lines.pop(0).strip()[1:].partition(":")
        options[key] = value.strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    return options, lines


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}".rstrip() for line in lines]


def _include(arg: str, ctx: _Context) -> list[str]:
    """The included file, converted; nothing where it cannot be found."""
    if ctx.base is None:
        return []
    path = (ctx.base / arg.strip()).resolve()
    if not path.is_file() or path in ctx.seen:
        return []
    inner = _Context(ctx.glue, ctx.cites, path.parent, ctx.seen | {path})
    return _convert(path.read_text(encoding="utf-8").split("\n"), inner)


def _directive(name: str, arg: str, body: list[str], ctx: _Context) -> list[str]:
    if name == "include":
        return _include(arg, ctx)
    options, body = _directive_body(body)
    inner = _convert(body, ctx)
    arg = _roles(arg.strip(), ctx)
    if name in COLLAPSED:
        return ["<details>", f"<summary>{arg or 'Details'}</summary>", "", *inner, "",
                "</details>"]
    if name in ADMONITIONS:
        return _quote([f"**{arg or name.capitalize()}**", "", *inner])
    if name == "math":
        return ["$$", *inner, "$$"]
    if name in ("figure", "image"):
        caption = " ".join(line.strip() for line in inner) or options.get("alt", "")
        return [f"![{caption}]({arg})", "", caption] if caption else [f"![]({arg})"]
    if name in ("code-block", "code", "sourcecode"):
        return [f"```{arg}", *body, "```"]
    if name in ("bibliography", "toctree", "tableofcontents", "contents"):
        return []
    if name.startswith("glue"):
        return ["*(figure or table computed when the notebook runs)*"]
    return inner


def _convert(lines: list[str], ctx: _Context) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _FENCE.match(line)
        if match:
            fence = match.group("fence")
            closing = re.compile(rf"^\s*{re.escape(fence)}\s*$")
            end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])),
                       len(lines))
            out += _directive(match.group("name"), match.group("arg"), lines[i + 1:end], ctx)
            i = end + 1
            continue
        if _LABEL.match(line):
            i += 1
            continue
        out.append(_EQ_LABEL.sub(r"\1", _roles(line, ctx)))
        i += 1
    return out


def myst_to_markdown(text: str, glue: dict[str, str], cites: dict[str, str],
                     base: Path | None = None) -> str:
    """Plain Markdown of one MyST markdown cell: no role, no directive left.

    Parameters
    ----------
    text
        The cell's MyST source.
    glue
        ``key -> text/plain`` of the glued values (:func:`glue_values`).
    cites
        ``bibkey -> Markdown link`` (:func:`citation_links`).
    base
        Folder of the source document: ``{include}`` paths are relative to it (without it an
        include is dropped).
    """
    return "\n".join(_convert(text.split("\n"), _Context(glue, cites, base)))
