"""Chapter 5's two experiments: does the model class or the parameter count decide performance?

Experiment 1 (small data): SISSO vs neural networks on basis-set errors of DFT total energies
(:mod:`howbig.dft.basis_errors`), the analogue of the paper's numerical-errors example.

Experiment 2 (larger data): random forests vs neural networks (and SISSO) on AFLOW band gaps of
non-metals with composition features (:mod:`howbig.methods.features`): cross-validated
hyperparameters, test
MAE with bootstrap uncertainty, sweeps at matched parameter counts and learning curves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GroupShuffleSplit, KFold, ParameterGrid

from howbig.methods.complexity import (
    eq4_forest,
    eq4_mlp,
    eq4_sisso,
    forest_complexity,
    mlp_parameter_count,
    nn_complexity,
    sisso_complexity,
)
from howbig.methods.models.mlp import MLPRegressor, hidden_for_parameters
from howbig.methods.models.sisso import SissoRegressor

__all__ = [
    "BASIS_FEATURES",
    "aflow_gaps",
    "basis_error_dataset",
    "bootstrap_mae",
    "complexity_row",
    "cross_validate_grid",
    "experiment1",
    "gap_comparison",
    "learning_curves",
    "mae",
    "make_rf",
    "matched_sweep",
    "rmsle",
    "sisso_sweep",
]

BASIS_FEATURES = ("atoms_error", "atoms_error_max", "n_atoms", "n_hydrogen", "n_basis")


# ------------------------------------------------------------------------------------ metrics
def rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root-mean-squared logarithmic error, ``sqrt(mean((log1p(p) - log1p(y))^2))``.

    Negative predictions are clipped to 0 first (the targets are non-negative errors).
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.clip(np.asarray(y_pred, dtype=float), 0.0, None)
    return float(np.sqrt(np.mean((np.log1p(y_pred) - np.log1p(y_true)) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def bootstrap_mae(y_true: np.ndarray, y_pred: np.ndarray, n_boot: int = 1000,
                  seed: int = 0) -> dict[str, float]:
    """Test MAE with its bootstrap standard error and 95 % interval (resampling test points)."""
    err = np.abs(np.asarray(y_true) - np.asarray(y_pred))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(err), size=(n_boot, len(err)))
    boots = err[idx].mean(axis=1)
    return {"mae": float(err.mean()), "se": float(boots.std(ddof=1)),
            "lo": float(np.percentile(boots, 2.5)), "hi": float(np.percentile(boots, 97.5))}


def complexity_row(name: str, model: Any) -> dict[str, Any]:
    """One row of a complexity table: the class's own measure and eq. (4)'s split."""
    if isinstance(model, SissoRegressor):
        c = sisso_complexity(model)
        split = eq4_sisso(model)
        measure = f"(rung, dimension) = ({c['rung']}, {c['dimension']})"
        cls = "SISSO"
    elif isinstance(model, MLPRegressor):
        c = nn_complexity(model.params_)
        split = eq4_mlp(model.params_)
        measure = f"(weights, biases) = ({c['weights']}, {c['biases']})"
        cls = "NN"
    else:
        c = forest_complexity(model)
        split = eq4_forest(model)
        measure = f"leaves = {c['leaves']} ({c['splits']} splits, {c['trees']} trees)"
        cls = "RF"
    return {"model": name, "class": cls, "complexity": measure, "A (additive)": split.additive,
            "L (linear)": split.linear, "N (nonlinear)": split.nonlinear,
            "parameters": split.total}


# ------------------------------------------------------------------------------- experiment 1
def basis_error_dataset(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (molecule, basis): the molecule's error (target) and features from its atoms.

    Features: ``atoms_error`` (sum of the free atoms' errors in the same basis, meV),
    ``atoms_error_max`` (the largest of them), ``n_atoms``, ``n_hydrogen``, ``n_basis`` (basis
    functions of the molecule).
    """
    from ase.collections import g2

    atoms = table[table.kind == "atom"].set_index(["system", "basis"]).error_mev
    rows = []
    for _, r in table[table.kind == "molecule"].iterrows():
        symbols = g2[r.system].get_chemical_symbols()
        errs = [atoms[(s, r.basis)] for s in symbols]
        rows.append({"molecule": r.system, "formula": r.formula, "basis": r.basis,
                     "error_mev": r.error_mev, "atoms_error": float(np.sum(errs)),
                     "atoms_error_max": float(np.max(errs)), "n_atoms": len(symbols),
                     "n_hydrogen": symbols.count("H"), "n_basis": int(r.n_basis)})
    return pd.DataFrame(rows)


