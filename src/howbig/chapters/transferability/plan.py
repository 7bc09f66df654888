"""Chapter 2's experiments as training jobs: the tables, the learning curves (whose full-size runs
are the transfer matrix), the combined model and fine-tuning.

Every page of the chapter builds its jobs here, from the same tables and settings, so that a
run planned by two pages is the same job and is trained once
(:mod:`howbig.chapters.transferability.runs`).

* :func:`load_tables`: the formation-energy tables, cut (smoke), windowed, split by formula.
* :func:`database_sets`: each database's training, validation and test rows.
* :func:`curve_jobs`: per database, training-set sizes x seeds (:func:`learning_curves.curve_plan
  <howbig.chapters.transferability.learning_curves.curve_plan>`); with ``curves=None`` only the
  full-size runs, i.e. the transfer matrix. Every run is tested on every database's test set.
* :func:`combined_jobs`: one model on all databases, the same number of formulas from each.
* :func:`finetune_jobs`: a pre-trained model fine-tuned on the target database's curve subsets
  (same sizes, seeds and formulas as the target's own runs); :func:`pretraining_leaks` checks
  that the pre-training saw none of the target's test formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from howbig.chapters.transferability.compositions import (
    TransferResult,
    load_composition_tables,
    regrouped_splits,
    sample_keys,
    training_sets,
)
from howbig.chapters.transferability.databases import correction_group
from howbig.chapters.transferability.learning_curves import curve_plan
from howbig.chapters.transferability.runs import make_job
from howbig.chapters.transferability.settings import CurveSettings, DatabaseSettings, RunSettings

__all__ = ["combined_jobs", "curve_jobs", "database_sets", "finetune_jobs", "gap_jobs",
           "load_tables", "pretraining_leaks", "published_jobs", "subsample"]

Sets = dict[str, dict[str, pd.DataFrame]]


def load_tables(sources: Iterable, settings: DatabaseSettings
                ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Raw tables by short name, and the aggregated tables the chapter works on.

    The aggregated tables hold one row per reduced formula (lowest formation energy), cut to
    ``settings.max_formulas`` (the same formulas everywhere), inside ``settings.target_window``,
    with the split and the chemistry group of
    :func:`~howbig.chapters.transferability.databases.correction_group`.
    """
    raw = sample_keys(load_composition_tables(sources), settings.max_formulas,
                      seed=settings.split_seed)
    tables = regrouped_splits(raw, seed=settings.split_seed, window=settings.target_window,
                              groups=correction_group)
    return raw, tables


def database_sets(tables: Mapping[str, pd.DataFrame], runs: RunSettings, *, seed: int = 0
                  ) -> Sets:
    """``{database: {"train", "validation", "test"}}``: all training and test formulas, and a
    fixed random ``runs.max_validation`` of the validation formulas."""
    return training_sets(tables, max_train=None, max_validation=runs.max_validation, seed=seed,
                         combined=False)


