"""Build pipeline of the book: MyST sources -> papermill-executed notebooks -> jupyter-book site.

Steps (``howbig book build``):

1. every MyST notebook (a ``.md`` with a ``kernelspec``) is converted with jupytext and executed
   by papermill with ``profile`` and ``results_dir`` (where its records go) injected; the
   injected cell is tagged ``remove-cell``;
   per-notebook wall time and status go to ``_build/status.json``;
2. the site sources are *staged* in ``_build/stage``: plain pages copied, notebooks replaced by
   their executed ``.ipynb`` (a ``.md`` and an ``.ipynb`` of one name side by side is a fatal
   duplicate for Sphinx, hence the separate folder);
3. ``jupyter-book build`` renders the stage with ``-W -n --keep-going`` (warnings are errors).

With ``profile="smoke"`` the build first starts a fixture server on 127.0.0.1 and points the
data sources at it (:mod:`howbig.book.smoke`). ``build_dir`` keeps builds apart
(``_build`` for the quick site, e.g. ``_build/smoke`` for the smoke site).

Chapters run in the order of ``_toc.yml``; the reproducibility and status pages run last because
they read what the chapters recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import yaml

from howbig.book import colab
from howbig.book.colab import build_commit, source_digest
from howbig.book.execute import NotebookRun, execute_notebook
from howbig.book.smoke import smoke_environment
from howbig.book.status import STATUS_FILE

__all__ = [
    "NotebookRun",
    "build",
    "colab_notebooks",
    "execute_notebook",
    "is_notebook_source",
    "source_order",
]

# Pages that read the chapters' records run after them, in this order.
LAST = ("book/reproducibility", "book/conclusions", "book/index", "book/teacher", "book/status")


def is_notebook_source(path: Path) -> bool:
    """True for a MyST markdown file whose front matter declares a kernel."""
    if path.suffix != ".md":
        return False
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    end = text.find("\n---", 3)
    front = yaml.safe_load(text[3:end]) if end > 0 else None
    return isinstance(front, dict) and "kernelspec" in front


def _toc_files(toc: dict) -> list[str]:
    files = [toc["root"]]

    def walk(node: dict) -> None:
        for key in ("chapters", "sections"):
            for item in node.get(key, []) or []:
                if "file" in item:
                    files.append(item["file"])
                walk(item)
        for part in node.get("parts", []) or []:
            walk(part)

    walk(toc)
    return files


def source_order(root: Path) -> list[str]:
    """Documents of ``_toc.yml`` (without suffix) in execution order: chapters, then LAST."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [f.removesuffix(".md").removesuffix(".ipynb") for f in _toc_files(toc)]
    return [f for f in files if f not in LAST] + [f for f in LAST if f in files]


# MathJax 3 parts that ``tex-mml-chtml.js`` loads: fonts (output/), TeX extensions loaded on
# demand (input/), the context menu (ui/) and accessibility (a11y/, adaptors/).
_MATHJAX_PARTS = ("tex-mml-chtml.js", "output", "input", "ui", "a11y", "adaptors")


def _vendor_mathjax(stage: Path) -> str | None:
    """Copy MathJax into the stage's static files; return its ``mathjax_path`` or ``None``.

    Without this, Sphinx loads MathJax from a CDN and a site opened offline (workshop laptops)
    shows raw TeX. The files come from the ``django-static-mathjax`` wheel (MathJax 3.2.2, no
    dependencies; its import name is ``mathjax``). ``None`` when it is not installed: the
    CDN path of ``_config.yml`` then stays.
    """
    try:
        import mathjax  # deferred: optional (book extra); without it the CDN path stays
    except ImportError:
        return None
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (source / _MATHJAX_PARTS[0]).is_file():
        return None
    target = stage / "book" / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for part in _MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        elif (source / part).is_file():
            shutil.copy2(source / part, target / part)
    # Sphinx reads a relative mathjax_path as relative to the site's _static folder.
    return f"mathjax/{_MATHJAX_PARTS[0]}"


def _stage_config(root: Path, stage: Path) -> None:
    config = yaml.safe_load((root / "_config.yml").read_text())
    # The stage holds executed notebooks: never execute again while rendering.
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    local_mathjax = _vendor_mathjax(stage)
    if local_mathjax:
        config.setdefault("sphinx", {}).setdefault("config", {})["mathjax_path"] = local_mathjax
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy2(root / "_toc.yml", stage / "_toc.yml")


