"""Figure builders: they take tables and return figures; they never write files.

``static`` holds matplotlib figures (PNG/SVG), ``interactive`` the plotly figures of the HTML report
(drawn with the subplot frame and view dropdown of ``plotly_frame`` and the traces of ``plotly_traces``),
``drilldown`` the per-cloud data the report's drill-down draws, ``tables`` the numbers behind them all,
``diagrams`` the plotters of one cloud's diagrams that draw on a given ``Axes`` (``plot_diagrams``,
``plot_barcode``, ``plot_betti_curve``).
Plotly is imported only when ``layertopo.plots.interactive`` (or ``plotly_frame``, ``plotly_traces``) is.
"""

from layertopo.plots.diagrams import plot_barcode, plot_betti_curve, plot_diagrams
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
    "plot_barcode",
    "plot_betti_curve",
    "plot_diagrams",
    "projection_grid",
    "topology_heatmaps",
    "train_test_heatmaps",
    "training_curves",
    "transformation_lines",
]
