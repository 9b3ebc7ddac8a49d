"""Which bars are topological signal and which are sampling noise.

FINDINGS §2: in sparse, high-dimensional activation clouds raw Betti counts are noise, and a
threshold relative to the diameter is hidden by outliers. The method here is scale-free and
density-aware, and is validated on shapes of known topology (``tests/topology/test_known_shapes.py``):

**H0 (components).** Drop the sparsest ``1 - density_keep`` of the points (largest distance to their
``k``-th nearest neighbour), then take single-linkage merge heights (minimum spanning tree edges)
of the rest. A merge higher than ``h0_factor`` times the median ``k``-NN distance of the kept points
joins two significant components. ``b0 = 1 + #{such merges}``.

**H1 and up (loops, voids).** The universal null distribution of Bobrowski & Skraba ("A universal
null-distribution for topological data analysis", Sci. Rep. 13, 2023): for a bar with
``pi = death / birth``, ``l = log log pi - mean(log log pi) - euler_gamma`` follows a left-skewed
Gumbel law under noise, so its p-value is ``exp(-exp(l))``. A bar is significant when its p-value is
below ``alpha / m`` (Bonferroni over the ``m`` finite bars of that dimension), or when its ratio
``pi`` reaches ``ratio_min`` (3.5 by default). The second clause matters where the null cannot be
estimated (a clean circle has one or two bars) or is conservative (a 2-manifold such as a torus at
a few hundred points gives signal p-values near 1e-3.5, just above a Bonferroni level): on the
known shapes, noise bars never exceeded pi = 2.75 and true loops never fell below pi = 4.5
(n <= 1000, noise <= 5 %, see ``benchmarks/known_shapes.py``). A class still alive at the
filtration threshold (``death = inf``) counts as significant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layertopo.config import SignificanceConfig
from layertopo.topology.engines import mst_edge_lengths
from layertopo.topology.metrics import distance_matrix, finite_distance_matrix

EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class Significance:
    """Significant Betti numbers and the evidence behind them.

    Attributes
    ----------
    betti : significant Betti number per homology dimension
    h0_scale : the median k-NN distance of the kept points (the H0 reference scale)
    h0_merges : ndarray of shape (n_kept - 1,), sorted single-linkage merge heights of the kept points
    kept : ndarray of shape (n_kept,), indices of the points kept by the density filter
    pvalues : per dimension >= 1, ndarray of shape (k_i,), p-values of the bars (nan for infinite bars)
    """

    betti: tuple[int, ...]
    h0_scale: float
    h0_merges: np.ndarray
    kept: np.ndarray
    pvalues: tuple[np.ndarray, ...]


def significant_features(
    points: np.ndarray,
    dgms: list[np.ndarray],
    config: SignificanceConfig,
    *,
    metric: str = "euclidean",
    knn_k: int = 14,
) -> Significance:
    """Significant Betti numbers of a cloud from its points (for H0) and its diagrams (for H1+).

    Parameters
    ----------
    points : ndarray of shape (n, n_features), the cloud the diagrams were computed on
    dgms : list of ndarray of shape (k_i, 2), its diagrams, dimensions 0..maxdim
    config : k, density_keep, h0_factor, alpha, ratio_min
    metric, knn_k : the distance the diagrams were computed with (H0 merges use the same one)
    """
    D, _ = finite_distance_matrix(distance_matrix(points, metric, k=knn_k))
    kept, scale, merges = h0_merge_heights(D, k=config.k, density_keep=config.density_keep)
    b0 = 1 + int(np.sum(merges > config.h0_factor * scale)) if scale > 0 else 1
    betti = [b0]
    pvalues = []
    for dgm in dgms[1:]:
        p = universal_null_pvalues(dgm)
        finite = np.isfinite(dgm[:, 1]) & (dgm[:, 0] > 0)
        level = config.alpha / max(int(finite.sum()), 1)
        ratio = np.divide(dgm[:, 1], dgm[:, 0], out=np.ones(len(dgm)), where=finite)
        significant = (p < level) | (finite & (ratio >= config.ratio_min)) | np.isinf(dgm[:, 1])
        betti.append(int(significant.sum()))
        pvalues.append(p)
    return Significance(tuple(betti), scale, merges, kept, tuple(pvalues))


def density_filter(D: np.ndarray, *, k: int, keep: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the densest ``keep`` fraction of points, and every point's distance to its k-th neighbour.

    Parameters
    ----------
    D : ndarray of shape (n, n), pairwise distances

    Returns
    -------
    kept : ndarray of shape (n_kept,), sorted indices
    knn : ndarray of shape (n,), distance of each point to its ``k``-th nearest other point
    """
    n = len(D)
    k = min(k, n - 1)
    if k < 1:
        return np.arange(n), np.zeros(n)
    knn = np.partition(D, k, axis=1)[:, k]  # column 0 is the point itself (distance 0)
    n_kept = max(2, int(np.ceil(keep * n)))
    kept = np.sort(np.argsort(knn, kind="stable")[:n_kept])
    return kept, knn


def h0_merge_heights(D: np.ndarray, *, k: int, density_keep: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Density-filter a cloud given its distances D (n, n) and return (kept indices, median k-NN distance
    of the kept points, sorted single-linkage merge heights of the kept points)."""
    if len(D) < 2:
        return np.arange(len(D)), 0.0, np.empty(0)
    kept, knn = density_filter(D, k=k, keep=density_keep)
    merges = np.sort(mst_edge_lengths(D[np.ix_(kept, kept)]))
    return kept, float(np.median(knn[kept])), merges


def universal_null_pvalues(dgm: np.ndarray) -> np.ndarray:
    """Bobrowski-Skraba p-values of the bars of one diagram of dimension >= 1.

    Parameters
    ----------
    dgm : ndarray of shape (k, 2)

    Returns
    -------
    ndarray of shape (k,): p-value of each bar; 1 for bars with zero birth or zero length,
    nan for infinite bars. With fewer than two finite bars there is no null to compare against
    and every finite bar gets p = 1.
    """
    dgm = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    p = np.ones(len(dgm))
    p[np.isinf(dgm[:, 1])] = np.nan
    usable = np.isfinite(dgm[:, 1]) & (dgm[:, 0] > 0) & (dgm[:, 1] > dgm[:, 0])
    if usable.sum() < 2:
        return p
    loglog = np.log(np.log(dgm[usable, 1] / dgm[usable, 0]))
    ell = loglog - loglog.mean() - EULER_GAMMA
    p[usable] = np.exp(-np.exp(ell))
    return p
