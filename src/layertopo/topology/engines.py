"""Persistent homology engines over a float64 distance matrix.

All engines take a symmetric, non-negative distance matrix with a zero diagonal and return the
ripser convention: a list, one ``(k, 2)`` float64 array of ``[birth, death]`` per homology
dimension ``0..maxdim``, ``death = inf`` for essential classes, zero-length bars dropped.

* ``mst``: H0 only, exactly: H0 deaths of a Vietoris-Rips filtration are the edge lengths of a
  minimum spanning tree (scipy's single linkage, O(n^2), far faster than any Rips engine for H0).
* ``ripser``: ripser.py.
* ``giotto``: giotto-ph (the fastest exact engine for H1 at n <= 2000): the compiled function its
  ``ripser_parallel`` calls, on the same arrays, loaded without importing scikit-learn (``giotto_core``): a
  worker process is ready 0.9 s sooner (each call takes the same time); the bars are the same to the bit.
* ``gudhi``: gudhi's Rips complex with repeated edge collapse (``collapse_edges(1)`` until the complex
  stops shrinking; in gudhi 3.13 ``collapse_edges(-1)`` does nothing).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Diagrams = list[np.ndarray]

ENGINE_NAMES = ("mst", "ripser", "giotto", "gudhi")


#: below this many points ``auto`` picks ripser over giotto-ph for H1+ (see ``choose_engine``)
SMALL_CLOUD = 40


def choose_engine(n_points: int, maxdim: int) -> str:
    """The fastest exact engine for the job, as measured.

    H0 alone: the MST. H1 and H2: giotto-ph (1.3-3x ripser for H1 at 50 <= n <= 2000, 3-7x for H2,
    never slower at larger n), except for clouds under ``SMALL_CLOUD`` points, where its fixed cost per
    call is more than the computation: ripser took 0.48x giotto-ph's time on 25-point clouds (0.16 against
    0.32 ms for H1, giotto-ph's compiled engine called directly), 0.97x on 39 points and 1.16x on 50 (3D
    Gaussians, 50 clouds each; 0.24 against 0.37 ms through its Python wrapper). gudhi is never chosen
    automatically: its speed depends on the data (30x faster on some clouds, 600x slower on spheres).
    """
    if maxdim == 0:
        return "mst"
    return "ripser" if n_points < SMALL_CLOUD else "giotto"


def run_engine(
    engine: str, D: np.ndarray, maxdim: int, threshold: float = np.inf, *, n_threads: int = 1, dense: bool = False
) -> Diagrams:
    """Diagrams of the Rips filtration of distance matrix ``D`` of shape (n, n) with ``engine``.

    ``dense`` (giotto-ph only; the others ignore it): run a finite ``threshold`` on the engine's dense path (the
    whole matrix, longer edges skipped) instead of the pairs within it. The same bars, but for edges less than half
    a float32 step above ``threshold``: the sparse path selects edges by their float64 length (``D <= threshold``),
    the dense one by their float32 length, so it also takes those (both are prefixes of the float32 filtration;
    ``truncated_diagrams`` is exact with either). Faster when the cut holds most edges and the reduction is cheap
    (see ``truncated_diagrams``)."""
    if engine not in _ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {list(ENGINE_NAMES)} or 'auto'")
    if engine == "mst" and maxdim > 0:
        raise ValueError("engine 'mst' computes H0 only; use maxdim=0 or another engine")
    run = functools.partial(_giotto, dense=True) if dense and engine == "giotto" else _ENGINES[engine]
    dgms = run(D, maxdim, threshold, n_threads)
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
        return single_linkage(D)[:, 2]
    return np.sort(_prim_edge_lengths(D))


def single_linkage(D: np.ndarray) -> np.ndarray:
    """scipy's single-linkage matrix of a finite distance matrix ``D`` (n, n), n >= 2: shape (n - 1, 4), rows
    (child, child, height, size) by increasing height; the heights are the minimum spanning tree's edges."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    return linkage(squareform(D, checks=False), method="single")


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
    return tree_diagrams(mst_edge_lengths(D), threshold)


def tree_diagrams(lengths: np.ndarray, threshold: float = np.inf) -> Diagrams:
    """The H0 diagram of a Rips filtration from its minimum spanning tree's edge lengths ``(n - 1,)``: one bar
    ``[0, length]`` per edge of positive length (``inf`` beyond ``threshold``) and the essential one."""
    deaths = np.where(lengths <= threshold, lengths, np.inf)
    deaths = np.append(deaths[deaths > 0], np.inf)
    return [_as_diagram(np.column_stack([np.zeros(len(deaths)), np.sort(deaths)]))]


def _ripser(D: np.ndarray, maxdim: int, threshold: float, n_threads: int) -> Diagrams:
    from ripser import ripser

    return ripser(D, maxdim=maxdim, thresh=threshold, distance_matrix=True)["dgms"]


def _giotto(D: np.ndarray, maxdim: int, threshold: float, n_threads: int, dense: bool = False) -> Diagrams:
    core = giotto_core()
    if core is None:  # not where giotto-ph 0.2 keeps it: its public wrapper (same engine, scikit-learn imported)
        from gph import ripser_parallel

        return ripser_parallel(D, maxdim=maxdim, thresh=threshold, metric="precomputed", n_threads=n_threads)["dgms"]
    n = len(D)
    if np.isfinite(threshold) and not dense:  # ripser_parallel's sparse path: the pairs i <= j within the threshold
        flat = np.flatnonzero(np.triu(D <= threshold))  # 3x faster than a 2-d nonzero and its strided rows
        rows = flat // n
        cols = flat - rows * n
        lengths = D.ravel()[flat].astype(np.float32)
        result = core.rips_dm_sparse(rows, cols, lengths, rows.size, n, 2, maxdim, threshold, n_threads, False)
    else:  # its dense path, up to the threshold or the enclosing radius (beyond it the complex is a cone)
        from scipy.spatial.distance import squareform

        upper = squareform(D, checks=False).astype(np.float32)
        radius = min(float(D.max(axis=1).min()), threshold)
        result = core.rips_dm(upper, np.zeros(n, dtype=np.float32), 2, maxdim, radius, n_threads, False)
    return [np.reshape(np.array(bars), (-1, 2)) for bars in result.births_and_deaths_by_dim()]


@functools.cache
def giotto_core() -> Any:
    """giotto-ph's compiled Rips engine (``gph.modules.gph_ripser``, what ``ripser_parallel`` calls), loaded
    without giotto-ph's Python package, whose import pulls in scikit-learn: 1.2 s and ~100 MiB in every worker
    process. None when the module is not where giotto-ph 0.2 keeps it (then ``ripser_parallel`` is used)."""
    name = "gph.modules.gph_ripser"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("gph")
    if package is None or package.origin is None:
        return None
    found = sorted((Path(package.origin).parent / "modules").glob("gph_ripser.*"))
    if not found:
        return None
    spec = importlib.util.spec_from_file_location(name, found[0])
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module  # giotto-ph's package, if imported later, takes this one instead of loading it twice
    return module


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
