import numpy as np

from layertopo.config import SignificanceConfig
from layertopo.topology import betti_curve, diagram_statistics, pca_dims, persistence_diagrams, summarize


def test_betti_curve_counts_bars_alive_at_each_scale():
    dgm = np.array([[0.0, 1.0], [0.0, np.inf], [0.5, 2.0]])
    np.testing.assert_array_equal(
        betti_curve(dgm, np.array([0.0, 0.5, 0.99, 1.0, 1.5, 2.0, 10.0])), [2, 3, 3, 2, 2, 1, 1]
    )


def test_betti_curve_matches_a_brute_force_count():
    rng = np.random.default_rng(0)
    births = rng.uniform(0, 1, 50)
    dgm = np.c_[births, births + rng.uniform(0, 1, 50)]
    grid = np.linspace(0, 2, 41)
    brute = [int(np.sum((dgm[:, 0] <= t) & (t < dgm[:, 1]))) for t in grid]
    np.testing.assert_array_equal(betti_curve(dgm, grid), brute)


def test_diagram_statistics_values():
    stats = diagram_statistics(np.array([[0.0, 1.0], [0.0, 3.0], [0.0, np.inf]]))
    assert stats["n_bars"] == 3 and stats["n_infinite"] == 1
    assert stats["total_persistence"] == 4.0 and stats["longest"] == 3.0 and stats["second"] == 1.0
    assert np.isclose(stats["entropy"], -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)))
    empty = diagram_statistics(np.empty((0, 2)))
    assert empty["n_bars"] == 0 and empty["longest"] == 0.0 and empty["entropy"] == 0.0


def test_pca_dims_counts_directions_of_variance():
    rng = np.random.default_rng(1)
    flat = np.c_[rng.standard_normal(200) * 10, rng.standard_normal(200) * 0.01, np.zeros(200)]
    assert pca_dims(flat) == 1
    assert pca_dims(rng.standard_normal((500, 5))) == 5


def test_class_purity_separates_two_labelled_blobs():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.standard_normal((80, 3)), rng.standard_normal((80, 3)) + 15])
    y = np.r_[np.zeros(80, int), np.ones(80, int)]
    rows = summarize(persistence_diagrams(X, maxdim=1), SignificanceConfig(), y)
    assert rows[0]["class_purity"] == 1.0 and rows[0]["betti_significant"] == 2
    mixed = summarize(persistence_diagrams(X, maxdim=1), SignificanceConfig(), rng.permutation(y))
    assert mixed[0]["class_purity"] < 0.7
    assert np.isnan(rows[1]["class_purity"])
    assert {r["dim"] for r in rows} == {0, 1} and rows[0]["n_input"] == 160
