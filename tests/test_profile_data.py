"""What each profile runs on: the DataSource table and the howbig.profiles functions reading it."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from howbig.data import REGISTRY
from howbig.profile_data import SOURCES, DataSource
from howbig.profiles import (
    PROFILES,
    data_credits,
    data_names,
    data_sources,
    profile_datasets,
    stand_in_names,
)
from tests.conftest import ROOT

ALL = [(p, c) for p in SOURCES for c in SOURCES[p]]


def test_every_profile_declares_every_chapter_of_its_settings():
    assert set(SOURCES) == set(PROFILES)
    for profile in PROFILES:
        assert set(SOURCES[profile]) == set(PROFILES[profile]), profile


@pytest.mark.parametrize(("profile", "chapter"), ALL)
def test_sources_are_objects_with_unique_labels_and_registered_datasets(profile, chapter):
    sources = data_sources(chapter, profile)
    assert all(isinstance(s, DataSource) and callable(s.loader) for s in sources)
    labels = Counter(s.label for s in sources)
    assert max(labels.values(), default=1) == 1, labels  # the data box names every source
    shorts = Counter((s.role, s.short) for s in sources)
    assert max(shorts.values(), default=1) == 1, shorts
    for source in sources:
        assert source.what and source.role
        assert all(name in REGISTRY for name in source.datasets), source.datasets


def test_the_chapter_2_box_names_every_table_of_the_quick_profile():
    """Issue 20: formation energies and band gaps of MP shared the key "MP"; one vanished."""
    names = data_names("transferability", "quick").split("; ")
    for label in ("MP formation energies", "JARVIS formation energies",
                  "OQMD formation enthalpies", "MP formation energies (Matbench)",
                  "MP band gaps", "AFLOW band gaps", "MP-20 sample"):
        assert label in names
    ef = data_sources("transferability", "quick", role="formation energy")
    assert [s.short for s in ef] == ["MP", "JARVIS", "OQMD"]
    assert [s.datasets for s in ef][2] == ("oqmd_dhf",)
    full = [s.label for s in data_sources("transferability", "full", role="structures")]
    assert full == ["MP-crystals-2018.6.1", "AFLOW (AFLUX)"]
    credits = data_credits("transferability", "quick", role="formation energy")
    assert "OQMD formation enthalpies (oqmd_dhf, " in credits
    assert REGISTRY["oqmd_dhf"].citation in credits


def test_roles_select_and_unknown_names_are_errors():
    assert data_sources("similarity", "quick", role="paper DOS") == ()  # NOMAD: full only
    assert len(data_sources("similarity", "full", role="paper DOS")) == 1
    assert data_sources("infrastructure", "quick") == ()
    with pytest.raises(ValueError, match="roles"):
        data_sources("transferability", "quick", role="formation energies")
    with pytest.raises(ValueError, match="known"):
        data_sources("transfer", "quick")
    with pytest.raises(ValueError, match="quick"):
        data_sources("transferability", "fast")
    with pytest.raises(ValueError, match="quick"):
        profile_datasets("fast")


def test_profile_datasets_are_what_the_chapters_read():
    quick, full = set(profile_datasets("quick")), set(profile_datasets("full"))
    assert {"mp_ef_critexam", "jarvis_ef", "oqmd_dhf", "matbench_mp_gap", "mp20_sample",
            "gesn2n4", "nomad_dos_fingerprint_cases"} <= quick
    assert "mp2018" in full and "mp2018" not in quick and "mp20_sample" not in full
    assert "mp20_sample" not in set(profile_datasets("smoke"))  # fixtures are served, not read


def test_stand_in_names_are_quick_only_and_absent_from_smoke_labels():
    names = stand_in_names()
    assert names["MP-20 sample"] == ("MP-20 sample", "mp20_sample")
    smoke_text = " ".join(f"{s.label} {s.short} {s.what}" for c in SOURCES["smoke"]
                          for s in data_sources(c, "smoke"))
    for group in names.values():
        assert all(name not in smoke_text for name in group)


def test_load_calls_the_loader_with_its_arguments():
    calls = []
    source = DataSource("x", (), lambda **kw: calls.append(kw) or 7, stand_in=True,
                        what="test", role="r")
    assert source.load(limit=2) == 7 and calls == [{"limit": 2}]
    assert source.short == "x" and source.credits() == "x (test)"


def test_importing_profiles_loads_no_loader():
    """The declaration (pandas, ase) is imported when a source is asked for, not before."""
    code = ("import sys, howbig.profiles; "
            "print(sorted(m for m in ('howbig.profile_data', 'ase', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT / "src")}).stdout
    assert out.strip() == "[]"
