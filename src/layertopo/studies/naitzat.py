"""Reproduction of Naitzat, Zhitnikov & Lim, "Topology of Deep Neural Networks" (JMLR 2020).

The protocol (``configs/naitzat.yaml``): for each dataset D-I, D-II, D-III (``layertopo.data.naitzat``),
each activation (ReLU, tanh) and each seed, train a deep narrow fully connected network to about 100 %
training accuracy; feed the training set through it; and at the input and every hidden layer compute
the Betti numbers of each class with the paper's method (``layertopo.topology.fixed_scale``: k-NN
graph, hop distances, Vietoris-Rips at a fixed scale).

Three stages, each resumable (a finished unit is never recomputed):

1. ``train``: one model per (dataset, activation, seed), saved as ``models/<unit>.pt`` with its final
   accuracies in ``training/<unit>.json``; ``execution.n_jobs`` models are trained at once, in worker processes.
2. ``betti``: the activations are recomputed from the saved model (a forward pass costs less than
   storing them) and every (layer, class) cloud becomes one job on the local process pool, with a time
   limit per cloud; results in ``betti/<unit>.parquet``.
3. ``summary``: ``betti.parquet`` and ``training.parquet`` (all units), ``summary.json`` (the numbers the
   paper's claims are checked with), ``results.md`` (the same as tables) and ``betti_by_layer.png``.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
import yaml
from pydantic import Field, model_validator

from layertopo.capture import capture_activations
from layertopo.config import ExecutionConfig, StrictConfig, TopologyConfig, TrainingConfig, load_settings
from layertopo.data.naitzat import NAITZAT_BETTI, NAITZAT_DATASETS
from layertopo.data.synthetic import Dataset
from layertopo.models.mlp import build_mlp, layer_names
from layertopo.parallel import Executor, get_executor
from layertopo.stages.units import Unit, run_units
from layertopo.store import RunStore, atomic_write_bytes, atomic_write_text, read_json, write_json, write_parquet
from layertopo.studies.naitzat_results import CLASS_NAMES, plot_betti_by_layer, results_markdown, summarise
from layertopo.topology.batch import Cloud, CloudResult, analyze_clouds, fixed_scale_cloud
from layertopo.training.fit import fit
from layertopo.training.workers import train_units

log = logging.getLogger(__name__)

DatasetName = Literal["D-I", "D-II", "D-III"]


class NaitzatDataset(StrictConfig):
    """One dataset of the study and the network trained on it."""

    n_per_part: int | tuple[int, int] = Field(description="points per part (D-I: per disk, and in the holed square)")
    widths: list[int] = Field(min_length=1, description="hidden widths")
    epochs: int = Field(ge=1)
    lr: float = Field(gt=0.0)


class NaitzatConfig(StrictConfig):
    """The whole study; see ``configs/naitzat.yaml``."""

    name: str = "naitzat"
    datasets: dict[DatasetName, NaitzatDataset] = Field(min_length=1)
    activations: list[Literal["relu", "tanh"]] = Field(default_factory=lambda: ["relu", "tanh"], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    data_seed: int = 0
    optimizer: Literal["adam", "sgd"] = "adam"
    init: Literal["default", "xavier"] = Field("default", description="weight initialisation (see build_mlp)")
    batch_size: int = Field(128, ge=1)
    well_trained: float = Field(0.995, gt=0.5, le=1.0, description="training accuracy that counts as trained")
    k: int = Field(14, ge=1, description="neighbours of the k-NN graph")
    scale: int = Field(2, ge=1, description="Vietoris-Rips scale in hops")
    execution: ExecutionConfig = Field(
        ExecutionConfig(), description="worker processes (training and clouds) and the time limit per cloud"
    )

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and (moved := [key for key in ("n_jobs", "time_limit") if key in data]):
            raise ValueError(
                f"{', '.join(moved)} moved to the execution section: write "
                f"{', '.join(f'execution.{key}' for key in moved)} instead"
            )
        return data

    @model_validator(mode="after")
    def _d1_sizes(self) -> NaitzatConfig:
        for name, dataset in self.datasets.items():
            pair = isinstance(dataset.n_per_part, tuple)
            if pair != (name == "D-I"):
                want = "a pair [per disk, holed square]" if name == "D-I" else "one integer"
                raise ValueError(f"datasets.{name}.n_per_part must be {want}, got {dataset.n_per_part!r}")
        return self

    def topology(self, dataset: str) -> TopologyConfig:
        """What the cloud jobs compute: ``knn_k``, ``fixed_scale`` and homology up to the input's dimension
        minus one (D-I: b0, b1; D-II and D-III: b0, b1, b2)."""
        return TopologyConfig(maxdim=len(NAITZAT_BETTI[dataset][0]) - 1, knn_k=self.k, fixed_scale=self.scale)


def load_naitzat_config(path: str | Path, overrides: list[str] | None = None) -> NaitzatConfig:
    """Read ``path`` (YAML), apply ``key.path=value`` overrides, validate."""
    return load_settings(NaitzatConfig, path, overrides, example="configs/naitzat.yaml")


def make_naitzat_dataset(name: str, spec: NaitzatDataset, seed: int) -> Dataset:
    """The dataset ``name`` drawn with ``spec.n_per_part`` and ``seed``."""
    return NAITZAT_DATASETS[name](spec.n_per_part, random_state=seed)


def units(config: NaitzatConfig) -> list[tuple[str, str, int]]:
    """Every (dataset, activation, seed) of the study, in run order."""
    return [(d, a, s) for d in config.datasets for a in config.activations for s in config.seeds]


def results_path(out: str | Path) -> Path:
    """Where ``run_naitzat`` writes its Markdown tables."""
    return Path(out) / "results.md"


def unit_name(dataset: str, activation: str, seed: int) -> str:
    return f"{dataset}-{activation}-seed{seed}"


def run_naitzat(config: NaitzatConfig, out: str | Path, *, progress: Callable[[str], None] | None = None) -> dict:
    """Run (or resume) the study in ``out``; returns ``summary.json``'s content."""
    say = progress or log.info
    store = RunStore(out)
    store.open()
    try:
        _check_same_config(store, config)
        datasets = {name: make_naitzat_dataset(name, spec, config.data_seed) for name, spec in config.datasets.items()}
        with get_executor(config.execution.n_jobs, time_limit=config.execution.time_limit) as executor:
            _train_all(store, config, executor, say)
            _betti_all(store, config, datasets, executor, say)
        return _summarise(store, config, datasets)
    finally:
        store.unlock()


