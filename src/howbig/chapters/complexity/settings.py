"""What Chapter 5 runs: one typed record per profile (:data:`howbig.profiles.PROFILES`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from howbig.chapters.settings import ChapterSettings, setting

__all__ = ["ComplexitySettings"]


@dataclass(frozen=True)
class ComplexitySettings(ChapterSettings):
    """Sizes of Chapter 5's two experiments; ``ComplexitySettings.of(profile)``."""

    CHAPTER: ClassVar[str] = "complexity"

    # experiment 1: SISSO against NNs on the basis-set errors (small data)
    sisso_rung: int = setting("SISSO: depth of the expression trees")
    sisso_dim: int = setting("SISSO: descriptors of the model")
    sisso_sis: int = setting("SISSO: candidates kept by screening, per dimension")
    nn_epochs: int = setting("NN: training epochs")
    nn_hidden_grid: tuple[tuple[int, ...], ...] = setting("NN: architectures the inner CV tries")
    nn_lr_grid: tuple[float, ...] = setting("NN: learning rates the inner CV tries")
    exp1_folds: int = setting("folds of the group k-fold by molecule")
    exp1_repeats: int = setting("repeats of the k-fold, molecules reshuffled")
    # experiment 2: RF against NN (and SISSO) on AFLOW band gaps
    gap_n_train: int | None = setting("training compounds (None: all)")
    gap_cv_folds: int = setting("folds of the hyperparameter CV")
    gap_nn_epochs: int = setting("NN: training epochs")
    gap_batch: int = setting("NN: batch size")
    gap_rf_grid: dict[str, Any] = setting("RF: hyperparameters the CV tries")
    gap_nn_grid: dict[str, Any] = setting("NN: hyperparameters the CV tries")
    gap_budgets: tuple[int, ...] = setting("parameter budgets of the matched sweep")
    gap_sisso_rungs: tuple[int, ...] = setting("SISSO rungs of the sweep")
    gap_sisso_dim: int = setting("SISSO: largest dimension of the sweep")
    gap_sisso_sis: int = setting("SISSO: candidates kept by screening")
    gap_curve_sizes: tuple[int, ...] = setting("training-set sizes of the learning curves")
    icsd_n: int | None = setting("AFLOW-ICSD compounds (None: all)")
