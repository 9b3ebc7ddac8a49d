"""Interactive plotly figures for the HTML report; the models side by side, one column each.

Every builder takes tables and returns a ``plotly.graph_objects.Figure``; none writes a file. A choice
among views (split and label, metric and homology dimension) is a dropdown that toggles trace visibility.
A panel without data carries a "no data" note; a missing cell is a gap (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from layertopo.plots.tables import (
    DISTANCE_KINDS,
    QUANTITIES,
    Grid,
    SummaryCube,
    distance_grid,
    training_band,
)

NO_DATA = "no data"
SHORT_TITLES = {"b0": "b0", "b1": "b1", "tp0": "TP H0", "tp1": "TP H1", "purity": "purity"}
TEMPLATE = "plotly_white"
MODEL_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
SPLIT_DASH = {"test": "solid", "train": "dash", "all": "dot"}
#: Plotly options for every report figure: no logo link, no cloud export.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True, "showSendToCloud": False}


@dataclass
class Views:
    """The views of a figure with a dropdown: each trace and each "no data" note belongs to one view."""

    labels: list[str]
    default: int = 0
    trace_view: list[int] = field(default_factory=list)
    placed: list[tuple[Any, int, int]] = field(default_factory=list)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    layout: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, trace: Any, row: int, col: int, view: int) -> None:
        """Queue ``trace`` for subplot (row, col) in ``view`` (added in one batch by ``_finish_views``)."""
        trace.visible = view == self.default
        self.placed.append((trace, row, col))
        self.trace_view.append(view)


def architecture_figure(architectures: dict[str, list[tuple[str, int]]], activations: dict[str, str]) -> go.Figure:
    """Each model's layer widths as a bar per layer, centred on zero (the network's silhouette).

    Parameters
    ----------
    architectures : model -> [(layer name, width), ...] from the input to the logits
    activations : model -> activation function name
    """
    models = list(architectures)
    fig = _subplots(1, max(len(models), 1), [f"{m} ({activations.get(m, '?')})" for m in models] or [NO_DATA])
    for col, model in enumerate(models, start=1):
        names, widths = zip(*architectures[model], strict=True) if architectures[model] else ((), ())
        fig.add_trace(
            go.Bar(
                x=list(names),
                y=list(widths),
                base=[-w / 2 for w in widths],
                text=[str(w) for w in widths],
                textposition="outside",
                marker_color=MODEL_COLORS[(col - 1) % len(MODEL_COLORS)],
                name=model,
                hovertemplate="%{x}: width %{text}<extra>" + model + "</extra>",
            ),
            row=1,
            col=col,
        )
    if not models:
        _mark_empty(fig, 1, 1)
    fig.update_yaxes(title_text="width (units)", col=1, zeroline=True)
    _share_rows(fig, 1, len(models))
    fig.update_layout(height=330, showlegend=False, bargap=0.25)
    return fig


def training_figure(history: pd.DataFrame, models: list[str], snapshots: Sequence[int] = ()) -> go.Figure:
    """Accuracy (top) and loss (bottom) over epochs, one column per model: mean over seeds with a min-max band;
    test solid, train dashed; dotted vertical lines at the snapshot epochs."""
    fig = _subplots(2, len(models), [f"{m}: {c}" for c, m in product(("accuracy", "loss"), models)])
    for (row, column), (col, model) in product(enumerate(("accuracy", "loss"), 1), enumerate(models, 1)):
        drawn = False
        for split in ("test", "train"):
            band = training_band(history, model=model, split=split, column=column)
            if band["mean"].notna().any():
                drawn = True
                first = row == 1 and col == 1
                for trace in _band_traces(band, f"{split}", MODEL_COLORS[(col - 1) % 6], split, first):
                    fig.add_trace(trace, row=row, col=col)
        if not drawn:
            _mark_empty(fig, row, col)
        fig.update_yaxes(title_text=column, row=row, col=1)
    for epoch in snapshots:
        fig.add_vline(x=epoch, line_dash="dot", line_color="#999", line_width=1)
    fig.update_xaxes(title_text="epoch", row=2)
    _share_rows(fig, 2, len(models))
    fig.update_layout(height=560, hovermode="x unified")
    return fig


def topology_heatmap_figure(
    summaries: pd.DataFrame, models: list[str], layers: dict[str, list[str]], epochs: list[int]
) -> go.Figure:
    """Layer x epoch heatmaps, one row per quantity (significant b0, b1, total persistence H0, H1, class
    purity) and one column per model, each cell the mean over seeds; a dropdown picks split and label.
    Rows share one colour scale across models."""
    combos = _split_label_combos(summaries)
    views = Views([f"{s} · label {lab}" for s, lab in combos], default=_default_combo(combos))
    titles = [f"{m}: {q[3]}" for q, m in product(QUANTITIES, models)]
    fig = _subplots(len(QUANTITIES), len(models), titles, vertical_spacing=0.06)
    cube = SummaryCube(summaries, sorted({q[1] for q in QUANTITIES}))
    for row, (key, column, dim, _) in enumerate(QUANTITIES, start=1):
        grids = {
            (view, m): cube.grid(model=m, column=column, dim=dim, split=s, label=lab, layers=layers[m], epochs=epochs)
            for (view, (s, lab)), m in product(enumerate(combos), models)
        }
        _add_heatmap_row(fig, views, grids, (row, len(QUANTITIES)), models, SHORT_TITLES.get(key, key))
    _finish_views(fig, views, "split · label")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    fig.update_xaxes(title_text="epoch", row=len(QUANTITIES))
    fig.update_layout(height=230 * len(QUANTITIES) + 120, plot_bgcolor="#e6e6e6")
    return fig


def depth_profile_figure(
    summaries: pd.DataFrame, models: list[str], layers: dict[str, list[str]], epochs: list[int]
) -> go.Figure:
    """Each quantity along depth (x: layer), one line per snapshot epoch (mean over seeds, min-max error bars),
    one column per model; a dropdown picks split and label; the legend toggles epochs."""
    combos = _split_label_combos(summaries)
    views = Views([f"{s} · label {lab}" for s, lab in combos], default=_default_combo(combos))
    titles = [f"{m}: {q[3]}" for q, m in product(QUANTITIES, models)]
    fig = _subplots(len(QUANTITIES), len(models), titles, vertical_spacing=0.06)
    colors = _epoch_colors(epochs)
    cube = SummaryCube(summaries, sorted({q[1] for q in QUANTITIES}))
    for (row, (_, column, dim, _)), (col, model) in product(enumerate(QUANTITIES, 1), enumerate(models, 1)):
        for view, (split, label) in enumerate(combos):
            grid = cube.grid(
                model=model,
                column=column,
                dim=dim,
                split=split,
                label=label,
                layers=layers[model],
                epochs=epochs,
            )
            first = row == 1 and col == 1
            _add_depth_lines(fig, views, view, grid, colors, row, col, first)
    _finish_views(fig, views, "split · label")
    fig.update_xaxes(type="category")
    _share_rows(fig, len(QUANTITIES), len(models))
    fig.update_layout(height=230 * len(QUANTITIES) + 120, legend_title_text="epoch")
    return fig


def transformation_figure(
    distances: pd.DataFrame, models: list[str], layers: dict[str, list[str]], epochs: list[int]
) -> go.Figure:
    """Diagram distances along depth: each layer to the next, each layer to the input, and each layer to
    itself at the next snapshot; one line per epoch, one column per model; a dropdown picks the metric,
    the homology dimension and the split. Diagrams are scaled by their cloud's RMS radius."""
    combos = _distance_combos(distances, with_split=True)
    views = Views([_distance_label(c) for c in combos], default=0)
    titles = [f"{m}: {t}" for (_, t), m in product(DISTANCE_KINDS, models)]
    fig = _subplots(len(DISTANCE_KINDS), len(models), titles, vertical_spacing=0.09)
    colors = _epoch_colors(epochs)
    for (row, (kind, _)), (col, model) in product(enumerate(DISTANCE_KINDS, 1), enumerate(models, 1)):
        for view, (metric, dim, split) in enumerate(combos):
            grid = distance_grid(
                distances,
                model=model,
                kind=kind,
                dim=dim,
                split=split,
                metric=metric,
                layers=layers[model],
                epochs=epochs,
            )
            if kind == "epoch_to_next":
                grid = _epoch_pairs(grid)
            first = row == 1 and col == 1
            _add_depth_lines(fig, views, view, grid, colors, row, col, first)
    _finish_views(fig, views, "metric · dim · split")
    fig.update_xaxes(type="category")
    _share_rows(fig, len(DISTANCE_KINDS), len(models))
    fig.update_yaxes(title_text="distance", col=1)
    fig.update_layout(height=300 * len(DISTANCE_KINDS) + 120, legend_title_text="epoch")
    return fig


