"""Static figures of how the data's shape evolves: read in two minutes, one colour scale per quantity.

* ``evolution_grid``: per model (columns), the accuracy curve, then layer x epoch small multiples of class
  purity above chance and of significant b0, all on one epoch axis (the snapshot epochs, equally spaced);
* ``betti_curves``: how many H0 components are alive at each scale, at the first, a middle and the last
  snapshot;
* ``significant_diagrams``: persistence diagrams with the significant bars marked;
* ``layer_projections``: PCA views of every layer at the first, a middle and the last snapshot;
* ``distance_floors``: train-vs-test and snapshot-to-snapshot H0 distances against the noise floor (the
  distance between two random halves of the training set).

Each builder returns a ``matplotlib.figure.Figure``; the panels of one quantity share their colour scale
across models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from layertopo.clouds import diagram_entry
from layertopo.plots.diagrams import plot_diagrams
from layertopo.plots.static import CLASS_COLORS, COLORS, NO_DATA, _gap_cmap, _no_data
from layertopo.plots.tables import summary_grid, training_band
from layertopo.topology.significance import significant_bars
from layertopo.topology.summaries import betti_curve

#: (column, dim, title, colour range) of the small multiples; None: from the data, shared across models
SMALL_MULTIPLES: tuple[tuple[str, int, str, tuple[float, float] | None], ...] = (
    ("purity_above_chance", 0, "class purity above chance", (0.0, 1.0)),
    ("betti_significant", 0, "significant b0", None),
)


def snapshot_positions(epochs: Sequence[int]) -> tuple[np.ndarray, callable]:
    """Equally spaced positions of the snapshot epochs, and a map from any epoch to that axis (interpolated)."""
    epochs = np.asarray(list(epochs), dtype=float)
    positions = np.arange(len(epochs), dtype=float)

    def position(epoch: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(epoch, dtype=float), epochs, positions)

    return positions, position


def evolution_grid(
    summaries: pd.DataFrame,
    history: pd.DataFrame,
    models: Sequence[str],
    layers: Mapping[str, Sequence[str]],
    epochs: Sequence[int],
    *,
    split: str = "test",
    bayes: float | None = None,
) -> Figure:
    """Accuracy and layer x epoch small multiples on one epoch axis, one column per model.

    Parameters
    ----------
    summaries, history : the run's tables
    models : models, in order
    layers : model -> its layers from input to logits
    epochs : the snapshot epochs
    split : the split of the clouds
    bayes : the Bayes accuracy, drawn as a line on the accuracy panels
    """
    models = list(models) or [NO_DATA]
    epochs = list(epochs)
    positions, position = snapshot_positions(epochs)
    grids = {
        (column, model): summary_grid(
            summaries,
            model=model,
            column=column,
            dim=dim,
            split=split,
            label="all",
            layers=list(layers.get(model, [])),
            epochs=epochs,
        )  # fmt: skip
        for (column, dim, _, _), model in product(SMALL_MULTIPLES, models)
    }
    fig = Figure(figsize=(4.2 * len(models), 2.4 + 2.6 * len(SMALL_MULTIPLES)), layout="constrained")
    axes = fig.subplots(1 + len(SMALL_MULTIPLES), len(models), squeeze=False, sharex=True)
    for col, model in enumerate(models):
        _accuracy_panel(axes[0, col], history, model, position, bayes)
        for row, (column, _, title, limits) in enumerate(SMALL_MULTIPLES, start=1):
            low, high = limits or _shared_range(grids, column)
            grid = grids[(column, model)]
            ax = axes[row, col]
            if grid.empty:
                _no_data(ax, f"{model}: {title}")
                continue
            image = ax.imshow(
                np.ma.masked_invalid(grid.mean), aspect="auto", cmap=_gap_cmap(), vmin=low, vmax=high,
                extent=(-0.5, len(epochs) - 0.5, len(grid.layers) - 0.5, -0.5),
            )  # fmt: skip
            for (i, j), value in np.ndenumerate(grid.mean):
                if np.isfinite(value):
                    ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=6, color="white")
            ax.set_yticks(range(len(grid.layers)), grid.layers, fontsize=7)
            ax.set_title(f"{model}: {title}", fontsize=9)
            if col == len(models) - 1:
                fig.colorbar(image, ax=axes[row, :].tolist(), shrink=0.8)
    for ax in axes[-1]:
        ax.set_xticks(positions, [str(e) for e in epochs], fontsize=7)
        ax.set_xlabel("snapshot epoch (equally spaced)")
    fig.suptitle(f"Accuracy and the {split} cloud's topology over training (mean over seeds)")
    return fig


def _accuracy_panel(ax: Axes, history: pd.DataFrame, model: str, position, bayes: float | None) -> None:
    drawn = False
    for split, style in (("test", "-"), ("train", "--")):
        band = training_band(history, model=model, split=split, column="accuracy")
        if band["mean"].notna().any():
            drawn = True
            x = position(band.index.to_numpy())
            ax.plot(x, band["mean"], style, color=COLORS[0], label=split)
            ax.fill_between(x, band["min"], band["max"], color=COLORS[0], alpha=0.15)
    if not drawn:
        _no_data(ax, f"{model}: accuracy")
        return
    if bayes is not None and np.isfinite(bayes):
        ax.axhline(bayes, color="#444", lw=0.9, ls=":", label=f"Bayes {bayes:.3f}")
    ax.set_ylim(0.4, 1.02)
    ax.set_title(f"{model}: accuracy", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="lower right")


def _shared_range(grids: Mapping[tuple[str, str], object], column: str) -> tuple[float, float]:
    values = np.concatenate([g.mean.ravel() for (c, _), g in grids.items() if c == column] + [np.zeros(0)])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)


def betti_curves(
    diagrams: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]],
    summaries: pd.DataFrame,
    models: Sequence[str],
    *,
    layer: str,
    seed: int,
    epochs: Sequence[int],
    split: str = "test",
) -> Figure:
    """H0 Betti curves (components alive at each scale, scale in RMS radii of the cloud) of one layer,
    one panel per model, one line per epoch (first, middle, last)."""
    models = list(models) or [NO_DATA]
    chosen = three_epochs(epochs)
    fig = Figure(figsize=(4 * len(models), 3.2), layout="constrained")
    axes = fig.subplots(1, len(models), squeeze=False, sharey=True)[0]
    grid = np.linspace(0, 1.5, 301)
    for ax, model in zip(axes, models, strict=True):
        drawn = False
        for color, epoch in zip(COLORS, chosen, strict=False):
            dgm = diagrams.get((model, seed, epoch), {}).get(diagram_entry(layer, split, "all", 0))
            scale = _rms(summaries, model, seed, epoch, layer, split)
            if dgm is None or not np.isfinite(scale) or scale <= 0:
                continue
            ax.step(grid, betti_curve(np.asarray(dgm) / scale, grid), where="post", color=color, label=f"epoch {epoch}")
            drawn = True
        if not drawn:
            _no_data(ax, model)
            continue
        ax.set_yscale("log")
        ax.set_xlabel("scale (RMS radii)")
        ax.set_title(f"{model}: {layer}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("H0 components alive")
    fig.suptitle(f"Betti curves of layer {layer} ({split} cloud, seed {seed})")
    return fig


def significant_diagrams(
    diagrams: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]],
    summaries: pd.DataFrame,
    models: Sequence[str],
    *,
    layer: str,
    seed: int,
    epochs: Sequence[int],
    split: str = "test",
    alpha: float = 0.05,
    ratio_min: float = 3.5,
) -> Figure:
    """Persistence diagrams (H0, H1) of one layer, rows models and columns the first, a middle and the last
    snapshot; significant bars drawn large and ringed, the rest small (scale: RMS radii of the cloud)."""
    from layertopo.config import SignificanceConfig

    config = SignificanceConfig(alpha=alpha, ratio_min=ratio_min)
    models, chosen = list(models) or [NO_DATA], three_epochs(epochs)
    fig = Figure(figsize=(3 * len(chosen), 3 * len(models)), layout="constrained")
    axes = fig.subplots(len(models), len(chosen), squeeze=False)
    for (row, model), (col, epoch) in product(enumerate(models), enumerate(chosen)):
        ax = axes[row, col]
        arrays = diagrams.get((model, seed, epoch), {})
        scale = _rms(summaries, model, seed, epoch, layer, split)
        entry = {d: diagram_entry(layer, split, "all", d) for d in (0, 1)}
        if entry[0] not in arrays or not np.isfinite(scale) or scale <= 0:
            _no_data(ax, f"{model}, epoch {epoch}")
            continue
        marks = {0: _significant_h0(arrays[entry[0]], _row(summaries, model, seed, epoch, layer, split))}
        if entry[1] in arrays:
            from layertopo.topology.significance import universal_null_pvalues

            dgm = arrays[entry[1]]
            marks[1] = significant_bars(dgm, universal_null_pvalues(dgm), config)
        _marked_diagram(ax, {d: arrays[entry[d]] / scale for d in marks}, marks, f"{model}, epoch {epoch}")
    fig.suptitle(f"Persistence diagrams of layer {layer} ({split} cloud, seed {seed}); large ringed = significant")
    return fig


def _marked_diagram(ax: Axes, dgms: Mapping[int, np.ndarray], marks: Mapping[int, np.ndarray], title: str) -> None:
    plot_diagrams(dgms, ax=ax, significant=marks, title=title, size=4)
    ax.set_xlabel("birth (RMS radii)", fontsize=7)
    ax.set_ylabel("")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=5, loc="lower right")


def layer_projections(
    projections: pd.DataFrame, model: str, *, seed: int, layers: Sequence[str], epochs: Sequence[int]
) -> Figure:
    """PCA views (PC1 vs PC2) of every layer of one model: rows layers, columns the first, a middle and the
    last snapshot; colour class, marker split."""
    chosen, layers = three_epochs(epochs), list(layers) or [NO_DATA]
    fig = Figure(figsize=(2.6 * len(chosen), 2.4 * len(layers)), layout="constrained")
    axes = fig.subplots(len(layers), len(chosen), squeeze=False)
    for (row, layer), (col, epoch) in product(enumerate(layers), enumerate(chosen)):
        ax = axes[row, col]
        view = projections[
            (projections["model"] == model) & (projections["seed"] == seed) & (projections["epoch"] == epoch)
            & (projections["layer"] == layer)
        ] if not projections.empty else projections  # fmt: skip
        if view.empty:
            _no_data(ax, f"{layer}, epoch {epoch}")
            continue
        for (label, split), rows in view.groupby(["label", "split"]):
            ax.scatter(
                rows["pc1"], rows["pc2"], s=4, marker="o" if split == "train" else "x",
                color=CLASS_COLORS[int(label) % 4], alpha=0.6, linewidths=0.7, label=f"class {label} {split}",
            )  # fmt: skip
        ax.set_title(f"{layer}, epoch {epoch}", fontsize=8)
        ax.tick_params(labelsize=6)
    if axes[0, -1].get_legend_handles_labels()[0]:
        axes[0, -1].legend(fontsize=5, markerscale=2, loc="upper right")
    fig.suptitle(f"'{model}': every layer at three snapshots (seed {seed}), PC1 vs PC2")
    return fig


def distance_floors(
    distances: pd.DataFrame, models: Sequence[str], *, layer_of: Mapping[str, str], epochs: Sequence[int]
) -> Figure:
    """H0 distances against the noise floor, for each model's layer ``layer_of[model]``: top, train vs test
    at each snapshot; bottom, each snapshot to the next. Lines: mean over seeds (bars: min-max); band: the
    floor's min-max over seeds."""
    models = list(models) or [NO_DATA]
    fig = Figure(figsize=(4.2 * len(models), 5.6), layout="constrained")
    axes = fig.subplots(2, len(models), squeeze=False, sharey="row")
    positions, position = snapshot_positions(epochs)
    for col, model in enumerate(models):
        layer = layer_of.get(model, "")
        mine = distances[(distances["model"] == model) & (distances["layer"] == layer) & (distances["dim"] == 0)]
        floor = mine[mine["kind"] == "noise_floor"].groupby("epoch")["bottleneck"].agg(["min", "max"])
        for row, (kind, split, title) in enumerate(
            (("train_test", "train", "train vs test"), ("epoch_to_next", "test", "snapshot to the next (test)"))
        ):
            ax = axes[row, col]
            rows = mine[(mine["kind"] == kind) & (mine["split"] == split)]
            if rows.empty:
                _no_data(ax, f"{model} {layer}: {title}")
                continue
            if not floor.empty:
                x = position(floor.index.to_numpy())
                ax.fill_between(x, floor["min"], floor["max"], color="#bbb", alpha=0.6, label="noise floor")
            stats = rows.groupby("epoch")["bottleneck"].agg(["mean", "min", "max"])
            x = position(stats.index.to_numpy())
            spread = np.stack([stats["mean"] - stats["min"], stats["max"] - stats["mean"]])
            ax.errorbar(x, stats["mean"], yerr=spread, color=COLORS[col % len(COLORS)], marker="o", ms=3,
                        capsize=2, label="H0 bottleneck")  # fmt: skip
            ax.set_title(f"{model} {layer}: {title}", fontsize=9)
            ax.set_xticks(positions, [str(e) for e in epochs], fontsize=7)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
    axes[0, 0].set_ylabel("bottleneck (RMS radii)")
    axes[1, 0].set_ylabel("bottleneck (RMS radii)")
    fig.suptitle("H0 diagram distances against the noise floor (two random halves of the training set)")
    return fig


