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
one, with deaths after ``t`` turned into ``inf``. ``truncated_diagrams`` runs the engine up to ``t``
and, while some H1 bar is still alive there, again with more edges: 1.5 times the edges up to ``t`` first,
then 4, 8, 16, ... times them; it stops and runs the full filtration when the cut would hold more than 90 %
of the edges up to the enclosing radius. The run at ``t`` itself is skipped when it cannot be complete:
when the longest RNG edge is longer than every edge of a minimum spanning tree, it merges no components, so
it closes a loop that none of its triangles fills before ``t`` (each has a longer edge), and that H1 class
is alive at the cut. On the clouds of activations this is the usual case (a loop of noise born at the last
RNG edge), and the skipped run was about a third of the engine's time. Why these numbers
(``benchmarks/truncation.py``, medians of 5, full time / truncated time): a run's cost grows faster than its
edges, so on a noisy circle of 1,000 points, whose loop lives to 77 % of the edges, a cut there still beats
the dense path. Before the skip, growing by 1.5x and stopping at half the edges made circles 0.76x and tori
0.98x; doubling up to 90 % gave circle 1.07x, tori of 400 and 1,000 points 2.14x and 1.09x, the default
experiment's input clouds 3.95x and 5.29x, after a random ReLU layer 1.19x and 1.08x. With the skip and the
1.5, 4, 8, ... steps: circle 1.14x, tori 2.22x and 1.03x, input clouds 7.26x and 10.58x, ReLU layer 2.07x
and 2.05x. The small first step is for the loops of noise, which die soon after the bound (on the default
run's clouds, half die within 1.1 times its edges): 8 % less engine time than doubling. Growing by 1.5x at
every step was as fast there but took eight cuts on the circle and lost (0.60x) when the last fell above
90 %; the 4, 8, ... steps are the doubling ladder's. Clouds under ``TRUNCATE_MIN_POINTS`` (400) skip the
cut: there the bound and the edge counts cost more than the whole filtration (circles of 100 and 300
points: 0.27x, 0.75x).
The diagrams are the same as the full filtration's, to the
last bit (tested against every engine). On clouds that lie on a sphere the cut holds about a tenth
of the edges: on the default experiment's input cloud (1000 points on two spheres in R^12) giotto-ph
takes 1.0 s and +44 MiB (two cuts) instead of 4.6-5.0 s and +316 MiB. Homology above dimension 1 is
not covered (H2 is born at triangles), so ``maxdim=2`` runs the full filtration.

The bound is computed in float32, as ripser and giotto-ph store distances: rounding is monotone, so an
edge without a witness in float64 has none in float32 either, and the float32 bound covers both. The
cut is placed 8 float32 steps above it because gudhi compares edge lengths in float64, and giotto-ph
selects the edges of a cut filtration on the float64 matrix (``dm <= thresh``) before storing them in
float32: without the margin, an RNG edge whose float64 length rounds down to the bound would be left
out (a test builds such collisions).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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


def rng_edge_bound(D: np.ndarray, *, k: int = 8, batch: int = 1024, max_candidates: int | None = None) -> float:
    """An upper bound (usually the exact value) on the length of the longest RNG edge of ``D``.

    Parameters
    ----------
    D : ndarray of shape (n, n), symmetric with a zero diagonal and finite entries; compared in
        float32, as the engines store it (a float64 matrix is copied to float32 for the computation).
    k : witnesses tried per end of every edge: each point's ``k`` nearest neighbours (8: the same bounds as 12 or
        16 on 140 clouds of the default run and 5 noisy shapes, 1.25x faster than 16). Edges that none
        of them witnesses (candidates) are checked against every point, longest first, until one has
        no witness: that one is the longest RNG edge.
    batch : candidates checked per vectorised step (at most ``batch * n`` floats and 4 MB)
    max_candidates : give up (return ``inf``) when more edges than this are left unwitnessed by the
        neighbours; default ``64 * n``. Extra memory: the float32 copy (4 n^2 bytes), n^2 bytes of flags,
        blocks of 4 MB.

    Returns
    -------
    float : the length of the longest RNG edge (in float32), or ``inf`` when it gave up.
    """
    n = len(D)
    if n < 3:
        return float(D.max(initial=0.0))
    D = np.asarray(D, dtype=np.float32)  # a copy (4 n^2 bytes) while the bound is computed, unless given float32
    k = min(k, n - 1)
    witnessed = np.zeros((n, n), dtype=bool)
    block = max(1, _WITNESS_BLOCK_FLOATS // n)
    for start in range(0, n, block):
        rows = D[start : start + block]
        neighbours = np.argpartition(rows, k, axis=1)[:, : k + 1]
        to_neighbour = np.take_along_axis(rows, neighbours, axis=1)
        # closest[u, v]: over u's neighbours w, the smallest max(D[u, w], D[w, v]), one neighbour at a time
        closest, via = np.full(rows.shape, np.inf, dtype=np.float32), np.empty(rows.shape, dtype=np.float32)
        for j in range(k + 1):
            np.minimum(closest, np.maximum(to_neighbour[:, j, None], D[neighbours[:, j]], out=via), out=closest)
        witnessed[start : start + block] = closest < rows
    witnessed |= witnessed.T  # a pair is witnessed from either end
    np.logical_not(witnessed, out=witnessed)  # now: unwitnessed pairs, the diagonal included
    if (np.count_nonzero(witnessed) - n) // 2 > (64 * n if max_candidates is None else max_candidates):
        return np.inf
    u, v = np.nonzero(witnessed)
    del witnessed
    u, v = u[u < v], v[u < v]
    lengths = D[u, v]
    order = np.argsort(-lengths, kind="stable")
    # the longest candidate is usually an RNG edge (on 129 clouds of 500-1000 points: the first in half of them,
    # within the first 10 in all): check 16, then twice as many each time, up to ``batch``
    start, size, batch = 0, 16, max(1, min(batch, _BLOCK_FLOATS // n))
    while start < len(order):
        edges = order[start : start + min(size, batch)]
        closest = np.maximum(D[u[edges]], D[v[edges]]).min(axis=1)
        rng = np.flatnonzero(closest >= lengths[edges])
        if rng.size:
            return float(lengths[edges[rng[0]]])
        start, size = start + len(edges), 2 * size
    return 0.0  # unreachable for n >= 3: the longest edge of a minimum spanning tree is an RNG edge


def truncated_diagrams(
    D: np.ndarray,
    run: Callable[[float], Diagrams],
    *,
    growth: float = 2.0,
    worth: float = 0.9,
    first_growth: float = 1.5,
    longest_tree_edge: float | None = None,
) -> tuple[Diagrams, float]:
    """H0 and H1 diagrams of the Rips filtration of ``D``, computed up to the RNG bound when that pays.

    Parameters
    ----------
    D : ndarray of shape (n, n)
        Symmetric, zero diagonal, finite.
    run : callable
        ``run(threshold)`` returns the diagrams (H0 and H1, ripser convention) of the filtration cut at
        ``threshold`` (``inf``: the full filtration).
    growth, first_growth : float
        While a cut leaves an H1 bar alive (or could not but leave one, see the module docstring), the next cut
        holds more edges: ``first_growth`` times the edges at the RNG bound first, then ``growth`` squared,
        cubed, ... times them (1.5, 4, 8, 16, ...): one small step for the loops of noise born near the bound,
        then the same cuts as doubling from the bound, for a loop that lives long.
    worth : float
        Cut only while the cut holds at most this fraction of the edges up to the enclosing radius.
    longest_tree_edge : float, optional
        The longest edge of a minimum spanning tree of ``D``, if the caller has it (else computed).

    Returns
    -------
    dgms : list of ndarray of shape (k, 2)
        The diagrams of the full filtration (equal to ``run(inf)``).
    threshold : float
        Where the filtration was cut (``inf`` when it was computed in full).
    """
    n = len(D)
    enclosing = float(D.max(axis=1).min())  # beyond it the complex is a cone: nothing left to die
    useful = _edges_up_to(D, enclosing)
    cut = rng_edge_bound(D)
    if not np.isfinite(cut):  # too many edges left unwitnessed: no bound worth the search
        return run(np.inf), np.inf
    edges = base = _edges_up_to(D, cut)
    sample, step = None, 0
    doomed = _born_at_the_cut(D, cut, longest_tree_edge)
    while 0 < edges <= worth * useful:
        threshold = cut * (1 + _MARGIN)
        if not doomed:
            dgms = run(threshold)
            if _complete(dgms):
                return dgms, threshold
        doomed = False
        if sample is None:
            sample = _edge_sample(D)
        step += 1
        target = base * (first_growth if step == 1 else growth**step)
        fraction = min((max(target, edges) + 1) / (n * (n - 1) / 2), 1.0)
        grown = float(np.quantile(sample, fraction))
        more = _edges_up_to(D, grown)
        while more <= edges:  # the sample misjudged: grow the length until an edge is added
            grown = max(grown, threshold) * growth if max(grown, threshold) > 0 else float(D.max())
            more = _edges_up_to(D, grown)
        cut, edges = grown, more
    return run(np.inf), np.inf


def _born_at_the_cut(D: np.ndarray, cut: float, longest_tree_edge: float | None = None) -> bool:
    """Whether the longest RNG edge (``cut``) is longer than every edge of a minimum spanning tree: then it merges
    no components, so it closes a loop that no triangle fills before it (its triangles have a longer edge, ties
    aside), and that H1 class is still alive at the cut. A run there cannot be complete: skip it."""
    from layertopo.topology.engines import mst_edge_lengths

    longest = mst_edge_lengths(D)[-1] if longest_tree_edge is None else longest_tree_edge
    return bool(cut > longest * (1 + _MARGIN))


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
