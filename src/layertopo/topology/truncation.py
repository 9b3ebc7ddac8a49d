"""Exact H0/H1 diagrams from a truncated Vietoris-Rips filtration: less time and far less memory.

A Vietoris-Rips (flag) filtration of a distance matrix ``D`` gains an H1 class, or merges two H0
components, only at the length of an edge ``uv`` of the *relative neighbourhood graph* (RNG): an edge
with no witness ``w`` closer to both ends, ``max(D[u, w], D[v, w]) < D[u, v]``.

Proof sketch. Let ``l = D[u, v]`` and ``w`` a witness. Just before ``l`` the edges ``uw`` and ``vw`` are
present; at ``l`` the edge ``uv`` enters together with the triangle ``uvw``, whose only new face is
``uv``: an elementary collapse, which changes no homology. Do this for every non-RNG edge of length
``l`` (each with one witness triangle); what else enters at ``l`` is triangles and tetrahedra, which
can only kill H1 classes. So without an RNG edge of length ``l`` nothing is born in H1 and no H0
components merge at ``l``. Only the ordering of the values is used, not the triangle inequality, so
this holds for any symmetric dissimilarity (Euclidean, cosine, k-NN hops or geodesics).

Hence, with ``t`` at least the longest RNG edge, the filtration cut at ``t`` has every bar of the full
one, with deaths after ``t`` turned into ``inf``. Where a cut can be complete has a floor too: an RNG edge ``uv``
whose ends a path of shorter edges already joins closes a loop at its length, and no triangle holds ``uv`` before
its first triangle (the smallest ``max(D[u, w], D[v, w])`` over the other points ``w``): any cycle through ``uv``
is not a boundary until then, so H1 is not zero up to the largest such first triangle (the *loop death floor*),
and no cut below it can be complete (``rng_cut_levels``). ``truncated_diagrams`` runs the engine up to ``t``,
or, when the floor is above ``t``, up to 1.1 times the edges up to the floor; while some H1 bar is still alive,
again with more edges: 1.25 times the failed cut's, then 4, 8, 16, ... times the edges up to ``t``; it stops and
runs the full filtration when the cut would hold more than 90 % of the edges up to the enclosing radius.

Why these numbers. On 258 clouds of 500-1000 points (the giotto-tda benchmark's and the default run's) the last
H1 death was at or below the floor (or the bound, where higher) in 79 % of them and within 1.09x its edges in
90 % (at most 1.33x). Replaying every cloud with giotto-ph's time measured at a grid of cuts, a first cut at
1.0, 1.05, 1.1, 1.15, 1.2 or 1.3 times the floor's edges, then 1.15, 1.25 or 1.4 times the failed cut's: 1.1
then 1.25 took the least engine time, 13.7 s, against about 16.0 s for the ladder before the floor (the bound,
skipped when its edge closes a loop, modelled as the floor being above the bound, then 1.5, 4, 8, ... times its
edges) and 12.1 s for an oracle cutting at the last death. Measured side by side on the
benchmark's 129 clouds: engine 10.8 s -> 9.5 s, the bound and the floor included 12.3 s -> 11.1 s; the same
diagrams. A run's cost grows faster than its edges, so on a noisy circle of 1,000 points, whose loop lives to
77 % of the edges, a cut there still beats the dense path. ``benchmarks/truncation.py`` (medians of 5, full
time / truncated time): circle of 1,000 points 1.08x, tori of 400 and 1,000 points 2.19x and 0.97x (the torus's
loops live to 54 % of the edges; its failed cuts cost about what the last one saves, so it reads 0.96-1.03x
from run to run, as with the ladder before the floor), input clouds 7.13x and 10.79x, after a random ReLU layer
2.54x and 2.25x. Earlier ladders: growing by 1.5x and stopping at half the edges made circles 0.76x and tori
0.98x; doubling up to 90 % gave circle 1.07x, tori 2.14x and 1.09x, input clouds 3.95x and 5.29x, ReLU layer
1.19x and 1.08x. Clouds under ``TRUNCATE_MIN_POINTS`` (400) skip the cut: there the bound and the edge counts
cost more than the whole filtration (circles of 100 and 300 points: 0.27x, 0.75x).

A first cut that holds at least half of all the edges runs on giotto-ph's dense path (``run_dense``): such a
cloud's loops are noise that dies by the floor, its reduction is cheap and the sparse path's setup dominates
(23 such cuts on the giotto-tda benchmark's clouds: 2.05 s -> 1.49 s). A later cut is the
cut of a cloud whose loops outlived the first, whose reduction dominates: there the sparse path is as fast or
faster (1,000-point circle and torus: 6.5 s against 7.3 s, 3.8 s against 4.3 s).
The diagrams are the same as the full filtration's, to the
last bit (tested against every engine). On clouds that lie on a sphere the cut holds about a tenth
of the edges: on the default experiment's input cloud (1000 points on two spheres in R^12) giotto-ph
takes 1.0 s and +44 MiB (two cuts) instead of 4.6-5.0 s and +316 MiB. Homology above dimension 1 is
not covered (H2 is born at triangles), so ``maxdim=2`` runs the full filtration.

The bound and the floor are computed in float32, as ripser and giotto-ph store distances: rounding is monotone, so an
edge without a witness in float64 has none in float32 either, and the float32 bound covers both. The
cut is placed 8 float32 steps above it because gudhi compares edge lengths in float64, and giotto-ph
selects the edges of a cut filtration on the float64 matrix (``dm <= thresh``) before storing them in
float32: without the margin, an RNG edge whose float64 length rounds down to the bound would be left
out (a test builds such collisions).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np

from layertopo.topology.engines import single_linkage

Diagrams = list[np.ndarray]

#: Relative margin above the bound, in float32 steps: edges equal to the bound stay in.
_MARGIN = 8 * float(np.finfo(np.float32).eps)

#: Floats per vectorised block (candidate edges x points, rows counted): 4 MB of float32. Blocks of 16 MB made
#: the bound 2.2x slower on the default experiment's 500-point clouds (0.68 s against 0.31 s for 54 clouds; the
#: same bounds): a block that fits the cache beats fewer numpy calls.
_BLOCK_FLOATS = 1_000_000

#: Floats per block of rows in the neighbours' witness pass (rows x points, 256 KB of float32), which takes
#: one neighbour at a time: 2.5-3x faster than all 17 neighbours' rows (k = 16) at once in 4 MB blocks (the same
#: bounds on 267 clouds of 500-1000 points: the giotto-tda benchmark's and the default run's).
_WITNESS_BLOCK_FLOATS = 65_536


def rng_cut_levels(
    D: np.ndarray,
    merges: np.ndarray | None = None,
    *,
    k: int = 8,
    batch: int = 1024,
    max_candidates: int | None = None,
) -> tuple[float, float] | None:
    """Where a truncated filtration of ``D`` may start: the longest RNG edge, and the loop death floor.

    The floor: an RNG edge ``uv`` whose ends a path of shorter edges already joins (it is not a spanning-tree
    edge) closes a loop at its length, and no triangle holds ``uv`` before its first triangle (the smallest
    ``max(D[u, w], D[v, w])`` over the other points ``w``): any cycle through ``uv`` is not a boundary until then.
    So H1 is not zero up to the largest such first triangle, and no complete cut lies below it. On 258 clouds of
    the giotto-tda benchmark and the default run the last H1 death was at or below the floor (or the bound, where
    higher) in 79 % of them, and within 1.09x its edges in 90 %.

    Parameters
    ----------
    D : ndarray of shape (n, n), n >= 3, symmetric with a zero diagonal and finite entries; compared in float32,
        as the engines store it (a float64 matrix is copied to float32 for the computation).
    merges : ndarray of shape (n - 1, 4), optional
        scipy's single linkage of ``D`` (computed if not given): its longest edge, and whether shorter edges join
        two points (every spanning-tree edge is an RNG edge; every other RNG edge no longer than the tree's
        longest closes a loop).
    k : witnesses tried per end of every edge: each point's ``k`` nearest neighbours (8: the same bounds as 12 or
        16 on 140 clouds of the default run and 5 noisy shapes, 1.25x faster than 16). The edges that none of them
        witnesses and whose ends shorter edges join (a median of 0.33 n on the giotto-tda benchmark's clouds) are the
        candidates: checked against every point, the longest first for the bound, and for the floor in the order
        of an upper bound on their first triangle (through the neighbours), until no candidate left can raise it.
    batch : candidates checked per vectorised step (at most ``batch * n`` floats and 4 MB)
    max_candidates : give up (return None) when more edges than this are left unwitnessed by the neighbours;
        default ``64 * n``. Extra memory: the float32 copy (4 n^2 bytes), 2 n^2 bytes of flags, n^2 / 2 float64
        single-linkage heights, blocks of 4 MB, and ~40 (k + 1) bytes per candidate for the upper bounds (up to
        ~25 MB at n = 1000).

    Returns
    -------
    (bound, floor) in float32 values, floor the loop death floor or the bound if that is higher; None when it
    gave up.

    Notes
    -----
    Ties hide loops from the floor: an edge whose ends are first joined at exactly its length (on a lattice, say)
    is not counted, since the single linkage does not say which of the tied edges are the tree's. The floor is
    then lower than it could be (a run is wasted), never higher.
    """
    from scipy.cluster.hierarchy import cophenet

    n = len(D)
    merges = single_linkage(D) if merges is None else merges
    D32 = np.asarray(D, dtype=np.float32)  # a copy (4 n^2 bytes) while the levels are found, unless given float32
    found = _unwitnessed_pairs(D32, min(k, n - 1), 64 * n if max_candidates is None else max_candidates)
    if found is None:
        return None
    u, v, neighbours = found
    joined = cophenet(merges)  # condensed: the lengths of the minimax paths
    loop = joined[n * u - u * (u + 1) // 2 + (v - u - 1)] < D[u, v]
    u, v = u[loop], v[loop]
    lengths = D32[u, v]
    batch = max(1, min(batch, _BLOCK_FLOATS // n))
    bound = float(np.float32(merges[-1, 2]))
    longer = np.flatnonzero(lengths > bound)
    for edges in _batches(longer[np.argsort(-lengths[longer], kind="stable")], batch):
        rng = edges[_first_triangles(D32, u[edges], v[edges]) >= lengths[edges]]
        if rng.size:
            bound = float(lengths[rng[0]])
            break
    level = bound
    upper = _first_triangle_upper_bounds(D32, u, v, neighbours)
    order = np.argsort(-upper, kind="stable")
    for edges in _batches(order, batch):
        if upper[edges[0]] <= level:  # no candidate left can raise the floor
            break
        first = _first_triangles(D32, u[edges], v[edges])
        level = max(level, float(first[first >= lengths[edges]].max(initial=level)))
    return bound, level


def rng_edge_bound(D: np.ndarray, **options: int | None) -> float:
    """The length of the longest RNG edge of ``D`` (n, n) in float32 (``rng_cut_levels``' options), ``inf`` when
    it gave up. Every H1 birth and H0 death of the Rips filtration is at most this long."""
    if len(D) < 3:
        return float(np.asarray(D, dtype=np.float32).max(initial=0.0))
    levels = rng_cut_levels(D, **options)
    return np.inf if levels is None else levels[0]


def _unwitnessed_pairs(D32: np.ndarray, k: int, max_candidates: int) -> tuple[np.ndarray, ...] | None:
    """The pairs ``u < v`` that no one of either end's ``k`` nearest neighbours witnesses, and the neighbours
    (n, k + 1), each point's own index among them; None when there are more than ``max_candidates`` pairs."""
    n = len(D32)
    witnessed = np.zeros((n, n), dtype=bool)
    neighbours = np.empty((n, k + 1), dtype=np.intp)
    block = max(1, _WITNESS_BLOCK_FLOATS // n)
    for start in range(0, n, block):
        rows = D32[start : start + block]
        near = neighbours[start : start + block]
        near[:] = np.argpartition(rows, k, axis=1)[:, : k + 1]
        to_neighbour = np.take_along_axis(rows, near, axis=1)
        # closest[u, v]: over u's neighbours w, the smallest max(D[u, w], D[w, v]), one neighbour at a time
        closest, via = np.full(rows.shape, np.inf, dtype=np.float32), np.empty(rows.shape, dtype=np.float32)
        for j in range(k + 1):
            np.minimum(closest, np.maximum(to_neighbour[:, j, None], D32[near[:, j]], out=via), out=closest)
        witnessed[start : start + block] = closest < rows
    witnessed |= witnessed.T  # a pair is witnessed from either end
    np.logical_not(witnessed, out=witnessed)  # now: unwitnessed pairs, the diagonal included
    if (np.count_nonzero(witnessed) - n) // 2 > max_candidates:
        return None
    flat = np.flatnonzero(np.triu(witnessed, 1))
    return flat // n, flat % n, neighbours


def _first_triangles(D32: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For each pair, the smallest ``max(D[u, w], D[v, w])`` over the other points ``w``: shape (len(u),)."""
    through = np.maximum(D32[u], D32[v])
    through[np.arange(len(u)), u] = np.inf
    through[np.arange(len(u)), v] = np.inf
    return through.min(axis=1, initial=np.inf)


def _first_triangle_upper_bounds(D32: np.ndarray, u: np.ndarray, v: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """``_first_triangles`` with ``w`` among the ends' neighbours only: at least as large, for a fraction of the
    cost (the first triangle's third point is usually one of them)."""
    w = np.concatenate([neighbours[u], neighbours[v]], axis=1)
    through = np.maximum(D32[u[:, None], w], D32[v[:, None], w])
    through[(w == u[:, None]) | (w == v[:, None])] = np.inf
    return through.min(axis=1, initial=np.inf)


def _batches(indices: np.ndarray, largest: int) -> Iterator[np.ndarray]:
    """``indices`` in runs of 16, then twice as many each time, up to ``largest``: the answer is usually in the
    first (on 129 clouds of 500-1000 points the longest candidate was the longest RNG edge in half of them, and
    one of the first 10 in all)."""
    start, size = 0, 16
    while start < len(indices):
        yield indices[start : start + min(size, largest)]
        start, size = start + min(size, largest), 2 * size


def truncated_diagrams(
    D: np.ndarray,
    run: Callable[[float], Diagrams],
    *,
    growth: float = 2.0,
    worth: float = 0.9,
    first_growth: float = 1.25,
    floor_slack: float = 1.1,
    merges: np.ndarray | None = None,
    run_dense: Callable[[float], Diagrams] | None = None,
    dense_from: float = 0.5,
) -> tuple[Diagrams, float]:
    """H0 and H1 diagrams of the Rips filtration of ``D``, computed up to the RNG bound when that pays.

    Parameters
    ----------
    D : ndarray of shape (n, n)
        Symmetric, zero diagonal, finite.
    run : callable
        ``run(threshold)`` returns the diagrams (H0 and H1, ripser convention) of the filtration cut at
        ``threshold`` (``inf``: the full filtration).
    growth, first_growth, floor_slack : float
        The first cut is at the RNG bound, or, when the loop death floor is above it, where ``floor_slack`` times
        the edges up to the floor are. While a cut leaves an H1 bar alive, the next one holds more edges:
        ``first_growth`` times the failed cut's after the first, then ``growth`` squared, cubed, ... times the
        edges up to the bound (4, 8, 16, ...; the first of them above the failed cut).
    worth : float
        Cut only while the cut holds at most this fraction of the edges up to the enclosing radius.
    merges : ndarray of shape (n - 1, 4), optional
        scipy's single linkage of ``D``, if the caller has it (else computed).
    run_dense, dense_from : optional
        ``run`` on the engine's dense path, used for a first cut that holds at least ``dense_from`` of all edges.

    Returns
    -------
    dgms : list of ndarray of shape (k, 2)
        The diagrams of the full filtration (equal to ``run(inf)``).
    threshold : float
        Where the filtration was cut (``inf`` when it was computed in full).
    """
    if not (growth > 1 and first_growth > 1 and floor_slack >= 1):
        raise ValueError(
            f"growth and first_growth must be > 1 and floor_slack >= 1 (else the cuts may never grow), got "
            f"growth={growth}, first_growth={first_growth}, floor_slack={floor_slack}"
        )
    n = len(D)
    if n < 3:
        return run(np.inf), np.inf
    enclosing = float(D.max(axis=1).min())  # beyond it the complex is a cone: nothing left to die
    useful = _edges_up_to(D, enclosing)
    levels = rng_cut_levels(D, merges)
    if levels is None:  # too many edges left unwitnessed: no bound worth the search
        return run(np.inf), np.inf
    bound, floor = levels
    # the edges a run at the bound holds (its threshold has the margin: a float32 bound may round the float64
    # lengths down), at least the n - 1 of a spanning tree, so the ladder below always grows
    base = _edges_up_to(D, bound * (1 + _MARGIN))
    cut, edges = bound, base
    sample = None
    if floor > bound:  # no cut below the floor can be complete
        sample = _edge_sample(D)
        cut, edges = _cut_holding(D, sample, floor_slack * _edges_up_to(D, floor), floor)
    ladder = (base * growth**step for step in itertools.count(2))
    failed = 0
    while 0 < edges <= worth * useful:
        threshold = cut * (1 + _MARGIN)
        dense = run_dense is not None and failed == 0 and edges >= dense_from * n * (n - 1) / 2
        dgms = (run_dense if dense else run)(threshold)
        if _complete(dgms):
            return dgms, threshold
        failed += 1
        sample = _edge_sample(D) if sample is None else sample
        target = first_growth * edges if failed == 1 else next(t for t in ladder if t > edges)
        cut, edges = _cut_holding(D, sample, target, threshold, grow_from=edges, growth=growth)
    return run(np.inf), np.inf


def _cut_holding(
    D: np.ndarray, sample: np.ndarray, target: float, at_least: float, *, grow_from: int = -1, growth: float = 2.0
) -> tuple[float, int]:
    """A length of at least ``at_least`` up to which about ``target`` edges of ``D`` are (placed by the edge
    ``sample``), and how many edges are up to it: more than ``grow_from``."""
    n = len(D)
    length = max(at_least, float(np.quantile(sample, min((target + 1) / (n * (n - 1) / 2), 1.0))))
    edges = _edges_up_to(D, length)
    while edges <= grow_from:  # the sample misjudged: grow the length until an edge is added
        length = length * growth if length > 0 else float(D.max())
        edges = _edges_up_to(D, length)
    return length, edges


def _edges_up_to(D: np.ndarray, length: float) -> int:
    """Edges (unordered pairs) of length at most ``length``, counted by blocks of rows."""
    block = max(1, _BLOCK_FLOATS // len(D))
    within = sum(int(np.count_nonzero(D[i : i + block] <= length)) for i in range(0, len(D), block))
    return (within - len(D)) // 2


def _edge_sample(D: np.ndarray, size: int = 200_000) -> np.ndarray:
    """Lengths of about ``size`` edges, to place the next cut by its edge count: every edge of rows drawn at random
    (seeded; whole rows are read 10x faster than as many scattered entries), the diagonal left out."""
    n = len(D)
    rows = np.sort(np.random.default_rng(0).choice(n, size=min(n, max(1, size // n)), replace=False))
    off_diagonal = np.ones((len(rows), n), dtype=bool)
    off_diagonal[np.arange(len(rows)), rows] = False
    return D[rows][off_diagonal]


def _complete(dgms: Diagrams) -> bool:
    """One H0 class and no H1 class alive at the cut: the diagrams are those of the full filtration."""
    return int(np.isinf(dgms[0][:, 1]).sum()) == 1 and all(not np.isinf(d[:, 1]).any() for d in dgms[1:])