def three_epochs(epochs: Sequence[int]) -> list[int]:
    """The first, a middle and the last of ``epochs`` (fewer when there are fewer)."""
    epochs = sorted(epochs)
    if len(epochs) <= 3:
        return list(epochs)
    return [epochs[0], epochs[len(epochs) // 2], epochs[-1]]


def _row(summaries: pd.DataFrame, model: str, seed: int, epoch: int, layer: str, split: str) -> pd.Series | None:
    """The H0 summary row of one cloud (label all), or None."""
    rows = summaries[
        (summaries["model"] == model) & (summaries["seed"] == seed) & (summaries["epoch"] == epoch)
        & (summaries["layer"] == layer) & (summaries["split"] == split) & (summaries["label"] == "all")
        & (summaries["dim"] == 0)
    ]  # fmt: skip
    return rows.iloc[0] if len(rows) else None


def _rms(summaries: pd.DataFrame, model: str, seed: int, epoch: int, layer: str, split: str) -> float:
    row = _row(summaries, model, seed, epoch, layer, split)
    return float(row["rms_radius"]) if row is not None else np.nan


def _significant_h0(dgm: np.ndarray, row: pd.Series | None) -> np.ndarray:
    """Which H0 bars die at a significant merge (the summary row's ``significant_merges``)."""
    text = "" if row is None else str(row.get("significant_merges", "") or "")
    heights = np.array([float(h) for h in text.split()]) if text.strip() else np.empty(0)
    deaths = np.asarray(dgm, dtype=float)[:, 1]
    if not len(heights):
        return np.zeros(len(deaths), dtype=bool)
    return np.isclose(deaths[:, None], heights[None, :], rtol=1e-7, atol=0).any(axis=1)
