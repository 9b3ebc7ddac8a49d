"""Betti numbers at one fixed scale of the k-nearest-neighbour hop metric (Naitzat et al. 2020).

The method of "Topology of Deep Neural Networks" (Naitzat, Zhitnikov & Lim, JMLR 2020, §4): build
the symmetrised k-nearest-neighbour graph of the cloud (i ~ j when either is among the other's k
nearest Euclidean neighbours), measure distances as hop counts in that graph, and take the homology
of the Vietoris-Rips complex at a fixed scale: the flag complex whose edges join points at most
``scale`` hops apart. The paper's defaults are k = 14 and a scale of 2 hops. Hop counts adapt to the
local density, so one scale serves every layer of a network, whatever the layer does to distances.

Only the edges of at most ``scale`` hops are built (a sparse matrix), never the full distance
matrix. Homology comes from giotto-ph (sparse input, edge collapse; the default) or gudhi (a
simplex tree with edge collapse, used to check giotto-ph); both count the bars alive at ``scale``.
Exact duplicate points (a ReLU layer maps many inputs to the same point) are merged first: the
k-NN graph of repeated points is not defined by the points alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from layertopo.topology.validation import CloudError, check_cloud

ENGINES = ("giotto", "gudhi")


@dataclass(frozen=True)
class FixedScaleBetti:
    """Betti numbers of one cloud at a fixed hop scale, with the method's parameters.

    Attributes
    ----------
    betti : ``(b0, b1, ..., b_maxdim)``
    k : neighbours per point in the k-NN graph (lowered to ``n_unique - 1`` for tiny clouds)
    scale : hops; edges join points at most this many hops apart
    n_input : points given
    n_unique : distinct points after merging exact duplicates
    n_edges : edges of the complex before collapse
    engine : ``"giotto"`` or ``"gudhi"``
    seconds : wall time
    """

    betti: tuple[int, ...]
    k: int
    scale: int
    n_input: int
    n_unique: int
    n_edges: int
    engine: str
    seconds: float


def knn_betti_numbers(
    X: object,
    *,
    k: int = 14,
    scale: int = 2,
    maxdim: int = 1,
    engine: str = "giotto",
    where: str = "",
) -> FixedScaleBetti:
    """Betti numbers b_0 .. b_maxdim of the Vietoris-Rips complex of ``X`` at ``scale`` k-NN hops.

    Parameters
    ----------
    X : array-like of shape (n_points, n_features)
    k : neighbours per point (Naitzat et al.: 14)
    scale : the complex's scale in hops (Naitzat et al.: 2)
    maxdim : highest homology dimension
    engine : ``"giotto"`` (giotto-ph) or ``"gudhi"``; they agree exactly (tests check it)
    where : the cloud's key, named in every error

    Raises
    ------
    CloudError
        Bad points (see ``check_cloud``) or parameters out of range.
    """
    start = time.perf_counter()
    _check_parameters(k, scale, maxdim, engine, where)
    cloud = check_cloud(X, where=where)
    n = len(cloud.points)
    k_used = min(k, n - 1)
    if k_used < 1:
        betti = (1,) + (0,) * maxdim
        return FixedScaleBetti(betti, k_used, scale, cloud.n_input, n, 0, engine, time.perf_counter() - start)
    hops = hop_distances(cloud.points, k=k_used, scale=scale)
    betti = _gudhi_betti(hops, maxdim) if engine == "gudhi" else _giotto_betti(hops, scale, maxdim)
    return FixedScaleBetti(betti, k_used, scale, cloud.n_input, n, hops.nnz, engine, time.perf_counter() - start)


def hop_distances(points: np.ndarray, *, k: int, scale: int) -> sparse.coo_matrix:
    """Hop counts up to ``scale`` in the symmetrised k-NN graph, as a sparse upper triangle.

    Parameters
    ----------
    points : ndarray of shape (n, n_features), distinct rows
    k : neighbours per point, ``1 <= k < n``
    scale : largest hop count kept

    Returns
    -------
    coo_matrix of shape (n, n): entry (i, j), i < j, is the hop distance when it is at most ``scale``
    """
    from sklearn.neighbors import kneighbors_graph  # imported here: scikit-learn costs ~150 MiB per process

    adjacency = kneighbors_graph(points, n_neighbors=k, mode="connectivity", include_self=False)
    adjacency = adjacency.maximum(adjacency.T).astype(bool).tocsr()
    reached = (adjacency + sparse.identity(len(points), dtype=bool, format="csr")).astype(bool)
    hops = sparse.triu(adjacency, k=1).astype(np.float64).tocsr()
    for hop in range(2, scale + 1):
        grown = (reached.astype(np.int32) @ adjacency.astype(np.int32)).astype(bool)
        new = sparse.triu(grown.astype(np.int8) - reached.astype(np.int8), k=1)
        new.eliminate_zeros()
        hops = hops + hop * new.astype(bool).astype(np.float64)
        reached = grown
    return hops.tocoo()


def _giotto_betti(hops: sparse.coo_matrix, scale: int, maxdim: int) -> tuple[int, ...]:
    from gph import ripser_parallel

    result = ripser_parallel(hops, metric="precomputed", maxdim=maxdim, thresh=scale, collapse_edges=True, n_threads=1)
    return tuple(_alive_at(diagram, scale) for diagram in result["dgms"])


def _gudhi_betti(hops: sparse.coo_matrix, maxdim: int) -> tuple[int, ...]:
    import gudhi

    tree = gudhi.SimplexTree()
    for vertex in range(hops.shape[0]):
        tree.insert([vertex], 0.0)
    tree.insert_batch(np.vstack([hops.row, hops.col]).astype(np.int32), hops.data)
    tree.collapse_edges(-1)
    tree.expansion(maxdim + 1)
    tree.compute_persistence(persistence_dim_max=True)
    betti = tree.betti_numbers()
    return tuple(int(betti[d]) if d < len(betti) else 0 for d in range(maxdim + 1))


def _alive_at(diagram: np.ndarray, scale: float) -> int:
    return int(np.sum((diagram[:, 0] <= scale) & (diagram[:, 1] > scale)))


def _check_parameters(k: int, scale: int, maxdim: int, engine: str, where: str) -> None:
    at = f" ({where})" if where else ""
    if int(k) != k or k < 1:
        raise CloudError(f"k must be a positive integer{at}, got {k!r}; Naitzat et al. use k = 14")
    if int(scale) != scale or scale < 1:
        raise CloudError(f"scale must be a positive whole number of hops{at}, got {scale!r}; Naitzat et al. use 2")
    if maxdim not in (0, 1, 2, 3):
        raise CloudError(f"maxdim must be 0, 1, 2 or 3{at}, got {maxdim!r}")
    if engine not in ENGINES:
        raise CloudError(f"unknown fixed-scale engine {engine!r}{at}; choose one of {list(ENGINES)}")
