"""A finding, how it writes its numbers, and how it reads them from the tables.

``Finding`` is one sentence with the numbers it cites; ``fmt`` and ``fmt_spread`` write a number and a
``mean ± sd`` over seeds. The helpers below cut the rows a finding reads (one layer at one epoch, the last
hidden layer) and turn them into a mean and standard deviation over seeds (each seed's rows averaged first),
stored in ``Finding.numbers`` as ``numbers[name]`` and ``numbers[name + "_sd"]``. The findings themselves
are in ``layertopo.analysis.cloud_findings`` and ``layertopo.analysis.distance_findings``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Finding:
    """One sentence, the model it is about (``"all"`` for a comparison) and the numbers it cites."""

    model: str
    text: str
    numbers: dict[str, float] = field(default_factory=dict)
    kind: str = ""
    where: dict[str, str | int] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, object]:
        """The finding as plain data (the report's JSON)."""
        return asdict(self)


def fmt(value: float) -> str:
    """How a finding writes a number: three significant digits (``0.953``, ``12``, ``nan``)."""
    return f"{value:.3g}"


def fmt_spread(mean: float, sd: float) -> str:
    """A mean over seeds with its standard deviation to as many decimals: ``0.953 ± 0.010``, ``40 ± 14``."""
    text = fmt(mean)
    if not np.isfinite(sd) or "e" in text or not np.isfinite(mean):
        return f"{text} ± {fmt(sd)}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{text} ± {sd:.{decimals}f}"


def last_hidden_layer(table: pd.DataFrame) -> str | None:
    """The deepest ``hidden*`` layer of ``table`` (``None`` when it has none)."""
    hidden = table[table["layer"].str.startswith("hidden")]
    if hidden.empty:
        return None
    return str(hidden.sort_values("layer_index")["layer"].iloc[-1])


def cloud_rows(table: pd.DataFrame, layer: str, epoch: int, *, per_class: bool = False) -> pd.DataFrame:
    """Rows of one layer at one epoch: label ``all``, or (``per_class``) every class."""
    at = table[(table["layer"] == layer) & (table["epoch"] == epoch)]
    return at[at["label"] != "all"] if per_class else at[at["label"] == "all"]


def seed_spread(rows: pd.DataFrame, column: str) -> tuple[float, float]:
    """Mean and standard deviation over seeds of ``column`` (each seed's rows averaged first)."""
    per_seed = rows.groupby("seed")[column].mean().dropna()
    if per_seed.empty:
        return np.nan, np.nan
    return float(per_seed.mean()), float(per_seed.std(ddof=0))


def named(name: str, value: tuple[float, float]) -> dict[str, float]:
    """A (mean, sd) pair as ``{name: mean, name + "_sd": sd}`` for ``Finding.numbers``."""
    return {name: value[0], f"{name}_sd": value[1]}


def pair(numbers: dict[str, float], name: str) -> tuple[float, float]:
    """The (mean, sd) pair stored under ``name`` by ``named``."""
    return numbers[name], numbers[f"{name}_sd"]
