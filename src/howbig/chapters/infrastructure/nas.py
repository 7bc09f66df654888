"""Neural architecture search (NAS) for MPEU with Optuna (paper Section 6.2, Fig. 7): the search.

The search space is the paper's pair of architecture parameters, the number of message-passing
steps and the latent size, plus the learning rate and the batch size. Each trial trains one
MPEU with :func:`howbig.methods.training.train` and returns its best validation RMSE (the NAS
reward is its negative). :func:`create_study` with ``sampler="random"`` reproduces the paper's
random search. Summaries, the Fig. 7 grid and the pruning replay are in :mod:`.nas_analysis`.

**Many workers, one study.** The study lives in an Optuna storage given by URL: a SQLite file
(``sqlite:///nas.db``, fine for a few processes on one machine) or a PostgreSQL database for
many workers on many machines. Every worker runs the same command, ``howbig nas worker``; it
joins the study (``load_if_exists``), asks the storage for its next trial, trains, and writes
the result back. The RandomSampler needs no coordination between workers. On a SLURM cluster,
one job array is the whole search (the driver, ``psycopg``, is in ``requirements.txt``)::

    # once, on the database host (any PostgreSQL >= 12 the GPU nodes can reach):
    createdb howbig_nas
    # 32 array tasks, one GPU each, 25 trials each = 800 trials in one study:
    sbatch --array=0-31 --gres=gpu:1 --time=24:00:00 --wrap 'howbig nas worker \\
        --storage postgresql://USER:PASSWORD@DBHOST:5432/howbig_nas \\
        --study mpeu-mp20 --n-trials 25 --seed $SLURM_ARRAY_TASK_ID'

**Workers die; trials are not lost.** With an RDB storage every worker sends a heartbeat for its
running trial (``--heartbeat`` seconds, Optuna's ``heartbeat_interval``). A trial whose
heartbeat is older than the grace period (``--grace``) belongs to a dead worker (pre-empted job,
out of memory, ``kill -9``): the next worker to start a trial marks it ``FAIL`` and, through
Optuna's ``RetryHeartbeatStaleTrialCallback``, queues the same configuration again, so a
killed job costs the time of one trial, not its configuration.

**Early stopping.** With ``pruner="median"`` or ``"sha"`` a trial reports its validation RMSE
after every evaluation (through ``train``'s ``on_evaluation`` callback) and raises
``optuna.TrialPruned`` when the pruner says so.

``python -m howbig.chapters.infrastructure.nas ...`` is an alias of ``howbig nas worker ...``.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import optuna

from howbig.chapters.infrastructure.nas_analysis import make_pruner
from howbig.profiles import data_sources

if TYPE_CHECKING:
    from howbig.profile_data import DataSource

__all__ = [
    "QuickData",
    "SearchSpace",
    "create_study",
    "main",
    "make_objective",
    "make_storage",
    "quick_dataset",
    "toy_objective",
]

DEFAULT_STORAGE = "sqlite:///nas.db"


@dataclass(frozen=True)
class SearchSpace:
    """What a trial may choose.

    Attributes
    ----------
    mp_steps
        Numbers of message-passing steps (categorical).
    latent_sizes
        Latent sizes (categorical).
    learning_rate
        ``(low, high)`` of a log-uniform initial learning rate.
    batch_sizes
        Batch sizes (categorical).
    """

    mp_steps: tuple[int, ...] = (1, 2, 3)
    latent_sizes: tuple[int, ...] = (8, 16, 32)
    learning_rate: tuple[float, float] = (1e-3, 1e-2)
    batch_sizes: tuple[int, ...] = (16, 32)

    @property
    def n_architectures(self) -> int:
        """Number of (message-passing steps, latent size) cells."""
        return len(self.mp_steps) * len(self.latent_sizes)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Draw one configuration for ``trial`` (always in the same order of calls)."""
        return {
            "mp_steps": trial.suggest_categorical("mp_steps", list(self.mp_steps)),
            "latent_size": trial.suggest_categorical("latent_size", list(self.latent_sizes)),
            "learning_rate": trial.suggest_float("learning_rate", *self.learning_rate, log=True),
            "batch_size": trial.suggest_categorical("batch_size", list(self.batch_sizes)),
        }




