"""Storage calculator of Section 6.1 against the paper's own arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from howbig.chapters.infrastructure.storage import (
    Campaign,
    Quota,
    paper_campaign,
    quota_crossings,
    storage_curve,
)
from howbig.paper import paper_value


def test_paper_campaign_reproduces_the_papers_figures():
    campaign = paper_campaign()
    assert campaign.settings_per_structure == paper_value("settings_per_structure") == 9
    assert campaign.n_calculations == paper_value("n_calculations") == 270_000
    assert campaign.n_files == paper_value("n_files") == 11_070_000
    assert campaign.terabytes == pytest.approx(paper_value("storage_tb"), rel=1e-12)


def test_quantities_scale_linearly_with_structures():
    base = Campaign(n_structures=1_000)
    double = base.scaled(2_000)
    assert double.n_files == 2 * base.n_files
    assert double.bytes == pytest.approx(2 * base.bytes)


def test_quota_crossing_is_where_usage_equals_the_limit():
    campaign = paper_campaign()
    quota = Quota("files", "files", 1_000_000)
    at = quota.exceeded_at(campaign)
    assert at == pytest.approx(1_000_000 / (9 * 41))
    # Just below the crossing the quota holds, just above it is exceeded.
    assert campaign.scaled(int(at)).n_files <= 1_000_000 < campaign.scaled(int(at) + 1).n_files
    table = quota_crossings(campaign)
    assert table.loc[0, "campaign usage / limit"] == pytest.approx(11.07)


def test_storage_curve_matches_campaign_objects():
    campaign = paper_campaign()
    curve = storage_curve(campaign, np.array([10, 30_000]))
    assert curve["files"].iloc[1] == campaign.n_files
    assert curve["terabytes"].iloc[1] == pytest.approx(campaign.terabytes)


def test_negative_inputs_are_rejected():
    with pytest.raises(ValueError, match="n_structures"):
        Campaign(n_structures=-1)


def test_first_wall_is_the_smallest_crossing():
    from howbig.chapters.infrastructure.storage import first_wall

    campaign = paper_campaign()
    table = quota_crossings(campaign)
    wall = first_wall(campaign)
    assert wall["structures that fill it"] == table["structures that fill it"].min()
    # with the illustrative quotas, 300 GB (1,111 structures) binds before 1e6 files (2,710)
    assert wall["kind"] == "bytes"
    assert wall["structures that fill it"] == pytest.approx(300e9 / (9 * 30e6))


def test_storage_paper_check_separates_the_two_readings():
    from howbig.chapters.infrastructure.storage import storage_paper_check

    check = storage_paper_check().set_index("claim")
    assert check["agrees"].iloc[:3].all()  # per calculation: the paper's totals
    assert not check["agrees"].iloc[3:].any()  # per structure, as worded: 1.23e6 files, 0.9 TB
    assert check.loc["files (41 per structure, as worded)", "recomputed"] == 30_000 * 41


def test_storage_figures_and_explorer_under_agg():
    import matplotlib

    matplotlib.use("Agg")
    pytest.importorskip("ipywidgets")
    from howbig.chapters.infrastructure.storage_figures import (
        storage_explorer,
        storage_growth,
        storage_workflow,
    )

    campaign = paper_campaign()
    fig = storage_growth(campaign, mark=30_000)
    assert fig.get_size_inches()[0] <= 7.5  # fits the book's column
    texts = [t.get_text() for t in storage_workflow(campaign).axes[0].texts]
    assert any("= 270,000 calculations" in t for t in texts)
    assert any("1,111 structures" in t for t in texts)
    box = storage_explorer()  # plt.show(fig) used to raise TypeError here
    sliders = [w for row in box.children[:2] for w in row.children if hasattr(w, "min")]
    assert sliders and all(not w.continuous_update for w in sliders)
