import pytest
import torch

from layertopo.models import build_mlp, layer_names


def test_widths_and_layer_names():
    model = build_mlp(12, [3, 64, 64, 64], 2)
    assert model.widths == [12, 3, 64, 64, 64, 2]
    assert list(model.layer_modules) == ["hidden1", "hidden2", "hidden3", "hidden4", "logits"]
    assert layer_names(4) == ["input", "hidden1", "hidden2", "hidden3", "hidden4", "logits"]
    assert model(torch.zeros(5, 12)).shape == (5, 2)


def test_every_layer_has_its_own_activation_module():
    model = build_mlp(4, [8, 8, 8], 2, "tanh")
    acts = [model.layer_modules[f"hidden{i}"] for i in (1, 2, 3)]
    assert len({id(a) for a in acts}) == 3
    assert all(isinstance(a, torch.nn.Tanh) for a in acts)


def test_same_seed_same_weights_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a, b = build_mlp(6, [5], 2, seed=1), build_mlp(6, [5], 2, seed=1)
    c = build_mlp(6, [5], 2, seed=2)
    assert torch.equal(a.linear1.weight, b.linear1.weight)
    assert not torch.equal(a.linear1.weight, c.linear1.weight)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_xavier_init_is_glorot_uniform_with_zero_biases():
    import math

    model = build_mlp(3, [400, 400], 2, "tanh", seed=0, init="xavier")
    bound = math.sqrt(6 / (400 + 400))
    weight = model.linear2.weight
    assert weight.abs().max().item() <= bound and weight.abs().max().item() > 0.99 * bound
    assert abs(weight.var().item() - 2 / 800) < 0.05 * 2 / 800
    assert all((m.bias == 0).all() for m in (model.linear1, model.linear2, model.logits))
    default = build_mlp(3, [400, 400], 2, "tanh", seed=0)
    assert abs(default.linear2.weight.var().item() - 1 / (3 * 400)) < 0.05 / (3 * 400)
    again = build_mlp(3, [400, 400], 2, "tanh", seed=0, init="xavier")
    assert torch.equal(again.linear2.weight, weight)
    with pytest.raises(ValueError, match="unknown init"):
        build_mlp(3, [4], init="he")
