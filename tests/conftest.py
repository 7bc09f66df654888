"""Shared fixtures: an isolated data cache and the data mirror.

Tests that read registered data take the ``shared_mirror`` fixture: the mirror directory named by
``HOWBIG_MIRROR`` (default ``../shared/data``), flat or laid out like a cache. Those tests carry
the ``data`` marker (added here), skip without a mirror, and can be left out with ``-m "not data"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from howbig.data import file_entry

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the data mirror with ``data``."""
    for item in items:
        if "shared_mirror" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope="session")
def shared_mirror() -> Path:
    """Point the data layer at the mirror of ``HOWBIG_MIRROR`` (default ../shared/data).

    Skips the test when that is not a directory. The cache is the user's (``HOWBIG_DATA_DIR``
    if set), so data fetched once is reused.
    """
    mirror = Path(os.environ.get("HOWBIG_MIRROR", SHARED_DATA)).expanduser()
    if not mirror.is_dir():
        pytest.skip(f"no data mirror at {mirror}; set HOWBIG_MIRROR to run data tests")
    os.environ["HOWBIG_MIRROR"] = str(mirror)
    return mirror


def mirror_file(mirror: Path, file_name: str) -> Path:
    """Where a mirror directory holds a registered file: flat, or laid out like a cache."""
    flat = mirror / file_name
    return flat if flat.is_file() else mirror / file_entry(file_name)[0].name / file_name


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache directory and no mirror."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HOWBIG_DATA_DIR", str(cache))
    monkeypatch.delenv("HOWBIG_MIRROR", raising=False)
    return cache


@pytest.fixture(autouse=True)
def _quiet_progress(request, monkeypatch) -> None:
    """Progress bars off by default (tqdm's own switch, which ``TrainConfig(progress=None)``
    honours), except in the book tests, which check the build's progress lines."""
    if "book" not in Path(str(request.node.path)).relative_to(ROOT).parts[:2]:
        monkeypatch.setenv("TQDM_DISABLE", "1")
