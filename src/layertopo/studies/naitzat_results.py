"""The Naitzat study's results: the numbers that check the paper's claims (``summary.json``), the same as
Markdown tables (``results.md``) and the Betti numbers by layer drawn (``betti_by_layer.png``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layertopo.data.naitzat import NAITZAT_BETTI
from layertopo.data.synthetic import Dataset

if TYPE_CHECKING:
    from layertopo.studies.naitzat import NaitzatConfig

CLASS_NAMES = ("a", "b")


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


def plot_betti_by_layer(betti: pd.DataFrame, training: pd.DataFrame, config: NaitzatConfig, path: Path) -> None:
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
