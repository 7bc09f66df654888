"""Band-gap tables and elemental feature tables read by Chapter 5.

* ``aflow_egap_{train,val,test}.csv``: the AFLOW band-gap benchmark of Clement et al. (2020);
* ``aflow_icsd_nonmetal_gaps.csv``: AFLOW ICSD non-metal gaps collected by the paper's authors;
* ``fhiaims_free_atom_features.csv``: the paper's free-atom FHI-aims features per element;
* ``howbig/resources/magpie_elements.csv``: Magpie's elemental properties (committed, written by
  :func:`howbig.data.sources.magpie.main` from matminer's table).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from howbig.data.fetch import fetch_file

__all__ = ["MAGPIE_RESOURCE", "load_aflow_gaps", "load_fhiaims_elements", "load_magpie_elements"]

MAGPIE_RESOURCE = "magpie_elements.csv"


def load_aflow_gaps(source: str = "aflow_egap") -> pd.DataFrame:
    """Non-metal band gaps (gap > 0, eV): columns ``formula, gap_ev, split``.

    ``source="aflow_egap"``: the train/val/test files of the benchmark (train and val are both
    training data here). ``source="aflow_icsd"``: duplicates of a formula averaged, all labelled
    ``"pool"``. ``attrs["n_dropped"]`` counts the rows with a gap of zero that were removed.
    """
    if source == "aflow_egap":
        frames = []
        for split in ("train", "val", "test"):
            df = pd.read_csv(fetch_file(f"aflow_egap_{split}.csv"))
            df["split"] = "test" if split == "test" else "train"
            frames.append(df)
        df = pd.concat(frames, ignore_index=True).rename(columns={"target": "gap_ev"})
    elif source == "aflow_icsd":
        df = pd.read_csv(fetch_file("aflow_icsd_nonmetal_gaps.csv"))
        df = df.rename(columns={"compound": "formula", "Egap": "gap_ev"})
        df = df.groupby("formula", as_index=False).gap_ev.mean()
        df["split"] = "pool"
    else:
        raise ValueError(f"unknown source {source!r}; use 'aflow_egap' or 'aflow_icsd'")
    out = df[df.gap_ev > 0][["formula", "gap_ev", "split"]].reset_index(drop=True)
    out.attrs["n_dropped"] = int((df.gap_ev <= 0).sum())  # metals (gap 0) removed
    return out


def load_fhiaims_elements() -> pd.DataFrame:
    """The FHI-aims free-atom feature table, elements as index, float columns."""
    return pd.read_csv(fetch_file("fhiaims_free_atom_features.csv")).set_index("Element")\
        .astype(float)


@lru_cache(maxsize=1)
def load_magpie_elements() -> pd.DataFrame:
    """Magpie elemental properties (NaNs imputed as matminer does), elements as index."""
    with resources.as_file(resources.files("howbig") / "resources" / MAGPIE_RESOURCE) as path:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing; regenerate it with `python -m howbig.data.sources.magpie` "
                "(needs matminer, the test extra)")
        return pd.read_csv(path, index_col="element").astype(float)
