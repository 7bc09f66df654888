"""The allocator setting of :mod:`howbig.methods.allocator`: large blocks come from the heap."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

import howbig  # noqa: F401  (the import applies the setting)
from howbig.methods.allocator import keep_large_blocks_in_heap

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# While a 40 MB block (the size of an MPEU step's XLA buffers) is alive, how many bytes are
# mapped outside the heap (mallinfo2's hblkhd), and after it is freed, how large the heap stays
# (arena): the block should come from the heap and its pages stay there for the next step.
PROBE = """
import ctypes, numpy as np
import howbig
from howbig.methods.allocator import keep_large_blocks_in_heap
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
block = np.ones(10_000_000, np.float32)
mapped = libc.mallinfo2().hblkhd
del block
print(keep_large_blocks_in_heap(), mapped, libc.mallinfo2().arena)
"""


def _probe(**env: str) -> tuple[bool, int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0] == "True", int(out[1]), int(out[2])


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc")
def test_applied_once_at_import_and_idempotent():
    assert keep_large_blocks_in_heap() is True
    assert keep_large_blocks_in_heap() is True


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc")
def test_large_blocks_are_reused_and_the_opt_out_restores_glibc_defaults():
    applied, mapped_kept, heap_kept = _probe()
    default, mapped_default, heap_default = _probe(HOWBIG_MALLOC_DEFAULTS="1")
    assert applied and not default
    block = 40_000_000
    # glibc's default maps the block apart from the heap and returns it when freed
    assert mapped_default >= block and heap_default < block
    # with the setting it comes from the heap, which keeps its pages after the free
    assert mapped_kept < block and heap_kept >= block
