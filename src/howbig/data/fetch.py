"""Fetch registered files into a local cache, from a mirror or the canonical URL, and verify them.

Settings (environment variables)
--------------------------------
``HOWBIG_DATA_DIR``
    Cache directory (default: the OS cache directory, e.g. ``~/.cache/howbig``).
``HOWBIG_MIRROR``
    A directory or a base URL tried *before* the canonical URL. A mirror serves the same files
    under the same names, either flat (``<mirror>/<file name>``) or laid out like the cache
    (``<mirror>/<dataset>/<file name>``: a copy of a cache, or a cache served over HTTP), and is
    checked against the same sha256. Cached files are readable by everyone (mode 0644, folders
    0755), so one account's cache can serve the others.

The downloading is pooch's: one :func:`pooch.create` per dataset and source, whose registry holds
the sha256 of every file (``known_hash``) and whose ``urls`` hold the canonical URLs; pooch
downloads to a temporary file, checks the hash and only then moves the file into the cache. What
is added here: the mirror tried first (a directory is read through a copying downloader), a cached
file is checked before it is used and never silently replaced (``force=True`` replaces it),
archives are opened end to end, files the registry cannot pin are pinned on first download, and
every failure is an error that names the dataset, the URL and what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
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


def sha256sum(path: Path) -> str:
    """Hex sha256 of a file."""
    return pooch.file_hash(str(path), alg="sha256")


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


def _pin(ds: Dataset, entry: RemoteFile, digest: str | None) -> None:
    """Record (or, with ``digest=None``, forget) the checksum of an unpinned file."""
    pins = _pins_path(ds)
    table = json.loads(pins.read_text()) if pins.is_file() else {}
    if digest is None:
        table.pop(entry.name, None)
    else:
        table[entry.name] = digest
    pins.parent.mkdir(parents=True, exist_ok=True)
    pins.write_text(json.dumps(table, indent=1, sort_keys=True))
    _share(pins)


def _size_hint(entry: RemoteFile, size: int | None) -> str:
    if size is None or not entry.size or size == entry.size:
        return ""
    hint = " (a truncated download?)" if size < entry.size else ""
    return f" It has {size:,} bytes where {entry.size:,} are registered{hint}."


def _cached_mismatch(ds: Dataset, entry: RemoteFile, path: Path, got: str,
                     expected: str) -> ChecksumMismatchError:
    return ChecksumMismatchError(
        f"Dataset {ds.name!r}: the cached file {path} has sha256 {got}, but the registry "
        f"expects {expected}.{_size_hint(entry, path.stat().st_size)} The file is refused and "
        f"was not used. Replace it with a verified copy: `howbig data fetch {ds.name} --force` "
        f"(from HOWBIG_MIRROR if set, else {entry.url})."
    )


def _download_mismatch(ds: Dataset, entry: RemoteFile, origin: str, size: int | None,
                       detail: str) -> ChecksumMismatchError:
    return ChecksumMismatchError(
        f"Dataset {ds.name!r}: file {entry.name} from {origin} does not match the registry's "
        f"sha256 ({detail}).{_size_hint(entry, size)} The download is refused and was not kept. "
        f"Check that {origin} serves the registered version of the file; canonical URL: "
        f"{entry.url}"
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
            f"truncated. The file is refused. Fetch a fresh copy with "
            f"`howbig data fetch {ds.name} --force` (canonical URL: {entry.url})."
        ) from exc


def _cached_problem(ds: Dataset, entry: RemoteFile, path: Path,
                    expected: str | None) -> ChecksumMismatchError | CorruptArchiveError | None:
    """Why the cached file at ``path`` must not be used, or ``None`` if it is good."""
    got = sha256sum(path)
    if expected is not None:
        return None if got == expected else _cached_mismatch(ds, entry, path, got, expected)
    try:
        _check_archive(ds, entry, path)
    except CorruptArchiveError as exc:
        return exc
    _pin(ds, entry, got)
    return None


class _Downloader:
    """A pooch downloader that remembers how many bytes it wrote (for the truncation hint).

    A mirror *directory* is read by copying; URLs go through :class:`pooch.HTTPDownloader`.
    """

    def __init__(self, progress: bool) -> None:
        self.progress = progress
        self.size: int | None = None

    def __call__(self, url: str, output_file: str, pup: pooch.Pooch | None) -> None:
        if "://" in url:
            pooch.HTTPDownloader(progressbar=self.progress, timeout=60)(url, output_file, pup)
        else:
            shutil.copyfile(url, output_file)
        self.size = os.path.getsize(output_file)


def _sources(ds: Dataset, entry: RemoteFile) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(origin, base URL, url overrides) of each place to try, mirror first.

    A mirror holds ``<mirror>/<file>`` or, as a copy of a cache does,
    ``<mirror>/<dataset>/<file>``; a directory is looked into, a URL is tried in both forms.
    """
    setting = mirror()
    if setting:
        if "://" in setting:
            base = setting.rstrip("/") + "/"
            for folder in (base, f"{base}{ds.name}/"):
                yield folder + entry.name, folder, {}
        else:
            root = Path(setting).expanduser()
            nested = root / ds.name
            folder = nested if not (root / entry.name).is_file() and (
                nested / entry.name).is_file() else root
            base = str(folder) + os.sep
            yield f"the mirror directory ({base + entry.name})", base, {}
    yield entry.url, "", {entry.name: entry.url}


