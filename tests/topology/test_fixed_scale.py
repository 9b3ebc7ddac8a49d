import numpy as np
import pytest

from layertopo.config import TopologyConfig
from layertopo.topology import CloudError
from layertopo.topology.batch import analyze_cloud
from layertopo.topology.fixed_scale import hop_distances, knn_betti_numbers
from layertopo.topology.metrics import distance_matrix


def circle(n: int, seed: int = 0, noise: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t)] + noise * rng.standard_normal((n, 2))


def sphere(n: int, seed: int = 0) -> np.ndarray:
    X = np.random.default_rng(seed).standard_normal((n, 3))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_hop_distances_equal_graph_shortest_paths_up_to_the_scale():
    X = np.random.default_rng(3).standard_normal((120, 3))
    reference = distance_matrix(X, "knn_hops", k=5)  # scipy shortest paths on the same graph
    for scale in (1, 2, 3):
        hops = hop_distances(X, k=5, scale=scale).toarray()
        upper = np.triu(np.where(reference <= scale, reference, 0), k=1)
        np.testing.assert_array_equal(hops, upper)


@pytest.mark.parametrize(
    ("cloud", "maxdim", "expected"),
    [
        (circle(400), 1, (1, 1)),
        (sphere(600), 2, (1, 0, 1)),
        (np.vstack([circle(300, 1) * 0.2, circle(300, 2) * 0.2 + 5]), 1, (2, 2)),
        (np.random.default_rng(4).uniform(-1, 1, (800, 2)), 1, (1, 0)),
    ],
    ids=["circle", "sphere", "two-circles", "square"],
)
def test_known_shapes_at_three_hops(cloud, maxdim, expected):
    result = knn_betti_numbers(cloud, k=14, scale=3, maxdim=maxdim)
    assert result.betti == expected
    assert (result.k, result.scale, result.n_input, result.n_unique) == (14, 3, len(cloud), len(cloud))


@pytest.mark.parametrize("seed", range(4))
def test_giotto_and_gudhi_give_the_same_betti_numbers(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((250, 3)) * [1.0, 1.0, 0.3]
    for k, scale in [(6, 1), (8, 2), (10, 2)]:
        giotto = knn_betti_numbers(X, k=k, scale=scale, maxdim=2, engine="giotto")
        gudhi = knn_betti_numbers(X, k=k, scale=scale, maxdim=2, engine="gudhi")
        assert giotto.betti == gudhi.betti
        assert giotto.n_edges == gudhi.n_edges


def test_scale_is_counted_in_hops_of_the_knn_graph():
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    X = np.c_[np.cos(angles), np.sin(angles)]  # with k = 2 the graph is the 12-cycle
    assert knn_betti_numbers(X, k=2, scale=1, maxdim=1).betti == (1, 1)  # the cycle itself: one loop
    assert knn_betti_numbers(X, k=2, scale=3, maxdim=1).betti == (1, 1)  # edges up to a quarter turn
    assert knn_betti_numbers(X, k=2, scale=6, maxdim=1).betti == (1, 0)  # 6 hops join every pair: a simplex


def test_duplicates_are_merged_and_counted():
    X = circle(300)
    doubled = np.vstack([X, X[:100]])
    result = knn_betti_numbers(doubled, k=14, scale=3)
    assert result.betti == knn_betti_numbers(X, k=14, scale=3).betti == (1, 1)
    assert (result.n_input, result.n_unique) == (400, 300)


def test_tiny_and_collapsed_clouds_are_one_component():
    assert knn_betti_numbers(np.zeros((50, 4)), maxdim=2).betti == (1, 0, 0)
    small = knn_betti_numbers(np.eye(3), k=14, maxdim=1)
    assert small.betti == (1, 0) and small.k == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"scale": 0}, "scale must be a positive whole number"),
        ({"scale": 1.5}, "scale must be a positive whole number"),
        ({"maxdim": 4}, "maxdim must be"),
        ({"engine": "ripser"}, "unknown fixed-scale engine"),
    ],
)
def test_bad_parameters_are_named_with_the_cloud(kwargs, message):
    with pytest.raises(CloudError, match=message) as info:
        knn_betti_numbers(circle(50), where="layer=hidden3", **kwargs)
    assert "layer=hidden3" in str(info.value)


def test_non_finite_points_are_rejected_before_the_graph():
    X = circle(50)
    X[7, 1] = np.nan
    with pytest.raises(CloudError, match="non-finite"):
        knn_betti_numbers(X, where="layer=input")


def test_pipeline_rows_carry_the_fixed_scale_betti_numbers_when_asked():
    X = circle(300)
    plain = analyze_cloud(X, None, TopologyConfig(maxdim=1)).rows
    assert "betti_fixed_scale" not in plain[0]
    rows = analyze_cloud(X, None, TopologyConfig(maxdim=1, fixed_scale=3, knn_k=14)).rows
    assert [row["betti_fixed_scale"] for row in rows] == [1, 1]
    assert {(row["fixed_scale"], row["fixed_scale_k"]) for row in rows} == {(3, 14)}
