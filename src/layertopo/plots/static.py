"""Static matplotlib twins of the report's figures (PNG/SVG for papers and offline reading).

Each builder takes tables and returns a ``matplotlib.figure.Figure`` (never pyplot, never a file). They draw
the same numbers as the interactive figures (``layertopo.plots.tables``), in the report's default view. A
panel without data says "no data"; a missing cell is a grey, hatched gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from layertopo.clouds import diagram_entry
from layertopo.plots.diagrams import plot_diagrams
from layertopo.plots.tables import (
    DISTANCE_KINDS,
    QUANTITIES,
    Grid,
    distance_grid,
    epoch_order,
    layer_order,
    ordered_models,
    summary_grid,
    training_band,
)

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
NO_DATA = "no data"


def architecture_diagram(
    architectures: Mapping[str, Sequence[tuple[str, int]]], activations: Mapping[str, str]
) -> Figure:
    """Layer widths of each model as bars centred on zero, one panel per model.

    Parameters
    ----------
    architectures : model -> [(layer name, width), ...] from the input to the logits
    activations : model -> activation function name
    """
    models = list(architectures) or [NO_DATA]
    fig = Figure(figsize=(4.5 * len(models), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True, squeeze=False)[0])
    for ax, model, color in zip(axes, models, COLORS * 4, strict=False):
        layers = list(architectures.get(model, []))
        if not layers:
            _no_data(ax, model)
            continue
        names, widths = zip(*layers, strict=True)
        bars = ax.bar(names, widths, bottom=[-w / 2 for w in widths], color=color)
        ax.bar_label(bars, labels=[str(w) for w in widths], fontsize=8)
        ax.set_title(f"{model} ({activations.get(model, '?')})")
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].set_ylabel("width (units)")
    return fig


def training_curves(
    history: pd.DataFrame, *, models: Sequence[str] | None = None, snapshots: Sequence[int] = ()
) -> Figure:
    """Accuracy (top) and loss (bottom) over epochs, one column per model: mean over seeds with a min-max
    band, test solid and train dashed, snapshot epochs dotted."""
    models = list(models or ordered_models(history)) or [NO_DATA]
    fig = Figure(figsize=(5 * len(models), 6), layout="constrained")
    axes = fig.subplots(2, len(models), sharey="row", sharex=True, squeeze=False)
    for (row, column), (col, model) in product(enumerate(("accuracy", "loss")), enumerate(models)):
        ax, color = axes[row, col], COLORS[col % len(COLORS)]
        drawn = False
        for split, style in (("test", "-"), ("train", "--")):
            band = training_band(history, model=model, split=split, column=column)
            if band["mean"].notna().any():
                drawn = True
                marker = "o" if len(band) <= 2 else None  # a run cut short still shows its points
                ax.plot(band.index, band["mean"], style, color=color, label=split, marker=marker)
                ax.fill_between(band.index, band["min"], band["max"], color=color, alpha=0.15)
        for epoch in snapshots:
            ax.axvline(epoch, color="#999", lw=0.8, ls=":")
        if not drawn:
            _no_data(ax, f"{model}: {column}")
            continue
        ax.set_title(f"{model}: {column}")
        ax.grid(alpha=0.3)
        if row == 1:
            ax.set_xlabel("epoch")
        if col == 0:
            ax.set_ylabel(column)
        ax.legend(fontsize=8)
    n_seeds = history["seed"].nunique() if "seed" in history else 0
    fig.suptitle(f"Training curves: mean and min-max band over {n_seeds} seeds")
    return fig


def topology_heatmaps(
    summaries: pd.DataFrame,
    model: str,
    *,
    split: str = "test",
    label: str = "all",
    layers: Sequence[str] | None = None,
    epochs: Sequence[int] | None = None,
) -> Figure:
    """Layer x epoch heatmaps for one model (mean over seeds): significant b0 and b1, total persistence in
    H0 and H1, class purity of the H0 merge tree."""
    layers = list(layers or layer_order(summaries, model))
    epochs = list(epochs or epoch_order(summaries))
    fig = Figure(figsize=(3.4 * len(QUANTITIES), 3.6), layout="constrained")
    axes = fig.subplots(1, len(QUANTITIES))
    for ax, (_, column, dim, title) in zip(axes, QUANTITIES, strict=True):
        grid = summary_grid(
            summaries, model=model, column=column, dim=dim, split=split, label=label, layers=layers, epochs=epochs
        )
        _heatmap(fig, ax, grid, title)
    fig.suptitle(f"'{model}': topology of the {split} cloud (label {label}) by layer and epoch, mean over seeds")
    return fig


def depth_profiles(
    summaries: pd.DataFrame,
    models: Sequence[str],
    layers: Mapping[str, Sequence[str]],
    epochs: Sequence[int],
    *,
    split: str = "test",
    label: str = "all",
) -> Figure:
    """Each topology quantity along depth, one line per snapshot epoch (mean over seeds, min-max error bars),
    rows quantities and columns models."""
    models = list(models) or [NO_DATA]
    fig = Figure(figsize=(5 * len(models), 2.4 * len(QUANTITIES)), layout="constrained")
    axes = fig.subplots(len(QUANTITIES), len(models), sharey="row", squeeze=False)
    for (row, (_, column, dim, title)), (col, model) in product(enumerate(QUANTITIES), enumerate(models)):
        grid = summary_grid(
            summaries,
            model=model,
            column=column,
            dim=dim,
            split=split,
            label=label,
            layers=list(layers.get(model, [])),
            epochs=list(epochs),
        )
        _depth_lines(axes[row, col], grid, f"{model}: {title}")
    _legend(axes[0, -1], title="epoch", fontsize=7, loc="upper right")
    fig.suptitle(f"Topology along depth ({split} cloud, label {label}), one line per epoch")
    return fig


def transformation_lines(
    distances: pd.DataFrame,
    models: Sequence[str],
    layers: Mapping[str, Sequence[str]],
    epochs: Sequence[int],
    *,
    metric: str = "bottleneck",
    split: str = "test",
) -> Figure:
    """Diagram distances along depth (rows: to the next layer, to the input, to the next snapshot), one
    column per (model, H0/H1), one line per epoch."""
    models = list(models) or [NO_DATA]
    columns = list(product(models, (0, 1)))
    fig = Figure(figsize=(3.8 * len(columns), 2.8 * len(DISTANCE_KINDS)), layout="constrained")
    axes = fig.subplots(len(DISTANCE_KINDS), len(columns), sharey="row", squeeze=False)
    for (row, (kind, title)), (col, (model, dim)) in product(enumerate(DISTANCE_KINDS), enumerate(columns)):
        grid = distance_grid(
            distances,
            model=model,
            kind=kind,
            dim=dim,
            split=split,
            metric=metric,
            layers=list(layers.get(model, [])),
            epochs=list(epochs),
        )
        if kind == "epoch_to_next":
            grid = _epoch_pairs(grid)
        _depth_lines(axes[row, col], grid, f"{model} H{dim}: {title}")
    _legend(axes[0, -1], title="epoch", fontsize=7, loc="upper right")
    fig.suptitle(f"{metric.capitalize()} distance between diagrams ({split} clouds, diagrams scaled by RMS radius)")
    return fig


def train_test_heatmaps(
    distances: pd.DataFrame,
    models: Sequence[str],
    layers: Mapping[str, Sequence[str]],
    epochs: Sequence[int],
    *,
    metric: str = "bottleneck",
) -> Figure:
    """Layer x epoch heatmaps of the distance between train and test diagrams; rows H0 and H1, columns models."""
    models = list(models) or [NO_DATA]
    fig = Figure(figsize=(4.4 * len(models), 6.4), layout="constrained")
    axes = fig.subplots(2, len(models), squeeze=False)
    for dim, (col, model) in product((0, 1), enumerate(models)):
        grid = distance_grid(
            distances,
            model=model,
            kind="train_test",
            dim=dim,
            split="train",
            metric=metric,
            layers=list(layers.get(model, [])),
            epochs=list(epochs),
        )
        _heatmap(fig, axes[dim, col], grid, f"{model}: H{dim} train vs test")
    fig.suptitle(f"{metric.capitalize()} distance between the train and the test diagram, mean over seeds")
    return fig


def projection_grid(
    projections: pd.DataFrame, models: Sequence[str], *, layer: str, seed: int, epochs: Sequence[int]
) -> Figure:
    """PCA views of one layer's activations: rows models, columns epochs; colour class, marker split."""
    models, epochs = list(models) or [NO_DATA], list(epochs) or [0]
    fig = Figure(figsize=(2.8 * len(epochs), 2.8 * len(models)), layout="constrained")
    axes = fig.subplots(len(models), len(epochs), squeeze=False)
    for (row, model), (col, epoch) in product(enumerate(models), enumerate(epochs)):
        ax = axes[row, col]
        view = (
            projections[
                (projections["model"] == model)
                & (projections["seed"] == seed)
                & (projections["epoch"] == epoch)
                & (projections["layer"] == layer)
            ]
            if not projections.empty
            else projections
        )
        if view.empty:
            _no_data(ax, f"{model}, epoch {epoch}")
            continue
        for (label, split), rows in view.groupby(["label", "split"]):
            marker = "o" if split == "train" else "x"
            ax.scatter(
                rows["pc1"],
                rows["pc2"],
                s=6,
                marker=marker,
                color=CLASS_COLORS[int(label) % 4],
                alpha=0.6,
                linewidths=0.8,
                label=f"class {label} {split}",
            )
        ax.set_title(f"{model}, epoch {epoch}", fontsize=9)
        ax.tick_params(labelsize=7)
    _legend(axes[0, -1], fontsize=6, markerscale=2, loc="upper right")
    fig.suptitle(f"Activations of layer {layer} (seed {seed}), PC1 vs PC2")
    return fig


