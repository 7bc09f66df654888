"""Executing one MyST notebook with papermill: progress per cell, a quiet kernel, a clean output.

* progress: a bar per notebook (cells done / total, elapsed) on a terminal; where the output is
  not a terminal (CI, a GPU runner's log) one line per finished cell instead, and a heartbeat
  line every few minutes while one cell runs long (a full-profile training cell runs for hours);
* the kernel's "running over TCP without encryption" warning is silenced (the kernel only
  listens on localhost; the warning would repeat for every notebook);
* widget state (``application/vnd.jupyter.widget-state+json`` in the metadata and
  ``application/vnd.jupyter.widget-view+json`` outputs) is stripped from the executed notebook:
  a static book cannot render it, and it weighs up to three quarters of a page. Static figures
  and text outputs are kept.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "NotebookRun",
    "execute_notebook",
    "heartbeat",
    "progress_options",
    "strip_widget_state",
]

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Kernel options: log errors only (hides the TCP-without-encryption warning of ipykernel).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    source: str
    profile: str
    status: str  # "ok" | "failed" | "skipped"
    seconds: float
    error: str = ""


class _LineLog:
    """A file for tqdm that turns each carriage-return refresh into one log line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        for line in text.replace("\r", "\n").split("\n"):
            if line.strip():
                self.stream.write(line.rstrip() + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress_options(label: str, stream: TextIO | None = None) -> dict[str, Any]:
    """tqdm options for papermill's progress bar over cells.

    On a terminal: a bar that refreshes in place. Otherwise one line per finished cell
    (``02_transferability: 12/48 cells [05:12<...]``), written to ``stream``.
    """
    stream = stream or sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        return {"desc": label, "file": stream, "leave": True}
    return {"desc": label, "file": _LineLog(stream), "mininterval": 0, "ascii": True,
            "ncols": 100, "bar_format": "{desc}: {n_fmt}/{total_fmt} cells [{elapsed}<{remaining}]"}


@contextlib.contextmanager
def heartbeat(label: str, every: float | None, stream: TextIO | None = None):
    """Print ``<label>: still running (mm:ss)`` every ``every`` seconds until the block ends."""
    if not every:
        yield
        return
    stream = stream or sys.stderr
    stop = threading.Event()
    start = time.perf_counter()

    def beat() -> None:
        while not stop.wait(every):
            minutes, seconds = divmod(int(time.perf_counter() - start), 60)
            stream.write(f"{label}: still running ({minutes:02d}:{seconds:02d} elapsed)\n")
            stream.flush()

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def strip_widget_state(notebook: Any) -> int:
    """Remove widget state and widget views from an nbformat notebook, in place.

    An output that carried a widget view keeps its other representations (an image, HTML)
    but not its ``text/plain`` repr of the widget object; an output left empty is dropped.

    Returns
    -------
    Number of widget views removed.
    """
    notebook.metadata.get("widgets", {}).pop(WIDGET_STATE, None)
    if not notebook.metadata.get("widgets", True):
        notebook.metadata.pop("widgets")
    removed = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data and WIDGET_VIEW in data:
                removed += 1
                data.pop(WIDGET_VIEW)
                data.pop("text/plain", None)  # "interactive(children=...)": says nothing
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return removed


def _finish(ipynb: Path) -> None:
    """Hide the injected parameters cell and strip widget state of an executed notebook."""
    import nbformat  # deferred: ~0.1 s; keeps `howbig book ...` startup light

    notebook = nbformat.read(ipynb, as_version=4)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell["metadata"]["tags"] = [*tags, "remove-cell"]
    strip_widget_state(notebook)
    nbformat.write(notebook, ipynb)


def execute_notebook(
    source: Path,
    output: Path,
    *,
    profile: str = "quick",
    results_dir: Path | None = None,
    cwd: Path | None = None,
    timeout: int | None = None,
    progress: bool = True,
    heartbeat_seconds: float | None = None,
) -> NotebookRun:
    """Convert a MyST notebook with jupytext and execute it with papermill.

    Parameters
    ----------
    source
        The ``.md`` notebook.
    output
        Where the executed ``.ipynb`` goes.
    profile
        Injected as the ``profile`` parameter.
    results_dir
        Injected as the ``results_dir`` parameter (where the page's records go) when given;
        otherwise the notebook keeps its default (``None``: glue only).
    cwd
        Working directory of the kernel (default: the source's folder).
    timeout
        Per-cell timeout in seconds (``None``: no limit).
    progress
        Report cells done / total and the elapsed time on stderr while it runs.
    heartbeat_seconds
        Interval of the "still running" lines; default 300 s when stderr is not a terminal
        (a CI or GPU runner's log), none on a terminal (the bar shows the elapsed time).
    """
    import jupytext  # deferred: ~0.2 s, book extra; keeps `howbig book ...` startup light
    import papermill  # deferred: ~0.2 s, book extra; only executing a page needs it

    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }
    jupytext.write(notebook, output, fmt="ipynb")
    if heartbeat_seconds is None and progress and not sys.stderr.isatty():
        heartbeat_seconds = 300.0
    start = time.perf_counter()
    status, error = "ok", ""
    label = Path(source).stem
    try:
        with heartbeat(label, heartbeat_seconds if progress else None):
            papermill.execute_notebook(
                str(output),
                str(output),
                parameters={"profile": profile,
                            **({} if results_dir is None else {"results_dir": str(results_dir)})},
                kernel_name="python3",
                cwd=str(cwd or source.parent),
                execution_timeout=timeout,
                progress_bar=progress_options(label) if progress else False,
                log_output=False,
                extra_arguments=KERNEL_ARGUMENTS,
            )
    except Exception as exc:  # papermill raises PapermillExecutionError and friends
        status, error = "failed", f"{type(exc).__name__}: {str(exc)[-2000:]}"
    seconds = time.perf_counter() - start
    if output.exists():
        _finish(output)
    return NotebookRun(str(source), profile, status, round(seconds, 1), error)
