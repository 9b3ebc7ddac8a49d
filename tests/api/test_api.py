"""analyze and compare on small models with known answers."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import layertopo
from layertopo.topology import wasserstein_distance
from layertopo.topology.batch import analyze_cloud

FAST = layertopo.TopologyConfig(maxdim=1, max_points=120)


def two_blobs(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two tight Gaussian blobs in R^3, 10 apart; classes 'a' and 'b'."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0, 0.3, (n, 3)), rng.normal(0, 0.3, (n, 3)) + [10, 0, 0]]).astype(np.float32)
    return X, np.repeat(["a", "b"], n)


def doubling_model() -> nn.Sequential:
    """One Linear layer that doubles its input (same shape, twice the size)."""
    layer = nn.Linear(3, 3)
    with torch.no_grad():
        layer.weight.copy_(2 * torch.eye(3))
        layer.bias.zero_()
    return nn.Sequential(layer)


@pytest.fixture(scope="module")
def blobs_analysis() -> layertopo.Analysis:
    X, y = two_blobs()
    return layertopo.analyze(doubling_model(), X, y, ["input", "0"], topology=FAST)


def test_two_blobs_give_two_components_and_pure_classes(blobs_analysis):
    rows = blobs_analysis.summaries
    assert list(rows.columns[:3]) == ["layer", "layer_index", "label"]
    assert len(rows) == 2 * (2 + 1 + 1)  # layers x (label all: H0 and H1; labels a and b: H0)
    assert set(rows.loc[rows["label"] != "all", "dim"]) == {0}
    b0 = blobs_analysis.table("betti_significant", dim=0)
    assert b0.loc["input", "all"] == 2 and b0.loc["0", "all"] == 2
    assert (b0[["a", "b"]] == 1).all().all()
    assert blobs_analysis.table("class_purity").loc[["input", "0"], "all"].tolist() == [1.0, 1.0]
    assert (rows["error"] == "").all()
    dgms = blobs_analysis.diagrams[("input", "all")]
    assert len(dgms) == 2 and dgms[0].shape[1] == 2 and np.isinf(dgms[0][:, 1]).sum() == 1


def test_summaries_have_the_columns_and_values_of_the_pipeline_job(blobs_analysis):
    X, y = two_blobs()
    rows = analyze_cloud(X, np.unique(y, return_inverse=True)[1], FAST, "").rows
    expected = pd.DataFrame(rows)
    got = blobs_analysis.summaries.query("layer == 'input' and label == 'all'").drop(
        columns=["layer", "layer_index", "label"]
    )
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_compare_with_itself_is_symmetric_with_a_zero_diagonal(blobs_analysis):
    for dim in (0, 1):
        distances = layertopo.compare(blobs_analysis, dim=dim)
        assert list(distances.index) == list(distances.columns) == ["input", "0"]
        np.testing.assert_array_equal(np.diag(distances), 0.0)
        np.testing.assert_allclose(distances.to_numpy(), distances.to_numpy().T)
    # the doubled cloud has the same shape: zero once each diagram is divided by its cloud's RMS radius
    assert layertopo.compare(blobs_analysis, dim=0).loc["input", "0"] == pytest.approx(0.0, abs=1e-6)
    raw = layertopo.compare(blobs_analysis, dim=0, scale=False).loc["input", "0"]
    merge = blobs_analysis.summaries.query("layer == 'input' and label == 'all' and dim == 0")["longest"].iloc[0]
    assert raw == pytest.approx(merge, rel=1e-3)  # the blobs' merge height doubles: it moves by its own value


def test_class_maxdim_sets_the_homology_of_the_per_class_clouds():
    X, y = two_blobs(n=40)
    both = FAST.model_copy(update={"class_maxdim": None})
    rows = layertopo.analyze(doubling_model(), X, y, ["input"], topology=both).summaries
    assert sorted(rows.groupby("label")["dim"].apply(tuple).to_dict().items()) == [
        ("a", (0, 1)),
        ("all", (0, 1)),
        ("b", (0, 1)),
    ]
    h0 = layertopo.analyze(doubling_model(), X, y, ["input"], topology=FAST).summaries
    key = ["label", "dim"]
    pd.testing.assert_frame_equal(  # the H0 rows are the same whatever the classes' maxdim
        h0[h0["dim"] == 0].sort_values(key).reset_index(drop=True)[["label", "betti_significant", "longest"]],
        rows[rows["dim"] == 0].sort_values(key).reset_index(drop=True)[["label", "betti_significant", "longest"]],
    )
    with pytest.raises(ValueError, match="class_maxdim=1 is above topology.maxdim=0"):
        layertopo.TopologyConfig(maxdim=0, class_maxdim=1)


def test_compare_two_analyses_layer_by_layer(blobs_analysis):
    X, y = two_blobs(seed=1)
    other = layertopo.analyze(doubling_model(), X, y, ["input", "0"], topology=FAST, per_class=False)
    distances = layertopo.compare(blobs_analysis, other, metric="wasserstein", dim=0)
    assert distances.shape == (2, 2)
    assert distances.index.name == "layer_a" and distances.columns.name == "layer_b"
    assert (distances.to_numpy() > 0).all() and np.isfinite(distances.to_numpy()).all()
    assert list(other.summaries["label"].unique()) == ["all"]
    scaled = [
        analysis.diagrams[layer, "all"][0] / _rms(analysis, layer)
        for analysis, layer in ((blobs_analysis, "0"), (other, "input"))
    ]
    assert distances.loc["0", "input"] == pytest.approx(wasserstein_distance(*scaled))


def _rms(analysis, layer):
    rows = analysis.summaries
    return rows[(rows["layer"] == layer) & (rows["label"] == "all") & (rows["dim"] == 0)]["rms_radius"].iloc[0]


def test_compare_in_worker_processes_gives_the_same_matrices(blobs_analysis):
    X, y = two_blobs(seed=1)
    other = layertopo.analyze(doubling_model(), X, y, ["input", "0"], topology=FAST, per_class=False, n_jobs=2)
    for b in (None, other):
        serial = layertopo.compare(blobs_analysis, b, metric="wasserstein", dim=0)
        pd.testing.assert_frame_equal(
            layertopo.compare(blobs_analysis, b, metric="wasserstein", dim=0, n_jobs=2), serial
        )


def test_compare_rejects_what_was_not_computed(blobs_analysis):
    with pytest.raises(ValueError, match="dim=2 was not computed"):
        layertopo.compare(blobs_analysis, dim=2)
    with pytest.raises(ValueError, match="dim=1 was not computed for the per-class cloud 'a'.*class_maxdim"):
        layertopo.compare(blobs_analysis, dim=1, label="a")
    with pytest.raises(ValueError, match=r"label 'c' not in the analysis; valid labels: \['all', 'a', 'b'\]"):
        layertopo.compare(blobs_analysis, label="c")


def test_analyze_checks_labels_and_layer_names():
    X, y = two_blobs(n=10)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        layertopo.analyze(doubling_model(), X, y[:5], topology=FAST)
    with pytest.raises(KeyError, match="valid names: \\['input', '0'\\]"):
        layertopo.analyze(doubling_model(), X, y, ["hidden1"], topology=FAST)


def test_a_dead_layer_is_flagged_and_compares_as_nan():
    X, _ = two_blobs(n=20)
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.fill_(-1.0)
    analysis = layertopo.analyze(model, X, layers=["input", "1"], topology=FAST)
    assert "collapsed" in analysis.summaries.query("layer == '1'")["flags"].iloc[0]
    nan_input = np.full((20, 3), np.nan, np.float32)
    rejected = layertopo.analyze(nn.Sequential(nn.Identity()), nan_input, layers=["0"], topology=FAST)
    assert rejected.summaries["flags"].eq("rejected").all()
    assert np.isnan(layertopo.compare(analysis, rejected).to_numpy()).all()
