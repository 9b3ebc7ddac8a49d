import numpy as np
import pytest

from layertopo.config import SignificanceConfig
from layertopo.topology import significant_features, universal_null_pvalues
from layertopo.topology.significance import EULER_GAMMA, density_filter


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


def test_density_filter_drops_the_sparsest_points():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((95, 2)) * 0.1, rng.uniform(5, 50, (5, 2))])
    from scipy.spatial.distance import pdist, squareform

    kept, knn = density_filter(squareform(pdist(X)), k=5, keep=0.95)
    assert kept.tolist() == list(range(95))
    assert knn[95:].min() > knn[:95].max()


def test_two_blobs_give_two_components_and_no_loop():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.standard_normal((100, 5)), rng.standard_normal((100, 5)) + 12])
    from layertopo.topology import persistence_diagrams

    result = persistence_diagrams(X, maxdim=1)
    sig = significant_features(result.points, result.dgms, SignificanceConfig())
    assert sig.betti == (2, 0)
    assert sig.h0_merges[-1] > 8 and sig.h0_merges[-2] < 3 * sig.h0_scale


@pytest.mark.parametrize("ratio_min", [3.5, 100.0])
def test_a_circle_is_one_loop_by_either_rule(ratio_min):
    from layertopo.topology import persistence_diagrams

    rng = np.random.default_rng(2)
    t = rng.uniform(0, 2 * np.pi, 300)
    X = np.c_[np.cos(t), np.sin(t)] + 0.03 * rng.standard_normal((300, 2))
    result = persistence_diagrams(X, maxdim=1)
    sig = significant_features(result.points, result.dgms, SignificanceConfig(ratio_min=ratio_min))
    assert sig.betti == (1, 1)
