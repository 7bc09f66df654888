"""NOMAD loader against a local server that speaks the API's paged archive-query format."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from howbig.data.errors import DataUnavailableError
from howbig.data.sources import nomad
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "nomad_hbn_archive.json"


class _Api:
    """A minimal NOMAD API v1: pages ``entries`` by ``page_after_value`` (the entry id)."""

    def __init__(self, entries: list[dict]) -> None:
        self.entries = sorted(entries, key=lambda e: e["entry_id"])
        self.requests: list[dict] = []

    def handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                if self.path != "/api/v1/entries/archive/query":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append(body)
                size = body["pagination"]["page_size"]
                after = body["pagination"].get("page_after_value")
                ids = [e["entry_id"] for e in api.entries]
                start = ids.index(after) + 1 if after else 0
                page = api.entries[start:start + size]
                more = start + size < len(api.entries)
                payload = {
                    "owner": body["owner"], "query": body["query"], "required": body["required"],
                    "pagination": {"page_size": size, "order_by": "entry_id", "order": "asc",
                                   "total": len(api.entries), "page_after_value": after,
                                   "next_page_after_value": page[-1]["entry_id"] if more else None},
                    "data": page,
                }
                raw = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler


@pytest.fixture
def local_api():
    api = _Api(json.loads(FIXTURE.read_text())["entries"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), api.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api, f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    server.shutdown()
    server.server_close()


def test_paged_cached_load(local_api, isolated_cache):
    api, url = local_api
    grid = np.linspace(-12, 12, 1201)
    pages = list(nomad.iter_archive_pages(nomad.HBN_QUERY, nomad.HBN_REQUIRED, base_url=url,
                                          page_size=3))
    assert [len(p["data"]) for p in pages] == [3, 1]
    assert api.requests[1]["pagination"]["page_after_value"] == "hBNfixture02"
    api.requests.clear()

    energies, dos, meta = nomad.load_nomad_dos(base_url=url, energy_grid=grid, page_size=2,
                                                progress=False)
    assert len(api.requests) == 2  # 4 entries in pages of 2
    assert dos.shape == (3, len(grid))
    assert meta.attrs["skipped"] == 1  # the entry without a DOS
    assert meta["kmesh"].tolist() == ["4x4x2", "8x8x4", "12x12x6"]
    assert meta["n_kpoints"].tolist() == [32, 256, 864]
    assert meta["xc"].tolist()[1] == "GGA_C_PBE,GGA_X_PBE"
    assert meta["code"].eq("FHI-aims").all()
    # planted: 4 states centred 3 eV below the VBM, 2 states 5 eV above, whatever the VBM
    for row in dos:
        valence = (energies > -8) & (energies < 0)
        conduction = (energies > 0) & (energies < 10)
        assert np.trapezoid(row[valence], energies[valence]) == pytest.approx(4, rel=0.02)
        assert np.trapezoid(row[conduction], energies[conduction]) == pytest.approx(2, rel=0.02)
        assert energies[np.argmax(row)] == pytest.approx(-3, abs=0.3)

    api.requests.clear()
    again = nomad.load_nomad_dos(base_url=url, energy_grid=grid, page_size=2, progress=False)
    assert api.requests == []  # served from the cache
    np.testing.assert_array_equal(again[1], dos)


def test_unreachable_api_speaks(isolated_cache):
    with pytest.raises(DataUnavailableError, match="not reachable"):
        nomad.query_archive(base_url="http://127.0.0.1:9/api/v1", use_cache=False)
