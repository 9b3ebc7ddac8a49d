"""Figure builders: they take tables and return figures; they never write files."""

from layertopo.plots.static import topology_heatmaps, training_curves

__all__ = ["topology_heatmaps", "training_curves"]
