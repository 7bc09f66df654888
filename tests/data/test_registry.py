"""The data registry and fetcher: checksums, mirrors, HTTP downloads and every failure mode."""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import os
import stat
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from howbig import data
from howbig.data import registry
from howbig.data.errors import ChecksumMismatchError, CorruptArchiveError, DataUnavailableError
from tests.conftest import mirror_file


# --------------------------------------------------------------------------- helpers
class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def http_dir(tmp_path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on 127.0.0.1; yields (directory, base URL)."""
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _register(monkeypatch, name: str, files: list[registry.RemoteFile]) -> registry.Dataset:
    """Add a throwaway dataset to the registry for the duration of a test."""
    ds = registry.Dataset(name=name, description="test", licence="CC0", citation="test",
                          bibkey="test", files=tuple(files))
    monkeypatch.setitem(registry.REGISTRY, name, ds)
    for f in files:
        monkeypatch.setitem(registry._FILES, f.name, (ds, f))
    return ds


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


# A local port with nothing listening: a download from it fails at once, as offline.
DEAD_URL = "http://127.0.0.1:9/unreachable.csv"


# --------------------------------------------------------------------------- registry
def test_registry_matches_the_shared_manifest(shared_mirror):
    """Every mirror file is registered with the manifest's URL, checksum and size."""
    manifest = shared_mirror / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"no MANIFEST.tsv in the mirror {shared_mirror}")
    rows = list(csv.DictReader(manifest.open(), delimiter="\t"))
    assert rows
    for row in rows:
        ds, entry = data.file_entry(row["file"])
        assert entry.url == row["url"]
        assert entry.sha256 == row["sha256"]
        assert entry.size == int(row["bytes"])
        assert ds.licence == row["licence"]


def test_every_dataset_has_citation_licence_and_https_urls():
    for ds in data.REGISTRY.values():
        assert ds.citation and ds.licence and ds.bibkey
        for f in ds.files:
            assert f.url.startswith("https://")
            assert f.sha256 is None or len(f.sha256) == 64


def test_unknown_names_list_the_known_ones():
    with pytest.raises(KeyError, match="mp20_sample"):
        data.dataset("mp21_sample")
    with pytest.raises(KeyError, match=r"mp20_sample\.csv"):
        data.file_entry("nope.csv")


# --------------------------------------------------------------------------- fetch: mirror dir
def test_fetch_from_mirror_directory_verifies_and_caches(shared_mirror, isolated_cache,
                                                         monkeypatch):
    if not mirror_file(shared_mirror, "mp2018_mpeu_config.json").is_file():
        pytest.skip(f"the mirror {shared_mirror} lacks mp2018_mpeu_config.json")
    monkeypatch.setenv("HOWBIG_MIRROR", str(shared_mirror))
    path = data.fetch_file("mp2018_mpeu_config.json")
    assert path.parent.parent == isolated_cache
    assert data.sha256sum(path) == data.file_entry("mp2018_mpeu_config.json")[1].sha256
    assert data.is_cached("mp2018_mpeu_config.json")
    # Second call is served from the cache, even with the mirror gone.
    monkeypatch.setenv("HOWBIG_MIRROR", str(isolated_cache / "no-such-mirror"))
    assert data.fetch_file("mp2018_mpeu_config.json") == path


def test_corrupt_mirror_file_is_refused(isolated_cache, tmp_path, monkeypatch):
    payload = b"a,b\n1,2\n"
    _register(monkeypatch, "tiny", [registry.RemoteFile("tiny.csv", DEAD_URL, _sha(payload), 8)])
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.csv").write_bytes(b"a,b\n1,3\n")  # same size, different content
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    with pytest.raises(ChecksumMismatchError, match="refused") as info:
        data.fetch_file("tiny.csv")
    assert "tiny" in str(info.value) and DEAD_URL in str(info.value)
    assert not data.cached_path("tiny.csv").exists()


# --------------------------------------------------------------------------- fetch: failures
def test_offline_and_not_cached_names_dataset_url_and_target(isolated_cache, monkeypatch):
    _register(monkeypatch, "tiny", [registry.RemoteFile("tiny.csv", DEAD_URL, "0" * 64, 8)])
    with pytest.raises(DataUnavailableError) as info:
        data.fetch_file("tiny.csv")
    message = str(info.value)
    assert "'tiny'" in message
    assert DEAD_URL in message
    assert str(data.cached_path("tiny.csv")) in message
    assert "HOWBIG_MIRROR" in message


def test_corrupted_cache_file_is_refused_not_used(isolated_cache, monkeypatch):
    payload = b"x" * 100
    _register(monkeypatch, "tiny", [registry.RemoteFile("tiny.csv", DEAD_URL, _sha(payload), 100)])
    target = data.cached_path("tiny.csv")
    target.parent.mkdir(parents=True)
    target.write_bytes(payload[:60])  # truncated by hand
    with pytest.raises(ChecksumMismatchError) as info:
        data.fetch_file("tiny.csv")
    assert "truncated" in str(info.value) and "refused" in str(info.value)
    assert [row[2] for row in data.verify(["tiny"])] == ["MISMATCH"]


