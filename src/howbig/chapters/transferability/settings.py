"""The settings a reader of Chapter 2 may change: one small typed record per page.

Each record is a :class:`~howbig.chapters.settings.ChapterSettings` whose values come from the
profile (:data:`howbig.profiles.PROFILES`, chapter key ``"transferability"``; the keys of
:class:`RunSettings` carry the prefix ``run_``, those of :class:`CurveSettings` ``curve_``); a
page builds its record with ``from_profile(profile)`` and may override a field with
:func:`dataclasses.replace`. In a notebook the record shows one field per line with what it sets.
Section 2.2 and Section 2.3 train with the same :class:`RunSettings`, so that Section 2.3 finds
Section 2.2's runs in the cache (:mod:`howbig.chapters.transferability.runs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar, Self

from howbig.chapters.settings import ChapterSettings, setting
from howbig.methods.training import TrainConfig
from howbig.profiles import settings

__all__ = ["CurveSettings", "DatabaseSettings", "RunSettings", "YardstickSettings"]


@dataclass(frozen=True)
class _Settings(ChapterSettings):
    """A record of Chapter 2: its fields are the chapter's profile keys less :attr:`PREFIX`."""

    CHAPTER: ClassVar[str] = "transferability"
    PREFIX: ClassVar[str] = ""

    @classmethod
    def of(cls, profile: str) -> Self:
        """The record of ``profile`` (lists become tuples).

        Raises
        ------
        KeyError
            If the profile lacks a field of the record.
        """
        table = settings(cls.CHAPTER, profile)
        values = {}
        for f in fields(cls):
            value = table[cls.PREFIX + f.name]
            values[f.name] = tuple(value) if isinstance(value, list | tuple) else value
        return cls(**values)

    @classmethod
    def from_profile(cls, profile: str) -> Self:
        """The record of ``profile`` (the same as :meth:`of`)."""
        return cls.of(profile)


@dataclass(frozen=True)
class DatabaseSettings(_Settings):
    """Section 2.1: how the three tables are read.

    Attributes
    ----------
    target_window
        Formation energies kept (eV/atom, both ends included), in every database alike.
    max_formulas
        Cut every table to the same random share of formulas, the largest to about this many
        (the smoke profile); ``None``: all.
    n_boot
        Bootstrap resamples of every interval of the differences.
    split_seed
        Seed of the split of formulas into train, validation and test (the same everywhere).
    """

    target_window: tuple[float, float] = setting("eV/atom kept, in every database alike")
    max_formulas: int | None = setting("formulas per table (None: all)")
    n_boot: int = setting("bootstrap resamples of every interval")
    split_seed: int = setting("seed of the split by formula")



@dataclass(frozen=True)
class RunSettings(_Settings):
    """Sections 2.2 and 2.3: one Roost-style model and one training recipe for every run.

    Nothing is tuned per database or per size. A run on ``n`` formulas takes
    :meth:`steps` ``= max(min_steps, epochs * n / batch_size)`` steps of Adam on the MAE, with the
    learning rate falling exponentially to ``final_lr_fraction`` of its start at the last step,
    and keeps the parameters of its lowest validation MAE (early stopping after ``patience``
    steps without a ``min_improvement`` relative improvement).

    Attributes
    ----------
    width, mp_steps
        Width of the node states and message-passing steps of
        :func:`howbig.methods.models.roost.roost`.
    batch_size, learning_rate, final_lr_fraction, epochs, min_steps, eval_every, patience,
    min_improvement
        The training recipe (see above).
    max_validation
        Validation formulas per database (a fixed random subset; ``None``: all).
    matrix_seeds
        Seeds of the full-size runs: the transfer matrix and the two largest sizes of each
        learning curve.
    combined_seeds, combined_cap
        Seeds of the model trained on all databases together, and formulas each database gives
        to it (``None``: as many as the smallest training set holds).
    jobs
        Worker processes that train runs side by side (``-1``: all cores).
    """

    PREFIX: ClassVar[str] = "run_"

    width: int = setting("width of the node states of the Roost-style model")
    mp_steps: int = setting("message-passing steps")
    batch_size: int = setting("formulas per batch")
    learning_rate: float = setting("Adam learning rate at the first step")
    final_lr_fraction: float = setting("learning rate at the last step / at the first")
    epochs: float = setting("passes over the data (steps = epochs * n / batch)")
    min_steps: int = setting("fewest steps of a run")
    eval_every: int = setting("steps between validation evaluations")
    patience: int | None = setting("steps without progress before stopping (None: never)")
    min_improvement: float = setting("relative fall of the validation MAE that counts as progress")
    max_validation: int | None = setting("validation formulas per database (None: all)")
    matrix_seeds: tuple[int, ...] = setting("seeds of the full-size runs (the transfer matrix)")
    combined_seeds: tuple[int, ...] = setting("seeds of the model trained on all databases")
    combined_cap: int | None = setting(
        "formulas per database in the combined model (None: smallest)")
    jobs: int = setting("worker processes training runs side by side (-1: all cores)")


    def steps(self, n: int, epochs: float | None = None) -> int:
        """Gradient steps of a run on ``n`` training formulas (``epochs``: instead of
        :attr:`epochs`)."""
        epochs = self.epochs if epochs is None else epochs
        return int(max(self.min_steps, math.ceil(epochs * n / self.batch_size)))

    def model(self) -> dict[str, int]:
        """Keyword arguments of :func:`howbig.methods.models.roost.roost`."""
        return {"width": self.width, "mp_steps": self.mp_steps}

    def config(self, n: int, seed: int, *, learning_rate: float | None = None,
               loss: str = "mae", epochs: float | None = None) -> TrainConfig:
        """The :class:`~howbig.methods.training.TrainConfig` of a run on ``n`` formulas."""
        steps = self.steps(n, epochs)
        return TrainConfig(
            learning_rate=self.learning_rate if learning_rate is None else learning_rate,
            schedule="exponential", decay_rate=self.final_lr_fraction, decay_steps=steps,
            batch_size=self.batch_size, max_steps=steps, eval_every=self.eval_every,
            patience=self.patience, min_improvement=self.min_improvement, seed=int(seed),
            loss=loss, progress=False)


