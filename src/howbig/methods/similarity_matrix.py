"""All-pairs Tanimoto similarities of DOS fingerprints, and summaries of similarity matrices.

Fingerprints (:mod:`howbig.methods.fingerprints`) are thermometer-coded: in every energy
interval the pixels are set from the bottom up to the number of states, so two images share
``min(m_a, m_b)`` pixels per interval and

.. math:: |a \\wedge b| = \\sum_i \\min(m_a[i], m_b[i]),

a sum over ~100 small integers per pair instead of a popcount over ~8,000 pixels.
:func:`similarity_matrix` computes the full matrix that way (or by bit-packed popcounts for any
binary images); :func:`nearest_neighbours` streams the same computation block by block for
sets too large to hold the matrix (10^5 spectra would need 80 GB in float64).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from howbig.methods.fingerprints import FingerprintSet

__all__ = [
    "Neighbours",
    "block_means",
    "describe_groups",
    "group_by_similarity",
    "mean_over_pairs",
    "nearest_neighbours",
    "similarity_matrix",
]


def _packed(bits: np.ndarray) -> np.ndarray:
    """Pack boolean rows into uint64 words (zero-padded)."""
    flat = bits.reshape(len(bits), -1)
    packed = np.packbits(flat, axis=1)
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(packed).view(np.uint64)


def _intersections_popcount(bits: np.ndarray, block: int = 64) -> np.ndarray:
    words = _packed(bits)
    n = len(words)
    out = np.empty((n, n), np.int64)
    for i0 in range(0, n, block):  # blocks of rows; each block is one vectorised AND + popcount
        i1 = min(n, i0 + block)
        out[i0:i1] = np.bitwise_count(words[i0:i1, None, :] & words[None, :, :]).sum(
            axis=-1, dtype=np.int64)
    return out


def _is_thermometer(bits: np.ndarray, counts: np.ndarray) -> bool:
    """True if in every interval the set pixels are exactly the lowest ``count`` ones."""
    return bool(np.array_equal(bits, np.arange(bits.shape[-1]) < counts[..., None]))


def _thermometer_counts(fps: FingerprintSet) -> tuple[np.ndarray, bool]:
    """Pixels set per interval, and whether the images are known to be thermometer-coded."""
    if fps.counts is not None:
        return fps.counts, True
    return fps.bits.sum(axis=2), False


def _interval_counts(counts: np.ndarray) -> tuple[np.ndarray, type]:
    """Per-interval pixel counts, transposed ``(n_active, n)``, in the narrowest integer type,
    and the accumulator type that holds their sums over intervals (checked, not assumed)."""
    active = counts.any(axis=0)
    row_dtype = np.uint8 if counts.max(initial=0) < 2**8 else np.uint16
    acc_dtype = np.uint16 if counts.sum(axis=1).max(initial=0) < 2**16 else np.uint32
    return np.ascontiguousarray(counts[:, active].T).astype(row_dtype), acc_dtype


def _minsum(rows: np.ndarray, cols: np.ndarray, acc_dtype: type) -> np.ndarray:
    """``acc[i, j] = sum_k min(rows[k, i], cols[k, j])`` for per-interval counts ``(K, .)``.

    The loop runs over intervals, each step one vectorised ``minimum`` over the block of pairs.
    With uint8 counts, the minima of ``g`` consecutive intervals are summed in uint8 (``g`` is
    chosen so that the sum cannot overflow: ``g * max count < 256``) before being added to the
    wider accumulator: most of the work then runs 32 lanes wide, as in a compiled kernel.
    """
    # each interval's counts must be one contiguous run of memory (fancy indexing would not)
    rows, cols = np.ascontiguousarray(rows), np.ascontiguousarray(cols)
    acc = np.zeros((rows.shape[1], cols.shape[1]), acc_dtype)
    part = np.empty(acc.shape, rows.dtype)
    tmp = np.empty(acc.shape, rows.dtype)
    top = int(max(rows.max(initial=0), cols.max(initial=0), 1))
    group = max(1, (np.iinfo(rows.dtype).max // top)) if rows.dtype == np.uint8 else 1
    # skip intervals where this block of rows has no states (half of them for a typical DOS)
    ks = np.flatnonzero(rows.any(axis=1))
    for g0 in range(0, len(ks), group):
        k = ks[g0]
        np.minimum(rows[k][:, None], cols[k][None, :], out=part)
        for k in ks[g0 + 1:g0 + group]:
            np.minimum(rows[k][:, None], cols[k][None, :], out=tmp)
            part += tmp
        acc += part
    return acc


def _minsum_blocks(counts: np.ndarray, block: int = 128) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(i0, i1, acc)`` with ``acc[i, j] = |a_(i0+i) & b_(i0+j)|`` for ``j >= 0``.

    In a fingerprint the pixels of an interval are set from the bottom up to the number of
    states, so two thermometer-coded images share ``min(m_a, m_b)`` pixels in each interval and
    ``|a & b| = sum_i min(m_a[i], m_b[i])`` (:func:`_minsum`). Only the upper triangle (columns
    ``i0:``) is computed.
    """
    per_interval, acc_dtype = _interval_counts(counts)
    n = counts.shape[0]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        yield i0, i1, _minsum(per_interval[:, i0:i1], per_interval[:, i0:], acc_dtype)


