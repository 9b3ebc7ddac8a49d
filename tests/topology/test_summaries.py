import json

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist, squareform
from scipy.stats import hypergeom

from layertopo.config import SignificanceConfig
from layertopo.topology import betti_curve, diagram_statistics, pca_dims, persistence_diagrams, summarize
from layertopo.topology.significance import merge_tree
from layertopo.topology.summaries import class_separation, purity_chance


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
    assert rows[0]["purity_above_chance"] == 1.0 and 0.5 < rows[0]["purity_chance"] < 0.6
    mixed = summarize(persistence_diagrams(X, maxdim=1), SignificanceConfig(), rng.permutation(y))
    assert mixed[0]["class_purity"] < 0.7 and abs(mixed[0]["purity_above_chance"]) < 0.2
    assert np.isnan(rows[1]["class_purity"]) and np.isnan(rows[1]["purity_above_chance"])
    assert {r["dim"] for r in rows} == {0, 1} and rows[0]["n_input"] == 160
    assert rows[0]["component_sizes"] == "80 80"


def _exact_two_class_chance(clusters: np.ndarray, labels: np.ndarray) -> float:
    """E[purity] under shuffled labels for two classes: a hypergeometric count per cluster."""
    n, ones = len(labels), int(labels.sum())
    total = 0.0
    for c in np.unique(clusters):
        size = int((clusters == c).sum())
        k = np.arange(0, size + 1)
        total += float(np.sum(hypergeom.pmf(k, n, ones, size) * np.maximum(k, size - k)))
    return total / n


@pytest.mark.parametrize("sizes", [(250, 250), (499, 1), (300, 150, 50)])
def test_purity_chance_equals_the_exact_hypergeometric_expectation(sizes):
    clusters = np.repeat(np.arange(len(sizes)), sizes)
    labels = np.random.default_rng(0).permutation(np.r_[np.zeros(200, int), np.ones(sum(sizes) - 200, int)])
    expected = _exact_two_class_chance(clusters, labels)
    assert purity_chance(clusters, labels) == pytest.approx(expected, rel=1e-12)
    shuffles = np.random.default_rng(1).permuted(np.tile(labels, (20_000, 1)), axis=1)  # and what shuffling gives
    majority = [np.sum([np.bincount(s[clusters == c], minlength=2).max() for c in range(len(sizes))]) for s in shuffles]
    assert np.mean(majority) / len(labels) == pytest.approx(expected, abs=1e-3)


def test_purity_chance_of_three_classes_is_estimated_by_shuffling():
    """No closed form is used beyond two classes: the Monte Carlo estimate against a brute-force enumeration of
    every assignment of 2 + 2 + 2 labels to clusters of 3 and 3 (90 distinct arrangements)."""
    from itertools import permutations

    clusters, labels = np.repeat([0, 1], 3), np.repeat([0, 1, 2], 2)
    arrangements = {p for p in permutations(labels)}
    exact = np.mean(
        [sum(np.bincount(np.array(a)[clusters == c], minlength=3).max() for c in (0, 1)) / 6 for a in arrangements]
    )
    assert purity_chance(clusters, labels, n_permutations=20_000) == pytest.approx(exact, abs=5e-3)


def test_one_cluster_is_exactly_at_chance():
    clusters = np.zeros(300, int)
    labels = np.r_[np.zeros(100, int), np.ones(200, int)]
    assert purity_chance(clusters, labels) == pytest.approx(2 / 3)


def test_a_speck_does_not_make_the_purity_split():
    """Cut into two clusters, a tree whose highest merge joins a 2-point speck must not split there."""
    rng = np.random.default_rng(3)
    X = np.vstack([rng.standard_normal((60, 2)), rng.standard_normal((60, 2)) + 12, [[60.0, 60.0], [60.5, 60.0]]])
    y = np.r_[np.zeros(60, int), np.ones(62, int)]
    tree = merge_tree(squareform(pdist(X)), min_size=10)
    separation = class_separation(tree, y)
    assert separation["class_purity"] == 1.0 and separation["purity_above_chance"] == 1.0


def test_class_shares_before_and_after_subsampling():
    rng = np.random.default_rng(4)
    inner = rng.standard_normal((900, 12))
    inner /= np.linalg.norm(inner, axis=1, keepdims=True)
    outer = 1.3 * rng.standard_normal((300, 12))
    X, y = np.vstack([inner, outer]), np.r_[np.zeros(900, int), np.ones(300, int)]
    rows = summarize(persistence_diagrams(X, maxdim=0, max_points=200, labels=y), SignificanceConfig(), y)
    assert json.loads(rows[0]["class_shares_input"]) == {"0": 0.75, "1": 0.25}
    assert json.loads(rows[0]["class_shares_used"]) == {"0": 0.75, "1": 0.25}
    assert rows[0]["class_share_shift"] == 0.0
    unstratified = summarize(persistence_diagrams(X, maxdim=0, max_points=200), SignificanceConfig(), y)
    assert unstratified[0]["class_share_shift"] > 0.3  # farthest points favour the spread-out class
    alone = summarize(persistence_diagrams(X[:900], maxdim=0), SignificanceConfig())
    assert alone[0]["class_shares_input"] == "" and np.isnan(alone[0]["class_share_shift"])


def test_a_kept_distance_matrix_gives_the_same_summary_rows():
    """``analyze_cloud`` keeps the engine's distance matrix for the significance (one distance matrix a cloud,
    not two): the rows must be those of the summary that computes it again; by default none is kept."""
    from layertopo.config import SignificanceConfig
    from layertopo.topology import persistence_diagrams, summarize

    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(size=(120, 5)), rng.normal(size=(120, 5)) + 4]
    labels = np.repeat([0, 1], 120)
    kept = persistence_diagrams(X, maxdim=1, max_points=150, labels=labels, keep_distances=True)
    again = persistence_diagrams(X, maxdim=1, max_points=150, labels=labels)
    assert kept.distances.shape == (150, 150) and again.distances is None
    rows = summarize(kept, SignificanceConfig(), labels)
    assert rows[0]["betti_significant"] == 2  # two blobs
    assert pd.DataFrame(rows).equals(pd.DataFrame(summarize(again, SignificanceConfig(), labels)))
