"""Class structure emerging, layer by layer, while an MLP learns the 8x8 digits of scikit-learn.

A plain PyTorch training loop; ``layertopo.TopologyMonitor`` records the topology of the hidden layers on
fixed test digits every few epochs (and, with ``--log-dir``, writes it to TensorBoard)::

    python examples/digits_mlp.py
    python examples/digits_mlp.py --log-dir runs/tb-digits && tensorboard --logdir runs/tb-digits

By the last epoch the single-linkage tree of the last hidden layer separates the ten classes far better
than at initialisation (``class_purity`` of label ``all``, 1 = every class its own branch).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import layertopo

LAYERS = ["input", "relu1", "relu2"]


def load_digits_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1797 digits of scikit-learn (ships offline), scaled to [0, 1], split 70/30 with stratification.

    Returns
    -------
    X_train : ndarray of shape (1257, 64), X_test : ndarray of shape (540, 64), float32;
    y_train, y_test : ndarray of int64 classes 0..9
    """
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    return train_test_split(X, digits.target, test_size=0.3, stratify=digits.target, random_state=seed)


def build_mlp(seed: int = 0) -> nn.Sequential:
    """64 -> 64 -> 32 -> 10, with named ReLU modules (``relu1``, ``relu2``) whose outputs are the hidden layers."""
    torch.manual_seed(seed)
    return nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(64, 64), relu1=nn.ReLU(), fc2=nn.Linear(64, 32), relu2=nn.ReLU(), out=nn.Linear(32, 10)
        )
    )


def train_one_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor) -> None:
    """One pass of mini-batch cross-entropy training (batches of 64, shuffled)."""
    model.train()
    for batch in torch.randperm(len(X)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
        optimizer.step()


def main(
    epochs: int = 30,
    every: int = 5,
    n_monitor: int = 300,
    max_points: int = 200,
    log_dir: str | Path | None = None,
    per_class: bool = True,
    seed: int = 0,
) -> dict:
    """Train the MLP for ``epochs`` epochs, recording topology every ``every`` epochs (and at the last).

    Parameters
    ----------
    epochs : training epochs (epoch 0 is the initialisation)
    every : record the topology every this many epochs
    n_monitor : test digits whose activation clouds are analysed
    max_points : landmarks per cloud
    log_dir : TensorBoard folder, or None
    per_class : also analyse the cloud of each digit
    seed : seeds the split, the initialisation and the data order

    Returns
    -------
    dict with ``history`` (the monitor's DataFrame), ``test_accuracy`` (float) and ``purity``
    (epoch -> class purity of the last hidden layer, label all).
    """
    X_train, X_test, y_train, y_test = load_digits_split(seed)
    model = build_mlp(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    topology = layertopo.TopologyConfig(maxdim=1, max_points=max_points)
    monitor = layertopo.TopologyMonitor(
        model, X_test[:n_monitor], y_test[:n_monitor], LAYERS,
        every=every, topology=topology, log_dir=log_dir, per_class=per_class,
    )  # fmt: skip
    X, y = torch.from_numpy(X_train), torch.from_numpy(y_train)
    for epoch in range(epochs + 1):
        if epoch:
            train_one_epoch(model, optimizer, X, y)
        monitor.step(epoch, force=epoch == epochs)
    monitor.close()
    history = monitor.history
    rows = history[(history["layer"] == LAYERS[-1]) & (history["label"] == "all") & (history["dim"] == 0)]
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean())
    return {
        "history": history,
        "test_accuracy": accuracy,
        "purity": dict(zip(rows["epoch"], rows["class_purity"], strict=True)),
    }


if __name__ == "__main__":
    log = sys.argv[sys.argv.index("--log-dir") + 1] if "--log-dir" in sys.argv else None
    numbers = main(log_dir=log)
    print(f"test accuracy {numbers['test_accuracy']:.3f}")
    for epoch, purity in numbers["purity"].items():
        print(f"epoch {epoch:3d}: class purity of {LAYERS[-1]} = {purity:.2f}")
