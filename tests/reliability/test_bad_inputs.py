"""The catalogue of bad inputs (config, data, activations; FINDINGS §4-5): each gives its documented error or flag."""

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from layertopo.capture import capture_activations
from layertopo.config import TopologyConfig, load_config
from layertopo.data import make_dataset
from layertopo.models import build_mlp
from layertopo.topology import CloudError, persistence_diagrams
from layertopo.topology.batch import analyze_cloud


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["training.lr=-0.001"], "lr"),
        (["models.good.widths=[64, 0, 64]"], "widths must be >= 1"),
        (["models.good.widths=[64, 'd/100']"], "resolves to 0"),
        (["capture.layers=[hidden9]"], "valid names"),
        (["capture.epochs=[0, 500]"], "beyond the last training epoch"),
        (["capture.epochs=[-1]"], "must be >= 0"),
        (["training.optimiser=adam"], "optimiser"),
        (["training.batch_size=0"], "batch_size"),
        (["data.kind=moons"], "concentric_spheres"),
        (["topology.maxdim=3"], "maxdim"),
        (["topology.metric=manhattan"], "knn_hops"),
        (["training.epochs=ten"], "epochs"),
        (["capture.splits=[validation]"], "splits"),
        (["training.seeds=[]"], "seeds"),
    ],
)
def test_bad_config_is_rejected_with_the_fix(overrides, message):
    with pytest.raises((ValidationError, ValueError), match=message):
        load_config(None, overrides)


def test_malformed_override_says_the_form():
    with pytest.raises(ValueError, match="key.path=value"):
        load_config(None, ["training.epochs"])


def test_linked_circles_in_two_dimensions_is_rejected():
    with pytest.raises(ValueError, match="greater than or equal to 3"):
        make_dataset("linked_circles", n_train=10, n_test=10, dim=2, noise=0, seed=0)


@pytest.mark.parametrize(
    ("cloud", "flag", "error"),
    [
        (np.full((40, 8), np.nan), "rejected", "non-finite"),  # activations of a diverged network
        (np.zeros((40, 8)), "collapsed", ""),  # a dead ReLU layer: every point identical
        (np.r_[np.zeros((30, 4)), np.eye(4)], "duplicates", ""),  # most points collapsed onto one
        (np.empty((0, 8)), "rejected", "no points"),  # a class absent from a split
    ],
)
def test_degenerate_activations_become_flagged_rows(cloud, flag, error):
    result = analyze_cloud(cloud, None, TopologyConfig(), "model=bad seed=0 epoch=5 layer=hidden1")
    dgms, rows = result.dgms, result.rows
    assert {r["dim"] for r in rows} == {0, 1}
    assert all(flag in r["flags"] for r in rows)
    if error:
        assert error in rows[0]["error"] and "layer=hidden1" in rows[0]["error"]
    else:
        assert rows[0]["error"] == "" and len(dgms[0]) >= 1


def test_hundred_thousand_points_are_subsampled_not_allocated():
    X = np.random.default_rng(0).standard_normal((100_000, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="memory budget"):
        result = persistence_diagrams(X, maxdim=0, memory_budget=64 * 1024**2)
    assert result.n_used < 3000 and "memory_subsampled" in result.flags


def test_far_offset_cloud_is_centred_before_the_engine():
    rng = np.random.default_rng(1)
    X = 1e3 + 1e-5 * rng.standard_normal((60, 3))
    result = persistence_diagrams(X, maxdim=0, engine="ripser")
    finite = result.dgms[0][np.isfinite(result.dgms[0][:, 1]), 1]
    assert len(finite) == 59 and finite.min() > 0 and finite.max() < 1e-4


def test_in_place_relu_and_shared_activation_are_captured_correctly():
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(inplace=True), torch.nn.Linear(5, 2))
    X = np.random.default_rng(2).standard_normal((20, 3)).astype(np.float32)
    pre = capture_activations(model, X, ["0"])["0"]
    assert (pre < 0).any()  # cloned before the in-place ReLU rectified it
    mlp = build_mlp(3, [4, 4], 2)
    twice = capture_activations(mlp, X, ["hidden1"])
    again = capture_activations(mlp, X, ["hidden1"])
    assert twice["hidden1"].shape == again["hidden1"].shape == (20, 4)  # hooks removed: no doubled rows


def test_capture_of_an_unknown_layer_lists_the_valid_names():
    with pytest.raises(KeyError, match="valid names"):
        capture_activations(build_mlp(3, [4], 2), np.zeros((2, 3), np.float32), ["conv1"])


def test_cloud_error_names_the_cloud_key():
    with pytest.raises(CloudError, match="epoch=7"):
        persistence_diagrams(np.array([[np.inf, 0.0]]), where="model=good epoch=7 layer=logits")
