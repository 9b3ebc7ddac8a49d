"""TopologyCallback with loggers other than TensorBoard, without a logger, and through a checkpoint."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

pl = pytest.importorskip("lightning.pytorch")

import layertopo  # noqa: E402

FAST = layertopo.TopologyConfig(maxdim=1, max_points=60)


class Tiny(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def data() -> tuple[np.ndarray, np.ndarray, DataLoader]:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 0.3, (40, 2)), rng.normal(2, 0.3, (40, 2))]).astype(np.float32)
    y = np.repeat([0, 1], 40)
    return X, y, DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=20)


def trainer(tmp_path, **kwargs) -> pl.Trainer:
    options = {"enable_progress_bar": False, "enable_model_summary": False, "accelerator": "cpu"}
    return pl.Trainer(default_root_dir=tmp_path, **(options | kwargs))


def test_scalars_go_through_any_logger_at_the_global_step(tmp_path):
    X, y, loader = data()
    callback = layertopo.TopologyCallback(X, y, ["net.1"], every=2, topology=FAST, per_class=False)
    logger = pl.loggers.CSVLogger(tmp_path, name="csv", version=0)
    trainer(tmp_path, max_epochs=3, logger=logger, enable_checkpointing=False, callbacks=[callback]).fit(Tiny(), loader)
    history = callback.history
    # epoch 0 at fit start, epoch 2 (due), epoch 3 (the last); 4 batches an epoch
    assert sorted(history["epoch"].unique()) == [0, 2, 3]
    assert sorted(history["global_step"].unique()) == [0, 8, 12]
    metrics = pd.read_csv(tmp_path / "csv" / "version_0" / "metrics.csv").groupby("step").first()
    logged = metrics.dropna(subset=["topology/net.1/b0"])
    assert list(logged.index) == [0, 8, 12]
    np.testing.assert_allclose(logged["topology/net.1/class_purity"], history.query("dim == 0")["class_purity"])


def test_without_a_logger_the_history_is_still_recorded_and_survives_a_checkpoint(tmp_path):
    X, y, loader = data()
    callback = layertopo.TopologyCallback(X, y, ["net.1"], topology=FAST, per_class=False)
    trainer(tmp_path, max_epochs=2, logger=False, callbacks=[callback]).fit(Tiny(), loader)
    assert sorted(callback.history["epoch"].unique()) == [0, 1, 2]
    checkpoint = next((tmp_path / "checkpoints").glob("*.ckpt"))
    resumed = layertopo.TopologyCallback(X, y, ["net.1"], topology=FAST, per_class=False)
    trainer(tmp_path, max_epochs=3, logger=False, callbacks=[resumed]).fit(Tiny(), loader, ckpt_path=checkpoint)
    assert sorted(resumed.history["epoch"].unique()) == [0, 1, 2, 3]  # restored rows, then epoch 3
    assert resumed.history.query("epoch == 3")["global_step"].iloc[0] == 12


def test_the_last_epoch_is_recorded_however_fitting_stops(tmp_path):
    X, y, loader = data()  # 4 batches an epoch
    callback = layertopo.TopologyCallback(X, y, ["net.1"], every=3, topology=FAST, per_class=False)
    fit = trainer(tmp_path, max_epochs=-1, max_steps=16, logger=False, enable_checkpointing=False, callbacks=[callback])
    fit.fit(Tiny(), loader)
    assert sorted(callback.history["epoch"].unique()) == [0, 3, 4]  # 0, due at 3, and the last (16 steps = 4 epochs)
    assert callback.history.query("epoch == 4")["global_step"].iloc[0] == 16
