"""Check a topology configuration against clouds whose Betti numbers are known.

``recovery_rates`` draws many instances of each *family* and reports how often the significant Betti
numbers (b0, b1) equal the true ones. Every instance is fixed by its family and index, so a rate is
reproducible. Families (``FAMILIES``):

* the shapes of ``layertopo.data.shapes.SHAPES`` (circle, 2-sphere, flat torus, figure eight, three
  clusters, S^(d-1) for d = 3, 8, 12): instance ``i`` has ``300 + 7 i mod 701`` points (300-1000),
  Gaussian noise of ``5 % * (i mod 5) / 4`` of the radius (0-5 %), and lives in an ambient dimension
  cycling through {native, 8, 16, 32, 64};
* ``blobs_d{2,12,64,256}``: 2-5 Gaussian blobs (``i mod 4 + 2``) of equal sizes or sizes falling
  9:1 (alternating every four instances), nearest centres ``s`` standard deviations apart, ``s`` spread
  evenly over [``resolvable_separation(d)``, 30];
* ``gaussian_d*`` and ``ball_d*``: one standard Gaussian, one uniform ball: a single component that
  must not be split.

The shapes are checked on (b0, b1); the blob, Gaussian and ball families test the H0 rule and are checked
on b0 alone (their H1 false positive rate is measured by ``h1_trial``, on landmarks as the pipeline takes
them; H1 of 500 nearly equidistant points in R^256 takes a minute, and tells nothing more).

Blobs closer than ``resolvable_separation(d) = max(4, 5 d^(1/4))`` standard deviations are one
component of the Rips filtration at every scale (the closest pair of points of two blobs is nearer than
the longest edge inside a blob), so no rule on the diagrams can count them; ``separation_curve``
measures how recovery falls below that limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from layertopo.config import TopologyConfig
from layertopo.data.shapes import SHAPES, gaussian, gaussian_blobs, noisy_embedded, uniform_ball
from layertopo.topology.diagrams import diagrams_for_config
from layertopo.topology.significance import significant_features

AMBIENT_DIMS = (8, 16, 32, 64)
BLOB_DIMS = (2, 12, 64, 256)
MAX_SEPARATION = 30.0
GOLDEN = 0.6180339887498949

Instance = tuple[np.ndarray, tuple[int, ...]]


@dataclass(frozen=True)
class Family:
    """A family of clouds of known topology: ``draw(i)`` is instance ``i`` and its Betti numbers."""

    name: str
    kind: str
    draw: Callable[[int], Instance]
    maxdim: int = 1


def resolvable_separation(dim: int) -> float:
    """Smallest distance between Gaussian blob centres, in standard deviations, that distances resolve in R^dim."""
    return max(4.0, 5.0 * dim**0.25)


def instance_parameters(shape: str, i: int) -> dict[str, float | int]:
    """Size, noise and ambient dimension of instance ``i`` of a shape of ``SHAPES``."""
    native = SHAPES[shape](2, np.random.default_rng(0))[0].shape[1]
    dims = (native, *[d for d in AMBIENT_DIMS if d > native])
    return {"n": 300 + (7 * i) % 701, "noise": 0.05 * (i % 5) / 4, "ambient_dim": dims[i % len(dims)]}


def blob_parameters(dim: int, i: int, separation: float | None = None) -> dict[str, float | int]:
    """Size, number of blobs, size ratio and separation of instance ``i`` of ``blobs_d{dim}``."""
    low = resolvable_separation(dim)
    return {
        "n": 300 + (7 * i) % 701,
        "n_blobs": 2 + i % 4,
        "size_ratio": 1.0 if (i // 4) % 2 == 0 else 9.0,
        "separation": separation if separation is not None else low + (MAX_SEPARATION - low) * ((i * GOLDEN) % 1),
    }


def _shape_family(shape: str) -> Family:
    def draw(i: int) -> Instance:
        params = instance_parameters(shape, i)
        return noisy_embedded(
            shape,
            int(params["n"]),
            noise=float(params["noise"]),
            ambient_dim=int(params["ambient_dim"]),
            random_state=10_000 + i,
        )

    return Family(shape, "shape", draw)


def _blob_family(dim: int) -> Family:
    def draw(i: int) -> Instance:
        params = blob_parameters(dim, i)
        n, n_blobs = int(params.pop("n")), int(params.pop("n_blobs"))
        return gaussian_blobs(n, np.random.default_rng(20_000 + 1000 * dim + i), dim, n_blobs=n_blobs, **params)

    return Family(f"blobs_d{dim}", "blobs", draw, maxdim=0)


def _single_family(kind: str, dim: int) -> Family:
    generator = gaussian if kind == "gaussian" else uniform_ball
    offset = 30_000 if kind == "gaussian" else 40_000

    def draw(i: int) -> Instance:
        return generator(300 + (7 * i) % 701, np.random.default_rng(offset + 1000 * dim + i), dim)

    return Family(f"{kind}_d{dim}", kind, draw, maxdim=0)


FAMILIES: dict[str, Family] = {
    **{shape: _shape_family(shape) for shape in SHAPES},
    **{f"blobs_d{d}": _blob_family(d) for d in BLOB_DIMS},
    **{f"gaussian_d{d}": _single_family("gaussian", d) for d in BLOB_DIMS},
    **{f"ball_d{d}": _single_family("ball", d) for d in BLOB_DIMS},
}


def found_betti(X: np.ndarray, config: TopologyConfig, random_state: int = 0) -> tuple[int, ...]:
    """Significant Betti numbers (b0..b_maxdim) of ``X`` with ``config``, as the pipeline computes them."""
    result = diagrams_for_config(X, config, random_state=random_state)
    significance = significant_features(
        result.points, result.dgms, config.significance, metric=result.metric, knn_k=result.knn_k
    )
    return significance.betti


def trial(family: str, i: int, config: TopologyConfig) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(found, true) significant Betti numbers (b0..b_maxdim) of instance ``i`` of ``family``; ``maxdim`` is
    the lower of the family's and ``config``'s."""
    chosen = FAMILIES[family]
    X, betti = chosen.draw(i)
    maxdim = min(config.maxdim, chosen.maxdim)
    true = tuple((list(betti) + [0] * 3)[: maxdim + 1])
    return found_betti(X, config.model_copy(update={"maxdim": maxdim}), random_state=i), true


