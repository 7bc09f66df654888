"""Chapter 2 (transferability between databases): experiment-level functions.

Dataset statistics (this part): how many entries and composition-spacegroup keys each database
holds, which keys two databases share, how often a key repeats, and whether the formation
energies of shared keys are offset between databases (the paper's Fig. 2 analysis).

All functions take "common tables" (see :mod:`howbig.data.sources`): DataFrames with at least
``key`` and, for energies, ``formation_energy_per_atom`` (eV/atom).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from ase.formula import Formula

from howbig.methods.bootstrap import BootstrapResult, bootstrap

__all__ = [
    "GGA_U_METALS",
    "GROUPS",
    "OffsetResult",
    "chemistry_groups",
    "difference_summary",
    "energy_distributions",
    "key_counts",
    "key_differences",
    "most_duplicated",
    "overview_table",
    "pairwise_overlap",
    "shared_key_offset",
    "shared_keys",
]


def _keys(table: pd.DataFrame, key: str = "key") -> set[str]:
    if key not in table.columns:
        raise KeyError(f"table has no column {key!r}; columns: {list(table.columns)}")
    return set(table[key].dropna().astype(str))


def shared_keys(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> set[str]:
    """Keys present in *every* table (empty set if none, or if fewer than two tables)."""
    sets = [_keys(t, key) for t in tables.values()]
    if len(sets) < 2:
        return set()
    return set.intersection(*sets)


def overview_table(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> pd.DataFrame:
    """Entries, unique keys and keys found in other databases, per database.

    For each database: ``entries``; ``unique keys``; ``entries per key`` (mean);
    ``max entries per key``; ``keys in other DBs`` = keys also present in at least one *other*
    database of ``tables`` (not a pairwise number); ``% in other DBs`` = that count / unique keys
    x 100. An empty intersection gives 0 and 0 %. Pairwise numbers: :func:`pairwise_overlap`.
    """
    names = list(tables)
    key_sets = {n: _keys(tables[n], key) for n in names}
    rows = []
    for name in names:
        t = tables[name]
        others: set[str] = set().union(*(key_sets[o] for o in names if o != name))
        unique = len(key_sets[name])
        shared = len(key_sets[name] & others)
        counts = t[key].value_counts()
        rows.append(
            {
                "database": name,
                "entries": len(t),
                "unique keys": unique,
                "entries per key": len(t) / unique if unique else np.nan,
                "max entries per key": int(counts.max()) if len(counts) else 0,
                "keys in other DBs": shared,
                "% in other DBs": 100.0 * shared / unique if unique else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("database")


def pairwise_overlap(tables: Mapping[str, pd.DataFrame], *, key: str = "key") -> pd.DataFrame:
    """Shared keys of every pair of databases, as % of each side's keys and of their union.

    The paper's "about 16 %" is 8,591 shared keys over 54,438 (MP) or 50,652 (AFLOW) keys.
    """
    rows = []
    for a, b in combinations(list(tables), 2):
        ka, kb = _keys(tables[a], key), _keys(tables[b], key)
        shared = len(ka & kb)
        union = len(ka | kb)
        rows.append(
            {
                "A": a,
                "B": b,
                "keys A": len(ka),
                "keys B": len(kb),
                "shared keys": shared,
                "% of A": 100.0 * shared / len(ka) if ka else np.nan,
                "% of B": 100.0 * shared / len(kb) if kb else np.nan,
                "% of union": 100.0 * shared / union if union else np.nan,
            }
        )
    return pd.DataFrame(rows)


def most_duplicated(table: pd.DataFrame, n: int = 5, *, key: str = "key") -> pd.DataFrame:
    """The ``n`` keys with the most entries (the paper: ``Ti2O4_136`` 127 times in AFLOW).

    Returns a DataFrame with columns ``key`` and ``entries``, most frequent first (ties by key).
    """
    counts = table[key].astype(str).value_counts()
    frame = counts.rename_axis("key").reset_index(name="entries")
    frame = frame.sort_values(["entries", "key"], ascending=[False, True], kind="stable")
    return frame.head(n).reset_index(drop=True)


def key_counts(
    tables: Mapping[str, pd.DataFrame], keys: list[str] | None = None, *, n: int = 5,
    key: str = "key",
) -> pd.DataFrame:
    """Entries per key in every database, for the given keys (default: each database's top ``n``).

    Returns a DataFrame indexed by key with one integer column per database (0 where a database
    lacks the key), e.g. ``Ti2O4_136``: 127 in AFLOW, 1 in MP in the paper.
    """
    if keys is None:
        keys = list(dict.fromkeys(
            k for t in tables.values() for k in most_duplicated(t, n, key=key)["key"]
        ))
    frame = pd.DataFrame(
        {name: t[key].astype(str).value_counts().reindex(keys, fill_value=0)
         for name, t in tables.items()}
    )
    frame.index.name = "key"
    return frame.astype(int)


def energy_distributions(
    tables: Mapping[str, pd.DataFrame],
    *,
    key: str = "key",
    energy: str = "formation_energy_per_atom",
) -> pd.DataFrame:
    """Long table for the Fig. 2 analogue: one row per entry with its database and sharing.

    Columns: ``database``, ``key``, ``energy`` (eV/atom), ``shared`` (True if the key is in every
    table). Rows without an energy are dropped. Plot ``shared == False`` (each database's own
    keys) and ``shared == True`` (keys in all databases; may be empty) separately.
    """
    common = shared_keys(tables, key=key)
    frames = []
    for name, t in tables.items():
        if energy not in t.columns:
            continue
        part = pd.DataFrame(
            {
                "database": name,
                "key": t[key].astype(str).to_numpy(),
                "energy": t[energy].to_numpy(float),
            }
        )
        part["shared"] = part["key"].isin(common)
        frames.append(part[np.isfinite(part["energy"].to_numpy())])
    if not frames:
        return pd.DataFrame(columns=["database", "key", "energy", "shared"])
    return pd.concat(frames, ignore_index=True)


@dataclass
class OffsetResult:
    """Systematic formation-energy offset A - B on shared keys (eV/atom).

    ``mean`` is the mean over shared keys of (mean energy of the key in A - mean in B);
    ``low``/``high`` a percentile bootstrap interval over keys; all NaN when there are no shared
    keys (``n_keys == 0``); ``per_key`` holds the per-key means and differences.
    """

    name_a: str
    name_b: str
    n_keys: int
    mean: float
    median: float
    low: float
    high: float
    confidence: float
    n_boot: int
    per_key: pd.DataFrame = field(repr=False)

    @property
    def empty(self) -> bool:
        """True when the databases share no key (nothing to compare)."""
        return self.n_keys == 0


def shared_key_offset(
    table_a: pd.DataFrame,
    table_b: pd.DataFrame,
    *,
    names: tuple[str, str] = ("A", "B"),
    key: str = "key",
    energy: str = "formation_energy_per_atom",
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> OffsetResult:
    """Mean formation-energy difference A - B over shared keys, with a bootstrap interval.

    Entries of a key are averaged per database first (AFLOW repeats some keys over 100 times),
    so every shared key counts once. With no shared key the result has ``n_keys = 0`` and NaN
    statistics; it never raises for that case.
    """
    a = table_a[[key, energy]].dropna().groupby(key)[energy].mean()
    b = table_b[[key, energy]].dropna().groupby(key)[energy].mean()
    common = a.index.intersection(b.index)
    per_key = pd.DataFrame(
        {f"{energy} {names[0]}": a.loc[common], f"{energy} {names[1]}": b.loc[common]}
    )
    per_key["difference"] = per_key.iloc[:, 0] - per_key.iloc[:, 1]
    diff = per_key["difference"].to_numpy(float)
    nan = float("nan")
    if diff.size == 0:
        return OffsetResult(names[0], names[1], 0, nan, nan, nan, nan, confidence, n_boot, per_key)
    boot = bootstrap(np.mean, diff, n_boot=n_boot, confidence=confidence, seed=seed)
    low, high = boot.low, boot.high
    return OffsetResult(
        names[0],
        names[1],
        int(diff.size),
        float(diff.mean()),
        float(np.median(diff)),
        float(low),
        float(high),
        confidence,
        n_boot,
        per_key,
    )


#: Metals that the Materials Project treats with GGA+U (and fitted corrections) in oxides and
#: fluorides (Jain et al., Phys. Rev. B 84, 045115 (2011)).
GGA_U_METALS = frozenset({"Co", "Cr", "Fe", "Mn", "Mo", "Ni", "V", "W"})
GROUPS = ("GGA+U metal with O/F", "other O/F/S/N compound", "no O/F/S/N")


def chemistry_groups(formulas: pd.Series | list[str]) -> np.ndarray:
    """Chemistry group of each formula (one of :data:`GROUPS`).

    ``GGA+U metal with O/F``: a metal of :data:`GGA_U_METALS` together with O or F (where MP
    applies +U and fitted corrections); ``other O/F/S/N compound``: any other formula with O, F,
    S or N (MP's fitted anion corrections); ``no O/F/S/N``: the rest.
    """
    values = pd.Series(list(formulas), dtype=str)
    labels = {}
    for formula in values.unique():  # once per distinct formula
        elements = set(Formula(formula).count())
        if elements & GGA_U_METALS and elements & {"O", "F"}:
            labels[formula] = GROUPS[0]
        elif elements & {"O", "F", "S", "N"}:
            labels[formula] = GROUPS[1]
        else:
            labels[formula] = GROUPS[2]
    return values.map(labels).to_numpy()


def key_differences(table_a: pd.DataFrame, table_b: pd.DataFrame, *, target: str = "target"
                    ) -> pd.DataFrame:
    """Per shared key: the two values, their difference A - B and the chemistry group.

    Both tables hold one row per key (see
    :func:`howbig.chapters.transferability.compositions.aggregate_by_key`).
    """
    a, b = table_a.set_index("key")[target], table_b.set_index("key")[target]
    common = a.index.intersection(b.index)
    out = pd.DataFrame({"key": common, "a": a.loc[common].to_numpy(),
                        "b": b.loc[common].to_numpy()})
    out["difference"] = out["a"] - out["b"]
    out["group"] = chemistry_groups(out["key"])
    return out


def difference_summary(diffs: pd.DataFrame, *, n_boot: int = 400, seed: int = 0
                       ) -> tuple[pd.DataFrame, dict[str, dict[str, BootstrapResult]]]:
    """Mean, median and mean |difference| per chemistry group and overall, 95 % bootstrap CIs.

    Returns a display table (one row per group, ``all`` last) and the
    :class:`~howbig.methods.bootstrap.BootstrapResult` objects behind it.
    """
    stats = {"mean": np.mean, "median": np.median,
             "mean |difference|": lambda d: np.mean(np.abs(d))}
    parts = [(g, diffs.loc[diffs["group"] == g, "difference"].to_numpy()) for g in GROUPS]
    parts.append(("all", diffs["difference"].to_numpy()))
    rows, boots = [], {}
    for name, values in parts:
        boots[name] = {s: bootstrap(f, values, n_boot=n_boot, seed=seed) for s, f in stats.items()}
        row = {"group": name, "shared keys": len(values)}
        for s, b in boots[name].items():
            row[s] = b.estimate
            row[f"{s} 95% CI"] = f"[{b.low:+.3f}, {b.high:+.3f}]"
        rows.append(row)
    return pd.DataFrame(rows).set_index("group"), boots
