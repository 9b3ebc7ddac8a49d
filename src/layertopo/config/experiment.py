"""A whole experiment, ``ExperimentConfig``, made of the stage sections; ``load_config`` reads one from
YAML, ``config_to_yaml`` writes it back, and ``describe_errors`` turns a validation error into one line per
problem.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from layertopo.config.base import StrictConfig, load_settings
from layertopo.config.data import DATA_KINDS, DataConfig, ShellsData
from layertopo.config.sections import (
    CaptureConfig,
    ExecutionConfig,
    ModelConfig,
    TopologyConfig,
    TrainingConfig,
    resolve_width,
)

#: names that become folder or file names (the run's name, model names): letters, digits, "_", "-", "."
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def _check_safe_name(name: str, what: str) -> str:
    import re

    if not re.match(SAFE_NAME, name) or ".." in name:
        raise ValueError(
            f"{what} {name!r} is not a safe name: it becomes a folder name in the run, so it must start with a "
            "letter or digit and hold only letters, digits, '_', '-' and '.' (no '..', at most 64 characters)"
        )
    return name


class ExperimentConfig(StrictConfig):
    """A whole experiment: the data, the models, their training, what is captured and how it is measured.

    ``load_config`` reads one from YAML (``configs/default.yaml`` is the default experiment); every key is
    checked, and an unknown or misspelt one is an error that names it.
    """

    name: str = Field("default", description="the run's name (letters, digits, '_', '-', '.')")
    data: DataConfig = Field(default_factory=ShellsData, description="the synthetic dataset and its Bayes accuracy")
    models: dict[str, ModelConfig] = Field(
        default_factory=lambda: {
            "good": ModelConfig(widths=[64, 64, 64, 64]),
            "narrow_first": ModelConfig(widths=["d/4", 64, 64, 64]),
            "narrow_middle": ModelConfig(widths=[64, 64, "d/4", 64]),
        },
        min_length=1,
        description="the networks compared, by name (hidden widths, 'd/4' = a quarter of the input dimension)",
    )
    training: TrainingConfig = Field(TrainingConfig(), description="optimiser, epochs and seeds")
    capture: CaptureConfig = Field(CaptureConfig(), description="which epochs, layers and splits are recorded")
    topology: TopologyConfig = Field(TopologyConfig(), description="what is measured on each cloud")
    execution: ExecutionConfig = Field(
        ExecutionConfig(), description="where the work runs: worker processes, time limit per cloud, executor"
    )

    @field_validator("name")
    @classmethod
    def _safe_run_name(cls, name: str) -> str:
        return _check_safe_name(name, "name")

    @field_validator("models")
    @classmethod
    def _safe_model_names(cls, models: dict[str, ModelConfig]) -> dict[str, ModelConfig]:
        for name in models:
            _check_safe_name(name, "model name")
        return models

    @model_validator(mode="after")
    def _check_consistency(self) -> ExperimentConfig:
        last = self.training.epochs
        beyond = [e for e in self.capture.epochs if e > last]
        if beyond:
            raise ValueError(
                f"capture.epochs {beyond} lie beyond the last training epoch ({last}); use epochs between 0 and {last}"
            )
        for name, model in self.models.items():
            try:
                widths = [resolve_width(w, self.data.dim) for w in model.widths]
            except ValueError as exc:
                raise ValueError(f"model '{name}': {exc}") from None
            valid = ["input", *[f"hidden{i}" for i in range(1, len(widths) + 1)], "logits"]
            unknown = [layer for layer in self.capture.layers or [] if layer not in valid]
            if unknown:
                raise ValueError(f"capture.layers {unknown} not in model '{name}'; valid names: {valid}")
        return self


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read a YAML config (or the defaults), apply ``key.path=value`` overrides, validate.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file; None for the built-in defaults.
    overrides : list of str, optional
        Strings such as ``"training.epochs=20"``; values are parsed as YAML.

    Returns
    -------
    ExperimentConfig
    """
    return load_settings(ExperimentConfig, path, overrides, example="configs/default.yaml")


def config_to_yaml(config: ExperimentConfig) -> str:
    """The resolved configuration as YAML text (every default written out)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def describe_errors(exc: Exception) -> str:
    """A validation error as one line per problem: the key, what is wrong, and for an unknown key the valid
    keys of its section (pydantic says only "Extra inputs are not permitted")."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            valid = _section_keys(loc[:-1])
            hint = f"; valid keys there: {', '.join(valid)}" if valid else ""
            lines.append(f"{key}: unknown key{hint}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {message} (got {error.get('input')!r})" if "input" in error else f"{key}: {message}")
    return "\n".join(lines)


def _section_keys(path: list[str]) -> list[str]:
    """The keys a config section accepts, following ``path`` from the top (model names and data kinds
    included); empty when the path leads nowhere known."""
    model: type[BaseModel] | None = ExperimentConfig
    parts = list(path)
    while parts and model is not None:
        part = parts.pop(0)
        if model is ExperimentConfig and part == "models":
            model = ModelConfig
            parts = parts[1:]  # the model's name
        elif model is ExperimentConfig and part == "data":
            model = DATA_KINDS.get(parts.pop(0)) if parts else ShellsData
        else:
            field = model.model_fields.get(part)
            annotation = getattr(field, "annotation", None)
            model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return sorted(model.model_fields) if model is not None else []
