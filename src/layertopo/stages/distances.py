"""The distance stage: one unit per (model, seed), the diagram distances between its layers, epochs and splits
(``layertopo.topology.comparisons``) and the noise floor of each training cloud. Each unit's rows are a part
file marked finished in the manifest, so a resumed run recomputes none that finished."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from layertopo.clouds import CloudKey, layer_index
from layertopo.config import ExperimentConfig
from layertopo.data import Dataset
from layertopo.parallel import Executor
from layertopo.stages.units import Progress, Unit, computed_in_parts, run_units
from layertopo.store import RunStore, read_npz, read_parquet, write_parquet
from layertopo.topology.comparisons import comparison_rows, noise_floor_rows

#: the jobs of one (model, seed), longest first: its comparison rows, then its noise floor rows
PARTS = ("comparisons", "noise_floor")

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
        # each unit is two jobs (its comparisons, the longer, then its noise floor), and each worker reads the
        # diagrams or clouds it needs from the run folder: this process sends only names, scales and labels
        jobs = [_job(config, dataset, store, summaries, u.model, u.seed) for u in todo]
        parts = [[(part, *job) for part in PARTS] for job in jobs]
        for unit, (comparisons, noise_floor) in computed_in_parts(executor, distance_rows, todo, parts, store):
            yield unit, comparisons + noise_floor

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
    part: str,
    root: str,
    name: str,
    seed: int,
    epochs: list[int],
    with_train: bool,
    scales: dict,
    labels: np.ndarray,
    max_points: int | None,
) -> list[dict[str, Any]]:
    """One part of one (model, seed)'s rows: ``"comparisons"`` or ``"noise_floor"`` (``PARTS``). Runs in a worker
    process, which reads the diagrams or the training clouds it needs from the run folder ``root``."""
    if part == "comparisons":
        diagrams = _saved_diagrams(RunStore(root), name, seed, epochs)
        return comparison_rows(diagrams, scales, sorted({k[1] for k in diagrams}, key=layer_index))
    if part == "noise_floor":
        train_clouds = _saved_train_clouds(RunStore(root), name, seed, epochs) if with_train else {}
        return noise_floor_rows(train_clouds, labels, max_points=max_points)
    raise ValueError(f"unknown part {part!r}; expected one of {PARTS}")


def comparison_inputs(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, summaries: pd.DataFrame, name: str, seed: int
) -> tuple[dict, dict, list[str], dict, np.ndarray, int | None]:
    """What ``distance_rows`` computes on for one (model, seed), read in this process (for benchmarks and
    checks): the diagrams, their scales, the layers in order, the training clouds, their labels, max_points."""
    _, name, seed, epochs, with_train, scales, labels, max_points = _job(config, dataset, store, summaries, name, seed)
    diagrams = _saved_diagrams(store, name, seed, epochs)
    train_clouds = _saved_train_clouds(store, name, seed, epochs) if with_train else {}
    layers = sorted({k[1] for k in diagrams}, key=layer_index)
    return diagrams, scales, layers, train_clouds, labels, max_points


def _job(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, summaries: pd.DataFrame, name: str, seed: int
) -> tuple[str, str, int, list[int], bool, dict, np.ndarray, int | None]:
    """``distance_rows``' arguments for one (model, seed); the scales come from the summaries. Without a
    captured training split there is no noise floor."""
    rows = summaries[(summaries["model"] == name) & (summaries["seed"] == seed) & (summaries["label"] == "all")]
    scales = {
        (int(r.epoch), str(r.layer), str(r.split)): float(r.rms_radius)
        for r in rows[rows["dim"] == 0].itertuples()
        if np.isfinite(r.rms_radius)
    }
    with_train = "train" in config.capture.splits
    epochs = list(config.capture.epochs)
    return str(store.root), name, seed, epochs, with_train, scales, dataset.y_train, config.topology.max_points


def _saved_diagrams(store: RunStore, name: str, seed: int, epochs: list[int]) -> dict:
    """The label-``all`` diagrams ``(epoch, layer, split, dim) -> (k, 2)`` of one (model, seed)."""
    diagrams = {}
    for epoch in _saved_epochs(store, name, seed, epochs):
        for entry, dgm in read_npz(store.diagrams_path(name, seed, epoch)).items():
            key, dim = CloudKey.from_diagram_name(entry, name, seed, epoch)
            if key.label == "all":
                diagrams[(epoch, key.layer, key.split, dim)] = dgm
    return diagrams


def _saved_train_clouds(store: RunStore, name: str, seed: int, epochs: list[int]) -> dict:
    """The training clouds ``(epoch, layer) -> (n, features)`` of one (model, seed), at the epochs with diagrams;
    the other splits of each activation file stay compressed."""
    clouds = {}
    for epoch in _saved_epochs(store, name, seed, epochs):
        activations = store.activations_path(name, seed, epoch)
        if activations.exists():
            train_only = partial(_is_train, name=name, seed=seed, epoch=epoch)
            for entry, values in read_npz(activations, select=train_only).items():
                clouds[(epoch, CloudKey.from_activation_name(entry, name, seed, epoch).layer)] = values
    return clouds


def _saved_epochs(store: RunStore, name: str, seed: int, epochs: list[int]) -> list[int]:
    """The epochs of ``epochs`` whose diagrams were saved."""
    return [epoch for epoch in epochs if store.diagrams_path(name, seed, epoch).exists()]


def _is_train(entry: str, name: str, seed: int, epoch: int) -> bool:
    return CloudKey.from_activation_name(entry, name, seed, epoch).split == "train"
