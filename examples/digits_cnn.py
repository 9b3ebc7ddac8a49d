"""A small CNN on the 8x8 digits of scikit-learn, analysed layer by layer with ``layertopo.analyze``.

The CNN applies its activations as functions in ``forward`` (``F.relu``), so a module's output is its
pre-activation; ``apply=torch.relu`` on the convolution and hidden layers records the post-activation
values instead (``record="input"`` on the following module would be the other way)::

    python examples/digits_cnn.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import layertopo

LAYERS = ["input", "conv1", "conv2", "fc1", "fc2"]
POST_ACTIVATION = {"conv1": torch.relu, "conv2": torch.relu, "fc1": torch.relu}


def load_digit_images(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits of scikit-learn as images of shape (1, 8, 8) in [0, 1], split 70/30 with stratification.

    Returns
    -------
    X_train : ndarray of shape (1257, 1, 8, 8), X_test : ndarray of shape (540, 1, 8, 8), float32;
    y_train, y_test : ndarray of int64 classes 0..9
    """
    digits = load_digits()
    X = (digits.images[:, None] / 16.0).astype(np.float32)
    return train_test_split(X, digits.target, test_size=0.3, stratify=digits.target, random_state=seed)


class DigitsCNN(nn.Module):
    """(1, 8, 8) -> conv 8 -> pool -> conv 16 -> pool -> 32 -> 10 logits; ReLU and pooling are functions."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, epochs: int, seed: int = 0) -> None:
    """Adam, lr 3e-3, batches of 64, cross-entropy."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(X), generator=generator).split(64):
            optimizer.zero_grad()
            F.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()


def main(epochs: int = 15, n_analyze: int = 300, max_points: int = 200, seed: int = 0) -> dict:
    """Train the CNN, then analyse ``n_analyze`` test digits at every layer.

    Returns
    -------
    dict with ``test_accuracy`` (float), ``analysis`` (``layertopo.Analysis``), ``purity`` (layer -> class
    purity, label all), ``b0`` (layer -> significant H0 components, label all) and ``distances`` (layer x
    layer bottleneck distances of the scaled H0 diagrams).
    """
    X_train, X_test, y_train, y_test = load_digit_images(seed)
    torch.manual_seed(seed)
    model = DigitsCNN()
    train(model, torch.from_numpy(X_train), torch.from_numpy(y_train), epochs, seed)
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean())
    topology = layertopo.TopologyConfig(maxdim=1, max_points=max_points)
    analysis = layertopo.analyze(
        model, X_test[:n_analyze], y_test[:n_analyze], LAYERS,
        topology=topology, per_class=False, apply=POST_ACTIVATION,
    )  # fmt: skip
    return {
        "test_accuracy": accuracy,
        "analysis": analysis,
        "purity": analysis.table("class_purity")["all"].to_dict(),
        "b0": analysis.table("betti_significant")["all"].to_dict(),
        "distances": layertopo.compare(analysis, dim=0),
    }


if __name__ == "__main__":
    numbers = main()
    print(f"test accuracy {numbers['test_accuracy']:.3f}")
    print(pd.DataFrame({"class_purity": numbers["purity"], "b0": numbers["b0"]}).round(2))
    print(numbers["distances"].round(3))
