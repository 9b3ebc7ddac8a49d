import numpy as np
import pytest
from scipy.spatial.distance import cdist

from layertopo.topology import maxmin_subsample, persistence_diagrams, random_subsample
from layertopo.topology.subsample import class_quotas, cover_radius, stratified_subsample


def test_maxmin_cover_radius_is_the_true_covering_distance():
    X = np.random.default_rng(0).standard_normal((500, 4))
    idx, radius = maxmin_subsample(X, 60, random_state=3)
    assert len(set(idx.tolist())) == 60
    assert radius == np.max(cdist(X, X[idx]).min(axis=1))
    again, _ = maxmin_subsample(X, 60, random_state=3)
    np.testing.assert_array_equal(idx, again)
    _, random_radius = random_subsample(X, 60, random_state=3)
    assert radius < random_radius  # landmarks cover better than a random subset


def test_long_bar_survives_subsampling_within_the_cover_radius():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 2 * np.pi, 800)
    X = np.c_[np.cos(t), np.sin(t)] + 0.02 * rng.standard_normal((800, 2))
    full = persistence_diagrams(X, maxdim=1)
    sub = persistence_diagrams(X, maxdim=1, max_points=120)
    assert sub.n_used == 120 and sub.cover_radius > 0
    long_full = np.max(np.diff(full.dgms[1], axis=1))
    long_sub = np.max(np.diff(sub.dgms[1], axis=1))
    assert abs(long_full - long_sub) <= 2 * sub.cover_radius


@pytest.mark.parametrize("counts", [(1000, 2000), (700, 2300), (10, 990, 500), (1, 1, 2998)])
@pytest.mark.parametrize("n_points", [150, 500])
def test_class_quotas_keep_the_shares_within_one_point(counts, n_points):
    quotas = class_quotas(np.array(counts), n_points)
    assert quotas.sum() == n_points
    assert np.all(np.abs(quotas - n_points * np.array(counts) / sum(counts)) < 1)


@pytest.mark.parametrize("method", ["maxmin", "random"])
def test_stratified_landmarks_keep_each_class_share_within_two_points(method):
    """Issue 14: farthest points of two concentric spheres took 78-97 % of one class; per class they keep the mix."""
    rng = np.random.default_rng(2)
    U = rng.standard_normal((3000, 12))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    y = rng.integers(0, 2, 3000)
    X = U * np.where(y == 1, 1.3, 1.0)[:, None]
    idx, radius = stratified_subsample(X, y, 500, method=method, random_state=0)
    assert len(set(idx.tolist())) == 500 and np.all(np.diff(idx) > 0)
    assert abs(np.mean(y[idx]) - np.mean(y)) < 0.02
    assert radius == pytest.approx(np.max(cdist(X, X[idx]).min(axis=1)))
    plain, _ = maxmin_subsample(X, 500, random_state=0)
    assert abs(np.mean(y[plain]) - np.mean(y)) > 0.2  # what it replaces


def test_cover_radius_by_blocks_equals_the_dense_one():
    X = np.random.default_rng(3).standard_normal((5000, 3))
    idx = np.arange(0, 5000, 7)
    assert cover_radius(X, idx) == np.max(cdist(X, X[idx]).min(axis=1))


def test_labels_of_the_wrong_length_are_refused_before_any_work():
    X = np.random.default_rng(4).standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"labels \(layer=h1\) must have shape \(50,\)"):
        persistence_diagrams(X, labels=np.zeros(49), where="layer=h1")


@pytest.mark.parametrize("scale", [1.0, 1e4, 1e-4])
def test_gram_trick_values_are_exact_after_the_cdist_refinement(scale):
    from layertopo.topology.metrics import nearest_euclidean
    from layertopo.topology.summaries import class_margin

    rng = np.random.default_rng(1)
    X = scale * (rng.standard_normal((700, 16)) + 50)  # far from the origin: the Gram trick cancels badly
    labels = rng.integers(0, 3, len(X))
    exact = cdist(X, X[:40]).min(axis=1) ** 2
    nearest, slack = nearest_euclidean(X, X[:40], block=128)
    assert np.all(np.abs(nearest - exact) <= slack)
    assert cover_radius(X, np.arange(40)) == np.sqrt(exact).max()
    margins = [cdist(X[labels == a], X[labels == b]).min() for a, b in ((0, 1), (0, 2), (1, 2))]
    assert class_margin(X, labels, block=128) == min(margins)
    idx, radius = maxmin_subsample(X, 50, random_state=2)
    assert radius == cdist(X, X[idx]).min(axis=1).max()


@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e6])
def test_stratified_cover_radius_is_the_one_against_every_landmark(scale):
    """The stratified landmarks' cover radius comes from each point's own-class distances; it must be the
    float ``cover_radius`` gives against the landmarks of every class, also when the classes interleave (a
    point's nearest landmark is then often of the other class) and when one class is kept whole."""
    rng = np.random.default_rng(3)
    for n_classes, n_points in [(2, 300), (3, 450), (2, 1150)]:
        X = rng.normal(size=(1200, 8)) * scale
        labels = rng.integers(0, n_classes, 1200)
        labels[:40] = n_classes  # a small class: kept whole once n_points is large
        indices, radius = stratified_subsample(X, labels, n_points)
        assert radius == cover_radius(X, indices) > 0


@pytest.mark.parametrize("method", ["maxmin", "random"])
def test_a_class_too_small_for_a_share_gets_no_landmark(method):
    """A review's case: 11 points of one class and 1 of another, 5 landmarks: the small class's quota is 0."""
    X, labels = np.arange(12.0)[:, None], np.array([0] * 11 + [1])
    indices, radius = stratified_subsample(X, labels, 5, method=method)
    assert len(indices) == 5 and set(labels[indices]) == {0}
    assert radius == cover_radius(X, indices)
