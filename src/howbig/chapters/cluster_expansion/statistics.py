"""The numbers Chapter 4's text quotes, computed from its feature-space paths.

Each function returns a list of :class:`Stat` (value, unit, kind, uncertainty), which the chapter
records in one loop; words that state a comparison (``"below"``, ``"lower than"``) are computed
here from the numbers, never typed into the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from ase import Atoms

from howbig.chapters.cluster_expansion.experiment import (
    AgPdBaseline,
    FeatureSpacePath,
    best_nested,
    compare_folds,
)
from howbig.methods.cluster_expansion import OMPPath, plateau_size

__all__ = [
    "Stat",
    "agpd_statistics",
    "crosscheck_statistics",
    "cv_statistics",
    "dataset_statistics",
    "fit_statistics",
]


@dataclass(frozen=True)
class Stat:
    """One number (or word) of the chapter with what the results page needs to know about it."""

    key: str
    value: Any
    unit: str = ""
    kind: str = ""
    paper: str | None = None
    uncertainty: float | None = None
    n: int | None = None
    spread: str = ""
    reason: str = ""
    data: str = ""
    finding: str = ""

    def record_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`howbig.report.record` (everything but key and value).

        An empty ``data`` is left out, so that the recorder's own data description applies.
        """
        out = asdict(self)
        del out["key"], out["value"]
        for optional in ("data", "finding"):
            if not out[optional]:
                del out[optional]
        return out


def _fit_at(path: OMPPath, k: int) -> float:
    """Fit RMSE (meV) of the k-feature model (the path's last one if it is shorter)."""
    return 1000 * float(path.fit_rmse[min(k, path.n_steps) - 1])


def fit_statistics(
    spaces: dict[tuple[str, int], FeatureSpacePath],
    others: dict[tuple[str, int], list[OMPPath]],
    *,
    plateau: float,
    k_cmp: int,
    max_features: int,
    reason: str,
) -> list[Stat]:
    """In-sample statistics of the Fig. 5 analogue (fit RMSE in meV, plateau sizes).

    Parameters
    ----------
    spaces
        Paths on the paper-sized subset, keys ``("small", 1..3)``, ``("large", 1..2)``.
    others
        Fit-only paths of the same spaces on other subsets of the same size: the paper-linked
        numbers get their standard deviation over these as uncertainty.
    plateau
        Fraction of a path's total fit improvement that defines its plateau.
    k_cmp
        Model size of the paper's parity plots (150).
    max_features
        Longest path.
    reason
        Why the numbers differ from the paper's (data).
    """
    std_s, d2_s, d3_s, std_l, d2_l = (spaces[k].path for k in
                                      (("small", 1), ("small", 2), ("small", 3), ("large", 1),
                                       ("large", 2)))
    p_small = spaces[("small", 1)].p
    why = reason + f"; plateau = {100 * plateau:.0f}% of a path's total fit improvement"

    def plateau_rmse(path: OMPPath) -> float:
        return _fit_at(path, plateau_size(path.fit_rmse, plateau))

    def size(path: OMPPath) -> float:
        return float(plateau_size(path.fit_rmse, plateau))

    paper_linked = [
        ("ce_std_small_rmse", "ce_standard_p27_rmse", ("small", 1), lambda p: _fit_at(p, p_small),
         "meV"),
        ("ce_plateau_d3", "ce_plateau_features_d3", ("small", 3), size, ""),
        ("ce_plateau_d2", "ce_plateau_features_d2", ("small", 2), size, ""),
        ("ce_plateau_std_large", "ce_standard_p176_plateau_features", ("large", 1), size, ""),
        ("ce_std_large_plateau_rmse", "ce_standard_p176_plateau_rmse", ("large", 1),
         plateau_rmse, "meV"),
    ]
    out = []
    for key, paper, space, stat, unit in paper_linked:
        values = [stat(p) for p in others[space]]
        out.append(Stat(key, stat(spaces[space].path), unit, "analogue", paper,
                        float(np.std(values, ddof=1)), len(values),
                        "std over other random paper-sized subsets", why,
                        finding="another material and data set: sizes and errors are not "
                                "comparable; the chapter compares the shapes of the paths"))
    both = np.isfinite(d2_s.fit_rmse) & np.isfinite(d3_s.fit_rmse)
    best_std_l = _fit_at(std_l, std_l.n_steps)
    out += [
        Stat("ce_std_small_steps", std_s.n_steps),
        Stat("ce_d3_at_p_rmse", _fit_at(d3_s, p_small), "meV"),
        Stat("ce_d2_at_p_rmse", _fit_at(d2_s, p_small), "meV"),
        Stat("ce_nonlinear_fit_word",
             "below" if _fit_at(d3_s, p_small) < _fit_at(std_s, p_small) else "not below"),
        Stat("ce_d3_below_d2_percent",
             100 * float(np.mean(d3_s.fit_rmse[both] <= d2_s.fit_rmse[both] + 1e-12)), "%"),
        Stat("ce_d3_end_rmse", _fit_at(d3_s, max_features), "meV"),
        Stat("ce_d3_steps", d3_s.n_steps),
        Stat("ce_d2_end_rmse", _fit_at(d2_s, max_features), "meV"),
        Stat("ce_d2_steps", d2_s.n_steps),
        Stat("ce_std_large_best_rmse", best_std_l, "meV"),
        Stat("ce_std_large_steps", std_l.n_steps),
        Stat("ce_d2_large_kcmp_rmse", _fit_at(d2_l, k_cmp), "meV"),
        Stat("ce_d3_kcmp_rmse", _fit_at(d3_s, k_cmp), "meV"),
        Stat("ce_insample_word", "below" if _fit_at(d3_s, k_cmp) < best_std_l else "above"),
    ]
    return out