def recovery_rates(
    families: list[str] | None = None,
    n_instances: int = 100,
    config: TopologyConfig | None = None,
    *,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Fraction of instances of each family whose significant Betti numbers equal the true ones.

    Parameters
    ----------
    families : names from ``FAMILIES`` (default: all)
    n_instances : instances 0 .. n_instances - 1 of each family
    config : TopologyConfig (default: ``TopologyConfig()``, the pipeline's settings)
    n_jobs : worker processes (``layertopo.parallel``; -1: every core); None or 1 runs in this process
    """
    outcomes = run_trials(families or list(FAMILIES), n_instances, config or TopologyConfig(), n_jobs=n_jobs)
    return {family: float(np.mean([found == true for found, true in results])) for family, results in outcomes.items()}


def run_trials(
    families: list[str], n_instances: int, config: TopologyConfig, *, n_jobs: int | None = None
) -> dict[str, list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """``trial`` for every family and instance: family -> [(found, true), ...] in instance order."""
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {sorted(FAMILIES)}")
    tasks = [(family, i) for family in families for i in range(n_instances)]
    from layertopo.parallel import Done, get_executor

    with get_executor(n_jobs) as executor:
        done = executor.map(trial, [(family, i, config) for family, i in tasks])
    lost = [task for task, outcome in zip(tasks, done, strict=True) if not isinstance(outcome, Done)]
    if lost:
        raise RuntimeError(f"the workers running the trials {lost[:5]} ended without a result")
    results = [outcome.value for outcome in done]
    outcomes: dict[str, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {family: [] for family in families}
    for (family, _), result in zip(tasks, results, strict=True):
        outcomes[family].append(result)
    return outcomes


def separation_curve(
    dim: int, separations: list[float], n_instances: int = 20, config: TopologyConfig | None = None
) -> dict[float, float]:
    """b0 recovery rate of ``blobs_d{dim}`` instances at each fixed separation (in standard deviations)."""
    config = (config or TopologyConfig()).model_copy(update={"maxdim": 0})
    rates = {}
    for separation in separations:
        hits = []
        for i in range(n_instances):
            params = blob_parameters(dim, i, separation)
            n, n_blobs = int(params.pop("n")), int(params.pop("n_blobs"))
            X, betti = gaussian_blobs(n, np.random.default_rng(50_000 + i), dim, n_blobs=n_blobs, **params)
            hits.append(found_betti(X, config, random_state=i)[0] == betti[0])
        rates[separation] = float(np.mean(hits))
    return rates


# --- H1: false and true positive rates on landmark-subsampled clouds ------------------------------------

H1_DIMS = (12, 64)


def _h1_cloud(kind: str, dim: int, i: int) -> Instance:
    """Instance ``i`` of an H1 family: 1000-2000 points, before the pipeline's landmark subsampling."""
    n = 1000 + (37 * i) % 1001
    rng = np.random.default_rng(60_000 + 1000 * dim + i)
    if kind == "gaussian":
        return gaussian(n, rng, dim)[0], (1, 0)
    if kind == "ball":
        return uniform_ball(n, rng, dim)[0], (1, 0)
    shape = {"sphere11": "sphere_d12", "circle": "circle", "torus": "torus"}[kind]
    noise = 0.0 if kind == "sphere11" else 0.05 * (i % 5) / 4
    return noisy_embedded(shape, n, noise=noise, ambient_dim=dim, random_state=int(rng.integers(2**31)))


#: name -> (draw(i), has loops): null clouds without H1, and noisy circles (b1 = 1) and flat tori (b1 = 2)
H1_FAMILIES: dict[str, tuple[Callable[[int], Instance], bool]] = {
    f"{kind}_d{dim}": ((lambda i, kind=kind, dim=dim: _h1_cloud(kind, dim, i)), kind in ("circle", "torus"))
    for kind in ("gaussian", "ball", "sphere11", "circle", "torus")
    for dim in H1_DIMS
}


def h1_trial(family: str, i: int, config: TopologyConfig) -> tuple[int, int]:
    """(found, true) significant b1 of instance ``i`` of an H1 family, subsampled as ``config`` says."""
    draw, _ = H1_FAMILIES[family]
    X, betti = draw(i)
    return found_betti(X, config.model_copy(update={"maxdim": 1}), random_state=i)[1], betti[1]