def subsample(rows: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` random rows (all of them when ``n >= len(rows)``), drawn by ``(seed, n)``: a run
    and its fine-tuned twin of the same size and seed train on the same formulas."""
    if n >= len(rows):
        return rows.reset_index(drop=True)
    pick = np.random.default_rng([int(seed), int(n)]).choice(len(rows), n, replace=False)
    return rows.iloc[np.sort(pick)].reset_index(drop=True)


def _tests(sets: Sets) -> dict[str, pd.DataFrame]:
    return {name: part["test"] for name, part in sets.items()}


def _plan(n_full: int, runs: RunSettings, curves: CurveSettings | None) -> pd.DataFrame:
    if curves is None:
        return pd.DataFrame({"n": n_full, "seed": list(runs.matrix_seeds)})
    return curve_plan(n_full, sizes=curves.sizes, span=curves.span, seeds=curves.seeds,
                      large_seeds=runs.matrix_seeds, n_large=2, epochs=runs.epochs,
                      min_steps=runs.min_steps, batch_size=runs.batch_size)


def curve_jobs(sets: Sets, runs: RunSettings, curves: CurveSettings | None = None) -> list[dict]:
    """Learning-curve runs of every database (tag ``"curve"``, labels ``trained_on, n, seed``);
    with ``curves=None`` only the full-size runs (``runs.matrix_seeds``): the transfer matrix."""
    jobs = []
    tests = _tests(sets)
    for name, part in sets.items():
        for n, seed in _plan(len(part["train"]), runs, curves)[["n", "seed"]].itertuples(
                index=False):
            jobs.append(make_job(tag="curve", labels={"trained_on": name, "n": int(n),
                                                      "seed": int(seed)},
                                 model=runs.model(), config=runs.config(n, seed),
                                 train=subsample(part["train"], n, seed),
                                 validation=part["validation"], tests=tests))
    return jobs


def combined_jobs(sets: Sets, runs: RunSettings, *, seed: int = 0) -> list[dict]:
    """The model trained on all databases together (tag ``"combined"``): from each database
    the same number of random training formulas (``runs.combined_cap``, default: the smallest
    training set), and of validation formulas; named ``"MP+JARVIS+OQMD"``."""
    cap = runs.combined_cap or min(len(p["train"]) for p in sets.values())
    cap_val = min(len(p["validation"]) for p in sets.values())
    rng = np.random.default_rng(seed)

    def take(rows: pd.DataFrame, k: int) -> pd.DataFrame:
        k = min(k, len(rows))
        return rows.iloc[np.sort(rng.choice(len(rows), k, replace=False))]

    train = pd.concat([take(p["train"], cap) for p in sets.values()], ignore_index=True)
    validation = pd.concat([take(p["validation"], cap_val) for p in sets.values()],
                           ignore_index=True)
    name = "+".join(sets)
    return [make_job(tag="combined", labels={"trained_on": name, "n": len(train), "seed": int(s)},
                     model=runs.model(), config=runs.config(len(train), s), train=train,
                     validation=validation, tests=_tests(sets))
            for s in runs.combined_seeds]


def pretraining_leaks(sets: Sets, source: str, target: str) -> set[str]:
    """Test formulas of ``target`` that the pre-training on ``source`` saw (train or
    validation): empty when the regrouped splits hold."""
    seen = set(sets[source]["train"]["key"]) | set(sets[source]["validation"]["key"])
    return seen & set(sets[target]["test"]["key"])


def finetune_jobs(sets: Sets, pretrained: TransferResult, runs: RunSettings,
                  curves: CurveSettings, *, source: str, target: str) -> list[dict]:
    """``source``'s full-size model of each seed fine-tuned on ``target``'s curve subsets.

    The ``curves.finetune_sizes`` smallest sizes of ``target``'s learning curve, the seeds of
    ``curves.finetune_seeds`` (each fine-tunes the ``source`` model of its own seed), the same
    training formulas and steps as ``target``'s own run of that size and seed, and the learning
    rate ``curves.finetune_learning_rate``. Tag ``"finetune"``, labels ``trained_on`` (=
    ``target``), ``n``, ``seed``, ``pretrained_on``.

    Raises
    ------
    ValueError
        If the pre-training saw one of ``target``'s test formulas (:func:`pretraining_leaks`),
        or ``pretrained`` lacks the full-size ``source`` model of a seed.
    """
    leaks = pretraining_leaks(sets, source, target)
    if leaks:
        raise ValueError(f"pre-training on {source} saw {len(leaks)} {target} test formulas, "
                         f"e.g. {sorted(leaks)[:3]}")
    n_source = len(sets[source]["train"])
    sizes = sorted(set(_plan(len(sets[target]["train"]), runs, curves)["n"]))
    jobs = []
    for n in sizes[:curves.finetune_sizes]:
        for seed in curves.finetune_seeds:
            model = pretrained.models.get((source, n_source, int(seed)))
            if model is None:
                raise ValueError(f"no full-size {source} model of seed {seed} to fine-tune")
            jobs.append(make_job(
                tag="finetune", labels={"trained_on": target, "n": int(n), "seed": int(seed),
                                        "pretrained_on": source},
                model=runs.model(),
                config=runs.config(n, seed, learning_rate=curves.finetune_learning_rate),
                train=subsample(sets[target]["train"], n, seed),
                validation=sets[target]["validation"], tests=_tests(sets), init=model))
    return jobs


def published_jobs(raw: pd.DataFrame, runs: RunSettings, *, name: str, seeds: Iterable[int],
                   epochs: float) -> list[dict]:
    """Runs on a table's *published* split (its files' ``train``/``val``/``test`` parts, tag
    ``"published"``), tested on its ``test`` part; the recipe of ``runs`` for ``epochs``."""
    parts = {p: raw[raw["part"] == p].assign(group=lambda d: correction_group(d["key"]))
             for p in ("train", "val", "test")}
    n = len(parts["train"])
    return [make_job(tag="published", labels={"trained_on": name, "n": n, "seed": int(s)},
                     model=runs.model(), config=runs.config(n, s, epochs=epochs),
                     train=parts["train"], validation=parts["val"],
                     tests={name: parts["test"]}) for s in seeds]


def gap_jobs(tables: Mapping[str, pd.DataFrame], runs: RunSettings, *, max_train: int | None,
             seeds: Iterable[int]) -> list[dict]:
    """Band-gap models of every database (aggregated tables of band gaps): a classifier of
    metals (gap 0) against non-metals (tag ``"metal"``, target 1 for a non-metal, tested on all
    test formulas) and a regression of the gap of non-metals (tag ``"gap"``, tested on the
    non-metal test formulas), ``max_train`` random training formulas each."""
    everything = training_sets(tables, max_train=max_train, max_validation=runs.max_validation,
                               seed=0, combined=False)
    nonmetal = training_sets(tables, max_train=max_train, max_validation=runs.max_validation,
                             seed=0, combined=False, select="target > 0")
    metal = {n: {s: d.assign(target=(d["target"] > 0).astype(float)) for s, d in p.items()}
             for n, p in everything.items()}
    jobs = []
    for tag, sets, loss in (("metal", metal, "bce"), ("gap", nonmetal, "mae")):
        tests = _tests(sets)
        for name, part in sets.items():
            n = len(part["train"])
            jobs += [make_job(tag=tag, labels={"trained_on": name, "n": n, "seed": int(s)},
                              model=runs.model(), config=runs.config(n, s, loss=loss),
                              train=part["train"], validation=part["validation"], tests=tests)
                     for s in seeds]
    return jobs
