import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from layertopo.data.synthetic import concentric_spheres
from layertopo.topology import persistence_diagrams
from layertopo.topology.engines import mst_edge_lengths, run_engine, single_linkage
from layertopo.topology.metrics import distance_matrix, finite_distance_matrix
from layertopo.topology.truncation import _edges_up_to, rng_cut_levels, rng_edge_bound, truncated_diagrams


def _longest_rng_edge(D):
    """The definition, brute force: an edge uv with no w such that max(D[u, w], D[v, w]) < D[u, v]."""
    n = len(D)
    longest = 0.0
    for u in range(n):
        for v in range(u + 1, n):
            if not (np.maximum(D[u], D[v]) < D[u, v]).any():
                longest = max(longest, D[u, v])
    return longest


def _rng_edges_by_definition(D):
    """{(u, v): first triangle} over the RNG edges u < v, brute force."""
    n = len(D)
    edges = {}
    for u in range(n):
        for v in range(u + 1, n):
            others = np.delete(np.maximum(D[u], D[v]), [u, v])
            if not (others < D[u, v]).any():
                edges[(u, v)] = others.min()
    return edges


def _joined_below(D, u, v):
    """Whether edges strictly shorter than D[u, v] connect u to v (breadth-first search)."""
    reached, frontier = {u}, [u]
    while frontier:
        frontier = [w for x in frontier for w in np.flatnonzero(D[x] < D[u, v]) if w not in reached]
        reached.update(frontier)
    return v in reached


def _spheres(n, dim, seed):
    """The default experiment's input: two concentric spheres in R^dim (standardised features)."""
    return concentric_spheres(n, 10, dim, random_state=seed).X_train


CLOUDS = {
    "gaussian_64d": lambda seed: np.random.default_rng(seed).standard_normal((120, 64)),
    "spheres_12d": lambda seed: _spheres(200, 12, seed),
    "noisy_circle": lambda seed: (
        np.c_[np.cos(t := np.linspace(0, 6.28, 90)), np.sin(t)]
        + 0.1 * np.random.default_rng(seed).standard_normal((90, 2))
    ),
    "integer_grid_ties": lambda seed: np.random.default_rng(seed).permutation(
        np.array([(i, j) for i in range(9) for j in range(9)], dtype=float)
    ),
}


