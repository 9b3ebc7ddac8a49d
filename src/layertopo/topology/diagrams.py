"""``persistence_diagrams``: a point cloud in, persistence diagrams and their provenance out."""

from __future__ import annotations

import functools
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from layertopo.config import TopologyConfig
from layertopo.topology.engines import choose_engine, run_engine, single_linkage, tree_diagrams
from layertopo.topology.metrics import METRICS, distance_matrix, finite_distance_matrix
from layertopo.topology.subsample import SUBSAMPLERS, stratified_subsample
from layertopo.topology.truncation import truncated_diagrams
from layertopo.topology.validation import CloudError, check_cloud

#: clouds smaller than this run the whole filtration even with ``truncate=True``: the RNG bound and the
#: edge counts cost more than the filtration itself there (``layertopo.topology.truncation``)
TRUNCATE_MIN_POINTS = 400

#: Bytes a dense float64 distance matrix may take before the cloud is subsampled with a warning.
DEFAULT_MEMORY_BUDGET = 2 * 1024**3


@dataclass
class PersistenceResult:
    """Diagrams of one cloud and everything needed to interpret them.

    Attributes
    ----------
    dgms : list of ndarray of shape (k_i, 2), float64, one per homology dimension 0..maxdim
    points : ndarray of shape (n_used, n_features), the centred, de-duplicated, subsampled cloud
    n_input : rows given; n_unique : after merging duplicates; n_used : after subsampling
    cover_radius : every unique point lies within this distance of a used point (0 = no subsampling;
        measured in the Euclidean, or cosine, distance of the input space)
    engine, metric, threshold, seconds : how the diagrams were computed
    cut : where the engine cut the filtration to save time and memory without changing the diagrams
        (``layertopo.topology.truncation``); ``inf`` when it ran the whole filtration
    knn_k : neighbours of the k-NN graph (graph metrics only)
    flags : e.g. ``("duplicates", "collapsed", "memory_subsampled")``
    rows : ndarray of shape (n_used,), the input row each used point came from
    distances : ndarray of shape (n_used, n_used), the (finite) distance matrix the engine ran on, kept only
        when asked (``keep_distances=True``: the significance of the same cloud reuses it); else None
    merges : ndarray of shape (n_used - 1, 4), its single-linkage matrix when the distances are kept (the
        significance's merge tree reuses it); else None
    """

    dgms: list[np.ndarray]
    points: np.ndarray
    n_input: int
    n_unique: int
    n_used: int
    cover_radius: float
    engine: str
    metric: str
    threshold: float
    seconds: float
    flags: tuple[str, ...] = field(default=())
    rows: np.ndarray | None = None
    knn_k: int = 14
    cut: float = np.inf
    distances: np.ndarray | None = field(default=None, repr=False, compare=False)
    merges: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __getitem__(self, dim: int) -> np.ndarray:
        return self.dgms[dim]


