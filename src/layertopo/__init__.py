"""layertopo: how a neural network transforms its data, layer by layer, measured with persistent homology.

Top-level names are imported lazily (PEP 562), so ``import layertopo`` and topology worker processes do
not pay for torch unless they use it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Analysis": "layertopo.api",
    "analyze": "layertopo.api",
    "compare": "layertopo.api",
    "capture_activations": "layertopo.capture",
    "TopologyCallback": "layertopo.lightning_callback",
    "TopologyMonitor": "layertopo.callbacks",
    "ExperimentConfig": "layertopo.config",
    "SignificanceConfig": "layertopo.config",
    "TopologyConfig": "layertopo.config",
    "load_config": "layertopo.config",
    "DiagramStatistics": "layertopo.estimators",
    "PersistenceDiagrams": "layertopo.estimators",
    "plot_barcode": "layertopo.plots.diagrams",
    "plot_betti_curve": "layertopo.plots.diagrams",
    "plot_diagrams": "layertopo.plots.diagrams",
    "persistence_diagrams": "layertopo.topology",
    "run_experiment": "layertopo.pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'layertopo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
