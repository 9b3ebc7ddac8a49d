import numpy as np

from layertopo.topology.comparisons import BOTTLENECK_RTOL, comparison_rows
from layertopo.topology.distances import bottleneck_distance, wasserstein_distance


def _diagrams():
    rng = np.random.default_rng(0)
    out = {}
    for epoch in (0, 5):
        for layer in ("input", "hidden1", "logits"):
            for split in ("train", "test"):
                for dim in (0, 1):
                    births = rng.uniform(0, 1, 4)
                    out[(epoch, layer, split, dim)] = np.c_[births, births + rng.uniform(0.1, 1, 4)]
    return out


def test_pairs_cover_layers_splits_and_epochs():
    diagrams = _diagrams()
    rows = comparison_rows(diagrams, {}, ["input", "hidden1", "logits"])
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    # per epoch, split, dim: 2 consecutive pairs and 2 to the input; per epoch, layer, dim: 1 train/test pair
    assert kinds == {
        "layer_to_next": 2 * 2 * 2 * 2,
        "layer_to_input": 2 * 2 * 2 * 2,
        "train_test": 2 * 3 * 2,
        "epoch_to_next": 1 * 3 * 2 * 2,
    }
    first = next(r for r in rows if r["kind"] == "layer_to_next")
    expected = bottleneck_distance(diagrams[(0, "input", "test", 0)], diagrams[(0, "hidden1", "test", 0)])
    assert first["layer"] == "input" and first["other_layer"] == "hidden1"
    assert abs(first["bottleneck"] - expected) <= first["bottleneck_tolerance"]


def test_diagrams_are_compared_after_scaling_by_the_cloud_radius():
    a = np.array([[0.0, 1.0], [0.0, np.inf]])
    diagrams = {(0, "input", "test", 0): a, (0, "hidden1", "test", 0): 10 * a}
    scales = {(0, "input", "test"): 1.0, (0, "hidden1", "test"): 10.0}
    rows = comparison_rows(diagrams, scales, ["input", "hidden1"])
    assert all(r["bottleneck"] <= r["bottleneck_tolerance"] and r["wasserstein"] < 1e-12 for r in rows)
    raw = comparison_rows(diagrams, {}, ["input", "hidden1"])
    assert raw[0]["bottleneck"] > 1


def test_wasserstein_is_computed_for_h0_only_unless_asked():
    diagrams = _diagrams()
    layers = ["input", "hidden1", "logits"]
    rows = comparison_rows(diagrams, {}, layers)
    both = comparison_rows(diagrams, {}, layers, wasserstein_dims=(0, 1))
    assert len(rows) == len(both)
    for row, full in zip(rows, both, strict=True):
        assert row["bottleneck"] == full["bottleneck"]
        a = diagrams[(row["epoch"], row["layer"], row["split"], row["dim"])]
        b = diagrams[(row["other_epoch"], row["other_layer"], row["other_split"], row["dim"])]
        assert full["wasserstein"] == wasserstein_distance(a, b) > 0
        if row["dim"] == 0:
            assert row["wasserstein"] == full["wasserstein"]
        else:
            assert np.isnan(row["wasserstein"])


def test_each_row_records_the_error_bound_of_its_bottleneck_distance():
    rng = np.random.default_rng(1)
    h0 = {(e, layer, "test", 0): np.c_[np.zeros(5), rng.uniform(0.1, 1, 5)] for e in (0, 1) for layer in ("a", "b")}
    births = rng.uniform(0, 1, 5)
    h1 = {(e, layer, "test", 1): np.c_[births, births + rng.uniform(0.1, 1, 5)] for e in (0, 1) for layer in ("a", "b")}
    rows = comparison_rows(h0 | h1, {}, ["a", "b"])
    assert {r["bottleneck_tolerance"] for r in rows if r["dim"] == 0} == {0.0}  # one common birth: exact
    assert all(0 <= r["bottleneck_tolerance"] <= BOTTLENECK_RTOL * r["bottleneck"] for r in rows if r["dim"] == 1)
    for r in rows:
        a, b = (
            (h0 | h1)[(r["epoch"], r["layer"], r["split"], r["dim"])],
            (h0 | h1)[(r["other_epoch"], r["other_layer"], r["other_split"], r["dim"])],
        )
        exact = bottleneck_distance(a, b)
        assert r["bottleneck"] - r["bottleneck_tolerance"] <= exact <= r["bottleneck"]
        assert r["bottleneck_tolerance"] > 0 or r["bottleneck"] == exact  # no error: the distance itself
