"""The numbers behind each figure: small grids and bands cut from the run's tidy tables.

The interactive (plotly) and the static (matplotlib) figures both draw from these helpers, so the two
twins show the same numbers. Missing keys come back as NaN (a gap in the figure), never as an error.
Rows whose ``error`` is not empty count as missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Topology quantities drawn per layer and epoch: (key, column, homology dim, title).
QUANTITIES: tuple[tuple[str, str, int, str], ...] = (
    ("b0", "betti_significant", 0, "significant b0"),
    ("b1", "betti_significant", 1, "significant b1"),
    ("tp0", "total_persistence", 0, "total persistence H0"),
    ("tp1", "total_persistence", 1, "total persistence H1"),
    ("purity", "purity_above_chance", 0, "class purity above chance (0 chance, 1 split)"),
)

#: Diagram-distance kinds drawn along depth: (kind, title).
DISTANCE_KINDS: tuple[tuple[str, str], ...] = (
    ("layer_to_next", "layer to the next layer"),
    ("layer_to_input", "layer to the input"),
    ("epoch_to_next", "snapshot to the next snapshot"),
)


@dataclass(frozen=True)
class Grid:
    """A quantity over layers (rows) and epochs (columns), aggregated over seeds.

    Attributes
    ----------
    mean, low, high : ndarray of shape (n_layers, n_epochs)
        Mean, minimum and maximum over seeds; NaN where no seed has a value.
    count : ndarray of shape (n_layers, n_epochs)
        Number of seeds with a value.
    layers : row labels (layer names, or ``"a → b"`` for layer-to-layer distances)
    epochs : column labels
    """

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray
    layers: list[str]
    epochs: list[int]

    @property
    def empty(self) -> bool:
        """True when no cell has a value."""
        return not np.isfinite(self.mean).any()


def ordered_models(*tables: pd.DataFrame, preferred: list[str] | None = None) -> list[str]:
    """Model names in ``preferred`` order (the config's), then any other model found in ``tables``."""
    names = list(preferred or [])
    for table in tables:
        if "model" in table.columns:
            names += [str(m) for m in table["model"].unique() if str(m) not in names]
    return list(dict.fromkeys(names))


def layer_order(summaries: pd.DataFrame, model: str | None = None) -> list[str]:
    """Layer names sorted by depth (``layer_index``), for one model or for all."""
    rows = summaries if model is None else summaries[summaries["model"] == model]
    if rows.empty:
        return []
    first = rows.groupby("layer", sort=False)["layer_index"].min().sort_values(kind="stable")
    return [str(layer) for layer in first.index]


def epoch_order(*tables: pd.DataFrame) -> list[int]:
    """Sorted snapshot epochs found in ``tables``."""
    epochs: set[int] = set()
    for table in tables:
        if "epoch" in table.columns:
            epochs |= {int(e) for e in table["epoch"].unique()}
    return sorted(epochs)


def valid_values(table: pd.DataFrame, column: str) -> pd.Series:
    """``table[column]`` as float, NaN where the row carries an error or the column is missing."""
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index, dtype=float)
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    if "error" in table.columns:
        values = values.where(table["error"].fillna("").eq(""))
    return values


class SummaryCube:
    """Summary columns aggregated over seeds once, per (model, split, label, dim, layer, epoch).

    A figure with many panels cuts all its grids from one cube instead of filtering the table per panel.
    """

    KEYS = ["model", "split", "label", "dim", "layer", "epoch"]

    def __init__(self, summaries: pd.DataFrame, columns: list[str]) -> None:
        values = pd.DataFrame({c: valid_values(summaries, c) for c in columns}, index=summaries.index)
        table = pd.concat([summaries[self.KEYS], values], axis=1)
        self._table = table.groupby(self.KEYS, observed=True)[columns].agg(["mean", "min", "max", "count"])

    def grid(
        self, *, model: str, column: str, dim: int, split: str, label: str, layers: list[str], epochs: list[int]
    ) -> Grid:
        """One column over layers x epochs for one model, split, label and homology dimension."""
        try:
            cut = self._table.loc[(model, split, label, dim)][column]
        except KeyError:
            cut = pd.DataFrame(columns=["mean", "min", "max", "count"])
        return _from_stats(cut, layers, epochs)


