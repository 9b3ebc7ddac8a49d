"""A Lightning MLP on scikit-learn's digits, with its topology logged beside the loss.

``TopologyCallback`` records the hidden layers' activation clouds of 300 held-out digits at epoch 0 and
after every ``every``-th epoch, and logs the scalars (significant Betti numbers, class purity, total
persistence) and a diagram image per layer through the trainer's own ``TensorBoardLogger``, at
``trainer.global_step``: one event file, topology beside ``train_loss``::

    python examples/lightning_digits.py          # then: tensorboard --logdir runs/lightning_digits

Needs ``pip install 'layertopo[lightning]'``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from layertopo import TopologyCallback, TopologyConfig

LAYERS = ["net.1", "net.3"]  # the two ReLU outputs of the module's nn.Sequential


class DigitsMLP(LightningModule):
    """64 -> 64 -> 32 -> 10, cross-entropy, Adam."""

    def __init__(self, lr: float = 3e-3) -> None:
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def main(log_dir: str | Path = "runs/lightning_digits", epochs: int = 10, every: int = 5, n_monitor: int = 300) -> dict:
    """Fit, then return the callback's history, the logger's folder and the held-out accuracy."""
    torch.manual_seed(0)
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.3, random_state=0)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train)), batch_size=64, shuffle=True
    )
    callback = TopologyCallback(
        X_test[:n_monitor], y_test[:n_monitor], layers=LAYERS, every=every, topology=TopologyConfig(max_points=200)
    )
    logger = TensorBoardLogger(str(log_dir), name="", version="")
    trainer = Trainer(
        max_epochs=epochs, logger=logger, callbacks=[callback], log_every_n_steps=5,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    module = DigitsMLP()
    trainer.fit(module, loader)
    with torch.no_grad():
        accuracy = float((module(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean())
    history = callback.history
    purity = history[(history["label"] == "all") & (history["dim"] == 0) & (history["layer"] == LAYERS[-1])]
    print(f"test accuracy {accuracy:.3f}; class purity of {LAYERS[-1]} by epoch:")
    print(purity[["epoch", "global_step", "class_purity"]].to_string(index=False))
    return {"history": history, "log_dir": Path(logger.log_dir), "test_accuracy": accuracy}


if __name__ == "__main__":
    main()
