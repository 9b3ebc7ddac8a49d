"""Synthetic classification datasets with known geometry and topology."""

from layertopo.data.synthetic import (
    DATASETS,
    Dataset,
    concentric_spheres,
    intersecting_spheres,
    linked_circles,
    make_dataset,
    shells,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "concentric_spheres",
    "intersecting_spheres",
    "linked_circles",
    "make_dataset",
    "shells",
]
