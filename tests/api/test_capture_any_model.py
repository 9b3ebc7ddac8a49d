"""capture_activations on models that are not our MLP: CNNs, functional activations, odd modules."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import layertopo


class FunctionalNet(nn.Module):
    """Activations applied as functions in forward: no module outputs the post-activation values."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 3, kernel_size=3, padding=1)
        self.head = nn.Linear(3 * 4 * 4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.max_pool2d(F.relu(self.conv(x)), 2).flatten(1))


X4 = np.random.default_rng(0).standard_normal((25, 4)).astype(np.float32)


def test_default_records_the_module_output_the_pre_activation():
    model = FunctionalNet()
    acts = layertopo.capture_activations(model, X4, ["fc1"], batch_size=7)
    expected = model.fc1(torch.from_numpy(X4)).detach().numpy()
    np.testing.assert_allclose(acts["fc1"], expected, rtol=1e-6)
    assert (acts["fc1"] < 0).any()


def test_apply_gives_post_activation_values_of_functional_activations():
    model = FunctionalNet()
    acts = layertopo.capture_activations(model, X4, ["fc1", "fc2"], apply={"fc1": torch.relu})
    pre = model.fc1(torch.from_numpy(X4))
    np.testing.assert_allclose(acts["fc1"], torch.relu(pre).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(acts["fc2"], model(torch.from_numpy(X4)).detach().numpy(), rtol=1e-6)
    everywhere = layertopo.capture_activations(model, X4, ["input", "fc1", "fc2"], apply=torch.relu)
    np.testing.assert_array_equal(everywhere["input"], X4)  # a single callable leaves the input alone
    assert (everywhere["fc2"] >= 0).all()


def test_record_input_gives_what_the_next_module_receives():
    model = FunctionalNet()
    by_input = layertopo.capture_activations(model, X4, ["fc2"], record="input")
    by_apply = layertopo.capture_activations(model, X4, ["fc1"], apply=torch.relu)
    np.testing.assert_allclose(by_input["fc2"], by_apply["fc1"], rtol=1e-6)


def test_cnn_feature_maps_are_flattened_in_channel_row_column_order():
    model = SmallCNN()
    X = np.random.default_rng(1).standard_normal((10, 1, 8, 8)).astype(np.float32)
    acts = layertopo.capture_activations(model, X, ["input", "conv", "head"], batch_size=4)
    assert acts["input"].shape == (10, 64)
    assert acts["conv"].shape == (10, 3 * 8 * 8)
    assert acts["head"].shape == (10, 2)
    maps = model.conv(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(acts["conv"], maps.reshape(10, -1), rtol=1e-6)
    pooled = layertopo.capture_activations(model, X, ["head"], record="input")["head"]
    assert pooled.shape == (10, 3 * 4 * 4) and (pooled >= 0).all()


def test_wrong_layer_name_lists_the_valid_ones():
    with pytest.raises(KeyError, match=r"\['fc9'\].*valid names: \['input', 'fc1', 'fc2'\]"):
        layertopo.capture_activations(FunctionalNet(), X4, ["fc9"])
    with pytest.raises(KeyError, match="captured layers"):
        layertopo.capture_activations(FunctionalNet(), X4, ["fc1"], apply={"fc2": torch.relu})
    with pytest.raises(ValueError, match="record must be"):
        layertopo.capture_activations(FunctionalNet(), X4, ["fc1"], record="outputs")


class SharedActivation(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(4, 5), nn.Linear(5, 2), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(x))))


def test_module_called_twice_is_an_error_when_named_and_left_out_with_a_warning_by_default():
    model = SharedActivation()
    with pytest.raises(ValueError, match="'act' gave 50 rows for 25 samples"):
        layertopo.capture_activations(model, X4, ["act"])
    with pytest.warns(UserWarning, match="'act'"):
        acts = layertopo.capture_activations(model, X4)
    assert list(acts) == ["input", "fc1", "fc2"]
    assert all(len(model_hooks) == 0 for model_hooks in (m._forward_hooks for m in model.modules()))


def test_tuple_outputs_need_apply_to_pick_a_tensor():
    model = nn.Sequential()
    model.add_module("rnn", nn.GRU(3, 4, batch_first=True))
    X = np.random.default_rng(2).standard_normal((6, 5, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="tuple, not a tensor; pass apply"):
        layertopo.capture_activations(model, X, ["rnn"])
    acts = layertopo.capture_activations(model, X, ["rnn"], apply=lambda out: out[0][:, -1])
    assert acts["rnn"].shape == (6, 4)


def test_in_place_apply_does_not_change_the_forward_pass():
    model = FunctionalNet()
    acts = layertopo.capture_activations(model, X4, ["fc1", "fc2"], apply={"fc1": torch.relu_})
    np.testing.assert_allclose(acts["fc2"], model(torch.from_numpy(X4)).detach().numpy(), rtol=1e-6)
