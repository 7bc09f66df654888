"""A process-pool ``map`` for the CPU-bound per-structure work (symmetry keys, k-NN graphs).

Both run in milliseconds per structure: irrelevant for the quick profile, tens of minutes on one
core for the full profile's ~10^5 structures, so the loaders and graph builders take ``n_jobs``.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import TypeVar

from tqdm.auto import tqdm
from tqdm.contrib.concurrent import process_map

__all__ = ["parallel_map", "resolve_jobs"]

T = TypeVar("T")
R = TypeVar("R")


def resolve_jobs(n_jobs: int) -> int:
    """``-1`` -> all cores; anything below 1 other than -1 is an error."""
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or -1 (all cores), not {n_jobs}")
    return n_jobs


def parallel_map(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    n_jobs: int = 1,
    progress: bool = False,
    desc: str = "",
    chunksize: int = 64,
) -> list[R]:
    """``[func(x) for x in items]``, in ``n_jobs`` processes when that pays off.

    The pool is tqdm's :func:`tqdm.contrib.concurrent.process_map` (a ``ProcessPoolExecutor``
    with a progress bar), started with the ``spawn`` method.

    Parameters
    ----------
    func
        A module-level function (it is pickled to the workers).
    items
        Its arguments, one per call; results keep their order.
    n_jobs
        Processes; ``1`` runs in this process, ``-1`` uses all cores.
    progress, desc
        tqdm bar and its label.
    chunksize
        Items sent to a worker at a time.
    """
    items = list(items)
    n_jobs = resolve_jobs(n_jobs)
    if n_jobs == 1 or len(items) <= n_jobs:
        return list(tqdm(map(func, items), total=len(items), desc=desc or None, leave=False,
                         disable=not progress))
    # "spawn": forking a process that has imported JAX (multithreaded) can deadlock. tqdm shares
    # its write lock with the workers, so that lock must come from the same (spawn) context.
    # The bar advances once per chunk (tqdm counts the pool's tasks), hence its total and unit.
    spawn = multiprocessing.get_context("spawn")
    own_lock = tqdm.__dict__.get("_lock")
    tqdm.set_lock(spawn.RLock())
    try:
        return process_map(func, items, max_workers=n_jobs, chunksize=chunksize,
                           mp_context=spawn, tqdm_class=tqdm,
                           total=math.ceil(len(items) / chunksize), unit=f"x{chunksize}",
                           desc=desc or None, leave=False, disable=not progress)
    finally:
        if own_lock is None:
            del tqdm._lock
        else:
            tqdm.set_lock(own_lock)
