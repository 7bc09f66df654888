"""Colab notebooks of the chapters (``howbig book colab``): a notebook, not the book's machinery.

:func:`colab_notebook` turns a chapter's MyST source into a notebook that reads like one:

* **book-only cells dropped**: cells tagged ``book-only`` (recording, the fixture banner, build
  timing, checks of the prose) exist for the book's build only. The export drops them, and
  refuses (:func:`book_only_leaks`) when a kept cell uses a name that only a dropped cell defines;
* **the install cell first**, before anything imports jax: it installs the library at the
  commit of the build, from the repository named once, by ``repository.url`` in ``_config.yml``
  (the source notebooks carry no install cell); off Colab it installs nothing;
* then one cell that reports the accelerator JAX sees and prints the run time once: expected
  per profile (:func:`howbig.profiles.expected_minutes`) and measured in the build;
* **the parameters cell** offers ``quick`` and ``full`` only (a Colab form); ``results_dir``, set
  by the book's build, is not in it (the setup cell sets it to ``None`` where a kept cell reads
  it);
* **solutions collapsed**: a code cell the book hides (``hide-cell``/``hide-input``) becomes a
  Colab form cell (``#@title Solution``, ``cellView: form``); a ``{dropdown}`` becomes
  ``<details>``;
* **the text's numbers** are the executed build's glued values (:mod:`howbig.book.myst_markdown`),
  and a note at the top says so, with the build's profile and commit.

:func:`colab_notebooks` (the command) exports every chapter, and refuses without an executed
build of the same commit and sources (:func:`executed_build`): the text would have no numbers.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from howbig.book.myst_markdown import citation_links, glue_values, myst_to_markdown
from howbig.profiles import expected_minutes

__all__ = [
    "BOOK_ONLY",
    "COLAB_PROFILES",
    "PLACEHOLDER_REPOSITORY",
    "BuildMissingError",
    "book_only_leaks",
    "build_commit",
    "check_repository",
    "colab_notebook",
    "colab_notebooks",
    "executed_build",
    "placeholder_warning",
    "repository_url",
    "source_digest",
]

#: The repository URL shipped in ``_config.yml`` until the project has its real home. The GPU
#: publishing workflow refuses to run while ``repository.url`` is this value.
PLACEHOLDER_REPOSITORY = "https://github.com/howbig-book/howbig"
#: Tag of the cells only the book's build needs; the Colab export drops them.
BOOK_ONLY = "book-only"
#: Profiles a Colab notebook offers (``smoke`` needs the build's fixture server).
COLAB_PROFILES = ("quick", "full")
#: Extras of the Colab install: every chapter's dependencies.
EXTRAS = "[chemistry]"
HIDDEN_CODE = ("hide-cell", "hide-input")


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


def placeholder_warning(root: Path) -> str | None:
    """The warning ``book build`` and ``book colab`` print while the URL is the placeholder."""
    if repository_url(root) != PLACEHOLDER_REPOSITORY:
        return None
    return (f"warning: repository.url in _config.yml is the placeholder {PLACEHOLDER_REPOSITORY}"
            ": the site's launch buttons and the Colab install cell point at it. Set it to the "
            "repository the book is published from.")


def build_commit(root: Path) -> str:
    """The commit the build comes from (``GITHUB_SHA`` on CI, else ``git rev-parse HEAD``)."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "main"