@pytest.mark.parametrize("name", CLOUDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_rng_bound_equals_the_definition(name, seed):
    D = squareform(pdist(CLOUDS[name](seed))).astype(np.float32)
    expected = _longest_rng_edge(D)
    assert rng_edge_bound(D) == expected
    assert rng_edge_bound(D, k=1, batch=7) == expected  # few witnesses, small batches: same answer
    assert rng_edge_bound(D) >= mst_edge_lengths(D).max()  # H0 deaths (MST edges) are RNG edges too


@pytest.mark.parametrize("name", CLOUDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_loop_death_floor_equals_the_definition_and_h1_is_alive_below_it(name, seed):
    """The floor: the largest first triangle of an RNG edge whose ends shorter edges join (or the bound, if higher).
    From such an edge's length to its first triangle an H1 class is alive, so no complete cut lies below it."""
    D = squareform(pdist(CLOUDS[name](seed)))
    rng = _rng_edges_by_definition(D.astype(np.float32))
    loops = {(u, v): first for (u, v), first in rng.items() if _joined_below(D, u, v)}
    bound = max(D.astype(np.float32)[u, v] for u, v in rng)
    for options in ({}, {"k": 1, "batch": 7}):  # few witnesses, small batches: the same levels
        assert rng_cut_levels(D, **options) == (bound, max([bound, *loops.values()]))
    floor = rng_cut_levels(D)[1]
    if floor > bound:
        assert run_engine("giotto", D, 1)[1][:, 1].max() >= floor  # the last H1 death
    (u, v), _ = max(loops.items(), key=lambda item: item[1], default=((0, 0), 0.0))
    if floor > bound and np.float32(D[u, v]) < floor:
        below = run_engine("giotto", D, 1, float(np.nextafter(np.float32(floor), np.float32(0))))
        assert np.isinf(below[1][:, 1]).any()


def _bound_first(monkeypatch):
    """Make the first cut the RNG bound (the floor left out), so that cuts grow from there."""
    from layertopo.topology import truncation

    levels = truncation.rng_cut_levels
    monkeypatch.setattr(truncation, "rng_cut_levels", lambda D, merges=None: (levels(D, merges)[0],) * 2)


def test_rng_bound_is_below_the_longest_edge_on_a_sphere():
    D = squareform(pdist(_spheres(300, 12, 0))).astype(np.float32)
    assert rng_edge_bound(D) < 0.6 * D.max()  # the cross-sphere and antipodal edges are witnessed


@pytest.mark.parametrize("engine", ["giotto", "ripser", "gudhi"])
@pytest.mark.parametrize("name", CLOUDS)
def test_truncated_diagrams_equal_the_full_filtration(engine, name):
    D = squareform(pdist(CLOUDS[name](3)))
    full = run_engine(engine, D, 1)
    cuts = []
    # worth=1: cut even when the cut holds most edges, so that every cloud really runs truncated
    dgms, cut = truncated_diagrams(D, lambda t: cuts.append(t) or run_engine(engine, D, 1, t), worth=1.0)
    assert np.isfinite(cuts[0]) and np.isfinite(cut)
    for ours, theirs in zip(dgms, full, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    if name == "spheres_12d":
        assert cut < 0.7 * D.max()  # most edges left out


def _float32_collisions(seed, n=8):
    """Integer dissimilarities nudged by 1e-9: many float64 lengths that round to the same float32."""
    rng = np.random.default_rng(seed)
    A = rng.integers(1, 6, (n, n)) + rng.integers(-3, 4, (n, n)) * 1e-9
    D = np.triu(A, 1)
    return D + D.T


@pytest.mark.parametrize("engine", ["giotto", "gudhi", "ripser"])
def test_the_margin_keeps_edges_that_round_to_the_bound(engine, monkeypatch):
    """gudhi compares lengths in float64 and giotto-ph selects edges on the float64 matrix: the cut must sit
    above the float32 bound. With the margin, every cloud matches the full filtration."""
    from layertopo.topology import truncation

    _bound_first(monkeypatch)

    def mismatches():
        count = 0
        for seed in range(60):
            D = _float32_collisions(seed)
            dgms, _ = truncated_diagrams(D, lambda t, D=D: run_engine(engine, D, 1, t), worth=1.0)
            count += not all(np.array_equal(a, b) for a, b in zip(dgms, run_engine(engine, D, 1), strict=True))
        return count

    assert mismatches() == 0
    monkeypatch.setattr(truncation, "_MARGIN", 0.0)
    if engine != "ripser":  # ripser compares in float32 and needs no margin; the others fail without it
        assert mismatches() > 0


def test_truncation_holds_for_the_hop_metric():
    X = _spheres(200, 3, 4)
    D, thresh = finite_distance_matrix(distance_matrix(X, "knn_hops", k=8))
    assert thresh == np.inf  # connected graph: nothing capped
    full = run_engine("giotto", D, 1)
    dgms, _ = truncated_diagrams(D, lambda t: run_engine("giotto", D, 1, t))
    for ours, theirs in zip(dgms, full, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_cut_that_leaves_h1_alive_is_grown_until_every_bar_dies(monkeypatch):

    _bound_first(monkeypatch)
    X = _spheres(300, 12, 5)
    D = squareform(pdist(X))
    cuts = []

    def run(t):
        cuts.append(t)
        return run_engine("giotto", D, 1, t)

    dgms, cut = truncated_diagrams(D, run)
    full = run_engine("giotto", D, 1)
    assert cuts[0] == pytest.approx(rng_edge_bound(D.astype(np.float32)), rel=1e-5)
    assert len(cuts) >= 2 and cuts == sorted(cuts) and cut == cuts[-1]
    assert np.isinf(run_engine("giotto", D, 1, cuts[0])[1][:, 1]).any()  # the first cut left an H1 bar alive
    assert full[1][:, 1].max(initial=0.0) <= cut
    for ours, theirs in zip(dgms, full, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", range(6))
def test_the_first_cut_is_at_the_loop_death_floor_when_it_is_above_the_bound(seed):
    """No run below the floor could be complete: the first run is at the bound or the floor, whichever is longer, and
    the diagrams stay the full ones. Given the single linkage, the floor is the same."""
    X = _spheres(300, 12, seed) if seed % 2 else np.random.default_rng(seed).normal(size=(300, 8 * seed + 2))
    D = squareform(pdist(X))
    bound = rng_edge_bound(D.astype(np.float32))
    floor = rng_cut_levels(D)[1]
    assert rng_cut_levels(D) == rng_cut_levels(D, merges=single_linkage(D))
    cuts = []
    dgms, _ = truncated_diagrams(D, lambda t: cuts.append(t) or run_engine("giotto", D, 1, t))
    if floor > bound:  # the first cut holds 10 % more edges than the floor (the last death is often just above it)
        assert cuts[0] >= floor
        assert _edges_up_to(D, cuts[0]) == pytest.approx(1.1 * _edges_up_to(D, floor), rel=0.01)
        at_bound = run_engine("giotto", D, 1, bound * (1 + 1e-6))
        assert np.isinf(at_bound[1][:, 1]).any()  # a run at the bound would have left a loop alive
    else:
        assert cuts[0] == pytest.approx(bound, rel=1e-5)
    for ours, theirs in zip(dgms, run_engine("giotto", D, 1), strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dense_from", [0.0, 1.0])
def test_only_a_first_cut_holding_enough_edges_takes_the_dense_path(dense_from, monkeypatch):

    _bound_first(monkeypatch)  # the cut grows
    D = squareform(pdist(_spheres(300, 12, 5)))
    paths = []
    dgms, _ = truncated_diagrams(
        D,
        lambda t: paths.append("sparse") or run_engine("giotto", D, 1, t),
        run_dense=lambda t: paths.append("dense") or run_engine("giotto", D, 1, t, dense=True),
        dense_from=dense_from,
    )
    assert len(paths) >= 2
    assert paths == (["dense"] if dense_from == 0.0 else ["sparse"]) + ["sparse"] * (len(paths) - 1)
    for ours, theirs in zip(dgms, run_engine("giotto", D, 1), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_an_evenly_spaced_circle_whose_bound_rounds_down_in_float32_is_exact():
    """Every tree edge of a regular polygon has the same length; when its float32 value rounds down, a count of the
    float64 edges up to the float32 bound is 0: the ladder, built from that count, never grew (OverflowError)."""
    t = np.linspace(0, 2 * np.pi, 450, endpoint=False)
    X = np.c_[np.cos(t), np.sin(t)]
    cut = persistence_diagrams(X, maxdim=1)
    whole = persistence_diagrams(X, maxdim=1, truncate=False)
    for ours, theirs in zip(cut.dgms, whole.dgms, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("options", [{"growth": 1.0}, {"first_growth": 0.5}, {"floor_slack": 0.9}])
def test_a_ladder_that_cannot_grow_is_refused(options):
    D = squareform(pdist(CLOUDS["noisy_circle"](0)))
    with pytest.raises(ValueError, match="never grow"):
        truncated_diagrams(D, lambda t: run_engine("giotto", D, 1, t), **options)


def test_persistence_diagrams_sends_a_first_cut_over_dense_from_to_the_dense_path(monkeypatch):
    import functools

    from layertopo.topology import diagrams, engines, truncation

    paths = []
    giotto = engines._giotto

    def recorded(D, maxdim, threshold, n_threads, dense=False):
        paths.append(dense)
        return giotto(D, maxdim, threshold, n_threads, dense)

    monkeypatch.setattr(engines, "_giotto", recorded)
    monkeypatch.setitem(engines._ENGINES, "giotto", recorded)
    X = _spheres(400, 12, 6)
    monkeypatch.setattr(diagrams, "truncated_diagrams", functools.partial(truncation.truncated_diagrams, dense_from=0))
    cut = persistence_diagrams(X, maxdim=1)
    assert paths and paths[0] is True and not any(paths[1:])
    whole = persistence_diagrams(X, maxdim=1, truncate=False)
    for ours, theirs in zip(cut.dgms, whole.dgms, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_cut_holding_most_edges_runs_the_full_filtration_instead():
    D = squareform(pdist(CLOUDS["gaussian_64d"](0)))
    cuts = []
    truncated_diagrams(D, lambda t: cuts.append(t) or run_engine("giotto", D, 1, t), worth=0.0)
    assert cuts == [np.inf]


def test_persistence_diagrams_records_the_cut_and_can_switch_it_off():
    X = _spheres(400, 12, 6)
    cut = persistence_diagrams(X, maxdim=1)
    whole = persistence_diagrams(X, maxdim=1, truncate=False)
    diameter = pdist(X).max()
    assert whole.cut == np.inf and cut.cut < 0.6 * diameter
    for ours, theirs in zip(cut.dgms, whole.dgms, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert persistence_diagrams(X[:60], maxdim=2).cut == np.inf  # H2 is not covered: full filtration
    assert persistence_diagrams(X[:399], maxdim=1).cut == np.inf  # too small for the cut to pay
    assert persistence_diagrams(X, maxdim=1, threshold=1.0).cut == np.inf  # a user threshold is kept as given


def test_too_many_unwitnessed_edges_give_up_and_run_the_full_filtration():
    D = squareform(pdist(_spheres(200, 12, 7)))
    assert rng_edge_bound(D, max_candidates=0) == np.inf
    assert np.isfinite(rng_edge_bound(D))
    from layertopo.topology import truncation

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(truncation, "rng_cut_levels", lambda D, merges: None)
        cuts = []
        dgms, cut = truncated_diagrams(D, lambda t: cuts.append(t) or run_engine("giotto", D, 1, t))
    assert cuts == [np.inf] and cut == np.inf


def test_a_misjudged_edge_sample_still_grows_the_cut(monkeypatch):
    from layertopo.topology import truncation

    monkeypatch.setattr(truncation, "_edge_sample", lambda D: np.zeros(10))  # every quantile is 0
    _bound_first(monkeypatch)
    D = squareform(pdist(_spheres(300, 12, 5)))
    cuts = []
    dgms, _ = truncated_diagrams(D, lambda t: cuts.append(t) or run_engine("giotto", D, 1, t))
    assert len(cuts) >= 2 and all(b > a for a, b in zip(cuts, cuts[1:], strict=False))
    for ours, theirs in zip(dgms, run_engine("giotto", D, 1), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_the_config_switch_reaches_the_summary_rows():
    from layertopo.config import SignificanceConfig, TopologyConfig
    from layertopo.topology import summarize
    from layertopo.topology.diagrams import diagrams_for_config

    X = _spheres(400, 12, 8)
    cut = diagrams_for_config(X, TopologyConfig(max_points=None))
    whole = diagrams_for_config(X, TopologyConfig(max_points=None, truncate=False))
    assert np.isfinite(cut.cut) and whole.cut == np.inf
    for ours, theirs in zip(cut.dgms, whole.dgms, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    rows = summarize(cut, SignificanceConfig())
    assert [row["cut"] for row in rows] == [cut.cut, cut.cut]
