import gudhi
import joblib
import numpy as np
import persim
import pytest
from scipy.optimize import linear_sum_assignment

from layertopo.topology.distances import (
    WASSERSTEIN_DELTA,
    bottleneck_distance,
    check_diagram,
    diagram_distance,
    pairwise_distances,
    wasserstein_distance,
    wasserstein_distances,
)

INF = np.inf
EMPTY = np.empty((0, 2))


def random_diagram(rng: np.random.Generator, k: int, n_essential: int = 0) -> np.ndarray:
    births = rng.uniform(0.0, 1.0, k + n_essential)
    deaths = births + rng.exponential(0.3, k + n_essential)
    deaths[k:] = INF
    return rng.permutation(np.column_stack([births, deaths]))


def brute_wasserstein(a: np.ndarray, b: np.ndarray, order: float) -> float:
    """W_q between finite diagrams by assignment on the augmented cost matrix (points or diagonal)."""
    m, n = len(a), len(b)
    big = 1e12
    cost = np.zeros((m + n, n + m))
    cost[:m, :n] = np.maximum(np.abs(a[:, None, 0] - b[None, :, 0]), np.abs(a[:, None, 1] - b[None, :, 1])) ** order
    cost[:m, n:] = big
    cost[:m, n:][np.diag_indices(m)] = ((a[:, 1] - a[:, 0]) / 2) ** order  # a_i -> diagonal
    cost[m:, :n] = big
    cost[m:, :n][np.diag_indices(n)] = ((b[:, 1] - b[:, 0]) / 2) ** order  # diagonal -> b_j
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum() ** (1 / order))


# ---- hand-computed values (L-infinity ground metric) ------------------------------------------------


def test_nested_bars_are_matched_to_each_other():
    # (0,1)<->(0,2) costs max(0, 1) = 1; both to the diagonal costs max(0.5, 1) = 1 (bottleneck),
    # 0.5 + 1 = 1.5 (W1), sqrt(0.25 + 1) (W2): the direct matching wins or ties.
    a, b = np.array([[0.0, 1.0]]), np.array([[0.0, 2.0]])
    assert bottleneck_distance(a, b) == 1.0
    assert wasserstein_distance(a, b, order=1) == pytest.approx(1.0, rel=WASSERSTEIN_DELTA)
    assert wasserstein_distance(a, b, order=2) == pytest.approx(1.0, rel=WASSERSTEIN_DELTA)


def test_far_apart_bars_go_to_the_diagonal():
    # (0,1)<->(5,6) would cost 5; each to the diagonal costs 0.5.
    a, b = np.array([[0.0, 1.0]]), np.array([[5.0, 6.0]])
    assert bottleneck_distance(a, b) == 0.5
    assert wasserstein_distance(a, b, order=1) == pytest.approx(1.0, rel=WASSERSTEIN_DELTA)
    assert wasserstein_distance(a, b, order=2) == pytest.approx(np.sqrt(0.5), rel=WASSERSTEIN_DELTA)


def test_empty_against_one_bar_is_half_its_persistence():
    bar = np.array([[1.0, 3.0]])
    assert bottleneck_distance(EMPTY, bar) == 1.0
    assert bottleneck_distance(bar, []) == 1.0
    assert wasserstein_distance(EMPTY, bar, order=1) == pytest.approx(1.0, rel=WASSERSTEIN_DELTA)
    assert wasserstein_distance(EMPTY, np.array([[0.0, 2.0], [0.0, 4.0]]), order=2) == pytest.approx(
        np.sqrt(5.0), rel=WASSERSTEIN_DELTA
    )
    assert bottleneck_distance(EMPTY, EMPTY) == 0.0
    assert wasserstein_distance(EMPTY, EMPTY) == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (EMPTY, [[0.0, INF]]),
        ([[0.0, INF], [0.0, 1.0]], [[0.0, 1.0]]),
        ([[0.0, INF], [1.0, INF]], [[0.0, INF], [0.0, 5.0]]),
    ],
)
def test_different_numbers_of_essential_bars_are_infinitely_far(a, b):
    assert bottleneck_distance(a, b) == INF
    assert wasserstein_distance(a, b, order=1) == INF
    assert wasserstein_distance(b, a, order=2) == INF
    assert pairwise_distances([a, b])[0, 1] == INF


