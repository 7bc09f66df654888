"""SISSO: planted formulas are recovered exactly; screening and l0 match references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression

from howbig.methods.models.sisso import SissoRegressor, l0_search, n_combinations, sis_scores
from howbig.methods.models.sisso_features import CandidateGenerator, evaluate


def _data(n: int = 80, p: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 2.5, size=(n, p))


def _canonical(trees: list) -> set[str]:
    """Descriptors as sorted strings, independent of operand order of commutative ops."""

    def canon(t: tuple) -> str:
        if t[0] == "x":
            return f"x{t[1]}"
        args = [canon(a) for a in t[1:]]
        if t[0] in {"add", "mul", "absdiff", "sub"} and len(args) == 2:
            args = sorted(args)
        return f"{t[0]}({','.join(args)})"

    return {canon(t) for t in trees}


def test_rung1_two_dimensional_formula_is_recovered_exactly():
    X = _data()
    y = 2.0 * X[:, 0] * X[:, 1] - 0.5 / X[:, 2] + 1.0
    model = SissoRegressor(max_rung=1, n_dim=2, n_sis=10).fit(X, y)
    assert _canonical(model.trees_) == {"mul(x0,x1)", "inv(x2)"}
    assert sorted(np.round(model.coef_, 8)) == [-0.5, 2.0]
    assert model.intercept_ == pytest.approx(1.0, abs=1e-8)
    assert model.models_[-1]["rmse"] < 1e-8
    np.testing.assert_allclose(model.predict(X), y, atol=1e-8)


def test_rung2_formula_is_recovered_and_generalizes():
    X = _data(n=60, p=3, seed=1)
    y = 1.5 * np.sqrt(X[:, 0]) / X[:, 1] + 0.3
    model = SissoRegressor(operators=("mul", "div", "add", "sqrt", "sq", "exp"), max_rung=2,
                           n_dim=1, n_sis=20).fit(X, y)
    assert model.rung_ == 2
    assert model.models_[-1]["rmse"] < 1e-10
    # the descriptor is sqrt(x0) / x1 up to an affine map (possibly written differently,
    # e.g. (x0 / x1) / sqrt(x0)): compare values, not strings
    values = evaluate(model.trees_[0], X)
    assert abs(np.corrcoef(values, np.sqrt(X[:, 0]) / X[:, 1])[0, 1]) == pytest.approx(1.0)
    X_new = _data(n=20, p=3, seed=2)
    np.testing.assert_allclose(model.predict(X_new), 1.5 * np.sqrt(X_new[:, 0]) / X_new[:, 1] + 0.3,
                               rtol=1e-8)


def test_rung3_formula_is_recovered():
    X = _data(n=50, p=2, seed=3)
    y = np.exp(-(X[:, 0] - X[:, 1]) ** 2) * 4.0 - 1.0
    model = SissoRegressor(operators=("sub", "sq", "nexp"), max_rung=3, n_dim=1,
                           n_sis=5).fit(X, y)
    assert model.rung_ == 3
    np.testing.assert_allclose(model.predict(X), y, atol=1e-8)


def test_residual_iterations_follow_ouyang():
    """Dimension 2 adds the descriptor that best explains the 1D residual."""
    X = _data(n=100, p=5, seed=4)
    y = 3.0 * X[:, 0] ** 2 + 0.2 * X[:, 3]
    model = SissoRegressor(operators=("sq", "mul", "add"), max_rung=1, n_dim=2, n_sis=3).fit(X, y)
    assert len(model.models_) == 2
    assert model.models_[1]["rmse"] <= model.models_[0]["rmse"]
    assert _canonical(model.trees_) == {"sq(x0)", "x3"}


def test_dimensional_checks_forbid_adding_different_units():
    X = _data(n=60, p=2, seed=5)
    y = X[:, 0] + X[:, 1]
    plain = SissoRegressor(operators=("add", "mul"), max_rung=1, n_dim=1, n_sis=5).fit(X, y)
    assert _canonical(plain.trees_) == {"add(x0,x1)"}
    units = [{"eV": 1}, {"angstrom": 1}]
    dim = SissoRegressor(operators=("add", "mul", "exp"), max_rung=1, n_dim=1, n_sis=5,
                         units=units).fit(X, y)
    assert "add(x0,x1)" not in _canonical(dim.trees_)
    for tree in dim.trees_:
        assert tree[0] not in {"add", "exp"}  # exp of a dimensioned quantity is invalid too


def test_invalid_constant_and_duplicate_features_are_dropped():
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=50)  # negative values: log and sqrt undefined
    X = np.column_stack([x, 2 * x + 1, np.full(50, 3.0)])  # duplicate (affine) and constant
    generator = CandidateGenerator(operators=("log", "sqrt", "sq"))
    space = generator.build(X, 2)
    assert space.rung_start == [0, 1]  # only a survives rung 0 (b = 2a + 1, c constant)
    assert space.trees == [("x", 0), ("sq", ("x", 0))]  # log(a), sqrt(a) undefined for a < 0
    space = generator.build(X, 3)
    assert np.all(np.isfinite(space.values))
    z = (space.values - space.values.mean(0)) / space.values.std(0)
    corr = np.abs(z.T @ z) / len(z)
    np.fill_diagonal(corr, 0)
    assert corr.max() < 1 - 1e-9  # no two stored features are affine images of each other
    assert all(t[0] not in {"log", "sqrt"} or t[1][0] != "x" for t in space.trees)


def test_sis_scores_are_absolute_pearson_correlations():
    rng = np.random.default_rng(7)
    V = rng.normal(size=(40, 6))
    r = rng.normal(size=40)
    expected = [abs(np.corrcoef(V[:, k], r)[0, 1]) for k in range(6)]
    np.testing.assert_allclose(sis_scores(V, r), expected, rtol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_l0_search_matches_brute_force_least_squares(d):
    rng = np.random.default_rng(8 + d)
    X = rng.normal(size=(30, 8))
    y = rng.normal(size=30)
    best, sse, n = l0_search(X, y, d, chunk=7)
    assert n == n_combinations(8, d)
    reference = {}
    for combo in itertools.combinations(range(8), d):
        fit = LinearRegression().fit(X[:, combo], y)
        reference[combo] = float(np.sum((y - fit.predict(X[:, combo])) ** 2))
    ref_best = min(reference, key=reference.get)
    assert tuple(best) == ref_best
    assert sse == pytest.approx(reference[ref_best], rel=1e-8)


def test_sklearn_api_and_evaluate():
    X = _data(n=40, p=2, seed=9)
    y = X[:, 0] / X[:, 1]
    model = SissoRegressor(max_rung=1, n_dim=1, n_sis=5)
    assert clone(model).get_params() == model.get_params()
    model.fit(X, y)
    assert model.score(X, y) == pytest.approx(1.0)
    assert evaluate(model.trees_[0], X).shape == (40,)
    with pytest.raises(ValueError, match="max_rung"):
        SissoRegressor(max_rung=4).fit(X, y)


def test_max_stored_explains_what_to_reduce():
    X = _data(n=20, p=6, seed=10)
    with pytest.raises(ValueError, match="max_stored"):
        SissoRegressor(max_rung=3, max_stored=50).fit(X, X[:, 0])


def test_basis_error_units_forbid_adding_errors_to_counts():
    from howbig.chapters.complexity.small_data import BASIS_FEATURES, BASIS_UNITS
    from howbig.methods.models.sisso_features import CandidateGenerator, expression

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 50, size=(40, len(BASIS_FEATURES)))
    space = CandidateGenerator(("add", "sub", "mul", "exp"), units=BASIS_UNITS).build(X, 2)
    names = list(BASIS_FEATURES)
    formulas = [expression(t, names) for t in space.trees]
    assert "(n_basis - atoms_error)" not in formulas and "(atoms_error - n_basis)" not in formulas
    assert not any(f.startswith("exp(") for f in formulas)  # no exp of a dimensioned quantity
    assert any(f in ("(atoms_error + atoms_error_max)", "(atoms_error_max + atoms_error)")
               for f in formulas)
