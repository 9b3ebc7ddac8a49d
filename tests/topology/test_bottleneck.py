"""The bottleneck distance against a brute-force reference: the smallest radius at which the augmented
bipartite graph (each diagram's points plus diagonal copies of the other's) has a perfect matching."""

import gudhi
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from layertopo.topology import bottleneck as bottleneck_module
from layertopo.topology.bottleneck import checked_bottleneck, common_birth_bottleneck, matching_exists
from layertopo.topology.distances import bottleneck_distance


def augmented_costs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cost matrix of shape (n + m, m + n): points of a and diagonal copies of b's against b and a's copies."""
    n, m = len(a), len(b)
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = np.maximum(np.abs(a[:, None, 0] - b[None, :, 0]), np.abs(a[:, None, 1] - b[None, :, 1]))
    cost[:n, m:] = np.inf
    cost[:n, m:][np.diag_indices(n)] = (a[:, 1] - a[:, 0]) / 2
    cost[n:, :m] = np.inf
    cost[n:, :m][np.diag_indices(m)] = (b[:, 1] - b[:, 0]) / 2
    return cost


def perfect_at(cost: np.ndarray, r: float) -> bool:
    graph = csr_matrix((cost <= r).astype(np.int8))
    return bool((maximum_bipartite_matching(graph, perm_type="column") >= 0).all())


def brute_bottleneck(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) + len(b) == 0:
        return 0.0
    cost = augmented_costs(a, b)
    radii = np.unique(cost[np.isfinite(cost)])
    lo, hi = 0, len(radii) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if perfect_at(cost, radii[mid]) else (mid + 1, hi)
    return float(radii[lo])


def random_pair(rng: np.random.Generator, common_birth: bool, most: int = 7) -> tuple[np.ndarray, np.ndarray]:
    def one(k: int) -> np.ndarray:
        births = np.zeros(k) if common_birth else rng.random(k)
        return np.c_[births, births + rng.random(k)]

    n, m = rng.integers(0, most + 1, size=2)
    return one(n), one(m)


# gudhi 3.13 returns 0.135706368 here (with e=0) instead of 2.9e-9: H0 of six points on a line, from
# giotto-ph and from gudhi on a float64 distance matrix (found by tests/reliability/test_property_clouds.py).
SIX_POINTS = (
    np.array([[0.0, 0.23929363489151], [0.0, 0.26070636510849], [0.0, 0.375]]),
    np.array([[0.0, 9.60432927e-104], [0.0, 3.07622341e-030], [0.0, 0.239293632], [0.0, 0.260706368], [0.0, 0.375]]),
)
# gudhi 3.13 returns 0.445 here (default tolerance) instead of 0.42: bars of different births.
FOUR_AND_THREE = (
    np.array([[0.58, 0.73], [0.57, 0.66], [0.13, 0.97], [0.04, 0.93]]),
    np.array([[0.97, 1.39], [0.89, 1.72], [0.4, 1.17]]),
)


@pytest.mark.parametrize("scale", [1.0, 1e-10, 1e8])
@pytest.mark.parametrize("pair", [SIX_POINTS, FOUR_AND_THREE], ids=["six_points", "four_and_three"])
def test_pairs_that_gudhi_gets_wrong_get_the_brute_force_value(pair, scale):
    """At 1e-10 hera's exact algorithm (the first fallback) returned 0 for FOUR_AND_THREE: the value must be
    the brute force's own float, to the last bit."""
    a, b = pair[0] * scale, pair[1] * scale
    expected = brute_bottleneck(a, b)
    assert bottleneck_distance(a, b) == expected
    assert bottleneck_distance(b, a) == expected
    assert checked_bottleneck(a, b) == expected


@pytest.mark.parametrize("common_birth", [True, False], ids=["common_birth", "any_birth"])
def test_random_small_diagrams_match_brute_force(common_birth):
    rng = np.random.default_rng(7)
    for _ in range(300):
        a, b = random_pair(rng, common_birth)
        expected = brute_bottleneck(a, b)
        assert bottleneck_distance(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-15), (a, b)
        assert abs(bottleneck_distance(a, b, tolerance=1e-3) - expected) <= 1e-3 + 1e-15, (a, b)


def test_common_birth_algorithm_matches_hera_exact_on_large_diagrams():
    rng = np.random.default_rng(3)
    for n, m in [(500, 500), (400, 650), (1, 300)]:
        x, y = rng.exponential(1.0, n), rng.exponential(1.0, m)
        a, b = np.c_[np.zeros(n), x], np.c_[np.zeros(m), y]
        assert common_birth_bottleneck(x, y) == pytest.approx(gudhi.hera.bottleneck_distance(a, b, delta=0), rel=1e-12)


def test_a_common_birth_other_than_zero_takes_the_certified_path_and_stays_exact():
    u = 2.0**-52
    a, b = np.array([[4 / 3 * u, 1 + u]]), np.array([[4 / 3 * u, 1 + 2 * u]])
    assert bottleneck_distance(a, b) == brute_bottleneck(a, b) == u  # not |fl(d1 - c) - fl(d2 - c)|


def test_many_equal_lengths_do_not_slow_the_greedy_test_down():
    import time

    x = np.full(20_000, 1.0)
    start = time.perf_counter()
    assert common_birth_bottleneck(x, np.r_[x[:-1], 3.0]) == 1.5  # the 3 goes to the diagonal (a 1 is 2 away)
    assert time.perf_counter() - start < 1.0  # one vectorised pass per duplicate took 1.3 s


def test_common_birth_algorithm_handles_empty_and_zero_length_bars():
    assert common_birth_bottleneck(np.array([]), np.array([])) == 0.0
    assert common_birth_bottleneck(np.array([0.0, 0.0]), np.array([])) == 0.0
    assert common_birth_bottleneck(np.array([3.0, 1.0]), np.array([])) == 1.5
    assert common_birth_bottleneck(np.array([2.0]), np.array([2.0, 0.5])) == 0.25


def test_matching_exists_agrees_with_the_augmented_graph_at_every_candidate_radius():
    rng = np.random.default_rng(11)
    for _ in range(40):
        a, b = random_pair(rng, common_birth=False, most=5)
        cost = augmented_costs(a, b)
        for r in np.unique(cost[np.isfinite(cost)]):
            assert matching_exists(a, b, r) == perfect_at(cost, r)
            assert matching_exists(a, b, np.nextafter(r, 0)) == perfect_at(cost, np.nextafter(r, 0))


def test_a_wrong_value_from_gudhi_is_caught_and_replaced(monkeypatch):
    rng = np.random.default_rng(2)
    a, b = random_pair(rng, common_birth=False, most=30)
    expected = brute_bottleneck(a, b)
    assert expected > 0

    def off_by_half(x, y, e=0.0):
        return 1.5 * expected

    monkeypatch.setattr(bottleneck_module.gudhi, "bottleneck_distance", off_by_half)
    assert checked_bottleneck(a, b) == pytest.approx(expected, rel=1e-12)
    assert checked_bottleneck(a, b, tolerance=1e-3) == pytest.approx(expected, rel=1e-12)
