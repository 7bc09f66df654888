"""Chapter 3 helpers: the study on the committed h-BN data, the paper comparison, the figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from howbig.chapters.similarity import figures as figs
from howbig.chapters.similarity.experiment import (
    nomad_study_meta,
    nomad_summary,
    paper_comparison,
    prose_checks,
    similarity_study,
)
from howbig.dft import hbn
from howbig.methods import fingerprints as F
from howbig.methods import similarity_matrix as S
from tests.data.test_nomad import local_api  # noqa: F401  (the loopback NOMAD API fixture)


@pytest.fixture(scope="module")
def study():
    return similarity_study(*hbn.load_results())


def test_study_is_sorted_and_blocked(study):
    meta = study.meta
    keys = list(zip(meta["xc"], meta["n_kpoints"], meta["n_basis"], strict=True))
    assert keys == sorted(keys)
    assert meta["letter"].nunique() == meta["block"].nunique() == len(study.blocks)
    assert study.blocks.index[0].startswith("a: LDA")
    # the matrix belongs to the sorted rows: recompute one pair directly
    i, j = study.index("lda", "2x2x1", "gth-szv"), study.index("pbe", "4x4x1", "gth-tzv2p")
    assert study.sim[i, j] == pytest.approx(F.tanimoto(study.fps[i], study.fps[j]))
    assert np.allclose(study.sim, study.sim.T)


def test_paper_comparison_matches_block_table(study):
    comp = paper_comparison(study).set_index("key")["value"]
    assert comp["lda_lowk_within"] == pytest.approx(study.blocks.iloc[0, 0])
    s, _ = S.mean_over_pairs(study.sim, study.meta, same=("kmesh", "basis"), differ=("xc",))
    assert comp["xc_same_basis"] == pytest.approx(s)
    assert comp.between(0, 1).all()


def test_figures_show_what_they_claim(study):
    i, j = 0, len(study.meta) - 1
    fig = figs.pair_figure(study.energies, study.dos, study.fps, study.meta, i, j)
    assert f"S = {study.sim[i, j]:.3f}" in fig.axes[1].get_title()
    plt.close(fig)
    fig = figs.fingerprint_workflow_figure(study.energies, study.dos[i], study.dos[j],
                                           study.fps[i], study.fps[j], ("1", "2"))
    assert any(f"S = {study.sim[i, j]:.3f}" in ax.get_title() for ax in fig.axes)
    plt.close(fig)
    fig = figs.similarity_matrix_figure(study.sim, study.meta, block=study.meta["block"])
    letters = {t.get_text() for t in fig.axes[0].texts}
    assert set(study.meta["letter"]) <= letters
    plt.close(fig)


def test_tanimoto_and_pair_uncertainties(study):
    comp = paper_comparison(study, n_boot=200)
    assert (comp["n"] > 0).all() and (comp["uncertainty"] >= 0).all()
    # the bootstrap interval of a mean over pairs shrinks as pairs are added: the 80-pair
    # quantity is tighter than the 10-pair block of the same kind of similarities
    row = comp.set_index("key")
    assert row.loc["xc_diff_basis", "n"] == 80 and row.loc["lda_lowk_within", "n"] == 10


def test_prose_checks_pass_on_the_committed_data_and_catch_a_contradiction(study):
    *_, meta = hbn.load_results()
    comp = paper_comparison(study, n_boot=200)
    groups = S.describe_groups(study.meta, S.group_by_similarity(study.sim, 0.8))
    multi = groups[groups["n"] > 1]
    assert prose_checks(comp, multi, meta) == []
    flipped = comp.copy()
    flipped.loc[flipped["key"] == "xc_same_basis", "value"] = 0.0
    assert prose_checks(flipped, multi, meta) == [
        "same basis makes LDA and PBE more similar (beyond the bootstrap intervals)"]


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
    status, text = nomad_summary(nomad, comp.reset_index(), meta.attrs)
    assert status.startswith("read: 3 entries") and "1 without a DOS skipped" in status
    assert "(n = 1 pairs)" in text and "cannot be made here" in text
    fig = figs.similarity_matrix_figure(nomad.sim, nomad.meta, block=nomad.meta["block"])
    assert {"a", "b", "c"} <= {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)