def _intersections_minsum(counts: np.ndarray, block: int = 128) -> np.ndarray:
    """|a & b| of all pairs of thermometer-coded images from their per-interval pixel counts."""
    n = counts.shape[0]
    out = np.empty((n, n), np.int64)
    for i0, i1, acc in _minsum_blocks(counts, block):
        out[i0:i1, i0:] = acc  # upper block row ...
        out[i0:, i0:i1] = acc.T  # ... and its mirror image, the lower block column
    return out


def _tanimoto_minsum_same_range(counts: np.ndarray, block: int = 128) -> np.ndarray:
    """Tanimoto matrix of thermometer-coded images that all cover the same intervals.

    Same values as ``both / (|a| + |b| - both)`` from :func:`_intersections_minsum`; the ratio is
    taken block by block while the counts are in cache, which halves the time at n = 2,000.
    """
    n = counts.shape[0]
    total = counts.sum(axis=1)
    out = np.empty((n, n), np.float64)
    for i0, i1, acc in _minsum_blocks(counts, block):
        union = total[i0:i1, None] + total[None, i0:] - acc  # exact integers
        if total.min(initial=1) > 0:
            sim = np.divide(acc, union, dtype=np.float64)
        else:  # two empty images: similarity 0, as in :func:`tanimoto`
            sim = np.divide(acc, np.maximum(union, 1), dtype=np.float64)
        out[i0:i1, i0:] = sim
        out[i0:, i0:i1] = sim.T
    return out


def _intersections_matmul(bits: np.ndarray) -> np.ndarray:
    x = bits.reshape(len(bits), -1).astype(np.float32)
    if x.shape[1] >= 2**24:
        raise ValueError("too many pixels for an exact float32 product")
    return np.rint(x @ x.T).astype(np.int64)  # integer counts < 2**24 are exact in float32


def similarity_matrix(fps: FingerprintSet, method: str = "auto") -> np.ndarray:
    """All-pairs Tanimoto matrix, identical to :func:`tanimoto` on every pair.

    Parameters
    ----------
    fps
        The fingerprints.
    method
        ``"minsum"`` (per-interval pixel counts; exact for thermometer-coded images, which
        :func:`dos_fingerprints` produces), ``"popcount"`` (bit-packed AND + popcount, any
        images), ``"matmul"`` (float32 product of the 0/1 images; exact below 2**24 pixels), or
        ``"auto"``: ``"minsum"`` when the images are thermometer-coded, else ``"popcount"``.

    Notes
    -----
    The intersection count of zero-padded images only sees pixels inside both ranges. The
    single-image counts are restricted to the common range with prefix sums over intervals, so
    fingerprints that cover different energy ranges are compared as :func:`tanimoto` does.
    """
    per_interval, thermometer = _thermometer_counts(fps)
    thermometer = thermometer or (method in ("auto", "minsum")
                                  and _is_thermometer(fps.bits, per_interval))
    if method == "auto":
        method = "minsum" if thermometer else "popcount"
    if method == "minsum":
        if not thermometer:
            raise ValueError("method 'minsum' needs thermometer-coded images; use 'popcount'")
        if np.all(fps.starts == fps.starts[0]) and np.all(fps.stops == fps.stops[0]):
            return _tanimoto_minsum_same_range(per_interval)
        both = _intersections_minsum(per_interval)
    elif method == "popcount":
        both = _intersections_popcount(fps.bits)
    elif method == "matmul":
        both = _intersections_matmul(fps.bits)
    else:
        raise ValueError(f"unknown method {method!r}; use 'auto', 'minsum', 'popcount' or "
                         "'matmul'")
    prefix = np.concatenate([np.zeros((len(fps), 1), np.int64), np.cumsum(per_interval, 1)], 1)
    s = np.maximum(fps.starts[:, None], fps.starts[None, :])
    e = np.minimum(fps.stops[:, None], fps.stops[None, :])
    e = np.maximum(e, s)
    rows = np.arange(len(fps))[:, None]
    cols = np.arange(len(fps))[None, :]
    a = prefix[rows, e] - prefix[rows, s]
    b = prefix[cols, e] - prefix[cols, s]
    union = a + b - both
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, both / np.where(union > 0, union, 1), 0.0)
    return sim


