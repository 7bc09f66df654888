"""What Chapter 6's compute sections run: typed records per profile (:mod:`howbig.profiles`).

Section 6.1 (storage) needs no profile: its record is the campaign itself,
:class:`howbig.chapters.infrastructure.storage.Campaign`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from howbig.chapters.settings import ChapterSettings, setting

__all__ = ["SearchSettings", "TimingSettings"]


@dataclass(frozen=True)
class TimingSettings(ChapterSettings):
    """Section 6.2: the step profiler and the structures it batches."""

    CHAPTER: ClassVar[str] = "compute"

    nas_target: str = setting("the property the models fit")
    nas_max_structures: int | None = setting("structures to use (None: all)")
    nas_seed: int = setting("seed of the subsample, the split and the models")
    profile_batch_size: int = setting("graphs per batch (the paper: 32)")
    profile_latent_size: int = setting("latent size (the paper's SchNet: 64)")
    profile_mp_steps: int = setting("message-passing steps (the paper's SchNet: 3)")
    profile_steps: int = setting("timed training steps")
    profile_warmup: int = setting("untimed steps first (compilation)")


@dataclass(frozen=True)
class SearchSettings(ChapterSettings):
    """Section 6.3: the architecture search and its seed noise."""

    CHAPTER: ClassVar[str] = "compute"

    nas_target: str = setting("the property the models fit")
    nas_max_structures: int | None = setting("structures to use (None: all)")
    nas_seed: int = setting("seed of the subsample, the split and the search")
    nas_trials: int = setting("candidates trained (at least one per grid cell)")
    nas_max_steps: int = setting("training steps per candidate")
    nas_eval_every: int = setting("steps between validation evaluations")
    nas_mp_steps: tuple[int, ...] = setting("message-passing steps of the grid")
    nas_latent_sizes: tuple[int, ...] = setting("latent sizes of the grid")
    nas_batch_sizes: tuple[int, ...] = setting("batch sizes a candidate may draw")
    nas_learning_rate: tuple[float, float] = setting("range of the log-uniform learning rate")
    nas_noise_seeds: tuple[int, ...] = setting("extra seeds of the best configuration")
    nas_pruner: str = setting("pruner replayed on the finished search")