def _share(path: Path) -> None:
    """Make a cached file readable by everyone (0644) and its folders listable (0755).

    pooch writes through a temporary file of mode 0600; a cache shared by the accounts of a
    workshop machine, or served to a room as a mirror, must be readable by all of them. A cache
    owned by another account is left as it is.
    """
    for item, mode in ((path, 0o644), (path.parent, 0o755), (path.parent.parent, 0o755)):
        try:
            if stat.S_IMODE(item.stat().st_mode) & mode != mode:
                os.chmod(item, stat.S_IMODE(item.stat().st_mode) | mode)
        except OSError:
            pass


def fetch_file(file_name: str, *, progress: bool = False, force: bool = False) -> Path:
    """Return the local path of a registered file, fetching and verifying it if needed.

    Order of sources: the cache, then ``HOWBIG_MIRROR`` (directory or base URL), then the
    canonical URL. Every file is checked against the registry's sha256.

    Parameters
    ----------
    file_name
        A registered file name (see :func:`howbig.data.file_entry`).
    progress
        Show a download progress bar.
    force
        Replace a cached file that fails its check (instead of raising); the damaged file is
        kept until a verified copy has arrived.

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
    damaged: Path | None = None  # a refused cached copy, kept until a verified one arrives
    if target.is_file():
        problem = _cached_problem(ds, entry, target, expected)
        if problem is None:
            _share(target)  # caches filled before files were made readable to all
            return target
        if not force:
            raise problem
        damaged = target
        if entry.sha256 is None:  # a pinned-on-first-use file: forget the pin, fetch again
            _pin(ds, entry, None)
            damaged = target.with_name(target.name + ".damaged")
            os.replace(target, damaged)  # pooch would take the file at ``target`` as fetched
            expected = None
    try:
        path = _download(ds, entry, target, expected, progress)
    except DataUnavailableError as exc:
        if damaged is None:
            raise
        if damaged != target:
            os.replace(damaged, target)
        raise DataUnavailableError(
            f"Dataset {ds.name!r}: no verified copy of {entry.name} could be fetched; the damaged "
            f"copy in the cache was kept (it is refused, not used): {target}\n"
            + str(exc).split("\n", 1)[1]) from None
    if damaged is not None and damaged != target:
        damaged.unlink(missing_ok=True)
    return path


def _download(ds: Dataset, entry: RemoteFile, target: Path, expected: str | None,
              progress: bool) -> Path:
    """Fetch ``entry`` into ``target`` from the first source that delivers it (mirror first)."""
    failures: list[str] = []
    for origin, base_url, urls in _sources(ds, entry):
        if not urls and "://" not in base_url and not Path(base_url + entry.name).is_file():
            failures.append(f"{origin}: no such file")
            continue
        pup = pooch.create(path=target.parent, base_url=base_url, urls=urls,
                           registry={entry.name: f"sha256:{expected}" if expected else None})
        downloader = _Downloader(progress)
        try:
            path = Path(pup.fetch(entry.name, downloader=downloader))
        except ValueError as exc:  # pooch: hash mismatch; the temporary file is already gone
            raise _download_mismatch(ds, entry, origin, downloader.size, str(exc)) from exc
        except requests.ConnectionError:
            failures.append(f"{origin}: no connection (offline, or the host is unreachable)")
            continue
        except (requests.RequestException, OSError) as exc:
            failures.append(f"{origin}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        try:
            _check_archive(ds, entry, path)
        except CorruptArchiveError:
            path.unlink(missing_ok=True)
            raise
        if expected is None:
            _pin(ds, entry, sha256sum(path))
        _share(path)
        return path

    sha_hint = f" (sha256 {expected})" if expected else ""
    tried = "\n  - ".join(failures)
    raise DataUnavailableError(
        f"Dataset {ds.name!r}: file {entry.name} is not cached and could not be fetched.\n"
        f"Tried:\n  - {tried}\n"
        f"Canonical URL: {entry.url}\n"
        f"What to do: download it on a machine with internet access and put it at\n"
        f"  {target}{sha_hint}\n"
        f"or point HOWBIG_MIRROR at a directory holding {entry.name} (or a copy of a cache, "
        f"{ds.name}/{entry.name}); `howbig data fetch {ds.name}` then verifies it."
    )


def fetch(name: str, *, progress: bool = False, force: bool = False) -> dict[str, Path]:
    """Fetch every file of dataset ``name``; returns ``{file name: local path}``."""
    ds = dataset(name)
    return {f.name: fetch_file(f.name, progress=progress, force=force) for f in ds.files}


def verify(names: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Re-check the checksums of cached files.

    Returns
    -------
    list of (dataset, file, status)
        ``status`` is ``"ok"``, ``"ok (unpinned)"``, ``"missing"`` or ``"MISMATCH"``.
    """
    rows = []
    for ds in (dataset(n) for n in (names or sorted(REGISTRY))):
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
