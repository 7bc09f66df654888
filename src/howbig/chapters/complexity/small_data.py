"""Experiment 1 of Chapter 5: SISSO against neural networks on small data.

The data are basis-set errors of PBE total energies of small molecules (:mod:`howbig.dft.
basis_errors`), the analogue of the paper's numerical-errors example: the error of a molecule in
a basis is predicted from the errors of its free atoms in that basis, its composition and its
number of basis functions. Models are compared over repeated group k-fold splits (every basis of
a molecule on the same side), so every molecule is a test molecule once per repeat and the spread
over folds says how much one split can mislead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ase.collections import g2
from sklearn.model_selection import GroupKFold
from tqdm.auto import tqdm

from howbig.chapters.complexity.common import complexity_row, cross_validate_grid, mae, rmsle
from howbig.chapters.complexity.settings import ComplexitySettings
from howbig.methods.complexity import sisso_complexity
from howbig.methods.models.mlp import MLPRegressor, hidden_for_parameters
from howbig.methods.models.sisso import SissoRegressor

__all__ = ["BASIS_FEATURES", "BASIS_UNITS", "Experiment1", "basis_error_dataset", "experiment1",
           "group_folds"]

BASIS_FEATURES = ("atoms_error", "atoms_error_max", "n_atoms", "n_hydrogen", "n_basis")
#: Units of the primary features, for SISSO's dimensional check: errors in meV, atoms and basis
#: functions are counts of different things (adding them would be meaningless).
BASIS_UNITS = ({"meV": 1}, {"meV": 1}, {"atom": 1}, {"atom": 1}, {"basis function": 1})
MODELS = ("SISSO", "NN (best)", "NN (matched)")


def basis_error_dataset(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (molecule, basis): the molecule's error (target) and features from its atoms.

    Features: ``atoms_error`` (sum of the free atoms' errors in the same basis, meV),
    ``atoms_error_max`` (the largest of them), ``n_atoms``, ``n_hydrogen``, ``n_basis`` (basis
    functions of the molecule).
    """
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


def group_folds(groups: np.ndarray, n_folds: int, n_repeats: int, seed: int = 0
                ) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """Repeated group k-fold: ``(repeat, fold, train, test)`` with groups shuffled per repeat."""
    unique = np.unique(groups)
    out = []
    for repeat in range(n_repeats):
        relabel = dict(zip(unique, np.random.default_rng(seed + repeat).permutation(len(unique)),
                           strict=True))
        shuffled = np.array([relabel[g] for g in groups])
        for fold, (tr, te) in enumerate(GroupKFold(n_folds).split(groups, groups=shuffled)):
            out.append((repeat, fold, tr, te))
    return out


@dataclass
class Experiment1:
    """Results of :func:`experiment1`.

    Attributes
    ----------
    folds
        One row per (repeat, fold, model): ``test RMSLE``, ``test MAE (meV)``, ``parameters``,
        ``n_test_molecules`` and the NN architecture chosen by the inner CV.
    summary
        Per model: mean and standard deviation over folds of the test RMSLE and MAE, and ``n``.
    sisso_wins
        Folds in which SISSO's test RMSLE is below the best NN's.
    predictions
        Out-of-fold predictions of the first repeat (every row predicted once), per model.
    complexity
        Complexity rows (:func:`complexity_row`) of the models of the first fold.
    sisso, nn
        The SISSO model and the best NN of the first fold.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    sisso_wins: int
    n_splits: int
    y: np.ndarray
    predictions: dict[str, np.ndarray]
    complexity: pd.DataFrame
    sisso: SissoRegressor
    nn: MLPRegressor


def experiment1(data: pd.DataFrame, cfg: ComplexitySettings, seed: int = 0,
                progress: bool = True) -> Experiment1:
    """SISSO vs the best NN (inner CV over architectures) vs an NN matched to SISSO's size.

    ``cfg`` sets ``sisso_rung``, ``sisso_dim``, ``sisso_sis``, ``nn_epochs``,
    ``nn_hidden_grid``, ``nn_lr_grid``, ``exp1_folds`` and ``exp1_repeats``.
    """
    X = data[list(BASIS_FEATURES)].to_numpy(float)
    y = data.error_mev.to_numpy(float)
    groups = data.molecule.to_numpy()

    def make_nn(hidden: tuple[int, ...], learning_rate: float) -> MLPRegressor:
        return MLPRegressor(hidden=hidden, learning_rate=learning_rate, epochs=cfg.nn_epochs,
                            batch_size=32, validation_fraction=0.0, seed=seed)

    grid = {"hidden": [tuple(h) for h in cfg.nn_hidden_grid],
            "learning_rate": list(cfg.nn_lr_grid)}
    splits = group_folds(groups, cfg.exp1_folds, cfg.exp1_repeats, seed)
    rows, oof = [], {m: np.full(len(y), np.nan) for m in MODELS}
    first: dict[str, Any] = {}
    for repeat, fold, train, test in tqdm(splits, desc="outer folds", disable=not progress):
        sisso = SissoRegressor(max_rung=cfg.sisso_rung, n_dim=cfg.sisso_dim,
                               n_sis=cfg.sisso_sis, units=BASIS_UNITS,
                               feature_names=list(BASIS_FEATURES)).fit(X[train], y[train])
        best, _ = cross_validate_grid(make_nn, grid, X[train], y[train], rmsle, n_folds=3,
                                      seed=seed, groups=groups[train], progress=False)
        nn = make_nn(**best).fit(X[train], y[train])
        matched = hidden_for_parameters(X.shape[1], sisso_complexity(sisso)["dimension"],
                                        n_layers=1)
        nn_matched = make_nn(matched, best["learning_rate"]).fit(X[train], y[train])
        models = dict(zip(MODELS, (sisso, nn, nn_matched), strict=True))
        if not first:
            first = models
        for name, model in models.items():
            pred = model.predict(X[test])
            if repeat == 0:
                oof[name][test] = pred
            rows.append({"repeat": repeat, "fold": fold, "model": name,
                         "test RMSLE": rmsle(y[test], pred), "test MAE (meV)": mae(y[test], pred),
                         "parameters": complexity_row(name, model)["parameters"],
                         "n_test_molecules": len(np.unique(groups[test])),
                         "nn hidden": str(best["hidden"])})
    folds = pd.DataFrame(rows)
    summary = folds.groupby("model", sort=False).agg(
        **{"RMSLE mean": ("test RMSLE", "mean"), "RMSLE std": ("test RMSLE", "std"),
           "MAE mean (meV)": ("test MAE (meV)", "mean"), "MAE std (meV)": ("test MAE (meV)", "std"),
           "n": ("test RMSLE", "size")})
    wide = folds.pivot_table(index=["repeat", "fold"], columns="model", values="test RMSLE")
    complexity = pd.DataFrame([complexity_row(n, m) for n, m in first.items()])
    return Experiment1(folds=folds, summary=summary,
                       sisso_wins=int((wide["SISSO"] < wide["NN (best)"]).sum()),
                       n_splits=len(wide), y=y, predictions=oof, complexity=complexity,
                       sisso=first["SISSO"], nn=first["NN (best)"])
