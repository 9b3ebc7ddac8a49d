"""Seeded generators of two-class datasets whose true topology is known.

Every generator draws its train and test sets from two independent random streams
(``numpy.random.SeedSequence(seed).spawn(2)``), balances the classes, and standardises both
sets with the *training* mean and standard deviation only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """A train/test draw of a two-class dataset.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, dim), float32, standardised
    y_train : ndarray of shape (n_train,), int64 class labels
    X_test, y_test : the same for the test draw (standardised with training statistics)
    betti : true Betti numbers ``(b0, b1, ...)`` of each class, keyed by class label
    description : one line saying what the classes are
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    betti: dict[int, tuple[int, ...]]
    description: str
    params: dict[str, float] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def concentric_spheres(
    n_train: int = 2000,
    n_test: int = 1000,
    dim: int = 12,
    *,
    radii: tuple[float, float] = (1.0, 1.3),
    noise: float = 0.0,
    random_state: int = 0,
) -> Dataset:
    """Class 0 uniform on the sphere of radius ``radii[0]``, class 1 on radius ``radii[1]``, in R^dim.

    True topology of each class: the sphere S^(dim-1), Betti numbers b0 = 1, b_(dim-1) = 1, others 0.
    The classes are separated by a margin of ``radii[1] - radii[0]`` (minus the noise).
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, rng)
        X = _unit_sphere(rng, n, dim) * np.where(y == 0, radii[0], radii[1])[:, None]
        return X + noise * rng.standard_normal(X.shape), y

    return _build(
        "concentric_spheres",
        draw,
        n_train,
        n_test,
        random_state,
        betti=_sphere_betti(dim),
        description=f"two concentric spheres S^{dim - 1} in R^{dim}, radii {radii[0]} and {radii[1]}",
        params={"r0": radii[0], "r1": radii[1], "noise": noise},
    )


def intersecting_spheres(
    n_train: int = 2000,
    n_test: int = 1000,
    dim: int = 12,
    *,
    radii: tuple[float, float] = (1.0, 0.8),
    offset: float = 0.3,
    noise: float = 0.0,
    random_state: int = 0,
) -> Dataset:
    """Two spheres whose surfaces cross: radius ``radii[0]`` at the origin, ``radii[1]`` at ``offset * e1``.

    True topology of each class: S^(dim-1). The surfaces intersect in a (dim-2)-sphere, so the
    classes are not separable near the crossing.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, rng)
        X = _unit_sphere(rng, n, dim) * np.where(y == 0, radii[0], radii[1])[:, None]
        X[y == 1, 0] += offset
        return X + noise * rng.standard_normal(X.shape), y

    return _build(
        "intersecting_spheres",
        draw,
        n_train,
        n_test,
        random_state,
        betti=_sphere_betti(dim),
        description=f"spheres of radii {radii[0]} and {radii[1]} in R^{dim}, centres {offset} apart (crossing)",
        params={"r0": radii[0], "r1": radii[1], "offset": offset, "noise": noise},
    )


def shells(
    n_train: int = 2000,
    n_test: int = 1000,
    dim: int = 12,
    *,
    inner: tuple[float, float] = (1.0, 2.0),
    outer: tuple[float, float] = (1.9, 2.9),
    noise: float = 0.0,
    random_state: int = 0,
) -> Dataset:
    """Thick spherical shells: radius uniform in ``inner`` (class 0) and in ``outer`` (class 1).

    The radial ranges overlap slightly, so the Bayes accuracy is below 1. Each shell is homotopy
    equivalent to S^(dim-1).
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, rng)
        low = np.where(y == 0, inner[0], outer[0])
        high = np.where(y == 0, inner[1], outer[1])
        X = _unit_sphere(rng, n, dim) * rng.uniform(low, high)[:, None]
        return X + noise * rng.standard_normal(X.shape), y

    return _build(
        "shells",
        draw,
        n_train,
        n_test,
        random_state,
        betti=_sphere_betti(dim),
        description=f"thick shells in R^{dim}, radii U{list(inner)} vs U{list(outer)} (overlapping)",
        params={"inner_low": inner[0], "inner_high": inner[1], "outer_low": outer[0], "outer_high": outer[1]},
    )


def linked_circles(
    n_train: int = 2000,
    n_test: int = 1000,
    dim: int = 12,
    *,
    noise: float = 0.02,
    random_state: int = 0,
) -> Dataset:
    """Two linked unit circles (a Hopf link) embedded in R^dim by a seeded random rotation.

    Class 0: the circle x^2 + y^2 = 1 in the xy-plane; class 1: the circle (x-1)^2 + z^2 = 1 in the
    xz-plane. Each class has Betti numbers (1, 1): one loop, which H1 should detect.
    """
    if dim < 3:
        raise ValueError(f"linked_circles needs dim >= 3 to link the circles, got dim={dim}")
    rotation = _random_rotation(np.random.default_rng(random_state + 7919), dim)

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, rng)
        t = rng.uniform(0.0, 2 * np.pi, n)
        X3 = np.where(
            (y == 0)[:, None],
            np.c_[np.cos(t), np.sin(t), np.zeros(n)],
            np.c_[1.0 + np.cos(t), np.zeros(n), np.sin(t)],
        )
        X = np.zeros((n, dim))
        X[:, :3] = X3 + noise * rng.standard_normal(X3.shape)
        return X @ rotation.T, y

    return _build(
        "linked_circles",
        draw,
        n_train,
        n_test,
        random_state,
        betti={0: (1, 1), 1: (1, 1)},
        description=f"two linked unit circles (Hopf link) rotated into R^{dim}, noise {noise}",
        params={"noise": noise},
    )


DATASETS: dict[str, Callable[..., Dataset]] = {
    "concentric_spheres": concentric_spheres,
    "intersecting_spheres": intersecting_spheres,
    "shells": shells,
    "linked_circles": linked_circles,
}


def make_dataset(kind: str, *, n_train: int, n_test: int, dim: int, noise: float, seed: int) -> Dataset:
    """Build a dataset by name (the keys of ``DATASETS``)."""
    if kind not in DATASETS:
        raise ValueError(f"unknown dataset {kind!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[kind](n_train, n_test, dim, noise=noise, random_state=seed)


def _build(
    name: str,
    draw: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
    n_train: int,
    n_test: int,
    random_state: int,
    *,
    betti: dict[int, tuple[int, ...]],
    description: str,
    params: dict[str, float],
) -> Dataset:
    train_seq, test_seq = np.random.SeedSequence(random_state).spawn(2)
    X_train, y_train = draw(np.random.default_rng(train_seq), n_train)
    X_test, y_test = draw(np.random.default_rng(test_seq), n_test)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return Dataset(
        name=name,
        X_train=((X_train - mean) / std).astype(np.float32),
        y_train=y_train.astype(np.int64),
        X_test=((X_test - mean) / std).astype(np.float32),
        y_test=y_test.astype(np.int64),
        betti=betti,
        description=description,
        params=params,
    )


def _balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    y = np.arange(n) % 2
    rng.shuffle(y)
    return y


def _unit_sphere(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    X = rng.standard_normal((n, dim))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _sphere_betti(dim: int) -> dict[int, tuple[int, ...]]:
    betti = [1] + [0] * (dim - 1)
    betti[dim - 1] += 1
    return {0: tuple(betti), 1: tuple(betti)}


def _random_rotation(rng: np.random.Generator, dim: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((dim, dim)))
    return Q * np.sign(np.diag(R))
