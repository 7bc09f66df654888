"""What Chapter 4 runs: one typed record per profile (:data:`howbig.profiles.PROFILES`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from howbig.chapters.settings import ChapterSettings, setting

__all__ = ["ClusterExpansionSettings"]


@dataclass(frozen=True, repr=False)  # repr=False: the record shows one field per line
class ClusterExpansionSettings(ChapterSettings):
    """The settings of Chapter 4 a reader may change; ``ClusterExpansionSettings.of(profile)``."""

    CHAPTER: ClassVar[str] = "cluster_expansion"

    subset: int = setting("configurations, paper-sized set")
    subset_seed: int = setting("seed of the subset's draw")
    max_features: int = setting("longest OMP path (size cap)")
    n_splits: int = setting("CV folds (nested CV: outer)")
    inner_splits: int = setting("nested CV: inner folds")
    cv_seed: int = setting("seed of the folds")
    spread_seeds: tuple[int, ...] = setting("other subsets: fit spread")
    plateau_fraction: float = setting("plateau: share of improvement")
    small_cutoffs: tuple[float, ...] = setting("icet cutoffs (Å), small pool")
    large_cutoffs: tuple[float, ...] = setting("icet cutoffs (Å), large pool")
    crosscheck_cutoffs: tuple[float, ...] = setting("icet cutoffs (Å), CELL check")
    agpd_cutoffs: tuple[float, ...] = setting("icet cutoffs (Å), Ag-Pd")