def block_means(sim: np.ndarray, labels: Sequence[str]) -> pd.DataFrame:
    """Mean similarity within and between blocks of calculations.

    Parameters
    ----------
    sim
        Square similarity matrix.
    labels
        Block label of each row (e.g. ``"LDA 2x2x1"``); block order is first appearance.

    Returns
    -------
    DataFrame indexed and columned by block; the diagonal averages the off-diagonal pairs
    inside a block (self-similarity 1 is excluded), NaN for single-member blocks.
    """
    onehot, order = _onehot(labels)
    return _block_means(onehot.T @ sim @ onehot, onehot.T @ np.diag(sim), onehot.sum(0), order)


def _onehot(labels: Sequence[str]) -> tuple[np.ndarray, list]:
    """``(n, n_blocks)`` membership matrix and the block labels in order of first appearance."""
    labels = np.asarray(labels)
    order = list(dict.fromkeys(labels.tolist()))
    return (labels[:, None] == np.array(order)[None, :]).astype(float), order


def _block_means(sums: np.ndarray, self_sums: np.ndarray, counts: np.ndarray,
                 order: list) -> pd.DataFrame:
    """Block means from the sums of similarities over block pairs; self-pairs leave the diagonal."""
    pairs_diag = counts * (counts - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / np.outer(counts, counts)
        diag = np.diag(sums) - self_sums
        np.fill_diagonal(means, np.where(pairs_diag > 0, diag / np.where(pairs_diag > 0,
                                                                          pairs_diag, 1), np.nan))
    return pd.DataFrame(means, index=order, columns=order)


def group_by_similarity(
    sim: np.ndarray, threshold: float, method: str = "complete"
) -> np.ndarray:
    """Group calculations whose DOS agree: hierarchical clustering cut at a similarity threshold.

    With complete linkage (default), every pair inside a group has ``S >= threshold``: a group is
    a set of calculations that are mutually "converged with each other" at that level.

    Parameters
    ----------
    sim
        Square similarity matrix (symmetric, ones on the diagonal).
    threshold
        Minimal similarity inside a group, in ``[0, 1]``.
    method
        Linkage of :func:`scipy.cluster.hierarchy.linkage` (``"complete"``, ``"average"``, ...).

    Returns
    -------
    Integer group label per calculation, numbered 0, 1, ... by first appearance.
    """
    # imported here: scipy.cluster and scipy.spatial take ~0.5 s to import
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    n = len(sim)
    if n == 1:
        return np.zeros(1, int)
    dist = 1.0 - 0.5 * (sim + sim.T)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(np.clip(dist, 0, 1), checks=False), method=method)
    raw = fcluster(tree, t=1.0 - threshold + 1e-12, criterion="distance")
    _, first = np.unique(raw, return_index=True)
    order = raw[np.sort(first)]
    remap = {lab: i for i, lab in enumerate(order)}
    return np.array([remap[r] for r in raw])


def describe_groups(meta: pd.DataFrame, groups: np.ndarray,
                    columns: Sequence[str] = ("xc", "kmesh", "basis")) -> pd.DataFrame:
    """One row per group: its size and the settings its members use.

    Parameters
    ----------
    meta
        Metadata, one row per calculation (same order as ``groups``).
    groups
        Group label per calculation, from :func:`group_by_similarity`.
    columns
        Setting columns to list.
    """
    rows = []
    for g in dict.fromkeys(np.asarray(groups).tolist()):
        part = meta[np.asarray(groups) == g]
        row = {"group": g, "n": len(part)}
        for col in columns:
            row[col] = ", ".join(map(str, dict.fromkeys(part[col].tolist())))
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def mean_over_pairs(sim: np.ndarray, meta: pd.DataFrame, *, same: Sequence[str] = (),
                    differ: Sequence[str] = ()) -> tuple[float, int]:
    """Mean similarity over pairs ``i < j`` that agree on ``same`` and differ in every ``differ``.

    Returns
    -------
    (mean, number of pairs); the mean is NaN when no pair qualifies.
    """
    iu = np.triu_indices(len(meta), k=1)
    mask = np.ones(len(iu[0]), bool)
    for col in same:
        v = meta[col].to_numpy()
        mask &= v[iu[0]] == v[iu[1]]
    for col in differ:
        v = meta[col].to_numpy()
        mask &= v[iu[0]] != v[iu[1]]
    n = int(mask.sum())
    return (float(sim[iu][mask].mean()) if n else float("nan")), n


