"""Interactive plotly figures for the HTML report; the models side by side, one column each.

Every builder takes tables and returns a ``plotly.graph_objects.Figure``; none writes a file. A choice
among views (split and label, metric and homology dimension) is a dropdown that toggles trace visibility.
A panel without data carries a "no data" note; a missing cell is a gap (NaN).

The figures' frame (subplot grid, notes, dropdown) is in ``layertopo.plots.plotly_frame``, the traces they
draw in ``layertopo.plots.plotly_traces``; their names used by callers are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from layertopo.plots.plotly_frame import (
    NO_DATA,
    PLOTLY_CONFIG,
    TEMPLATE,
    Views,
    finish_views,
    mark_empty,
    share_rows,
    subplots,
)
from layertopo.plots.plotly_traces import (
    MODEL_COLORS,
    SPLIT_DASH,
    add_depth_lines,
    add_heatmap_row,
    band_traces,
    epoch_colors,
    epoch_pairs,
)
from layertopo.plots.tables import (
    DISTANCE_KINDS,
    QUANTITIES,
    SummaryCube,
    distance_grid,
    training_band,
)

__all__ = [
    "MODEL_COLORS",
    "NO_DATA",
    "PLOTLY_CONFIG",
    "SHORT_TITLES",
    "SPLIT_DASH",
    "TEMPLATE",
    "Views",
    "architecture_figure",
    "depth_profile_figure",
    "drilldown_figure",
    "topology_heatmap_figure",
    "train_test_figure",
    "training_figure",
    "transformation_figure",
]

#: Colour-bar titles of the topology quantities (``layertopo.plots.tables.QUANTITIES`` keys).
SHORT_TITLES = {"b0": "b0", "b1": "b1", "tp0": "TP H0", "tp1": "TP H1", "purity": "purity"}


def architecture_figure(architectures: dict[str, list[tuple[str, int]]], activations: dict[str, str]) -> go.Figure:
    """Each model's layer widths as a bar per layer, centred on zero (the network's silhouette).

    Parameters
    ----------
    architectures : model -> [(layer name, width), ...] from the input to the logits
    activations : model -> activation function name
    """
    models = list(architectures)
    fig = subplots(1, max(len(models), 1), [f"{m} ({activations.get(m, '?')})" for m in models] or [NO_DATA])
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
        mark_empty(fig, 1, 1)
    fig.update_yaxes(title_text="width (units)", col=1, zeroline=True)
    share_rows(fig, 1, len(models))
    fig.update_layout(height=330, showlegend=False, bargap=0.25)
    return fig


def training_figure(history: pd.DataFrame, models: list[str], snapshots: Sequence[int] = ()) -> go.Figure:
    """Accuracy (top) and loss (bottom) over epochs, one column per model: mean over seeds with a min-max band;
    test solid, train dashed; dotted vertical lines at the snapshot epochs."""
    fig = subplots(2, len(models), [f"{m}: {c}" for c, m in product(("accuracy", "loss"), models)])
    for (row, column), (col, model) in product(enumerate(("accuracy", "loss"), 1), enumerate(models, 1)):
        drawn = False
        for split in ("test", "train"):
            band = training_band(history, model=model, split=split, column=column)
            if band["mean"].notna().any():
                drawn = True
                first = row == 1 and col == 1
                for trace in band_traces(band, f"{split}", MODEL_COLORS[(col - 1) % 6], split, first):
                    fig.add_trace(trace, row=row, col=col)
        if not drawn:
            mark_empty(fig, row, col)
        fig.update_yaxes(title_text=column, row=row, col=1)
    axes = range(1, 2 * len(models) + 1)  # one layout update, not add_vline's per subplot and epoch (0.5 s)
    fig.update_layout(
        shapes=[
            {
                "type": "line",
                "x0": epoch,
                "x1": epoch,
                "xref": f"x{k if k > 1 else ''}",
                "y0": 0,
                "y1": 1,
                "yref": f"y{k if k > 1 else ''} domain",
                "line": {"color": "#999", "dash": "dot", "width": 1},
            }
            for epoch in snapshots
            for k in axes
        ]
    )
    fig.update_xaxes(title_text="epoch", row=2)
    share_rows(fig, 2, len(models))
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
    fig = subplots(len(QUANTITIES), len(models), titles, vertical_spacing=0.06)
    cube = SummaryCube(summaries, sorted({q[1] for q in QUANTITIES}))
    for row, (key, column, dim, _) in enumerate(QUANTITIES, start=1):
        grids = {
            (view, m): cube.grid(model=m, column=column, dim=dim, split=s, label=lab, layers=layers[m], epochs=epochs)
            for (view, (s, lab)), m in product(enumerate(combos), models)
        }
        add_heatmap_row(fig, views, grids, (row, len(QUANTITIES)), models, SHORT_TITLES.get(key, key))
    finish_views(fig, views, "split · label")
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
    fig = subplots(len(QUANTITIES), len(models), titles, vertical_spacing=0.06)
    colors = epoch_colors(epochs)
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
            add_depth_lines(fig, views, view, grid, colors, row, col, first)
    finish_views(fig, views, "split · label")
    fig.update_xaxes(type="category")
    share_rows(fig, len(QUANTITIES), len(models))
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
    fig = subplots(len(DISTANCE_KINDS), len(models), titles, vertical_spacing=0.09)
    colors = epoch_colors(epochs)
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
                grid = epoch_pairs(grid)
            first = row == 1 and col == 1
            add_depth_lines(fig, views, view, grid, colors, row, col, first)
    finish_views(fig, views, "metric · dim · split")
    fig.update_xaxes(type="category")
    share_rows(fig, len(DISTANCE_KINDS), len(models))
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
    fig = subplots(1, len(models), [f"{m}: train vs test" for m in models])
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
    add_heatmap_row(fig, views, grids, (1, 1), models, "distance")
    finish_views(fig, views, "metric · dim")
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


# --- the views a dropdown offers ---------------------------------------------------------------------


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
