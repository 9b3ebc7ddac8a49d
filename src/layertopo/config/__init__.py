"""Configuration of an experiment: one pydantic model per stage, loaded from YAML.

Unknown keys are rejected everywhere (``extra="forbid"``) so that a typo never silently
falls back to a default. ``--set key.path=value`` overrides are applied to the raw mapping
before validation, so they are checked like the file itself.

The package holds ``base`` (``StrictConfig`` and the YAML loader, ``load_settings``), ``data`` (the
synthetic datasets), ``sections`` (one section per stage: model, training, capture, topology, execution)
and ``experiment`` (``ExperimentConfig``, ``load_config`` and error messages); every name is importable
from ``layertopo.config`` itself.
"""

from __future__ import annotations

from layertopo.config.base import Settings, StrictConfig, apply_override, load_settings
from layertopo.config.data import (
    DATA_KINDS,
    ConcentricSpheresData,
    DataConfig,
    IntersectingSpheresData,
    LinkedCirclesData,
    ShellsData,
)
from layertopo.config.experiment import SAFE_NAME, ExperimentConfig, config_to_yaml, describe_errors, load_config
from layertopo.config.sections import (
    SPLITS,
    CaptureConfig,
    ExecutionConfig,
    ModelConfig,
    SignificanceConfig,
    SplitName,
    TopologyConfig,
    TrainingConfig,
    resolve_width,
)

__all__ = [
    "DATA_KINDS",
    "SAFE_NAME",
    "SPLITS",
    "CaptureConfig",
    "ConcentricSpheresData",
    "DataConfig",
    "ExecutionConfig",
    "ExperimentConfig",
    "IntersectingSpheresData",
    "LinkedCirclesData",
    "ModelConfig",
    "Settings",
    "ShellsData",
    "SignificanceConfig",
    "SplitName",
    "StrictConfig",
    "TopologyConfig",
    "TrainingConfig",
    "apply_override",
    "config_to_yaml",
    "describe_errors",
    "load_config",
    "load_settings",
    "resolve_width",
]
