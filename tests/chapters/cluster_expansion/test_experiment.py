"""Tests of howbig.methods.cluster_expansion: feature counts, planted OMP models, nested CV,
icet cluster-vector properties; and the chapter's fold comparison."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pandas as pd
import pytest
from ase.spacegroup import crystal
from scipy.stats import t as student_t

from howbig.chapters.cluster_expansion.experiment import (
    FeatureSpacePath,
    compare_folds,
    feature_space_paths,
)
from howbig.methods import cluster_expansion as ce

# --------------------------------------------------------------------------------------------
# polynomial features
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1, 2, 3, 5])
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_feature_count_matches_enumeration(p, d):
    listed = sum(
        len(list(itertools.combinations_with_replacement(range(p), k))) for k in range(1, d + 1)
    )
    assert ce.polynomial_feature_count(p, d) == listed
    assert ce.polynomial_feature_count(p, d, include_constant=True) == listed + 1
    feats = ce.PolynomialFeatures(np.zeros((2, p)), d)
    assert feats.n_features == listed == len(list(feats.terms()))


def test_feature_count_paper_values():
    assert ce.polynomial_feature_count(27, 2) == 405
    assert ce.polynomial_feature_count(27, 3) == 4059
    assert ce.polynomial_feature_count(27, 3, include_constant=True) == sum(
        comb(27 + k - 1, k) for k in range(4)
    )


def test_columns_are_the_monomials():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3))
    feats = ce.PolynomialFeatures(x, 3)
    full = feats.matrix()
    for pos, term in enumerate(feats.terms()):
        np.testing.assert_allclose(full[:, pos], np.prod(x[:, list(term)], axis=1))
    chosen = [18, 0, 5]
    np.testing.assert_allclose(feats.columns(chosen), full[:, chosen])
    assert feats.term(5) == (0, 2)
    assert feats.term_names([5, 3]) == ["X0*X2", "X0^2"]
    with pytest.raises(IndexError):
        feats.columns([19])


def test_distinct_drops_duplicates_and_constants():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3))
    dup = np.column_stack([x, 2.0 * x[:, 0] + 1.0, np.ones(30)])  # scaled copy, constant
    _, cols_a = ce.PolynomialFeatures(x, 2).distinct()
    terms_b, cols_b = ce.PolynomialFeatures(dup, 2).distinct()
    # degree-1 duplicates and the constant vanish; higher-degree products of the copy do not
    # all coincide (x0 * (2 x0 + 1) is new), so only count the guaranteed drops
    assert cols_a.shape[1] == ce.polynomial_feature_count(3, 2)
    assert 3 not in terms_b and 4 not in terms_b  # the copy and the constant (degree 1)
    assert cols_b.shape[1] < ce.polynomial_feature_count(5, 2)
    # every kept column of b is a column of the full matrix
    np.testing.assert_allclose(ce.PolynomialFeatures(dup, 2).columns(terms_b), cols_b)


def test_matrix_refuses_huge():
    feats = ce.PolynomialFeatures(np.zeros((1000, 200)), 3)
    with pytest.raises(MemoryError):
        feats.matrix(max_bytes=1e8)


# --------------------------------------------------------------------------------------------
# OMP
# --------------------------------------------------------------------------------------------


def test_omp_recovers_planted_sparse_polynomial():
    rng = np.random.default_rng(42)
    x = rng.uniform(-1, 1, size=(150, 6))
    feats = ce.PolynomialFeatures(x, 2)
    terms = list(feats.terms())
    planted = {terms.index((1,)): 0.8, terms.index((0, 3)): -1.5, terms.index((4, 4)): 2.0}
    full = feats.matrix()
    y = 0.3 + full[:, list(planted)] @ np.array(list(planted.values()))
    path = ce.omp_path(full, y, max_features=10)
    assert set(path.order[:3]) == set(planted)
    assert path.fit_rmse[2] < 1e-10
    assert path.fit_rmse[1] > 1e-3  # two features are not enough
    coef = path.coefs[:, 2]
    for index, value in planted.items():
        assert coef[index] == pytest.approx(value, abs=1e-9)
    assert path.intercepts[2] == pytest.approx(0.3, abs=1e-9)
    np.testing.assert_allclose(path.predict(full, 3), y, atol=1e-9)


def test_omp_cv_path_planted_and_rank_limited():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 4))
    x = np.column_stack([x, x[:, 0] + x[:, 1]])  # rank 4 (+ constant)
    y = x[:, 0] - 2 * x[:, 2] + 0.5
    path = ce.omp_cv_path(x, y, max_features=5, n_splits=4, seed=0)
    assert path.n_steps <= 4
    assert np.all(np.isnan(path.fit_rmse[path.n_steps:]))
    assert path.cv_rmse[1] < 1e-9 and path.best("cv") <= 3
    assert path.cv_rmse[0] > 0.1


def test_cv_fold_rmse_pools_to_cv_rmse():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 8))
    y = x[:, 1] - 0.5 * x[:, 4] + 0.1 * rng.normal(size=60)
    path = ce.omp_cv_path(x, y, max_features=6, n_splits=4, seed=0)
    assert path.fold_rmse.shape == (4, 6)
    # equal fold sizes (60 / 4): the pooled RMSE is the root of the mean squared fold RMSE
    np.testing.assert_allclose(np.sqrt((path.fold_rmse ** 2).mean(axis=0)), path.cv_rmse)


def test_nested_cv_is_not_below_the_optimistic_minimum_on_noise():
    # pure noise: the minimum over sizes of the CV curve is biased low, the nested estimate is
    # an honest held-out error, which on noise cannot beat predicting the mean by much
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 40))
    y = rng.normal(size=80)
    path = ce.omp_cv_path(x, y, max_features=20, n_splits=5, seed=0)
    nested = ce.omp_nested_cv(x, y, max_features=20, n_splits=5, inner_splits=4, seed=0)
    assert nested.rmse >= np.nanmin(path.cv_rmse) - 1e-12
    assert nested.fold_rmse.shape == (5,) and nested.spread > 0
    assert np.all((nested.chosen_sizes >= 1) & (nested.chosen_sizes <= 20))


def test_nested_cv_recovers_planted_model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 12))
    y = 2 * x[:, 3] - x[:, 7] + 1.0
    nested = ce.omp_nested_cv(x, y, max_features=6, n_splits=5, inner_splits=4, seed=0)
    assert nested.rmse < 1e-9
    assert np.all(nested.chosen_sizes >= 2)


def test_compare_folds_words():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(90, 5))
    y = x[:, 0] * x[:, 1] + 0.05 * rng.normal(size=90)
    spaces = feature_space_paths({"p": x}, y, [("p", 1), ("p", 2)], max_features=10,
                                 n_splits=5, inner_splits=3, seed=0)
    linear, quadratic = spaces[("p", 1)], spaces[("p", 2)]
    assert isinstance(linear, FeatureSpacePath) and linear.label == "standard CE"
    better = compare_folds(quadratic, linear)
    assert better.word == "lower than" and better.n == 5
    assert compare_folds(linear, quadratic).word == "higher than"
    assert compare_folds(linear, linear).word == "indistinguishable from"


def test_plateau_size_known_answer():
    rmse = np.array([10.0, 5.0, 2.0, 1.2, 1.05, 1.0, 1.0, np.nan])
    assert ce.plateau_size(rmse, 0.95) == 4  # target 10 - 0.95 * 9 = 1.45: first reached by 1.2
    assert ce.plateau_size(rmse, 0.5) == 2


# --------------------------------------------------------------------------------------------
# icet cluster vectors on the spinel
# --------------------------------------------------------------------------------------------

U = 0.383


@pytest.fixture(scope="module")
def spinel():
    """Normal spinel Ge8Sn16N32 (conventional cell, origin choice 2) and a small cluster space."""
    atoms = crystal(["Ge", "Sn", "N"], [(1 / 8, 1 / 8, 1 / 8), (1 / 2, 1 / 2, 1 / 2), (U, U, U)],
                    spacegroup=227, setting=2, cellpar=[8.75, 8.75, 8.75, 90, 90, 90])
    cs = ce.spinel_cluster_space(atoms, [5.0, 4.0])
    return atoms, cs


def _tetra_octa(atoms):
    tetra = np.flatnonzero(atoms.numbers == 32)
    octa = np.flatnonzero(atoms.numbers == 50)
    return tetra, octa


def _random_config(atoms, seed):
    rng = np.random.default_rng(seed)
    out = atoms.copy()
    cations = np.flatnonzero(atoms.numbers != 7)
    numbers = out.numbers.copy()
    numbers[cations] = rng.permutation(atoms.numbers[cations])
    out.numbers = numbers
    return out


def test_primitive_and_pool(spinel):
    atoms, cs = spinel
    assert len(atoms) == 56
    assert len(ce.spinel_primitive(atoms)) == 14
    orbits = ce.orbit_table(cs)
    assert (orbits["order"] == 1).sum() == 2  # tetrahedral and octahedral points
    assert set(orbits["order"]) == {0, 1, 2, 3}


def test_empty_and_singlets_known_values(spinel):
    atoms, cs = spinel
    tetra, octa = _tetra_octa(atoms)
    orbits = ce.orbit_table(cs).reset_index(drop=True)
    order = orbits["order"].to_numpy()
    pure_ge = atoms.copy()
    pure_ge.numbers = np.where(atoms.numbers == 7, 7, 32)
    pure_sn = atoms.copy()
    pure_sn.numbers = np.where(atoms.numbers == 7, 7, 50)
    cv_ge, cv_sn, cv_normal = ce.cluster_vectors(cs, [pure_ge, pure_sn, atoms])
    s_ge = cv_ge[order == 1][0]
    assert abs(s_ge) == pytest.approx(1.0)
    # pure: every cluster function is the product of k equal spins
    np.testing.assert_allclose(cv_ge, s_ge ** order, atol=1e-12)
    np.testing.assert_allclose(cv_sn, (-s_ge) ** order, atol=1e-12)
    assert cv_normal[0] == 1.0
    # ordered normal spinel: Ge on every tetrahedral site, Sn on every octahedral one
    points = cv_normal[order == 1]
    assert sorted(points) == sorted([s_ge, -s_ge])
    # inverse spinel: Sn on all tetra sites, octa half Ge -> octahedral point correlation 0
    inverse = atoms.copy()
    numbers = inverse.numbers.copy()
    numbers[tetra] = 50
    numbers[octa] = np.r_[np.full(8, 32), np.full(8, 50)]
    inverse.numbers = numbers
    cv_inv = ce.cluster_vectors(cs, [inverse])[0]
    assert sorted(cv_inv[order == 1]) == pytest.approx(sorted([-s_ge, 0.0]), abs=1e-12)


def test_cluster_vector_invariant_under_supercell_symmetry(spinel):
    import spglib

    atoms, cs = spinel
    parent = atoms.copy()
    parent.numbers = np.where(atoms.numbers == 7, 7, 50)  # all cation sites alike
    sym = spglib.get_symmetry((parent.cell[:], parent.get_scaled_positions(), parent.numbers),
                              symprec=1e-4)
    frac = parent.get_scaled_positions()
    config = _random_config(atoms, seed=7)
    cv0 = ce.cluster_vectors(cs, [config])[0]
    rng = np.random.default_rng(0)
    picks = rng.choice(len(sym["rotations"]), size=6, replace=False)
    for i in picks:
        rot, trans = sym["rotations"][i], sym["translations"][i]
        image = (frac @ rot.T + trans) % 1.0
        # site j moves to the site whose position is image[j]
        diff = image[:, None, :] - frac[None, :, :]
        diff -= np.round(diff)
        target = np.argmin(np.linalg.norm(diff, axis=2), axis=1)
        assert len(set(target)) == len(atoms)
        moved = config.copy()
        numbers = np.empty_like(config.numbers)
        numbers[target] = config.numbers
        moved.numbers = numbers
        np.testing.assert_allclose(ce.cluster_vectors(cs, [moved])[0], cv0, atol=1e-12)
    # and a random reshuffle of the cations is (almost surely) not a symmetry
    other = ce.cluster_vectors(cs, [_random_config(atoms, seed=8)])[0]
    assert not np.allclose(other, cv0)


def test_ge_counts_pure_equal_multiplicities(spinel):
    atoms, cs = spinel
    pure_ge = atoms.copy()
    pure_ge.numbers = np.where(atoms.numbers == 7, 7, 32)
    shuffled = pure_ge[np.random.default_rng(0).permutation(len(pure_ge))]  # other atom order
    counts = ce.ge_cluster_counts(cs, [pure_ge, shuffled, atoms])
    n_primitive = len(atoms) // len(ce.spinel_primitive(atoms))
    expected = np.array([1] + [n_primitive * m for m in cs.get_multiplicities()[1:]])
    np.testing.assert_array_equal(counts[0], expected)
    np.testing.assert_array_equal(counts[1], expected)
    # normal spinel: Ge only on the 8 tetrahedral sites
    orbits = ce.orbit_table(cs).reset_index(drop=True)
    points = counts[2][orbits["order"].to_numpy() == 1]
    assert sorted(points) == [0, 8]


def test_cell_crosscheck_exact_and_factor():
    icet = np.array([[1, 2, 4, 3], [1, 0, 0, 5], [1, 6, 12, 1]])
    cell = np.array([[1, 2, 2], [1, 0, 0], [1, 6, 6]])
    orbits = pd.DataFrame({"order": [0, 1, 2, 2], "radius": [0.0, 0.0, 1.0, 2.0]})
    table = ce.cell_crosscheck(icet, cell, orbits)
    assert list(table["match"]) == ["exact", "exact", "exact"]
    table = ce.cell_crosscheck(icet[:, [0, 2, 3]], cell[:, :2], orbits.iloc[[0, 2, 3]])
    assert list(table["match"]) == ["exact", "factor"]
    assert table["factor"].iloc[1] == 2.0


def test_span_residuals_planted():
    rng = np.random.default_rng(5)
    basis = np.column_stack([np.ones(40), rng.integers(0, 9, size=(40, 4))])
    inside = basis @ rng.normal(size=(5, 3))
    outside = rng.normal(size=(40, 1))
    res = ce.span_residuals(basis, np.column_stack([inside, outside]))
    assert np.all(res[:3] < 1e-9) and res[3] > 1e-3


# --------------------------------------------------------------------------------------------
# the GeSn2N4 loader and the CELL counts (registry data)
# --------------------------------------------------------------------------------------------


def test_gesn2n4_loader_and_cell_points(shared_mirror):
    from howbig.data.sources.gesn2n4 import load_cell_counts, load_gesn2n4, load_hse_gaps

    table = load_gesn2n4()
    assert len(table) > 1000
    assert table["structure"].is_unique
    assert (table["band_gap"] > 0).all()
    first = table.iloc[0]
    assert first["structure"] == 0 and first["inversion"] == 0
    assert sorted(set(first["atoms"].get_chemical_symbols())) == ["Ge", "N", "Sn"]
    assert all(a.get_chemical_symbols().count("Ge") == 8 for a in table["atoms"].iloc[:50])
    cell = load_cell_counts()
    assert cell.shape[1] == 35 and (cell[:, 0] == 1).all()
    # CELL columns 1 and 2: Ge on octahedral and tetrahedral sites; the inversion degree is the
    # fraction of tetrahedral sites that hold Sn
    rows = cell[table["structure"].to_numpy()]
    np.testing.assert_array_equal(rows[:, 1] + rows[:, 2], 8)
    np.testing.assert_allclose(1 - rows[:, 2] / 8, table["inversion"].to_numpy())
    hse = load_hse_gaps()
    assert hse.index.isin(table["structure"]).all() and (hse > 0).all()


# --------------------------------------------------------------------------------------------
# the chapter's statistics: numbers and computed comparison words
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_runs():
    """Two pools on synthetic data where a product of two small-pool features is the target."""
    rng = np.random.default_rng(7)
    small = rng.normal(size=(120, 4))
    large = np.column_stack([small, rng.normal(size=(120, 8))])
    y = 0.05 * small[:, 0] * small[:, 1] + 0.01 * small[:, 2] + 0.002 * rng.normal(size=120)
    spaces = [("small", 1), ("small", 2), ("small", 3), ("large", 1), ("large", 2)]
    run = feature_space_paths({"small": small, "large": large}, y, spaces, max_features=15,
                              n_splits=4, inner_splits=3, seed=0)
    return {"small": small, "large": large}, y, spaces, run


def test_holdout_facts_words_and_verdicts_follow_the_numbers(synthetic_runs):
    from howbig.chapters.cluster_expansion.facts import holdout_facts

    _, _, _, run = synthetic_runs
    got = holdout_facts(run, run, "quick")
    # the product term is in the nonlinear small-pool spaces only: they must predict better
    few = got.sub_few_vs_many
    assert few.value > 0 and few.low > 0 and few.n == 4 and got.sub_few.startswith("nonlinear")
    assert got.sub_few_vs_many_word == "lower than"
    assert got.sub_cv_few.value == pytest.approx(1000 * best_nonlinear_small(run).nested.rmse)
    assert got.sub_few_vs_many_verdict == "agrees" == got.sub_gain_small_verdict
    nested = run[("small", 2)].nested
    assert got.sub_cv_small_d2.value == pytest.approx(1000 * nested.rmse)
    assert got.sub_cv_small_d2.uncertainty == pytest.approx(1000 * nested.spread)
    # the interval is the t-interval of the paired fold differences
    diff = 1000 * (run[("large", 1)].nested.fold_rmse
                   - best_nonlinear_small(run).nested.fold_rmse)
    half = student_t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert (few.low, few.high) == pytest.approx((diff.mean() - half, diff.mean() + half))
    # the smoke profile records fixtures: never judged, no comparison word either
    smoke = holdout_facts(run, run, "smoke")
    assert smoke.sub_few_vs_many_verdict == "no verdict: fixture data"
    assert smoke.sub_few_vs_many_word == smoke.all_few_vs_many_word == "next to"


def best_nonlinear_small(run):
    from howbig.chapters.cluster_expansion.experiment import best_nested

    return best_nested({k: v for k, v in run.items() if k[0] == "small" and k[1] > 1})


def test_a_reversed_held_out_ranking_disagrees(synthetic_runs):
    """Swap the roles: the linear large pool 'as nonlinear' gives the reverse order, which the
    ranking rule must call a disagreement, and the word must say 'higher than'."""
    from howbig.chapters.cluster_expansion.facts import _compare, _held_out
    from howbig.verdicts import verdict

    _, _, _, run = synthetic_runs
    reverse = _held_out(run[("large", 1)], best_nonlinear_small(run))
    assert reverse.high < 0 and _compare(reverse, "quick") == "higher than"
    assert verdict("ce_nonlinear_vs_more_clusters", reverse, kind="analogue").word == "disagrees"


def test_fit_facts_spread_and_words(synthetic_runs):
    from howbig.chapters.cluster_expansion.experiment import fit_paths_over_subsets
    from howbig.chapters.cluster_expansion.facts import fit_facts

    pools, y, spaces, run = synthetic_runs
    others = fit_paths_over_subsets(pools, y, spaces, size=80, seeds=(1, 2, 3), max_features=15)
    assert all(len(paths) == 3 for paths in others.values())
    ranks = {pool: ce.affine_rank(x) for pool, x in pools.items()}
    got = fit_facts(run, others, ranks, plateau=0.95, k_cmp=10, max_features=15, n_splits=4,
                    inner_splits=3, profile="quick")
    plateaus = [ce.plateau_size(p.fit_rmse, 0.95) for p in others[("small", 3)]]
    assert got.plateau_d3.uncertainty == pytest.approx(np.std(plateaus, ddof=1))
    assert got.plateau_d3.n == 3 and got.n_spread == 3
    assert got.nonlinear_fit_word in ("below", "not below")
    assert got.insample_word == ("below" if got.d3_kcmp_rmse < got.std_large_best_rmse
                                 else "above")
    # the fit claims carry the range over all subsets (this one and the three others)
    assert got.fit_p27.n == 4 and got.fit_p27.low <= got.fit_p27.value <= got.fit_p27.high
    # the standard paths stop at the rank limit (4 and 12 columns of independent noise)
    assert got.std_small_steps == ranks["small"] - 1 and got.std_small_stop == "at the rank limit"
    capped = fit_facts(run, others, ranks, plateau=0.95, k_cmp=10, max_features=3, n_splits=4,
                       inner_splits=3, profile="quick")
    assert capped.std_small_stop in ("at the rank limit", "early")


def test_feature_facts_state_the_papers_off_by_one():
    from howbig.chapters.cluster_expansion.facts import feature_facts

    distinct = {("small", 3): np.zeros((2, 7)), ("large", 2): np.zeros((2, 9))}
    got = feature_facts(27, 178, distinct)
    assert (got.features_d2, got.features_d3) == (405, 4059)          # k >= 1: the stated counts
    assert (got.features_d2_printed, got.features_d3_printed) == (406, 4060)  # k = 0..d
    assert got.printed_verdict == "does not check out"
    assert (got.distinct_d3, got.distinct_large_d2) == (7, 9)
