"""Point clouds of known topology, for validating topology methods.

Each generator returns ``(X, betti)``: ``X`` of shape (n, ambient_dim) and the true Betti numbers
``(b0, b1, ...)`` of the shape. ``noisy_embedded`` adds Gaussian noise relative to the shape's radius
and rotates the cloud into a higher-dimensional space by a random orthogonal map. ``gaussian_blobs``,
``gaussian`` and ``uniform_ball`` live in any dimension: clusters of known number, and single
components that a significance rule must not split.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def circle(n: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, ...]]:
    """Unit circle in R^2: Betti (1, 1)."""
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t)], (1, 1)


def sphere(n: int, rng: np.random.Generator, dim: int = 3) -> tuple[np.ndarray, tuple[int, ...]]:
    """Unit sphere S^(dim-1) in R^dim: b0 = 1, b_(dim-1) = 1 (for dim >= 3, b1 = 0)."""
    X = rng.standard_normal((n, dim))
    betti = [1] + [0] * (dim - 1)
    betti[dim - 1] += 1
    return X / np.linalg.norm(X, axis=1, keepdims=True), tuple(betti)


def torus(n: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flat (Clifford) torus S^1 x S^1 in R^4, both circles of radius 1: Betti (1, 2, 1).

    Uniformly sampled (the flat metric), unlike a torus of revolution in R^3 whose inner loop is
    undersampled at a few hundred points.
    """
    u, v = rng.uniform(0, 2 * np.pi, (2, n))
    return np.c_[np.cos(u), np.sin(u), np.cos(v), np.sin(v)], (1, 2, 1)


def figure_eight(n: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, ...]]:
    """Two unit circles touching at the origin, in R^2: Betti (1, 2)."""
    t = rng.uniform(0, 2 * np.pi, n)
    side = rng.integers(0, 2, n) * 2 - 1
    return np.c_[side * (1 - np.cos(t)), np.sin(t)], (1, 2)


def clusters(n: int, rng: np.random.Generator, n_clusters: int = 3) -> tuple[np.ndarray, tuple[int, ...]]:
    """``n_clusters`` unit disks with centres 4 apart on a circle, in R^2: Betti (n_clusters, 0)."""
    angles = 2 * np.pi * np.arange(n_clusters) / n_clusters
    centres = 4 / (2 * np.sin(np.pi / n_clusters)) * np.c_[np.cos(angles), np.sin(angles)]
    which = rng.integers(0, n_clusters, n)
    radius = np.sqrt(rng.uniform(0, 1, n))
    t = rng.uniform(0, 2 * np.pi, n)
    return centres[which] + radius[:, None] * np.c_[np.cos(t), np.sin(t)], (n_clusters, 0)


def gaussian_blobs(
    n: int,
    rng: np.random.Generator,
    dim: int = 2,
    *,
    n_blobs: int = 2,
    separation: float = 10.0,
    size_ratio: float = 1.0,
) -> tuple[np.ndarray, tuple[int, ...]]:
    """``n_blobs`` standard Gaussian blobs in R^dim whose nearest centres are ``separation`` apart: Betti (n_blobs, 0).

    Centres are the vertices of a regular simplex of edge ``separation`` in random orthogonal directions
    when ``dim >= n_blobs``, else of a regular polygon of side ``separation`` in the first two coordinates.
    Blob sizes fall geometrically from the largest to the smallest, in the ratio ``size_ratio`` (1 = equal).

    Returns
    -------
    X : ndarray of shape (n, dim); betti : (n_blobs, 0)
    """
    weights = np.geomspace(size_ratio, 1.0, n_blobs)
    sizes = np.floor(n * weights / weights.sum()).astype(int)
    sizes[0] += n - int(sizes.sum())
    if dim >= n_blobs:
        Q, _ = np.linalg.qr(rng.standard_normal((dim, n_blobs)))
        centres = separation / np.sqrt(2) * Q.T
    else:
        angles = 2 * np.pi * np.arange(n_blobs) / n_blobs
        radius = separation / (2 * np.sin(np.pi / n_blobs))
        centres = np.zeros((n_blobs, dim))
        centres[:, 0], centres[:, 1] = radius * np.cos(angles), radius * np.sin(angles)
    X = np.concatenate([centre + rng.standard_normal((size, dim)) for centre, size in zip(centres, sizes, strict=True)])
    return X, (n_blobs, 0)


def gaussian(n: int, rng: np.random.Generator, dim: int = 2) -> tuple[np.ndarray, tuple[int, ...]]:
    """A standard Gaussian in R^dim: one component, Betti (1, 0)."""
    return rng.standard_normal((n, dim)), (1, 0)


def uniform_ball(n: int, rng: np.random.Generator, dim: int = 2) -> tuple[np.ndarray, tuple[int, ...]]:
    """Points uniform in the unit ball of R^dim: Betti (1, 0)."""
    directions = rng.standard_normal((n, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return directions * rng.uniform(0, 1, (n, 1)) ** (1 / dim), (1, 0)


SHAPES: dict[str, Callable[[int, np.random.Generator], tuple[np.ndarray, tuple[int, ...]]]] = {
    "circle": circle,
    "sphere2": lambda n, rng: sphere(n, rng, 3),
    "torus": torus,
    "figure_eight": figure_eight,
    "three_clusters": clusters,
    "sphere_d3": lambda n, rng: sphere(n, rng, 3),
    "sphere_d8": lambda n, rng: sphere(n, rng, 8),
    "sphere_d12": lambda n, rng: sphere(n, rng, 12),
}


def noisy_embedded(
    shape: str, n: int, *, noise: float = 0.05, ambient_dim: int = 64, random_state: int = 0
) -> tuple[np.ndarray, tuple[int, ...]]:
    """A shape from ``SHAPES`` with Gaussian noise of std ``noise`` (shapes have radius 1), randomly
    rotated into R^ambient_dim.

    Returns
    -------
    X : ndarray of shape (n, ambient_dim); betti : the true Betti numbers of the shape
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {sorted(SHAPES)}")
    rng = np.random.default_rng(random_state)
    X, betti = SHAPES[shape](n, rng)
    X = X + noise * rng.standard_normal(X.shape)
    if ambient_dim < X.shape[1]:
        raise ValueError(f"ambient_dim={ambient_dim} is below the shape's dimension {X.shape[1]}")
    embedded = np.zeros((n, ambient_dim))
    embedded[:, : X.shape[1]] = X
    Q, R = np.linalg.qr(rng.standard_normal((ambient_dim, ambient_dim)))
    return embedded @ (Q * np.sign(np.diag(R))).T, betti
