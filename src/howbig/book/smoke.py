"""The smoke profile's data: fixture files in the real formats, served on 127.0.0.1.

``howbig book build --profile smoke`` runs the full profile's code paths on tiny data. The
loaders are the real ones; only their sources point at a local server (:class:`FixtureServer`)
started by the build, through the settings every data source reads:

``HOWBIG_MIRROR`` = ``http://127.0.0.1:<port>/mirror``
    registered files: ``mp.2018.6.1.json.zip`` is built from ``mp2018_records.json``
    (its checksum is pinned on first download, in the smoke cache only); every other file is
    served from the mirror directory of the calling environment, if any (small registered files
    keep their published checksums, so they cannot be faked).
``HOWBIG_AFLUX_URL`` = ``http://127.0.0.1:<port>/API/aflux/v1.0/``
    the AFLUX API, paging ``aflux_entries.json`` by ``$paging(n, size)``.
``HOWBIG_NOMAD_URL`` = ``http://127.0.0.1:<port>/api/v1``
    the NOMAD archive query (``POST /entries/archive/query``), paging
    ``tests/fixtures/nomad_hbn_archive.json`` by ``page_after_value``.
``HOWBIG_DATA_DIR``
    a cache of its own (``<build dir>/smoke-data/data-cache``): fixtures never enter the real cache.

The MP-2018 and AFLUX fixtures of the smoke build are ``tests/fixtures/smoke/`` (a few dozen real
MP-20 structures in those formats, made by ``tests/fixtures/make_smoke_fixtures.py``); the NOMAD
archive is ``tests/fixtures/nomad_hbn_archive.json``.

:func:`stand_in_mentions` checks a rendered smoke site for the names of the quick profile's
stand-ins that the smoke profile does not use (:func:`howbig.profiles.stand_in_names`, read from
the profiles' data sources): a smoke page that names one still runs a quick-profile branch.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from howbig.profiles import stand_in_names

__all__ = ["FixtureServer", "smoke_environment", "smoke_fixtures", "stand_in_mentions"]

MP2018_ZIP, MP2018_MEMBER = "mp.2018.6.1.json.zip", "mp.2018.6.1.json"
#: Pages of the rendered site that are not checked: generated indices and the bibliography
#: (which lists cited works by title, whatever profile cited them).
UNCHECKED_PAGES = ("genindex.html", "search.html", "references.html")


def smoke_fixtures(fixtures: Path) -> dict[str, Path]:
    """The fixture files of a ``tests/fixtures`` folder: its ``smoke/`` versions where present."""
    names = {"mp2018": "mp2018_records.json", "aflux": "aflux_entries.json",
             "nomad": "nomad_hbn_archive.json"}
    return {key: (Path(fixtures) / "smoke" / name if (Path(fixtures) / "smoke" / name).is_file()
                  else Path(fixtures) / name) for key, name in names.items()}


def _build_overlay(mp2018_records: Path, overlay: Path) -> None:
    """Files served under ``/mirror`` in place of the real ones, built from the fixtures."""
    overlay.mkdir(parents=True, exist_ok=True)
    records = mp2018_records.read_bytes()
    target = overlay / MP2018_ZIP
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(MP2018_MEMBER, date_time=(2018, 6, 1, 0, 0, 0))
        archive.writestr(info, records)  # fixed timestamp: the same bytes every build


class FixtureServer:
    """AFLUX, NOMAD and a file mirror on 127.0.0.1, fed by ``tests/fixtures``.

    Parameters
    ----------
    fixtures
        ``{"mp2018": path, "aflux": path, "nomad": path}`` (see :func:`smoke_fixtures`), or a
        folder holding ``mp2018_records.json``, ``aflux_entries.json``, ``nomad_hbn_archive.json``.
    workdir
        Where the fixture-built mirror files go.
    fallback_mirror
        A mirror directory for the registered files the fixtures do not replace (``None``:
        such requests get 404 and the fetcher falls back to the canonical URL).

    Use as a context manager; :attr:`environment` holds the settings to export.
    """

    def __init__(self, fixtures: Path | dict[str, Path], workdir: Path,
                 fallback_mirror: Path | None = None):
        if not isinstance(fixtures, dict):
            fixtures = {"mp2018": Path(fixtures) / "mp2018_records.json",
                        "aflux": Path(fixtures) / "aflux_entries.json",
                        "nomad": Path(fixtures) / "nomad_hbn_archive.json"}
        self.fixtures, self.workdir = fixtures, Path(workdir)
        self.fallback = Path(fallback_mirror) if fallback_mirror else None
        self.aflux = json.loads(Path(fixtures["aflux"]).read_text())
        nomad = json.loads(Path(fixtures["nomad"]).read_text())["entries"]
        self.nomad = sorted(nomad, key=lambda e: e["entry_id"])
        self.overlay = self.workdir / "mirror"
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    # -- routes ------------------------------------------------------------------------------
    def _mirror(self, name: str) -> tuple[int, bytes]:
        for folder in (self.overlay, self.fallback):
            if folder is not None and name and "/" not in name and (folder / name).is_file():
                return 200, (folder / name).read_bytes()
        return 404, b""

    def _aflux_page(self, query: str) -> tuple[int, bytes]:
        match = re.search(r"\$paging\((\d+),(\d+)\)", query)
        if match is None:
            return 400, b"AFLUX stand-in: no $paging(n,size) in the request"
        page, size = int(match.group(1)), int(match.group(2))
        return 200, json.dumps(self.aflux[(page - 1) * size: page * size]).encode()

    def _nomad_page(self, body: dict[str, Any]) -> tuple[int, bytes]:
        pagination = body.get("pagination", {})
        size = int(pagination.get("page_size", 10))
        after = pagination.get("page_after_value")
        ids = [e["entry_id"] for e in self.nomad]
        start = ids.index(after) + 1 if after in ids else 0
        page = self.nomad[start:start + size]
        more = start + size < len(self.nomad)
        payload = {
            "owner": body.get("owner"), "query": body.get("query"),
            "required": body.get("required"),
            "pagination": {"page_size": size, "order_by": "entry_id", "order": "asc",
                           "total": len(self.nomad), "page_after_value": after,
                           "next_page_after_value": page[-1]["entry_id"] if more else None},
            "data": page,
        }
        return 200, json.dumps(payload).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # the build log stays readable
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = unquote(self.path)
                server.requests.append(f"GET {path}")
                if path.startswith("/mirror/"):
                    self._send(*server._mirror(path.removeprefix("/mirror/")))
                elif path.startswith("/API/aflux/v1.0"):
                    self._send(*server._aflux_page(path))
                else:
                    self._send(404, b"")

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                if self.path.rstrip("/") != "/api/v1/entries/archive/query":
                    self._send(404, b"")
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self._send(*server._nomad_page(body))

        return Handler

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fixture server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def environment(self) -> dict[str, str]:
        """The settings that point the data sources at this server and at a separate cache."""
        return {
            "HOWBIG_MIRROR": f"{self.base_url}/mirror",
            "HOWBIG_AFLUX_URL": f"{self.base_url}/API/aflux/v1.0/",
            "HOWBIG_NOMAD_URL": f"{self.base_url}/api/v1",
            "HOWBIG_DATA_DIR": str(self.workdir / "data-cache"),
        }

    def __enter__(self) -> FixtureServer:
        _build_overlay(Path(self.fixtures["mp2018"]), self.overlay)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def smoke_environment(root: Path, build_dir: Path) -> FixtureServer:
    """The fixture server of the repository at ``root`` (not started; use ``with``)."""
    mirror = os.environ.get("HOWBIG_MIRROR", "").strip()
    fallback = Path(mirror) if mirror and Path(mirror).is_dir() else None
    fixtures = smoke_fixtures(root / "tests" / "fixtures")
    return FixtureServer(fixtures, build_dir / "smoke-data", fallback)


def _page_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def stand_in_mentions(site: Path, names: dict[str, tuple[str, ...]] | None = None
                      ) -> list[tuple[str, str]]:
    """``(page, name)`` for every rendered page of ``site`` whose text names a stand-in dataset.

    ``names``: label -> names to look for (default :func:`howbig.profiles.stand_in_names`).
    Whole words, case-sensitive; scripts, styles and :data:`UNCHECKED_PAGES` are skipped.
    """
    if names is None:
        names = stand_in_names()
    patterns = {n: re.compile(rf"(?<![\w-]){re.escape(n)}(?![\w-])")
                for group in names.values() for n in group}
    found = []
    for page in sorted(Path(site).rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        if relative in UNCHECKED_PAGES or relative.startswith(("_static/", "_sources/")):
            continue
        text = _page_text(page)
        found += [(relative, n) for n, pattern in patterns.items() if pattern.search(text)]
    return found