@dataclass
class Neighbours:
    """Nearest neighbours in DOS similarity, from :func:`nearest_neighbours`.

    Attributes
    ----------
    indices, similarities
        ``(n, k)``: for each fingerprint, its ``k`` most similar others (most similar first,
        equal similarities by index; which of several others tied at the ``k``-th place is
        kept is unspecified) and their Tanimoto coefficients.
    block_means
        Mean similarity within and between label blocks (as :func:`block_means`), or ``None``
        when no labels were given.
    """

    indices: np.ndarray
    similarities: np.ndarray
    block_means: pd.DataFrame | None = None


def nearest_neighbours(fps: FingerprintSet, k: int = 5, *, labels: Sequence[str] | None = None,
                       block: int = 128, tile: int = 2048) -> Neighbours:
    """Each fingerprint's ``k`` most similar others, without holding the similarity matrix.

    The Tanimoto matrix is computed ``block`` rows at a time (the same arithmetic as
    :func:`similarity_matrix` with ``"minsum"``, so the values are identical) and reduced at
    once: a top-``k`` selection per row and, given ``labels``, the sums behind
    :func:`block_means`. Memory grows as ``block * n``; time as ``n^2`` (here about 2 x the
    time of :func:`similarity_matrix` per pair, since each pair is visited from both sides).

    Parameters
    ----------
    fps
        Thermometer-coded fingerprints (as made by
        :func:`howbig.methods.fingerprints.dos_fingerprints`).
    k
        Neighbours per fingerprint (at most ``n - 1``).
    labels
        Optional block label per fingerprint (e.g. functional and k-mesh).
    block, tile
        Rows per block, and columns per tile of the integer min-sum.
    """
    n = len(fps)
    k = min(k, n - 1)
    counts, thermometer = _thermometer_counts(fps)
    if not (thermometer or _is_thermometer(fps.bits, counts)):
        raise ValueError("nearest_neighbours needs thermometer-coded images")
    per_interval, acc_dtype = _interval_counts(counts)
    prefix = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(counts, 1)], 1)
    same = bool(np.all(fps.starts == fps.starts[0]) and np.all(fps.stops == fps.stops[0]))
    total = counts.sum(axis=1)
    if labels is not None:
        onehot, order = _onehot(labels)
        sums = np.zeros((len(order), len(order)))
        codes = onehot.argmax(axis=1)
        by_label = np.argsort(codes, kind="stable")
        label_starts = np.searchsorted(codes[by_label], np.arange(len(order)))
    indices = np.empty((n, k), np.int64)
    sims = np.empty((n, k))
    for i0 in range(0, n, block):
        rows = np.arange(i0, min(n, i0 + block))
        both = np.empty((len(rows), n))
        for c0 in range(0, n, tile):  # column tiles keep the integer work in cache
            cols = np.arange(c0, min(n, c0 + tile))
            acc = _minsum(per_interval[:, i0:i0 + len(rows)], per_interval[:, c0:c0 + len(cols)],
                          acc_dtype)
            if same:
                union = total[rows, None] + total[None, cols] - acc
            else:
                s = np.maximum(fps.starts[rows, None], fps.starts[None, cols])
                e = np.maximum(np.minimum(fps.stops[rows, None], fps.stops[None, cols]), s)
                union = (prefix[rows[:, None], e] - prefix[rows[:, None], s]
                         + prefix[cols[None, :], e] - prefix[cols[None, :], s] - acc)
            np.divide(acc, np.maximum(union, 1), out=both[:, c0:c0 + len(cols)])
        if labels is not None:  # sums over label blocks by sorted columns (no BLAS call)
            per_label = np.add.reduceat(both[:, by_label], label_starts, axis=1)
            np.add.at(sums, codes[rows], per_label)
        both[rows - i0, rows] = -np.inf  # not its own neighbour
        top = np.argpartition(-both, k - 1, axis=1)[:, :k] if k < n else np.argsort(-both, 1)
        top_sims = np.take_along_axis(both, top, 1)
        order_k = np.lexsort((top, -top_sims), axis=1)
        indices[rows] = np.take_along_axis(top, order_k, 1)
        sims[rows] = np.take_along_axis(top_sims, order_k, 1)
    means = None
    if labels is not None:
        # self-similarity: 1 for a non-empty image, 0 for an empty one (as in the full matrix)
        self_sim = (total > 0).astype(float)
        means = _block_means(sums, onehot.T @ self_sim, onehot.sum(0), order)
    return Neighbours(indices, sims, means)
