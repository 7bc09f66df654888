"""Checkpoints of training runs: the best parameters, and the whole state for resuming.

A run resumes exactly when everything its future depends on is restored: parameters, optimizer
state, step, the position of the shuffled batch stream (the generator state at the start of the
current epoch and the number of batches drawn since), the best-so-far state and the
early-stopping bookkeeping. :func:`howbig.methods.training.train` writes and reads these states
through :func:`write_state` and :func:`read_state`.
"""

from __future__ import annotations

import copy
import os
import pickle
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import jax

__all__ = ["BatchStream", "load_checkpoint", "read_state", "save_checkpoint", "write_state"]


def save_checkpoint(path: str | Path, result_or_params: Any, **meta: Any) -> Path:
    """Pickle parameters (numpy) and metadata to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_dataclass(result_or_params):  # a TrainResult
        payload = asdict(result_or_params)
    else:
        payload = {"params": result_or_params}
    payload["params"] = jax.device_get(payload["params"])
    payload.update(meta)
    with path.open("wb") as fh:
        pickle.dump(payload, fh)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (a dict with ``params`` etc.)."""
    with Path(path).open("rb") as fh:
        return pickle.load(fh)


class BatchStream:
    """Endless shuffled epochs of a batcher, with a position that a checkpoint can restore.

    ``batcher`` is any batcher with a ``rng`` (numpy generator) and ``epoch(shuffle)``:
    :class:`howbig.methods.graphs.PaddedBatcher` or :class:`howbig.methods.arrays.ArrayBatcher`.
    """

    def __init__(self, batcher: Any) -> None:
        self.batcher = batcher
        self._new_epoch()

    def _new_epoch(self) -> None:
        # the generator draws its permutation on the first next(): record the state before it
        self.epoch_rng = copy.deepcopy(self.batcher.rng.bit_generator.state)
        self.position = 0
        self._iterator = self.batcher.epoch(shuffle=True)

    def __next__(self) -> Any:
        batch = next(self._iterator, None)
        if batch is None:
            self._new_epoch()
            batch = next(self._iterator)
        self.position += 1
        return batch

    def state(self) -> dict:
        return {"epoch_rng": self.epoch_rng, "position": self.position}

    def restore(self, state: dict) -> None:
        self.batcher.rng.bit_generator.state = copy.deepcopy(state["epoch_rng"])
        self._new_epoch()
        for _ in range(state["position"]):
            next(self)


def read_state(directory: str | Path | None, config: dict, fields: Sequence[str]) -> dict | None:
    """The training state saved in ``directory`` (None if there is none).

    Raises ``ValueError`` when the saved run's configuration differs from ``config`` in one of
    ``fields`` (settings that change the trajectory: resuming would not continue the same run).
    """
    if not directory:
        return None
    path = Path(directory) / "state.pkl"
    if not path.is_file():
        return None
    state = load_checkpoint(path)
    saved = state["result"]["config"]
    differ = [f for f in fields if saved.get(f) != config.get(f)]
    if differ:
        raise ValueError(f"train: the checkpoint {path} was written with other settings "
                         f"({', '.join(differ)}); use another checkpoint_dir or delete it")
    return state


def write_state(directory: str | Path, **state: Any) -> Path:
    """Write a training state (any pytree of arrays and Python values) to ``directory``."""
    path = Path(directory) / "state.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:  # write, then rename: a kill mid-write leaves the old file
        pickle.dump(jax.device_get(state), fh)
    os.replace(tmp, path)
    return path
