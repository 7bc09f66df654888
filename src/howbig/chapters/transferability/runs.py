"""Chapter 2's training runs: one job per (training set, size, seed), run in worker processes,
cached on disk by what determines their result.

A *job* is a plain dict (it is pickled to a worker process): the model's keyword arguments
(:func:`howbig.methods.models.roost.roost`), the :class:`~howbig.methods.training.TrainConfig`
as a dict, the training and validation rows (``key, target``), the test sets it is scored on
(``key, target, group``), optional parameters to start from (fine-tuning), and ``labels`` that
name the run in the results (``trained_on``, ``seed``, and e.g. ``n``, the training-set size).
:func:`run_jobs` trains the jobs and returns one
:class:`~howbig.chapters.transferability.compositions.TransferResult` per ``tag``.

The cache
---------
With ``cache=<folder>``, every finished run is written to ``<folder>/<run_key(job)>.pkl``, and a
job whose key is there is loaded instead of trained. :func:`run_key` hashes everything that
determines the run's result: the model's arguments, the training configuration (not its progress
bar), the contents of the training, validation and test rows, the starting parameters and
:data:`CACHE_VERSION` (raised when this module's training changes). Two pages that plan the same
run (Section 2.2's transfer matrix is the full-size end of Section 2.3's learning curves) thus
train it once; a page run alone, or with an empty folder, trains it again. The book build keeps
the folder beside the build's records (:func:`cache_folder`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import TransferResult
from howbig.methods.models.roost import roost
from howbig.methods.stoichiometry import StoichiometrySet, formula_fractions
from howbig.methods.training import TrainConfig, TrainResult, predict, train
from howbig.parallel import parallel_map

__all__ = ["CACHE_VERSION", "cache_folder", "make_job", "run_jobs", "run_key"]

#: Part of every cache key: raise it when a change of the training code changes results.
CACHE_VERSION = 1

_NOT_IN_KEY = ("progress", "desc", "checkpoint_path", "checkpoint_dir", "checkpoint_every")


def cache_folder(results_dir: str | Path | None) -> Path | None:
    """Where the chapter's trained runs are cached: ``<build dir>/cache/transferability`` beside
    the build's records folder ``results_dir``; ``None`` (no cache) when the page runs outside a
    book build (``results_dir`` is None)."""
    if results_dir is None:
        return None
    return Path(results_dir).resolve().parent / "cache" / "transferability"


def make_job(*, tag: str, labels: Mapping[str, Any], model: Mapping[str, Any],
             config: TrainConfig, train: pd.DataFrame, validation: pd.DataFrame,
             tests: Mapping[str, pd.DataFrame], init: Mapping[str, Any] | None = None) -> dict:
    """One training run (see the module docstring).

    Parameters
    ----------
    tag
        Groups runs in the output of :func:`run_jobs` (e.g. ``"curve"``, ``"finetune"``).
    labels
        Columns that name the run in the results; must hold ``trained_on`` and ``seed``.
    model
        Keyword arguments of :func:`howbig.methods.models.roost.roost`.
    config
        Training configuration (its ``seed`` is the run's seed).
    train, validation
        Rows with ``key`` and ``target``.
    tests
        Test sets by name, rows with ``key``, ``target`` and ``group``.
    init
        Fine-tuning: ``{"params", "target_mean", "target_std"}`` of a trained run (the
        ``models`` entry of another :class:`TransferResult`).
    """
    if not {"trained_on", "seed"} <= set(labels):
        raise ValueError(f"labels must name trained_on and seed, got {sorted(labels)}")
    return {"tag": tag, "labels": dict(labels), "model": dict(model), "config": asdict(config),
            "train": train[["key", "target"]].reset_index(drop=True),
            "validation": validation[["key", "target"]].reset_index(drop=True),
            "tests": {n: t[["key", "target", "group"]].reset_index(drop=True)
                      for n, t in tests.items()},
            "init": None if init is None else dict(init)}


def _digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _params_digest(init: Mapping[str, Any] | None) -> str | None:
    if init is None:
        return None
    h = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves(init["params"]):
        h.update(np.ascontiguousarray(leaf).tobytes())
    h.update(repr((float(init["target_mean"]), float(init["target_std"]))).encode())
    return h.hexdigest()


def run_key(job: Mapping[str, Any]) -> str:
    """A hex digest of everything that determines the run's result (see the module)."""
    config = {k: v for k, v in job["config"].items() if k not in _NOT_IN_KEY}
    content = {"version": CACHE_VERSION, "model": job["model"], "config": config,
               "labels": {k: job["labels"][k] for k in sorted(job["labels"])},
               "train": _digest(job["train"]), "validation": _digest(job["validation"]),
               "tests": {n: _digest(t) for n, t in sorted(job["tests"].items())},
               "init": _params_digest(job["init"])}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@lru_cache(maxsize=4)
def _roost(**kwargs):
    """One model object per architecture and process, so its compiled step is reused."""
    return roost(**kwargs)


#: Parsed formulas of this process: a worker trains many runs on the same formulas.
_fractions = lru_cache(maxsize=None)(formula_fractions)


def _set(rows: pd.DataFrame) -> StoichiometrySet:
    """:func:`howbig.methods.stoichiometry.stoichiometry_set` of ``rows``' keys and targets,
    each formula parsed once per process."""
    parsed = [_fractions(str(k)) for k in rows["key"]]
    counts = np.array([len(p[0]) for p in parsed], dtype=np.int64)
    return StoichiometrySet(np.concatenate([p[0] for p in parsed]).astype(np.int32),
                            np.concatenate([p[1] for p in parsed]).astype(np.float32),
                            np.concatenate(([0], np.cumsum(counts))),
                            rows["target"].to_numpy(np.float32))


def _train_job(job: dict) -> dict:
    """One training run (module level: it runs in a worker process)."""
    model = _roost(**job["model"])
    labels = job["labels"]
    config = TrainConfig(**{**job["config"],
                            "desc": f"{labels['trained_on']} seed {labels['seed']}"})
    sets = {s: _set(job[s]) for s in ("train", "validation")}
    init = None
    if job["init"] is not None:
        init = TrainResult(params=job["init"]["params"], target_mean=job["init"]["target_mean"],
                           target_std=job["init"]["target_std"])
    result = train(model, sets["train"], sets["validation"], config, init_params=init)
    frames = []
    for tested, rows in job["tests"].items():
        pred = predict(model, result, _set(rows), batch_size=4 * config.batch_size)
        frames.append(pd.DataFrame({"tested_on": tested, "key": rows["key"],
                                    "group": rows["group"], "target": rows["target"],
                                    "prediction": pred}))
    output = {"tag": job["tag"], "labels": labels, "predictions": pd.concat(frames),
              "history": result.history,
              "model": {"params": result.params, "target_mean": result.target_mean,
                        "target_std": result.target_std},
              "run": {"n_train": len(sets["train"]), "steps": result.steps,
                      "max_steps": config.max_steps, "best_step": result.best_step,
                      "stopped_early": result.stopped_early, "seconds": result.seconds}}
    if job.get("cache_path"):  # stored as soon as it is done: an interrupted page keeps it
        _store(Path(job["cache_path"]), output)
    return output


def _collect(outputs: list[dict]) -> TransferResult:
    preds, curves, runs, models = [], [], [], {}
    names = list(dict.fromkeys(k for out in outputs for k in out["labels"]))
    for out in outputs:
        labels = out["labels"]
        preds.append(out["predictions"].assign(**labels))
        curves.append(pd.DataFrame(out["history"], columns=["step", "train_loss",
                                                             "validation_loss"]).assign(**labels))
        runs.append({**labels, **out["run"]})
        models[tuple(labels[k] for k in names)] = out["model"]
    p = pd.concat(preds, ignore_index=True)
    p = p[names + [c for c in p.columns if c not in names]]
    return TransferResult(p, pd.concat(curves, ignore_index=True), pd.DataFrame(runs),
                          models=models, labels=tuple(names))


def _load(path: Path) -> dict | None:
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None  # absent or damaged: train again


def _store(path: Path, output: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(output, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # a reader never sees half a file


def run_jobs(jobs: Sequence[dict], *, n_jobs: int = 1, cache: str | Path | None = None,
             progress: bool = True) -> dict[str, TransferResult]:
    """Train the jobs (:func:`make_job`), largest training sets first, in ``n_jobs`` worker
    processes (``-1``: all cores; each worker runs XLA on one thread), loading the runs found in
    ``cache`` and storing the others there.

    Returns
    -------
    dict
        One :class:`TransferResult` per tag, in the order the tags first occur in ``jobs``.
    """
    keys = [run_key(job) for job in jobs]
    folder = None if cache is None else Path(cache)
    outputs: list[dict | None] = [None] * len(jobs)
    if folder is not None:
        for i, key in enumerate(keys):
            outputs[i] = _load(folder / f"{key}.pkl")
    todo = sorted((i for i, out in enumerate(outputs) if out is None),  # longest runs first
                  key=lambda i: (-jobs[i]["config"]["max_steps"], -len(jobs[i]["train"])))
    batch = []
    for i in todo:
        job = dict(jobs[i])
        job["config"] = {**job["config"], "progress": n_jobs == 1 and progress}
        job["cache_path"] = None if folder is None else str(folder / f"{keys[i]}.pkl")
        batch.append(job)
    previous = os.environ.get("XLA_FLAGS")
    if n_jobs != 1 and len(batch) > 1:  # one XLA thread per worker: the processes share cores
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")
    try:
        done = parallel_map(_train_job, batch, n_jobs=n_jobs, progress=progress,
                            desc="training runs", chunksize=1)
    finally:
        if previous is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = previous
    for i, out in zip(todo, done, strict=True):
        outputs[i] = out
    tags = dict.fromkeys(job["tag"] for job in jobs)
    return {tag: _collect([o for o in outputs if o is not None and o["tag"] == tag])
            for tag in tags}
