"""Activation capture with forward hooks.

The model is put in ``eval()`` mode under ``torch.no_grad()``; its previous mode is restored and
every hook is removed afterwards, even on error. Outputs are copied (``clone``) so a later in-place
operation cannot change what was recorded.

Which value of a layer is recorded
----------------------------------
A layer is a named submodule, and a forward hook sees what that module returns. In a model whose
activations are modules (``nn.Sequential(nn.Linear(...), nn.ReLU(), ...)``) every value has a name. In
a model that calls functions in ``forward`` (``x = F.relu(self.fc1(x))``) the post-activation value
belongs to no module. Two options reach it:

* ``apply=torch.relu`` (or ``apply={"fc1": torch.relu}`` for some layers only): a function applied to
  what the hook recorded, here turning the output of ``fc1`` (its pre-activation) into ``relu(fc1(x))``;
* ``record="input"``: record what a module *receives* (its first positional argument) instead of what it
  returns, so ``layers=["fc2"]`` gives exactly the values that reach ``fc2``, whatever functions ran
  between ``fc1`` and ``fc2`` (activation, dropout, pooling, flattening).

``apply`` also turns modules that return something other than one tensor into a capturable layer
(``apply=lambda out: out[0]`` for an ``nn.LSTM``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

Record = Literal["output", "input"]
Transform = Callable[[Any], torch.Tensor]


def capture_activations(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 4096,
    device: str | torch.device | None = None,
    record: Record = "output",
    apply: Transform | Mapping[str, Transform] | None = None,
) -> dict[str, np.ndarray]:
    """Values of named layers of ``model`` on the inputs ``X``.

    Parameters
    ----------
    model : nn.Module
        Any network. Layers are named by ``model.layer_modules`` when it has that mapping (our ``MLP``),
        otherwise by ``model.named_modules()`` (``"fc1"``, ``"features.0"``, ...).
    X : ndarray or tensor of shape (n_samples, ...)
        The inputs, converted to float32.
    layers : sequence of str, optional
        Names to record; ``"input"`` records ``X`` itself. None records the input and every named layer
        that gives one row per sample (others are left out with a warning).
    batch_size : int
        Samples per forward pass (bounds memory).
    device : str or torch.device, optional
        Where to run; defaults to the device of the model's first parameter.
    record : {"output", "input"}
        ``"output"`` (default): what each named module returns, e.g. a ``Linear``'s pre-activation.
        ``"input"``: the first positional argument each named module receives, e.g. ``relu(fc1(x))`` for
        ``fc2`` in a model that applies ``F.relu`` in ``forward``. The pseudo-layer ``"input"`` is always ``X``.
    apply : callable or mapping of str to callable, optional
        Applied to each recorded value before it is flattened, e.g. ``torch.relu`` for post-activation
        values of a model with functional activations. A callable applies to every named module (not to
        the pseudo-layer ``"input"``); a mapping applies per layer name (``{"fc1": torch.relu}``), other
        layers are recorded as they are. It receives the module's raw value (a tensor, or e.g. a tuple) and
        must return a tensor whose first dimension is the batch. It must not modify its argument in place
        (it gets a copy when the value is a tensor).

    Returns
    -------
    dict of str to ndarray of shape (n_samples, n_features)
        One float32 array per layer, in the order of ``layers``; feature maps of shape (n, C, H, W) are
        flattened to (n, C * H * W).

    Raises
    ------
    KeyError
        If a layer name (or a key of ``apply``) is not in the model; the message lists the valid names.
    ValueError
        If ``record`` is unknown, or a named layer does not give one float tensor row per sample (a module
        called twice in ``forward``, never called, or returning a tuple); the message says what to do.
    """
    if record not in ("output", "input"):
        raise ValueError(f"record must be 'output' or 'input', got {record!r}")
    modules = _named_layers(model)
    wanted = ["input", *modules] if layers is None else list(layers)
    _check_names(wanted, modules)
    transforms = _transforms(apply, wanted, modules)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    chunks: dict[str, list[np.ndarray | str]] = {name: [] for name in wanted}
    handles = [
        modules[name].register_forward_hook(_recorder(chunks[name], name, record, transforms.get(name)))
        for name in dict.fromkeys(wanted)
        if name != "input"
    ]
    try:
        _run(model, inputs, chunks, batch_size, _device(model, device))
    finally:
        for handle in handles:
            handle.remove()
    problems = {name: _problem(name, chunks[name], len(inputs)) for name in wanted}
    problems = {name: message for name, message in problems.items() if message}
    if problems and layers is not None:
        raise ValueError("; ".join(problems.values()))
    if problems:
        warnings.warn(f"layers left out of the capture: {'; '.join(problems.values())}", stacklevel=2)
    return {name: _concatenate(chunks[name]) for name in wanted if name not in problems}


def _named_layers(model: nn.Module) -> dict[str, nn.Module]:
    custom = getattr(model, "layer_modules", None)
    if isinstance(custom, dict):
        return custom
    return {name: module for name, module in model.named_modules() if name}


def _check_names(wanted: list[str], modules: dict[str, nn.Module]) -> None:
    unknown = [name for name in wanted if name != "input" and name not in modules]
    if unknown:
        raise KeyError(f"layer(s) {unknown} not in the model; valid names: {['input', *modules]}")


def _transforms(
    apply: Transform | Mapping[str, Transform] | None, wanted: list[str], modules: dict[str, nn.Module]
) -> dict[str, Transform]:
    """Layer name -> the function ``apply`` gives it (layers without one are absent)."""
    if apply is None:
        return {}
    if isinstance(apply, Mapping):
        unknown = [name for name in apply if name not in wanted]
        if unknown:
            raise KeyError(f"apply names layer(s) {unknown} that are not captured; captured layers: {wanted}")
        return dict(apply)
    if not callable(apply):
        raise TypeError(f"apply must be a callable or a mapping of layer name to callable, got {type(apply).__name__}")
    return {name: apply for name in wanted if name in modules}


def _device(model: nn.Module, device: str | torch.device | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _run(
    model: nn.Module,
    inputs: torch.Tensor,
    chunks: dict[str, list[np.ndarray | str]],
    batch_size: int,
    device: torch.device,
) -> None:
    """Forward ``inputs`` in eval mode, batch by batch; the hooks fill ``chunks``; the mode is restored."""
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, len(inputs), batch_size):
                batch = inputs[start : start + batch_size]
                if "input" in chunks:
                    chunks["input"].append(_flat(batch, None))
                model(batch.to(device))
    finally:
        model.train(was_training)


def _recorder(store: list[np.ndarray | str], name: str, record: Record, transform: Transform | None):
    def hook(module: nn.Module, args: tuple, output: Any) -> None:
        if record == "input" and not args:
            store.append(f"layer '{name}' received no positional input; use record='output'")
            return
        store.append(_flat(args[0] if record == "input" else output, transform, name))

    return hook


def _flat(value: Any, transform: Transform | None, name: str = "input") -> np.ndarray | str:
    """A copy of ``value`` (after ``transform``) as a float32 array of shape (n, n_features), or a message
    saying why it cannot be one."""
    if transform is not None:
        value = transform(value.detach().clone() if isinstance(value, torch.Tensor) else value)
    if not isinstance(value, torch.Tensor):
        return (
            f"layer '{name}' gave a {type(value).__name__}, not a tensor; "
            f"pass apply={{'{name}': lambda out: out[0]}} (or another function) to pick a tensor"
        )
    value = value.detach().to("cpu", torch.float32).clone()
    return value.reshape(value.shape[0] if value.ndim else 1, -1).numpy()


def _problem(name: str, parts: list[np.ndarray | str], n_samples: int) -> str:
    """Why the recorded ``parts`` of a layer are not one row per sample ("" when they are)."""
    messages = [part for part in parts if isinstance(part, str)]
    if messages:
        return messages[0]
    if not parts and n_samples > 0:
        return f"layer '{name}' was never called in forward; choose a layer that the forward pass uses"
    rows = sum(len(part) for part in parts)
    if rows != n_samples:
        return (
            f"layer '{name}' gave {rows} rows for {n_samples} samples ({len(parts)} calls): a module used more "
            "than once per forward pass, or a value without the batch as first dimension; name a module used "
            "once (or record='input' on the module that follows it) or fix apply"
        )
    return ""


def _concatenate(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty((0, 0), np.float32)
