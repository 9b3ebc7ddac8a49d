"""The synthetic datasets an experiment can draw (``data:`` in the YAML), one config per generator, and
``DataConfig``, their union discriminated by ``kind`` (``shells`` when absent).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from layertopo.config.base import StrictConfig


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
