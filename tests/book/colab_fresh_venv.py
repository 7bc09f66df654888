"""Run an exported Colab notebook as a user would: a fresh venv, the notebook's own install line.

The check behind ``.ci/run``'s step "a fresh venv runs exported Ch. 3" (needs ``howbig book colab``
first, which needs the executed build). By hand, from the repository root::

    .venv/bin/howbig book colab --out _build/colab
    python3.11 tests/book/colab_fresh_venv.py                      # Ch. 3, a throwaway venv
    python3.11 tests/book/colab_fresh_venv.py --notebook notebooks/06_infrastructure --keep /tmp/v

Steps, each timed:

1. read the install cell of ``<colab dir>/<notebook>.ipynb``: ``%pip install "howbig[...] @
   git+<repository.url>@<commit>"``; the URL is replaced by this checkout (``git+file://...``,
   the same commit: the export names the commit it was built from, which must be committed);
2. create a venv with the running Python, upgrade its pip (Colab's is recent), and install that
   requirement, plus the Jupyter pieces a notebook runs in (``nbclient``, ``ipykernel``), from
   the package index as ``pip`` is set up;
3. execute the notebook top to bottom with nbclient, in the venv's kernel, in an empty folder,
   without ``PYTHONPATH``: nothing of the checkout but what pip installed. ``HOWBIG_MIRROR`` and
   ``HOWBIG_DATA_DIR`` pass through (an offline CI serves data from its mirror).

Exit status 0 when every cell ran; 1 with the failing cell's error otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = re.compile(r'%pip install -q "(?P<name>howbig[^"@ ]*) @ git\+(?P<url>[^"@ ]+)@'
                     r'(?P<commit>[0-9A-Za-z._-]+)"')
EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, kernel_name="python3", timeout=int(sys.argv[3]),
               resources={"metadata": {"path": sys.argv[4]}}).execute()
nbformat.write(notebook, sys.argv[2])
"""


def install_requirement(notebook: dict, root: Path) -> tuple[str, str]:
    """``(pip requirement from this checkout, commit)`` of the notebook's install cell."""
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        match = INSTALL.search(source)
        if match:
            return f"{match['name']} @ git+file://{root}@{match['commit']}", match["commit"]
        raise SystemExit(f"the first code cell is not the install cell:\n{source}")
    raise SystemExit("the notebook has no code cell")


def _timed(label: str, command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    print(f"[fresh venv] {label}: {' '.join(command)}", flush=True)
    subprocess.run(command, check=True, **kwargs)
    seconds = time.perf_counter() - start
    print(f"[fresh venv] {label}: {seconds:.0f} s", flush=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Create the venv, install as the notebook says, execute it; print the times."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--colab-dir", type=Path, default=ROOT / "_build" / "colab",
                        help="output of `howbig book colab` (default: _build/colab)")
    parser.add_argument("--notebook", default="notebooks/03_similarity")
    parser.add_argument("--keep", type=Path, default=None,
                        help="create the venv here and keep it (default: a temporary folder)")
    parser.add_argument("--timeout", type=int, default=900, help="per-cell timeout, seconds")
    args = parser.parse_args(argv)

    # Absolute: the notebook is executed with the empty work folder as its current directory.
    source = (args.colab_dir / f"{args.notebook}.ipynb").resolve()
    if not source.is_file():
        raise SystemExit(f"{source} does not exist: run `howbig book colab --out "
                         f"{args.colab_dir}` after the quick build first")
    requirement, commit = install_requirement(json.loads(source.read_text()), ROOT)
    if subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT,
                      capture_output=True).returncode:
        raise SystemExit(f"the notebook installs commit {commit}, which this checkout lacks: "
                         "commit, rebuild and export again")
    with tempfile.TemporaryDirectory(prefix="howbig-fresh-") as scratch:
        home = args.keep or Path(scratch) / "venv"
        work = Path(scratch) / "work"
        work.mkdir()
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        start = time.perf_counter()
        venv.create(home, with_pip=True, clear=True)
        times = {"venv": time.perf_counter() - start}
        python = str(home / "bin" / "python")
        # Colab's pip is recent; the one ensurepip bundles may be too old for git+file URLs.
        times["pip"] = _timed("pip", [python, "-m", "pip", "install", "--quiet", "--upgrade",
                                      "pip"], env=env)
        times["install"] = _timed("install", [python, "-m", "pip", "install", "--quiet",
                                              requirement, "nbclient", "ipykernel"], env=env)
        executed = work / Path(args.notebook).name
        try:
            times["execute"] = _timed(
                "execute", [python, "-c", EXECUTE, str(source), f"{executed}.ipynb",
                            str(args.timeout), str(work)], env=env, cwd=work)
        except subprocess.CalledProcessError:
            print(f"[fresh venv] FAILED: {args.notebook} does not run in a fresh venv",
                  file=sys.stderr)
            return 1
    print("[fresh venv] ok: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
