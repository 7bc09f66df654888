"""What Chapter 3 runs: one typed record per profile (:data:`howbig.profiles.PROFILES`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from howbig.chapters.settings import ChapterSettings, setting

__all__ = ["SimilaritySettings"]


@dataclass(frozen=True, repr=False)  # repr=False: the record shows one field per line
class SimilaritySettings(ChapterSettings):
    """The settings of Chapter 3 a reader may change; ``SimilaritySettings.of(profile)``."""

    CHAPTER: ClassVar[str] = "similarity"

    group_threshold: float = setting("min. S of any pair in a group")
    thresholds_scan: tuple[float, ...] = setting("thresholds of the group scan")
    n_boot: int = setting("bootstrap resamples")
    nomad_max_entries: int | None = setting("NOMAD entries (None: all)")
