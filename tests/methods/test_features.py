"""Composition features: Magpie equals matminer's featurizer; FHI-aims statistics by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from howbig.data.sources.band_gaps import load_fhiaims_elements, load_magpie_elements
from howbig.data.sources.magpie import MAGPIE_PROPERTIES
from howbig.methods.features import (
    composition_matrix,
    fhiaims_features,
    magpie_features,
    parse_formula,
)


def test_parse_formula():
    assert parse_formula("Ba1I2O6") == {"Ba": 1.0, "I": 2.0, "O": 6.0}
    assert parse_formula("NaCl") == {"Na": 1.0, "Cl": 1.0}
    assert parse_formula("Fe0.5O") == {"Fe": 0.5, "O": 1.0}
    with pytest.raises(ValueError):
        parse_formula("Ba(OH)2")


def test_committed_magpie_table_has_every_property_and_element():
    table = load_magpie_elements()
    assert tuple(table.columns) == MAGPIE_PROPERTIES
    assert table.loc["O", "Number"] == 8 and table.notna().all().all()
    assert len(table) >= 100


def test_magpie_matches_matminer_reference():
    pytest.importorskip("matminer")
    from matminer.featurizers.composition import ElementProperty
    from pymatgen.core import Composition

    from howbig.data.sources.magpie import magpie_table_from_matminer

    formulas = ["C4H2O6Sn2", "Na1Nb1O3", "Mn1O2", "O3Y2", "Cd1H4Na2O10Se2"]
    ref = ElementProperty.from_preset("magpie", impute_nan=True)
    expected = np.array([ref.featurize(Composition(f)) for f in formulas])
    ours = magpie_features(formulas, load_magpie_elements())
    assert list(ours.columns) == ref.feature_labels()
    # the committed CSV keeps 10 significant digits of matminer's table
    np.testing.assert_allclose(ours.to_numpy(), expected, rtol=1e-8, atol=1e-8)
    pd.testing.assert_frame_equal(load_magpie_elements(), magpie_table_from_matminer(),
                                  check_exact=False, rtol=1e-9)


def test_fhiaims_mean_and_mean_deviation_by_hand():
    table = pd.DataFrame({"p": [1.0, 4.0, 10.0]}, index=pd.Index(["H", "O", "Na"]))
    out = fhiaims_features(["H2O1", "Na1", "H1Na1O2"], table)
    # H2O: mean = (2*1 + 4)/3 = 2, mean deviation = (2*1 + 2)/3
    np.testing.assert_allclose(out.loc["H2O1"], [2.0, 4.0 / 3.0])
    np.testing.assert_allclose(out.loc["Na1"], [10.0, 0.0])
    # permutation of elements in the formula does not matter
    np.testing.assert_allclose(fhiaims_features(["O1H2"], table).to_numpy(),
                               out.loc[["H2O1"]].to_numpy())


def test_fhiaims_registry_table(shared_mirror):
    out = fhiaims_features(["Ga1As1", "Na1Cl1", "O2Ti1"], load_fhiaims_elements())
    assert out.shape[0] == 3 and out.notna().all().all()
    frac = composition_matrix(["O2Ti1"], ["Ti", "O"])
    np.testing.assert_allclose(frac, [[1 / 3, 2 / 3]])