def cv_statistics(
    runs: Sequence[tuple[str, dict[tuple[str, int], FeatureSpacePath]]], *, n_splits: int
) -> list[Stat]:
    """Cross-validation statistics per run (``tag``, spaces): CV minima, nested CV, comparisons.

    Keys are ``ce_<what>_<tag>_<pool>_d<degree>``; nested CV errors carry the outer folds'
    standard deviation. ``ce_head_*`` compares the best nonlinear space of the small pool with
    the standard CE of the large pool fold by fold (the paper's "few clusters, nonlinear" against
    "many clusters, linear"); ``ce_gain_*`` the best space of the small pool with its standard
    CE.
    """
    folds = dict(n=n_splits, spread=f"std over {n_splits} outer folds (nested CV)")
    out = []
    for tag, run in runs:
        for (pool, degree), s in run.items():
            name = f"{tag}_{pool}_d{degree}"
            out += [Stat(f"ce_fit_{name}", 1000 * float(np.nanmin(s.path.fit_rmse)), "meV"),
                    Stat(f"ce_cvmin_{name}", 1000 * float(np.nanmin(s.path.cv_rmse)), "meV"),
                    Stat(f"ce_cvk_{name}", s.path.best("cv")),
                    Stat(f"ce_cvend_{name}", 1000 * float(s.path.cv_rmse[s.path.n_steps - 1]),
                         "meV")]
            if s.nested is not None:
                out.append(Stat(f"ce_cv_{name}", 1000 * s.nested.rmse, "meV", "analogue",
                                uncertainty=1000 * s.nested.spread, **folds))
        for pool in ("small", "large"):
            out.append(Stat(f"ce_best_{tag}_{pool}", best_nested(run, pool).label))
        few = best_nested({k: v for k, v in run.items() if k[0] == "small" and k[1] > 1})
        head = compare_folds(few, run[("large", 1)])
        gain = compare_folds(best_nested(run, "small"), run[("small", 1)])
        out += [Stat(f"ce_few_{tag}", few.label),
                Stat(f"ce_head_word_{tag}", head.word),
                Stat(f"ce_head_diff_{tag}", 1000 * head.difference, "meV", "analogue",
                     uncertainty=1000 * head.stderr, n=head.n,
                     spread="std. error of the mean difference over folds"),
                Stat(f"ce_gain_word_{tag}", gain.word)]
        d3 = run[("small", 3)].path
        rises = d3.cv_rmse[d3.n_steps - 1] > 1.2 * np.nanmin(d3.cv_rmse)
        out.append(Stat(f"ce_d3_cv_shape_{tag}", "rises again beyond it" if rises
                        else "stays near that level beyond it"))
    return out


