"""The topology stage: one unit per (model, seed, epoch) with a snapshot; its clouds (every layer, split and
label) go to the executor as separate jobs, ``UNITS_PER_BATCH`` units at a time so that the workers stay busy,
and each unit's diagrams and summary part are written once its batch is back (a killed run loses at most the
batch in flight)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from layertopo.clouds import CloudKey, activation_entry, stored_layers
from layertopo.config import ExperimentConfig
from layertopo.data import Dataset
from layertopo.parallel import Executor
from layertopo.stages.units import Progress, Unit, run_units
from layertopo.store import RunStore, read_npz, read_parquet, write_npz, write_parquet
from layertopo.topology.batch import Cloud, CloudResult, analyze_clouds

KEY_COLUMNS = ["model", "seed", "epoch", "layer", "layer_index", "split", "label", "dim"]

#: units whose clouds are sent to the executor together: enough jobs to keep the workers busy, few enough
#: that a killed run loses little and memory holds only a few snapshots' clouds
UNITS_PER_BATCH = 4


def topology_all(
    config: ExperimentConfig,
    dataset: Dataset,
    store: RunStore,
    executor: Executor,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Diagrams and summaries of every cloud, written per unit and gathered in ``summaries.parquet``; identical
    clouds are computed once (the input layer is the same for every model, seed and epoch)."""
    units = [
        Unit("topology", name, seed, epoch)
        for name in config.models
        for seed in config.training.seeds
        for epoch in config.capture.epochs
        if store.activations_path(name, seed, epoch).exists()
    ]
    cache: dict[str, CloudResult] = {}
    timing_rows: list[dict[str, Any]] = []

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, tuple]]:
        for start in range(0, len(todo), UNITS_PER_BATCH):
            batch = todo[start : start + UNITS_PER_BATCH]
            keys = {unit: list(unit_clouds(config, dataset, store, unit)) for unit in batch}
            clouds = [cloud for pairs in keys.values() for _, cloud in pairs]
            results = iter(
                analyze_clouds(
                    clouds, config.topology, executor=executor, cache=cache, time_limit=config.execution.time_limit
                )
            )
            for unit, pairs in keys.items():
                yield unit, [(key, next(results)) for key, _ in pairs]

    def save(unit: Unit, results: list[tuple[CloudKey, CloudResult]]) -> None:
        rows, dgms = [], {}
        for key, result in results:
            rows.extend({**key.columns(), **row} for row in result.rows)
            dgms |= {key.diagram_name(dim): dgm for dim, dgm in enumerate(result.dgms)}
            timing_rows.append({**key.columns(), "seconds": result.seconds})
        write_npz(store.diagrams_path(unit.model, unit.seed, unit.epoch), **dgms)
        write_parquet(store.summaries_part(unit.model, unit.seed, unit.epoch), pd.DataFrame(rows))

    run_units(
        store,
        "topology",
        units,
        outputs=lambda u: [
            store.summaries_part(u.model, u.seed, u.epoch),
            store.diagrams_path(u.model, u.seed, u.epoch),
        ],
        compute=compute,
        save=save,
        progress=progress,
    )
    frames = [read_parquet(store.summaries_part(u.model, u.seed, u.epoch)) for u in units]
    summaries = pd.concat(frames, ignore_index=True).sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    write_parquet(store.path("summaries.parquet"), summaries)
    if timing_rows:
        write_parquet(store.path("timings.parquet"), pd.DataFrame(timing_rows))
    return summaries


def unit_clouds(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, unit: Unit
) -> Iterator[tuple[CloudKey, Cloud]]:
    """Every cloud of a unit's snapshot with its key: each stored layer, each captured split, every class
    together (with the labels, for the class-separation summary) and each class alone."""
    assert unit.epoch is not None
    activations = read_npz(store.activations_path(unit.model, unit.seed, unit.epoch))
    for layer, split, label, X, labels in iter_clouds(activations, dataset, config.capture.splits):
        key = CloudKey(unit.model, unit.seed, unit.epoch, layer, split, label)
        yield key, Cloud(X, labels, key.where, label != "all")


def iter_clouds(activations: dict[str, np.ndarray], dataset: Dataset, splits: list[str]):
    """Yield (layer, split, label, X, labels) for every stored layer, split and label.

    ``split="all"`` is train and test together; ``label="all"`` keeps every class (and passes the
    labels on for the class-separation summary), ``label="c"`` keeps class c only.
    """
    for layer in stored_layers(activations):
        for split in splits:
            if split == "all":
                X = np.concatenate(
                    [activations[activation_entry(layer, "train")], activations[activation_entry(layer, "test")]]
                )
                y = np.concatenate([dataset.y_train, dataset.y_test])
            else:
                X = activations[activation_entry(layer, split)]
                y = dataset.y_train if split == "train" else dataset.y_test
            yield layer, split, "all", X, y
            for c in np.unique(y):
                yield layer, split, str(c), X[y == c], None
