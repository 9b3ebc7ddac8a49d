"""Activation capture with forward hooks.

The model is put in ``eval()`` mode under ``torch.no_grad()``; its previous mode is restored and
every hook is removed afterwards, even on error. Outputs are copied (``clone``) so a later in-place
operation cannot change what was recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


def capture_activations(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 4096,
    device: str | torch.device | None = None,
) -> dict[str, np.ndarray]:
    """Outputs of named layers of ``model`` on the inputs ``X``.

    Parameters
    ----------
    model : the network. Layers are named by ``model.layer_modules`` when it has that mapping
        (our ``MLP``), otherwise by ``model.named_modules()``.
    X : ndarray or tensor of shape (n_samples, ...), the inputs.
    layers : names to record; ``"input"`` records ``X`` itself. None records the input and every named layer.
    batch_size : samples per forward pass (bounds memory).
    device : where to run; defaults to the device of the model's first parameter.

    Returns
    -------
    dict mapping each layer name to an ndarray of shape (n_samples, n_features), float32
    (feature maps are flattened).

    Raises
    ------
    KeyError
        If a layer name is not in the model; the message lists the valid names.
    """
    modules = _named_layers(model)
    wanted = ["input", *modules] if layers is None else list(layers)
    unknown = [name for name in wanted if name != "input" and name not in modules]
    if unknown:
        raise KeyError(f"layer(s) {unknown} not in the model; valid names: {['input', *modules]}")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    inputs = torch.as_tensor(X, dtype=torch.float32)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in wanted}
    handles = [modules[name].register_forward_hook(_recorder(chunks[name])) for name in wanted if name != "input"]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, len(inputs), batch_size):
                batch = inputs[start : start + batch_size]
                if "input" in chunks:
                    chunks["input"].append(batch.reshape(len(batch), -1).numpy().copy())
                model(batch.to(device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return {name: np.concatenate(parts) if parts else np.empty((0, 0), np.float32) for name, parts in chunks.items()}


def _named_layers(model: nn.Module) -> dict[str, nn.Module]:
    custom = getattr(model, "layer_modules", None)
    if isinstance(custom, dict):
        return custom
    return {name: module for name, module in model.named_modules() if name}


def _recorder(store: list[np.ndarray]):
    def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        out = output.detach().clone()
        store.append(out.reshape(len(out), -1).to("cpu", torch.float32).numpy())

    return hook
