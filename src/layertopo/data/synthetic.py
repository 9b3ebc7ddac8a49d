"""Seeded generators of two-class datasets whose true topology is known.

Every generator draws its train, test and validation sets from independent random streams
(``numpy.random.SeedSequence(seed).spawn(3)``: adding a validation set leaves the train and test draws
unchanged), balances the classes, and standardises every set with the *training* mean and standard
deviation only. ``make_dataset`` builds one from a validated data configuration
(``layertopo.config.DATA_KINDS``), and ``best_accuracy`` gives its Bayes accuracy and the ceiling of a
classifier that sees a rank-k projection of it (``layertopo.data.bayes``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from layertopo.data.bayes import (
    Accuracy,
    isotropic_accuracy,
    log_circle_density,
    log_sphere_density,
    monte_carlo_accuracy,
)

if TYPE_CHECKING:
    from layertopo.config import ConcentricSpheresData, IntersectingSpheresData, LinkedCirclesData, ShellsData

    DataSpec = ShellsData | ConcentricSpheresData | IntersectingSpheresData | LinkedCirclesData


@dataclass(frozen=True)
class Dataset:
    """A train/test draw of a two-class dataset.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, dim), float32, standardised
    y_train : ndarray of shape (n_train,), int64 class labels
    X_test, y_test : the same for the test draw (standardised with training statistics)
    X_val, y_val : the same for the validation draw (empty arrays when none was asked for)
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
    X_val: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.float32))
    y_val: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    raw_train: np.ndarray = field(default=None, repr=False)  # before standardisation (for Monte Carlo)

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
    n_val: int = 0,
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
        (n_train, n_test, n_val),
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
    n_val: int = 0,
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
        (n_train, n_test, n_val),
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
    n_val: int = 0,
    inner: tuple[float, float] = (0.95, 1.05),
    outer: tuple[float, float] = (1.25, 1.35),
    halo: float = 0.06,
    noise: float = 0.0,
    random_state: int = 0,
) -> Dataset:
    """Two thick concentric shells, each with a faint halo that reaches across to the other.

    The radius of a class-0 point is uniform in ``inner``, that of a class-1 point in ``outer``, except for
    a share ``halo`` of each class whose radius is uniform over the whole span (from the lowest to the highest
    radius of both shells). The direction is uniform. Between the shells the two classes are equally likely,
    so the classes overlap a little: the Bayes accuracy is ``1 - halo / 2`` for disjoint shells (0.97 by
    default; ``layertopo.data.bayes``). Each class is homotopy equivalent to S^(dim-1).
    """
    span = (min(inner[0], outer[0]), max(inner[1], outer[1]))

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, rng)
        low = np.where(y == 0, inner[0], outer[0])
        high = np.where(y == 0, inner[1], outer[1])
        in_halo = rng.random(n) < halo
        radius = np.where(in_halo, rng.uniform(*span, n), rng.uniform(low, high))
        X = _unit_sphere(rng, n, dim) * radius[:, None]
        return X + noise * rng.standard_normal(X.shape), y

    return _build(
        "shells",
        draw,
        (n_train, n_test, n_val),
        random_state,
        betti=_sphere_betti(dim),
        description=(
            f"two thick shells in R^{dim}, radii U{list(inner)} and U{list(outer)}, {halo:.0%} of each class "
            f"spread over U{list(span)}"
        ),
        params={
            "inner_low": inner[0],
            "inner_high": inner[1],
            "outer_low": outer[0],
            "outer_high": outer[1],
            "halo": halo,
            "noise": noise,
        },  # fmt: skip
    )


