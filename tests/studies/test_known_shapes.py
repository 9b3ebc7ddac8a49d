"""Significant Betti numbers recover the true ones on clouds of known topology (issue 14 acceptance, small draw).

The full draw (100 instances per family) is ``benchmarks/known_shapes.py``; its figures are in
docs/significance.md. Here: the first 20 instances of every family, the pipeline's default TopologyConfig.
"""

import numpy as np
import pytest

from layertopo.config import TopologyConfig
from layertopo.data.shapes import gaussian_blobs
from layertopo.studies.known_shapes import (
    FAMILIES,
    H1_FAMILIES,
    blob_parameters,
    h1_trial,
    instance_parameters,
    resolvable_separation,
    run_trials,
)


def test_instances_span_the_required_ranges():
    params = [instance_parameters("circle", i) for i in range(100)]
    assert min(p["n"] for p in params) == 300 and max(p["n"] for p in params) <= 1000
    assert max(p["noise"] for p in params) == pytest.approx(0.05)
    assert {p["ambient_dim"] for p in params} == {2, 8, 16, 32, 64}
    blobs = [blob_parameters(64, i) for i in range(100)]
    assert {p["n_blobs"] for p in blobs} == {2, 3, 4, 5} and {p["size_ratio"] for p in blobs} == {1.0, 9.0}
    separations = [p["separation"] for p in blobs]
    assert resolvable_separation(64) <= min(separations) < 15 and 28 < max(separations) <= 30


def test_blob_sizes_fall_nine_to_one():
    X, betti = gaussian_blobs(300, np.random.default_rng(0), 12, n_blobs=5, separation=20.0, size_ratio=9.0)
    assert X.shape == (300, 12) and betti == (5, 0)


def test_every_family_is_recovered_on_a_small_draw():
    """12 instances per family, in this process (about 13 s; the suite's two workers already fill the cores). On
    100 (the benchmark) every family reaches 0.94 and all 0.994; 12 draws of a 0.94 rate can fall to 0.8, hence
    the looser bound per family here (these 12 give 0.83 for the lowest family, 0.98 overall)."""
    outcomes = run_trials(list(FAMILIES), 12, TopologyConfig())
    rates = {family: float(np.mean([f == t for f, t in results])) for family, results in outcomes.items()}
    overall = np.mean([found == true for results in outcomes.values() for found, true in results])
    assert min(rates.values()) >= 0.8, {family: rate for family, rate in rates.items() if rate < 1}
    assert overall >= 0.95, rates


def test_h1_rule_on_landmarks_finds_loops_and_only_loops():
    config = TopologyConfig()
    for family in ("gaussian_d12", "sphere11_d64", "circle_d64", "torus_d12"):
        _, has_loops = H1_FAMILIES[family]
        found, true = h1_trial(family, 0, config)
        assert found == true and (true > 0) == has_loops, family