def train_test_figure(
    distances: pd.DataFrame, models: list[str], layers: dict[str, list[str]], epochs: list[int]
) -> go.Figure:
    """Layer x epoch heatmaps of the diagram distance between the train and the test cloud, one column per
    model (mean over seeds, one colour scale); a dropdown picks the metric and homology dimension."""
    combos = _distance_combos(distances, with_split=False)
    views = Views([_distance_label(c) for c in combos], default=0)
    fig = _subplots(1, len(models), [f"{m}: train vs test" for m in models])
    grids = {
        (view, model): distance_grid(
            distances,
            model=model,
            kind="train_test",
            dim=dim,
            split="train",
            metric=metric,
            layers=layers[model],
            epochs=epochs,
        )
        for (view, (metric, dim, _)), model in product(enumerate(combos), models)
    }
    _add_heatmap_row(fig, views, grids, (1, 1), models, "distance")
    _finish_views(fig, views, "metric · dim")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", title_text="epoch")
    fig.update_layout(height=420, plot_bgcolor="#e6e6e6")
    return fig


def drilldown_figure() -> go.Figure:
    """The drill-down's frame: projection, persistence diagram and barcode side by side, without data
    (the report's script fills them for the chosen model, seed, layer, split and epoch)."""
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=["activations (PCA)", "persistence diagram", "barcode (longest bars)"],
        horizontal_spacing=0.07,
    )
    fig.update_xaxes(title_text="birth", col=2)
    fig.update_yaxes(title_text="death", col=2)
    fig.update_xaxes(title_text="filtration value", col=3)
    fig.update_yaxes(title_text="bar (longest first)", col=3, autorange="reversed", showticklabels=False)
    fig.update_layout(template=TEMPLATE, height=460, margin={"t": 40, "b": 50, "l": 50, "r": 20})
    return fig


