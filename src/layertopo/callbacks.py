"""``TopologyMonitor``: record the topology of chosen layers during a plain PyTorch training loop.

Call ``monitor.step(epoch)`` at the end of each epoch (or pass the monitor to ``layertopo.training.fit``,
whose ``EpochCallback`` protocol it follows); at every ``every``-th epoch it runs ``layertopo.analyze`` on
the fixed inputs ``X``, appends the summary rows to ``monitor.history`` and, with ``log_dir``, writes
scalars and a persistence-diagram image per layer to TensorBoard::

    monitor = TopologyMonitor(model, X_val, y_val, layers=["fc1", "fc2"], every=5, log_dir="runs/tb")
    for epoch in range(epochs + 1):
        if epoch:
            train_one_epoch(model)
        monitor.step(epoch)
    monitor.close()
    monitor.history  # one row per (epoch, layer, label, dim)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layertopo.api import Analysis, analyze
from layertopo.config import TopologyConfig

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure
    from torch import nn

    from layertopo.capture.hooks import Record, Transform

#: ``summaries`` column logged as ``topology/<layer>/<name>`` (label ``all``), with its homology dimension
SCALARS: dict[str, tuple[str, int]] = {
    "b0": ("betti_significant", 0),
    "b1": ("betti_significant", 1),
    "class_purity": ("class_purity", 0),
    "purity_above_chance": ("purity_above_chance", 0),
    "total_persistence_h0": ("total_persistence", 0),
    "total_persistence_h1": ("total_persistence", 1),
}


class TopologyMonitor:
    """Topology of chosen layers of ``model`` on fixed inputs, recorded every ``every`` epochs.

    Parameters
    ----------
    model : nn.Module or None
        The model being trained (``step`` may be given another one; with None, every ``step`` must).
    X : ndarray or tensor of shape (n_samples, ...)
        Fixed inputs whose activation clouds are analysed (keep it to a few hundred samples).
    y : array_like of shape (n_samples,), optional
        Their classes: enables ``class_purity`` and per-class clouds (see ``analyze``).
    layers : sequence of str, optional
        Layer names (see ``capture_activations``); None: the input and every named layer.
    every : int
        Record at epochs divisible by ``every`` (epoch 0, the initialisation, included).
    topology : TopologyConfig, optional
        Topology settings; defaults to ``TopologyConfig()``.
    log_dir : str or Path, optional
        TensorBoard folder of a writer the monitor opens and closes. Needs the ``tensorboard`` package
        (``pip install layertopo[tensorboard]``).
    writer : SummaryWriter-like, optional
        A writer of your own (anything with ``add_scalar``, ``add_figure`` and ``flush``, e.g. the
        ``SummaryWriter`` your loop already logs the loss with), so that topology scalars land in the same
        event file beside them; the monitor never closes it. Give ``log_dir`` or ``writer``, not both; with
        neither nothing is logged.
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
        One row per recorded (epoch, layer, label, dim): ``epoch`` then the columns of ``Analysis.summaries``.
    analyses : dict of int to Analysis
        The full result (with diagrams) of every recorded epoch.
    writer : SummaryWriter-like or None
        The ``writer=`` given (it may be replaced between steps, as ``TopologyCallback`` does).
    """

    def __init__(
        self,
        model: nn.Module | None,
        X: np.ndarray | torch.Tensor,
        y: np.ndarray | Sequence | None = None,
        layers: Sequence[str] | None = None,
        *,
        every: int = 1,
        topology: TopologyConfig | None = None,
        log_dir: str | Path | None = None,
        writer: Any = None,
        per_class: bool = True,
        record: Record = "output",
        apply: Transform | Mapping[str, Transform] | None = None,
        batch_size: int = 4096,
        n_jobs: int | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be a positive number of epochs, got {every}")
        if log_dir is not None and writer is not None:
            raise ValueError("give TopologyMonitor either log_dir (it opens a writer) or writer (yours), not both")
        self.model, self.X, self.y, self.layers = model, X, y, layers
        self.every, self.topology, self.log_dir = every, topology or TopologyConfig(), log_dir
        self.capture_options = {
            "per_class": per_class,
            "record": record,
            "apply": apply,
            "batch_size": batch_size,
            "n_jobs": n_jobs,
        }
        self.analyses: dict[int, Analysis] = {}
        self._frames: list[pd.DataFrame] = []
        self._cache: dict[str, Any] = {}
        self.writer: Any = writer
        self._opened: Any = None  # the writer opened in log_dir

    @property
    def history(self) -> pd.DataFrame:
        """Summary rows of every recorded epoch (empty before the first)."""
        return pd.concat(self._frames, ignore_index=True) if self._frames else pd.DataFrame()

    def step(
        self, epoch: int, model: nn.Module | None = None, *, force: bool = False, global_step: int | None = None
    ) -> Analysis | None:
        """Record epoch ``epoch`` if it is due (``epoch % every == 0``) or ``force``; return its Analysis.

        Parameters
        ----------
        epoch : int
            The epoch that just ended (0 = before training).
        model : nn.Module, optional
            The model to analyse; defaults to the one given at construction.
        force : bool
            Record even when the epoch is not due (e.g. the last epoch).
        global_step : int, optional
            The step at which the writer logs (e.g. the number of optimiser steps so far, so that the
            topology lines up with a loss logged per step); defaults to ``epoch``.

        Returns
        -------
        Analysis or None
            The epoch's analysis, or None when the epoch was not due.
        """
        if not force and epoch % self.every:
            return None
        model = model if model is not None else self.model
        if model is None:
            raise ValueError(
                f"TopologyMonitor.step({epoch}): no model; pass step(epoch, model) or TopologyMonitor(model, ...)"
            )
        analysis = analyze(
            model,
            self.X,
            self.y,
            self.layers,
            topology=self.topology,
            cache=self._cache,
            **self.capture_options,
        )
        self.analyses[epoch] = analysis
        self._frames.append(analysis.summaries.assign(epoch=epoch)[["epoch", *analysis.summaries.columns]])
        if self.log_dir is not None or self.writer is not None:
            self._log(epoch, analysis, epoch if global_step is None else global_step)
        return analysis

    def on_epoch_end(self, epoch: int, model: nn.Module, **kwargs: Any) -> None:
        """``EpochCallback`` hook of ``layertopo.training.fit``: ``step(epoch, model)``."""
        self.step(epoch, model)

    def close(self) -> None:
        """Flush and close the TensorBoard writer the monitor opened (a ``writer=`` of yours stays open)."""
        if self._opened is not None:
            self._opened.close()
            self._opened = None

    def state_dict(self) -> dict[str, Any]:
        """The recorded history, to store beside a checkpoint and resume with ``load_state_dict``."""
        return {"history": self.history.to_dict("records")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the history saved by ``state_dict`` (the diagrams in ``analyses`` are not restored)."""
        self._frames = [pd.DataFrame(state["history"])] if state["history"] else []

    def _log(self, epoch: int, analysis: Analysis, step: int) -> None:
        writer = self._get_writer()
        rows = analysis.summaries[analysis.summaries["label"] == "all"]
        for layer in analysis.layers:
            for name, value in layer_scalars(rows[rows["layer"] == layer]).items():
                writer.add_scalar(f"topology/{layer}/{name}", value, step)
            figure = diagram_figure(analysis.diagrams[(layer, "all")], f"{layer}, epoch {epoch}")
            writer.add_figure(f"diagrams/{layer}", figure, step, close=False)
        writer.flush()

    def _get_writer(self) -> Any:
        if self.writer is not None:
            return self.writer
        if self._opened is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:
                raise ImportError(
                    "TopologyMonitor(log_dir=...) needs the tensorboard package: pip install 'layertopo[tensorboard]'"
                ) from exc
            self._opened = SummaryWriter(log_dir=str(self.log_dir))
        return self._opened


def layer_scalars(rows: pd.DataFrame) -> dict[str, float]:
    """The ``SCALARS`` of one layer's label-``all`` rows (one per dim); absent or non-finite ones are left out."""
    out = {}
    for name, (column, dim) in SCALARS.items():
        values = rows.loc[rows["dim"] == dim, column] if column in rows else pd.Series(dtype=float)
        value = float(values.iloc[0]) if len(values) else np.nan
        if np.isfinite(value):
            out[name] = value
    return out


def diagram_figure(dgms: Sequence[np.ndarray], title: str = "") -> Figure:
    """A persistence diagram (every dimension in one axes, ``plot_diagrams``) on a new figure for TensorBoard.

    Parameters
    ----------
    dgms : sequence of ndarray of shape (k_i, 2), one per homology dimension
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from layertopo.plots.diagrams import plot_diagrams

    figure = Figure(figsize=(3.2, 3.2), layout="constrained")
    plot_diagrams(dgms, ax=figure.subplots(), title=title)
    return figure