def source_digest(path: Path) -> str:
    """sha256 of a notebook source: the build records it beside each run."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------------------- the build behind
class BuildMissingError(RuntimeError):
    """No executed build matches this checkout; the message says what to run."""


def executed_build(root: Path, build_dir: Path, docs: list[str], commit: str) -> dict:
    """``status.json`` of the build in ``build_dir``, checked against this checkout.

    Every chapter of ``docs`` must have run without error, at ``commit``, from the source as it
    is now, and its executed notebook must be in ``<build_dir>/stage``.

    Raises
    ------
    BuildMissingError
        Saying which chapters lack such a run, and the command that makes them.
    """
    root, build_dir = Path(root), Path(build_dir)
    option = "" if build_dir.resolve() == (root / "_build").resolve() else \
        f" --build-dir {build_dir}"
    hint = (f"run `howbig book build --profile quick{option}` (or --profile full) first: the "
            "Colab text takes its numbers from an executed build of this commit")
    status_path = build_dir / "status.json"
    if not status_path.is_file():
        raise BuildMissingError(f"no executed build in {build_dir} (no status.json); {hint}")
    status = json.loads(status_path.read_text())
    if status.get("profile") not in COLAB_PROFILES:
        raise BuildMissingError(f"the build in {build_dir} ran the {status.get('profile')!r} "
                                f"profile, whose numbers are not results; {hint}")
    problems = []
    for doc in docs:
        run = status.get("runs", {}).get(doc)
        if run is None or not (build_dir / "stage" / f"{doc}.ipynb").is_file():
            problems.append(f"{doc} was not executed")
        elif run.get("status") != "ok":
            problems.append(f"{doc} failed")
        elif run.get("commit") != commit:
            problems.append(f"{doc} ran at commit {str(run.get('commit'))[:12]}, this checkout "
                            f"is {commit[:12]}")
        elif run.get("source_sha256") != source_digest(root / f"{doc}.md"):
            problems.append(f"{doc}.md changed since it ran")
    if problems:
        raise BuildMissingError(f"no Colab export: {'; '.join(problems)}; {hint}")
    return status


# ------------------------------------------------------------------------ book-only cells
def _code(source: str) -> str:
    """Python of a cell: IPython magics and shell lines become ``pass``."""
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.split("\n"))


def _bound(tree: ast.Module) -> set[str]:
    """Names a cell binds at module level (not inside its functions and classes)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp
                      | ast.GeneratorExp):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _stored(nodes: list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _used(tree: ast.Module) -> set[str]:
    """Names a cell reads from the notebook's globals (not its functions' own locals)."""
    used: set[str] = set()

    def scan(node: ast.AST, local: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                      args.vararg, args.kwarg] if a is not None}
            body = node.body if isinstance(node.body, list) else [node.body]
            outer = [*getattr(node, "decorator_list", []), *args.defaults,
                     *[d for d in args.kw_defaults if d is not None]]
            for child in outer:
                scan(child, local)
            inner = local | params | _stored(body)
            for child in body:
                scan(child, inner)
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            local = local | _stored([g.target for g in node.generators])
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            used.add(node.id)
        for child in ast.iter_child_nodes(node):
            scan(child, local)

    scan(tree, frozenset())
    return used


def book_only_leaks(kept: list[str], dropped: list[str]) -> dict[str, set[str]]:
    """Names a kept cell uses that only dropped code binds: ``{kept cell's first line: names}``.

    An empty result means the notebook without the dropped code runs like the book's.
    """
    kept_trees = [ast.parse(_code(c)) for c in kept]
    only_dropped = set().union(*(_bound(ast.parse(_code(c))) for c in dropped)) - set().union(
        *(_bound(t) for t in kept_trees))
    leaks = {}
    for source, tree in zip(kept, kept_trees, strict=True):
        names = _used(tree) & only_dropped
        if names:
            leaks[source.strip().split("\n")[0][:60]] = names
    return leaks


# ----------------------------------------------------------------------------- the cells
def _install_cell(repository: str, commit: str) -> str:
    return (
        "# Colab: install the book's library at the commit this notebook was built from.\n"
        "# Elsewhere nothing is installed: run it where howbig is installed (see the README).\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "howbig{EXTRAS} @ git+{repository}@{commit}"\n'
    )


def _runtime_cell(chapter: str, expected: dict[str, float], profile: str,
                  seconds: float | None) -> str:
    expected = {p: m for p, m in expected.items() if p in COLAB_PROFILES}
    took = "" if seconds is None else (f"{seconds:.0f} s" if seconds < 60 else
                                       f"{seconds / 60:.1f} min")
    measured = "" if seconds is None else (
        f'\nprint("The published build ({profile} profile) ran it in {took}.")')
    return (
        "# The accelerator JAX sees, and how long this chapter takes.\n"
        "import jax\n\n"
        f"EXPECTED_MINUTES = {expected!r}  # per profile, from howbig.profiles\n"
        'print("JAX backend:", jax.default_backend(), "-", jax.devices())\n'
        f'print("Expected run time of {chapter}:", ", ".join(\n'
        '    f"about {minutes:g} min ({name})" for name, minutes in EXPECTED_MINUTES.items()))'
        f"{measured}\n"
        'if jax.default_backend() == "cpu":\n'
        '    print("No GPU: the quick profile runs on CPU; for the full profile choose "\n'
        '          "Runtime > Change runtime type > GPU.")\n'
    )


def _parameters(source: str, profile: str) -> tuple[str, list[str]]:
    """The Colab parameters cell and the lines it leaves out (``results_dir``, ...)."""
    kept, dropped = [], []
    for line in source.split("\n"):
        if re.match(r"^\s*(profile|results_dir)\s*=", line):
            dropped.append(line)
        elif line.strip():
            kept.append(line)
    default = profile if profile in COLAB_PROFILES else COLAB_PROFILES[0]
    choices = ", ".join(f'"{p}"' for p in COLAB_PROFILES)
    return "\n".join([
        '# "quick": public stand-in data, minutes on a CPU; "full": the paper\'s data and '
        "scale (GPU, hours).",
        f'profile = "{default}"  #@param [{choices}]',
        *kept]), dropped


