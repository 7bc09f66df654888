"""Shared fixtures: an isolated data cache and the ../shared/data mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def shared_mirror() -> Path:
    """Point the data layer at the ../shared/data mirror (or skip when there is none).

    The cache is the user's (``HOWBIG_DATA_DIR`` if set), so data fetched once is reused.
    """
    mirror = Path(os.environ.get("HOWBIG_MIRROR", SHARED_DATA))
    if not mirror.is_dir():
        pytest.skip(f"no data mirror at {mirror}; set HOWBIG_MIRROR to run data tests")
    os.environ["HOWBIG_MIRROR"] = str(mirror)
    return mirror


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
