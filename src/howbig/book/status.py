"""What the build-status page shows: notebook runs, package versions, the JAX device."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from howbig.profiles import expected_minutes

__all__ = ["KEY_PACKAGES", "STATUS_FILE", "environment_table", "jax_devices", "package_versions",
           "runs_table", "status_file_beside"]

STATUS_FILE = "status.json"  # in the build directory, beside results/

KEY_PACKAGES = (
    "howbig", "numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "jax", "jaxlib", "jraph",
    "dm-haiku", "optax", "ase", "spglib", "icet", "pyscf", "madas",
    "optuna", "pooch", "ipywidgets", "jupytext", "papermill", "jupyter-book", "myst-nb", "sphinx",
)


def package_versions(packages: tuple[str, ...] = KEY_PACKAGES) -> pd.DataFrame:
    """Installed version of each package ("not installed" where absent)."""
    rows = []
    for name in packages:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"package": name, "version": version})
    return pd.DataFrame(rows)


def jax_devices() -> str:
    """The JAX backend and devices, e.g. ``cpu: TFRT_CPU_0``."""
    import jax  # deferred: ~0.5 s; only the device row of the status page needs it

    devices = jax.devices()
    kinds = ", ".join(sorted({getattr(d, "device_kind", str(d)) for d in devices}))
    return f"{jax.default_backend()}: {len(devices)} device(s) ({kinds})"


def environment_table() -> pd.DataFrame:
    """Python, platform, cores and JAX device of this build."""
    return pd.DataFrame(
        [
            {"item": "Python", "value": platform.python_version()},
            {"item": "platform", "value": platform.platform()},
            {"item": "CPU cores", "value": str(os.cpu_count())},
            {"item": "JAX", "value": jax_devices()},
        ]
    )


def status_file_beside(results_dir: str | Path | None) -> Path | None:
    """The build's ``status.json``, which sits beside the results folder the build injects.

    ``howbig book build`` writes ``<build dir>/results`` (records) and ``<build dir>/status.json``
    (run times); a page is given ``results_dir`` as a parameter, so this is how it finds the run
    times without a side channel. ``None`` outside a build.
    """
    return None if results_dir is None else Path(results_dir).parent / STATUS_FILE


def runs_table(status_file: Path | None) -> pd.DataFrame:
    """Per-notebook status, wall time and the expected time of the profile (``status.json``)."""
    path = status_file
    columns = ["notebook", "profile", "status", "seconds", "expected minutes"]
    if path is None or not Path(path).is_file():
        return pd.DataFrame(columns=columns)
    runs = json.loads(Path(path).read_text()).get("runs", {})
    rows = []
    for doc, run in runs.items():
        expected = expected_minutes(doc).get(run["profile"])
        rows.append({"notebook": doc, "profile": run["profile"], "status": run["status"],
                     "seconds": run["seconds"],
                     "expected minutes": "-" if expected is None else f"{expected:g}"})
    return pd.DataFrame(rows, columns=columns)