def cross_validate_grid(make: Callable[..., Any], grid: dict[str, Sequence[Any]],
                        X: np.ndarray, y: np.ndarray, metric: Callable, n_folds: int = 3,
                        seed: int = 0, groups: np.ndarray | None = None,
                        progress: bool = True) -> tuple[dict[str, Any], pd.DataFrame]:
    """K-fold cross-validation over a parameter grid; returns the best parameters and the table.

    ``make(**params)`` builds an unfitted estimator; ``metric(y, p)`` is minimised. With ``groups``
    the folds keep each group together.
    """
    from sklearn.model_selection import GroupKFold
    from tqdm.auto import tqdm

    if groups is None:
        folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(X))
    else:
        folds = list(GroupKFold(n_folds).split(X, y, groups))
    rows = []
    candidates = list(ParameterGrid(grid))
    for params in tqdm(candidates, desc="CV", disable=not progress, leave=False):
        scores = []
        for tr, va in folds:
            model = make(**params).fit(X[tr], y[tr])
            scores.append(metric(y[va], model.predict(X[va])))
        rows.append({**{k: str(v) for k, v in params.items()},
                     "cv_score": float(np.mean(scores)), "cv_std": float(np.std(scores))})
    scores = np.array([r["cv_score"] for r in rows])
    best = candidates[int(np.argmin(scores))]  # keeps the grid's own types (int stays int)
    table = pd.DataFrame(rows).sort_values("cv_score").reset_index(drop=True)
    return dict(best), table


def experiment1(data: pd.DataFrame, cfg: dict[str, Any], seed: int = 0,
                progress: bool = True) -> dict[str, Any]:
    """SISSO vs the best NN (CV over architectures) vs an NN matched to SISSO's parameter count.

    80/20 split by molecule (all basis sets of one molecule stay on one side). Returns the fitted
    models, predictions and metrics.
    """
    X = data[list(BASIS_FEATURES)].to_numpy(float)
    y = data.error_mev.to_numpy(float)
    split = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    train, test = next(split.split(X, y, groups=data.molecule))
    sisso = SissoRegressor(max_rung=cfg["sisso_rung"], n_dim=cfg["sisso_dim"],
                           n_sis=cfg["sisso_sis"], feature_names=list(BASIS_FEATURES))
    sisso.fit(X[train], y[train])

    def make_nn(hidden: tuple[int, ...], learning_rate: float) -> MLPRegressor:
        return MLPRegressor(hidden=hidden, learning_rate=learning_rate, epochs=cfg["nn_epochs"],
                            batch_size=32, validation_fraction=0.0, seed=seed)

    grid = {"hidden": [tuple(h) for h in cfg["nn_hidden_grid"]],
            "learning_rate": list(cfg["nn_lr_grid"])}
    best, cv = cross_validate_grid(make_nn, grid, X[train], y[train], rmsle, n_folds=3,
                                   seed=seed, groups=data.molecule.to_numpy()[train],
                                   progress=progress)
    nn = make_nn(**best).fit(X[train], y[train])
    n_sisso = sisso_complexity(sisso)["dimension"]
    matched_hidden = hidden_for_parameters(X.shape[1], n_sisso, n_layers=1)
    nn_matched = make_nn(matched_hidden, best["learning_rate"]).fit(X[train], y[train])
    preds = {name: m.predict(X[test]) for name, m in
             (("SISSO", sisso), ("NN (best)", nn), ("NN (matched)", nn_matched))}
    metrics = pd.DataFrame([{"model": k, "test RMSLE": rmsle(y[test], p),
                             "test MAE (meV)": mae(y[test], p)} for k, p in preds.items()])
    table = pd.DataFrame([complexity_row("SISSO", sisso), complexity_row("NN (best)", nn),
                          complexity_row("NN (matched)", nn_matched)])
    return {"sisso": sisso, "nn": nn, "nn_matched": nn_matched, "cv": cv, "train": train,
            "test": test, "y_test": y[test], "predictions": preds,
            "metrics": metrics.set_index("model"), "complexity": table,
            "basis_test": data.basis.to_numpy()[test]}


