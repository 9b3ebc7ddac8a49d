import numpy as np
import pytest
import torch
from torch import nn

from layertopo.capture import capture_activations
from layertopo.models import build_mlp


def test_captured_values_equal_a_manual_forward():
    model = build_mlp(5, [7, 6], 2, seed=0)
    X = np.random.default_rng(0).standard_normal((30, 5)).astype(np.float32)
    acts = capture_activations(model, X, batch_size=8)
    h1 = torch.relu(model.linear1(torch.from_numpy(X)))
    h2 = torch.relu(model.linear2(h1))
    np.testing.assert_allclose(acts["hidden1"], h1.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts["hidden2"], h2.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(acts["input"], X)
    assert acts["logits"].shape == (30, 2)


def test_in_place_activation_does_not_change_what_was_recorded():
    model = nn.Sequential()
    model.add_module("lin", nn.Linear(3, 4))
    model.add_module("act", nn.ReLU(inplace=True))
    X = np.random.default_rng(1).standard_normal((20, 3)).astype(np.float32)
    acts = capture_activations(model, X, ["lin"])
    raw = model.lin(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(acts["lin"], raw, rtol=1e-5, atol=1e-6)
    assert (acts["lin"] < 0).any()


def test_mode_restored_and_hooks_removed_and_dropout_off():
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 2))
    model.train()
    X = np.ones((10, 4), np.float32)
    a = capture_activations(model, X, ["1"])
    b = capture_activations(model, X, ["1"])
    np.testing.assert_array_equal(a["1"], b["1"])  # dropout inactive: eval mode during capture
    assert model.training
    assert all(len(m._forward_hooks) == 0 for m in model.modules())
    assert a["1"].shape == (10, 16)  # not doubled by leftover hooks


def test_unknown_layer_lists_valid_names():
    model = build_mlp(3, [4], 2)
    with pytest.raises(KeyError, match="hidden1"):
        capture_activations(model, np.zeros((2, 3)), ["hidden9"])
