"""Persistent homology of point clouds: validation, subsampling, engines, significance, summaries."""

from layertopo.topology.diagrams import PersistenceResult, persistence_diagrams
from layertopo.topology.distances import (
    bottleneck_distance,
    bottleneck_within,
    diagram_distance,
    pairwise_distances,
    wasserstein_distance,
    wasserstein_distances,
)
from layertopo.topology.engines import mst_edge_lengths
from layertopo.topology.significance import Significance, significant_features, universal_null_pvalues
from layertopo.topology.subsample import maxmin_subsample, random_subsample
from layertopo.topology.summaries import betti_curve, diagram_statistics, pca_dims, summarize
from layertopo.topology.validation import CheckedCloud, CloudError, check_cloud

__all__ = [
    "CheckedCloud",
    "CloudError",
    "PersistenceResult",
    "Significance",
    "betti_curve",
    "bottleneck_distance",
    "bottleneck_within",
    "check_cloud",
    "diagram_distance",
    "diagram_statistics",
    "maxmin_subsample",
    "mst_edge_lengths",
    "pairwise_distances",
    "pca_dims",
    "persistence_diagrams",
    "random_subsample",
    "significant_features",
    "summarize",
    "universal_null_pvalues",
    "wasserstein_distance",
    "wasserstein_distances",
]