# --------------------------------------------------------------------------- fetch: HTTP
def test_real_http_download_from_local_server(isolated_cache, http_dir, monkeypatch):
    root, base = http_dir
    payload = b"formula,target\nNaCl,5.0\n"
    (root / "gaps.csv").write_bytes(payload)
    _register(monkeypatch, "gaps",
              [registry.RemoteFile("gaps.csv", f"{base}/gaps.csv", _sha(payload), len(payload))])
    path = data.fetch_file("gaps.csv", progress=False)
    assert path.read_bytes() == payload
    assert data.verify(["gaps"]) == [("gaps", "gaps.csv", "ok")]


def test_http_mirror_is_tried_before_canonical_url(isolated_cache, http_dir, monkeypatch):
    root, base = http_dir
    payload = b"served by the mirror"
    (root / "m.txt").write_bytes(payload)
    _register(monkeypatch, "m", [registry.RemoteFile("m.txt", DEAD_URL, _sha(payload), None)])
    monkeypatch.setenv("HOWBIG_MIRROR", base)
    assert data.fetch_file("m.txt").read_bytes() == payload


def test_http_download_with_wrong_checksum_is_refused(isolated_cache, http_dir, monkeypatch):
    root, base = http_dir
    (root / "bad.csv").write_bytes(b"tampered")
    _register(monkeypatch, "bad",
              [registry.RemoteFile("bad.csv", f"{base}/bad.csv", "1" * 64, 8)])
    with pytest.raises(ChecksumMismatchError):
        data.fetch_file("bad.csv")
    assert not data.cached_path("bad.csv").exists()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mp.2018.6.1.json", '{"material_id": ["mp-1"]}' * 500)
    return buffer.getvalue()


def _unpinned_snapshot(http_dir, monkeypatch) -> tuple[Path, bytes, Path]:
    """An unregistered-checksum zip served over HTTP and fetched once: (www root, bytes, path)."""
    root, base = http_dir
    payload = _zip_bytes()
    (root / "snap.zip").write_bytes(payload)
    _register(monkeypatch, "snap",
              [registry.RemoteFile("snap.zip", f"{base}/snap.zip", None, None)])
    return root, payload, data.fetch_file("snap.zip")


def test_unpinned_file_is_pinned_on_first_download(isolated_cache, http_dir, monkeypatch):
    """Trust on first use: the checksum is recorded, and a later different file is refused."""
    root, payload, path = _unpinned_snapshot(http_dir, monkeypatch)
    assert data.sha256sum(path) == _sha(payload)
    # The server now delivers something else: after clearing the cache it must be refused.
    path.unlink()
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("mp.2018.6.1.json", "{}")
    (root / "snap.zip").write_bytes(other.getvalue())
    with pytest.raises(ChecksumMismatchError):
        data.fetch_file("snap.zip")


def test_truncated_archive_gives_clear_error(isolated_cache, http_dir, monkeypatch):
    root, base = http_dir
    payload = _zip_bytes()
    (root / "cut.zip").write_bytes(payload[: len(payload) // 2])
    _register(monkeypatch, "cut", [registry.RemoteFile("cut.zip", f"{base}/cut.zip", None, None)])
    with pytest.raises(CorruptArchiveError, match="truncated"):
        data.fetch_file("cut.zip")
    assert not data.cached_path("cut.zip").exists()


def test_mirror_setting_and_cache_dir_come_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOWBIG_DATA_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("HOWBIG_MIRROR", "  https://mirror.example/data/  ")
    assert data.cache_dir() == tmp_path / "c"
    assert data.mirror() == "https://mirror.example/data/"
    monkeypatch.delenv("HOWBIG_MIRROR")
    assert data.mirror() is None


# --------------------------------------------------------------------------- repair and hints
def test_force_replaces_a_damaged_cached_file_only_with_a_verified_copy(
        isolated_cache, tmp_path, monkeypatch):
    payload = b"x" * 100
    _register(monkeypatch, "tiny", [registry.RemoteFile("tiny.csv", DEAD_URL, _sha(payload), 100)])
    target = data.cached_path("tiny.csv")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"y" * 100)
    # offline: the damaged file stays where it is (not deleted before a good one arrives)
    with pytest.raises(DataUnavailableError):
        data.fetch_file("tiny.csv", force=True)
    assert target.read_bytes() == b"y" * 100
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.csv").write_bytes(payload)
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    with pytest.raises(ChecksumMismatchError, match="--force"):  # without force: refused
        data.fetch_file("tiny.csv")
    assert data.fetch_file("tiny.csv", force=True).read_bytes() == payload
    assert data.verify(["tiny"]) == [("tiny", "tiny.csv", "ok")]


def test_force_refetches_and_repins_a_damaged_unpinned_archive(isolated_cache, http_dir,
                                                                monkeypatch):
    _root, payload, path = _unpinned_snapshot(http_dir, monkeypatch)
    path.write_bytes(payload[:40])  # damaged after it was pinned
    with pytest.raises(ChecksumMismatchError):
        data.fetch_file("snap.zip")
    assert data.fetch_file("snap.zip", force=True).read_bytes() == payload


def test_force_offline_says_the_damaged_copy_was_kept(isolated_cache, http_dir, monkeypatch):
    payload = b"x" * 100
    _register(monkeypatch, "tiny", [registry.RemoteFile("tiny.csv", DEAD_URL, _sha(payload), 100)])
    target = data.cached_path("tiny.csv")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"y" * 100)
    with pytest.raises(DataUnavailableError) as info:
        data.fetch_file("tiny.csv", force=True)
    first, *rest = str(info.value).splitlines()
    assert "damaged copy in the cache was kept" in first and str(target) in first
    assert "not cached" not in str(info.value) and DEAD_URL in "\n".join(rest)
    assert target.read_bytes() == b"y" * 100
    # an unpinned archive: set aside while a new copy is tried, put back when none arrives
    root, _payload, path = _unpinned_snapshot(http_dir, monkeypatch)
    path.write_bytes(b"damaged")
    (root / "snap.zip").unlink()
    with pytest.raises(DataUnavailableError, match="damaged copy in the cache was kept"):
        data.fetch_file("snap.zip", force=True)
    assert path.read_bytes() == b"damaged" and not list(path.parent.glob("*.damaged"))


