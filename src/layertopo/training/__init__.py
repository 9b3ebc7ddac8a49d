"""Seeded, deterministic training with per-epoch callbacks."""

from layertopo.training.fit import EpochCallback, FitResult, checkpoint_state, evaluate, fit, resolve_device

__all__ = ["EpochCallback", "FitResult", "checkpoint_state", "evaluate", "fit", "resolve_device"]
