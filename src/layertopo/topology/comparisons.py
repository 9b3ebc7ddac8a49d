"""Which diagrams to compare, and the distance table rows for one (model, seed).

Three comparisons, each on the clouds of all labels together and for every homology dimension:

* ``layer_to_next`` and ``layer_to_input``: how each layer transforms the shape of the data at an epoch;
* ``train_test``: the train and test clouds at the same layer and epoch;
* ``epoch_to_next``: one layer's cloud at consecutive snapshot epochs.

Each diagram is divided by its cloud's RMS radius first, so layers of different scale compare their
shapes, not their sizes. Distances: bottleneck (within an absolute ``BOTTLENECK_TOLERANCE`` of the
exact value, recorded in every row) and 1-Wasserstein (L-infinity ground metric).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from layertopo.topology.distances import bottleneck_distance, wasserstein_distance

#: absolute error allowed to the bottleneck distances of the scaled diagrams (3-4x faster than exact)
BOTTLENECK_TOLERANCE = 1e-4

#: key of one diagram: (epoch, layer, split, dim)
DiagramKey = tuple[int, str, str, int]


def comparison_rows(
    diagrams: dict[DiagramKey, np.ndarray],
    scales: dict[tuple[int, str, str], float],
    layer_order: list[str],
) -> list[dict[str, Any]]:
    """Distance rows between the normalised diagrams of one (model, seed).

    Parameters
    ----------
    diagrams : (epoch, layer, split, dim) -> ndarray of shape (k, 2), the label-``all`` diagrams
    scales : (epoch, layer, split) -> RMS radius of the cloud (diagrams are divided by it; 0 keeps them as is)
    layer_order : layers from input to output
    """
    rows = []
    for kind, a, b in _pairs(diagrams, layer_order):
        if a not in diagrams or b not in diagrams:
            continue
        da, db = _normalised(diagrams[a], scales.get(a[:3], 0.0)), _normalised(diagrams[b], scales.get(b[:3], 0.0))
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
                "bottleneck": bottleneck_distance(da, db, tolerance=BOTTLENECK_TOLERANCE),
                "bottleneck_tolerance": BOTTLENECK_TOLERANCE,
                "wasserstein": wasserstein_distance(da, db),
            }
        )
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


def _normalised(dgm: np.ndarray, scale: float) -> np.ndarray:
    return dgm / scale if scale > 0 else dgm