# --------------------------------------------------------------------------- mirror layouts
def _fill_cache(monkeypatch, cache: Path, files: dict[str, bytes], mirror: Path) -> None:
    monkeypatch.setenv("HOWBIG_DATA_DIR", str(cache))
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    for name in files:
        data.fetch_file(name)


def test_a_cache_serves_as_a_mirror_directory(tmp_path, monkeypatch):
    """Workshop: one machine's cache (``<cache>/<dataset>/<file>``) is the others' mirror."""
    files = {"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"}
    _register(monkeypatch, "pair", [registry.RemoteFile(n, DEAD_URL, _sha(p), len(p))
                                    for n, p in files.items()])
    flat = tmp_path / "flat"
    flat.mkdir()
    for name, payload in files.items():
        (flat / name).write_bytes(payload)
    _fill_cache(monkeypatch, tmp_path / "first", files, flat)  # from a flat mirror
    assert (tmp_path / "first" / "pair" / "a.csv").is_file()
    _fill_cache(monkeypatch, tmp_path / "second", files, tmp_path / "first")  # from that cache
    assert data.verify(["pair"]) == [("pair", "a.csv", "ok"), ("pair", "b.csv", "ok")]


def test_a_cache_served_over_http_is_a_mirror(isolated_cache, http_dir, monkeypatch):
    root, base = http_dir
    payload = b"served from a cache folder"
    (root / "cached").mkdir()
    (root / "cached" / "c.txt").write_bytes(payload)
    _register(monkeypatch, "cached", [registry.RemoteFile("c.txt", DEAD_URL, _sha(payload), None)])
    monkeypatch.setenv("HOWBIG_MIRROR", base)
    assert data.fetch_file("c.txt").read_bytes() == payload


def test_cached_files_are_readable_by_group_and_others(isolated_cache, tmp_path, monkeypatch):
    payload = b"shared\n"
    _register(monkeypatch, "shared", [registry.RemoteFile("s.csv", DEAD_URL, _sha(payload), 7)])
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "s.csv").write_bytes(payload)
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    old = os.umask(0o077)  # even for a private umask: the cache is meant to be shared
    try:
        path = data.fetch_file("s.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE(isolated_cache.stat().st_mode) == 0o755
    path.chmod(0o600)  # a cache filled by an older version: fixed on the next use
    data.fetch_file("s.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(("served", "truncated"), [(b"a,b\n1,", True), (b"a,b\n1,2\n3,4\n", False)])
def test_truncation_hint_only_for_a_shorter_file(isolated_cache, http_dir, monkeypatch, served,
                                                  truncated):
    root, base = http_dir
    payload = b"a,b\n1,2\n"
    (root / "t.csv").write_bytes(served)
    _register(monkeypatch, "t", [registry.RemoteFile("t.csv", DEAD_URL, _sha(payload), 8)])
    monkeypatch.setenv("HOWBIG_MIRROR", base)
    with pytest.raises(ChecksumMismatchError) as info:
        data.fetch_file("t.csv")
    message = str(info.value)
    assert f"It has {len(served):,} bytes where 8 are registered" in message
    assert ("truncated" in message) is truncated
    assert "'t'" in message and DEAD_URL in message
