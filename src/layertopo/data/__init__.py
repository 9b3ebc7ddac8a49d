"""Synthetic classification datasets with known geometry and topology."""

from layertopo.data.synthetic import (
    DATASETS,
    Dataset,
    best_accuracy,
    concentric_spheres,
    intersecting_spheres,
    linked_circles,
    make_dataset,
    shells,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "best_accuracy",
    "concentric_spheres",
    "intersecting_spheres",
    "linked_circles",
    "make_dataset",
    "shells",
]
