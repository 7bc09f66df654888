"""Chapter 3 helpers: the study on the committed h-BN data, the paper comparison, the figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from howbig.chapters.similarity import facts
from howbig.chapters.similarity import figures as figs
from howbig.chapters.similarity.blocks import PAPER_BLOCKS, letter_table
from howbig.chapters.similarity.experiment import (
    nomad_study_meta,
    pair_bootstrap,
    paper_comparison,
    paper_rankings,
    prose_checks,
    similarity_study,
)
from howbig.chapters.similarity.settings import SimilaritySettings
from howbig.dft import hbn
from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S
from tests.data.test_nomad import local_api  # noqa: F401  (the loopback NOMAD API fixture)


@pytest.fixture(scope="module")
def study():
    return similarity_study(*hbn.load_results())


def test_study_is_sorted_and_blocked_with_the_papers_letters(study):
    meta = study.meta
    keys = list(zip(meta["xc"], meta["n_kpoints"], meta["n_basis"], strict=True))
    assert keys == sorted(keys)
    assert study.blocks.index[0].startswith("a: LDA 1x1x1")
    # lowest, second-highest and highest k-mesh play the paper's three sets; 2x2x1 has no letter
    diagonal = dict(zip(meta["block"], meta["letter"], strict=True))
    assert diagonal == {"LDA 1x1x1": "a", "LDA 2x2x1": "", "LDA 3x3x1": "b", "LDA 4x4x1": "c",
                        "PBE 1x1x1": "g", "PBE 2x2x1": "", "PBE 3x3x1": "h", "PBE 4x4x1": "i"}
    assert study.letters[("LDA 3x3x1", "LDA 4x4x1")] == "e"
    assert study.letters[("PBE 1x1x1", "PBE 4x4x1")] == "l"
    assert study.letters[("LDA", "PBE")] == "m, n"
    assert sorted(study.letters.values()) == sorted(b.letter for b in PAPER_BLOCKS)
    table = letter_table(study.meta, study.letters)
    assert table.loc["a", "indices here"] == "1-5" and table.loc["m, n", "indices here"] == (
        "1-20 against 21-40")
    assert table.loc["a", "the paper's indices"] == "i ≤ 23"
    # the matrix belongs to the sorted rows: recompute one pair directly
    i, j = study.index("lda", "2x2x1", "gth-szv"), study.index("pbe", "4x4x1", "gth-tzv2p")
    assert study.sim[i, j] == pytest.approx(F.tanimoto(study.fps[i], study.fps[j]))
    assert np.allclose(study.sim, study.sim.T)


def test_paper_comparison_matches_block_table_and_pair_means(study):
    comp = paper_comparison(study, n_boot=100).set_index("key")
    assert comp.loc["lda_lowk_within", "value"] == pytest.approx(study.blocks.iloc[0, 0])
    s, n = S.mean_over_pairs(study.sim, study.meta, same=("kmesh", "basis"), differ=("xc",))
    assert comp.loc["xc_same_basis", "value"] == pytest.approx(s)
    assert comp.loc["xc_same_basis", "n"] == n == 20
    assert comp.loc["xc_diff_basis", "n"] == 80 and comp.loc["lda_lowk_within", "n"] == 10
    # block e split by N_b: 5 pairs with the same basis, 20 with different ones
    assert comp.loc["lda_e_same_nb", "n"] == 5 and comp.loc["lda_e_diff_nb", "n"] == 20
    computed = comp[comp["n"] > 0]
    assert computed["value"].between(0, 1).all()
    assert (computed["low"] <= computed["value"]).all()
    assert (computed["value"] <= computed["high"]).all()


def test_block_g_is_not_computable_on_the_pyscf_data(study):
    """The paper's g is about pairs with the same N_b inside the lowest PBE k-mesh; the PySCF
    data have one calculation per functional, k-mesh and basis: no such pairs, NaN."""
    comp = paper_comparison(study, n_boot=50).set_index("key")
    for key in ("pbe_lowk_same_nb", "lda_lowk_same_nb"):
        assert comp.loc[key, "n"] == 0 and np.isnan(comp.loc[key, "value"])
    assert comp.loc["pbe_lowk_same_nb", "paper"].startswith("g: same N_b")
    assert comp.loc["pbe_lowk_within", "paper"].startswith("g: all pairs")


def test_pair_bootstrap_resamples_calculations():
    rng = np.random.default_rng(0)
    n = 12
    sim = rng.uniform(size=(n, n))
    sim = (sim + sim.T) / 2
    i, j = np.triu_indices(n, k=1)
    flat = np.full((n, n), 0.3)
    assert np.allclose(pair_bootstrap(n, [(i, j)], flat, n_boot=50), 0.3)
    boot = pair_bootstrap(n, [(i, j), (i[:0], j[:0])], sim, n_boot=400, seed=1)
    assert boot.shape == (400, 2) and np.isnan(boot[:, 1]).all()
    assert abs(np.nanmean(boot[:, 0]) - sim[i, j].mean()) < 0.02
    # one calculation that every pair of a set shares: dropping it empties the set
    hub = (np.zeros(5, int), np.arange(1, 6))
    boot = pair_bootstrap(n, [hub], sim, n_boot=400, seed=2)
    assert np.isnan(boot[:, 0]).mean() == pytest.approx((1 - 1 / n) ** n, abs=0.06)


def test_rankings_and_their_verdict_words(study):
    comp = paper_comparison(study, n_boot=200)
    rank = paper_rankings(study, n_boot=200)
    v = comp.set_index("key")["value"]
    assert rank.loc["sim_same_nb_across_xc", "value"] == pytest.approx(
        v["xc_same_basis"] - v["xc_diff_basis"])
    assert rank.loc["sim_same_nb_across_k", "value"] == pytest.approx(
        v["lda_e_same_nb"] - v["lda_e_diff_nb"])
    assert (rank["low"] <= rank["value"]).all() and (rank["value"] <= rank["high"]).all()
    quick = facts.comparison_facts(comp, rank, "quick")
    assert quick.same_nb_across_xc_verdict == "agrees"
    assert quick.more_k_more_similar_verdict == "no verdict: within the noise"
    assert quick.n_same_nb_lowk == 0
    smoke = facts.comparison_facts(comp, rank, "smoke")
    assert smoke.same_nb_across_xc_verdict == "no verdict: fixture data"


def test_figures_show_what_they_claim(study):
    i, j = 0, len(study.meta) - 1
    fig = figs.pair_figure(study.energies, study.dos, study.fps, study.meta, i, j)
    assert f"S = {study.sim[i, j]:.3f}" in fig.axes[1].get_title()
    plt.close(fig)
    fig = figs.fingerprint_workflow_figure(study.energies, study.dos[i], study.dos[j],
                                           study.fps[i], study.fps[j], ("1", "2"))
    assert any(f"S = {study.sim[i, j]:.3f}" in ax.get_title() for ax in fig.axes)
    plt.close(fig)
    fig = figs.similarity_matrix_figure(study.sim, study.meta, block=study.meta["block"],
                                        letters=study.letters)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert set(study.letters.values()) <= texts
    plt.close(fig)


def test_prose_checks_pass_on_the_committed_data_and_catch_a_contradiction(study):
    *_, meta = hbn.load_results()
    comp = paper_comparison(study, n_boot=200)
    rank = paper_rankings(study, n_boot=200)
    groups = S.describe_groups(study.meta, S.group_by_similarity(study.sim, 0.8))
    multi = groups[groups["n"] > 1]
    assert prose_checks(comp, rank, multi, meta) == []
    flipped = comp.copy()
    flipped.loc[flipped["key"] == "lda_only_basis", "value"] = 0.0
    assert prose_checks(flipped, rank, multi, meta) == [
        "the k-mesh matters more than the basis (LDA and PBE)"]


def test_settings_record_reads_the_profile():
    cfg = SimilaritySettings.of("quick")
    assert cfg.group_threshold == 0.8 and isinstance(cfg.thresholds_scan, tuple)
    assert SimilaritySettings.of("smoke").n_boot > 0


def test_nomad_branch_on_the_fixture_archive(local_api, isolated_cache):  # noqa: F811
    """The full profile's path (NOMAD loader -> study -> Fig. 4 -> block statistics) on the
    fixture archive served on loopback: three entries with a DOS, no basis sizes."""
    from howbig.data.sources.nomad import load_nomad_dos

    _, url = local_api
    energies, dos, meta = load_nomad_dos(base_url=url, progress=False)
    nomad = similarity_study(energies, dos, nomad_study_meta(meta))
    assert list(nomad.meta["xc"]) == ["lda", "lda", "pbe"]
    assert list(nomad.meta["block"]) == ["LDA 4x4x2", "LDA 12x12x6", "PBE 8x8x4"]
    # the same planted spectrum in every entry (up to its sampling): near-identical fingerprints
    assert nomad.sim.min() > 0.98
    comp = paper_comparison(nomad, n_boot=50).set_index("key")
    assert comp.loc["lda_lowk_vs_highk", "value"] == pytest.approx(nomad.sim[0, 1])
    assert comp.loc["lda_lowk_vs_highk", "n"] == 1
    assert np.isnan(comp.loc["lda_lowk_within", "value"])  # a block of one
    assert (comp.loc[["xc_same_basis", "lda_only_basis"], "n"] == 0).all()  # no basis sizes
    got = facts.nomad_facts(nomad.meta, meta.attrs, comp.reset_index(), len(comp))
    assert (got.nomad_n_entries, got.nomad_n_skipped, got.nomad_n_blocks) == (3, 1, 3)
    assert got.nomad_n_computable == int((comp["n"] > 0).sum()) >= 1
    # two LDA k-meshes (a, c, f), one PBE k-mesh (no letter), and the LDA-PBE quadrant
    assert sorted(nomad.letters.values()) == ["a", "c", "f", "m, n"]
    fig = figs.similarity_matrix_figure(nomad.sim, nomad.meta, block=nomad.meta["block"],
                                        letters=nomad.letters)
    assert {"a", "c", "f", "m, n"} <= {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)