def _collapse(cell: Any) -> None:
    """A code cell the book hides becomes a Colab form cell: its title shown, its code not."""
    lines = cell.source.split("\n")
    title = "Show code"
    if lines and re.match(r"^#\s*\w", lines[0]) and not lines[0].startswith("#@"):
        title = lines.pop(0).lstrip("#").strip()
    cell.source = "\n".join([f"#@title {title}", *lines])
    cell.metadata["cellView"] = "form"


def colab_notebook(root: Path, doc: str, *, executed: Path | None = None,
                   profile: str = "quick", commit: str | None = None,
                   seconds: float | None = None) -> Any:
    """The Colab notebook (nbformat) of one chapter ``doc`` (e.g. ``notebooks/06_x``).

    Parameters
    ----------
    root
        Repository root.
    doc
        The chapter, as in ``_toc.yml``.
    executed
        Its executed notebook: the text's numbers come from it (none: placeholders).
    profile
        Profile of that build, named in the note at the top.
    commit
        Commit the install cell installs (default: this checkout's).
    seconds
        The chapter's run time in that build, printed beside the expected one.

    Raises
    ------
    ValueError
        When a kept cell needs a name that only a dropped (``book-only``) cell defines.
    """
    import jupytext  # deferred: ~0.2 s, book extra; only the export reads notebooks
    import nbformat  # deferred: ~0.1 s; only the export writes notebooks

    root = Path(root)
    source = root / f"{doc}.md"
    notebook = jupytext.read(source)
    glue = glue_values(executed) if executed and Path(executed).is_file() else {}
    bib = root / "book" / "references.bib"
    cites = citation_links(bib) if bib.is_file() else {}
    commit = commit or build_commit(root)
    chapter = re.sub(r"^\d+_", "", Path(doc).name)
    cells, kept, dropped = [], [], []
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown":
            cell.source = myst_to_markdown(cell.source, glue, cites, base=source.parent)
        elif BOOK_ONLY in tags:
            dropped.append(cell.source)
            continue
        elif "parameters" in tags:
            cell.source, removed = _parameters(cell.source, profile)
            dropped += removed
        elif set(HIDDEN_CODE) & set(tags):
            _collapse(cell)
        if cell.cell_type == "code":
            kept.append(cell.source)
        if cell.source.strip():
            cells.append(cell)
    # The book's build sets results_dir (where records go); a notebook run records nothing.
    book_setting = ""
    if "results_dir" in set().union(*(_used(ast.parse(_code(c))) for c in kept)):
        book_setting = "results_dir = None  # the book's build keeps its records there; none here\n"
        kept.append(book_setting)
    leaks = book_only_leaks(kept, dropped)
    if leaks:
        raise ValueError(f"{doc}: cells kept on Colab use names that only book-only code "
                         f"defines: {leaks}; define them in a kept cell, or tag the users "
                         f"{BOOK_ONLY} too")
    shown = profile if profile in COLAB_PROFILES else "an unknown"
    note = (f"*The numbers in the text are from the published build (profile {shown}, commit "
            f"`{commit[:12]}`); your run prints its own.*")
    head = [
        nbformat.v4.new_markdown_cell(note),
        nbformat.v4.new_code_cell(_install_cell(repository_url(root), commit)),
        nbformat.v4.new_code_cell(_runtime_cell(chapter, expected_minutes(doc),
                                                profile, seconds) + book_setting),
    ]
    title = 1 if cells and cells[0].cell_type == "markdown" \
        and cells[0].source.lstrip().startswith("#") else 0
    notebook.cells = [*cells[:title], *head, *cells[title:]]
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["accelerator"] = "GPU"
    notebook.metadata["colab"] = {"provenance": [], "gpuType": "T4"}
    return notebook


def colab_notebooks(root: Path, out: Path, *, build_dir: Path | None = None,
                    commit: str | None = None) -> list[Path]:
    """Write the Colab notebook of every chapter under ``out`` (same relative paths).

    The numbers come from the executed build in ``build_dir`` (default ``<root>/_build``),
    which must be of this commit (:func:`executed_build`).

    Raises
    ------
    BuildMissingError
        Without such a build; the message says what to run.
    """
    import nbformat  # deferred: ~0.1 s; only the export writes notebooks

    from howbig.book.pipeline import is_notebook_source, source_order  # deferred: import cycle

    root = Path(root)
    build_dir = Path(build_dir) if build_dir else root / "_build"
    commit = commit or build_commit(root)
    docs = [d for d in source_order(root)
            if d.startswith("notebooks/") and is_notebook_source(root / f"{d}.md")]
    status = executed_build(root, build_dir, docs, commit)
    written = []
    for doc in docs:
        notebook = colab_notebook(root, doc, executed=build_dir / "stage" / f"{doc}.ipynb",
                                  profile=status["profile"], commit=commit,
                                  seconds=status["runs"][doc].get("seconds"))
        target = Path(out) / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        written.append(target)
    return written
