"""Figure builders: they take tables and return figures; they never write files.

``static`` holds matplotlib figures (PNG/SVG), ``interactive`` the plotly figures of the HTML report,
``drilldown`` the per-cloud data the report's drill-down draws, ``tables`` the numbers behind them all.
Plotly is imported only when ``layertopo.plots.interactive`` is.
"""

from layertopo.plots.static import (
    architecture_diagram,
    depth_profiles,
    diagram_grid,
    projection_grid,
    topology_heatmaps,
    train_test_heatmaps,
    training_curves,
    transformation_lines,
)

__all__ = [
    "architecture_diagram",
    "depth_profiles",
    "diagram_grid",
    "projection_grid",
    "topology_heatmaps",
    "train_test_heatmaps",
    "training_curves",
    "transformation_lines",
]
