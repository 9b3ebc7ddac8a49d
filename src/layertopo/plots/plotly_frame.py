"""The frame of every interactive (plotly) figure: the subplot grid, "no data" notes and the view dropdown.

A figure with several views (split and label, metric and homology dimension) queues each trace in a
``Views`` under the view it belongs to; ``finish_views`` adds them in one batch, shows the default view and
adds the dropdown that toggles trace visibility and swaps the "no data" notes and colour ranges.
The figure builders are in ``layertopo.plots.interactive``, the traces they draw in
``layertopo.plots.plotly_traces``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: What an empty panel or a missing cell says.
NO_DATA = "no data"
#: The plotly template of every report figure.
TEMPLATE = "plotly_white"
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
        """Queue ``trace`` for subplot (row, col) in ``view`` (added in one batch by ``finish_views``)."""
        trace.visible = view == self.default
        self.placed.append((trace, row, col))
        self.trace_view.append(view)


def subplots(rows: int, cols: int, titles: list[str], **kwargs: Any) -> go.Figure:
    """A grid of subplots in the report's template (at least one column so an empty figure can say so)."""
    cols = max(cols, 1)
    titles = titles if titles else [NO_DATA]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.1, **kwargs)
    fig.update_layout(template=TEMPLATE, margin={"t": 70, "b": 50, "l": 70, "r": 30})
    return fig


def share_rows(fig: go.Figure, n_rows: int, n_cols: int) -> None:
    """Give every subplot of a row the y range of the row's first subplot (models compare at a glance)."""
    for row, col in product(range(1, n_rows + 1), range(2, n_cols + 1)):
        first = (row - 1) * n_cols + 1
        fig.update_yaxes(matches="y" if first == 1 else f"y{first}", row=row, col=col)


def subplot_refs(fig: go.Figure, row: int, col: int) -> tuple[str, str]:
    """The ``x{n} domain`` / ``y{n} domain`` references of one subplot."""
    sub = fig.get_subplot(row, col)
    return f"{sub.xaxis.plotly_name.replace('axis', '')} domain", f"{sub.yaxis.plotly_name.replace('axis', '')} domain"


def mark_empty(fig: go.Figure, row: int, col: int) -> None:
    """Say "no data" in subplot (row, col); an empty trace makes plotly.js draw the subplot's axes at all."""
    fig.add_trace(go.Scatter(x=[None], y=[None], showlegend=False, hoverinfo="skip"), row=row, col=col)
    fig.add_annotation(no_data_note(*subplot_refs(fig, row, col)))


def no_data_note(xref: str, yref: str, text: str = NO_DATA) -> dict[str, Any]:
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


def finish_views(fig: go.Figure, views: Views, title: str) -> None:
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
