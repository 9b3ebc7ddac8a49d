"""TopologyMonitor: history, epochs recorded, the fit-loop protocol and TensorBoard event files."""

import numpy as np
import pytest
import torch
from torch import nn

import layertopo
from layertopo.config import TrainingConfig
from layertopo.training import fit

FAST = layertopo.TopologyConfig(maxdim=1, max_points=80)


def blobs(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 0.3, (n, 2)) - 2, rng.normal(0, 0.3, (n, 2)) + 2]).astype(np.float32)
    return X, np.repeat([0, 1], n)


def small_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def test_step_records_every_nth_epoch_and_forced_ones():
    X, y = blobs()
    monitor = layertopo.TopologyMonitor(small_model(), X, y, ["input", "1"], every=3, topology=FAST, per_class=False)
    recorded = [epoch for epoch in range(6) if monitor.step(epoch) is not None]
    monitor.step(5, force=True)
    assert recorded == [0, 3]
    history = monitor.history
    assert sorted(history["epoch"].unique()) == [0, 3, 5] and sorted(monitor.analyses) == [0, 3, 5]
    assert list(history.columns[:4]) == ["epoch", "layer", "layer_index", "label"]
    assert len(history) == 3 * 2 * 2  # epochs x layers x dims
    assert (history.query("layer == 'input' and dim == 0")["betti_significant"] == 2).all()
    restored = layertopo.TopologyMonitor(small_model(), X, y, every=3)
    restored.load_state_dict(monitor.state_dict())
    assert restored.history.equals(history)
    with pytest.raises(ValueError, match="every must be"):
        layertopo.TopologyMonitor(small_model(), X, every=0)


def test_monitor_is_an_epoch_callback_of_fit():
    X, y = blobs()
    model = small_model()
    monitor = layertopo.TopologyMonitor(model, X, y, ["1"], every=2, topology=FAST, per_class=False)
    config = TrainingConfig(epochs=4, batch_size=16, lr=1e-2, seeds=[0], device="cpu")
    fit(model, X, y, {"train": (X, y)}, config, seed=0, callbacks=[monitor])
    assert sorted(monitor.history["epoch"].unique()) == [0, 2, 4]


def test_tensorboard_event_files_hold_scalars_and_diagram_images(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    X, y = blobs()
    monitor = layertopo.TopologyMonitor(
        small_model(), X, y, ["input", "1"], every=1, topology=FAST, log_dir=tmp_path, per_class=False
    )
    for epoch in range(2):
        monitor.step(epoch)
    monitor.close()
    accumulator = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"images": 0, "scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    for layer in ("input", "1"):
        for name in ("b0", "b1", "class_purity", "total_persistence_h0", "total_persistence_h1"):
            assert f"topology/{layer}/{name}" in tags["scalars"]
        assert f"diagrams/{layer}" in tags["images"]
        assert [image.step for image in accumulator.Images(f"diagrams/{layer}")] == [0, 1]
    b0 = accumulator.Scalars("topology/input/b0")
    assert [(event.step, event.value) for event in b0] == [(0, 2.0), (1, 2.0)]
    purity = accumulator.Scalars("topology/input/class_purity")
    assert [event.value for event in purity] == [1.0, 1.0]


def test_a_writer_of_your_own_gets_the_topology_at_your_global_step_and_stays_open(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from torch.utils.tensorboard import SummaryWriter

    X, y = blobs()
    writer = SummaryWriter(log_dir=str(tmp_path))
    monitor = layertopo.TopologyMonitor(small_model(), X, y, ["1"], topology=FAST, writer=writer, per_class=False)
    for epoch, step in [(0, 0), (1, 40), (2, 80)]:
        writer.add_scalar("loss", 1.0 / (epoch + 1), step)
        monitor.step(epoch, global_step=step)
    monitor.close()
    writer.add_scalar("loss", 0.1, 120)  # still open: the monitor does not close a writer it did not open
    writer.close()
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1
    accumulator = event_accumulator.EventAccumulator(str(tmp_path))
    accumulator.Reload()
    assert [e.step for e in accumulator.Scalars("topology/1/b0")] == [0, 40, 80]
    assert [e.step for e in accumulator.Scalars("loss")] == [0, 40, 80, 120]
    with pytest.raises(ValueError, match="either log_dir .* or writer"):
        layertopo.TopologyMonitor(small_model(), X, log_dir=tmp_path, writer=writer)
    with pytest.raises(ValueError, match=r"step\(3\): no model"):
        layertopo.TopologyMonitor(None, X, topology=FAST).step(3)
