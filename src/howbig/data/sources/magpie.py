"""Write ``howbig/resources/magpie_elements.csv`` from matminer's Magpie element table.

matminer (with pymatgen, pymongo, plotly) is a test-only dependency: the book reads the
committed CSV (:func:`howbig.data.sources.band_gaps.load_magpie_elements`), and this script is
how that CSV was made. Run ``python -m howbig.data.sources.magpie [--out PATH]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from howbig.data.sources.band_gaps import MAGPIE_RESOURCE

#: The 22 elemental properties of Magpie's composition features, in matminer's order.
MAGPIE_PROPERTIES = (
    "Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
    "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence",
    "NsUnfilled", "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa",
    "GSbandgap", "GSmagmom", "SpaceGroupNumber",
)

__all__ = ["MAGPIE_PROPERTIES", "magpie_table_from_matminer", "main"]


def magpie_table_from_matminer() -> pd.DataFrame:
    """The 22 Magpie properties of every element, NaNs imputed as in matminer's featurizer."""
    try:  # matminer is optional (the test extra): imported only to regenerate the table
        from matminer.utils.data import MagpieData
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise SystemExit("matminer is needed to regenerate the Magpie table: "
                         "pip install 'howbig[test]' (or pip install matminer)") from err
    data = MagpieData(impute_nan=True).all_elemental_props
    table = pd.DataFrame({p: data[p] for p in MAGPIE_PROPERTIES}).astype(float)
    table.index.name = "element"
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the committed Magpie element CSV."""
    default = Path(str(resources.files("howbig") / "resources" / MAGPIE_RESOURCE))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default, help=f"default: {default}")
    args = parser.parse_args(argv)
    table = magpie_table_from_matminer()
    table.to_csv(args.out, float_format="%.10g")
    print(f"wrote {len(table)} elements x {table.shape[1]} properties to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
