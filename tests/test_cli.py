"""The command line."""

from __future__ import annotations

import pytest

from howbig.cli import main


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
