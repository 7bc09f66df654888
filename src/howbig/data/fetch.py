"""Fetch registered files into a local cache, from a mirror or the canonical URL, and verify them.

Settings (environment variables)
--------------------------------
``HOWBIG_DATA_DIR``
    Cache directory (default: the OS cache directory, e.g. ``~/.cache/howbig``).
``HOWBIG_MIRROR``
    A directory or a base URL tried *before* the canonical URL. A mirror serves the same files
    under the same names (``<mirror>/<file name>``) and is checked against the same sha256.

Every file is checked against the registry's sha256; a file that does not match is refused,
never used. There is no silent fallback to other data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pooch
import requests

from howbig.data.errors import ChecksumMismatchError, CorruptArchiveError, DataUnavailableError
from howbig.data.registry import REGISTRY, Dataset, RemoteFile, dataset, file_entry

__all__ = [
    "cache_dir",
    "cached_path",
    "fetch",
    "fetch_file",
    "is_cached",
    "mirror",
    "sha256sum",
    "verify",
]

_PINS = "SHA256SUMS.json"  # checksums pinned on first download, for files the registry can't pin
pooch.get_logger().setLevel("WARNING")


def cache_dir() -> Path:
    """The cache directory (``HOWBIG_DATA_DIR`` or the OS cache)."""
    env = os.environ.get("HOWBIG_DATA_DIR")
    return Path(env).expanduser() if env else Path(pooch.os_cache("howbig"))


def mirror() -> str | None:
    """The mirror directory or base URL (``HOWBIG_MIRROR``), or ``None``."""
    value = os.environ.get("HOWBIG_MIRROR", "").strip()
    return value or None


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cached_path(file_name: str) -> Path:
    """Where ``file_name`` lives in the cache (whether or not it is there yet)."""
    ds, entry = file_entry(file_name)
    return cache_dir() / ds.name / entry.name


def is_cached(file_name: str) -> bool:
    """True if the file is in the cache (checksum not re-checked; see :func:`verify`)."""
    return cached_path(file_name).is_file()


def _pins_path(ds: Dataset) -> Path:
    return cache_dir() / ds.name / _PINS


def _expected_sha(ds: Dataset, entry: RemoteFile) -> str | None:
    if entry.sha256:
        return entry.sha256
    pins = _pins_path(ds)
    if pins.is_file():
        return json.loads(pins.read_text()).get(entry.name)
    return None


def _pin(ds: Dataset, entry: RemoteFile, digest: str) -> None:
    pins = _pins_path(ds)
    table = json.loads(pins.read_text()) if pins.is_file() else {}
    table[entry.name] = digest
    pins.parent.mkdir(parents=True, exist_ok=True)
    pins.write_text(json.dumps(table, indent=1, sort_keys=True))


def _mismatch(ds: Dataset, entry: RemoteFile, path: Path, got: str, expected: str, origin: str):
    size = path.stat().st_size if path.exists() else 0
    truncated = (
        f" It has {size:,} bytes where {entry.size:,} are expected: a truncated download?"
        if entry.size and size != entry.size
        else ""
    )
    return ChecksumMismatchError(
        f"Dataset {ds.name!r}: file {entry.name} from {origin} has sha256 {got}, but the registry "
        f"expects {expected}.{truncated} The file is refused and was not used. Delete {path} if it "
        f"is still there and fetch again (`howbig data fetch {ds.name}`); "
        f"canonical URL: {entry.url}"
    )


def _check_archive(ds: Dataset, entry: RemoteFile, path: Path) -> None:
    """Open archives end to end: a truncated zip/tar gives a clear error, not a late crash."""
    name = entry.name
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                if bad is not None:
                    raise zipfile.BadZipFile(f"member {bad} is damaged")
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as archive:
                for _member in archive:
                    pass
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise CorruptArchiveError(
            f"Dataset {ds.name!r}: archive {path} cannot be read ({exc}); it is probably "
            f"truncated. The file is refused. Delete it and fetch again from {entry.url}."
        ) from exc


def _accept(ds: Dataset, entry: RemoteFile, tmp: Path, target: Path, origin: str) -> Path:
    """Verify a freshly obtained file and move it into the cache."""
    expected = _expected_sha(ds, entry)
    got = sha256sum(tmp)
    if expected is not None and got != expected:
        err = _mismatch(ds, entry, tmp, got, expected, origin)
        tmp.unlink(missing_ok=True)
        raise err
    try:
        _check_archive(ds, entry, tmp)
    except CorruptArchiveError:
        tmp.unlink(missing_ok=True)
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    if expected is None:
        _pin(ds, entry, got)
    return target


def _download(url: str, dest: Path, progress: bool) -> None:
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=60)
    downloader(url, str(dest), None)


def fetch_file(file_name: str, *, progress: bool = False) -> Path:
    """Return the local path of a registered file, fetching and verifying it if needed.

    Order of sources: the cache, then ``HOWBIG_MIRROR`` (directory or base URL), then the
    canonical URL. Every file is checked against the registry's sha256.

    Raises
    ------
    DataUnavailableError
        Not cached and no source could be reached (offline); says where to put the file by hand.
    ChecksumMismatchError
        A cached, mirrored or downloaded file does not match; the file is refused.
    CorruptArchiveError
        An archive cannot be read end to end.
    """
    ds, entry = file_entry(file_name)
    target = cache_dir() / ds.name / entry.name
    expected = _expected_sha(ds, entry)
    if target.is_file():
        got = sha256sum(target)
        if expected is not None and got != expected:
            raise _mismatch(ds, entry, target, got, expected, f"the cache ({target})")
        if expected is None:
            _check_archive(ds, entry, target)
            _pin(ds, entry, got)
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    sources: list[str] = []
    mirror_setting = mirror()
    if mirror_setting:
        if mirror_setting.startswith(("http://", "https://", "ftp://")):
            sources.append(mirror_setting.rstrip("/") + "/" + entry.name)
        else:
            local = Path(mirror_setting).expanduser() / entry.name
            if local.is_file():
                fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".part")
                os.close(fd)
                shutil.copyfile(local, tmp_name)
                return _accept(ds, entry, Path(tmp_name), target, f"the mirror ({local})")
            failures.append(f"mirror directory: {local} does not exist")
    sources.append(entry.url)

    for url in sources:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _download(url, tmp, progress)
        except (requests.RequestException, OSError) as exc:
            tmp.unlink(missing_ok=True)
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        return _accept(ds, entry, tmp, target, url)

    sha_hint = f" (sha256 {expected})" if expected else ""
    tried = "\n  - ".join(failures)
    raise DataUnavailableError(
        f"Dataset {ds.name!r}: file {entry.name} is not cached and could not be fetched.\n"
        f"Tried:\n  - {tried}\n"
        f"Canonical URL: {entry.url}\n"
        f"What to do: download it on a machine with internet access and put it at\n"
        f"  {target}{sha_hint}\n"
        f"or point HOWBIG_MIRROR at a directory holding {entry.name}; "
        f"`howbig data fetch {ds.name}` then verifies it."
    )


def fetch(name: str, *, progress: bool = False) -> dict[str, Path]:
    """Fetch every file of dataset ``name``; returns ``{file name: local path}``."""
    ds = dataset(name)
    return {f.name: fetch_file(f.name, progress=progress) for f in ds.files}


def verify(names: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Re-check the checksums of cached files.

    Returns
    -------
    list of (dataset, file, status)
        ``status`` is ``"ok"``, ``"missing"`` or ``"MISMATCH"``.
    """
    rows = []
    for ds in (REGISTRY[n] for n in (names or sorted(REGISTRY))):
        for entry in ds.files:
            path = cache_dir() / ds.name / entry.name
            expected = _expected_sha(ds, entry)
            if not path.is_file():
                status = "missing"
            elif expected is None:
                status = "ok (unpinned)"
            else:
                status = "ok" if sha256sum(path) == expected else "MISMATCH"
            rows.append((ds.name, entry.name, status))
    return rows
