"""Benchmark of Chapter 2's data side: CIF parsing, keys (spglib), cached loads, ASE-db store.

Prints ``name: value unit`` lines: structures per second for the P1 fast path and for ase's
general CIF reader on the same real MP CIFs, keys per second (spglib at symprec 0.1), the time to
load the three quick-profile tables from the parse cache, and rows per second written to / read
from an SQLite ASE database.

Run: ``HOWBIG_MIRROR=../shared/data nice -n 10 python benchmarks/bench_data_loaders.py``.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import pandas as pd
from ase.io import read

from howbig.data import fetch_file
from howbig.data.keys import composition_spacegroup_keys
from howbig.data.sources import (
    load_aflow_icsd_keys,
    load_cmr_perovskites,
    load_mp20_sample,
    parse_cifs,
)
from howbig.data.store import read_table, write_table


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main() -> int:
    cifs = pd.read_csv(fetch_file("mp20_sample.csv"), index_col=0)["cif"].tolist()
    t = time.perf_counter()
    atoms = parse_cifs(cifs)
    fast = time.perf_counter() - t
    sample = cifs[:100]
    t = time.perf_counter()
    for text in sample:
        read(io.StringIO(text), format="cif")
    general = time.perf_counter() - t
    print(f"cif_parse_fast: {_rate(len(cifs), fast):.0f} structures/s")
    print(f"cif_parse_ase: {_rate(len(sample), general):.0f} structures/s")
    t = time.perf_counter()
    composition_spacegroup_keys(atoms)
    print(f"keys_spglib: {_rate(len(atoms), time.perf_counter() - t):.0f} structures/s")

    for name, loader in (("mp20", load_mp20_sample), ("cmr", load_cmr_perovskites),
                         ("aflow_icsd", load_aflow_icsd_keys)):
        loader()  # make sure the cache is warm
        t = time.perf_counter()
        table = loader()
        print(f"cached_load_{name}: {time.perf_counter() - t:.3f} s ({len(table)} rows)")

    table = load_cmr_perovskites().iloc[:2000]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        write_table(table, db, append=False)
        print(f"store_write: {_rate(len(table), time.perf_counter() - t):.0f} rows/s")
        t = time.perf_counter()
        back = read_table(db)
        print(f"store_read: {_rate(len(back), time.perf_counter() - t):.0f} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