# ------------------------------------------------------------------------------- experiment 2
def aflow_gaps(source: str = "aflow_egap") -> pd.DataFrame:
    """Non-metal band gaps (gap > 0, eV) with a ``split`` column.

    ``source="aflow_egap"``: the train/val/test files of the benchmark (train and val are both
    training data here). ``source="aflow_icsd"``: ``aflow_icsd_nonmetal_gaps.csv``, duplicates of a
    formula averaged, all labelled ``"pool"``.
    """
    from howbig.data import fetch_file

    if source == "aflow_egap":
        frames = []
        for split in ("train", "val", "test"):
            df = pd.read_csv(fetch_file(f"aflow_egap_{split}.csv"))
            df["split"] = "test" if split == "test" else "train"
            frames.append(df)
        df = pd.concat(frames, ignore_index=True).rename(columns={"target": "gap_ev"})
    elif source == "aflow_icsd":
        df = pd.read_csv(fetch_file("aflow_icsd_nonmetal_gaps.csv"))
        df = df.rename(columns={"compound": "formula", "Egap": "gap_ev"})
        df = df.groupby("formula", as_index=False).gap_ev.mean()
        df["split"] = "pool"
    else:
        raise ValueError(f"unknown source {source!r}; use 'aflow_egap' or 'aflow_icsd'")
    return df[df.gap_ev > 0][["formula", "gap_ev", "split"]].reset_index(drop=True)


def make_rf(seed: int = 0, **params: Any) -> RandomForestRegressor:
    """Random forest with the chapter's defaults (single-threaded, seeded)."""
    params.setdefault("n_estimators", 100)
    return RandomForestRegressor(random_state=seed, n_jobs=1, **params)


