"""An MLP built from a list of widths.

Layer names are stable capture keys: ``input``, ``hidden1`` .. ``hiddenK`` (post-activation)
and ``logits``. Each hidden layer is a ``Linear`` (``linearI``) followed by its own activation
module (``actI``), never a shared one, so a forward hook fires exactly once per layer.
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
}


class MLP(nn.Sequential):
    """``in_dim -> widths[0] -> ... -> widths[-1] -> n_classes`` with an activation after each hidden layer.

    Attributes
    ----------
    layer_modules : dict mapping a capture name (``hidden1`` ...) to the module whose output it is.
    """

    def __init__(self, in_dim: int, widths: list[int], n_classes: int, activation: str = "relu") -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        if in_dim < 1 or n_classes < 1 or not widths or min(widths) < 1:
            raise ValueError(f"invalid MLP shape: in_dim={in_dim}, widths={widths}, n_classes={n_classes}")
        super().__init__()
        previous = in_dim
        for i, width in enumerate(widths, start=1):
            self.add_module(f"linear{i}", nn.Linear(previous, width))
            self.add_module(f"act{i}", ACTIVATIONS[activation]())
            previous = width
        self.add_module("logits", nn.Linear(previous, n_classes))
        self.widths = [in_dim, *widths, n_classes]
        self.activation = activation

    @property
    def layer_modules(self) -> dict[str, nn.Module]:
        hidden = {f"hidden{i}": getattr(self, f"act{i}") for i in range(1, len(self.widths) - 1)}
        return {**hidden, "logits": self.logits}

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 (nn.Sequential semantics)
        return super().forward(x)


def layer_names(n_hidden: int) -> list[str]:
    """Capture names of an MLP with ``n_hidden`` hidden layers, input first: ``input, hidden1.., logits``."""
    return ["input", *[f"hidden{i}" for i in range(1, n_hidden + 1)], "logits"]


INITS = ("default", "xavier")


def build_mlp(
    in_dim: int,
    widths: list[int],
    n_classes: int = 2,
    activation: str = "relu",
    *,
    seed: int = 0,
    init: str = "default",
) -> MLP:
    """Build an ``MLP`` whose initial weights depend only on ``seed``.

    ``init="default"`` keeps PyTorch's ``Linear`` initialisation (uniform, variance 1 / (3 fan_in));
    ``"xavier"`` draws weights Glorot-uniform (variance 2 / (fan_in + fan_out)) and zero biases, the
    default of Keras, under which deep tanh networks keep their signal (PyTorch's default shrinks it
    by about 1/sqrt(3) per tanh layer).
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {list(INITS)}")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = MLP(in_dim, widths, n_classes, activation)
        if init == "xavier":
            for module in model.modules():
                if isinstance(module, nn.Linear):
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)
        return model
    finally:
        torch.random.set_rng_state(generator_state)
