"""Configuration of an experiment: one pydantic model per stage, loaded from YAML.

Unknown keys are rejected everywhere (``extra="forbid"``) so that a typo never silently
falls back to a default. ``--set key.path=value`` overrides are applied to the raw mapping
before validation, so they are checked like the file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

SplitName = Literal["train", "test", "all"]
SPLITS: tuple[str, ...] = ("train", "test", "all")
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


class _DataBase(StrictConfig):
    dim: int = Field(12, ge=2, description="ambient dimension d")
    n_train: int = Field(2000, ge=4, description="training points (balanced classes)")
    n_test: int = Field(1000, ge=4, description="test points, drawn independently")
    n_val: int = Field(
        1000, ge=0, description="validation points, drawn independently, for choosing the epoch (0 = none)"
    )
    noise: float = Field(0.0, ge=0.0, description="std of isotropic Gaussian noise added to every coordinate")
    seed: int = Field(0, description="seeds the train, test and validation draws")


def _interval(value: tuple[float, float], name: str) -> tuple[float, float]:
    low, high = value
    if not 0 <= low < high:
        raise ValueError(f"{name} must be a radius range [low, high] with 0 <= low < high, got {list(value)}")
    return value


class ShellsData(_DataBase):
    """Two thick concentric shells: radius uniform in ``inner`` (class 0) and ``outer`` (class 1), direction
    uniform, and a share ``halo`` of each class spread uniformly over the whole radial span, where the
    classes overlap (Bayes accuracy ``1 - halo / 2`` for disjoint shells)."""

    kind: Literal["shells"] = "shells"
    inner: tuple[float, float] = Field((0.95, 1.05), description="radius range of class 0")
    outer: tuple[float, float] = Field((1.25, 1.35), description="radius range of class 1")
    halo: float = Field(
        0.06, ge=0.0, le=1.0, description="share of each class spread over the whole radial span (the overlap)"
    )

    @field_validator("inner", "outer")
    @classmethod
    def _ranges(cls, value: tuple[float, float], info: Any) -> tuple[float, float]:
        return _interval(value, f"data.{info.field_name}")


class ConcentricSpheresData(_DataBase):
    """Two concentric spheres of radii ``radii`` (separated unless noise blurs them)."""

    kind: Literal["concentric_spheres"] = "concentric_spheres"
    radii: tuple[float, float] = Field((1.0, 1.3), description="radius of class 0 and of class 1")

    @field_validator("radii")
    @classmethod
    def _positive(cls, radii: tuple[float, float]) -> tuple[float, float]:
        if min(radii) <= 0:
            raise ValueError(f"data.radii must be positive, got {list(radii)}")
        return radii


class IntersectingSpheresData(ConcentricSpheresData):
    """Two spheres whose surfaces cross: radius ``radii[0]`` at the origin, ``radii[1]`` at ``offset * e1``."""

    kind: Literal["intersecting_spheres"] = "intersecting_spheres"  # type: ignore[assignment]
    radii: tuple[float, float] = Field((1.0, 0.8), description="radius of class 0 and of class 1")
    offset: float = Field(0.3, ge=0.0, description="distance between the centres")


class LinkedCirclesData(_DataBase):
    """Two linked unit circles (a Hopf link) rotated into R^dim; each class has Betti numbers (1, 1)."""

    kind: Literal["linked_circles"] = "linked_circles"
    dim: int = Field(12, ge=3, description="ambient dimension d (at least 3 to link the circles)")
    noise: float = Field(0.02, ge=0.0, description="std of isotropic Gaussian noise added to every coordinate")


def _data_kind(value: Any) -> str:
    return value.get("kind", "shells") if isinstance(value, dict) else getattr(value, "kind", "shells")


#: Which synthetic dataset to draw and how much of it; ``kind`` chooses the generator and its parameters.
DataConfig = Annotated[
    Annotated[ShellsData, Tag("shells")]
    | Annotated[ConcentricSpheresData, Tag("concentric_spheres")]
    | Annotated[IntersectingSpheresData, Tag("intersecting_spheres")]
    | Annotated[LinkedCirclesData, Tag("linked_circles")],
    Discriminator(_data_kind),
]
DATA_KINDS: dict[str, type[_DataBase]] = {
    "shells": ShellsData,
    "concentric_spheres": ConcentricSpheresData,
    "intersecting_spheres": IntersectingSpheresData,
    "linked_circles": LinkedCirclesData,
}


class ModelConfig(StrictConfig):
    """A fully connected network: hidden widths (ints, or 'd', 'd/4', '2d' in terms of the input dim)."""

    widths: list[int | str] = Field(min_length=1)
    activation: Literal["relu", "tanh", "gelu", "sigmoid", "leaky_relu"] = "relu"
    lr: float | None = Field(None, gt=0.0, description="overrides training.lr for this model")
    optimizer: Literal["adam", "sgd"] | None = Field(None, description="overrides training.optimizer")

    @field_validator("widths")
    @classmethod
    def _widths_parse(cls, widths: list[int | str]) -> list[int | str]:
        for w in widths:
            _width_form(w)  # raises on a malformed entry; its value is checked against data.dim later
        return widths


class TrainingConfig(StrictConfig):
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = Field(1e-3, gt=0.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    batch_size: int = Field(128, ge=1)
    epochs: int = Field(100, ge=1)
    weight_decay: float = Field(0.0, ge=0.0)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: Any) -> Any:
        return _refuse_moved(data, "training", ("n_jobs",))


class CaptureConfig(StrictConfig):
    """Which epochs, layers and splits to record. ``layers=None`` means every layer."""

    epochs: list[int] = Field(default_factory=lambda: [0, 1, 2, 5, 10, 20, 50, 100], min_length=1)
    layers: list[str] | None = Field(None, min_length=1, description="layer names; null = every layer")
    splits: list[SplitName] = Field(default_factory=lambda: list(SPLITS), min_length=1)

    @field_validator("epochs")
    @classmethod
    def _epochs_sorted(cls, epochs: list[int]) -> list[int]:
        if any(e < 0 for e in epochs):
            raise ValueError(f"snapshot epochs must be >= 0 (0 = initialisation), got {epochs}")
        return sorted(set(epochs))


class SignificanceConfig(StrictConfig):
    """Separates topological signal from sampling noise; see ``layertopo.topology.significance``.

    H0: a single-linkage merge of two components of at least ``min_size`` points each is significant when
    its log length lies more than ``h0_z`` robust standard deviations above the median log length of the
    tree edges inside the sparser of the two components. H1+: Bobrowski & Skraba's universal null distribution of
    log log(death/birth), with a Bonferroni-corrected level ``alpha``; or a bar whose death/birth ratio
    reaches ``ratio_min``.
    """

    min_size: int = Field(10, ge=1, description="points a component needs to count (smaller ones are specks)")
    h0_z: float = Field(
        4.0, gt=0.0, description="robust standard deviations a merge must lie above the edges inside its components"
    )
    alpha: float = Field(0.05, gt=0.0, lt=1.0, description="family-wise level of the H1+ test (Bonferroni)")
    ratio_min: float = Field(3.5, gt=1.0, description="death/birth ratio from which an H1+ bar is significant")

    @model_validator(mode="before")
    @classmethod
    def _replaced_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            old = sorted(key for key in ("k", "density_keep", "h0_factor") if key in data)
            if old:
                raise ValueError(
                    f"topology.significance.{', '.join(old)} belong to the old H0 rule (a multiple of the k-NN "
                    "distance after a density filter), which was blind in high dimension; the H0 rule now takes "
                    "min_size and h0_z (see docs/significance.md). Remove those keys"
                )
        return data


class TopologyConfig(StrictConfig):
    """What the topology stage computes on each activation cloud: homology dimensions, distance, subsampling,
    significance. Where it runs is ``ExecutionConfig``'s business.
    """

    maxdim: int = Field(1, ge=0, le=2, description="highest homology dimension of the clouds of all labels")
    class_maxdim: int | None = Field(
        0,
        ge=0,
        le=2,
        description=(
            "highest homology dimension of the per-class clouds (label != 'all'; None: maxdim). They are read for "
            "their components (H0); H1 on them is two thirds of the engine's work on a two-class run"
        ),
    )
    metric: Literal["euclidean", "cosine", "knn_hops", "knn_geodesic"] = Field(
        "euclidean",
        description="distance between points: euclidean, cosine, or hop counts / path lengths on the k-NN graph",
    )
    knn_k: int = Field(14, ge=1, description="neighbours of the k-NN graph for the knn_* metrics")
    fixed_scale: int | None = Field(
        None,
        ge=1,
        description=(
            "hops; when set, every summary row also holds betti_fixed_scale: the Betti number of the k-NN graph's "
            "(knn_k) Vietoris-Rips complex at this many hops (Naitzat et al. 2020: k = 14, 2 hops), on all points"
        ),
    )
    engine: Literal["auto", "ripser", "giotto", "gudhi"] = Field(
        "auto", description="persistent-homology engine; auto picks the fastest exact one for the job"
    )
    truncate: bool = Field(
        True,
        description=(
            "for maxdim 1: cut the filtration at the longest edge where an H1 class can be born (the same "
            "diagrams, less time and memory; layertopo.topology.truncation); false runs the whole filtration"
        ),
    )
    max_points: int | None = Field(
        500, ge=3, description="landmarks per cloud, split between classes in their shares; None: every point"
    )
    subsample: Literal["maxmin", "random"] = Field(
        "maxmin", description="how landmarks are chosen: farthest-point (maxmin) or uniformly at random"
    )
    significance: SignificanceConfig = Field(
        SignificanceConfig(), description="the rules that tell topological signal from sampling noise"
    )

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: Any) -> Any:
        return _refuse_moved(data, "topology", ("n_jobs", "time_limit", "executor", "dask_address"))

    @model_validator(mode="after")
    def _class_maxdim_within_maxdim(self) -> TopologyConfig:
        if self.class_maxdim is not None and self.class_maxdim > self.maxdim:
            raise ValueError(
                f"topology.class_maxdim={self.class_maxdim} is above topology.maxdim={self.maxdim}; "
                f"set class_maxdim to at most {self.maxdim} (or null for the same as maxdim)"
            )
        return self

    def for_classes(self) -> TopologyConfig:
        """These settings with ``maxdim`` lowered to ``class_maxdim``: what the per-class clouds compute."""
        if self.class_maxdim is None or self.class_maxdim == self.maxdim:
            return self
        return self.model_copy(update={"maxdim": self.class_maxdim})


class ExecutionConfig(StrictConfig):
    """Where the run's work goes: how many worker processes, the time limit per cloud, and which executor
    (``layertopo.parallel``). It never changes what is computed, except that a cloud past ``time_limit`` is
    recorded as timed out. Library calls (``analyze``, ``PersistenceDiagrams``, ``TopologyMonitor``) take
    ``n_jobs=`` themselves and run in the calling process by default.
    """

    n_jobs: int | None = Field(
        -1,
        description=(
            "worker processes for training units, topology, distances and figures: -1 every core, -2 all but one, "
            "None (null) everything in this process"
        ),
    )
    time_limit: float | None = Field(
        300.0,
        gt=0,
        description="seconds per cloud, enforced in worker processes (not with n_jobs null); None = no limit",
    )
    executor: Literal["local", "dask"] = Field(
        "local",
        description="local processes (n_jobs), or a Dask cluster for the topology and distance jobs",
    )
    dask_address: str | None = Field(
        None, min_length=1, description="Dask scheduler address; None = a LocalCluster of n_jobs worker processes"
    )

    @field_validator("n_jobs")
    @classmethod
    def _some_jobs(cls, n_jobs: int | None) -> int | None:
        if n_jobs == 0:
            raise ValueError("execution.n_jobs=0 runs nothing: use -1 (every core), a positive count or null")
        return n_jobs

    @model_validator(mode="after")
    def _address_needs_dask(self) -> ExecutionConfig:
        if self.dask_address is not None and self.executor != "dask":
            raise ValueError(
                f"execution.dask_address={self.dask_address!r} is set but execution.executor is {self.executor!r}; "
                "set execution.executor=dask"
            )
        return self


def _refuse_moved(data: Any, section: str, keys: tuple[str, ...]) -> Any:
    """Refuse the settings that moved to ``execution`` (configs written before it existed) with the new key."""
    if isinstance(data, dict):
        moved = [key for key in keys if key in data]
        if moved:
            new = ", ".join(f"execution.{key}" for key in moved)
            raise ValueError(
                f"{', '.join(f'{section}.{key}' for key in moved)} moved to the execution section (where work runs, "
                f"apart from what is computed): write {new} instead"
                + (" (one n_jobs now serves every stage)" if "n_jobs" in moved else "")
            )
    return data


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


def resolve_width(width: int | str, dim: int) -> int:
    """Turn a width entry into an int: ``64`` -> 64, ``'d'`` -> dim, ``'d/4'`` -> dim // 4, ``'2d'`` -> 2 * dim.

    Raises
    ------
    ValueError
        If the entry is not an int or one of those forms, or is not positive.
    """
    kind, n = _width_form(width)
    value = {"units": n, "divided": dim // n, "times": n * dim}[kind]
    if value < 1:
        raise ValueError(f"width {width!r} resolves to {value} for d={dim}; widths must be >= 1")
    return value


def _width_form(width: int | str) -> tuple[str, int]:
    """``("units", n)``, ``("divided", n)`` for ``'d/n'`` or ``("times", n)`` for ``'nd'`` (``'d'``: times 1)."""
    if isinstance(width, bool):
        raise ValueError(f"width {width!r} is a boolean, not a number of units")
    if isinstance(width, int):
        kind, n = "units", width
    else:
        text = str(width).replace(" ", "").lower()
        try:
            if text.startswith("d/"):
                kind, n = "divided", int(text[2:])
            elif text.endswith("d"):
                kind, n = "times", int(text[:-1] or 1)
            else:
                kind, n = "units", int(text)
        except ValueError:
            raise ValueError(f"width {width!r} is not an int nor of the form 'd', 'd/N' or 'Nd'") from None
    if n < 1:
        raise ValueError(f"width {width!r}: widths must be >= 1, and so must N in 'd/N' and 'Nd'")
    return kind, n


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
