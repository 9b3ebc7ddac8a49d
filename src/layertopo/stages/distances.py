"""The distance stage: one unit per (model, seed), the diagram distances between its layers, epochs and splits
(``layertopo.topology.comparisons``) and the noise floor of each training cloud. Each unit's rows are a part
file marked finished in the manifest, so a resumed run recomputes none that finished."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from layertopo.clouds import CloudKey, layer_index
from layertopo.config import ExperimentConfig
from layertopo.data import Dataset
from layertopo.parallel import Executor
from layertopo.stages.units import Progress, Unit, computed_on, run_units
from layertopo.store import RunStore, read_npz, read_parquet, write_parquet
from layertopo.topology.comparisons import comparison_rows, noise_floor_rows

FIRST_COLUMNS = ["model", "seed", "kind", "dim", "epoch", "layer", "split", "other_epoch", "other_layer", "other_split"]


def distances_all(
    config: ExperimentConfig,
    dataset: Dataset,
    store: RunStore,
    summaries: pd.DataFrame,
    executor: Executor,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every (model, seed)'s distance rows, computed on ``executor`` and gathered in ``distances.parquet``."""
    units = [Unit("distances", name, seed) for name in config.models for seed in config.training.seeds]

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, list[dict[str, Any]]]]:
        jobs = [_comparison_inputs(config, dataset, store, summaries, u.model, u.seed) for u in todo]
        return computed_on(executor, distance_rows, todo, jobs, store)

    def save(unit: Unit, rows: list[dict[str, Any]]) -> None:
        frame = pd.DataFrame(rows).assign(model=unit.model, seed=unit.seed)
        write_parquet(store.distances_part(unit.model, unit.seed), frame)

    run_units(
        store,
        "distances",
        units,
        outputs=lambda u: [store.distances_part(u.model, u.seed)],
        compute=compute,
        save=save,
        progress=progress,
    )
    frames = [read_parquet(store.distances_part(u.model, u.seed)) for u in units]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not table.empty:
        table = table[FIRST_COLUMNS + [c for c in table.columns if c not in FIRST_COLUMNS]]
    write_parquet(store.path("distances.parquet"), table)
    return table


def distance_rows(
    diagrams: dict, scales: dict, layers: list[str], train_clouds: dict, labels: np.ndarray, max_points: int | None
) -> list[dict[str, Any]]:
    """One (model, seed): the comparison rows and the noise floor rows (runs in a worker process)."""
    return comparison_rows(diagrams, scales, layers) + noise_floor_rows(train_clouds, labels, max_points=max_points)


def _comparison_inputs(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, summaries: pd.DataFrame, name: str, seed: int
) -> tuple[dict, dict, list[str], dict, np.ndarray, int | None]:
    rows = summaries[(summaries["model"] == name) & (summaries["seed"] == seed) & (summaries["label"] == "all")]
    scales = {
        (int(r.epoch), str(r.layer), str(r.split)): float(r.rms_radius)
        for r in rows[rows["dim"] == 0].itertuples()
        if np.isfinite(r.rms_radius)
    }
    diagrams, train_clouds = {}, {}
    for epoch in config.capture.epochs:
        path = store.diagrams_path(name, seed, epoch)
        if not path.exists():
            continue
        for entry, dgm in read_npz(path).items():
            key, dim = CloudKey.from_diagram_name(entry, name, seed, epoch)
            if key.label == "all":
                diagrams[(epoch, key.layer, key.split, dim)] = dgm
        if "train" in config.capture.splits and store.activations_path(name, seed, epoch).exists():
            for entry, values in read_npz(store.activations_path(name, seed, epoch)).items():
                key = CloudKey.from_activation_name(entry, name, seed, epoch)
                if key.split == "train":
                    train_clouds[(epoch, key.layer)] = values
    layers = sorted({k[1] for k in diagrams}, key=layer_index)
    return diagrams, scales, layers, train_clouds, dataset.y_train, config.topology.max_points
