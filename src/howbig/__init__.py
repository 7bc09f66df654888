"""howbig: the helper library behind the executable book "How big is big data?".

Speckhard, Bechtel, Ghiringhelli, Kuban, Rigamonti, Draxl, Faraday Discuss. 2025, 256, 483.
The library holds the logic; the notebooks in ``notebooks/`` hold narrative, calls and figures.
"""

from howbig.methods.allocator import keep_large_blocks_in_heap

__version__ = "0.1.0"

# First thing, before any library starts threads: XLA's per-step buffers then reuse heap pages
# instead of being mapped and zeroed anew every step (a third of an MPEU step on one CPU core)
keep_large_blocks_in_heap()
