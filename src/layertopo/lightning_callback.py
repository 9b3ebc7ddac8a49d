"""``TopologyCallback``: the topology of chosen layers during ``Trainer.fit``, logged by the trainer's logger.

A Lightning callback around :class:`layertopo.TopologyMonitor` (one implementation for both): at the start
of fitting (epoch 0, the initialisation) and at the end of every ``every``-th training epoch it analyses
the activations of the fixed inputs ``X``, appends the summary rows to ``callback.history`` and logs the
scalars through ``trainer.logger`` at ``trainer.global_step``, so they sit beside the loss in the same
event file; with a ``TensorBoardLogger`` a persistence-diagram image per layer goes there too::

    from lightning.pytorch import Trainer
    from lightning.pytorch.loggers import TensorBoardLogger

    callback = TopologyCallback(X_val, y_val, layers=["net.1", "net.3"], every=5)
    Trainer(max_epochs=50, logger=TensorBoardLogger("tb"), callbacks=[callback]).fit(module, loader)
    callback.history  # one row per (epoch, layer, label, dim)

Needs the ``lightning`` package: ``pip install 'layertopo[lightning]'``. Layer names are those of the
LightningModule (``capture_activations`` lists them), e.g. ``net.1`` for ``self.net = nn.Sequential(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layertopo.callbacks import TopologyMonitor
from layertopo.config import TopologyConfig

try:
    from lightning.pytorch import Callback
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "layertopo.TopologyCallback needs Lightning: pip install 'layertopo[lightning]' (or pip install lightning)"
    ) from exc

if TYPE_CHECKING:
    import torch
    from lightning.pytorch import LightningModule, Trainer

    from layertopo.api import Analysis
    from layertopo.capture.hooks import Record, Transform


class TopologyCallback(Callback):
    """Record the topology of chosen layers of the LightningModule on fixed inputs during fitting.

    Parameters
    ----------
    X : ndarray or tensor of shape (n_samples, ...)
        Fixed inputs whose activation clouds are analysed (a few hundred samples).
    y : array_like of shape (n_samples,), optional
        Their classes (class purity and per-class clouds, see ``layertopo.analyze``).
    layers : sequence of str, optional
        Layer names of the LightningModule; None: the input and every named layer.
    every : int
        Record after training epochs whose number (1-based) is divisible by ``every``, and the last epoch
        reached when fitting ends; epoch 0 (the initialisation) is recorded when fitting starts.
    topology : TopologyConfig, optional
        Topology settings; defaults to ``TopologyConfig()``.
    log_images : bool
        Log a persistence-diagram image per layer when the logger can take figures (TensorBoard).
    per_class : bool
        Also analyse the cloud of each class (see ``analyze``).
    record : {"output", "input"}
        Record each layer's output or its input (see ``capture_activations``).
    apply : callable or mapping of str to callable, optional
        Applied to each recorded value before it is flattened (see ``capture_activations``).
    batch_size : int
        Inputs per forward pass.
    n_jobs : int, optional
        Worker processes over the clouds; None or 1 computes them in this process.

    Attributes
    ----------
    history : DataFrame
        One row per recorded (epoch, layer, label, dim), with ``epoch`` and ``global_step`` first.
    analyses : dict of int to Analysis
        The full result (with diagrams) of every recorded epoch.
    """

    def __init__(
        self,
        X: np.ndarray | torch.Tensor,
        y: np.ndarray | Sequence | None = None,
        layers: Sequence[str] | None = None,
        *,
        every: int = 1,
        topology: TopologyConfig | None = None,
        log_images: bool = True,
        per_class: bool = True,
        record: Record = "output",
        apply: Transform | Mapping[str, Transform] | None = None,
        batch_size: int = 4096,
        n_jobs: int | None = None,
    ) -> None:
        options = {"per_class": per_class, "record": record, "apply": apply, "batch_size": batch_size}
        self.monitor = TopologyMonitor(None, X, y, layers, every=every, topology=topology, n_jobs=n_jobs, **options)
        self.log_images = log_images
        self._steps: dict[int, int] = {}

    @property
    def history(self) -> pd.DataFrame:
        """Summary rows of every recorded epoch, with the trainer's ``global_step`` of each."""
        history = self.monitor.history
        if history.empty:
            return history
        return history.assign(global_step=history["epoch"].map(self._steps))[
            ["epoch", "global_step", *history.columns[1:]]
        ]

    @property
    def analyses(self) -> dict[int, Analysis]:
        """The full result of every recorded epoch (see ``TopologyMonitor.analyses``)."""
        return self.monitor.analyses

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Record epoch 0 (the initialisation) unless resuming from a checkpoint past it."""
        if trainer.current_epoch == 0:
            self._record(trainer, pl_module, 0, force=True)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Record the epoch that just ended when it is due (``every``)."""
        self._record(trainer, pl_module, trainer.current_epoch + 1, force=False)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Record the last epoch reached, however fitting stopped (``max_epochs``, ``max_steps``, early
        stopping), unless it is recorded already."""
        last = max(trainer.current_epoch, 0)
        if last not in self.monitor.analyses:
            self._record(trainer, pl_module, last, force=True)

    def state_dict(self) -> dict[str, Any]:
        """The history, saved in Lightning checkpoints (the diagrams are not)."""
        return {**self.monitor.state_dict(), "steps": dict(self._steps)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the history of a checkpoint."""
        self.monitor.load_state_dict(state_dict)
        self._steps = {int(k): int(v) for k, v in state_dict.get("steps", {}).items()}

    def _record(self, trainer: Trainer, pl_module: LightningModule, epoch: int, *, force: bool) -> None:
        if not trainer.is_global_zero:
            return
        self.monitor.writer = _LoggerWriter(trainer.logger, self.log_images) if trainer.logger else None
        if self.monitor.step(epoch, pl_module, force=force, global_step=trainer.global_step) is not None:
            self._steps[epoch] = trainer.global_step


class _LoggerWriter:
    """The writer interface ``TopologyMonitor`` logs to, on any Lightning logger.

    Scalars go through ``logger.log_metrics`` (every logger takes them; TensorBoard writes them to the
    trainer's own event file); figures go to ``logger.experiment.add_figure`` where it exists.
    """

    def __init__(self, logger: Any, images: bool) -> None:
        self.logger, self.images = logger, images

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self.logger.log_metrics({tag: value}, step=step)

    def add_figure(self, tag: str, figure: Any, step: int, close: bool = True) -> None:
        experiment = getattr(self.logger, "experiment", None)
        if self.images and hasattr(experiment, "add_figure"):
            experiment.add_figure(tag, figure, step, close=close)

    def flush(self) -> None:
        self.logger.save()
