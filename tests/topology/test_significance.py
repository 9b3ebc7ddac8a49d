import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

from layertopo.config import SignificanceConfig
from layertopo.data.shapes import gaussian, gaussian_blobs, uniform_ball
from layertopo.topology import persistence_diagrams, significant_features, universal_null_pvalues
from layertopo.topology.significance import EULER_GAMMA, merge_tree


def test_universal_null_pvalue_formula():
    dgm = np.array([[1.0, 1.5], [1.0, 1.6], [1.0, 1.4], [0.1, 2.0], [0.5, np.inf]])
    p = universal_null_pvalues(dgm)
    loglog = np.log(np.log(dgm[:4, 1] / dgm[:4, 0]))
    ell = loglog - loglog.mean() - EULER_GAMMA
    np.testing.assert_allclose(p[:4], np.exp(-np.exp(ell)))
    assert np.isnan(p[4])
    assert p[3] == p[:4].min()


def test_too_few_bars_give_no_evidence():
    assert universal_null_pvalues(np.array([[0.1, 5.0]])).tolist() == [1.0]
    assert universal_null_pvalues(np.empty((0, 2))).shape == (0,)


def _betti(X: np.ndarray, maxdim: int = 1, **config) -> tuple[int, ...]:
    result = persistence_diagrams(X, maxdim=maxdim)
    return significant_features(result.points, result.dgms, SignificanceConfig(**config)).betti


@pytest.mark.parametrize(("dim", "separation"), [(12, 12.0), (64, 24.0), (256, 30.0)])
def test_blobs_the_old_rule_merged_are_two_components_in_any_dimension(dim, separation):
    """Issue 14: 3 x the median 10-NN distance counted these as one component (R^12 at 12 SD, R^64 at 24 SD)."""
    X, _ = gaussian_blobs(600, np.random.default_rng(dim), dim, n_blobs=2, separation=separation)
    assert _betti(X) == (2, 0)


def test_unequal_blobs_are_counted_and_a_speck_is_not():
    rng = np.random.default_rng(5)
    X, _ = gaussian_blobs(500, rng, 12, n_blobs=3, separation=15.0, size_ratio=9.0)
    specks = 40.0 + rng.standard_normal((3, 12)) * 0.1  # three outliers together, far away: fewer than min_size
    assert _betti(np.vstack([X, specks])) == (3, 0)
    assert _betti(np.vstack([X, specks]), min_size=3) == (4, 0)


@pytest.mark.parametrize("dim", [2, 12, 64, 256])
def test_one_gaussian_or_ball_is_one_component(dim):
    rng = np.random.default_rng(dim)
    assert _betti(gaussian(500, rng, dim)[0], maxdim=0) == (1,)
    assert _betti(uniform_ball(500, rng, dim)[0], maxdim=0) == (1,)


def _robust(values: list[float]) -> tuple[float, float]:
    median = float(np.median(values))
    return median, 1.4826 * float(np.median(np.abs(np.array(values) - median)))


def test_merge_scores_follow_the_definition():
    """z = (log h - the sparser component's median log edge) / (MAD pooled within the two components),
    recomputed by brute force from scipy's linkage."""
    rng = np.random.default_rng(3)
    dense, sparse = rng.standard_normal((30, 3)) * 0.5, rng.standard_normal((25, 3)) * 2 + 12
    X = np.vstack([dense, sparse, rng.standard_normal((4, 3)) + 40])
    tree = merge_tree(squareform(pdist(X)), min_size=10)
    Z = linkage(pdist(X), method="single")
    assert np.array_equal(tree.merges, Z)
    n = len(X)
    members = {i: [i] for i in range(n)}
    big = []
    for j, (a, b, height, _) in enumerate(Z):
        A, B = members.pop(int(a)), members.pop(int(b))
        members[n + j] = A + B
        if len(A) >= 10 and len(B) >= 10:
            inside = [
                [np.log(h) for k, (_, _, h, _) in enumerate(Z[:j]) if set(_leaves(Z, n + k, n)) <= set(side)]
                for side in (A, B)
            ]
            (med_a, sd_a), (med_b, sd_b) = _robust(inside[0]), _robust(inside[1])
            weights = np.array([len(inside[0]), len(inside[1])])
            spread = np.sqrt((weights[0] * sd_a**2 + weights[1] * sd_b**2) / weights.sum())
            big.append(j)
            assert tree.z[len(big) - 1] == pytest.approx((np.log(height) - max(med_a, med_b)) / spread)
    assert tree.big.tolist() == big == [len(Z) - 2]  # the 4-point speck never makes a big merge
    sig = significant_features(X, [np.empty((0, 2))], SignificanceConfig())
    assert sig.betti == (2,) and sig.component_sizes.tolist() == [30, 29]  # the speck joins its nearest blob


