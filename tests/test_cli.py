"""The command line."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys

import pytest

from howbig.cli import main
from tests.conftest import ROOT, mirror_file

SRC = ROOT / "src"


def test_data_list_shows_every_dataset(capsys, isolated_cache):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("mp20_sample", "gesn2n4", "nomad_dos_fingerprint_cases", "mp2018"):
        assert name in out
    assert str(isolated_cache) in out


def test_data_fetch_and_verify_from_mirror(capsys, isolated_cache, shared_mirror, monkeypatch):
    monkeypatch.setenv("HOWBIG_MIRROR", str(shared_mirror))
    assert main(["data", "fetch", "mp2018_mpeu"]) == 0
    assert main(["data", "verify", "mp2018_mpeu"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") >= 2


def test_fetch_without_names_asks_for_them(capsys):
    assert main(["data", "fetch"]) == 2


def test_unknown_command_is_an_error():
    with pytest.raises(SystemExit):
        main(["nonsense"])


# --------------------------------------------------------------------------- data fetch failures
SMALL = ("mp2018_mpeu", "gesn2n4")  # small datasets: a few files, about 2 MB


@pytest.fixture
def temp_mirror(tmp_path, shared_mirror, isolated_cache, monkeypatch):
    """A mirror directory holding copies of the small datasets' files (not the real cache)."""
    from howbig import data

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in SMALL:
        for f in data.dataset(name).files:
            shutil.copyfile(mirror_file(shared_mirror, f.name), mirror / f.name)
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    return mirror


def test_fetch_continues_past_a_missing_file_and_ends_with_a_table(temp_mirror, capsys):
    from howbig import data

    (temp_mirror / "gesn2n4_hse.csv").unlink()  # one file the mirror lacks (and offline)
    with _offline():
        assert main(["data", "fetch", *SMALL]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    table = err[err.index("files are missing"):]
    assert "gesn2n4_hse.csv" in table and "not cached, no source reachable" in table
    assert f"1 of {sum(len(data.dataset(n).files) for n in SMALL)} files are missing" in err
    others = [f.name for n in SMALL for f in data.dataset(n).files if f.name != "gesn2n4_hse.csv"]
    assert all(data.is_cached(name) for name in others)  # the rest was fetched
    assert not data.is_cached("gesn2n4_hse.csv")


def test_fetch_all_prints_one_line_per_missing_file_then_the_table(temp_mirror, capsys):
    from howbig import data
    from howbig.profiles import profile_datasets

    names = profile_datasets("quick")
    files = [f.name for n in names for f in data.dataset(n).files]
    missing = [f for f in files if not (temp_mirror / f).is_file()]
    assert "gesn2n4" in names and len(missing) > 10
    with _offline():
        assert main(["data", "fetch", "--all"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 2 * len(missing) + 3  # FAILED lines, blank, summary, header, rows
    assert all(line.startswith("FAILED Dataset '") for line in lines[:len(missing)])
    assert lines[len(missing) + 1].startswith(f"{len(missing)} of {len(files)} files are missing")
    assert lines[len(missing) + 2].split()[:3] == ["dataset", "file", "problem"]
    assert {line.split()[1] for line in lines[-len(missing):]} == set(missing)
    assert captured.out.count("ok  ") == len(files) - len(missing)  # one line per file fetched


def test_data_list_names_the_profiles_that_read_each_dataset(capsys, isolated_cache):
    assert main(["data", "list"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["mp20_sample"] == "quick" and rows["mp2018"] == "full"
    assert rows["oqmd_dhf"] == "quick,full,smoke" and rows["cmr_perovskites"] == "-"


def test_force_offline_reports_the_damaged_copy_as_kept(temp_mirror, capsys):
    from howbig import data

    assert main(["data", "fetch", "mp2018_mpeu"]) == 0
    damaged = data.cached_path("mp2018_mpeu_config.json")
    damaged.write_bytes(b"{}")
    (temp_mirror / "mp2018_mpeu_config.json").unlink()
    with _offline():
        assert main(["data", "fetch", "mp2018_mpeu", "--force"]) == 1
    err = capsys.readouterr().err
    assert "damaged copy in the cache was kept" in err and "not cached" not in err
    assert "damaged copy kept, no source reachable" in err  # the table's problem column
    assert damaged.read_bytes() == b"{}"


def test_corrupted_cache_is_reported_then_repaired_with_force(temp_mirror, capsys):
    from howbig import data

    assert main(["data", "fetch", "mp2018_mpeu"]) == 0
    damaged = data.cached_path("mp2018_mpeu_config.json")
    damaged.write_bytes(damaged.read_bytes()[:100])  # a truncated copy
    assert main(["data", "fetch", "mp2018_mpeu"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "truncated" in err and "howbig data fetch mp2018_mpeu --force" in err
    assert main(["data", "verify", "mp2018_mpeu"]) == 1
    assert main(["data", "fetch", "mp2018_mpeu", "--force"]) == 0  # the documented repair
    assert main(["data", "verify", "mp2018_mpeu"]) == 0
    assert data.sha256sum(damaged) == data.file_entry("mp2018_mpeu_config.json")[1].sha256


def test_longer_file_is_not_called_truncated(temp_mirror, capsys):
    from howbig import data

    assert main(["data", "fetch", "mp2018_mpeu"]) == 0
    cached = data.cached_path("mp2018_mpeu_config.json")
    cached.write_bytes(cached.read_bytes() + b"\n extra")
    assert main(["data", "fetch", "mp2018_mpeu"]) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and "truncated" not in err


def test_expected_errors_print_no_traceback_unless_debug(isolated_cache, capsys):
    with _offline():
        assert main(["data", "fetch", "mp2018_mpeu"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not cached and could not be fetched" in err
    assert main(["data", "fetch", "no_such_dataset"]) == 1
    err = capsys.readouterr().err
    assert "unknown dataset 'no_such_dataset'" in err and "Traceback" not in err
    with _offline():
        assert main(["--debug", "data", "fetch", "mp2018_mpeu"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_command_line_process_exits_nonzero_with_one_message(isolated_cache):
    """The installed entry point, as a user runs it: no traceback, exit status 1."""
    env = {**os.environ, "HOWBIG_DATA_DIR": str(isolated_cache), "HOWBIG_MIRROR": "/nonexistent"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "howbig.cli", "data", "fetch", "nosuch"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("howbig: error: unknown dataset 'nosuch'")
    assert "Traceback" not in done.stderr


@contextlib.contextmanager
def _offline():
    """Every canonical URL points at a closed local port, as on a machine without internet."""
    from howbig.data import registry

    saved = dict(registry._FILES)
    try:
        for name, (ds, entry) in saved.items():
            registry._FILES[name] = (ds, dataclasses.replace(entry, url=f"http://127.0.0.1:9/{name}"))
        yield
    finally:
        registry._FILES.update(saved)
