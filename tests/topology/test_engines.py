import gudhi
import numpy as np
import pytest
from ripser import ripser
from scipy.spatial.distance import pdist, squareform

from layertopo.topology import mst_edge_lengths, persistence_diagrams
from layertopo.topology.engines import _as_diagram, run_engine


def _cloud(seed, n=60, d=5):
    return np.random.default_rng(seed).standard_normal((n, d))


def _bottleneck(a, b):
    return gudhi.bottleneck_distance(a, b)


def test_mst_h0_equals_ripser_h0():
    X = _cloud(0, 200, 8)
    D = squareform(pdist(X))
    ours = np.sort(mst_edge_lengths(D))
    theirs = ripser(D, maxdim=0, distance_matrix=True)["dgms"][0]
    np.testing.assert_allclose(ours, np.sort(theirs[np.isfinite(theirs[:, 1]), 1]), atol=1e-6)
    assert len(ours) == 199


@pytest.mark.parametrize("seed", range(5))
def test_exact_engines_agree_within_1e6(seed):
    X = _cloud(seed, 80, 4)
    results = {
        engine: persistence_diagrams(X, maxdim=1, engine=engine).dgms for engine in ("ripser", "giotto", "gudhi")
    }
    for engine in ("giotto", "gudhi"):
        for dim in (0, 1):
            assert _bottleneck(results["ripser"][dim], results[engine][dim]) <= 1e-6, (engine, dim)
    h0_mst = persistence_diagrams(X, maxdim=0, engine="mst").dgms[0]
    assert _bottleneck(results["ripser"][0], h0_mst) <= 1e-6


def test_diagram_format_matches_ripser_convention():
    X = _cloud(1, 40, 3)
    result = persistence_diagrams(X, maxdim=1)
    assert len(result.dgms) == 2
    for dgm in result.dgms:
        assert dgm.dtype == np.float64 and dgm.ndim == 2 and dgm.shape[1] == 2
        assert (dgm[:, 1] > dgm[:, 0]).all()
    assert np.isinf(result.dgms[0][:, 1]).sum() == 1
    assert result.n_input == result.n_unique == result.n_used == 40 and result.cover_radius == 0.0


def test_threshold_makes_long_classes_essential():
    t = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    X = np.c_[np.cos(t), np.sin(t)]
    full = persistence_diagrams(X, maxdim=1).dgms[1]
    cut = persistence_diagrams(X, maxdim=1, threshold=1.0, engine="ripser").dgms[1]
    assert np.isfinite(full[:, 1]).all() and full[:, 1].max() > 1.5
    assert np.isinf(cut[:, 1]).sum() == 1


def test_unknown_engine_and_mst_beyond_h0_are_rejected():
    D = squareform(pdist(_cloud(0, 5, 2)))
    with pytest.raises(ValueError, match="unknown engine"):
        run_engine("nope", D, 1)
    with pytest.raises(ValueError, match="H0 only"):
        run_engine("mst", D, 1)


def test_minimum_spanning_tree_lengths_from_single_linkage_equal_prims():
    """The H0 engine takes scipy's single-linkage heights; a dense Prim must find the same floats, ties (points
    on a grid) and infinite distances (disconnected graph metrics) included."""
    from layertopo.topology.engines import _prim_edge_lengths

    rng = np.random.default_rng(3)
    grid = rng.integers(0, 4, (60, 3)).astype(float) + rng.integers(0, 2, (60, 1)) * 0.5
    for X in (rng.normal(size=(200, 8)), np.unique(grid, axis=0)):
        D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
        assert np.array_equal(mst_edge_lengths(D), np.sort(_prim_edge_lengths(D)))
    D = np.array([[0.0, 1.0, np.inf], [1.0, 0.0, np.inf], [np.inf, np.inf, 0.0]])
    assert mst_edge_lengths(D).tolist() == [1.0, np.inf]


