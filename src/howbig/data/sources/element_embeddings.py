"""Pretrained element embeddings: one 200-dimensional vector per element, from text mining.

Two tables from CrabNet's repository (``data/element_properties/``), registered by checksum:

* ``mat2vec`` (dataset ``element_mat2vec``): word2vec vectors of the element symbols trained on
  materials-science abstracts (Tshitoyan et al., 2019), 118 elements (H-Og); CrabNet's inputs.
* ``matscholar`` (dataset ``element_matscholar``): the ElMD package's ``matscholar`` element
  dictionary, unit-length vectors for 103 elements (H-Lr); Roost's initial element features.

:func:`load_element_embeddings` returns the table as a ``(119, 200)`` array indexed by atomic
number, the input of :func:`howbig.methods.models.roost.roost` (``element_features``). Row 0
(the batches' padding) and the rows of elements a table lacks are zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from ase.data import atomic_numbers

from howbig.data.errors import DataError
from howbig.data.fetch import fetch_file
from howbig.data.registry import dataset

__all__ = ["ELEMENT_EMBEDDINGS", "EMBEDDING_DIM", "N_ROWS", "load_element_embeddings",
           "read_element_embeddings"]

#: Name -> registered dataset.
ELEMENT_EMBEDDINGS = {"mat2vec": "element_mat2vec", "matscholar": "element_matscholar"}
EMBEDDING_DIM = 200
N_ROWS = 119  # atomic numbers 0 (padding) .. 118


def read_element_embeddings(path: str | Path, *, dim: int = EMBEDDING_DIM) -> np.ndarray:
    """Parse one embedding CSV (an ``element`` column and ``dim`` numeric columns).

    Raises
    ------
    DataError
        When the file is not such a table: no ``element`` column, another number of columns,
        an unknown or repeated element symbol, or a value that is not a finite number.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise DataError(f"{path.name}: not a readable CSV table ({exc})") from None
    if "element" not in raw.columns:
        raise DataError(f"{path.name}: no 'element' column (columns: {list(raw.columns)[:5]}...)")
    values = raw.drop(columns="element")
    if values.shape[1] != dim:
        raise DataError(f"{path.name}: {values.shape[1]} value columns, expected {dim}")
    symbols = raw["element"].astype(str).str.strip()
    unknown = sorted(set(symbols) - set(atomic_numbers))
    if unknown:
        raise DataError(f"{path.name}: unknown element symbol(s) {unknown[:5]}")
    if symbols.duplicated().any():
        repeated = sorted(set(symbols[symbols.duplicated()]))
        raise DataError(f"{path.name}: repeated element(s) {repeated}")
    numbers = values.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    if not np.isfinite(numbers).all():
        raise DataError(f"{path.name}: {int((~np.isfinite(numbers)).sum())} entries are not "
                        "finite numbers")
    table = np.zeros((N_ROWS, dim), np.float32)
    table[[atomic_numbers[s] for s in symbols]] = numbers
    return table


def load_element_embeddings(name: str = "matscholar") -> np.ndarray:
    """The ``(119, 200)`` table of ``name`` (``"mat2vec"`` or ``"matscholar"``), by atomic number.

    The file is fetched and checked against the registry's checksum first.

    Raises
    ------
    KeyError
        For an unknown name.
    howbig.data.errors.DataUnavailableError
        The file is neither cached nor reachable (offline, no mirror).
    howbig.data.errors.ChecksumMismatchError
        The file differs from the registered one (damaged or replaced).
    DataError
        The file cannot be parsed as an embedding table.
    """
    if name not in ELEMENT_EMBEDDINGS:
        raise KeyError(f"unknown element embedding {name!r}; known: {sorted(ELEMENT_EMBEDDINGS)}")
    entry = dataset(ELEMENT_EMBEDDINGS[name]).files[0]
    return read_element_embeddings(fetch_file(entry.name))