def dataset_statistics(y: np.ndarray, reference: Atoms, n_primitive: int, n_subset: int
                       ) -> list[Stat]:
    """The GeSn2N4 data: sizes, gap range and spread (meV), the cell's composition."""
    n_metals = int((y <= 0).sum())
    symbols = reference.get_chemical_symbols()
    return [
        Stat("ce_n_configurations", len(y)),
        Stat("ce_gap_min", float(y.min()), "eV"), Stat("ce_gap_max", float(y.max()), "eV"),
        Stat("ce_gap_std", 1000 * float(y.std()), "meV"),
        Stat("ce_n_metals", n_metals),
        Stat("ce_metals_phrase", "there are no metals" if n_metals == 0
             else f"there are only {n_metals} metals"),
        Stat("ce_n_atoms", len(reference)),
        *(Stat(f"ce_n_{el.lower()}", symbols.count(el)) for el in ("Ge", "Sn", "N")),
        Stat("ce_cell_length", float(reference.cell.lengths()[0]), "Å"),
        Stat("ce_n_primitive", n_primitive),
        Stat("ce_subset", n_subset, kind="input", paper="ce_configurations",
             reason="random subset of the public GeSn2N4 data, sized like the paper's "
                    "(non-public) BaSnO3-x set"),
    ]


def crosscheck_statistics(check: pd.DataFrame, span: dict[str, np.ndarray],
                          large_orders: np.ndarray) -> list[Stat]:
    """CELL cross-check: matches per kind, aliasing, span residuals per pool.

    Parameters
    ----------
    check
        :func:`howbig.methods.cluster_expansion.cell_crosscheck` table.
    span
        Per pool, :func:`~howbig.methods.cluster_expansion.span_residuals` of its columns
        (constant first) on the CELL counts.
    large_orders
        Cluster order of every column of the large pool (constant first, order 0).
    """
    out = [Stat("ce_cell_columns", len(check))]
    out += [Stat(f"ce_cell_{m}", int((check["match"] == m).sum()))
            for m in ("exact", "factor", "none")]
    out.append(Stat("ce_cell_aliased", int((check["icet_orbits"].map(len) > 1).sum())))
    for pool, residual in span.items():
        out += [Stat(f"ce_span_{pool}", int((residual < 1e-8).sum())),
                Stat(f"ce_span_{pool}_total", len(residual))]
    outside = sorted(set(np.asarray(large_orders)[span["large"] >= 1e-8].tolist()))
    factors = sorted({int(f) for f in check.loc[check["match"] == "factor", "factor"]})
    out += [Stat("ce_span_outside_orders", ", ".join(map(str, outside)) or "none"),
            Stat("ce_cell_factors", ", ".join(map(str, factors)) or "none")]
    return out


def agpd_statistics(agpd: AgPdBaseline, ratios: Sequence[float], best: FeatureSpacePath,
                    cutoffs: Sequence[float], n_splits: int) -> list[Stat]:
    """The Ag-Pd sanity check and the three error/spread ratios (Ag-Pd, gap standard, gap best)."""
    agpd_ratio, std_ratio, best_ratio = ratios
    return [
        Stat("ce_agpd_n", agpd.n_structures), Stat("ce_agpd_orbits", agpd.n_orbits),
        Stat("ce_agpd_cv", 1000 * agpd.nested.rmse, "meV/atom", "analogue",
             uncertainty=1000 * agpd.nested.spread, n=n_splits,
             spread=f"std over {n_splits} outer folds (nested CV)",
             data="icet Ag-Pd reference (mixing energies)"),
        Stat("ce_agpd_std", agpd.std, "meV/atom", data="icet Ag-Pd reference (mixing energies)"),
        Stat("ce_agpd_cutoffs", ", ".join(f"{c:g}" for c in cutoffs)),
        Stat("ce_agpd_ratio", agpd_ratio, "%"), Stat("ce_gap_ratio_std", std_ratio, "%"),
        Stat("ce_gap_ratio_best", best_ratio, "%"),
        Stat("ce_gap_best_label", f"{best.label} of the {best.pool} pool"),
        Stat("ce_gap_vs_agpd", "below" if best_ratio < agpd_ratio else "above"),
    ]
