"""Numbers that describe one cloud's diagrams: tidy rows, one per homology dimension."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from layertopo.config import SignificanceConfig
from layertopo.topology.diagrams import PersistenceResult
from layertopo.topology.metrics import distance_matrix, finite_distance_matrix
from layertopo.topology.significance import Significance, significant_features


def summarize(
    result: PersistenceResult,
    config: SignificanceConfig,
    labels: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One row per homology dimension with raw and significant counts, persistence and provenance.

    Parameters
    ----------
    result : diagrams of the cloud, from ``persistence_diagrams``
    config : significance parameters (copied into every row)
    labels : ndarray of shape (n_input,), class of each input row, or None. When the cloud holds
        several classes, the H0 row gets ``class_purity``: how well the single-linkage tree of the
        density-filtered cloud, cut into as many clusters as there are classes, separates them
        (1 = perfectly, the majority-class fraction = not at all).
    """
    significance = significant_features(result.points, result.dgms, config, metric=result.metric, knn_k=result.knn_k)
    cloud = {
        "n_input": result.n_input,
        "n_unique": result.n_unique,
        "n_used": result.n_used,
        "n_kept": len(significance.kept),
        "cover_radius": result.cover_radius,
        "h0_scale": significance.h0_scale,
        "pca_dims_95": pca_dims(result.points, 0.95),
        "rms_radius": rms_radius(result.points),
        "engine": result.engine,
        "metric": result.metric,
        "knn_k": result.knn_k if result.metric.startswith("knn") else 0,
        "threshold": result.threshold,
        "cut": result.cut,
        "flags": ",".join(result.flags),
        "significance": "density+knn-scale (H0), universal-null (H1+)",
        "sig_k": config.k,
        "sig_density_keep": config.density_keep,
        "sig_h0_factor": config.h0_factor,
        "sig_alpha": config.alpha,
        "sig_ratio_min": config.ratio_min,
    }
    purity, baseline = _class_purity(result, significance, labels)
    rows = []
    for dim, dgm in enumerate(result.dgms):
        rows.append(
            {
                "dim": dim,
                **diagram_statistics(dgm),
                "betti_significant": significance.betti[dim],
                "class_purity": purity if dim == 0 else np.nan,
                "class_purity_baseline": baseline if dim == 0 else np.nan,
                **cloud,
            }
        )
    return rows


def diagram_statistics(dgm: np.ndarray) -> dict[str, float | int]:
    """Raw counts and persistence of one diagram of shape (k, 2).

    ``total_persistence`` sums the finite lifetimes; ``entropy`` is the Shannon entropy of the finite
    lifetimes normalised to sum 1 (0 when there are fewer than two); ``longest`` and ``second`` are the
    two longest finite lifetimes (0 when absent).
    """
    finite = np.isfinite(dgm[:, 1])
    life = np.sort(dgm[finite, 1] - dgm[finite, 0])[::-1]
    total = float(life.sum())
    if len(life) > 1 and total > 0:
        p = life / total
        entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    else:
        entropy = 0.0
    return {
        "n_bars": int(len(dgm)),
        "n_infinite": int((~finite).sum()),
        "total_persistence": total,
        "entropy": entropy,
        "longest": float(life[0]) if len(life) else 0.0,
        "second": float(life[1]) if len(life) > 1 else 0.0,
    }


def betti_curve(dgm: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Number of bars alive at each scale: ``#{bars with birth <= t < death}`` for t in ``grid``.

    Parameters
    ----------
    dgm : ndarray of shape (k, 2); grid : ndarray of shape (m,)

    Returns
    -------
    ndarray of shape (m,), int64
    """
    grid = np.asarray(grid, dtype=np.float64)
    births = np.sort(dgm[:, 0])
    deaths = np.sort(dgm[:, 1])
    born = np.searchsorted(births, grid, side="right")
    dead = np.searchsorted(deaths, grid, side="right")
    return (born - dead).astype(np.int64)


def rms_radius(points: np.ndarray) -> float:
    """Root mean squared distance of ``points`` (n, f) to their centroid: the cloud's scale."""
    if len(points) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.sum((points - points.mean(axis=0)) ** 2, axis=1))))


def pca_dims(points: np.ndarray, fraction: float = 0.95) -> int:
    """Number of principal directions holding ``fraction`` of the variance of ``points`` (n, f)."""
    if len(points) < 2:
        return 0
    singular = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
    variance = singular**2
    if variance.sum() == 0:
        return 0
    return int(np.searchsorted(np.cumsum(variance) / variance.sum(), fraction) + 1)


def _class_purity(
    result: PersistenceResult, significance: Significance, labels: np.ndarray | None
) -> tuple[float, float]:
    if labels is None or result.rows is None:
        return np.nan, np.nan
    used_labels = np.asarray(labels)[result.rows]
    kept_labels = used_labels[significance.kept]
    classes = np.unique(kept_labels)
    if len(classes) < 2 or len(kept_labels) < len(classes):
        return np.nan, np.nan
    D, _ = finite_distance_matrix(distance_matrix(result.points[significance.kept], result.metric, k=result.knn_k))
    tree = linkage(squareform(D, checks=False), method="single")
    clusters = fcluster(tree, t=len(classes), criterion="maxclust")
    return _purity(clusters, kept_labels), float(np.bincount(kept_labels).max() / len(kept_labels))


def _purity(clusters: np.ndarray, labels: np.ndarray) -> float:
    total = sum(np.bincount(labels[clusters == c]).max() for c in np.unique(clusters))
    return float(total / len(labels))
