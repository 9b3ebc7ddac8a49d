"""Which diagrams to compare, and the distance table rows for one (model, seed).

Three comparisons, each on the clouds of all labels together and for every homology dimension:

* ``layer_to_next`` and ``layer_to_input``: how each layer transforms the shape of the data at an epoch;
* ``train_test``: the train and test clouds at the same layer and epoch;
* ``epoch_to_next``: one layer's cloud at consecutive snapshot epochs;
* ``noise_floor`` (``noise_floor_rows``, H0 only): two random halves of the same training cloud, so that a
  distance can be read against what sampling alone gives.

Each diagram is divided by its cloud's RMS radius first, so layers of different scale compare their
shapes, not their sizes. Distances: bottleneck (exact for H0; for H1 exact when a matching exists at a lower
bound of the distance, 91 % of the default experiment's H1 rows, else an upper bound within ``BOTTLENECK_RTOL``
= 0.1 % of the distance, from a bisection with a matching test; each row records its own absolute bound in
``bottleneck_tolerance``, 0 where exact: the distance lies in ``[bottleneck - bottleneck_tolerance,
bottleneck]``) and, for
the dimensions in ``WASSERSTEIN_DIMS`` (H0), 1-Wasserstein (L-infinity ground metric, exact); other rows
hold NaN.

Why no H1 Wasserstein: the H1 diagrams of activation clouds hold 300-960 bars, and in the default
experiment none of them is a significant loop. Their 1-Wasserstein distance is a sum over those noise bars
(it grows with their number, i.e. with sampling), and it was 85 % of the distance stage's time (hera, about
75 ms a pair against 17 ms for the bottleneck). The bottleneck distance reads the largest single change,
the one a real loop would make. ``comparison_rows(..., wasserstein_dims=(0, 1))`` computes both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from layertopo.topology.diagrams import persistence_diagrams
from layertopo.topology.distances import bottleneck_within, wasserstein_distances
from layertopo.topology.summaries import rms_radius

#: relative error allowed to the bottleneck distances of H1 (and other not-common-birth) diagrams; each row
#: records its own absolute bound in ``bottleneck_tolerance`` (0 where exact, as for every H0 row)
BOTTLENECK_RTOL = 1e-3

#: homology dimensions whose rows get the 1-Wasserstein distance (see the module docstring)
WASSERSTEIN_DIMS = (0,)

#: key of one diagram: (epoch, layer, split, dim)
DiagramKey = tuple[int, str, str, int]


def comparison_rows(
    diagrams: dict[DiagramKey, np.ndarray],
    scales: dict[tuple[int, str, str], float],
    layer_order: list[str],
    *,
    wasserstein_dims: tuple[int, ...] = WASSERSTEIN_DIMS,
) -> list[dict[str, Any]]:
    """Distance rows between the normalised diagrams of one (model, seed).

    Parameters
    ----------
    diagrams : (epoch, layer, split, dim) -> ndarray of shape (k, 2), the label-``all`` diagrams
    scales : (epoch, layer, split) -> RMS radius of the cloud (diagrams are divided by it; 0 keeps them as is)
    layer_order : layers from input to output
    wasserstein_dims : dimensions whose rows get the 1-Wasserstein distance (NaN in the others)
    """
    rows, scaled = [], []
    for kind, a, b in _pairs(diagrams, layer_order):
        if a not in diagrams or b not in diagrams:
            continue
        da, db = _normalised(diagrams[a], scales.get(a[:3], 0.0)), _normalised(diagrams[b], scales.get(b[:3], 0.0))
        scaled.append((da, db))
        rows.append(
            {
                "kind": kind,
                "dim": a[3],
                "epoch": a[0],
                "layer": a[1],
                "split": a[2],
                "other_epoch": b[0],
                "other_layer": b[1],
                "other_split": b[2],
                **_bottleneck(da, db),
                "wasserstein": np.nan,
            }
        )
    wanted = [k for k, row in enumerate(rows) if row["dim"] in wasserstein_dims]
    for k, value in zip(wanted, wasserstein_distances([scaled[k] for k in wanted]), strict=True):
        rows[k]["wasserstein"] = float(value)
    return rows


def _pairs(
    diagrams: dict[DiagramKey, np.ndarray], layer_order: list[str]
) -> Iterator[tuple[str, DiagramKey, DiagramKey]]:
    epochs = sorted({k[0] for k in diagrams})
    splits = sorted({k[2] for k in diagrams})
    dims = sorted({k[3] for k in diagrams})
    layers = [layer for layer in layer_order if any(k[1] == layer for k in diagrams)]
    for epoch in epochs:
        for split in splits:
            for dim in dims:
                for prev, layer in zip(layers, layers[1:], strict=False):
                    yield "layer_to_next", (epoch, prev, split, dim), (epoch, layer, split, dim)
                for layer in layers[1:]:
                    yield "layer_to_input", (epoch, layer, split, dim), (epoch, layers[0], split, dim)
        for layer in layers:
            for dim in dims:
                yield "train_test", (epoch, layer, "train", dim), (epoch, layer, "test", dim)
    for prev, epoch in zip(epochs, epochs[1:], strict=False):
        for layer in layers:
            for split in splits:
                for dim in dims:
                    yield "epoch_to_next", (prev, layer, split, dim), (epoch, layer, split, dim)


def _bottleneck(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    value, error = bottleneck_within(a, b, rtol=BOTTLENECK_RTOL)
    return {"bottleneck": value, "bottleneck_tolerance": error}


def _normalised(dgm: np.ndarray, scale: float) -> np.ndarray:
    return dgm / scale if scale > 0 else dgm


def noise_floor_rows(
    clouds: dict[tuple[int, str], np.ndarray],
    labels: np.ndarray,
    *,
    max_points: int | None,
    random_state: int = 0,
) -> list[dict[str, Any]]:
    """Distances between the H0 diagrams of two random halves of each cloud: the sampling noise floor.

    Two halves of the same cloud differ only by which points were drawn. A distance between two clouds of the
    same size (the training set's halves are as large as the test set) that does not exceed this floor
    says nothing about the network. Each half is split by class in equal shares (seeded), subsampled as the
    pipeline subsamples a cloud (``max_points`` landmarks per class share) and its diagram scaled by its own
    RMS radius.

    Parameters
    ----------
    clouds : (epoch, layer) -> ndarray of shape (n, features), the training cloud
    labels : ndarray of shape (n,), the class of each point
    max_points : landmarks per half (None: every point)

    Returns
    -------
    list of dict: distance rows of kind ``noise_floor`` (dim 0, split and other_split ``train``)
    """
    rows, scaled = [], []
    first, second = _halves(labels, random_state)
    for (epoch, layer), X in clouds.items():
        halves = [
            persistence_diagrams(X[part], maxdim=0, max_points=max_points, labels=labels[part], random_state=0)
            for part in (first, second)
        ]
        da, db = (_normalised(h.dgms[0], rms_radius(h.points)) for h in halves)
        scaled.append((da, db))
        rows.append(
            {
                "kind": "noise_floor",
                "dim": 0,
                "epoch": epoch,
                "layer": layer,
                "split": "train",
                "other_epoch": epoch,
                "other_layer": layer,
                "other_split": "train",
                **_bottleneck(da, db),
            }
        )
    for row, value in zip(rows, wasserstein_distances(scaled), strict=True):
        row["wasserstein"] = float(value)
    return rows


def _halves(labels: np.ndarray, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the points, each with half of every class."""
    rng = np.random.default_rng(random_state)
    first, second = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        first.append(members[: len(members) // 2])
        second.append(members[len(members) // 2 : 2 * (len(members) // 2)])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))
