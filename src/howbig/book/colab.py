"""Colab notebooks of the chapters: plain Markdown, the build's numbers, one repository setting.

A chapter's MyST source uses roles (``{glue:text}``, ``{cite}``, ``{ref}``, ``{numref}``,
``{eq}``, ...) and directives (```` ```{admonition} ````, ``:::{dropdown}``, ``{figure}``,
``{math}``, ...) that Colab shows as raw text. :func:`colab_notebook` rewrites every one of them:

* glued values become the values of the build the notebook comes from (read from the glue
  outputs of the executed notebook in ``<build dir>/stage``), and the page says which profile
  they were computed with; the parameters cell defaults to that same profile;
* citations become author-year links (from ``book/references.bib``);
* admonitions, dropdowns and other boxes become quoted blocks, math blocks ``$$ ... $$``;
* a first cell reports the accelerator JAX sees and the chapter's expected run time per profile
  (:data:`howbig.profiles.EXPECTED_MINUTES`); the install cell installs the library at the
  commit of the build, from the repository named once, by ``repository.url`` in ``_config.yml``.

Only chapters (``notebooks/``) are exported: the other pages mean nothing outside the book.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "PLACEHOLDER_REPOSITORY",
    "check_repository",
    "citation_links",
    "colab_notebook",
    "colab_notebooks",
    "glue_values",
    "myst_to_markdown",
    "repository_url",
]

#: The repository URL shipped in ``_config.yml`` until the project has its real home. The GPU
#: publishing workflow refuses to run while ``repository.url`` is this value.
PLACEHOLDER_REPOSITORY = "https://github.com/howbig-book/howbig"
GLUE_PREFIX = "application/papermill.record/"
ADMONITIONS = ("admonition", "note", "warning", "important", "tip", "caution", "attention",
               "danger", "error", "hint", "seealso", "dropdown", "topic", "sidebar", "margin")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<body>[^`]*)`")
_LABEL = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_EQ_LABEL = re.compile(r"(\$\$)\s*\([\w:.-]+\)\s*$")


# ---------------------------------------------------------------------------------- settings
def repository_url(root: Path) -> str:
    """``repository.url`` of ``_config.yml``: the one place that names the repository."""
    config = yaml.safe_load((Path(root) / "_config.yml").read_text())
    url = (config.get("repository") or {}).get("url", "")
    if not url:
        raise ValueError(f"{root}/_config.yml sets no repository.url")
    return str(url).rstrip("/")


def check_repository(root: Path, expected: str | None = None) -> str:
    """Refuse to publish with the placeholder repository (or another one than ``expected``).

    Raises
    ------
    ValueError
        With a message saying which setting to change.
    """
    url = repository_url(root)
    if url.rstrip("/") == PLACEHOLDER_REPOSITORY:
        raise ValueError(
            f"repository.url in _config.yml is still the placeholder {url}; set it to the "
            "repository the book is published from (launch buttons and the Colab install cell "
            "derive from it)"
        )
    if expected and url.rstrip("/").lower() != expected.rstrip("/").lower():
        raise ValueError(f"repository.url in _config.yml is {url}, but this runs in {expected}")
    return url


def build_commit(root: Path) -> str:
    """The commit the build comes from (``GITHUB_SHA`` on CI, else ``git rev-parse HEAD``)."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "main"


# ------------------------------------------------------------------------ glue and citations
def glue_values(executed: Path) -> dict[str, str]:
    """``key -> text/plain`` of every glued value in an executed notebook."""
    import nbformat

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
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    from howbig.book.sphinx_ext import AuthorYearLabels

    entries = find_plugin("pybtex.style.sorting", "author_year_title")().sort(
        list(parse_file(str(bib)).entries.values()))
    links = {}
    for entry, text in zip(entries, AuthorYearLabels().format_labels(entries), strict=True):
        doi, url = entry.fields.get("doi"), entry.fields.get("url")
        target = f"https://doi.org/{doi}" if doi else url
        links[entry.key] = f"[{text}]({target})" if target else text
    return links


# ---------------------------------------------------------------------- MyST -> Markdown
def _role(name: str, body: str, glue: dict[str, str], cites: dict[str, str]) -> str:
    if name.startswith("glue"):
        key, _, spec = body.partition(":")
        if "::" in body:  # another document's value: path::key:spec
            key, _, spec = body.split("::", 1)[1].partition(":")
        if key in glue:
            return _format_glue(glue[key], spec)
        return "*(computed when the notebook runs)*"
    if name.startswith("cite"):
        keys = [k.strip() for k in body.split(",") if k.strip()]
        text = "; ".join(cites.get(k, k) for k in keys)
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


def _roles(line: str, glue: dict[str, str], cites: dict[str, str]) -> str:
    return _ROLE.sub(lambda m: _role(m.group("name"), m.group("body"), glue, cites), line)


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


def _directive(name: str, arg: str, body: list[str], glue: dict[str, str],
               cites: dict[str, str]) -> list[str]:
    options, body = _directive_body(body)
    inner = _convert(body, glue, cites)
    arg = _roles(arg.strip(), glue, cites)
    if name in ADMONITIONS:
        title = arg or name.capitalize()
        return _quote([f"**{title}**", "", *inner])
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


