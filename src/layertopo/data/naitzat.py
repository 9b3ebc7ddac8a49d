"""The three datasets of Naitzat, Zhitnikov & Lim, "Topology of Deep Neural Networks" (JMLR 2020).

Each dataset is nine copies ("units") of a small two-class configuration, laid out on a 3 x 3 grid
so that units never touch. Class a is label 0, class b label 1. Every parameter is a module constant
below; the defaults of each generator are the sizes ``configs/naitzat.yaml`` uses, chosen so that the
paper's k-nearest-neighbour method (``layertopo.topology.fixed_scale``) with k = 14 at a scale of 3
hops recovers the true Betti numbers of every class (``benchmarks/naitzat_inputs.py`` prints the
recovery rate over seeds for several k and scales; the paper's 2 hops recovers D-II only).

* **D-I** (R^2): nine disks of radius ``D1_DISK_RADIUS`` (class a, Betti (9, 0)) inside the square
  [-1, 1]^2 from which nine larger disks of radius ``D1_HOLE_RADIUS`` are removed (class b, the square
  with nine holes, Betti (1, 9)). The gap between the classes is ``D1_HOLE_RADIUS - D1_DISK_RADIUS``.
* **D-II** (R^3): nine pairs of linked solid tori. In each unit, the class-a torus lies in the
  xy-plane around the unit's centre and the class-b torus in the xz-plane around the point one major
  radius along x, so each core circle passes through the other's centre (a Hopf link). Major radius
  ``D2_MAJOR_RADIUS``, tube radius ``D2_TUBE_RADIUS``; the cores are one major radius apart, so the
  tubes are separated by ``D2_MAJOR_RADIUS - 2 * D2_TUBE_RADIUS``. Betti (9, 9, 0) for each class.
* **D-III** (R^3): nine units of three nested thick spherical shells around a common centre:
  class b outermost (radii ``D3_OUTER``) and innermost (``D3_INNER``), class a in between
  (``D3_MIDDLE``). Class a is nine shells, Betti (9, 0, 9); class b eighteen, Betti (18, 0, 18).

Points are uniform in the area or volume of each part (rejection sampling), with the same number of
points in every part of a class (``n_per_part``), so each part is equally dense in the k-NN graph
whatever its size. Unlike ``layertopo.data.synthetic``, coordinates are not standardised: the
layouts are already centred and of unit order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from layertopo.data.synthetic import Dataset

#: Centres of the nine units of D-I, a 3 x 3 grid in the square [-1, 1]^2.
D1_CENTRES = np.array([(x, y) for y in (-2 / 3, 0.0, 2 / 3) for x in (-2 / 3, 0.0, 2 / 3)])
D1_DISK_RADIUS = 0.12
D1_HOLE_RADIUS = 0.2

#: Centres of the nine units of D-II and D-III, a 3 x 3 grid in the plane z = 0.
D2_SPACING = (4.0, 3.5)
D2_MAJOR_RADIUS = 1.0
D2_TUBE_RADIUS = 0.25
D3_SPACING = 3.6
D3_INNER = (0.25, 0.4)
D3_MIDDLE = (0.7, 0.9)
D3_OUTER = (1.2, 1.4)

NAITZAT_BETTI: dict[str, dict[int, tuple[int, ...]]] = {
    "D-I": {0: (9, 0), 1: (1, 9)},
    "D-II": {0: (9, 9, 0), 1: (9, 9, 0)},
    "D-III": {0: (9, 0, 9), 1: (18, 0, 18)},
}


def naitzat_d1(n_per_part: tuple[int, int] = (200, 3000), *, random_state: int = 0) -> Dataset:
    """D-I: nine disks (class a) inside a square with nine holes (class b), in R^2.

    Parameters
    ----------
    n_per_part : points in each disk of class a, and in the whole holed square of class b
    random_state : seed; the train and test draws use independent streams

    Returns
    -------
    Dataset with X of shape (9 * n_per_part[0] + n_per_part[1], 2)
    """

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        disks = np.vstack([c + _in_ball(rng, n_per_part[0], 2, 0.0, D1_DISK_RADIUS) for c in D1_CENTRES])
        holed = _rejection(rng, n_per_part[1], lambda m: rng.uniform(-1.0, 1.0, (m, 2)), _outside_holes)
        return _labelled(disks, holed)

    return _build(
        "D-I",
        draw,
        random_state,
        description=(
            f"nine disks of radius {D1_DISK_RADIUS} (class a) in the square [-1, 1]^2 with nine holes of radius "
            f"{D1_HOLE_RADIUS} (class b); {n_per_part[0]} points per disk, {n_per_part[1]} in the holed square"
        ),
        params={
            "disk_radius": D1_DISK_RADIUS,
            "hole_radius": D1_HOLE_RADIUS,
            "n_a": n_per_part[0],
            "n_b": n_per_part[1],
        },
    )


def naitzat_d2(n_per_part: int = 400, *, random_state: int = 0) -> Dataset:
    """D-II: nine pairs of linked solid tori in R^3, one torus of each pair per class.

    Parameters
    ----------
    n_per_part : points in each solid torus
    random_state : seed; the train and test draws use independent streams

    Returns
    -------
    Dataset with X of shape (18 * n_per_part, 3)
    """
    centres = _grid3(D2_SPACING)

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        a = [c + _solid_torus(rng, n_per_part) for c in centres]
        shift = np.array([D2_MAJOR_RADIUS, 0.0, 0.0])
        b = [c + shift + _solid_torus(rng, n_per_part)[:, [0, 2, 1]] for c in centres]
        return _labelled(np.vstack(a), np.vstack(b))

    return _build(
        "D-II",
        draw,
        random_state,
        description=(
            f"nine pairs of linked solid tori (major radius {D2_MAJOR_RADIUS}, tube radius {D2_TUBE_RADIUS}) in R^3; "
            f"{n_per_part} points per torus"
        ),
        params={"major_radius": D2_MAJOR_RADIUS, "tube_radius": D2_TUBE_RADIUS, "n_per_part": n_per_part},
    )


def naitzat_d3(n_per_part: int = 400, *, random_state: int = 0) -> Dataset:
    """D-III: nine units of three nested thick spheres in R^3 (class b, class a, class b from outside in).

    Parameters
    ----------
    n_per_part : points in each shell
    random_state : seed; the train and test draws use independent streams

    Returns
    -------
    Dataset with X of shape (27 * n_per_part, 3)
    """
    centres = _grid3((D3_SPACING, D3_SPACING))

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        a = [c + _in_ball(rng, n_per_part, 3, *D3_MIDDLE) for c in centres]
        b = [c + _in_ball(rng, n_per_part, 3, *radii) for c in centres for radii in (D3_OUTER, D3_INNER)]
        return _labelled(np.vstack(a), np.vstack(b))

    return _build(
        "D-III",
        draw,
        random_state,
        description=(
            f"nine units of nested thick spheres in R^3: class b radii {list(D3_OUTER)} and {list(D3_INNER)}, "
            f"class a radii {list(D3_MIDDLE)}; {n_per_part} points per shell"
        ),
        params={"n_per_part": n_per_part},
    )


NAITZAT_DATASETS: dict[str, Callable[..., Dataset]] = {"D-I": naitzat_d1, "D-II": naitzat_d2, "D-III": naitzat_d3}


def _build(
    name: str,
    draw: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
    random_state: int,
    *,
    description: str,
    params: dict[str, float],
) -> Dataset:
    train_seq, test_seq = np.random.SeedSequence(random_state).spawn(2)
    X_train, y_train = draw(np.random.default_rng(train_seq))
    X_test, y_test = draw(np.random.default_rng(test_seq))
    return Dataset(
        name=name,
        X_train=X_train.astype(np.float32),
        y_train=y_train,
        X_test=X_test.astype(np.float32),
        y_test=y_test,
        betti=NAITZAT_BETTI[name],
        description=description,
        params=params,
    )


def _labelled(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([a, b]), np.r_[np.zeros(len(a), np.int64), np.ones(len(b), np.int64)]


def _in_ball(rng: np.random.Generator, n: int, dim: int, r_min: float, r_max: float) -> np.ndarray:
    """Uniform in the shell r_min <= |x| <= r_max of R^dim (a ball when r_min = 0); shape (n, dim)."""
    directions = rng.standard_normal((n, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = rng.uniform(r_min**dim, r_max**dim, n) ** (1 / dim)
    return directions * radii[:, None]


def _outside_holes(P: np.ndarray) -> np.ndarray:
    distance = np.linalg.norm(P[:, None, :] - D1_CENTRES[None], axis=2).min(axis=1)
    return distance > D1_HOLE_RADIUS


def _solid_torus(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform in the solid torus around the unit circle of the xy-plane (radius D2_MAJOR_RADIUS); (n, 3)."""
    R, r = D2_MAJOR_RADIUS, D2_TUBE_RADIUS

    def inside(P: np.ndarray) -> np.ndarray:
        return (np.hypot(P[:, 0], P[:, 1]) - R) ** 2 + P[:, 2] ** 2 <= r**2

    box = np.array([R + r, R + r, r])
    return _rejection(rng, n, lambda m: rng.uniform(-box, box, (m, 3)), inside)


def _rejection(
    rng: np.random.Generator,
    n: int,
    propose: Callable[[int], np.ndarray],
    accept: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:
        P = propose(4 * n)
        kept.append(P[accept(P)])
    return np.vstack(kept)[:n]


def _grid3(spacing: tuple[float, float]) -> np.ndarray:
    return np.array([(i * spacing[0], j * spacing[1], 0.0) for j in (-1, 0, 1) for i in (-1, 0, 1)])