def summary_grid(
    summaries: pd.DataFrame,
    *,
    model: str,
    column: str,
    dim: int,
    split: str,
    label: str,
    layers: list[str],
    epochs: list[int],
) -> Grid:
    """One summary column over layers x epochs for one model, split and label (aggregated over seeds)."""
    cube = SummaryCube(summaries, [column])
    return cube.grid(model=model, column=column, dim=dim, split=split, label=label, layers=layers, epochs=epochs)


def distance_grid(
    distances: pd.DataFrame,
    *,
    model: str,
    kind: str,
    dim: int,
    split: str,
    metric: str,
    layers: list[str],
    epochs: list[int],
) -> Grid:
    """Diagram distances of one ``kind`` over layers x epochs (aggregated over seeds).

    Rows are the source layer of each pair; for ``layer_to_next`` they are labelled ``"a → b"``, and the
    last layer (which has no next) is left out. ``split`` selects the first cloud's split; ``train_test``
    pairs are stored with ``split == "train"`` whatever is asked.
    """
    if distances.empty:
        return _from_stats(pd.DataFrame(), layers, epochs)
    split = "train" if kind == "train_test" else split
    rows = distances[
        (distances["model"] == model)
        & (distances["kind"] == kind)
        & (distances["dim"] == dim)
        & (distances["split"] == split)
    ]
    rows = rows.assign(_value=pd.to_numeric(rows[metric], errors="coerce").astype(float))
    if kind != "layer_to_next":
        return _grid(rows, "layer", [x for x in layers if kind != "layer_to_input" or x != "input"], epochs)
    pairs = [f"{a} → {b}" for a, b in zip(layers[:-1], layers[1:], strict=True)]
    rows = rows.assign(_pair=rows["layer"].astype(str) + " → " + rows["other_layer"].astype(str))
    return _grid(rows, "_pair", pairs, epochs)


def training_band(history: pd.DataFrame, *, model: str, split: str, column: str) -> pd.DataFrame:
    """Mean, min, max and std over seeds of one history column, per epoch.

    Returns
    -------
    DataFrame indexed by epoch with columns mean, min, max, std, n (empty when there are no rows)
    """
    rows = history[(history["model"] == model) & (history["split"] == split)]
    values = pd.to_numeric(rows[column], errors="coerce").astype(float)
    grouped = rows.assign(_value=values).groupby("epoch")["_value"]
    table = grouped.agg(["mean", "min", "max", "count"]).rename(columns={"count": "n"})
    return table.assign(std=grouped.std(ddof=0)).sort_index()


def _grid(rows: pd.DataFrame, by: str, layers: list[str], epochs: list[int]) -> Grid:
    """Aggregate ``rows['_value']`` over seeds into a layers x epochs grid (NaN where missing)."""
    if rows.empty:
        return _from_stats(pd.DataFrame(), layers, epochs)
    return _from_stats(rows.groupby([by, "epoch"])["_value"].agg(["mean", "min", "max", "count"]), layers, epochs)


def _from_stats(table: pd.DataFrame, layers: list[str], epochs: list[int]) -> Grid:
    """A Grid from a (layer, epoch)-indexed table of mean, min, max, count (missing cells become NaN)."""
    shape = (len(layers), len(epochs))
    if table.empty or not layers or not epochs:
        nan = np.full(shape, np.nan)
        return Grid(nan, nan.copy(), nan.copy(), np.zeros(shape, dtype=int), list(layers), list(epochs))
    table = table.reindex(pd.MultiIndex.from_product([layers, epochs]))

    def cells(column: str) -> np.ndarray:
        return table[column].to_numpy(dtype=float).reshape(shape)

    count = np.nan_to_num(cells("count")).astype(int)
    return Grid(cells("mean"), cells("min"), cells("max"), count, list(layers), list(epochs))
