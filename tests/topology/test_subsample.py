import numpy as np
from scipy.spatial.distance import cdist

from layertopo.topology import maxmin_subsample, persistence_diagrams, random_subsample


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
