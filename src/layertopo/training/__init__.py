"""Seeded, deterministic training with per-epoch callbacks."""

from layertopo.training.fit import EpochCallback, FitResult, evaluate, fit, resolve_device

__all__ = ["EpochCallback", "FitResult", "evaluate", "fit", "resolve_device"]
