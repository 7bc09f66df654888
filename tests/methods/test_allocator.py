"""The allocator setting of :mod:`howbig.methods.allocator`: applied by training, not by import."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# While a 40 MB block (the size of an MPEU step's XLA buffers) is alive, how many bytes are
# mapped outside the heap (mallinfo2's hblkhd), and after it is freed, how large the heap stays
# (arena): with the setting the block comes from the heap and its pages stay there.
PROBE = """
import ctypes, sys, numpy as np
import howbig
{before}
from howbig.methods import allocator
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
block = np.ones(10_000_000, np.float32)
mapped = libc.mallinfo2().hblkhd
del block
print(allocator._applied is True, mapped, libc.mallinfo2().arena)
"""

TRAIN = """
import numpy as np
from howbig.methods.arrays import ArraySet
from howbig.methods.models.mlp import _network
from howbig.methods.training import TrainConfig, train
data = ArraySet(np.random.default_rng(0).normal(size=(8, 2)), np.arange(8.0))
train(_network((4,), "relu"), data, data, TrainConfig(max_steps=2, eval_every=1, progress=False))
"""


def _probe(before: str = "", **env: str) -> tuple[bool, int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(before=before)],
                         env={**os.environ, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1]), int(out[2])


BLOCK = 40_000_000


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc")
def test_import_howbig_leaves_glibc_malloc_untouched():
    env = {k: v for k, v in os.environ.items() if k != "HOWBIG_MALLOC_DEFAULTS"}
    applied, mapped, heap = _probe("import howbig.methods.training", **env)
    # glibc's default maps the block apart from the heap and returns it when freed
    assert not applied and mapped >= BLOCK and heap < BLOCK


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc")
@pytest.mark.slow
def test_training_applies_the_setting_and_the_opt_out_restores_glibc_defaults():
    applied, mapped_kept, heap_kept = _probe(TRAIN)
    default, mapped_default, _ = _probe(TRAIN, HOWBIG_MALLOC_DEFAULTS="1")
    assert applied and not default
    assert mapped_default >= BLOCK  # (the heap itself grew with JAX: its size tells nothing)
    # with the setting the block comes from the heap, which keeps its pages after the free
    assert mapped_kept < BLOCK and heap_kept >= BLOCK


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc")
def test_idempotent():
    from howbig.methods.allocator import keep_large_blocks_in_heap

    first = keep_large_blocks_in_heap()
    assert keep_large_blocks_in_heap() is first