def persistence_diagrams(
    X: object,
    *,
    maxdim: int = 1,
    metric: str = "euclidean",
    engine: str = "auto",
    max_points: int | None = None,
    subsample: str = "maxmin",
    threshold: float | None = None,
    random_state: int | None = 0,
    knn_k: int = 14,
    n_threads: int = 1,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    truncate: bool = True,
    labels: object | None = None,
    where: str = "",
    keep_distances: bool = False,
) -> PersistenceResult:
    """Vietoris-Rips persistence diagrams of a point cloud.

    Parameters
    ----------
    X : array-like of shape (n_points, n_features)
        The point cloud; rows are points.
    maxdim : int
        Highest homology dimension (0, 1 or 2).
    metric : {"euclidean", "cosine", "knn_hops", "knn_geodesic"}
        Distance between points (``layertopo.topology.metrics``), computed in float64.
    engine : {"auto", "mst", "ripser", "giotto", "gudhi"}
        Persistent-homology engine; all are exact, ``mst`` gives H0 only, ``auto`` picks the fastest.
    max_points : int, optional
        Subsample to at most this many points; None uses every unique point.
    subsample : {"maxmin", "random"}
        Farthest-point landmarks or a uniform random draw.
    threshold : float, optional
        Largest edge length in the filtration (None: no limit); classes alive at the threshold get
        ``death = inf``. Graph metrics cap it at the largest finite graph distance.
    random_state : int, optional
        Seeds the subsampling.
    knn_k : int
        Neighbours of the k-NN graph for the graph metrics.
    n_threads : int
        Threads for engines that use them (giotto-ph).
    memory_budget : int
        Bytes allowed for the distance matrix; a larger cloud is subsampled, with a warning.
    truncate : bool
        For ``maxdim=1`` without a ``threshold`` and at least ``TRUNCATE_MIN_POINTS`` (400) points,
        let the engine stop at the longest edge where an H1 class can be born (growing it while an H1
        bar is still alive): the same diagrams with less time and memory
        (``layertopo.topology.truncation``). False runs the whole filtration.
    labels : array-like of shape (n_points,), optional
        The class of each point: a subsampled cloud then keeps each class's share of the points (quotas
        proportional to class frequency, landmarks chosen within each class), so that class purity is
        measured on the cloud's own class mix.
    where : str
        The cloud's key, named in error messages.
    keep_distances : bool
        Keep the distance matrix in ``result.distances`` (n_used^2 floats), for a caller that needs it again
        (``summarize`` of the same cloud); the default drops it.

    Returns
    -------
    PersistenceResult
    """
    if maxdim not in (0, 1, 2):
        raise ValueError(f"maxdim must be 0, 1 or 2, got {maxdim}")
    if subsample not in SUBSAMPLERS:
        raise ValueError(f"subsample must be one of {sorted(SUBSAMPLERS)}, got {subsample!r}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int | np.integer)):
        raise ValueError(f"max_points must be a whole number >= 1 or None (every point), got {max_points!r}")
    if max_points is not None and max_points < 1:
        raise ValueError(f"max_points must be >= 1 or None (every point), got {max_points}")
    if threshold is not None and not (isinstance(threshold, int | float | np.number) and float(threshold) > 0):
        raise ValueError(f"threshold must be a number > 0 (np.inf or None: no limit), got {threshold!r}")
    start = time.perf_counter()
    cloud = check_cloud(X, where=where, centre=metric != "cosine")
    flags = list(cloud.flags)
    points = cloud.points
    if metric == "cosine":
        points = _cosine_ready(points, where)
    limit = _memory_limit(memory_budget)
    target = len(points) if max_points is None else min(max_points, len(points))
    if target > limit:
        warnings.warn(
            f"cloud{f' ({where})' if where else ''} of {target} points needs a "
            f"{8 * target**2 / 1024**3:.1f} GiB distance matrix, over the memory budget; "
            f"subsampling to {limit} points (raise memory_budget or set max_points to choose)",
            stacklevel=2,
        )
        target = limit
        flags.append("memory_subsampled")
    euclidean_like = "cosine" if metric == "cosine" else "euclidean"
    if labels is None:
        indices, cover = SUBSAMPLERS[subsample](points, target, metric=euclidean_like, random_state=random_state)
    else:
        classes = _check_labels(labels, cloud.n_input, where)[cloud.rows]
        indices, cover = stratified_subsample(
            points, classes, target, method=subsample, metric=euclidean_like, random_state=random_state
        )
    used = points[indices]
    thresh = np.inf if threshold is None else float(threshold)
    chosen = choose_engine(len(used), maxdim) if engine == "auto" else engine
    cut, kept, merges = np.inf, None, None
    if "collapsed" in flags or len(used) == 1:
        dgms = [np.array([[0.0, np.inf]])] + [np.empty((0, 2)) for _ in range(maxdim)]
    else:
        D, thresh = finite_distance_matrix(distance_matrix(used, metric, k=knn_k), thresh)
        kept = D if keep_distances else None
        # the caller's merge tree (the H0 significance) needs the single linkage: computed once, it also gives the
        # H0 engine its tree and the cut its longest tree edge
        merges = single_linkage(D) if keep_distances else None
        unit = engine_unit(D)  # a power of two: dividing by it is exact, and float32 engines stay in range
        if unit != 1.0:
            D, thresh = D / unit, thresh / unit
        scaled = None if merges is None else merges / [1, 1, unit, 1]  # the heights in the engine's unit
        if truncate and maxdim == 1 and thresh == np.inf and chosen != "mst" and len(used) >= TRUNCATE_MIN_POINTS:
            run = functools.partial(run_engine, chosen, D, maxdim, n_threads=n_threads)
            dgms, cut = truncated_diagrams(D, run, merges=scaled, run_dense=functools.partial(run, dense=True))
        elif chosen == "mst" and maxdim == 0 and scaled is not None:
            dgms = tree_diagrams(scaled[:, 2], thresh)
        else:
            dgms = run_engine(chosen, D, maxdim, thresh, n_threads=n_threads)
        dgms, cut, thresh = [dgm * unit for dgm in dgms], cut * unit, thresh * unit
    return PersistenceResult(
        dgms=dgms,
        points=used,
        n_input=cloud.n_input,
        n_unique=len(points),
        n_used=len(used),
        cover_radius=cover,
        engine=chosen,
        metric=metric,
        threshold=thresh,
        seconds=time.perf_counter() - start,
        flags=tuple(flags),
        rows=cloud.rows[indices],
        knn_k=knn_k,
        cut=cut,
        distances=kept,
        merges=merges,
    )


def diagrams_for_config(
    X: object,
    config: TopologyConfig,
    *,
    random_state: int | None = 0,
    labels: object | None = None,
    where: str = "",
    keep_distances: bool = False,
) -> PersistenceResult:
    """``persistence_diagrams`` with the engine, metric and subsampling settings of a ``TopologyConfig``."""
    return persistence_diagrams(
        X,
        maxdim=config.maxdim,
        metric=config.metric,
        engine=config.engine,
        max_points=config.max_points,
        subsample=config.subsample,
        random_state=random_state,
        knn_k=config.knn_k,
        truncate=config.truncate,
        labels=labels,
        where=where,
        keep_distances=keep_distances,
    )


def engine_unit(D: np.ndarray) -> float:
    """1.0, or the power of two just above the largest distance when it lies outside [1e-20, 1e20].

    ripser and giotto-ph compute in float32 (largest value 3.4e38, full precision down to 1.2e-38): a circle
    of radius 1e30 or 1e-30 gave wrong diagrams. Dividing a float64 distance matrix by a power of two and
    multiplying the diagrams back is exact, so clouds of any scale float64 can hold get the same diagrams.
    """
    largest = float(D.max()) if D.size else 0.0
    if not np.isfinite(largest):  # one pass over D when every entry is finite (the usual case)
        finite = D[np.isfinite(D)]
        largest = float(finite.max()) if finite.size else 0.0
    if largest == 0.0 or 1e-20 <= largest <= 1e20:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(largest)[1])))


def _memory_limit(memory_budget: int) -> int:
    return max(3, int(np.sqrt(memory_budget / 8)))


def _check_labels(labels: object, n_points: int, where: str) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) != n_points:
        raise CloudError(
            f"labels{f' ({where})' if where else ''} must have shape ({n_points},), one per point, "
            f"got shape {array.shape}"
        )
    return array


def _cosine_ready(points: np.ndarray, where: str) -> np.ndarray:
    norms = np.linalg.norm(points, axis=1)
    if (norms == 0).any():
        raise CloudError(
            f"cloud{f' ({where})' if where else ''} has {int((norms == 0).sum())} points at its centre; "
            "the cosine distance is undefined there - use metric='euclidean'"
        )
    return points
