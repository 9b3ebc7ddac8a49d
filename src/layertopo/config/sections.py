"""The settings of each stage of an experiment, one section of the YAML apiece: the networks
(``ModelConfig`` and ``resolve_width`` for widths such as ``'d/4'``), their training, what is captured,
what the topology stage measures (with its significance rules), and where the work runs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from layertopo.config.base import StrictConfig

SplitName = Literal["train", "test", "all"]
SPLITS: tuple[str, ...] = ("train", "test", "all")


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