def shell_radius_laws(
    inner: tuple[float, float], outer: tuple[float, float], halo: float
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """The radius law of each class of ``shells``: mixtures [(weight, low, high), ...] of uniform laws."""
    span = (min(inner[0], outer[0]), max(inner[1], outer[1]))
    return [(1 - halo, *inner), (halo, *span)], [(1 - halo, *outer), (halo, *span)]


def linked_circles(
    n_train: int = 2000,
    n_test: int = 1000,
    dim: int = 12,
    *,
    n_val: int = 0,
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
        (n_train, n_test, n_val),
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


def make_dataset(data: str | DataSpec = "shells", **fields: Any) -> Dataset:
    """Draw a dataset from a data configuration, or from a kind and its fields.

    Parameters
    ----------
    data : a ``layertopo.config`` data configuration (``ShellsData``, ...), or a kind name
        (``"shells"``, ``"concentric_spheres"``, ``"intersecting_spheres"``, ``"linked_circles"``)
    fields : with a kind name: its configuration fields (``n_train``, ``dim``, ``inner``, ``seed``, ...),
        validated like a config file

    Examples
    --------
    >>> make_dataset("shells", n_train=400, n_test=200, inner=(1.0, 1.3), outer=(1.28, 1.58))  # doctest: +SKIP
    """
    from layertopo.config import DATA_KINDS

    if isinstance(data, str):
        if data not in DATA_KINDS:
            raise ValueError(f"unknown dataset {data!r}; choose one of {sorted(DATA_KINDS)}")
        data = DATA_KINDS[data](**fields)
    elif fields:
        raise TypeError("give either a data configuration or a kind name with its fields, not both")
    params = data.model_dump(exclude={"kind", "dim", "n_train", "n_test", "n_val", "seed"})
    return DATASETS[data.kind](data.n_train, data.n_test, data.dim, n_val=data.n_val, random_state=data.seed, **params)


def best_accuracy(data: DataSpec, k: int | None = None) -> Accuracy | None:
    """The Bayes accuracy of ``data`` or, with ``k``, the best accuracy on a rank-k projection of it.

    Returns
    -------
    Accuracy (value, error, method), or None where it is not computed (a rank-k ceiling of a dataset
    that is not isotropic).
    """
    if data.kind in ("shells", "concentric_spheres"):
        if data.kind == "shells":
            laws = shell_radius_laws(data.inner, data.outer, data.halo)
        else:
            laws = tuple([(1.0, r, r)] for r in data.radii)
        return isotropic_accuracy(laws, data.dim, data.noise, k)
    if k is not None and k < data.dim:
        return None
    if data.noise == 0:  # spheres crossing in a (d-2)-sphere, or circles meeting nowhere: a null set
        return Accuracy(1.0, 0.0, "exact")
    return monte_carlo_accuracy(*_densities(data))


def _densities(data: DataSpec) -> tuple[Callable, Callable]:
    """(log densities, sampler) of the two classes of a non-isotropic dataset, before standardisation."""
    generator = DATASETS[data.kind]
    params = data.model_dump(exclude={"kind", "dim", "n_train", "n_test", "n_val", "seed"})

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        draw = generator(n, 4, data.dim, random_state=int(rng.integers(2**31)), **params)
        return draw.raw_train

    if data.kind == "intersecting_spheres":
        centres = np.zeros((2, data.dim))
        centres[1, 0] = data.offset

        def logs(X: np.ndarray) -> np.ndarray:
            return np.column_stack([log_sphere_density(X, centres[c], data.radii[c], data.noise) for c in (0, 1)])

        return logs, sample
    rotation = _random_rotation(np.random.default_rng(data.seed + 7919), data.dim)
    t = np.linspace(0, 2 * np.pi, 512, endpoint=False)
    circles = [np.c_[np.cos(t), np.sin(t), np.zeros_like(t)], np.c_[1 + np.cos(t), np.zeros_like(t), np.sin(t)]]
    embedded = [np.pad(circle, ((0, 0), (0, data.dim - 3))) @ rotation.T for circle in circles]

    def circle_logs(X: np.ndarray) -> np.ndarray:
        return np.column_stack([log_circle_density(X, circle, data.noise) for circle in embedded])

    return circle_logs, sample


def _build(
    name: str,
    draw: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
    sizes: tuple[int, int, int],
    random_state: int,
    *,
    betti: dict[int, tuple[int, ...]],
    description: str,
    params: dict[str, float],
) -> Dataset:
    streams = np.random.SeedSequence(random_state).spawn(3)
    (X_train, y_train), (X_test, y_test), (X_val, y_val) = (
        draw(np.random.default_rng(stream), n) for stream, n in zip(streams, sizes, strict=True)
    )
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def standardise(X: np.ndarray) -> np.ndarray:
        return ((X - mean) / std).astype(np.float32)

    return Dataset(
        name=name,
        X_train=standardise(X_train),
        y_train=y_train.astype(np.int64),
        X_test=standardise(X_test),
        y_test=y_test.astype(np.int64),
        betti=betti,
        description=description,
        params=params,
        X_val=standardise(X_val.reshape(len(X_val), X_train.shape[1])),
        y_val=y_val.astype(np.int64),
        raw_train=X_train,
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
