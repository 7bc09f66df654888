"""Dense arrays as training data: fixed-size feature vectors, for the multilayer perceptrons.

The dense counterpart of :class:`howbig.methods.graphs.PaddedBatcher`: :class:`ArrayBatcher` cuts
an :class:`ArraySet` into batches of one static shape (the last batch of an epoch padded and
masked), so :func:`howbig.methods.training.train` runs the same masked loss, Adam step and loop
on them as on graphs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["ArrayBatch", "ArrayBatcher", "ArraySet"]


@dataclass
class ArraySet:
    """Feature rows ``x`` (``float32``, one per sample) and one label each."""

    x: np.ndarray
    targets: np.ndarray

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, np.float32)
        self.targets = np.asarray(self.targets, np.float32).ravel()
        if len(self.x) != len(self.targets):
            raise ValueError(f"ArraySet: {len(self.x)} rows but {len(self.targets)} targets")

    def __len__(self) -> int:
        return len(self.targets)

    def subset(self, indices: Sequence[int] | np.ndarray) -> ArraySet:
        """The rows at ``indices`` (in that order)."""
        idx = np.asarray(indices, np.int64)
        return ArraySet(self.x[idx], self.targets[idx])

    def with_targets(self, targets: np.ndarray) -> ArraySet:
        """The same rows with other labels."""
        return ArraySet(self.x, targets)


class ArrayBatch(NamedTuple):
    """A padded batch: inputs, targets and the mask of the real rows."""

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray


class ArrayBatcher:
    """Shuffled batches of ``batch_size`` rows (at most the set's size), one static shape.

    Parameters
    ----------
    data
        The rows.
    batch_size
        Rows per batch; the last batch of an epoch is padded with zero rows, masked out.
    seed
        Seed of the shuffling generator (each :meth:`epoch` draws a new permutation).
    """

    def __init__(self, data: ArraySet, batch_size: int, *, seed: int = 0) -> None:
        if len(data) == 0:
            raise ValueError("ArrayBatcher: the set is empty")
        self.graphs = data  # the name the training loop reads, as for PaddedBatcher
        self.batch_size = max(1, min(int(batch_size), len(data)))
        self.rng = np.random.default_rng(seed)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of every batch's inputs."""
        return (self.batch_size, *self.graphs.x.shape[1:])

    def epoch(self, shuffle: bool = True) -> Iterator[ArrayBatch]:
        """One pass over the rows, every row exactly once (shuffled by default)."""
        d, b = self.graphs, self.batch_size
        order = self.rng.permutation(len(d)) if shuffle else np.arange(len(d))
        for start in range(0, len(d), b):
            idx = order[start:start + b]
            n = len(idx)
            x = np.zeros(self.shape, np.float32)
            y = np.zeros(b, np.float32)
            x[:n], y[:n] = d.x[idx], d.targets[idx]
            yield ArrayBatch(x, y, np.arange(b) < n)

    def all(self) -> Iterator[ArrayBatch]:
        """All rows in order (for prediction)."""
        return self.epoch(shuffle=False)

    def n_batches(self) -> int:
        """Batches per epoch."""
        return -(-len(self.graphs) // self.batch_size)