@pytest.mark.parametrize("min_size", [1, 3, 6])
def test_every_merge_score_of_a_deep_tree_follows_the_definition(min_size):
    """Many nested big merges (clusters of clusters): each z recomputed by brute force from the tree edges inside
    its two components; a linkage passed in gives the same tree."""
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=6, size=(6, 2))
    X = np.vstack(
        [c + rng.normal(scale=s, size=(12, 2)) for c, s in zip(centres, [0.3, 0.5, 1, 0.4, 2, 0.7], strict=True)]
    )
    D = squareform(pdist(X))
    Z = linkage(pdist(X), method="single")
    n = len(X)
    members = {i: [i] for i in range(n)}
    expected = {}
    for j, (a, b, height, _) in enumerate(Z):
        A, B = members.pop(int(a)), members.pop(int(b))
        members[n + j] = A + B
        if len(A) >= min_size and len(B) >= min_size:
            inside = [
                [np.log(h) for k, (_, _, h, _) in enumerate(Z[:j]) if set(_leaves(Z, n + k, n)) <= set(side)]
                for side in (A, B)
            ]
            stats = [(_robust(edges), len(edges)) for edges in inside if edges]
            if not stats:
                expected[j] = 0.0
                continue
            spread = np.sqrt(sum(w * sd**2 for (_, sd), w in stats) / sum(w for _, w in stats))
            expected[j] = (np.log(height) - max(med for (med, _), _ in stats)) / max(spread, 1e-9)
    tree = merge_tree(D, min_size=min_size)
    assert tree.big.tolist() == sorted(expected) and len(expected) >= 5
    np.testing.assert_allclose(tree.z, [expected[j] for j in sorted(expected)], rtol=1e-12, atol=1e-12)
    given = merge_tree(D, min_size=min_size, merges=Z)
    assert np.array_equal(given.big, tree.big) and np.array_equal(given.z, tree.z)


def test_a_dense_clump_beside_a_sparse_cloud_of_another_scale():
    """Two clusters of different scales: pooling their log edges would double the spread and hide the gap."""
    rng = np.random.default_rng(6)
    X = np.vstack([rng.standard_normal((250, 12)) * 0.3, rng.standard_normal((250, 12)) * 1.0 + 3.0])
    tree = merge_tree(squareform(pdist(X)), min_size=10)
    assert tree.z.max() > 4 and _betti(X, maxdim=0) == (2,)


def _leaves(Z: np.ndarray, node: int, n: int) -> list[int]:
    if node < n:
        return [node]
    a, b = int(Z[node - n, 0]), int(Z[node - n, 1])
    return _leaves(Z, a, n) + _leaves(Z, b, n)


def test_partition_matches_scipy_when_no_specks():
    rng = np.random.default_rng(4)
    X, _ = gaussian_blobs(120, rng, 3, n_blobs=3, separation=20.0)
    tree = merge_tree(squareform(pdist(X)), min_size=1)
    labels = tree.partition(tree.big[-2:])
    reference = fcluster(tree.merges, t=3, criterion="maxclust")
    # same clusters up to their names
    assert len(set(zip(labels.tolist(), reference.tolist(), strict=True))) == 3


def test_equal_edges_do_not_divide_by_zero():
    grid = np.array([[i, j] for i in range(5) for j in range(5)], dtype=float)
    X = np.vstack([grid, grid + [20, 0]])
    assert _betti(X) == (2, 0)
    assert _betti(grid) == (1, 0)


@pytest.mark.parametrize("ratio_min", [3.5, 100.0])
def test_a_circle_is_one_loop_by_either_rule(ratio_min):
    rng = np.random.default_rng(2)
    t = rng.uniform(0, 2 * np.pi, 300)
    X = np.c_[np.cos(t), np.sin(t)] + 0.03 * rng.standard_normal((300, 2))
    assert _betti(X, ratio_min=ratio_min) == (1, 1)


def test_old_significance_keys_are_refused_with_the_new_ones_named():
    with pytest.raises(ValueError, match="min_size and h0_z"):
        SignificanceConfig(h0_factor=3.0)
