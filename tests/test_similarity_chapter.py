"""Chapter 3 helpers: the study on the committed h-BN data, the paper comparison, the figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from howbig.chapters.similarity import figures as figs
from howbig.chapters.similarity.experiment import paper_comparison, similarity_study
from howbig.dft import hbn
from howbig.methods import fingerprints as F


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
    s, _ = F.mean_over_pairs(study.sim, study.meta, same=("kmesh", "basis"), differ=("xc",))
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
