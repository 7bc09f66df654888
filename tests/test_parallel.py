"""The process-pool map keeps order and results; parallel graph building equals serial."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from howbig.methods.graphs import build_graphs
from howbig.parallel import parallel_map, resolve_jobs


def test_serial_map_keeps_order_and_rejects_bad_job_counts():
    assert parallel_map(abs, [-3, 2, -1], n_jobs=1) == [3, 2, 1]
    assert resolve_jobs(-1) >= 1
    with pytest.raises(ValueError, match="n_jobs"):
        resolve_jobs(0)


def test_parallel_graphs_equal_serial_graphs():
    structures = [bulk(el, crystal, a=a) * (n, 1, 1) for el, crystal, a in
                  [("Cu", "fcc", 3.6), ("Fe", "bcc", 2.87), ("Si", "diamond", 5.43)]
                  for n in (1, 2)]
    targets = np.arange(len(structures), dtype=float)
    serial = build_graphs(structures, targets, progress=False)
    parallel = build_graphs(structures, targets, progress=False, n_jobs=2)
    for name in ("atomic_numbers", "senders", "receivers", "distances", "n_node", "n_edge",
                 "targets"):
        assert np.array_equal(getattr(serial, name), getattr(parallel, name)), name


def test_process_pool_equals_serial_with_and_without_progress():
    items = list(range(-50, 50))
    serial = parallel_map(abs, items, n_jobs=1)
    assert serial == [abs(i) for i in items]
    assert parallel_map(abs, items, n_jobs=2, chunksize=7) == serial
    assert parallel_map(abs, items, n_jobs=2, chunksize=7, progress=True, desc="abs") == serial
    assert parallel_map(abs, [], n_jobs=2) == []