# --- helpers ------------------------------------------------------------------------------------------


def _subplots(rows: int, cols: int, titles: list[str], **kwargs: Any) -> go.Figure:
    """A grid of subplots in the report's template (at least one column so an empty figure can say so)."""
    cols = max(cols, 1)
    titles = titles if titles else [NO_DATA]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.1, **kwargs)
    fig.update_layout(template=TEMPLATE, margin={"t": 70, "b": 50, "l": 70, "r": 30})
    return fig


def _share_rows(fig: go.Figure, n_rows: int, n_cols: int) -> None:
    """Give every subplot of a row the y range of the row's first subplot (models compare at a glance)."""
    for row, col in product(range(1, n_rows + 1), range(2, n_cols + 1)):
        first = (row - 1) * n_cols + 1
        fig.update_yaxes(matches="y" if first == 1 else f"y{first}", row=row, col=col)


def _refs(fig: go.Figure, row: int, col: int) -> tuple[str, str]:
    """The ``x{n} domain`` / ``y{n} domain`` references of one subplot."""
    sub = fig.get_subplot(row, col)
    return f"{sub.xaxis.plotly_name.replace('axis', '')} domain", f"{sub.yaxis.plotly_name.replace('axis', '')} domain"


def _mark_empty(fig: go.Figure, row: int, col: int) -> None:
    """Say "no data" in subplot (row, col); an empty trace makes plotly.js draw the subplot's axes at all."""
    fig.add_trace(go.Scatter(x=[None], y=[None], showlegend=False, hoverinfo="skip"), row=row, col=col)
    fig.add_annotation(_note(*_refs(fig, row, col)))


def _note(xref: str, yref: str, text: str = NO_DATA) -> dict[str, Any]:
    """A grey "no data" label in the middle of a subplot."""
    return {
        "text": text,
        "xref": xref,
        "yref": yref,
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 15, "color": "#888"},
        "bgcolor": "rgba(255,255,255,0.8)",
    }