@dataclass(frozen=True)
class CurveSettings(_Settings):
    """Section 2.3: the learning curves and fine-tuning.

    Attributes
    ----------
    sizes, span
        Training-set sizes per database, evenly spaced on a log scale from the full training
        set divided by ``span`` up to the full training set.
    seeds
        Seeds at every size but the two largest (those take ``RunSettings.matrix_seeds``).
    finetune_sizes, finetune_seeds, finetune_learning_rate
        The MP model of each seed is fine-tuned on the ``finetune_sizes`` smallest JARVIS sizes
        with the same seed and training formulas as JARVIS's own runs, starting at this
        learning rate.
    fit_boot
        Bootstrap refits of the power-law fits.
    tolerance
        A curve has "arrived" where it lies within this fraction of its fitted floor.
    """

    PREFIX: ClassVar[str] = "curve_"

    sizes: int = setting("training-set sizes per database")
    span: float = setting("largest size / smallest size")
    seeds: tuple[int, ...] = setting("seeds at every size but the two largest")
    finetune_sizes: int = setting("JARVIS sizes the MP model is fine-tuned on (the smallest)")
    finetune_seeds: tuple[int, ...] = setting("seeds of the fine-tuning runs")
    finetune_learning_rate: float = setting("learning rate of the fine-tuning runs")
    fit_boot: int = setting("bootstrap refits of each power-law fit")
    tolerance: float = setting('"arrived": within this fraction of the fitted floor')



@dataclass(frozen=True)
class YardstickSettings(_Settings):
    """Section 2.4: the published split, the band gaps and the paper's crystal-graph model.

    Attributes
    ----------
    published_seeds, published_epochs
        Runs of the model on the published MP split, and their length in epochs (the recipe is
        otherwise :class:`RunSettings`').
    gap_max_train, gap_seeds
        Training formulas per database (``None``: all) and seeds of the band-gap models.
    mpeu_latent_size, mpeu_mp_steps, mpeu_batch_size, mpeu_learning_rate, mpeu_decay_rate,
    mpeu_decay_steps, mpeu_max_steps, mpeu_eval_every, mpeu_patience, mpeu_seed
        MPEU on crystal graphs (the full profile: the authors' settings).
    mpeu_curve_fractions
        Shares of the structure training set of the MPEU learning curve.
    max_structures
        Structures per database (``None``: all).
    graph_jobs
        Processes that build the crystal graphs (``-1``: all cores).
    """

    published_seeds: tuple[int, ...] = setting("seeds of the runs on the published MP split")
    published_epochs: float = setting("their passes over the data")
    gap_max_train: int | None = setting("band-gap training formulas per database (None: all)")
    gap_seeds: tuple[int, ...] = setting("seeds of the band-gap models")
    mpeu_latent_size: int = setting("MPEU latent size (the paper: 256)")
    mpeu_mp_steps: int = setting("MPEU message-passing steps")
    mpeu_batch_size: int = setting("MPEU graphs per batch")
    mpeu_learning_rate: float = setting("MPEU learning rate")
    mpeu_decay_rate: float = setting("MPEU learning-rate decay factor ...")
    mpeu_decay_steps: int = setting("... per this many steps")
    mpeu_max_steps: int = setting("MPEU training steps at most")
    mpeu_eval_every: int = setting("MPEU steps between validation evaluations")
    mpeu_patience: int | None = setting("MPEU steps without improvement before stopping")
    mpeu_seed: int = setting("seed of the MPEU runs")
    mpeu_curve_fractions: tuple[float, ...] = setting("shares of the structures of the MPEU curve")
    max_structures: int | None = setting("structures per database (None: all)")
    graph_jobs: int = setting("processes that build the crystal graphs (-1: all cores)")


    def mpeu_config(self) -> TrainConfig:
        """The :class:`~howbig.methods.training.TrainConfig` of the MPEU runs."""
        return TrainConfig(learning_rate=self.mpeu_learning_rate, decay_rate=self.mpeu_decay_rate,
                           decay_steps=self.mpeu_decay_steps, batch_size=self.mpeu_batch_size,
                           max_steps=self.mpeu_max_steps, eval_every=self.mpeu_eval_every,
                           patience=self.mpeu_patience, seed=self.mpeu_seed, progress=False)