def make_storage(url: str | None, *, heartbeat: int | None = 60, grace: int | None = None,
                 max_retry: int | None = 1) -> str | optuna.storages.BaseStorage | None:
    """An Optuna storage for ``url``, with heartbeats for SQLite and server databases.

    Parameters
    ----------
    url
        ``sqlite:///path.db``, ``postgresql://user:password@host:5432/db`` (any SQLAlchemy URL),
        or ``None`` for an in-memory study (one process only; returned as is).
    heartbeat
        Seconds between a running trial's heartbeats (``None``: no heartbeats).
    grace
        Seconds without a heartbeat after which a running trial is declared dead and marked
        ``FAIL`` (default: twice ``heartbeat``).
    max_retry
        How many times the configuration of a dead worker's trial is queued again
        (``RetryHeartbeatStaleTrialCallback``; ``0``: never).
    """
    if url is None or "://" not in url:
        return url
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}  # survive database restarts
    if url.startswith("sqlite"):
        # a generous lock timeout lets several local processes write to one SQLite file
        engine_kwargs = {"connect_args": {"timeout": 60}}
    kwargs: dict[str, Any] = {}
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna's terms
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if heartbeat is not None:
            kwargs = {"heartbeat_interval": heartbeat, "grace_period": grace}
            if max_retry:
                kwargs["heartbeat_stale_trial_callback"] = (
                    optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry))
        return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)


def create_study(
    study_name: str,
    storage: str | None = DEFAULT_STORAGE,
    *,
    sampler: str = "random",
    seed: int | None = 0,
    pruner: str | None = None,
    load_if_exists: bool = True,
    heartbeat: int | None = 60,
    grace: int | None = None,
) -> optuna.Study:
    """Create (or load) a minimisation study in an Optuna storage.

    Parameters
    ----------
    study_name
        Name of the study inside the storage; workers sharing it use the same name.
    storage
        Storage URL: ``sqlite:///path.db`` (default ``sqlite:///nas.db``),
        ``postgresql://user:password@host:5432/db`` for many machines, or ``None`` for an
        in-memory study (one process only). See :func:`make_storage`.
    sampler
        ``"random"`` (the paper's random search) or ``"tpe"``.
    seed
        Sampler seed. Workers sharing a study should use *different* seeds, or they draw the
        same configurations (``None``: a random seed).
    pruner
        ``None``/``"none"``, ``"median"`` or ``"sha"`` (successive halving).
    load_if_exists
        Join an existing study of that name instead of failing.
    heartbeat, grace
        Heartbeat interval and grace period in seconds (see :func:`make_storage`).
    """
    if sampler == "random":
        smp: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    elif sampler == "tpe":
        smp = optuna.samplers.TPESampler(seed=seed)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; use 'random' or 'tpe'")
    return optuna.create_study(study_name=study_name,
                               storage=make_storage(storage, heartbeat=heartbeat, grace=grace),
                               sampler=smp, pruner=make_pruner(pruner), direction="minimize",
                               load_if_exists=load_if_exists)