def _convert(lines: list[str], glue: dict[str, str], cites: dict[str, str]) -> list[str]:
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
            out += _directive(match.group("name"), match.group("arg"), lines[i + 1:end], glue,
                              cites)
            i = end + 1
            continue
        if _LABEL.match(line):
            i += 1
            continue
        out.append(_EQ_LABEL.sub(r"\1", _roles(line, glue, cites)))
        i += 1
    return out


def myst_to_markdown(text: str, glue: dict[str, str], cites: dict[str, str]) -> str:
    """Plain Markdown of one MyST markdown cell: no role, no directive left."""
    return "\n".join(_convert(text.split("\n"), glue, cites))


# ------------------------------------------------------------------------------- notebooks
def _is_install_cell(source: str) -> bool:
    return "google.colab" in source and "pip install" in source


def _install_cell(repository: str, commit: str, extras: str) -> str:
    return (
        "# Colab: install the book's library at the commit this notebook was built from.\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "howbig{extras} @ git+{repository}@{commit}"\n'
    )


def _runtime_cell(chapter: str, minutes: dict[str, float]) -> str:
    return (
        "# The accelerator JAX sees, and how long this chapter takes (expected minutes).\n"
        "import jax\n\n"
        f"EXPECTED_MINUTES = {minutes!r}  # per profile, from howbig.profiles\n"
        'print("JAX backend:", jax.default_backend(), "-", jax.devices())\n'
        "for name, minutes in EXPECTED_MINUTES.items():\n"
        f'    print(f"{chapter}: profile {{name!r}}: about {{minutes:g}} min")\n'
        'if jax.default_backend() == "cpu":\n'
        '    print("No GPU: use the quick profile, or Runtime > Change runtime type > GPU.")\n'
    )


def colab_notebook(root: Path, doc: str, *, executed: Path | None = None,
                   profile: str = "quick", commit: str | None = None) -> Any:
    """The Colab notebook (nbformat) of one chapter ``doc`` (e.g. ``notebooks/06_x``)."""
    import jupytext
    import nbformat

    from howbig.profiles import EXPECTED_MINUTES

    root = Path(root)
    notebook = jupytext.read(root / f"{doc}.md")
    glue = glue_values(executed) if executed and Path(executed).is_file() else {}
    bib = root / "book" / "references.bib"
    cites = citation_links(bib) if bib.is_file() else {}
    repository = repository_url(root)
    commit = commit or build_commit(root)
    chapter = re.sub(r"^\d+_", "", Path(doc).name)
    extras = "[chemistry]"
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = myst_to_markdown(cell.source, glue, cites)
        elif _is_install_cell(cell.source):
            found = re.search(r"howbig(\[[^\]]*\])", cell.source)
            extras = found.group(1) if found else extras
            cell.source = ""  # replaced by the generated install cell below
        elif "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(
                r"^profile\s*=.*$",
                f'profile = "{profile}"  # the text was computed with this profile; '
                '"quick" | "full" | "smoke"',
                cell.source, flags=re.M)
    notebook.cells = [c for c in notebook.cells if c.source.strip()]
    note = (f"*This notebook comes from the book's `{profile}` build at commit `{commit[:12]}`: "
            f"the numbers in the text are that build's. Running it recomputes them.*")
    head = [
        nbformat.v4.new_markdown_cell(note),
        nbformat.v4.new_code_cell(_runtime_cell(chapter, EXPECTED_MINUTES.get(chapter, {}))),
        nbformat.v4.new_code_cell(_install_cell(repository, commit, extras)),
    ]
    title = 1 if notebook.cells and notebook.cells[0].source.lstrip().startswith("#") else 0
    notebook.cells[title:title] = head
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["accelerator"] = "GPU"
    notebook.metadata["colab"] = {"provenance": [], "gpuType": "T4"}
    return notebook


def colab_notebooks(root: Path, out: Path, *, build_dir: Path | None = None,
                    profile: str | None = None, commit: str | None = None) -> list[Path]:
    """Write the Colab notebook of every chapter under ``out`` (same relative paths).

    Glued values come from ``<build_dir>/stage`` (default ``<root>/_build``); the profile from
    that build's ``status.json`` unless given.
    """
    import json

    import nbformat

    from howbig.book.pipeline import is_notebook_source, source_order

    root = Path(root)
    build_dir = Path(build_dir) if build_dir else root / "_build"
    if profile is None:
        status = build_dir / "status.json"
        profile = json.loads(status.read_text()).get("profile", "quick") if status.is_file() \
            else "quick"
    written = []
    for doc in source_order(root):
        source = root / f"{doc}.md"
        if not doc.startswith("notebooks/") or not is_notebook_source(source):
            continue
        notebook = colab_notebook(root, doc, executed=build_dir / "stage" / f"{doc}.ipynb",
                                  profile=profile, commit=commit)
        target = Path(out) / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        written.append(target)
    return written
