"""Keep XLA's large per-step buffers in the process heap instead of mapping them anew each step.

On CPU, XLA allocates one block of temporaries for every execution of a compiled program: about
40 MB for an MPEU gradient step at latent size 64 and batch 32, several times that at latent 256.
glibc's ``malloc`` serves such blocks with a fresh ``mmap`` and unmaps them on ``free`` (above
its *mmap threshold*, at most 32 MiB under its adaptive default, and always for blocks that do
not fit the 64 MiB heap of a thread's own arena, which is where XLA's execution thread
allocates), so every step touches ~10^4 new pages, each zeroed by the kernel on first touch.
On the development machine (one core, ``benchmarks/bench_training.py``) that was a third of an
MPEU step at latent 64 and a sixth at latent 256.

:func:`keep_large_blocks_in_heap` raises the mmap threshold (blocks up to
:data:`MMAP_THRESHOLD` come from the heap), the trim threshold and the top pad (freed memory is
kept for the next step rather than returned and faulted in again), and limits the process to one
malloc arena, so that threads created afterwards (XLA's) allocate from the main heap, which can
grow past 64 MiB. Blocks above the threshold are still mapped and returned to the system as
before. Only glibc is touched: on macOS, Windows or musl nothing changes, and setting the
environment variable ``HOWBIG_MALLOC_DEFAULTS=1`` leaves glibc's defaults alone.

Who applies it: the training entry points, :func:`howbig.methods.training.train` (and so every
model the book trains) and :func:`howbig.methods.profiling.profile_steps`, on their first call;
``import howbig`` changes nothing. The arena limit reaches only threads that have not allocated
yet: a process that runs JAX computations before its first training run (XLA's threads then
have their own arenas) gets the thresholds but not the single arena, so a script that wants the
whole effect calls :func:`keep_large_blocks_in_heap` first thing, as the benchmarks do.

The four settings go together: a raised mmap threshold alone leaves the trim threshold at its
128 KiB default, so the heap shrinks and grows (and faults) around every large block, which
halved the throughput of the Chapter 2 stoichiometry loop when tried; the single arena costs
that loop a few per cent (lock sharing between Python's thread and XLA's), against the sixth of
an MPEU step at latent 256 that it saves.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

__all__ = ["MMAP_THRESHOLD", "TOP_PAD", "TRIM_THRESHOLD", "keep_large_blocks_in_heap"]

#: blocks up to this size come from the heap (covers an MPEU step at latent 256, ~160 MB)
MMAP_THRESHOLD = 256 * 2**20
#: free memory at the top of the heap is returned to the system only above this size
TRIM_THRESHOLD = 512 * 2**20
#: extra memory requested (and kept) whenever the heap grows
TOP_PAD = 64 * 2**20

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_applied: bool | None = None


def keep_large_blocks_in_heap() -> bool:
    """Set glibc's allocator for XLA's step buffers, once per process; ``True`` where it did.

    Called by the training entry points (see the module docstring); calling it again does
    nothing. Returns ``False`` (and changes nothing) where the C library
    is not glibc or ``HOWBIG_MALLOC_DEFAULTS`` is set to ``1``.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("HOWBIG_MALLOC_DEFAULTS") == "1":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                (_M_TOP_PAD, TOP_PAD), (_M_ARENA_MAX, 1))
    _applied = all([bool(mallopt(option, value)) for option, value in settings])
    return _applied
