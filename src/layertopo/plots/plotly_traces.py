"""The traces of the interactive (plotly) figures: min-max bands, layer x epoch heatmaps, lines along depth.

Each helper turns one of the grids or bands of ``layertopo.plots.tables`` into plotly traces, either added to
a figure directly or queued in a ``Views`` (``layertopo.plots.plotly_frame``) under the view they belong to.
A missing cell stays a gap (NaN); an empty grid gets a "no data" note.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from layertopo.plots.plotly_frame import NO_DATA, Views, no_data_note, subplot_refs
from layertopo.plots.tables import Grid

#: One colour per model column, in order (repeated past six models).
MODEL_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
#: Line dash of each split: test solid, train dashed, train+test dotted.
SPLIT_DASH = {"test": "solid", "train": "dash", "all": "dot"}


def cell_text(value: float) -> str:
    """A heatmap cell's label: three significant digits, or "no data" for a gap."""
    return f"{value:.3g}" if np.isfinite(value) else NO_DATA


def band_traces(band: pd.DataFrame, name: str, color: str, split: str, legend: bool) -> list[go.Scatter]:
    """Upper edge, lower edge (filled to the upper) and the mean line of one min-max band."""
    x = band.index.to_numpy()
    fill = rgba(color, 0.15)
    edge = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False, "legendgroup": split}
    return [
        go.Scatter(x=x, y=band["max"].to_numpy(), **edge),
        go.Scatter(x=x, y=band["min"].to_numpy(), fill="tonexty", fillcolor=fill, **edge),
        go.Scatter(
            x=x,
            y=band["mean"].to_numpy(),
            mode="lines" if len(band) > 2 else "lines+markers",  # a run cut short still shows its points
            line={"color": color, "dash": SPLIT_DASH.get(split, "solid")},
            name=name,
            legendgroup=split,
            showlegend=legend,
            customdata=np.stack([band["min"], band["max"], band["n"]], axis=1),
            hovertemplate=f"{name} %{{y:.4f}} (min %{{customdata[0]:.4f}}, max %{{customdata[1]:.4f}}, "
            "%{customdata[2]} seeds)<extra></extra>",
        ),
    ]


def rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` as an ``rgba(r,g,b,alpha)`` string (the translucent fill of a band)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def epoch_colors(epochs: list[int]) -> dict[int, str]:
    """A Viridis colour per snapshot epoch, from dark (first) to light (last)."""
    if not epochs:
        return {}
    points = [0.0] if len(epochs) == 1 else list(np.linspace(0.0, 0.9, len(epochs)))
    return dict(zip(epochs, sample_colorscale("Viridis", points), strict=True))


def epoch_pairs(grid: Grid) -> Grid:
    """Relabel an ``epoch_to_next`` grid's columns ``"e → next"`` (the last snapshot has no next)."""
    labels = [f"{a}→{b}" for a, b in zip(grid.epochs[:-1], grid.epochs[1:], strict=True)]
    return Grid(grid.mean[:, :-1], grid.low[:, :-1], grid.high[:, :-1], grid.count[:, :-1], grid.layers, labels)


def add_heatmap_row(
    fig: go.Figure,
    views: Views,
    grids: dict[tuple[int, str], Grid],
    position: tuple[int, int],
    models: list[str],
    title: str,
) -> None:
    """One heatmap per (view, model) in row ``position[0]`` of ``position[1]`` rows, sharing one coloraxis:
    one colour bar per row, whose range spans the models of the view shown (the dropdown resets it)."""
    row, n_rows = position
    axis = f"coloraxis{row if row > 1 else ''}"
    for view in {v for v, _ in grids}:
        low, high = value_range([g for (v, _), g in grids.items() if v == view])
        views.layout.setdefault(view, {}).update({f"{axis}.cmin": low, f"{axis}.cmax": high})
    bar = {"len": 0.85 / n_rows, "y": 1 - (row - 0.5) / n_rows, "thickness": 12, "title": {"text": title}}
    fig.update_layout({axis: {"colorscale": "Viridis", "colorbar": bar}})
    for (view, model), grid in grids.items():
        col = models.index(model) + 1
        views.add(heatmap_trace(grid, axis, model), row, col, view)
        if grid.empty:
            views.notes.setdefault(view, []).append(no_data_note(*subplot_refs(fig, row, col)))


def value_range(grids: list[Grid]) -> tuple[float, float]:
    """Smallest and largest finite mean over ``grids`` ((0, 1) when none; widened when they are equal)."""
    finite = np.concatenate([g.mean[np.isfinite(g.mean)] for g in grids] + [np.array([])])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return low, high if high > low else low + 1.0


def heatmap_trace(grid: Grid, coloraxis: str, model: str) -> go.Heatmap:
    """A layer x epoch heatmap whose cells show the mean (or "no data") and hover the seed spread."""
    text = [[cell_text(v) for v in line] for line in grid.mean]
    custom = np.stack([grid.low, grid.high, grid.count], axis=-1)
    return go.Heatmap(
        z=grid.mean,
        x=[str(e) for e in grid.epochs],
        y=grid.layers,
        coloraxis=coloraxis,
        text=text,
        texttemplate="%{text}",
        customdata=custom,
        name=model,
        hovertemplate="%{y}, epoch %{x}: %{text}<br>min %{customdata[0]:.4g}, max %{customdata[1]:.4g} over "
        "%{customdata[2]} seeds<extra>" + model + "</extra>",
        xgap=1,
        ygap=1,
    )


def add_depth_lines(
    fig: go.Figure, views: Views, view: int, grid: Grid, colors: dict[Any, str], row: int, col: int, legend: bool
) -> None:
    """One line per epoch column of ``grid`` along its layers; a "no data" note when the grid is empty."""
    palette = list(colors.values())
    for j, epoch in enumerate(grid.epochs):
        mean = grid.mean[:, j]
        views.add(
            go.Scatter(
                x=grid.layers,
                y=mean,
                mode="lines+markers",
                name=str(epoch),
                legendgroup=str(epoch),
                showlegend=legend and view == views.default,
                line={"color": palette[j % len(palette)] if palette else None},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": np.clip(grid.high[:, j] - mean, 0, None),
                    "arrayminus": np.clip(mean - grid.low[:, j], 0, None),
                    "thickness": 1,
                    "width": 3,
                },
                hovertemplate="%{x}: %{y:.4g}<extra>epoch " + str(epoch) + "</extra>",
            ),
            row,
            col,
            view,
        )
    if grid.empty:
        views.notes.setdefault(view, []).append(no_data_note(*subplot_refs(fig, row, col)))