def test_essential_bars_are_matched_by_sorted_births():
    # sorted: 0<->0.5 and 2<->1 (gaps 0.5, 1); the crossed matching would cost 1 and 1.5.
    a = np.array([[2.0, INF], [0.0, INF]])
    b = np.array([[0.5, INF], [1.0, INF]])
    assert bottleneck_distance(a, b) == 1.0
    assert wasserstein_distance(a, b, order=1) == 1.5
    assert wasserstein_distance(a, b, order=2) == pytest.approx(np.sqrt(1.25))


def test_finite_and_essential_parts_are_combined():
    # finite parts (0,1) vs (0,2): 1 in every metric; essential births 0 vs 3: gap 3.
    a = np.array([[0.0, 1.0], [0.0, INF]])
    b = np.array([[0.0, 2.0], [3.0, INF]])
    assert bottleneck_distance(a, b) == 3.0
    assert wasserstein_distance(a, b, order=1) == pytest.approx(4.0, rel=WASSERSTEIN_DELTA)
    assert wasserstein_distance(a, b, order=2) == pytest.approx(np.sqrt(10.0), rel=WASSERSTEIN_DELTA)
    # essential gap smaller than the finite part: the finite part decides the bottleneck
    c = np.array([[0.0, 2.0], [0.25, INF]])
    assert bottleneck_distance(a, c) == 1.0


def test_diagonal_points_cost_nothing():
    a = np.array([[0.0, 1.0]])
    assert bottleneck_distance(a, np.array([[0.0, 1.0], [3.0, 3.0], [7.0, 7.0]])) == 0.0
    assert wasserstein_distance(a, np.array([[0.0, 1.0], [3.0, 3.0]])) == pytest.approx(0.0, abs=1e-12)


# ---- properties and reference implementations -------------------------------------------------------


def test_symmetry_and_identity():
    rng = np.random.default_rng(0)
    for _ in range(10):
        a, b = random_diagram(rng, 8, 2), random_diagram(rng, 5, 2)
        assert bottleneck_distance(a, b) == bottleneck_distance(b, a)
        assert wasserstein_distance(a, b, order=2) == pytest.approx(
            wasserstein_distance(b, a, order=2), rel=2 * WASSERSTEIN_DELTA
        )
        assert bottleneck_distance(a, a) == pytest.approx(0.0, abs=1e-12)
        assert bottleneck_distance(a, a) == 0.0
        assert wasserstein_distance(a, a) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("metric", ["bottleneck", "wasserstein"])
@pytest.mark.parametrize("order", [1.0, 2.0])
def test_triangle_inequality(metric, order):
    rng = np.random.default_rng(1)
    slack = 1 + 3 * WASSERSTEIN_DELTA
    for _ in range(15):
        a, b, c = (random_diagram(rng, int(rng.integers(0, 10)), 1) for _ in range(3))
        ab = diagram_distance(a, b, metric, order)
        bc = diagram_distance(b, c, metric, order)
        ac = diagram_distance(a, c, metric, order)
        assert ac <= (ab + bc) * slack + 1e-12


