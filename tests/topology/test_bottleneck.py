"""The bottleneck distance against a brute-force reference: the smallest radius at which the augmented
bipartite graph (each diagram's points plus diagonal copies of the other's) has a perfect matching."""

import gudhi
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from layertopo.topology import bottleneck as bottleneck_module
from layertopo.topology.bottleneck import checked_bottleneck, common_birth_bottleneck, matching_exists
from layertopo.topology.distances import bottleneck_distance, bottleneck_within


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


def noisy_pair(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two draws of many short bars near one place and a few long ones, like the H1 diagrams of activation
    clouds: most long bars have more than ``NEAREST`` neighbours, so every path of ``_covers`` runs."""

    def one() -> np.ndarray:
        births = rng.uniform(0.5, 0.8, n)
        return np.c_[births, births + rng.exponential(0.02, n)]

    return one(), one()


def test_matching_exists_agrees_with_the_augmented_graph_on_crowded_diagrams():
    """Diagrams of 40-60 bars: the small nearest-neighbour graph and its shortcuts must give the brute-force
    answer, at every cost near the distance and a unit in the last place below."""
    rng = np.random.default_rng(5)
    for n in (40, 60, 60, 60):
        a, b = noisy_pair(rng, n)
        cost = augmented_costs(a, b)
        radii = np.unique(cost[np.isfinite(cost)])
        exact = brute_bottleneck(a, b)
        near = radii[np.clip(np.searchsorted(radii, exact) + np.arange(-15, 15), 0, len(radii) - 1)]
        for r in np.unique(np.r_[near, np.nextafter(near, 0)]):
            assert matching_exists(a, b, r) == perfect_at(cost, r), (n, r)


@pytest.mark.parametrize("within", [5, 6])
def test_more_long_bars_than_nearest_neighbours_go_to_the_degree_fallback(monkeypatch, within):
    """70 long bars at one place; the pool has 64 bars right there, ``within`` more inside the radius and ten
    outside. The nearest-neighbour graphs (16, then 64 per bar) match at most 64 bars and no list is whole, so
    the fallback decides: 64 + 6 bars serve 70, 64 + 5 do not."""
    assert max(bottleneck_module.NEAREST) == 64
    long = np.full((70, 2), [0.0, 10.0]) + np.c_[np.zeros(70), np.linspace(0, 1e-3, 70)]
    pool = np.r_[np.full((64, 2), [0.0, 10.0]), np.full((within, 2), [0.0, 10.9]), np.full((10, 2), [0.0, 12.0])]
    calls = []
    fallback = bottleneck_module._covers_by_degree
    monkeypatch.setattr(bottleneck_module, "_covers_by_degree", lambda *args: calls.append(1) or fallback(*args))
    graph = csr_matrix((np.abs(long[:, None, 1] - pool[None, :, 1]) <= 1.0).astype(np.int8))
    expected = bool((maximum_bipartite_matching(graph, perm_type="column") >= 0).all())
    assert bottleneck_module._covers(long, pool, 1.0) == expected == (within == 6)
    assert calls == [1]


@pytest.mark.parametrize("rtol", [1e-1, 1e-3])
def test_bracketed_bottleneck_holds_the_exact_value_within_its_bound(rtol):
    rng = np.random.default_rng(9)
    exact_ones = 0
    for trial in range(60):
        a, b = noisy_pair(rng, 30) if trial % 2 else random_pair(rng, common_birth=False, most=12)
        if len(a) == 0 or len(b) == 0:
            continue
        exact = brute_bottleneck(a, b)
        value, error = bottleneck_module.bracketed_bottleneck(a, b, rtol)
        assert value - error <= exact <= value, (a, b)
        assert error <= rtol * value + 1e-300
        assert error > 0 or value == exact  # a matching at the lower bound: the distance itself, to the bit
        exact_ones += error == 0
    assert 10 <= exact_ones < 60  # both ways are exercised


def test_the_lower_bounds_are_the_brute_force_ones():
    """Every bar goes to the diagonal (half its length) or to a bar of the other diagram (its nearest at
    least): the largest of those cheapest fates, on each side, bounds every matching's cost from below."""
    rng = np.random.default_rng(12)
    for trial in range(200):
        a, b = noisy_pair(rng, 40) if trial % 2 else random_pair(rng, common_birth=False, most=20)
        if len(a) == 0 or len(b) == 0:
            continue
        cost = np.maximum(np.abs(a[:, None, 0] - b[None, :, 0]), np.abs(a[:, None, 1] - b[None, :, 1]))
        half_a, half_b = (a[:, 1] - a[:, 0]) / 2, (b[:, 1] - b[:, 0]) / 2
        expected = max(np.minimum(half_a, cost.min(axis=1)).max(), np.minimum(half_b, cost.min(axis=0)).max())
        sides = bottleneck_module._Side(a, b), bottleneck_module._Side(b, a)
        assert sides[1].least_cost(sides[0].least_cost(0.0)) == expected
        assert brute_bottleneck(a, b) >= expected
        x, y = np.sort(a[:, 1] - a[:, 0]), np.sort(b[:, 1] - b[:, 0])
        gaps = np.abs(x[:, None] - y[None, :])
        lengths = max(np.minimum(x / 2, gaps.min(axis=1)).max(), np.minimum(y / 2, gaps.min(axis=0)).max())
        assert max(bottleneck_module._least_length_cost(x, y), bottleneck_module._least_length_cost(y, x)) == lengths
    assert bottleneck_module._least_length_cost(np.array([1.0, 3.0]), np.array([])) == 1.5


def test_bottleneck_within_is_exact_for_h0_and_bounded_with_essential_bars():
    rng = np.random.default_rng(4)
    x, y = rng.exponential(1.0, 50), rng.exponential(1.0, 60)
    h0a, h0b = np.c_[np.zeros(50), x], np.c_[np.zeros(60), y]
    assert bottleneck_within(h0a, h0b, rtol=1e-3) == (bottleneck_distance(h0a, h0b), 0.0)
    a, b = noisy_pair(rng, 30)
    a, b = np.r_[a, [[0.1, np.inf]]], np.r_[b, [[0.3, np.inf]]]  # the essential bars are 0.2 apart
    value, error = bottleneck_within(a, b, rtol=1e-3)
    assert value - error <= bottleneck_distance(a, b) <= value and error <= 1e-3 * value
    assert bottleneck_within(a, b[:-1], rtol=1e-3) == (np.inf, 0.0)
    with pytest.raises(ValueError, match="rtol"):
        bottleneck_within(a, b, rtol=0.0)


def test_subnormal_lengths_are_halved_as_the_brute_force_halves_them():
    """A review's case: with lengths of a few subnormal units, ``x > 2 r`` and ``x / 2 > r`` disagree (the half
    rounds); the long bars must be those whose rounded half exceeds r."""
    u = 5e-324
    x, y = np.array([9.0, 11.0]) * u, np.array([0.0, 1.0, 9.0]) * u
    expected = brute_bottleneck(np.c_[np.zeros(2), x], np.c_[np.zeros(3), y])
    assert common_birth_bottleneck(x, y) == expected == 4 * u
