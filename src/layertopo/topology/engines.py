"""Persistent homology engines over a float64 distance matrix.

All engines take a symmetric, non-negative distance matrix with a zero diagonal and return the
ripser convention: a list, one ``(k, 2)`` float64 array of ``[birth, death]`` per homology
dimension ``0..maxdim``, ``death = inf`` for essential classes, zero-length bars dropped.

* ``mst``: H0 only, exactly: H0 deaths of a Vietoris-Rips filtration are the edge lengths of a
  minimum spanning tree (scipy's single linkage, O(n^2), far faster than any Rips engine for H0).
* ``ripser``: ripser.py.
* ``giotto``: giotto-ph's ``ripser_parallel`` (fastest exact engine for H1 at n <= 2000, FINDINGS §3).
* ``gudhi``: gudhi's Rips complex with repeated edge collapse (``collapse_edges(1)`` until the complex
  stops shrinking; in gudhi 3.13 ``collapse_edges(-1)`` does nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Diagrams = list[np.ndarray]

ENGINE_NAMES = ("mst", "ripser", "giotto", "gudhi")


#: below this many points ``auto`` picks ripser over giotto-ph for H1+ (see ``choose_engine``)
SMALL_CLOUD = 40


def choose_engine(n_points: int, maxdim: int) -> str:
    """The fastest exact engine for the job, from FINDINGS §3 measurements.

    H0 alone: the MST. H1 and H2: giotto-ph (1.3-3x ripser for H1 at 50 <= n <= 2000, 3-7x for H2,
    never slower at larger n), except for clouds under ``SMALL_CLOUD`` points, where its Python
    wrapper's checks cost more than the computation: ripser took 0.65x giotto-ph's time on 25-point
    clouds (0.24 against 0.37 ms for H1), 1.3x on 50 points. gudhi is never chosen automatically: its
    speed depends on the data (30x faster on some clouds, 600x slower on spheres).
    """
    if maxdim == 0:
        return "mst"
    return "ripser" if n_points < SMALL_CLOUD else "giotto"


def run_engine(engine: str, D: np.ndarray, maxdim: int, threshold: float = np.inf, *, n_threads: int = 1) -> Diagrams:
    """Diagrams of the Rips filtration of distance matrix ``D`` of shape (n, n) with ``engine``."""
    if engine not in _ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {list(ENGINE_NAMES)} or 'auto'")
    if engine == "mst" and maxdim > 0:
        raise ValueError("engine 'mst' computes H0 only; use maxdim=0 or another engine")
    dgms = _ENGINES[engine](D, maxdim, threshold, n_threads)
    return [_as_diagram(d) for d in dgms]


def mst_edge_lengths(D: np.ndarray) -> np.ndarray:
    """Edge lengths of a minimum spanning tree of the complete graph with weights ``D`` (n, n).

    The heights of scipy's single linkage (a C minimum spanning tree: 0.7 ms for 500 points against 1.8 ms
    for the dense Prim below, the same floats); the Prim loop when ``D`` has infinite entries, which
    scipy refuses.

    Returns
    -------
    ndarray of shape (n - 1,), ascending (the lengths of every minimum spanning tree are the same multiset).
    """
    n = len(D)
    if n <= 1:
        return np.empty(0)
    if np.isfinite(D).all():
        from scipy.cluster.hierarchy import linkage
        from scipy.spatial.distance import squareform

        return linkage(squareform(D, checks=False), method="single")[:, 2]
    return np.sort(_prim_edge_lengths(D))


def _prim_edge_lengths(D: np.ndarray) -> np.ndarray:
    """Minimum spanning tree edge lengths by dense Prim, O(n^2), in the order edges were added."""
    n = len(D)
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    nearest = D[0].astype(np.float64, copy=True)
    nearest[0] = np.inf
    lengths = np.empty(n - 1)
    for i in range(n - 1):
        j = int(np.argmin(nearest))
        lengths[i] = nearest[j]
        in_tree[j] = True
        np.minimum(nearest, D[j], out=nearest)
        nearest[in_tree] = np.inf
    return lengths


def _mst(D: np.ndarray, maxdim: int, threshold: float, n_threads: int) -> Diagrams:
    lengths = mst_edge_lengths(D)
    deaths = np.where(lengths <= threshold, lengths, np.inf)
    deaths = np.append(deaths[deaths > 0], np.inf)
    return [np.column_stack([np.zeros(len(deaths)), np.sort(deaths)])]


def _ripser(D: np.ndarray, maxdim: int, threshold: float, n_threads: int) -> Diagrams:
    from ripser import ripser

    return ripser(D, maxdim=maxdim, thresh=threshold, distance_matrix=True)["dgms"]


def _giotto(D: np.ndarray, maxdim: int, threshold: float, n_threads: int) -> Diagrams:
    from gph import ripser_parallel

    return ripser_parallel(D, maxdim=maxdim, thresh=threshold, metric="precomputed", n_threads=n_threads)["dgms"]


def _gudhi(D: np.ndarray, maxdim: int, threshold: float, n_threads: int) -> Diagrams:
    import gudhi

    rips = gudhi.RipsComplex(distance_matrix=D, max_edge_length=threshold)
    tree = rips.create_simplex_tree(max_dimension=1)
    if maxdim > 0:
        size = tree.num_simplices()
        while True:
            tree.collapse_edges(1)
            if tree.num_simplices() >= size:
                break
            size = tree.num_simplices()
        tree.expansion(maxdim + 1)
    tree.compute_persistence(persistence_dim_max=True)
    return [tree.persistence_intervals_in_dimension(dim) for dim in range(maxdim + 1)]


_ENGINES: dict[str, Callable[[np.ndarray, int, float, int], Diagrams]] = {
    "mst": _mst,
    "ripser": _ripser,
    "giotto": _giotto,
    "gudhi": _gudhi,
}


def _as_diagram(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, dtype=np.float64).reshape(-1, 2)
    order = np.lexsort((d[:, 1], d[:, 0]))
    return d[order]