@pytest.mark.parametrize("threshold", [np.inf, 2.5, 1.2, 0.6])
@pytest.mark.parametrize("maxdim", [1, 2])
def test_giotto_core_gives_ripser_parallels_bars_to_the_bit(threshold, maxdim):
    """The engine calls giotto-ph's compiled module itself (its package's import costs 1.2 s of scikit-learn per
    worker): the bars must be those of ``ripser_parallel`` on the same matrix, bit for bit, cut (2.5 holds about
    two thirds of the edges, 0.6 a fiftieth) or not, on its sparse path or its dense one (these thresholds are not
    within half a float32 step of an edge length: see the next test)."""
    from gph import ripser_parallel

    from layertopo.topology.engines import giotto_core

    assert giotto_core() is not None  # found where giotto-ph 0.2 keeps it, so the test compares two paths
    for seed in range(3):
        D = squareform(pdist(_cloud(seed, 70, 3)))
        theirs = ripser_parallel(D, maxdim=maxdim, thresh=threshold, metric="precomputed")["dgms"]
        ours = run_engine("giotto", D, maxdim, threshold)
        dense = run_engine("giotto", D, maxdim, threshold, dense=True)  # the whole matrix, longer edges skipped
        assert len(ours) == maxdim + 1 and len(ours[0]) == 70  # every point a bar: no duplicates
        for mine, on_the_dense_path, reference in zip(ours, dense, theirs, strict=True):
            assert np.array_equal(mine, _as_diagram(reference))
            assert np.array_equal(on_the_dense_path, mine)


def test_the_dense_path_also_takes_edges_less_than_half_a_float32_step_above_the_threshold():
    """A square with sides 1 and diagonals 1.2, cut just under 1.2: the sparse path leaves the diagonals out (their
    float64 length is above the threshold) and the loop alive; the dense path compares float32 lengths, takes them
    and fills the loop. Both are prefixes of the float32 filtration; the full filtration has the dense path's bar."""
    side, diagonal = 1.0, 1.2
    D = np.array(
        [[0, side, diagonal, side], [side, 0, side, diagonal], [diagonal, side, 0, side], [side, diagonal, side, 0]]
    )
    threshold = diagonal - 1e-9
    assert np.float32(threshold) == np.float32(diagonal)
    sparse, dense, full = (
        run_engine("giotto", D, 1, t, dense=d) for t, d in ((threshold, False), (threshold, True), (np.inf, False))
    )
    assert sparse[1].tolist() == [[1.0, np.inf]]
    assert dense[1].tolist() == full[1].tolist() == [[1.0, float(np.float32(diagonal))]]


def test_giotto_engine_falls_back_to_ripser_parallel_when_the_core_is_missing(monkeypatch):
    from layertopo.topology import engines

    D = squareform(pdist(_cloud(4, 60, 3)))
    direct = run_engine("giotto", D, 1, 1.0)
    monkeypatch.setattr(engines, "giotto_core", lambda: None)
    fallback = run_engine("giotto", D, 1, 1.0)
    assert all(np.array_equal(a, b) for a, b in zip(direct, fallback, strict=True)) and len(direct[1]) > 0


def test_giotto_core_is_the_module_giotto_phs_package_uses():
    """Loaded once: giotto-ph's package, imported after, takes the same module (a second load of the extension
    would register its types twice)."""
    import gph.python.ripser_interface as interface

    from layertopo.topology.engines import giotto_core

    assert giotto_core() is interface.gph_ripser


@pytest.mark.parametrize("maxdim", [0, 1])
def test_kept_distances_share_one_single_linkage_and_change_no_bar(maxdim):
    """With the distances kept (the pipeline's summaries), the single linkage is computed once and gives the H0
    engine its tree and the cut its longest edge: the same bars as without, and the linkage the merge tree uses."""
    from scipy.cluster.hierarchy import linkage

    X = _cloud(7, 450, 4)
    kept = persistence_diagrams(X, maxdim=maxdim, keep_distances=True)
    plain = persistence_diagrams(X, maxdim=maxdim)
    assert all(np.array_equal(a, b) for a, b in zip(kept.dgms, plain.dgms, strict=True)) and len(kept.dgms[0]) == 450
    assert np.array_equal(kept.merges, linkage(pdist(kept.points), method="single")) and plain.merges is None
