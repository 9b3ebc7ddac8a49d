"""The training stage: one unit per (model, seed), trained in a worker that writes its snapshots
(activations) and checkpoints at the capture epochs; this process writes the history parts and the manifest.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from layertopo.capture import capture_activations
from layertopo.clouds import CloudKey
from layertopo.config import ExperimentConfig, TrainingConfig, resolve_width
from layertopo.data import Dataset
from layertopo.models import build_mlp, layer_names
from layertopo.parallel import Executor
from layertopo.stages.units import Progress, Unit, run_units
from layertopo.store import RunStore, atomic_write_bytes, read_parquet, readable, write_npz, write_parquet
from layertopo.training import checkpoint_state, fit
from layertopo.training.fit import FitResult
from layertopo.training.workers import train_units


class SnapshotCallback:
    """Captures activations and a checkpoint at the snapshot epochs (an ``EpochCallback``)."""

    def __init__(self, store: RunStore, config: ExperimentConfig, model_name: str, seed: int, dataset: Dataset):
        self.store, self.config, self.model_name, self.seed, self.dataset = store, config, model_name, seed, dataset

    def on_epoch_end(self, epoch: int, model: torch.nn.Module, **kwargs: Any) -> None:
        if epoch not in self.config.capture.epochs:
            return
        layers = selected_layers(self.config, model)
        arrays = {}
        for split, X in (("train", self.dataset.X_train), ("test", self.dataset.X_test)):
            for layer, values in capture_activations(model, X, layers).items():
                arrays[CloudKey(self.model_name, self.seed, epoch, layer, split).activation_name] = values
        write_npz(self.store.activations_path(self.model_name, self.seed, epoch), **arrays)
        self._checkpoint(epoch, model, kwargs)

    def _checkpoint(self, epoch: int, model: torch.nn.Module, extra: dict[str, Any]) -> None:
        state = checkpoint_state(epoch, model, extra["optimizer"], extra["generator"], extra["history"])
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(self.store.checkpoint_path(self.model_name, self.seed, epoch), buffer.getvalue())


def train_all(
    config: ExperimentConfig,
    dataset: Dataset,
    store: RunStore,
    executor: Executor,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Train every (model, seed) not finished, on ``executor``, and return the combined history table.

    A worker trains and writes its unit's snapshots and checkpoints; this process alone writes the history
    parts and the manifest, in completion order, so the bookkeeping (and every number: training is seeded and
    runs on one thread) is the same in any number of processes.
    """
    units = [Unit("train", name, seed) for name in config.models for seed in config.training.seeds]
    for unit in units:
        _retrain_if_damaged(store, config, unit.model, unit.seed)
    hint = f"Finished units are kept: continue with layertopo run --resume {store.root}, or set execution.n_jobs=1"

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, FitResult]]:
        jobs = [(config, dataset, store.root, u.model, u.seed) for u in todo]
        by_job = {id(job): unit for job, unit in zip(jobs, todo, strict=True)}
        for job, result in train_units(train_unit, jobs, executor, label=lambda j: f"{j[3]}/{j[4]}", on_death=hint):
            yield by_job[id(job)], result

    run_units(
        store,
        "training",
        units,
        outputs=lambda u: [store.history_part(u.model, u.seed)],
        compute=compute,
        save=lambda u, result: _record_training(store, u.model, u.seed, result),
        progress=progress,
    )
    history = pd.concat([read_parquet(store.history_part(u.model, u.seed)) for u in units], ignore_index=True)
    write_parquet(store.path("history.parquet"), history)
    return history


def _retrain_if_damaged(store: RunStore, config: ExperimentConfig, name: str, seed: int) -> None:
    """A (model, seed) with an unreadable snapshot trains again from the start (its checkpoints cannot
    restore a snapshot of an earlier epoch); its topology units, if finished, are kept."""
    damaged = [
        path
        for epoch in config.capture.epochs
        if (path := store.activations_path(name, seed, epoch)).exists() and not readable(path)
    ]
    if damaged:
        warnings.warn(
            f"{', '.join(str(p) for p in damaged)} cannot be read: training {name}/{seed} again from the start",
            RuntimeWarning,
            stacklevel=3,
        )
        store.discard_snapshots(name, seed)


def train_unit(config: ExperimentConfig, dataset: Dataset, root: Path, name: str, seed: int) -> FitResult:
    """Train one (model, seed), writing its snapshots and checkpoints under ``root``; resumes from the
    latest checkpoint there. Runs in this process or in a worker. Loss and accuracy are recorded on the
    train, test and (when drawn) validation sets after every epoch."""
    store = RunStore(root)
    model = build_model(config, name, dataset, seed)
    splits = {"train": (dataset.X_train, dataset.y_train), "test": (dataset.X_test, dataset.y_test)}
    if len(dataset.y_val):
        splits["val"] = (dataset.X_val, dataset.y_val)
    return fit(
        model,
        dataset.X_train,
        dataset.y_train,
        splits,
        model_training(config, name),
        seed=seed,
        callbacks=[SnapshotCallback(store, config, name, seed, dataset)],
        resume_from=latest_checkpoint(store, config, name, seed),
    )


def _record_training(store: RunStore, name: str, seed: int, result: FitResult) -> None:
    frame = pd.DataFrame(result.history)
    frame.insert(0, "seed", seed)
    frame.insert(0, "model", name)
    write_parquet(store.history_part(name, seed), frame)
    runs = store.read_manifest().get("runs", {})
    runs[f"{name}/{seed}"] = {
        "status": result.status,
        "last_epoch": result.last_epoch,
        "seconds": round(result.seconds, 3),
    }
    store.update_manifest(runs=runs)


def model_training(config: ExperimentConfig, name: str) -> TrainingConfig:
    """The training settings of one model: ``training`` with the model's own lr/optimizer, if given."""
    spec = config.models[name]
    overrides = {key: value for key, value in (("lr", spec.lr), ("optimizer", spec.optimizer)) if value is not None}
    return config.training.model_copy(update=overrides)


def latest_checkpoint(store: RunStore, config: ExperimentConfig, name: str, seed: int) -> dict[str, Any] | None:
    """The latest readable checkpoint of an unfinished (model, seed), or None to train from scratch; a damaged
    one is passed over with a warning."""
    for epoch in sorted(config.capture.epochs, reverse=True):
        path = store.checkpoint_path(name, seed, epoch)
        if path.exists():
            try:
                state = torch.load(path, weights_only=False)
            except Exception as exc:  # noqa: BLE001 - a damaged file fails in zip, pickle or torch
                warnings.warn(f"{path} cannot be read ({exc}); continuing from an earlier checkpoint", stacklevel=2)
                continue
            if "history" in state:
                return state
    return None


def build_model(config: ExperimentConfig, name: str, dataset: Dataset, seed: int) -> torch.nn.Module:
    """The untrained network ``name`` of ``config`` for ``dataset``, initialised from ``seed``."""
    spec = config.models[name]
    widths = [resolve_width(w, dataset.dim) for w in spec.widths]
    return build_mlp(dataset.dim, widths, dataset.n_classes, spec.activation, seed=seed)


def selected_layers(config: ExperimentConfig, model: torch.nn.Module) -> list[str]:
    """The configured layers, or every layer (input, hidden1.., logits); unknown names are rejected."""
    available = layer_names(len(model.widths) - 2)
    if config.capture.layers is None:
        return available
    unknown = [name for name in config.capture.layers if name not in available]
    if unknown:
        raise ValueError(f"capture.layers {unknown} not in the model; valid names: {available}")
    return list(config.capture.layers)