# --- stages --------------------------------------------------------------------------------------


def _check_same_config(store: RunStore, config: NaitzatConfig) -> None:
    text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    path = store.path("config.yaml")
    if path.exists() and path.read_text() != text:
        raise ValueError(
            f"{store.root} holds a study with a different configuration ({path}); "
            "use another --out folder, or the same configuration to resume"
        )
    atomic_write_text(path, text)


def _study_units(config: NaitzatConfig, stage: str) -> dict[Unit, tuple[str, str, int]]:
    """The units of one stage (``train`` or ``betti``), each with its (dataset, activation, seed)."""
    return {Unit(stage, f"{d}-{a}", s): (d, a, s) for d, a, s in units(config)}


def _train_all(store: RunStore, config: NaitzatConfig, executor: Executor, say: Callable[[str], None]) -> None:
    """Train every unit not yet finished on ``executor``; this process records them."""
    study = _study_units(config, "train")
    hint = "Finished units are kept: run the same command again to continue."

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, tuple[bytes, dict[str, Any]]]]:
        jobs = [(config, *study[unit]) for unit in todo]
        by_job = {id(job): unit for job, unit in zip(jobs, todo, strict=True)}
        for job, result in train_units(train_unit, jobs, executor, label=lambda j: unit_name(*j[1:]), on_death=hint):
            yield by_job[id(job)], result

    def save(unit: Unit, result: tuple[bytes, dict[str, Any]]) -> None:
        name, (weights, row) = unit_name(*study[unit]), result
        atomic_write_bytes(store.path("models", f"{name}.pt"), weights)
        write_json(store.path("training", f"{name}.json"), row)
        say(f"trained {name}: train accuracy {row['train_accuracy']:.4f}, test {row['test_accuracy']:.4f}")

    def outputs(unit: Unit) -> list[Path]:
        name = unit_name(*study[unit])
        return [store.path("models", f"{name}.pt"), store.path("training", f"{name}.json")]

    run_units(store, "training", list(study), outputs=outputs, compute=compute, save=save)


