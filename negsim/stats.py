"""Weighted central positions and dispersion of an issue: the one place they are computed.

All functions work on (..., n) arrays of positions with matching weights (capability x salience)
and an optional ``active`` mask, reducing over the last axis. An issue whose active actors all
carry zero weight falls back to equal weights over its active actors, so the statistics are
always defined (and never NaN) while anyone takes part.
"""

from __future__ import annotations

import numpy as np

__all__ = ["effective_weights", "weighted_median", "weighted_mean", "weighted_std", "issue_stats"]


def effective_weights(w: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """``w`` with inactive entries zeroed; rows whose active weight is 0 get equal weights."""
    w = np.asarray(w, dtype=float)
    if active is None:
        active = np.ones(w.shape, dtype=bool)
    w = np.where(active, w, 0.0)
    total = w.sum(axis=-1, keepdims=True)
    return np.where(total > 0, w, active.astype(float))


def weighted_median(x: np.ndarray, w: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """The smallest position whose cumulative weight reaches half the total (the lower median on
    an exact tie). On a line with linear utilities this is the Condorcet winner.
    Rows with no active actor give 0."""
    x = np.asarray(x, dtype=float)
    w = effective_weights(w, active)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    cw = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1)
    total = cw[..., -1:]
    idx = np.argmax((cw >= 0.5 * total) & (np.take_along_axis(w, order, axis=-1) > 0), axis=-1)
    med = np.take_along_axis(xs, idx[..., None], axis=-1)[..., 0]
    return np.where(total[..., 0] > 0, med, 0.0)


def weighted_mean(x: np.ndarray, w: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Weighted mean of positions (the compromise-model forecast). Rows with no active actor give 0."""
    w = effective_weights(w, active)
    total = w.sum(axis=-1)
    return np.where(total > 0, (w * np.where(w > 0, x, 0.0)).sum(axis=-1)
                    / np.where(total > 0, total, 1.0), 0.0)


def weighted_std(x: np.ndarray, w: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Weighted (population) standard deviation of positions around the weighted mean."""
    w = effective_weights(w, active)
    total = w.sum(axis=-1)
    mean = weighted_mean(x, w)
    dev = np.where(w > 0, np.asarray(x, dtype=float) - mean[..., None], 0.0)
    var = (w * dev * dev).sum(axis=-1) / np.where(total > 0, total, 1.0)
    std = np.sqrt(np.maximum(var, 0.0))
    # Positions that are all equal leave a rounding residue of the mean (7e-15 on a 0-100
    # scale), which would print as a spread: below 1e-12 of the positions' size it is zero.
    size = np.where(w > 0, np.abs(np.asarray(x, dtype=float)), 0.0).max(axis=-1, initial=0.0)
    return np.where(std <= 1e-12 * np.maximum(size, 1.0), 0.0, std)


def issue_stats(x: np.ndarray, w: np.ndarray, active: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, mean, dispersion) per row: the forecast, the compromise point and the spread."""
    w = effective_weights(w, active)
    return weighted_median(x, w), weighted_mean(x, w), weighted_std(x, w)
