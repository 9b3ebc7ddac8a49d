"""Check a topology configuration against shapes whose Betti numbers are known.

``recovery_rates`` draws many noisy, randomly rotated instances of each shape of
``layertopo.data.shapes`` and reports how often the significant Betti numbers (b0, b1) equal the
true ones. Instance ``i`` has ``300 + 7 i mod 701`` points (300-1000), Gaussian noise of
``5 % * (i mod 5) / 4`` of the radius (0-5 %), and lives in an ambient dimension cycling through
{native, 8, 16, 32, 64}. The seeds are fixed, so a rate is reproducible.
"""

from __future__ import annotations

import numpy as np

from layertopo.config import TopologyConfig
from layertopo.data.shapes import SHAPES, noisy_embedded
from layertopo.topology.diagrams import persistence_diagrams
from layertopo.topology.significance import significant_features

AMBIENT_DIMS = (8, 16, 32, 64)


def instance_parameters(shape: str, i: int) -> dict[str, float | int]:
    """Size, noise and ambient dimension of instance ``i`` of ``shape``."""
    native = SHAPES[shape](2, np.random.default_rng(0))[0].shape[1]
    dims = (native, *[d for d in AMBIENT_DIMS if d > native])
    return {"n": 300 + (7 * i) % 701, "noise": 0.05 * (i % 5) / 4, "ambient_dim": dims[i % len(dims)]}


def trial(shape: str, i: int, config: TopologyConfig) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(found, true) significant Betti numbers (b0..b_maxdim) of instance ``i`` of ``shape``."""
    params = instance_parameters(shape, i)
    X, betti = noisy_embedded(
        shape,
        int(params["n"]),
        noise=float(params["noise"]),
        ambient_dim=int(params["ambient_dim"]),
        random_state=10_000 + i,
    )
    result = persistence_diagrams(
        X,
        maxdim=config.maxdim,
        engine=config.engine,
        max_points=config.max_points,
        subsample=config.subsample,
        random_state=i,
    )
    found = significant_features(result.points, result.dgms, config.significance).betti
    true = tuple((list(betti) + [0] * 3)[: config.maxdim + 1])
    return found, true


def recovery_rates(
    shapes: list[str] | None = None, n_instances: int = 100, config: TopologyConfig | None = None, *, n_jobs: int = 1
) -> dict[str, float]:
    """Fraction of instances of each shape whose significant Betti numbers equal the true ones."""
    from joblib import Parallel, delayed

    config = config or TopologyConfig(max_points=400)
    shapes = shapes or list(SHAPES)
    tasks = [(shape, i) for shape in shapes for i in range(n_instances)]
    results = Parallel(n_jobs=n_jobs)(delayed(trial)(shape, i, config) for shape, i in tasks)
    rates: dict[str, float] = {}
    for shape in shapes:
        hits = [found == true for (s, _), (found, true) in zip(tasks, results, strict=True) if s == shape]
        rates[shape] = float(np.mean(hits))
    return rates
