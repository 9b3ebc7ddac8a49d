"""Two stages read from every snapshot: PCA views of a fixed sample of points (``projections``) and linear
read-outs of the class and of the input radius (``probes``). One unit per (model, seed) each, computed by a
worker that reads the unit's snapshots itself, written as a part file and gathered in one table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from layertopo.analysis.probes import linear_probes
from layertopo.analysis.projections import pca_view, sample_points
from layertopo.clouds import activation_entry, layer_index, stored_layers
from layertopo.config import ExperimentConfig
from layertopo.data import Dataset
from layertopo.parallel import Executor
from layertopo.stages.units import Progress, Unit, computed_on, run_units
from layertopo.store import RunStore, read_npz, read_parquet, write_parquet

PROBE_COLUMNS = ["model", "seed", "epoch", "layer", "layer_index", "split", "width", "class_accuracy", "radius_r2"]


def projections_all(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, executor: Executor, *, n_per_split: int = 200
) -> pd.DataFrame:
    """PCA views (3 components) of a fixed sample of train and test points at every layer and epoch.

    Writes ``projections.parquet``: one row per (model, seed, epoch, layer, point) with the point's
    split, class and coordinates pc1..pc3, plus the explained variance ratios.
    """
    rows = sample_points(dataset.y_train, dataset.y_test, n_per_split, random_state=config.data.seed)
    args = (config, dataset, store.root, rows)
    return _per_model_seed(config, store, executor, "projections", store.projections_part, projection_rows, args)


def projection_rows(
    config: ExperimentConfig, dataset: Dataset, root: Path, rows: np.ndarray, name: str, seed: int
) -> pd.DataFrame:
    """The PCA views of one (model, seed) at every captured epoch, each aligned with the one before."""
    store = RunStore(root)
    labels = np.concatenate([dataset.y_train, dataset.y_test])[rows]
    splits = np.where(rows < len(dataset.y_train), "train", "test")
    previous: dict[str, np.ndarray] = {}
    frames = []
    for epoch, activations in _snapshots(config, store, name, seed):
        for layer in stored_layers(activations):
            X = np.concatenate(
                [activations[activation_entry(layer, "train")], activations[activation_entry(layer, "test")]]
            )
            coords, explained = pca_view(X, rows, previous.get(layer))
            previous[layer] = coords
            frame = pd.DataFrame(
                {
                    "model": name,
                    "seed": seed,
                    "epoch": epoch,
                    "layer": layer,
                    "layer_index": layer_index(layer),
                    "point": np.arange(len(rows)),
                    "split": splits,
                    "label": labels,
                }
            )
            for i in range(3):
                frame[f"pc{i + 1}"] = coords[:, i]
            for i in range(3):
                frame[f"explained{i + 1}"] = explained[i]
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def probes_all(config: ExperimentConfig, dataset: Dataset, store: RunStore, executor: Executor) -> pd.DataFrame:
    """Linear read-outs of the class and of the input radius from every layer's test activations
    (``layertopo.analysis.probes``), per model, seed and epoch, written to ``probes.parquet``."""
    args = (config, dataset, store.root)
    return _per_model_seed(config, store, executor, "probes", store.probes_part, probe_rows, args, PROBE_COLUMNS)


def probe_rows(config: ExperimentConfig, dataset: Dataset, root: Path, name: str, seed: int) -> pd.DataFrame:
    """The linear probes of one (model, seed) at every captured epoch, on the test split."""
    frames = []
    for epoch, activations in _snapshots(config, RunStore(root), name, seed):
        test = {layer: activations[activation_entry(layer, "test")] for layer in stored_layers(activations)}
        if "input" not in test:
            continue
        frame = pd.DataFrame(linear_probes(test, np.linalg.norm(test["input"], axis=1), dataset.y_test))
        frame = frame.assign(model=name, seed=seed, epoch=epoch, split="test")
        frame["width"] = [test[layer].shape[1] for layer in frame["layer"]]
        frame["layer_index"] = frame["layer"].map(layer_index)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[PROBE_COLUMNS] if frames else pd.DataFrame(columns=PROBE_COLUMNS)


def _snapshots(config: ExperimentConfig, store: RunStore, name: str, seed: int) -> Iterator[tuple[int, dict]]:
    for epoch in config.capture.epochs:
        path = store.activations_path(name, seed, epoch)
        if path.exists():
            yield epoch, read_npz(path)


def _per_model_seed(
    config: ExperimentConfig,
    store: RunStore,
    executor: Executor,
    stage: str,
    part: Callable[[str, int], Path],
    function: Callable[..., pd.DataFrame],
    args: tuple[Any, ...],
    columns: list[str] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run ``function(*args, model, seed)`` as one unit per (model, seed); gather the parts in ``<stage>.parquet``
    (with ``columns``, in that order, and those columns even when no unit has a row)."""
    units = [Unit(stage, name, seed) for name in config.models for seed in config.training.seeds]

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, pd.DataFrame]]:
        return computed_on(executor, function, todo, [(*args, u.model, u.seed) for u in todo], store)

    run_units(
        store,
        stage,
        units,
        outputs=lambda u: [part(u.model, u.seed)],
        compute=compute,
        save=lambda u, frame: write_parquet(part(u.model, u.seed), frame),
        progress=progress,
    )
    frames = [frame for u in units if not (frame := read_parquet(part(u.model, u.seed))).empty]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    table = table[columns] if columns is not None else table
    write_parquet(store.path(f"{stage}.parquet"), table)
    return table
