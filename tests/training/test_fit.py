import numpy as np
import pandas as pd

from layertopo.config import TrainingConfig
from layertopo.data import concentric_spheres
from layertopo.models import build_mlp
from layertopo.training import fit


def _data():
    return concentric_spheres(400, 200, 4, radii=(1.0, 1.6), random_state=0)


def _train(seed, config, callbacks=()):
    d = _data()
    model = build_mlp(d.dim, [32, 32], 2, seed=seed)
    splits = {"train": (d.X_train, d.y_train), "test": (d.X_test, d.y_test)}
    return model, fit(model, d.X_train, d.y_train, splits, config, seed=seed, callbacks=callbacks)


def test_training_learns_a_separable_task_and_records_every_epoch():
    config = TrainingConfig(epochs=40, lr=3e-3, batch_size=32, seeds=[0])
    _, result = _train(0, config)
    history = pd.DataFrame(result.history)
    assert sorted(history["epoch"].unique()) == list(range(41))
    final = history[history["epoch"] == 40].set_index("split")["accuracy"]
    start = history[history["epoch"] == 0].set_index("split")["accuracy"]
    assert final["test"] > 0.9 and start["test"] < 0.75
    assert result.status == "finished"


def test_same_seed_is_bit_identical_other_seed_differs():
    config = TrainingConfig(epochs=3, seeds=[0])
    a, ra = _train(0, config)
    b, rb = _train(0, config)
    c, _ = _train(1, config)
    assert ra.history == rb.history
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())
    assert not np.array_equal(a.linear1.weight.detach().numpy(), c.linear1.weight.detach().numpy())


def test_callbacks_see_epoch_zero_and_every_epoch():
    seen = []

    class Recorder:
        def on_epoch_end(self, epoch, model, **kwargs):
            seen.append((epoch, "optimizer" in kwargs, "generator" in kwargs))

    _train(0, TrainingConfig(epochs=2, seeds=[0]), [Recorder()])
    assert seen == [(0, True, True), (1, True, True), (2, True, True)]


def test_non_finite_loss_stops_as_diverged():
    config = TrainingConfig(epochs=5, lr=1e30, optimizer="sgd", seeds=[0])
    _, result = _train(0, config)
    assert result.status == "diverged"
    assert result.last_epoch < 5
