"""The fit loop: mini-batch training with loss and accuracy on every split after every epoch.

Epoch 0 is the initialisation: it is evaluated and passed to the callbacks before any update,
so a snapshot at epoch 0 records the untrained network. A non-finite loss stops training at the
first bad step and marks the result ``diverged``; everything recorded until then is kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from layertopo.config import TrainingConfig


class EpochCallback(Protocol):
    """Called after every epoch (and once at epoch 0, before training).

    Implementations take ``**kwargs`` so that new arguments never break them.
    """

    def on_epoch_end(self, epoch: int, model: nn.Module, **kwargs: Any) -> None: ...


@dataclass
class FitResult:
    """What training produced. ``history`` rows: epoch, split, loss, accuracy."""

    history: list[dict[str, float | int | str]] = field(default_factory=list)
    status: str = "finished"
    last_epoch: int = 0
    seconds: float = 0.0


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("training.device is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def fit(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    config: TrainingConfig,
    *,
    seed: int,
    callbacks: Sequence[EpochCallback] = (),
    resume_from: dict[str, Any] | None = None,
) -> FitResult:
    """Train ``model`` in place with cross-entropy.

    Parameters
    ----------
    model : a classifier mapping (n, d) inputs to (n, n_classes) logits.
    X_train : ndarray of shape (n_train, d); y_train : ndarray of shape (n_train,).
    splits : named (X, y) pairs evaluated after every epoch, e.g. ``{"train": ..., "test": ...}``.
    config : optimiser, learning rate, batch size, epochs, weight decay, device.
    seed : seeds the data order (a dedicated ``torch.Generator``) so runs are reproducible.
    callbacks : objects with ``on_epoch_end(epoch, model, **kwargs)``.
    resume_from : a checkpoint written at the end of an epoch (keys ``epoch``, ``model``, ``optimizer``,
        ``torch_rng``, ``data_order_rng``, ``history``): training continues after that epoch and gives
        the same numbers as an uninterrupted run.
    """
    device = resolve_device(config.device)
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)  # these small MLPs gain nothing from 2 threads and lose 10x+ when cores are busy
    try:
        return _fit(
            model, X_train, y_train, splits, config, device, seed=seed, callbacks=callbacks, resume_from=resume_from
        )
    finally:
        torch.set_num_threads(threads)


def _fit(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    config: TrainingConfig,
    device: torch.device,
    *,
    seed: int,
    callbacks: Sequence[EpochCallback],
    resume_from: dict[str, Any] | None,
) -> FitResult:
    start = time.perf_counter()
    model.to(device)
    optimizer = _make_optimizer(model, config)
    order = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(X_train, dtype=torch.float32, device=device)
    y = torch.as_tensor(y_train, dtype=torch.long, device=device)
    tensors = {name: _to_tensors(Xs, ys, device) for name, (Xs, ys) in splits.items()}
    result = FitResult()
    loss_fn = nn.CrossEntropyLoss()

    if resume_from is None:
        _end_epoch(0, model, tensors, result, callbacks, optimizer=optimizer, generator=order)
        first = 1
    else:
        first = _restore(resume_from, model, optimizer, order, result) + 1
    for epoch in range(first, config.epochs + 1):
        model.train()
        permutation = torch.randperm(len(X), generator=order).to(device)
        for batch in permutation.split(config.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[batch]), y[batch])
            if not torch.isfinite(loss):
                result.status = "diverged"
                result.seconds = time.perf_counter() - start
                return result
            loss.backward()
            optimizer.step()
        _end_epoch(epoch, model, tensors, result, callbacks, optimizer=optimizer, generator=order)
    result.seconds = time.perf_counter() - start
    return result


def checkpoint_state(
    epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator, history: list
) -> dict[str, Any]:
    """Everything needed to continue training bit for bit after ``epoch``."""
    return {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.random.get_rng_state(),
        "data_order_rng": generator.get_state(),
        "history": list(history),
    }


def _restore(
    state: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    result: FitResult,
) -> int:
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.random.set_rng_state(state["torch_rng"])
    generator.set_state(state["data_order_rng"])
    result.history = list(state["history"])
    result.last_epoch = int(state["epoch"])
    return result.last_epoch


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on (X, y), in eval mode, without gradients."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(X)
        loss = nn.functional.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return loss, accuracy


def _end_epoch(
    epoch: int,
    model: nn.Module,
    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]],
    result: FitResult,
    callbacks: Sequence[EpochCallback],
    **kwargs: Any,
) -> None:
    for split, (Xs, ys) in tensors.items():
        loss, accuracy = evaluate(model, Xs, ys)
        result.history.append({"epoch": epoch, "split": split, "loss": loss, "accuracy": accuracy})
    result.last_epoch = epoch
    for callback in callbacks:
        callback.on_epoch_end(epoch, model, history=result.history, **kwargs)


def _make_optimizer(model: nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


def _to_tensors(X: np.ndarray, y: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return (
        torch.as_tensor(X, dtype=torch.float32, device=device),
        torch.as_tensor(y, dtype=torch.long, device=device),
    )
