"""``run_experiment``: config -> data -> models -> training (snapshots) -> capture -> topology -> report.

Every result goes through ``RunStore`` (atomic writes). Units of work are marked finished in the
manifest (``train/<model>/<seed>``, ``topology/<model>/<seed>/<epoch>``); with ``resume=True`` a
finished unit is loaded, not recomputed.
"""

from __future__ import annotations

import io
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from layertopo.analysis import run_verdicts
from layertopo.analysis.probes import linear_probes
from layertopo.analysis.projections import pca_view, sample_points
from layertopo.capture import capture_activations
from layertopo.config import ExperimentConfig, ModelConfig, TrainingConfig, config_to_yaml, resolve_width
from layertopo.data import Dataset, best_accuracy, make_dataset
from layertopo.models import build_mlp, layer_names
from layertopo.parallel import JobResult, close_pool, run_label_jobs
from layertopo.processes import map_in_processes
from layertopo.store import (
    LOCK_NAME,
    TEMP_PREFIX,
    RunStore,
    atomic_write_bytes,
    atomic_write_text,
    read_npz,
    read_parquet,
    readable,
    write_npz,
    write_parquet,
)
from layertopo.topology.comparisons import comparison_rows, noise_floor_rows
from layertopo.training import checkpoint_state, fit
from layertopo.training.fit import FitResult
from layertopo.training.workers import train_units

#: progress(stage, done, total): stage is "training" or "topology".
Progress = Callable[[str, int, int], None]

#: below this many bars in all the diagrams of a run, the distance stage runs in this process: two spawned
#: workers take about 2 s each to start, more than the whole stage of tests/reliability/tiny.yaml (17,000 bars)
SMALL_DISTANCE_STAGE = 50_000

KEY_COLUMNS = ["model", "seed", "epoch", "layer", "layer_index", "split", "label", "dim"]


@dataclass
class RunResult:
    run_dir: Path
    history: pd.DataFrame
    summaries: pd.DataFrame
    manifest: dict[str, Any]


def run_experiment(
    config: ExperimentConfig,
    out_dir: str | Path,
    *,
    resume: bool = True,
    progress: Progress | None = None,
    build_report: bool = True,
) -> RunResult:
    """Run the whole experiment of ``config`` into ``out_dir`` and return its tables.

    Parameters
    ----------
    config : ExperimentConfig
        The validated experiment configuration (``load_config``).
    out_dir : str or Path
        The run folder (created; an existing one is resumed when ``resume``).
    resume : bool
        Reuse the finished units recorded in the folder's manifest.
    progress : callable, optional
        Called as ``progress(stage, done, total)``.
    build_report : bool
        Write the figures and ``report.html`` at the end.

    Returns
    -------
    RunResult
    """
    check_resources(config)
    store = RunStore(out_dir)
    store.open()
    try:
        return _run_locked(config, store, resume, progress, build_report)
    finally:
        store.unlock()


