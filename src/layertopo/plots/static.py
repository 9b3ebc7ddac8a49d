"""Static matplotlib figures (PNG/SVG for papers and the first report)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def training_curves(history: pd.DataFrame) -> Figure:
    """Accuracy and loss over epochs: one colour per model, test solid and train dashed, the mean over
    seeds with a band from the lowest to the highest seed."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    for (model, rows), color in zip(history.groupby("model", sort=False), COLORS * 4, strict=False):
        for split, style in (("test", "-"), ("train", "--")):
            table = rows[rows["split"] == split].groupby("epoch")
            for ax, column in zip(axes, ("accuracy", "loss"), strict=True):
                mean = table[column].mean()
                ax.plot(mean.index, mean.values, style, color=color, label=f"{model} {split}")
                ax.fill_between(mean.index, table[column].min(), table[column].max(), color=color, alpha=0.15)
    for ax, column in zip(axes, ("accuracy", "loss"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(column)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    n_seeds = history["seed"].nunique()
    fig.suptitle(f"Training curves: mean and min-max band over {n_seeds} seeds")
    return fig


def topology_heatmaps(summaries: pd.DataFrame, model: str, *, split: str = "test") -> Figure:
    """Layer x epoch heatmaps for one model (mean over seeds, all labels together): significant b0,
    significant b1 and the class purity of the H0 merge tree."""
    panels = [
        ("betti_significant", 0, "significant b0"),
        ("betti_significant", 1, "significant b1"),
        ("class_purity", 0, "class purity (H0 tree)"),
    ]
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels))
    rows = summaries[(summaries["model"] == model) & (summaries["split"] == split) & (summaries["label"] == "all")]
    for ax, (column, dim, title) in zip(axes, panels, strict=True):
        table = rows[rows["dim"] == dim].pivot_table(
            index=["layer_index", "layer"], columns="epoch", values=column, aggfunc="mean"
        )
        if table.empty:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", color="grey", transform=ax.transAxes)
            ax.set_title(title)
            ax.set_axis_off()
            continue
        values = table.to_numpy(dtype=float)
        image = ax.imshow(values, aspect="auto", cmap="viridis", origin="upper")
        ax.set_yticks(range(len(table.index)), [layer for _, layer in table.index])
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_xlabel("epoch")
        ax.set_title(title)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7, color="white")
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(f"'{model}': topology of the {split} cloud by layer and epoch (mean over seeds)")
    return fig
