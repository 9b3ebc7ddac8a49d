"""The foundation of every layertopo config: ``StrictConfig`` (unknown keys are errors, values are frozen,
YAML booleans are not numbers) and the one loader, ``load_settings``, which reads YAML (refusing duplicate
keys, naming the line and column of a problem) and applies ``key.path=value`` overrides before validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

Settings = TypeVar("Settings", bound="StrictConfig")


class StrictConfig(BaseModel):
    """The base of every config: unknown keys are errors, values are frozen, YAML booleans are not numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        """``epochs: true`` is not 1: YAML's true/false/yes/no are refused where a number is expected."""
        if isinstance(data, dict):
            for name, value in data.items():
                field = cls.model_fields.get(name)
                if field is None:
                    continue
                if isinstance(value, bool) and _wants_number(field.annotation):
                    raise ValueError(f"{name}: expected a number, got {str(value).lower()} (a YAML boolean)")
                if isinstance(value, list) and _wants_number_items(field.annotation):
                    flags = [i for i, item in enumerate(value) if isinstance(item, bool)]
                    if flags:
                        raise ValueError(
                            f"{name}: item {flags[0]} is {str(value[flags[0]]).lower()} (a YAML boolean), not a number"
                        )
        return data


def _wants_number(annotation: Any) -> bool:
    """Whether a field's type is a number (int or float, optionally None) and not a boolean."""
    import typing

    kinds = set(typing.get_args(annotation)) if typing.get_args(annotation) else {annotation}
    kinds.discard(type(None))
    return bool(kinds) and kinds <= {int, float}


def _wants_number_items(annotation: Any) -> bool:
    """Whether a field is a list (optionally None) whose items may be numbers (``list[int]``, ``list[int | str]``)."""
    import typing

    kinds = [annotation] if typing.get_origin(annotation) is list else list(typing.get_args(annotation))
    for kind in kinds:
        if typing.get_origin(kind) is list:
            item = typing.get_args(kind)[0]
            items = set(typing.get_args(item)) or {item}
            return bool(items & {int, float})
    return False


def load_settings(
    kind: type[Settings], path: str | Path | None, overrides: list[str] | None = None, *, example: str = "configs/"
) -> Settings:
    """Read a YAML file (or nothing: the defaults), apply ``key.path=value`` overrides and validate it as
    ``kind``: the one loader of every config of layertopo (experiments, the Naitzat study). ``example`` is
    the shipped file that messages point to.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        If the file is not YAML (with its line and column), holds nothing or no mapping.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {path} does not exist; see {example} for an example")
        loaded = _load_yaml(path)
        if loaded is None or loaded == {}:
            raise ValueError(
                f"config file {path} holds no settings (it is empty, all comments, or {{}}), so it would silently run "
                f"the built-in defaults; write the settings you want, or use {example}"
            )
        if not isinstance(loaded, dict):
            raise ValueError(f"config file {path} must hold a mapping at the top level")
        raw = loaded
    for item in overrides or []:
        apply_override(raw, item)
    return kind.model_validate(raw)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Set ``raw[a][b][c] = value`` for ``item = "a.b.c=value"`` (value parsed as YAML)."""
    if "=" not in item:
        raise ValueError(f"override {item!r} must look like key.path=value, e.g. training.epochs=20")
    key, _, text = item.partition("=")
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"override {item!r}: '{part}' is not a section")
    try:
        node[parts[-1]] = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(f"override {item!r}: the value is not valid YAML ({_yaml_problem(exc)})") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key that appears twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (lines {seen[key]} and {line}); keep one",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: the problem and where (line and column, 1-based)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else str(problem)


def _load_yaml(path: Path) -> Any:
    """The YAML document in ``path``; any problem becomes a ValueError naming the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"config file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise ValueError(f"config file {path} holds a NUL byte; it is not a text file")
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(f"config file {path}, {_yaml_problem(exc)}") from None
