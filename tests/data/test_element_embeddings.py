"""The element-embedding tables (mat2vec, matscholar): shape, indexing and refused files."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from howbig.data import registry
from howbig.data.errors import ChecksumMismatchError, DataError, DataUnavailableError
from howbig.data.sources import element_embeddings as emb

DEAD_URL = "http://127.0.0.1:9/unreachable.csv"


def _csv(symbols: list[str], dim: int = emb.EMBEDDING_DIM, value: str | None = None) -> str:
    header = "element," + ",".join(str(i) for i in range(dim))
    rows = [f"{s}," + ",".join(value or f"{0.01 * (i + k):.3f}" for k in range(dim))
            for i, s in enumerate(symbols)]
    return "\n".join([header, *rows]) + "\n"


def _register_fake(monkeypatch, payload: bytes) -> None:
    """A throwaway embedding dataset ``fake`` whose canonical URL is unreachable."""
    entry = registry.RemoteFile("element_fake.csv", DEAD_URL,
                                hashlib.sha256(payload).hexdigest(), len(payload))
    ds = registry.Dataset(name="element_fake", description="test", licence="CC0",
                          citation="test", bibkey="test", files=(entry,))
    monkeypatch.setitem(registry.REGISTRY, ds.name, ds)
    monkeypatch.setitem(registry._FILES, entry.name, (ds, entry))
    monkeypatch.setitem(emb.ELEMENT_EMBEDDINGS, "fake", ds.name)


def test_registered_tables_are_indexed_by_atomic_number(shared_mirror):
    mat2vec = emb.load_element_embeddings("mat2vec")
    matscholar = emb.load_element_embeddings("matscholar")
    for table in (mat2vec, matscholar):
        assert table.shape == (119, 200) and table.dtype == np.float32
        assert not table[0].any()  # padding row
        assert np.isfinite(table).all()
    assert np.count_nonzero(np.abs(mat2vec).sum(axis=1)) == 118  # H .. Og
    assert np.count_nonzero(np.abs(matscholar).sum(axis=1)) == 103  # H .. Lr
    assert np.allclose(np.linalg.norm(matscholar[1:104], axis=1), 1.0, atol=1e-4)
    assert not matscholar[104:].any()
    assert not np.allclose(mat2vec[26], mat2vec[8])  # Fe, O


def test_reader_places_rows_by_atomic_number(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(_csv(["O", "H"], dim=3))
    table = emb.read_element_embeddings(path, dim=3)
    assert table.shape == (119, 3)
    assert np.allclose(table[8], [0.0, 0.01, 0.02]) and np.allclose(table[1], [0.01, 0.02, 0.03])
    assert not table[2:8].any()


@pytest.mark.parametrize(("text", "match"), [
    ("name,0,1,2\nH,1,2,3\n", "no 'element' column"),
    ("element,0,1\nH,1,2\n", "2 value columns, expected 3"),
    ("element,0,1,2\nH,1,x,3\n", "not finite"),
    ("element,0,1,2\nXq,1,2,3\n", "unknown element"),
    ("element,0,1,2\nH,1,2,3\nH,1,2,3\n", "repeated"),
    ("", "not a readable CSV"),
])
def test_reader_refuses_a_malformed_table(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=match):
        emb.read_element_embeddings(path, dim=3)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="mat2vec"):
        emb.load_element_embeddings("word2vec")


def test_missing_file_names_the_dataset(isolated_cache, monkeypatch):
    _register_fake(monkeypatch, _csv(["H"]).encode())
    with pytest.raises(DataUnavailableError, match="element_fake"):
        emb.load_element_embeddings("fake")


def test_corrupted_file_is_refused(isolated_cache, tmp_path, monkeypatch):
    good = _csv(["H", "He"]).encode()
    _register_fake(monkeypatch, good)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("HOWBIG_MIRROR", str(mirror))
    (mirror / "element_fake.csv").write_bytes(good.replace(b"H,", b"N,", 1))  # same size
    with pytest.raises(ChecksumMismatchError, match="element_fake"):
        emb.load_element_embeddings("fake")
    (mirror / "element_fake.csv").write_bytes(good)
    table = emb.load_element_embeddings("fake")
    assert table.shape == (119, 200) and table[1].any() and table[2].any()
