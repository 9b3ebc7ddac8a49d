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
from collections.abc import Callable
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
from layertopo.store import RunStore, atomic_write_bytes, atomic_write_text, read_json, write_json, write_parquet
from layertopo.topology.batch import Cloud, CloudResult, analyze_clouds, fixed_scale_cloud
from layertopo.training.fit import fit
from layertopo.training.workers import train_units

log = logging.getLogger(__name__)

DatasetName = Literal["D-I", "D-II", "D-III"]
CLASS_NAMES = ("a", "b")


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
        cache: dict[str, CloudResult] = {}
        with get_executor(config.execution.n_jobs, time_limit=config.execution.time_limit) as executor:
            _train_all(store, config, executor, say)
            for unit in units(config):
                _betti_unit(store, config, datasets, *unit, executor, cache, say)
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


def _train_all(store: RunStore, config: NaitzatConfig, executor: Executor, say: Callable[[str], None]) -> None:
    """Train every unit not yet finished on ``executor``; this process records them."""
    todo = [(config, *u) for u in units(config) if not store.is_done(f"train/{unit_name(*u)}")]
    hint = "Finished units are kept: run the same command again to continue."
    for unit, (weights, row) in train_units(
        train_unit, todo, executor, label=lambda unit: unit_name(*unit[1:]), on_death=hint
    ):
        _record_training(store, unit[1:], weights, row, say)


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


def _record_training(
    store: RunStore, unit: tuple[str, str, int], weights: bytes, row: dict[str, Any], say: Callable[[str], None]
) -> None:
    name = unit_name(*unit)
    atomic_write_bytes(store.path("models", f"{name}.pt"), weights)
    write_json(store.path("training", f"{name}.json"), row)
    store.mark_done(f"train/{name}")
    say(f"trained {name}: train accuracy {row['train_accuracy']:.4f}, test {row['test_accuracy']:.4f}")


def _betti_unit(
    store: RunStore,
    config: NaitzatConfig,
    datasets: dict[str, Dataset],
    name: str,
    activation: str,
    seed: int,
    executor: Executor,
    cache: dict[str, CloudResult],
    say,
) -> None:
    unit = unit_name(name, activation, seed)
    if store.is_done(f"betti/{unit}"):
        return
    start = time.perf_counter()
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
    write_parquet(store.path("betti", f"{unit}.parquet"), pd.DataFrame(rows))
    store.mark_done(f"betti/{unit}")
    say(f"Betti numbers of {unit}: {len(jobs)} clouds in {time.perf_counter() - start:.1f} s")


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
    _plot(betti, training, config, store.path("betti_by_layer.png"))
    store.update_manifest(status="finished")
    return summary