def make_objective(
    train_set: Any,
    validation_set: Any,
    space: SearchSpace | None = None,
    *,
    max_steps: int = 200,
    eval_every: int = 25,
    seed: int = 0,
    prune: bool = False,
    model_kwargs: dict[str, Any] | None = None,
) -> Callable[[optuna.Trial], float]:
    """Objective that trains one MPEU per trial and returns its best validation RMSE.

    Parameters
    ----------
    train_set, validation_set
        :class:`howbig.methods.graphs.GraphSet` of the training and validation structures.
    space
        The search space (default :class:`SearchSpace`).
    max_steps, eval_every
        Training budget per trial and evaluation interval (gradient steps).
    seed
        Training seed (initialisation and batch order), the same for every trial so that the
        architectures, not the seeds, differ.
    prune
        Report every evaluation to the trial and raise ``optuna.TrialPruned`` when the study's
        pruner asks for it.
    model_kwargs
        Extra keyword arguments of :func:`howbig.methods.models.mpeu.mpeu` (e.g. ``readout``).

    Notes
    -----
    Every evaluation is reported with ``trial.report`` (so that :func:`replay_pruner` can
    replay it later) whether or not ``prune`` is set. User attributes stored per trial:
    ``n_parameters``, ``steps``, ``seconds``, ``best_step``.
    """
    # deferred: these import jax and haiku (~0.5 s); the analysis and --toy workers need neither
    from howbig.methods.models import count_parameters
    from howbig.methods.models.mpeu import mpeu
    from howbig.methods.training import TrainConfig, train

    space = space or SearchSpace()
    kwargs = dict(model_kwargs or {})

    def objective(trial: optuna.Trial) -> float:
        p = space.suggest(trial)
        model = mpeu(latent_size=p["latent_size"], mp_steps=p["mp_steps"], **kwargs)
        config = TrainConfig(learning_rate=p["learning_rate"], batch_size=p["batch_size"],
                             max_steps=max_steps, eval_every=eval_every, patience=None,
                             decay_steps=max(max_steps, 1), seed=seed, progress=False)

        def on_evaluation(step: int, val_rmse: float) -> None:
            trial.report(val_rmse, step)
            if prune and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} (RMSE {val_rmse:.4g})")

        result = train(model, train_set, validation_set, config, on_evaluation=on_evaluation)
        trial.set_user_attr("n_parameters", count_parameters(result.params))
        trial.set_user_attr("steps", result.steps)
        trial.set_user_attr("seconds", result.seconds)
        trial.set_user_attr("best_step", result.best_step)
        return float(result.best_val_rmse)

    return objective


@dataclass
class QuickData:
    """The structures and targets a quick NAS runs on."""

    train: Any
    validation: Any
    target: str
    unit: str
    n_structures: int
    source: DataSource
    notes: list[str] = field(default_factory=list)


def quick_dataset(target: str = "band_gap", *, database: DataSource | None = None,
                  max_structures: int | None = None,
                  fractions: Sequence[float] = (0.8, 0.2), seed: int = 0, k: int = 12,
                  progress: bool = True, n_jobs: int = 1) -> QuickData:
    """Graphs of one structure database for a NAS (by default the quick profile's).

    The same loader, group split and graphs as Chapter 2
    (:func:`howbig.chapters.crystal_graphs.prepare_graphs`).

    Parameters
    ----------
    target
        ``"band_gap"`` (eV; the quantity of the paper's Fig. 7) or
        ``"formation_energy_per_atom"`` (eV/atom).
    database
        The source, ``data_sources("compute", profile, role="NAS")[0]``; ``None``: the quick
        profile's (the MP-20 sample).
    max_structures
        Use a random subsample of this many structures (``None``: all).
    fractions
        Training and validation fractions. The split is grouped by composition-spacegroup key
        (:func:`howbig.data.splits.assign_splits`), so no key is in both sets.
    seed, k, progress, n_jobs
        Seed of the subsample and of the split, neighbours per atom, progress bar and processes
        of the graph construction.
    """
    # graphs import jax and the loaders ase: a worker with --toy and the analysis need neither
    from howbig.chapters.crystal_graphs import load_structures, prepare_graphs

    if len(fractions) != 2 or sum(fractions) > 1 + 1e-9:
        raise ValueError(f"quick_dataset: fractions must be (train, validation), got {fractions}")
    if database is None:
        (database,) = data_sources("compute", "quick", role="NAS")
    tables = load_structures([database], max_structures=max_structures, seed=seed)
    split = (fractions[0], fractions[1], max(0.0, 1 - sum(fractions)))
    prepared = prepare_graphs(tables, target=target, k=k, split_seed=seed, fractions=split,
                              progress=progress, n_jobs=n_jobs)[database.short]
    return QuickData(train=prepared.graphs["train"], validation=prepared.graphs["validation"],
                     target=target, unit="eV" if target == "band_gap" else "eV/atom",
                     n_structures=sum(prepared.sizes().values()), source=database)