def _copy_plain_pages(root: Path, stage: Path) -> None:
    for folder in ("book",):
        for path in (root / folder).rglob("*"):
            if path.is_dir() or "_build" in path.parts:
                continue
            if is_notebook_source(path):
                continue
            target = stage / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def build(
    root: Path,
    *,
    profile: str = "quick",
    only: list[str] | None = None,
    render: bool = True,
    timeout: int | None = None,
    build_dir: Path | None = None,
) -> int:
    """Execute the book's notebooks and render the site; returns a process exit code.

    Parameters
    ----------
    root
        Repository root (holds ``_config.yml`` and ``_toc.yml``).
    profile
        A key of :data:`howbig.profiles.PROFILES` (``"quick"``, ``"full"``, ``"smoke"``).
    only
        Execute only these documents (e.g. ``["notebooks/02_transferability"]``); others keep
        their previously executed output in the stage, if any.
    render
        Run jupyter-book after executing.
    timeout
        Per-cell timeout in seconds.
    build_dir
        Folder of this build (stage, results, status, ``html``); default ``<root>/_build``.
    """
    root = root.resolve()
    build_dir = (build_dir or root / "_build").resolve()
    stage = build_dir / "stage"
    results = build_dir / "results"
    status_path = build_dir / STATUS_FILE
    stage.mkdir(parents=True, exist_ok=True)
    _stage_config(root, stage)
    _copy_plain_pages(root, stage)

    status = json.loads(status_path.read_text()) if status_path.is_file() else {}
    if only is None or status.get("profile") != profile:
        # A whole build (or a new profile) starts from no records: none of another run leaks in.
        shutil.rmtree(results, ignore_errors=True)
        status = {}
    status.setdefault("runs", {})
    status["profile"] = profile

    documents = source_order(root)
    selected = [d for d in documents if only is None or d in only or Path(d).name in only]
    if only is not None and not selected:
        raise SystemExit(f"none of {only} is in _toc.yml; documents are: {documents}")
    with _data_sources(root, build_dir, profile):
        failed = _execute_all(root, stage, selected, status, status_path, profile, timeout,
                              results)

    code = 0
    if render:
        code = _render(root, stage, build_dir)
    if failed:
        print(f"[howbig] notebooks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return code


@contextlib.contextmanager
def _data_sources(root: Path, build_dir: Path, profile: str):
    """For the smoke profile: serve the fixtures on 127.0.0.1 and point the data sources there."""
    if profile != "smoke":
        yield
        return
    saved = dict(os.environ)
    with smoke_environment(root, build_dir) as server:
        os.environ.update(server.environment)
        print(f"[howbig] smoke profile: fixtures served at {server.base_url}", flush=True)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _execute_all(root: Path, stage: Path, selected: list[str], status: dict,
                 status_path: Path, profile: str, timeout: int | None,
                 results: Path) -> list[str]:
    failed = []
    commit = build_commit(root)
    documents = [d for d in selected
                 if (root / f"{d}.md").is_file() and is_notebook_source(root / f"{d}.md")]
    for number, doc in enumerate(documents, start=1):
        print(f"[howbig] [{number}/{len(documents)}] executing {doc} (profile={profile}) ...",
              flush=True)
        # Reproducibility/status pages read the status file: write it before they run.
        status_path.write_text(json.dumps(status, indent=1))
        run: NotebookRun = execute_notebook(root / f"{doc}.md", stage / f"{doc}.ipynb",
                                            profile=profile, results_dir=results, cwd=root,
                                            timeout=timeout)
        # The Colab export checks that each chapter ran at this commit, from this source.
        status["runs"][doc] = {**asdict(run), "commit": commit,
                               "source_sha256": source_digest(root / f"{doc}.md")}
        status_path.write_text(json.dumps(status, indent=1))
        print(f"[howbig]   {doc}: {run.status} in {run.seconds:.1f} s", flush=True)
        if run.status != "ok":
            failed.append(doc)
            print(run.error, file=sys.stderr)
    return failed


def _render(root: Path, stage: Path, build_dir: Path) -> int:
    """Render the stage with jupyter-book into ``build_dir/html``."""
    # jupyter-book writes to <path-output>/_build/html: the default build dir is <root>/_build.
    default = build_dir == root / "_build"
    path_output = root if default else build_dir / "jupyter-book"
    cmd = [
        *_jupyter_book_command(), "build", str(stage),
        "--path-output", str(path_output), "-W", "-n", "--keep-going",
    ]
    print("[howbig]", " ".join(cmd), flush=True)
    code = subprocess.call(cmd)
    if code == 0 and not default:
        shutil.rmtree(build_dir / "html", ignore_errors=True)
        shutil.copytree(path_output / "_build" / "html", build_dir / "html")
    if code == 0:
        print(f"[howbig] site: {build_dir / 'html' / 'index.html'}")
    return code


def _jupyter_book_command() -> list[str]:
    """Command that runs jupyter-book from the interpreter running this code.

    ``make book`` calls ``.venv/bin/howbig`` without activating the venv, so ``jupyter-book`` is
    usually not on ``PATH``; the script installed beside ``sys.executable`` is the right one.
    """
    beside = Path(sys.executable).parent / "jupyter-book"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("jupyter-book")
    if found:
        return [found]
    raise RuntimeError("jupyter-book is not installed beside this Python nor on PATH; "
                       "install the pinned requirements (`make venv`) first")


def colab_notebooks(root: Path, out: Path, **kwargs) -> list[Path]:
    """Colab notebooks of every chapter (see :func:`howbig.book.colab.colab_notebooks`)."""
    return colab.colab_notebooks(root, out, **kwargs)