def betti_table(betti: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, activation, seed, depth, class) with columns b0, b1, b2 and total."""
    wide = betti.pivot_table(
        index=["dataset", "activation", "seed", "depth", "layer", "class"],
        columns="dim",
        values="betti",
        aggfunc="first",
    )
    wide.columns = [f"b{d}" for d in wide.columns]
    wide["total"] = wide.sum(axis=1)
    return wide.reset_index()


def summarise(betti: pd.DataFrame, training: pd.DataFrame, config: NaitzatConfig) -> dict[str, Any]:
    """The numbers that check the paper's claims, per dataset (and activation).

    Returns
    -------
    dict with, per dataset: ``input`` (Betti numbers of each class at the input, and the truth),
    and per activation: ``runs``, ``well_trained`` (runs at or above ``config.well_trained`` training
    accuracy), ``train_accuracy``/``test_accuracy`` (means), ``trivial_fraction`` (share of well-trained
    runs whose last hidden layer has Betti numbers (1, 0, 0) for each class, and for both classes),
    ``connected_fraction`` (share of well-trained runs whose last hidden layer has b0 = 1, per class),
    ``mean_total_by_depth`` (mean total Betti number per layer, both classes summed, well-trained runs),
    ``half_depth`` and ``relative_total`` (how fast that total falls, see ``_simplification``).
    """
    table = betti_table(betti)
    out: dict[str, Any] = {"k": config.k, "scale": config.scale, "well_trained": config.well_trained, "datasets": {}}
    for name in config.datasets:
        truth = NAITZAT_BETTI[name]
        rows = table[(table["dataset"] == name) & (table["depth"] == 0)]
        dims = len(truth[0])
        measured = {
            c: [int(v) for v in rows[rows["class"] == c].iloc[0][[f"b{d}" for d in range(dims)]]] for c in CLASS_NAMES
        }
        entry: dict[str, Any] = {
            "input": {c: {"measured": measured[c], "true": list(truth[i])} for i, c in enumerate(CLASS_NAMES)},
            "n_points": {
                c: int(betti[(betti["dataset"] == name) & (betti["class"] == c)]["n_points"].iloc[0])
                for c in CLASS_NAMES
            },
            "activations": {},
        }
        for activation in config.activations:
            entry["activations"][activation] = _activation_summary(table, training, config, name, activation)
        out["datasets"][name] = entry
    return out


def _activation_summary(
    table: pd.DataFrame, training: pd.DataFrame, config: NaitzatConfig, name: str, activation: str
) -> dict[str, Any]:
    runs = training[(training["dataset"] == name) & (training["activation"] == activation)]
    good_seeds = runs[runs["train_accuracy"] >= config.well_trained]["seed"].tolist()
    rows = table[(table["dataset"] == name) & (table["activation"] == activation) & table["seed"].isin(good_seeds)]
    last = rows[rows["depth"] == rows["depth"].max()] if len(rows) else rows
    trivial = {}
    for c in CLASS_NAMES:
        part = last[last["class"] == c]
        trivial[c] = _fraction((part["b0"] == 1) & (part["total"] == 1))
    connected = {c: _fraction(last[last["class"] == c]["b0"] == 1) for c in CLASS_NAMES}
    both = last.groupby("seed").apply(lambda g: bool(((g["b0"] == 1) & (g["total"] == 1)).all()), include_groups=False)
    by_depth = rows.groupby(["depth", "seed"])["total"].sum().groupby("depth").mean()
    return {
        "runs": len(runs),
        "well_trained": len(good_seeds),
        "train_accuracy": float(runs["train_accuracy"].mean()),
        "test_accuracy": float(runs["test_accuracy"].mean()),
        "trivial_fraction": {**trivial, "both": _fraction(both)},
        "connected_fraction": connected,
        "mean_total_by_depth": [round(float(v), 2) for v in by_depth.to_numpy()],
        **_simplification(by_depth.to_numpy()),
    }


def _simplification(totals: np.ndarray) -> dict[str, float | int | None]:
    """How fast the total Betti number falls along depth: the first hidden layer at or below half the
    input's (``half_depth``, None if none) and the mean over hidden layers of total / input total
    (``relative_total``: 1 = no simplification, lower = simpler sooner)."""
    if len(totals) < 2 or totals[0] <= 0:
        return {"half_depth": None, "relative_total": None}
    below = np.flatnonzero(totals[1:] <= totals[0] / 2)
    return {
        "half_depth": int(below[0]) + 1 if len(below) else None,
        "relative_total": round(float(np.mean(totals[1:] / totals[0])), 3),
    }


def _fraction(mask: pd.Series) -> float | None:
    return float(mask.mean()) if len(mask) else None


def results_markdown(summary: dict[str, Any], config: NaitzatConfig, datasets: dict[str, Dataset]) -> str:
    """``summary`` as the Markdown tables of ``results.md`` (and of docs/naitzat.md)."""
    lines = [
        f"# Naitzat et al. (2020) reproduced: k = {summary['k']}, scale = {summary['scale']} hops",
        "",
        f"Seeds: {config.seeds}; a run counts as trained when its training accuracy is at least {config.well_trained}.",
        "",
        "## Input Betti numbers per class",
        "",
        "| dataset | points (a / b) | class a measured | class a true | class b measured | class b true |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in summary["datasets"].items():
        i, n = entry["input"], entry["n_points"]
        lines.append(
            f"| {name} | {n['a']} / {n['b']} | {tuple(i['a']['measured'])} | {tuple(i['a']['true'])} "
            f"| {tuple(i['b']['measured'])} | {tuple(i['b']['true'])} |"
        )
    lines += [
        "",
        "## Trained networks",
        "",
        "| dataset | activation | widths | trained / runs | train acc | test acc "
        "| last hidden layer (1,0,0): a / b / both | last hidden layer b0 = 1: a / b |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in summary["datasets"].items():
        for activation, s in entry["activations"].items():
            t = s["trivial_fraction"]
            lines.append(
                f"| {name} | {activation} | {config.datasets[name].widths} | {s['well_trained']} / {s['runs']} "
                f"| {s['train_accuracy']:.4f} | {s['test_accuracy']:.4f} "
                f"| {_pct(t['a'])} / {_pct(t['b'])} / {_pct(t['both'])} "
                f"| {_pct(s['connected_fraction']['a'])} / {_pct(s['connected_fraction']['b'])} |"
            )
    lines += ["", "## Mean total Betti number (both classes) by layer, trained runs", ""]
    depth = max(len(s["mean_total_by_depth"]) for e in summary["datasets"].values() for s in e["activations"].values())
    header = ["input", *[f"h{d}" for d in range(1, depth)], "half at", "hidden / input"]
    lines.append("| dataset | activation | " + " | ".join(header) + " |")
    lines.append("|---|---|" + "---|" * len(header))
    for name, entry in summary["datasets"].items():
        for activation, s in entry["activations"].items():
            totals = [f"{v:g}" for v in s["mean_total_by_depth"]] + ["-"] * (depth - len(s["mean_total_by_depth"]))
            half = "-" if s["half_depth"] is None else f"h{s['half_depth']}"
            relative = "-" if s["relative_total"] is None else f"{s['relative_total']:.2f}"
            lines.append(f"| {name} | {activation} | " + " | ".join([*totals, half, relative]) + " |")
    lines += [
        "",
        "*half at*: the first hidden layer whose mean total is at most half the input's; *hidden / input*: the "
        "mean over hidden layers of total / input total (lower: simpler sooner).",
    ]
    lines += ["", *[f"- {d.name}: {d.description}" for d in datasets.values()], ""]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _plot(betti: pd.DataFrame, training: pd.DataFrame, config: NaitzatConfig, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from layertopo.store import atomic_write_bytes as write

    table = betti_table(betti)
    fig, axes = plt.subplots(1, len(config.datasets), figsize=(4.5 * len(config.datasets), 3.6), squeeze=False)
    for ax, name in zip(axes[0], config.datasets, strict=True):
        for activation in config.activations:
            rows = table[(table["dataset"] == name) & (table["activation"] == activation)]
            per_seed = rows.groupby(["seed", "depth"])["total"].sum().unstack("depth")
            mean = per_seed.mean(axis=0)
            ax.plot(mean.index, mean.to_numpy(), marker="o", label=activation)
            ax.fill_between(mean.index, per_seed.min(axis=0), per_seed.max(axis=0), alpha=0.2)
        ax.set(title=name, xlabel="layer (0 = input)", ylabel="total Betti number (both classes)", yscale="symlog")
        ax.legend()
    fig.suptitle(f"k-NN Betti numbers (k = {config.k}, {config.scale} hops): mean and range over seeds")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write(path, buffer.getvalue())