def test_bottleneck_agrees_with_persim_on_finite_diagrams():
    rng = np.random.default_rng(2)
    for _ in range(20):
        a, b = random_diagram(rng, int(rng.integers(1, 30))), random_diagram(rng, int(rng.integers(1, 30)))
        assert bottleneck_distance(a, b) == pytest.approx(persim.bottleneck(a, b), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_wasserstein_agrees_with_brute_force_assignment(order):
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = random_diagram(rng, int(rng.integers(0, 9))), random_diagram(rng, int(rng.integers(1, 9)))
        expected = brute_wasserstein(a, b, order)
        assert wasserstein_distance(a, b, order=order) == pytest.approx(expected, rel=WASSERSTEIN_DELTA, abs=1e-12)


def test_essential_handling_agrees_with_gudhi_own_inf_support():
    # gudhi also matches essential bars among themselves; our explicit split must give the same numbers
    rng = np.random.default_rng(4)
    for _ in range(10):
        a, b = random_diagram(rng, 6, 3), random_diagram(rng, 9, 3)
        assert bottleneck_distance(a, b) == pytest.approx(gudhi.bottleneck_distance(a, b, e=0), rel=1e-12)
        reference = gudhi.hera.wasserstein_distance(a, b, order=2, internal_p=INF, delta=1e-6)
        assert wasserstein_distance(a, b, order=2) == pytest.approx(reference, rel=2 * WASSERSTEIN_DELTA)


# ---- dispatcher and pairwise matrix -----------------------------------------------------------------


def test_diagram_distance_dispatches():
    a, b = np.array([[0.0, 1.0]]), np.array([[5.0, 6.0]])
    assert diagram_distance(a, b) == bottleneck_distance(a, b) == 0.5
    assert diagram_distance(a, b, "wasserstein", order=2) == wasserstein_distance(a, b, order=2)
    with pytest.raises(ValueError, match="metric"):
        diagram_distance(a, b, "euclidean")


@pytest.mark.parametrize(("metric", "order"), [("bottleneck", 1.0), ("wasserstein", 1.0), ("wasserstein", 2.0)])
def test_pairwise_matrix_matches_elementwise_calls(metric, order):
    rng = np.random.default_rng(5)
    dgms = [random_diagram(rng, int(rng.integers(0, 8)), int(rng.integers(1, 3))) for _ in range(6)]
    D = pairwise_distances(dgms, metric, order=order)
    assert D.shape == (6, 6)
    assert np.array_equal(D, D.T)
    assert np.all(np.diag(D) == 0.0)
    for i in range(6):
        for j in range(i + 1, 6):
            assert D[i, j] == diagram_distance(dgms[i], dgms[j], metric, order)
    assert np.isinf(D).any() and np.isfinite(D).any()  # both essential counts occur


def test_pairwise_with_joblib_equals_serial():
    # threads keep the test fast (process workers would re-import the package); the joblib path is the same
    rng = np.random.default_rng(6)
    dgms = [random_diagram(rng, 10, 1) for _ in range(5)]
    serial = pairwise_distances(dgms)
    with joblib.parallel_config(backend="threading"):
        assert np.array_equal(pairwise_distances(dgms, n_jobs=2), serial)


def test_pairwise_edge_sizes():
    assert pairwise_distances([]).shape == (0, 0)
    assert pairwise_distances([np.array([[0.0, 1.0]])]).tolist() == [[0.0]]


# ---- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((3, 3)), r"b: expected an array of shape \(k, 2\).*\(3, 3\)"),
        (np.array([0.0, 1.0]), r"b: expected an array of shape \(k, 2\).*\(2,\)"),
        (np.array([[0.0, 1.0], [2.0, 1.0]]), r"b: deaths must be >= births.*row 1"),
        (np.array([[0.0, np.nan]]), r"b: deaths must be >= births \(NaN not allowed\).*row 0"),
        (np.array([[np.nan, 1.0]]), r"b: births must be finite.*row 0"),
        (np.array([[-INF, 1.0]]), r"b: births must be finite"),
        (np.array([[0.0, -INF]]), r"b: deaths must be >= births"),
    ],
)
def test_bad_diagrams_raise_clear_errors(bad, message):
    good = np.array([[0.0, 1.0]])
    with pytest.raises(ValueError, match=message):
        bottleneck_distance(good, bad)
    with pytest.raises(ValueError, match=message):
        wasserstein_distance(good, bad)
    with pytest.raises(ValueError, match=message.replace("b:", "a:", 1)):
        bottleneck_distance(bad, good)


def test_pairwise_names_the_bad_diagram():
    with pytest.raises(ValueError, match=r"diagrams\[2\]: deaths must be >= births"):
        pairwise_distances([EMPTY, EMPTY, np.array([[1.0, 0.0]])])
    with pytest.raises(ValueError, match="metric"):
        pairwise_distances([EMPTY], "l2")