def _run_locked(
    config: ExperimentConfig, store: RunStore, resume: bool, progress: Progress | None, build_report: bool
) -> RunResult:
    store.check_free_space(estimate_run_bytes(config))
    _check_resumable(store, config, resume)
    atomic_write_text(store.path("config.yaml"), config_to_yaml(config))
    started = time.perf_counter()
    store.update_manifest(
        name=config.name,
        status="running",
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=package_versions(),
        git_revision=git_revision(),
        seeds=config.training.seeds,
        data_seed=config.data.seed,
        finished=store.read_manifest().get("finished", []) if resume else [],
    )
    dataset = make_dataset(config.data)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data_record = best_accuracies(config)
    store.update_manifest(data=data_record)
    history = train_all(config, dataset, store, progress=progress)
    timings["training"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    summaries = topology_all(config, dataset, store, progress=progress)
    timings["topology"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    distances_all(config, dataset, store, summaries)
    timings["distances"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    projections_all(config, dataset, store)
    timings["projections"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    probes_all(config, dataset, store)
    timings["probes"] = time.perf_counter() - t0
    verdicts = run_verdicts(history, store.read_manifest())
    manifest = store.update_manifest(
        verdicts=[v.as_dict() for v in verdicts],
        dataset={"kind": dataset.name, "description": dataset.description, "betti": dataset.betti},
        data=data_record,
    )
    timings["total"] = time.perf_counter() - started
    manifest = store.update_manifest(
        status="finished", timings=timings, finished_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    if build_report:
        from layertopo.report import build_report as write_report

        t0 = time.perf_counter()
        write_report(store.root, n_jobs=config.topology.n_jobs)
        timings["report"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - started
        manifest = store.update_manifest(timings=timings)
    return RunResult(store.root, history, summaries, manifest)


# --- training ------------------------------------------------------------------------------------


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
                arrays[f"{layer}__{split}"] = values
        write_npz(self.store.activations_path(self.model_name, self.seed, epoch), **arrays)
        self._checkpoint(epoch, model, kwargs)

    def _checkpoint(self, epoch: int, model: torch.nn.Module, extra: dict[str, Any]) -> None:
        state = checkpoint_state(epoch, model, extra["optimizer"], extra["generator"], extra["history"])
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(self.store.checkpoint_path(self.model_name, self.seed, epoch), buffer.getvalue())


def train_all(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, *, progress: Progress | None = None
) -> pd.DataFrame:
    """Train every model and seed (skipping finished ones) and return the combined history table.

    With ``training.n_jobs > 1`` that many (model, seed) units train at once in spawned worker
    processes. A worker trains and writes its unit's snapshots and checkpoints; this process alone
    writes the history parts and the manifest, in completion order, so the bookkeeping (and every
    number: training is seeded and runs on one thread) is the same as with one process.
    """
    units = [(name, seed) for name in config.models for seed in config.training.seeds]
    for name, seed in units:
        _retrain_if_damaged(store, config, name, seed)
    todo = [u for u in units if not (store.is_done(f"train/{u[0]}/{u[1]}") and readable(store.history_part(*u)))]
    done = len(units) - len(todo)
    hint = f"Finished units are kept: continue with layertopo run --resume {store.root}, or set training.n_jobs=1"
    jobs = [(config, dataset, store.root, name, seed) for name, seed in todo]
    for unit, result in train_units(
        train_unit, jobs, config.training.n_jobs, label=lambda unit: f"{unit[3]}/{unit[4]}", on_death=hint
    ):
        _record_training(store, *unit[3:], result)
        done += 1
        if progress:
            progress("training", done, len(units))
    if progress and not todo:
        progress("training", len(units), len(units))
    history = pd.concat([read_parquet(store.history_part(*u)) for u in units], ignore_index=True)
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
        import warnings

        warnings.warn(
            f"{', '.join(str(p) for p in damaged)} cannot be read: training {name}/{seed} again from the start",
            RuntimeWarning,
            stacklevel=3,
        )
        store.discard_snapshots(name, seed)


def train_unit(config: ExperimentConfig, dataset: Dataset, root: Path, name: str, seed: int) -> FitResult:
    """Train one (model, seed), writing its snapshots and checkpoints under ``root``; resumes from the
    latest checkpoint there. Runs in this process or in a training worker. Loss and accuracy are recorded
    on the train, test and (when drawn) validation sets after every epoch."""
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
    store.mark_done(f"train/{name}/{seed}")


def best_accuracies(config: ExperimentConfig) -> dict[str, Any]:
    """The dataset's record for the manifest: its Bayes accuracy and, per model whose first hidden layer is
    narrower than the input, the best accuracy any classifier of a projection of that rank can reach."""
    bayes = best_accuracy(config.data)
    record: dict[str, Any] = {
        "kind": config.data.kind,
        "bayes_accuracy": bayes.value if bayes else None,
        "bayes": bayes.as_dict() if bayes else None,
        "ceilings": {},
    }
    for name, spec in config.models.items():
        k = resolve_width(spec.widths[0], config.data.dim)
        ceiling = best_accuracy(config.data, k) if k < config.data.dim else None
        if ceiling is not None:
            record["ceilings"][name] = {"first_width": k, **ceiling.as_dict()}
    return record


def layer_widths(config: ExperimentConfig, spec: ModelConfig) -> list[int]:
    """Widths of every captured layer of a model, input to logits: ``[d, hidden..., 2]``."""
    d = config.data.dim
    return [d, *[resolve_width(w, d) for w in spec.widths], 2]


def estimate_run_bytes(config: ExperimentConfig) -> int:
    """An upper bound on what a run writes: the captured activations (float32, before compression) dominate."""
    d = config.data
    per_epoch = 0
    for spec in config.models.values():
        widths = layer_widths(config, spec)
        per_epoch += 4 * (d.n_train + d.n_test) * sum(widths)
    return per_epoch * len(config.training.seeds) * len(config.capture.epochs) + 20 * 1024**2


class ResourceError(ValueError):
    """The run would need more memory than the machine has; the message gives the numbers."""


def estimate_peak_bytes(config: ExperimentConfig) -> dict[str, int]:
    """Per model, the memory one training worker holds at a snapshot: the parameters with their gradients and
    Adam's two moments (4 copies, float32) and the captured activations of every layer for the train and test
    splits at once (float32), plus the float64 distance matrix of one subsampled cloud."""
    d = config.data
    points = d.n_train + d.n_test
    cloud = min(config.topology.max_points or points, points)
    peaks = {}
    for name, spec in config.models.items():
        widths = layer_widths(config, spec)
        parameters = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
        peaks[name] = 4 * 4 * parameters + 4 * points * sum(widths) + 8 * cloud**2
    return peaks


def available_memory() -> int:
    """Bytes of memory available to new work (``MemAvailable`` on Linux, else all physical memory)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_resources(config: ExperimentConfig, available: int | None = None) -> None:
    """Refuse, before any work, a run whose training workers would together need more memory than is
    available (``widths: [1000000]`` reached 8.1 GiB in a minute, with no sign of what was coming)."""
    available = available_memory() if available is None else available
    peaks = estimate_peak_bytes(config)
    workers = max(1, min(config.training.n_jobs, len(config.models) * len(config.training.seeds)))
    largest = max(peaks, key=peaks.get)
    need = workers * peaks[largest]
    if need > available:
        gib = 2**30
        raise ResourceError(
            f"models.{largest} would need about {peaks[largest] / gib:.1f} GiB per training worker (parameters "
            f"with Adam's state, and every layer's activations for {config.data.n_train + config.data.n_test} "
            f"points), {need / gib:.1f} GiB for {workers} workers, but {available / gib:.1f} GiB are available. "
            "Narrow the layers, capture fewer layers or points, or lower training.n_jobs"
        )


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
                import warnings

                warnings.warn(f"{path} cannot be read ({exc}); continuing from an earlier checkpoint", stacklevel=2)
                continue
            if "history" in state:
                return state
    return None


def build_model(config: ExperimentConfig, name: str, dataset: Dataset, seed: int) -> torch.nn.Module:
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


# --- topology ------------------------------------------------------------------------------------


def topology_all(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, *, progress: Progress | None = None
) -> pd.DataFrame:
    """Diagrams and summaries of every cloud, one unit per (model, seed, epoch); identical clouds are
    computed once (the input layer is the same for every model, seed and epoch)."""
    units = [
        (name, seed, epoch)
        for name in config.models
        for seed in config.training.seeds
        for epoch in config.capture.epochs
        if store.activations_path(name, seed, epoch).exists()
    ]
    cache: dict[str, JobResult] = {}
    frames, timing_rows = [], []
    try:
        _topology_units(config, dataset, store, units, cache, frames, timing_rows, progress)
    finally:
        close_pool()  # no worker process outlives the stage
    summaries = pd.concat(frames, ignore_index=True).sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    write_parquet(store.path("summaries.parquet"), summaries)
    if timing_rows:
        write_parquet(store.path("timings.parquet"), pd.DataFrame(timing_rows))
    return summaries


def _topology_units(
    config: ExperimentConfig,
    dataset: Dataset,
    store: RunStore,
    units: list[tuple[str, int, int]],
    cache: dict[str, JobResult],
    frames: list[pd.DataFrame],
    timing_rows: list[dict[str, Any]],
    progress: Progress | None,
) -> None:
    total = len(units)
    for i, (name, seed, epoch) in enumerate(units):
        unit = f"topology/{name}/{seed}/{epoch}"
        part = store.summaries_part(name, seed, epoch)
        if not (store.is_done(unit) and readable(part) and readable(store.diagrams_path(name, seed, epoch))):
            rows, dgms, timings = _topology_unit(config, dataset, store, name, seed, epoch, cache)
            write_npz(store.diagrams_path(name, seed, epoch), **dgms)
            write_parquet(part, pd.DataFrame(rows))
            timing_rows.extend(timings)
            store.mark_done(unit)
        frames.append(read_parquet(part))
        if progress:
            progress("topology", i + 1, total)


def _topology_unit(
    config: ExperimentConfig,
    dataset: Dataset,
    store: RunStore,
    name: str,
    seed: int,
    epoch: int,
    cache: dict[str, JobResult],
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], list[dict[str, Any]]]:
    activations = read_npz(store.activations_path(name, seed, epoch))
    keys, jobs = [], []
    for layer, split, label, X, labels in iter_clouds(activations, dataset, config.capture.splits):
        where = f"model={name} seed={seed} epoch={epoch} layer={layer} split={split} label={label}"
        keys.append((layer, split, label))
        jobs.append((X, labels, where))
    results = run_label_jobs(jobs, [label != "all" for _, _, label in keys], config.topology, cache)
    rows, dgms, timings = [], {}, []
    for (layer, split, label), (diagrams, cloud_rows, seconds) in zip(keys, results, strict=True):
        base = {
            "model": name,
            "seed": seed,
            "epoch": epoch,
            "layer": layer,
            "layer_index": layer_index(layer),
            "split": split,
            "label": label,
        }
        rows.extend({**base, **row} for row in cloud_rows)
        for dim, dgm in enumerate(diagrams):
            dgms[f"{layer}__{split}__{label}__h{dim}"] = dgm
        timings.append({**base, "seconds": seconds})
    return rows, dgms, timings


def distances_all(config: ExperimentConfig, dataset: Dataset, store: RunStore, summaries: pd.DataFrame) -> pd.DataFrame:
    """Diagram distances between layers, epochs and splits (see ``layertopo.topology.comparisons``) and the
    noise floor of each training cloud, one job per (model, seed), written to ``distances.parquet``."""
    units = [(name, seed) for name in config.models for seed in config.training.seeds]
    jobs = [_comparison_inputs(config, dataset, store, summaries, name, seed) for name, seed in units]
    bars = sum(len(dgm) for job in jobs for dgm in job[0].values())
    n_jobs = config.topology.n_jobs if bars >= SMALL_DISTANCE_STAGE else 1  # starting workers would cost more
    results = map_in_processes(_distance_rows, jobs, n_jobs)
    frames = [
        pd.DataFrame(rows).assign(model=name, seed=seed) for (name, seed), rows in zip(units, results, strict=True)
    ]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not table.empty:
        first = ["model", "seed", "kind", "dim", "epoch", "layer", "split", "other_epoch", "other_layer", "other_split"]
        table = table[first + [c for c in table.columns if c not in first]]
    write_parquet(store.path("distances.parquet"), table)
    return table


def _distance_rows(
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
        for key, dgm in read_npz(path).items():
            layer, split, label, dim = key.split("__")
            if label == "all":
                diagrams[(epoch, layer, split, int(dim[1:]))] = dgm
        if "train" in config.capture.splits and store.activations_path(name, seed, epoch).exists():
            activations = read_npz(store.activations_path(name, seed, epoch))
            suffix = "__train"
            train_clouds |= {(epoch, k[: -len(suffix)]): v for k, v in activations.items() if k.endswith(suffix)}
    layers = sorted({k[1] for k in diagrams}, key=layer_index)
    return diagrams, scales, layers, train_clouds, dataset.y_train, config.topology.max_points


def projections_all(
    config: ExperimentConfig, dataset: Dataset, store: RunStore, n_per_split: int = 200
) -> pd.DataFrame:
    """PCA views (3 components) of a fixed sample of train and test points at every layer and epoch.

    Writes ``projections.parquet``: one row per (model, seed, epoch, layer, point) with the point's
    split, class and coordinates pc1..pc3, plus the explained variance ratios.
    """
    rows = sample_points(dataset.y_train, dataset.y_test, n_per_split, random_state=config.data.seed)
    labels = np.concatenate([dataset.y_train, dataset.y_test])[rows]
    splits = np.where(rows < len(dataset.y_train), "train", "test")
    frames = []
    for name in config.models:
        for seed in config.training.seeds:
            previous: dict[str, np.ndarray] = {}
            for epoch in config.capture.epochs:
                path = store.activations_path(name, seed, epoch)
                if not path.exists():
                    continue
                activations = read_npz(path)
                for layer in dict.fromkeys(key.rsplit("__", 1)[0] for key in activations):
                    X = np.concatenate([activations[f"{layer}__train"], activations[f"{layer}__test"]])
                    coords, explained = pca_view(X, rows, previous.get(layer))
                    previous[layer] = coords
                    frames.append(
                        pd.DataFrame(
                            {
                                "model": name,
                                "seed": seed,
                                "epoch": epoch,
                                "layer": layer,
                                "layer_index": layer_index(layer),
                                "point": np.arange(len(rows)),
                                "split": splits,
                                "label": labels,
                                "pc1": coords[:, 0],
                                "pc2": coords[:, 1],
                                "pc3": coords[:, 2],
                                "explained1": explained[0],
                                "explained2": explained[1],
                                "explained3": explained[2],
                            }
                        )
                    )
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    write_parquet(store.path("projections.parquet"), table)
    return table


def probes_all(config: ExperimentConfig, dataset: Dataset, store: RunStore) -> pd.DataFrame:
    """Linear read-outs of the class and of the input radius from every layer's test activations
    (``layertopo.analysis.probes``), per model, seed and epoch, written to ``probes.parquet``."""
    frames = []
    for name in config.models:
        for seed in config.training.seeds:
            for epoch in config.capture.epochs:
                path = store.activations_path(name, seed, epoch)
                if not path.exists():
                    continue
                activations = read_npz(path)
                test = {k[: -len("__test")]: v for k, v in activations.items() if k.endswith("__test")}
                if "input" not in test:
                    continue
                rows = linear_probes(test, np.linalg.norm(test["input"], axis=1), dataset.y_test)
                frame = pd.DataFrame(rows).assign(model=name, seed=seed, epoch=epoch, split="test")
                frame["width"] = [test[layer].shape[1] for layer in frame["layer"]]
                frame["layer_index"] = frame["layer"].map(layer_index)
                frames.append(frame)
    columns = ["model", "seed", "epoch", "layer", "layer_index", "split", "width", "class_accuracy", "radius_r2"]
    table = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    write_parquet(store.path("probes.parquet"), table)
    return table


def iter_clouds(activations: dict[str, np.ndarray], dataset: Dataset, splits: list[str]):
    """Yield (layer, split, label, X, labels) for every stored layer, split and label.

    ``split="all"`` is train and test together; ``label="all"`` keeps every class (and passes the
    labels on for the class-separation summary), ``label="c"`` keeps class c only.
    """
    layers = list(dict.fromkeys(key.rsplit("__", 1)[0] for key in activations))
    for layer in layers:
        for split in splits:
            if split == "all":
                X = np.concatenate([activations[f"{layer}__train"], activations[f"{layer}__test"]])
                y = np.concatenate([dataset.y_train, dataset.y_test])
            else:
                X = activations[f"{layer}__{split}"]
                y = dataset.y_train if split == "train" else dataset.y_test
            yield layer, split, "all", X, y
            for c in np.unique(y):
                yield layer, split, str(c), X[y == c], None


def layer_index(layer: str) -> int:
    """Depth of a layer: input 0, hiddenK K, logits 1000 (after every hidden layer)."""
    if layer == "input":
        return 0
    if layer == "logits":
        return 1000
    if layer.startswith("hidden") and layer[6:].isdigit():
        return int(layer[6:])
    return 500


# --- manifest helpers ----------------------------------------------------------------------------


def _check_resumable(store: RunStore, config: ExperimentConfig, resume: bool) -> None:
    """Refuse to write into a folder that holds another run, or files whose run cannot be told."""
    existing = store.path("config.yaml")
    if not existing.exists():
        leftovers = sorted(
            p.name for p in store.root.iterdir() if p.name != LOCK_NAME and not p.name.startswith(TEMP_PREFIX)
        )
        if leftovers:
            raise ValueError(
                f"{store.root} holds files ({', '.join(leftovers[:6])}) but no config.yaml, so which experiment "
                "they belong to is unknown and a run here could mix two experiments. Put that run's config.yaml "
                f"back (then: layertopo run --resume {store.root}), or choose an empty --out folder"
            )
        return
    if not resume:
        raise FileExistsError(
            f"{store.root} already holds a run; pass --resume to continue it or choose another --out folder"
        )
    if existing.read_text() == config_to_yaml(config):
        return
    import yaml

    try:
        stored = yaml.safe_load(existing.read_text()) or {}
    except yaml.YAMLError:
        stored = {}
    changed = _differing_keys(stored, config.model_dump(mode="json"))
    results = [key for key in changed if key not in EXECUTION_KEYS]
    if results:
        shown = ", ".join(results[:8]) + (f" and {len(results) - 8} more" if len(results) > 8 else "")
        raise ValueError(
            f"{existing} holds a different configuration than the one given ({shown} differ); resuming would "
            f"mix results. Use the stored config (layertopo run --resume {store.root}) or another --out folder"
        )


#: settings that say where work runs, not what it computes: a resume may change them (results are identical
#: with any number of workers and executors, tests/test_pipeline.py and tests/test_parallel.py). A time limit
#: can change results (a cloud past it is recorded as timed out), so it is not one of them.
EXECUTION_KEYS = frozenset({"training.n_jobs", "topology.n_jobs", "topology.executor", "topology.dask_address"})


def _differing_keys(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        return [k for key in keys for k in _differing_keys(a.get(key), b.get(key), f"{prefix}{key}.")]
    return [] if a == b else [prefix.rstrip(".")]


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "layertopo",
        "torch",
        "numpy",
        "scipy",
        "scikit-learn",
        "pandas",
        "ripser",
        "giotto-ph",
        "gudhi",
        "persim",
        "joblib",
    ]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
