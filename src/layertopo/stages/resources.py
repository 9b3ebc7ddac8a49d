"""What a config needs before any work starts: its memory and disk, and the best accuracies its data allows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from layertopo.config import ExperimentConfig, ModelConfig, resolve_width
from layertopo.data import best_accuracy
from layertopo.parallel import effective_n_jobs


def best_accuracies(config: ExperimentConfig) -> dict[str, Any]:
    """The dataset's record for the manifest: its Bayes accuracy and, per model whose first hidden layer is
    narrower than the input, the best accuracy any classifier of a projection of that rank can reach."""
    bayes = best_accuracy(config.data)
    record: dict[str, Any] = {
        "kind": config.data.kind,
        "bayes_accuracy": bayes.value if bayes else None,
        "bayes": bayes.as_dict() if bayes else None,
        "ceilings": {},
    }
    for name, spec in config.models.items():
        k = resolve_width(spec.widths[0], config.data.dim)
        ceiling = best_accuracy(config.data, k) if k < config.data.dim else None
        if ceiling is not None:
            record["ceilings"][name] = {"first_width": k, **ceiling.as_dict()}
    return record


def layer_widths(config: ExperimentConfig, spec: ModelConfig) -> list[int]:
    """Widths of every captured layer of a model, input to logits: ``[d, hidden..., 2]``."""
    d = config.data.dim
    return [d, *[resolve_width(w, d) for w in spec.widths], 2]


def estimate_run_bytes(config: ExperimentConfig) -> int:
    """An upper bound on what a run writes: the captured activations (float32, before compression) dominate."""
    d = config.data
    per_epoch = 0
    for spec in config.models.values():
        widths = layer_widths(config, spec)
        per_epoch += 4 * (d.n_train + d.n_test) * sum(widths)
    return per_epoch * len(config.training.seeds) * len(config.capture.epochs) + 20 * 1024**2


class ResourceError(ValueError):
    """The run would need more memory than the machine has; the message gives the numbers."""


def estimate_peak_bytes(config: ExperimentConfig) -> dict[str, int]:
    """Per model, the memory one training worker holds at a snapshot: the parameters with their gradients and
    Adam's two moments (4 copies, float32) and the captured activations of every layer for the train and test
    splits at once (float32), plus the float64 distance matrix of one subsampled cloud."""
    d = config.data
    points = d.n_train + d.n_test
    cloud = min(config.topology.max_points or points, points)
    peaks = {}
    for name, spec in config.models.items():
        widths = layer_widths(config, spec)
        parameters = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
        peaks[name] = 4 * 4 * parameters + 4 * points * sum(widths) + 8 * cloud**2
    return peaks


def available_memory() -> int:
    """Bytes of memory available to new work (``MemAvailable`` on Linux, else all physical memory)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_resources(config: ExperimentConfig, available: int | None = None) -> None:
    """Refuse, before any work, a run whose training workers would together need more memory than is
    available (``widths: [1000000]`` reached 8.1 GiB in a minute, with no sign of what was coming)."""
    available = available_memory() if available is None else available
    peaks = estimate_peak_bytes(config)
    asked = min(effective_n_jobs(config.execution.n_jobs), effective_n_jobs(-1))  # a pool never exceeds the cores
    workers = max(1, min(asked, len(config.models) * len(config.training.seeds)))
    largest = max(peaks, key=peaks.get)
    need = workers * peaks[largest]
    if need > available:
        gib = 2**30
        raise ResourceError(
            f"models.{largest} would need about {peaks[largest] / gib:.1f} GiB per training worker (parameters "
            f"with Adam's state, and every layer's activations for {config.data.n_train + config.data.n_test} "
            f"points), {need / gib:.1f} GiB for {workers} workers, but {available / gib:.1f} GiB are available. "
            "Narrow the layers, capture fewer layers or points, or lower execution.n_jobs"
        )
