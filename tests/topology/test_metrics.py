import numpy as np
import pytest

from layertopo.config import SignificanceConfig
from layertopo.topology import persistence_diagrams, significant_features
from layertopo.topology.metrics import distance_matrix, finite_distance_matrix


def test_knn_hops_on_a_path_counts_edges():
    X = np.arange(6, dtype=float)[:, None]  # points on a line, 1 apart
    D = distance_matrix(X, "knn_hops", k=1)
    np.testing.assert_array_equal(D[0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(D, D.T)
    G = distance_matrix(X * 2.0, "knn_geodesic", k=1)
    np.testing.assert_allclose(G[0], [0, 2, 4, 6, 8, 10])


def test_disconnected_graph_components_stay_essential():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((30, 2)), rng.standard_normal((30, 2)) + 100])
    D = distance_matrix(X, "knn_hops", k=3)
    assert np.isinf(D[0, 40])
    finite, threshold = finite_distance_matrix(D)
    assert np.isfinite(finite).all() and threshold == D[np.isfinite(D)].max()
    result = persistence_diagrams(X, maxdim=0, metric="knn_hops", knn_k=3)
    assert np.isinf(result.dgms[0][:, 1]).sum() == 2


def test_knn_hops_sees_the_loop_of_a_circle():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 2 * np.pi, 400)
    X = np.c_[np.cos(t), np.sin(t)] + 0.02 * rng.standard_normal((400, 2))
    result = persistence_diagrams(X, maxdim=1, metric="knn_hops", knn_k=14)
    assert result.metric == "knn_hops" and result.threshold == np.inf  # connected graph: no cap
    sig = significant_features(result.points, result.dgms, SignificanceConfig(), metric="knn_hops", knn_k=14)
    assert sig.betti == (1, 1)


def test_cosine_is_scale_invariant():
    X = np.random.default_rng(2).standard_normal((50, 4)) + 3
    a = persistence_diagrams(X, metric="cosine").dgms
    b = persistence_diagrams(X * 7.5, metric="cosine").dgms
    for da, db in zip(a, b, strict=True):
        np.testing.assert_allclose(da, db, atol=1e-9)


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError, match="knn_hops"):
        persistence_diagrams(np.zeros((3, 2)) + np.eye(3, 2), metric="manhattan")
