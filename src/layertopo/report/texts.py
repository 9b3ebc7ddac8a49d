"""The report's words and numbers: status, true topology, final accuracies, number formatting."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def true_topology(dataset: dict[str, Any], maxdim: int) -> list[str]:
    """Sentences giving each class's true Betti numbers and what the computed ones should read."""
    lines = []
    for label, betti in (dataset.get("betti") or {}).items():
        nonzero = ", ".join(f"b{k} = {b}" for k, b in enumerate(betti) if b) or "all zero"
        expected = ", ".join(f"b{k} = {betti[k] if k < len(betti) else 0}" for k in range(maxdim + 1))
        lines.append(f"class {label}: {nonzero}; up to H{maxdim} the computed homology should read {expected}")
    return lines


def run_status(manifest: dict[str, Any]) -> str:
    """The run's status for the report's header.

    The pipeline marks the manifest ``finished`` before it writes the report. A manifest still ``running``
    that already holds the verdicts (a folder written by an older version, or a report rebuilt while the
    final manifest write was interrupted) is a run whose every computing stage is done.
    """
    status = str(manifest.get("status") or "unknown")
    if status == "running" and manifest.get("verdicts"):
        return "finished (the report is the run's last stage)"
    return status


def number(value: Any, spec: str = ".3f") -> str:
    """A number as the report writes it (``format(value, spec)``), or "–" when missing, NaN or infinite."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return format(value, spec)
    return "–"


def final_accuracy(history: pd.DataFrame) -> list[dict[str, Any]]:
    """Per model and seed, the last epoch's train and test accuracy and loss (the numbers behind the verdicts)."""
    if history.empty:
        return []
    last = history[history["epoch"] == history.groupby(["model", "seed"])["epoch"].transform("max")]
    table = last.pivot_table(index=["model", "seed", "epoch"], columns="split", values=["accuracy", "loss"])
    table.columns = [f"{split}_{value}" for value, split in table.columns]
    return table.reset_index().to_dict("records")