def diagram_grid(
    diagrams: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]],
    models: Sequence[str],
    *,
    layer: str,
    seed: int,
    epochs: Sequence[int],
    split: str = "test",
) -> Figure:
    """Persistence diagrams (H0 and H1, label all) of one layer: rows models, columns epochs; essential
    classes drawn on a dashed line above the finite points."""
    models, epochs = list(models) or [NO_DATA], list(epochs) or [0]
    fig = Figure(figsize=(2.8 * len(epochs), 2.8 * len(models)), layout="constrained")
    axes = fig.subplots(len(models), len(epochs), squeeze=False)
    for (row, model), (col, epoch) in product(enumerate(models), enumerate(epochs)):
        arrays = diagrams.get((model, seed, epoch), {})
        dgms = [arrays.get(diagram_entry(layer, split, "all", dim)) for dim in (0, 1)]
        _diagram(axes[row, col], dgms, f"{model}, epoch {epoch}")
    fig.suptitle(f"Persistence diagrams of layer {layer} ({split} cloud, seed {seed})")
    return fig


# --- helpers ------------------------------------------------------------------------------------------


def _legend(ax: Axes, **kwargs: object) -> None:
    """A legend on ``ax`` when it has labelled artists (a "no data" panel has none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _no_data(ax: Axes, title: str = "") -> None:
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", color="grey", fontsize=11, transform=ax.transAxes)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _gap_cmap() -> Colormap:
    from matplotlib import colormaps

    return colormaps["viridis"].with_extremes(bad="#e0e0e0")


def _heatmap(fig: Figure, ax: Axes, grid: Grid, title: str) -> None:
    """Draw a layer x epoch grid with its values in the cells and 'no data' in hatched gaps."""
    if grid.empty:
        _no_data(ax, title)
        return
    image = ax.imshow(np.ma.masked_invalid(grid.mean), aspect="auto", cmap=_gap_cmap(), origin="upper")
    ax.set_yticks(range(len(grid.layers)), grid.layers, fontsize=8)
    ax.set_xticks(range(len(grid.epochs)), [str(e) for e in grid.epochs], fontsize=8)
    ax.set_xlabel("epoch")
    ax.set_title(title, fontsize=10)
    for (i, j), value in np.ndenumerate(grid.mean):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color="white")
        else:
            ax.add_patch(_gap_patch(j, i))
            ax.text(j, i, NO_DATA, ha="center", va="center", fontsize=6, color="#555")
    fig.colorbar(image, ax=ax, shrink=0.8)


def _gap_patch(x: float, y: float) -> Rectangle:
    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#aaa", linewidth=0)


def _depth_lines(ax: Axes, grid: Grid, title: str) -> None:
    """One line per epoch column along the layers, min-max error bars; 'no data' when empty."""
    if grid.empty:
        _no_data(ax, title)
        return
    colors = _epoch_colors(len(grid.epochs))
    x = np.arange(len(grid.layers))
    for j, epoch in enumerate(grid.epochs):
        mean = grid.mean[:, j]
        spread = np.clip(np.nan_to_num(np.stack([mean - grid.low[:, j], grid.high[:, j] - mean])), 0, None)
        ax.errorbar(x, mean, yerr=spread, color=colors[j], marker="o", ms=3, lw=1.2, capsize=2, label=str(epoch))
    ax.set_xticks(x, grid.layers, fontsize=7, rotation=30)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def _epoch_colors(n: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    return [colormaps["viridis"](v) for v in np.linspace(0.0, 0.9, max(n, 1))]


def _epoch_pairs(grid: Grid) -> Grid:
    labels = [f"{a}→{b}" for a, b in zip(grid.epochs[:-1], grid.epochs[1:], strict=True)]
    return Grid(grid.mean[:, :-1], grid.low[:, :-1], grid.high[:, :-1], grid.count[:, :-1], grid.layers, labels)


def _diagram(ax: Axes, dgms: list[np.ndarray | None], title: str) -> None:
    """H0 and H1 of one cloud on ``ax`` (``plot_diagrams``), small print for a grid of panels."""
    plot_diagrams(dgms, ax=ax, title=title, size=6)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(labelsize=7)