def matched_sweep(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                  y_test: np.ndarray, budgets: Sequence[int], nn_kwargs: dict[str, Any],
                  n_trees: int = 10, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """RF and NN at matched parameter counts: RF leaves ~= NN weights + biases ~= budget.

    The RF has ``n_trees`` trees of at most ``budget / n_trees`` leaves; the NN two equal hidden
    layers sized by :func:`hidden_for_parameters`.
    """
    from tqdm.auto import tqdm

    rows = []
    for budget in tqdm(list(budgets), desc="matched budgets", disable=not progress, leave=False):
        rf = make_rf(seed, n_estimators=n_trees,
                     max_leaf_nodes=max(2, round(budget / n_trees)), max_features=0.33)
        rf.fit(X_train, y_train)
        hidden = hidden_for_parameters(X_train.shape[1], budget, n_layers=2)
        nn = MLPRegressor(hidden=hidden, seed=seed, **nn_kwargs).fit(X_train, y_train)
        rows.append({"budget": budget, "model": "RF", "parameters": forest_complexity(rf)["leaves"],
                     "test MAE": mae(y_test, rf.predict(X_test))})
        rows.append({"budget": budget, "model": "NN",
                     "parameters": mlp_parameter_count(X_train.shape[1], hidden)["total"],
                     "test MAE": mae(y_test, nn.predict(X_test))})
    return pd.DataFrame(rows)


def sisso_sweep(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                y_test: np.ndarray, rungs: Sequence[int], max_dim: int, n_sis: int,
                names: Sequence[str] | None = None, progress: bool = True) -> pd.DataFrame:
    """SISSO test MAE for every (rung, dimension); one fit per rung gives all dimensions."""
    from tqdm.auto import tqdm

    rows = []
    for rung in tqdm(list(rungs), desc="SISSO rungs", disable=not progress, leave=False):
        model = SissoRegressor(max_rung=rung, n_dim=max_dim, n_sis=n_sis,
                               feature_names=names).fit(X_train, y_train)
        for m in model.models_:
            p = model.predict(X_test, dimension=m["dimension"])
            rows.append({"rung": rung, "dimension": m["dimension"] + 1,
                         "parameters": m["dimension"] + 1, "test MAE": mae(y_test, p),
                         "descriptors": "; ".join(m["descriptors"]),
                         "fit seconds": model.fit_seconds_})
    return pd.DataFrame(rows)


def learning_curves(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                    y_test: np.ndarray, sizes: Sequence[int],
                    models: dict[str, Callable[[], Any]], seed: int = 0,
                    progress: bool = True) -> pd.DataFrame:
    """Test MAE of each model class trained on nested random subsets of growing size."""
    from tqdm.auto import tqdm

    order = np.random.default_rng(seed).permutation(len(y_train))
    rows = []
    jobs = [(n, name) for n in sizes for name in models]
    for n, name in tqdm(jobs, desc="learning curves", disable=not progress, leave=False):
        idx = order[:n]
        model = clone(models[name]()) if hasattr(models[name](), "get_params") else models[name]()
        model.fit(X_train[idx], y_train[idx])
        rows.append({"n_train": n, "model": name, "test MAE": mae(y_test, model.predict(X_test))})
    return pd.DataFrame(rows)


def gap_comparison(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                   y_test: np.ndarray, cfg: dict[str, Any], seed: int = 0,
                   progress: bool = True) -> dict[str, Any]:
    """RF vs NN with cross-validated hyperparameters; test MAE (eV) with bootstrap errors.

    ``cfg`` holds ``gap_rf_grid``, ``gap_nn_grid``, ``gap_cv_folds``, ``gap_nn_epochs`` and
    ``gap_batch`` (see :mod:`howbig.profiles`).
    """

    def make_nn(**params: Any) -> MLPRegressor:
        params = {**params, "hidden": tuple(params["hidden"])}
        return MLPRegressor(epochs=cfg["gap_nn_epochs"], batch_size=cfg["gap_batch"], seed=seed,
                            **params)

    rf_best, rf_cv = cross_validate_grid(lambda **p: make_rf(seed, **p), cfg["gap_rf_grid"],
                                         X_train, y_train, mae, cfg["gap_cv_folds"], seed,
                                         progress=progress)
    nn_grid = {**cfg["gap_nn_grid"], "hidden": [tuple(h) for h in cfg["gap_nn_grid"]["hidden"]]}
    nn_best, nn_cv = cross_validate_grid(make_nn, nn_grid, X_train, y_train, mae,
                                         cfg["gap_cv_folds"], seed, progress=progress)
    rf = make_rf(seed, **rf_best).fit(X_train, y_train)
    nn = make_nn(**nn_best).fit(X_train, y_train)
    out = {"rf": rf, "nn": nn, "rf_params": rf_best, "nn_params": nn_best, "rf_cv": rf_cv,
           "nn_cv": nn_cv}
    for name, model in (("rf", rf), ("nn", nn)):
        out[f"{name}_pred"] = model.predict(X_test)
        out[f"{name}_mae"] = bootstrap_mae(y_test, out[f"{name}_pred"], seed=seed)
    # paired bootstrap of the difference: is RF better than NN beyond the test-set noise?
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y_test), size=(1000, len(y_test)))
    d = np.abs(y_test - out["nn_pred"]) - np.abs(y_test - out["rf_pred"])
    out["nn_minus_rf"] = {"mean": float(d.mean()), "se": float(d[idx].mean(axis=1).std(ddof=1)),
                          "p_rf_better": float(np.mean(d[idx].mean(axis=1) > 0))}
    out["complexity"] = pd.DataFrame([complexity_row("RF (CV)", rf),
                                      complexity_row("NN (CV)", nn)])
    return out