def _fmt(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else NO_DATA


def _band_traces(band: pd.DataFrame, name: str, color: str, split: str, legend: bool) -> list[go.Scatter]:
    """Upper edge, lower edge (filled to the upper) and the mean line of one min-max band."""
    x = band.index.to_numpy()
    fill = _rgba(color, 0.15)
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


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _split_label_combos(summaries: pd.DataFrame) -> list[tuple[str, str]]:
    """(split, label) pairs present in the table, splits in train/test/all order, labels 'all' first."""
    if summaries.empty:
        return [("test", "all")]
    splits = sorted(
        summaries["split"].unique(),
        key=lambda s: ("test", "train", "all").index(s) if s in ("test", "train", "all") else 9,
    )
    labels = sorted(summaries["label"].unique(), key=lambda lab: (lab != "all", str(lab)))
    return [(str(s), str(lab)) for s, lab in product(splits, labels)]


def _default_combo(combos: list[tuple[str, str]]) -> int:
    return combos.index(("test", "all")) if ("test", "all") in combos else 0


def _distance_combos(distances: pd.DataFrame, *, with_split: bool) -> list[tuple[str, int, str]]:
    """(metric, dim, split) views: bottleneck first, H0 first, the test split first; a metric that was not
    computed for a dimension (no finite value: H1 Wasserstein, see ``layertopo.topology.comparisons``) gets
    no view."""
    dims = sorted(int(d) for d in distances["dim"].unique()) if not distances.empty else [0]
    splits = ["test", "train", "all"]
    if with_split and not distances.empty:
        present = set(distances.loc[distances["kind"] != "train_test", "split"])
        splits = [s for s in splits if s in present] or ["test"]
    splits = splits if with_split else [""]
    metrics = [
        (metric, dim)
        for metric, dim in product(("bottleneck", "wasserstein"), dims)
        if distances.empty or metric not in distances or distances.loc[distances["dim"] == dim, metric].notna().any()
    ]
    return [(metric, dim, split) for metric, dim in metrics for split in splits]


def _distance_label(combo: tuple[str, int, str]) -> str:
    metric, dim, split = combo
    return f"{metric} · H{dim}" + (f" · {split}" if split else "")


def _epoch_colors(epochs: list[int]) -> dict[int, str]:
    if not epochs:
        return {}
    points = [0.0] if len(epochs) == 1 else list(np.linspace(0.0, 0.9, len(epochs)))
    return dict(zip(epochs, sample_colorscale("Viridis", points), strict=True))


def _epoch_pairs(grid: Grid) -> Grid:
    """Relabel an ``epoch_to_next`` grid's columns ``"e → next"`` (the last snapshot has no next)."""
    labels = [f"{a}→{b}" for a, b in zip(grid.epochs[:-1], grid.epochs[1:], strict=True)]
    return Grid(grid.mean[:, :-1], grid.low[:, :-1], grid.high[:, :-1], grid.count[:, :-1], grid.layers, labels)


def _add_heatmap_row(
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
        low, high = _value_range([g for (v, _), g in grids.items() if v == view])
        views.layout.setdefault(view, {}).update({f"{axis}.cmin": low, f"{axis}.cmax": high})
    bar = {"len": 0.85 / n_rows, "y": 1 - (row - 0.5) / n_rows, "thickness": 12, "title": {"text": title}}
    fig.update_layout({axis: {"colorscale": "Viridis", "colorbar": bar}})
    for (view, model), grid in grids.items():
        col = models.index(model) + 1
        views.add(_heatmap(grid, axis, model), row, col, view)
        if grid.empty:
            views.notes.setdefault(view, []).append(_note(*_refs(fig, row, col)))


def _value_range(grids: list[Grid]) -> tuple[float, float]:
    """Smallest and largest finite mean over ``grids`` ((0, 1) when none; widened when they are equal)."""
    finite = np.concatenate([g.mean[np.isfinite(g.mean)] for g in grids] + [np.array([])])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return low, high if high > low else low + 1.0


def _heatmap(grid: Grid, coloraxis: str, model: str) -> go.Heatmap:
    """A layer x epoch heatmap whose cells show the mean (or "no data") and hover the seed spread."""
    text = [[_fmt(v) for v in line] for line in grid.mean]
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


def _add_depth_lines(
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
        views.notes.setdefault(view, []).append(_note(*_refs(fig, row, col)))


def _finish_views(fig: go.Figure, views: Views, title: str) -> None:
    """Show the default view, add the dropdown that switches views (traces and "no data" notes)."""
    base = list(fig.layout.annotations)
    menu_label = {
        "text": title + ":",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.0,
        "yshift": 48,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 12},
    }

    def layout_of(view: int) -> dict[str, Any]:
        return {"annotations": [*base, menu_label, *views.notes.get(view, [])], **views.layout.get(view, {})}

    def visible(view: int) -> list[bool]:
        return [v == view for v in views.trace_view]

    if views.placed:
        traces, rows, cols = zip(*views.placed, strict=True)
        fig.add_traces(list(traces), rows=list(rows), cols=list(cols))
    fig.update_layout(layout_of(views.default))
    buttons = [
        {"label": label, "method": "update", "args": [{"visible": visible(i)}, layout_of(i)]}
        for i, label in enumerate(views.labels)
    ]
    fig.update_layout(
        updatemenus=[
            {
                "buttons": buttons,
                "active": views.default,
                "x": 0.13,
                "y": 1.0,
                "xanchor": "left",
                "yanchor": "bottom",
                "direction": "down",
                "pad": {"b": 38},
                "showactive": True,
            }
        ]
    )
