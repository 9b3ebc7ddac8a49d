"""Seeded subsampling of point clouds: farthest-point (maxmin) landmarks or uniform random."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist


def maxmin_subsample(
    X: np.ndarray, n_points: int, *, metric: str = "euclidean", random_state: int | None = 0
) -> tuple[np.ndarray, float]:
    """Greedy farthest-point landmarks.

    Starting from a seeded random point, repeatedly add the point farthest from those chosen.
    Every point of ``X`` then lies within the cover radius of a landmark, so long bars survive
    and short ones move by at most about the cover radius (stability theorem).

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
    n_points : number of landmarks (returns all points when ``n_points >= n``).

    Returns
    -------
    indices : ndarray of shape (min(n, n_points),), int64, in the order chosen
    cover_radius : largest distance from a point of ``X`` to its nearest landmark (0 with no subsampling)
    """
    n = len(X)
    if n_points >= n:
        return np.arange(n), 0.0
    rng = np.random.default_rng(random_state)
    chosen = np.empty(n_points, dtype=np.int64)
    chosen[0] = rng.integers(n)
    nearest = cdist(X[chosen[:1]], X, metric=metric)[0]
    for i in range(1, n_points):
        chosen[i] = int(np.argmax(nearest))
        np.minimum(nearest, cdist(X[chosen[i : i + 1]], X, metric=metric)[0], out=nearest)
    return chosen, float(nearest.max())


def random_subsample(
    X: np.ndarray, n_points: int, *, metric: str = "euclidean", random_state: int | None = 0
) -> tuple[np.ndarray, float]:
    """Uniform random subset without replacement; returns (indices, cover_radius) like ``maxmin_subsample``."""
    n = len(X)
    if n_points >= n:
        return np.arange(n), 0.0
    rng = np.random.default_rng(random_state)
    chosen = np.sort(rng.choice(n, size=n_points, replace=False))
    cover = float(cdist(X, X[chosen], metric=metric).min(axis=1).max())
    return chosen, cover


SUBSAMPLERS = {"maxmin": maxmin_subsample, "random": random_subsample}
