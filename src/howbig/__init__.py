"""howbig: the helper library behind the executable book "How big is big data?".

Speckhard, Bechtel, Ghiringhelli, Kuban, Rigamonti, Draxl, Faraday Discuss. 2025, 256, 483.
The library holds the logic; the notebooks in ``notebooks/`` hold narrative, calls and figures.
Importing it changes nothing in the process (the allocator setting of
:mod:`howbig.methods.allocator` is applied by the training entry points).
"""

__version__ = "0.1.0"
