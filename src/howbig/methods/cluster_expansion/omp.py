"""Orthogonal matching pursuit (OMP) paths: sparse linear models of every size, with CV.

OMP starts from the mean and, at each step, adds the column most correlated with the current
residual, then refits all chosen columns by least squares:

.. math:: j_k = \\arg\\max_j |z_j^\\top r_{k-1}|, \\quad
          r_k = y - \\bar y - Z_{S_k} (Z_{S_k}^\\top Z_{S_k})^{-1} Z_{S_k}^\\top (y - \\bar y),

with :math:`z_j` the centred, unit-norm columns. :func:`omp_path` gives every model size from one
call to scikit-learn's ``orthogonal_mp(..., return_path=True)``; :func:`omp_cv_path` adds K-fold
cross-validated errors per size; :func:`omp_nested_cv` chooses the size inside each outer
training fold, so the error it reports for "the chosen size" is not biased low by the choice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["NestedCV", "OMPPath", "omp_cv_path", "omp_nested_cv", "omp_path", "plateau_size"]


@dataclass
class OMPPath:
    """An OMP path: models with 1..``n_steps`` features and their errors.

    Attributes
    ----------
    sizes
        1..max_features (length ``max_features``).
    fit_rmse
        Training RMSE of the model with k features (NaN beyond the path's end).
    cv_rmse
        Cross-validated RMSE (NaN if not computed); pooled over the folds.
    fold_rmse
        Held-out RMSE per fold and size, shape ``(n_splits, max_features)`` (empty if no CV).
    order
        Column indices (into the matrix given to :func:`omp_path`) in the order OMP added them.
    n_steps
        Number of steps the path reached (less than ``max_features`` when the dictionary's rank,
        or the number of samples, runs out).
    n_candidates
        Number of candidate columns.
    """

    sizes: np.ndarray
    fit_rmse: np.ndarray
    cv_rmse: np.ndarray
    order: np.ndarray
    n_steps: int
    n_candidates: int
    coefs: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    fold_rmse: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    intercepts: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def predict(self, features: np.ndarray, k: int) -> np.ndarray:
        """Predictions of the model with ``k`` features for rows of the same matrix."""
        k = min(k, self.n_steps)
        return features @ self.coefs[:, k - 1] + self.intercepts[k - 1]

    def best(self, which: str = "fit") -> int:
        """Model size with the lowest ``fit`` or ``cv`` RMSE."""
        values = self.fit_rmse if which == "fit" else self.cv_rmse
        return int(self.sizes[np.nanargmin(values)])


def _path(features: np.ndarray, y: np.ndarray, max_features: int, rank_tol: float = 1e-6):
    """OMP path on centred, unit-norm columns; returns (coefs in original units, intercepts)."""
    from sklearn.linear_model import orthogonal_mp  # imported here: sklearn takes ~2 s

    mean_x = features.mean(axis=0)
    z = features - mean_x
    norm = np.linalg.norm(z, axis=0)
    usable = norm > 1e-12 * max(1.0, float(np.abs(features).max(initial=0.0)))
    cols = np.flatnonzero(usable)
    zn = z[:, cols] / norm[cols]
    y_mean = float(y.mean())
    k = int(min(max_features, zn.shape[1], zn.shape[0] - 1))
    if k < 1:
        return np.zeros((features.shape[1], 0)), np.zeros(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*linear dependence.*")
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        # precompute: Gram-matrix OMP, the same path and faster for many candidate columns
        path = orthogonal_mp(zn, y - y_mean, n_nonzero_coefs=k, return_path=True, copy_X=True,
                             precompute=True)
    path = np.asarray(path)
    if path.ndim == 1:
        path = path[:, None]
    # a step that added no new atom (premature end) repeats the previous model: cut it
    nnz = (path != 0).sum(axis=0)
    steps = int(np.max(np.flatnonzero(np.diff(np.r_[0, nnz]) > 0), initial=-1)) + 1
    path = path[:, :steps]
    # scikit-learn only stops when a new atom is dependent to machine precision; stop where it
    # is dependent to a practical tolerance (its part orthogonal to the chosen ones < rank_tol)
    chosen = _order(path)
    if chosen.size:
        r = np.abs(np.diag(np.linalg.qr(zn[:, chosen], mode="r")))
        dependent = np.flatnonzero(r < rank_tol)
        if dependent.size:
            steps = int(dependent[0])
            path = path[:, :steps]
    coefs = np.zeros((features.shape[1], steps))
    coefs[cols] = path / norm[cols, None]
    intercepts = y_mean - mean_x @ coefs
    return coefs, intercepts


def _order(coefs: np.ndarray) -> np.ndarray:
    """Columns in the order the path added them: the step at which each became nonzero."""
    active = coefs != 0
    first = np.where(active.any(axis=1), active.argmax(axis=1), coefs.shape[1])
    chosen = np.flatnonzero(first < coefs.shape[1])
    return chosen[np.argsort(first[chosen], kind="stable")].astype(int)


def omp_path(features: np.ndarray, y: np.ndarray, *, max_features: int = 200) -> OMPPath:
    """The OMP path (1..``max_features`` features) on all data, with its fit RMSE per size.

    Columns are centred and scaled to unit norm (an intercept is always fitted); constant
    columns are ignored. One call to :func:`sklearn.linear_model.orthogonal_mp` with
    ``return_path=True`` gives every model size at once.
    """
    features = np.asarray(features, dtype=float)
    y = np.asarray(y, dtype=float)
    coefs, intercepts = _path(features, y, max_features)
    steps = coefs.shape[1]
    fit = np.full(max_features, np.nan)
    if steps:
        pred = features @ coefs + intercepts
        fit[:steps] = np.sqrt(np.mean((pred - y[:, None]) ** 2, axis=0))
    return OMPPath(
        sizes=np.arange(1, max_features + 1), fit_rmse=fit, cv_rmse=np.full(max_features, np.nan),
        order=_order(coefs), n_steps=steps, n_candidates=features.shape[1],
        coefs=coefs, intercepts=intercepts,
    )


def _padded_predictions(features: np.ndarray, coefs: np.ndarray, intercepts: np.ndarray,
                        fallback: float, max_features: int) -> np.ndarray:
    """Predictions of models 1..max_features; sizes beyond the path reuse its last model."""
    if coefs.shape[1] == 0:
        return np.full((len(features), max_features), fallback)
    pred = features @ coefs + intercepts
    if pred.shape[1] < max_features:
        pred = np.hstack([pred, np.repeat(pred[:, -1:], max_features - pred.shape[1], 1)])
    return pred


def omp_cv_path(features: np.ndarray, y: np.ndarray, *, max_features: int = 200,
                n_splits: int = 5, seed: int = 0) -> OMPPath:
    """:func:`omp_path` plus the K-fold cross-validated RMSE of every model size.

    One OMP path per training fold (the selection is redone inside every fold, so the CV error
    includes the selection's variance); the held-out squared errors of all folds are pooled
    (``cv_rmse``) and kept per fold (``fold_rmse``). Sizes a fold's path did not reach reuse
    that fold's largest model. The CV error *at the best size* is the minimum over sizes and
    therefore optimistic; use :func:`omp_nested_cv` for an honest estimate.
    """
    from sklearn.model_selection import KFold  # imported here: sklearn takes ~2 s

    result = omp_path(features, y, max_features=max_features)
    features = np.asarray(features, dtype=float)
    y = np.asarray(y, dtype=float)
    sq = np.zeros(max_features)
    per_fold = []
    for train, test in KFold(n_splits, shuffle=True, random_state=seed).split(features):
        coefs, intercepts = _path(features[train], y[train], max_features)
        pred = _padded_predictions(features[test], coefs, intercepts, float(y[train].mean()),
                                   max_features)
        err = ((pred - y[test, None]) ** 2).sum(axis=0)
        sq += err
        per_fold.append(np.sqrt(err / len(test)))
    result.cv_rmse = np.sqrt(sq / len(y))
    result.fold_rmse = np.array(per_fold)
    return result


@dataclass(frozen=True)
class NestedCV:
    """Held-out error of the whole procedure "choose the model size by CV, then fit".

    Attributes
    ----------
    rmse
        RMSE over all outer test folds (squared errors pooled).
    fold_rmse
        RMSE of each outer test fold (same folds for every feature space with the same seed
        and number of rows, so two spaces can be compared fold by fold).
    chosen_sizes
        Model size chosen by the inner CV in each outer training set.
    """

    rmse: float
    fold_rmse: np.ndarray
    chosen_sizes: np.ndarray

    @property
    def spread(self) -> float:
        """Standard deviation of the outer folds' RMSE."""
        return float(np.std(self.fold_rmse, ddof=1)) if len(self.fold_rmse) > 1 else float("nan")


def omp_nested_cv(features: np.ndarray, y: np.ndarray, *, max_features: int = 200,
                  n_splits: int = 5, inner_splits: int = 5, seed: int = 0) -> NestedCV:
    """Nested K-fold CV of OMP with the model size chosen by an inner CV.

    For every outer fold, :func:`omp_cv_path` runs on the outer training rows only, its best CV
    size is chosen there, and that model (fitted on all outer training rows) predicts the
    outer test rows, which took no part in the choice.
    """
    from sklearn.model_selection import KFold  # imported here: sklearn takes ~2 s

    features = np.asarray(features, dtype=float)
    y = np.asarray(y, dtype=float)
    sq, fold_rmse, chosen = 0.0, [], []
    for train, test in KFold(n_splits, shuffle=True, random_state=seed).split(features):
        inner = omp_cv_path(features[train], y[train], max_features=max_features,
                            n_splits=inner_splits, seed=seed + 1)
        k = inner.best("cv")
        pred = (inner.predict(features[test], k) if inner.n_steps
                else np.full(len(test), y[train].mean()))
        err = float(((pred - y[test]) ** 2).sum())
        sq += err
        fold_rmse.append(np.sqrt(err / len(test)))
        chosen.append(min(k, inner.n_steps))
    return NestedCV(float(np.sqrt(sq / len(y))), np.array(fold_rmse), np.array(chosen))


def plateau_size(rmse: np.ndarray, fraction: float = 0.95) -> int:
    """Smallest model size that achieves ``fraction`` of the path's total RMSE reduction.

    The reduction is measured from the one-feature model to the best model on the path
    (NaN sizes ignored); a path that keeps falling steeply has its "plateau" at the end.
    """
    values = np.asarray(rmse, dtype=float)
    valid = np.flatnonzero(np.isfinite(values))
    if valid.size == 0:
        raise ValueError("rmse has no finite values")
    first, best = values[valid[0]], np.nanmin(values)
    target = first - fraction * (first - best)
    return int(valid[np.argmax(values[valid] <= target + 1e-15)] + 1)
