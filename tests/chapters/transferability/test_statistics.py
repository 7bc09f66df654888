"""Dataset statistics of Chapter 2: overlap, duplicates, offsets on shared keys, figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from howbig.chapters.transferability.statistics import (
    energy_distributions,
    most_duplicated,
    overview_table,
    pairwise_overlap,
    shared_key_offset,
)


# ---------------------------------------------------------------------- dataset statistics
def _tables() -> dict[str, pd.DataFrame]:
    a = pd.DataFrame({"key": ["a_1", "a_1", "a_1", "b_2", "c_3"],
                      "formation_energy_per_atom": [1.0, 1.2, 1.4, 0.0, -1.0]})
    b = pd.DataFrame({"key": ["c_3", "d_4"], "formation_energy_per_atom": [-1.5, 2.0]})
    c = pd.DataFrame({"key": ["e_5"], "formation_energy_per_atom": [0.0]})
    return {"A": a, "B": b, "C": c}


def test_overview_and_duplicates_planted():
    t = _tables()
    ov = overview_table(t)
    assert ov.loc["A", "entries"] == 5 and ov.loc["A", "unique keys"] == 3
    assert ov.loc["A", "keys in other DBs"] == 1 and ov.loc["B", "keys in other DBs"] == 1
    assert ov.loc["A", "% in other DBs"] == pytest.approx(100 / 3)
    assert ov.loc["C", "keys in other DBs"] == 0 and ov.loc["C", "% in other DBs"] == 0.0
    assert ov.loc["A", "max entries per key"] == 3
    pw = pairwise_overlap(t).set_index(["A", "B"])
    assert pw.loc[("A", "B"), "shared keys"] == 1
    assert pw.loc[("A", "B"), "% of union"] == pytest.approx(25.0)
    assert pw.loc[("A", "C"), "shared keys"] == 0
    top = most_duplicated(t["A"], 2)
    assert list(top["key"]) == ["a_1", "b_2"] and list(top["entries"]) == [3, 1]


def test_offset_recovers_planted_shift_and_handles_no_overlap():
    rng = np.random.default_rng(0)
    keys = [f"k{i}_1" for i in range(400)]
    energy = rng.normal(-1.0, 1.0, size=400)
    a = pd.DataFrame({"key": keys + keys[:50],  # duplicates are averaged per key
                      "formation_energy_per_atom": np.r_[energy, energy[:50]]})
    b = pd.DataFrame({"key": keys, "formation_energy_per_atom": energy - 0.1
                      + rng.normal(0, 0.02, 400)})
    res = shared_key_offset(a, b, names=("A", "B"), seed=1)
    assert res.n_keys == 400 and not res.empty
    assert res.low < 0.1 < res.high and res.mean == pytest.approx(0.1, abs=0.005)
    assert res.high - res.low < 0.01
    none = shared_key_offset(a, pd.DataFrame({"key": ["zz_1"], "formation_energy_per_atom": [0.]}))
    assert none.empty and none.n_keys == 0 and np.isnan(none.mean) and np.isnan(none.low)
    assert none.per_key.empty
    dist = energy_distributions({"A": a, "Z": pd.DataFrame({"key": ["zz_1"],
                                                            "formation_energy_per_atom": [0.]})})
    assert not dist["shared"].any() and len(dist) == len(a) + 1


def test_figures_handle_empty_shared_set():
    import matplotlib

    matplotlib.use("Agg")
    from howbig.chapters.transferability.figures import (
        energy_distributions_figure,
        shared_key_parity,
    )

    t = _tables()
    dist = energy_distributions({"A": t["A"], "C": t["C"]})
    fig = energy_distributions_figure(dist, offset=shared_key_offset(t["A"], t["C"]))
    bottom = fig.axes[1]
    assert "0 shared keys" in bottom.get_title()
    assert any("no composition-spacegroup key" in x.get_text() for x in bottom.texts)
    res = shared_key_offset(t["A"], t["B"], names=("A", "B"))
    parity = shared_key_parity(res)
    assert len(parity.axes[0].collections[0].get_offsets()) == res.n_keys == 1
    fig2 = energy_distributions_figure(energy_distributions({"A": t["A"], "B": t["B"]}), offset=res)
    assert "1 shared keys" in fig2.axes[1].get_title()


def test_key_counts_and_duplicates_figure():
    import matplotlib

    matplotlib.use("Agg")
    from howbig.chapters.transferability.figures import entries_per_key_figure
    from howbig.chapters.transferability.statistics import key_counts

    t = _tables()
    counts = key_counts(t, ["a_1", "c_3", "zz_9"])
    assert counts.loc["a_1"].tolist() == [3, 0, 0]
    assert counts.loc["c_3"].tolist() == [1, 1, 0]
    assert counts.loc["zz_9"].sum() == 0
    assert key_counts(t, n=1).index[0] == "a_1"
    fig = entries_per_key_figure(t, n=2)
    labels = [x.get_text() for x in fig.axes[1].get_yticklabels()]
    assert labels == ["a_1", "b_2"]