def toy_objective(trial: optuna.Trial, seconds: float = 0.0) -> float:
    """A cheap deterministic objective over :class:`SearchSpace` (to try storages and workers).

    ``seconds`` of sleep stand in for training, so that a worker can be caught mid-trial.
    """
    p = SearchSpace().suggest(trial)
    time.sleep(seconds)
    return (p["mp_steps"] - 2) ** 2 + math.log2(p["latent_size"] / 16) ** 2 + p["learning_rate"]


def _worker_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Neural architecture search workers.")
    sub = parser.add_subparsers(dest="action", required=True)
    w = sub.add_parser("worker", help="join a study in a storage and run trials",
                       description=main.__doc__)
    w.add_argument("--storage", default=os.environ.get("HOWBIG_NAS_STORAGE", DEFAULT_STORAGE),
                   help="Optuna storage URL (default: $HOWBIG_NAS_STORAGE or %(default)s)")
    w.add_argument("--study", default="mpeu-mp20", help="study name (default: %(default)s)")
    w.add_argument("--n-trials", type=int, default=10, help="trials this worker runs")
    w.add_argument("--seed", type=int, default=None,
                   help="sampler seed; give each worker its own (default: random)")
    w.add_argument("--sampler", default="random", choices=["random", "tpe"])
    w.add_argument("--pruner", default="none", choices=["none", "median", "sha"])
    w.add_argument("--target", default="band_gap",
                   choices=["band_gap", "formation_energy_per_atom"])
    w.add_argument("--max-structures", type=int, default=None, help="subsample the MP-20 sample")
    w.add_argument("--max-steps", type=int, default=200, help="training steps per trial")
    w.add_argument("--heartbeat", type=int, default=60,
                   help="seconds between heartbeats of a running trial (default: %(default)s)")
    w.add_argument("--grace", type=int, default=None,
                   help="seconds without heartbeat before a trial is marked FAIL "
                        "(default: 2 x heartbeat)")
    w.add_argument("--toy", type=float, default=None, metavar="SECONDS",
                   help="analytic objective sleeping SECONDS per trial, no training "
                        "(to try a storage)")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "howbig nas") -> int:
    """Run NAS trials in a shared study: ``howbig nas worker --storage URL --study NAME``.

    Every worker started with the same ``--storage`` and ``--study`` adds its trials to the same
    study; start as many as there are GPUs (a SLURM array: see the module docstring). Without
    ``--toy`` every trial trains an MPEU on the MP-20 sample (``--target``, ``--max-steps``).
    """
    args = _worker_parser(prog).parse_args(argv)
    study = create_study(args.study, args.storage, sampler=args.sampler, seed=args.seed,
                         pruner=args.pruner, heartbeat=args.heartbeat, grace=args.grace)
    if args.toy is not None:
        seconds = args.toy

        def inner(trial: optuna.Trial) -> float:
            return toy_objective(trial, seconds)
    else:
        data = quick_dataset(args.target, max_structures=args.max_structures, progress=False)
        inner = make_objective(data.train, data.validation, max_steps=args.max_steps,
                               prune=args.pruner != "none")
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        return inner(trial)

    study.optimize(objective, n_trials=args.n_trials)
    print(f"worker {worker}: study {args.study} has {len(study.trials)} trials")
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    _argv = sys.argv[1:]
    if not _argv or _argv[0] not in ("worker", "-h", "--help"):
        _argv = ["worker", *_argv]  # the module's older form had no subcommand
    raise SystemExit(main(_argv, prog="python -m howbig.chapters.infrastructure.nas"))