def train_unit(config: NaitzatConfig, name: str, activation: str, seed: int) -> tuple[bytes, dict[str, Any]]:
    """Train the network of one unit on its dataset (drawn here from ``config``).

    Returns
    -------
    weights : the model's ``state_dict`` saved by ``torch.save``
    row : dataset, activation, seed, final train/test accuracy, epochs, status, seconds
    """
    spec = config.datasets[name]
    data = make_naitzat_dataset(name, spec, config.data_seed)
    model = build_mlp(data.dim, spec.widths, 2, activation, seed=seed, init=config.init)
    training = TrainingConfig(
        optimizer=config.optimizer, lr=spec.lr, batch_size=config.batch_size, epochs=spec.epochs, seeds=[seed]
    )
    splits = {"train": (data.X_train, data.y_train), "test": (data.X_test, data.y_test)}
    result = fit(model, data.X_train, data.y_train, splits, training, seed=seed)
    final = {row["split"]: row["accuracy"] for row in result.history if row["epoch"] == result.last_epoch}
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    row = {
        "dataset": name,
        "activation": activation,
        "seed": seed,
        "train_accuracy": final.get("train", np.nan),
        "test_accuracy": final.get("test", np.nan),
        "epochs": result.last_epoch,
        "status": result.status,
        "seconds": result.seconds,
    }
    return buffer.getvalue(), row


def _betti_all(
    store: RunStore,
    config: NaitzatConfig,
    datasets: dict[str, Dataset],
    executor: Executor,
    say: Callable[[str], None],
) -> None:
    """The Betti numbers of every unit not yet finished, one unit's clouds at a time on ``executor``."""
    study = _study_units(config, "betti")
    cache: dict[str, CloudResult] = {}

    def compute(todo: list[Unit]) -> Iterator[tuple[Unit, pd.DataFrame]]:
        for unit in todo:
            start = time.perf_counter()
            rows = _betti_rows(store, config, datasets, *study[unit], executor, cache)
            say(f"Betti numbers of {unit_name(*study[unit])}: {len(rows)} rows in {time.perf_counter() - start:.1f} s")
            yield unit, rows

    def part(unit: Unit) -> Path:
        return store.path("betti", f"{unit_name(*study[unit])}.parquet")

    run_units(
        store,
        "betti",
        list(study),
        outputs=lambda u: [part(u)],
        compute=compute,
        save=lambda u, t: write_parquet(part(u), t),
    )


def _betti_rows(
    store: RunStore,
    config: NaitzatConfig,
    datasets: dict[str, Dataset],
    name: str,
    activation: str,
    seed: int,
    executor: Executor,
    cache: dict[str, CloudResult],
) -> pd.DataFrame:
    """One row per (layer, class, homology dimension) of one unit: its fixed-scale Betti number."""
    unit = unit_name(name, activation, seed)
    spec, data = config.datasets[name], datasets[name]
    model = build_mlp(data.dim, spec.widths, 2, activation, seed=seed)
    model.load_state_dict(torch.load(store.path("models", f"{unit}.pt"), weights_only=True))
    layers = layer_names(len(spec.widths))[:-1]  # input and hidden layers
    activations = capture_activations(model, data.X_train, layers)
    keys = [(depth, layer, c) for depth, layer in enumerate(layers) for c in (0, 1)]
    jobs = [
        Cloud(activations[layer][data.y_train == c], None, f"{unit} layer={layer} class={CLASS_NAMES[c]}")
        for _, layer, c in keys
    ]
    topology, limit = config.topology(name), config.execution.time_limit
    results = analyze_clouds(jobs, topology, executor=executor, cache=cache, time_limit=limit, job=fixed_scale_cloud)
    rows = []
    for (depth, layer, c), result in zip(keys, results, strict=True):
        seconds = result.seconds
        for dim_row in result.rows:
            rows.append(
                {
                    "dataset": name,
                    "activation": activation,
                    "seed": seed,
                    "depth": depth,
                    "layer": layer,
                    "width": activations[layer].shape[1],
                    "class": CLASS_NAMES[c],
                    "seconds": seconds,
                    "betti": -1,  # replaced by the measured value; stays -1 for a rejected or timed-out cloud
                    **dim_row,
                }
            )
    return pd.DataFrame(rows)


# --- summary -------------------------------------------------------------------------------------


def _summarise(store: RunStore, config: NaitzatConfig, datasets: dict[str, Dataset]) -> dict[str, Any]:
    names = [unit_name(*u) for u in units(config)]
    training = pd.DataFrame([read_json(store.path("training", f"{n}.json")) for n in names])
    betti = pd.concat([pd.read_parquet(store.path("betti", f"{n}.parquet")) for n in names], ignore_index=True)
    betti["betti"] = betti["betti"].astype(int)
    write_parquet(store.path("training.parquet"), training)
    write_parquet(store.path("betti.parquet"), betti)
    summary = summarise(betti, training, config)
    write_json(store.path("summary.json"), summary)
    atomic_write_text(store.path("results.md"), results_markdown(summary, config, datasets))
    plot_betti_by_layer(betti, training, config, store.path("betti_by_layer.png"))
    store.update_manifest(status="finished")
    return summary