@pytest.mark.parametrize("order", [0.5, 0.0, -1.0, INF, np.nan])
def test_bad_wasserstein_order(order):
    with pytest.raises(ValueError, match="order"):
        wasserstein_distance(EMPTY, EMPTY, order=order)


def test_check_diagram_returns_float64_and_accepts_empty():
    out = check_diagram([[0, 1], [2, 3]])
    assert out.dtype == np.float64 and out.shape == (2, 2)
    assert check_diagram([]).shape == (0, 2)


@pytest.mark.parametrize("order", [1.0, 2.0])
@pytest.mark.parametrize("sizes", [(0, 5), (7, 0), (1, 1), (30, 45), (200, 180)])
def test_common_birth_wasserstein_is_exact(order, sizes):
    """H0-like diagrams (every bar born at 0) take the exact dynamic programme: equal to the assignment."""
    rng = np.random.default_rng(sum(sizes))
    a = np.column_stack([np.zeros(sizes[0]), rng.exponential(1.0, sizes[0])])
    b = np.column_stack([np.zeros(sizes[1]), rng.exponential(0.7, sizes[1]) + 0.1])
    expected = brute_wasserstein(a, b, order) if len(a) + len(b) else 0.0
    assert wasserstein_distance(a, b, order=order) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_common_birth_wasserstein_with_ties_and_an_essential_bar():
    a = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 3.0], [0.0, INF]])
    b = np.array([[0.0, 1.0], [0.0, 2.9], [0.0, 0.2], [0.0, INF]])
    # one 1.0 bar matched to b's 1.0 (0), the other to the diagonal (0.5); 3.0 to 2.9 (0.1);
    # b's 0.2 to the diagonal (0.1)
    assert wasserstein_distance(a, b) == pytest.approx(0.7, abs=1e-12)
    assert wasserstein_distance(a, b) == pytest.approx(brute_wasserstein(a[:3], b[:3], 1.0), abs=1e-12)


def test_common_birth_wasserstein_agrees_with_hera_on_rips_h0():
    """On real H0 diagrams (ripser, two clouds) the fast path and hera agree within hera's tolerance."""
    from gudhi.hera import wasserstein_distance as hera
    from ripser import ripser

    rng = np.random.default_rng(5)
    h0 = [ripser(rng.standard_normal((150, 8)) * s, maxdim=0)["dgms"][0] for s in (1.0, 1.3)]
    finite = [d[np.isfinite(d[:, 1])].astype(np.float64) for d in h0]
    ours = wasserstein_distance(finite[0], finite[1])
    assert ours == pytest.approx(hera(finite[0], finite[1], order=1, internal_p=np.inf, delta=1e-6), rel=1e-5)


def test_many_wasserstein_distances_at_once_equal_each_alone_to_the_last_bit():
    """H0 pairs of different sizes share one dynamic programme (padding must change nothing); other pairs,
    essential bars and mismatched essential counts take their own paths."""
    rng = np.random.default_rng(12)

    def h0(k: int) -> np.ndarray:
        return np.r_[np.c_[np.zeros(k), rng.exponential(1.0, k)], [[0.0, INF]]]

    pairs = [(h0(n), h0(m)) for n, m in [(30, 50), (50, 30), (1, 40), (0, 0), (45, 45), (7, 0)]]
    pairs += [(random_diagram(rng, 20), random_diagram(rng, 25)), (h0(5), h0(5)[:-1])]
    for order in (1.0, 1.5, 2.0, 3.0):  # at 1.5 and 3 numpy's power rounded arrays and numbers differently
        many = wasserstein_distances(pairs, order=order)
        alone = [wasserstein_distance(a, b, order=order) for a, b in pairs]
        assert many.tolist() == alone, order
    a, b = [[0.0, 0.87]], [[0.0, 0.47]]  # a review's case: the cube root of 0.064 rounded two ways
    assert wasserstein_distances([(a, b)], order=3.0)[0] == wasserstein_distance(a, b, order=3.0)
    assert many[-1] == INF
