"""The drill-down's data: for every cloud, its PCA projection, its persistence diagrams and its summary row.

The report's script draws these for the chosen model, seed, layer, split and epoch, so the payload is
plain JSON-ready lists. It stays bounded: diagrams of the label ``all`` only, at most ``cap`` bars per
homology dimension (the longest; the total is kept), coordinates rounded to ``digits`` significant digits
relative to each view's largest coordinate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from layertopo.clouds import CloudKey

#: Summary columns shown for the chosen cloud (per homology dimension where marked).
INFO_COLUMNS = ("n_input", "n_unique", "n_used", "cover_radius", "h0_z_max", "pca_dims_95", "rms_radius")
INFO_PER_DIM = ("betti_significant", "n_bars", "n_infinite", "total_persistence", "longest", "second")
SPLIT_CODE = {"train": 0, "test": 1}

DiagramKey = tuple[str, int, int]


def drilldown_data(
    projections: pd.DataFrame,
    diagrams: Mapping[DiagramKey, Mapping[str, np.ndarray]],
    summaries: pd.DataFrame,
    *,
    cap: int = 300,
    digits: int = 4,
    models: list[str] | None = None,
) -> dict[str, Any]:
    """Everything the drill-down shows, keyed ``"model|seed|epoch|layer"`` (projections) and
    ``"model|seed|epoch|layer|split"`` (diagrams and summaries).

    Parameters
    ----------
    projections : the projections table (pc1..pc3 per point of each (model, seed, epoch, layer) view)
    diagrams : ``(model, seed, epoch)`` -> the ``diagrams/...npz`` content, ``"<layer>__<split>__<label>__h<dim>"``
        -> ndarray of shape (k, 2) of [birth, death]
    summaries : the summaries table
    cap : most bars kept per diagram
    digits : significant digits kept of each coordinate
    models : the order of the model menu (default: as found)

    Returns
    -------
    dict with ``proj``, ``dgm`` and ``info`` maps, the ``options`` (models, seeds, layers, epochs, splits per
    model) and ``cap``
    """
    proj = _projection_views(projections, digits)
    dgm = _diagram_views(diagrams, cap, digits)
    info = _summary_views(summaries)
    options = _options(proj, dgm, info, summaries, models or [])
    return {"proj": proj, "dgm": dgm, "info": info, "options": options, "cap": cap}


def _projection_views(projections: pd.DataFrame, digits: int) -> dict[str, dict[str, Any]]:
    """One entry per view: x, y, z coordinates, the group code (2 * class + split) and explained variance."""
    views: dict[str, dict[str, Any]] = {}
    if projections.empty:
        return views
    table = projections.sort_values(["model", "seed", "epoch", "layer", "point"], kind="stable")
    for (model, seed, epoch, layer), rows in table.groupby(["model", "seed", "epoch", "layer"], sort=False):
        coords = rows[["pc1", "pc2", "pc3"]].to_numpy(dtype=float)
        group = 2 * rows["label"].to_numpy(dtype=int) + rows["split"].map(SPLIT_CODE).fillna(0).to_numpy(dtype=int)
        explained = rows[["explained1", "explained2", "explained3"]].iloc[0].to_numpy(dtype=float)
        rounded = _round(coords, digits)
        views[f"{model}|{seed}|{epoch}|{layer}"] = {
            "x": rounded[:, 0].tolist(),
            "y": rounded[:, 1].tolist(),
            "z": rounded[:, 2].tolist(),
            "g": group.tolist(),
            "ev": np.round(explained, 4).tolist(),
        }
    return views


def _diagram_views(
    diagrams: Mapping[DiagramKey, Mapping[str, np.ndarray]], cap: int, digits: int
) -> dict[str, dict[str, Any]]:
    """One entry per (cloud, split) of label ``all``: per dimension the longest ``cap`` finite bars, the births
    of the essential (infinite) classes and the total number of bars."""
    views: dict[str, dict[str, Any]] = {}
    for (model, seed, epoch), arrays in diagrams.items():
        for entry, dgm in arrays.items():
            key, dim = CloudKey.from_diagram_name(entry, model, seed, epoch)
            if key.label != "all":
                continue
            view = views.setdefault(f"{model}|{seed}|{epoch}|{key.layer}|{key.split}", {})
            view[f"h{dim}"] = _bars(np.asarray(dgm, dtype=float).reshape(-1, 2), cap, digits)
    return views


def _bars(dgm: np.ndarray, cap: int, digits: int) -> dict[str, Any]:
    """Births and deaths of the ``cap`` longest finite bars (longest first), essential births, total count."""
    finite = dgm[np.isfinite(dgm[:, 1])]
    order = np.argsort(finite[:, 0] - finite[:, 1], kind="stable")[:cap]
    kept = _round(finite[order], digits) if len(order) else np.zeros((0, 2))
    essential = dgm[~np.isfinite(dgm[:, 1]), 0]
    return {
        "b": kept[:, 0].tolist(),
        "d": kept[:, 1].tolist(),
        "inf": _round(essential, digits).tolist(),
        "n": int(len(dgm)),
    }


def _summary_views(summaries: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The summary row of each (cloud, split) of label ``all``: shared columns once, the rest per dimension."""
    views: dict[str, dict[str, Any]] = {}
    rows = summaries[summaries["label"] == "all"]
    for row in rows.itertuples(index=False):
        key = f"{row.model}|{row.seed}|{row.epoch}|{row.layer}|{row.split}"
        view = views.setdefault(key, {"error": str(row.error)})
        if not row.error:
            view.update({c: _number(getattr(row, c)) for c in INFO_COLUMNS})
            view.update({f"{c}_h{row.dim}": _number(getattr(row, c)) for c in INFO_PER_DIM})
            if row.dim == 0:
                for column in ("class_purity", "purity_chance", "purity_above_chance"):
                    view[column] = _number(getattr(row, column))
    return views


def _options(
    proj: dict[str, Any], dgm: dict[str, Any], info: dict[str, Any], summaries: pd.DataFrame, preferred: list[str]
) -> dict[str, Any]:
    """The choices offered: models, and per model its seeds, layers (by depth), epochs and splits."""
    keys = [k.split("|") for k in (*proj, *dgm, *info)]
    order = summaries.groupby("layer")["layer_index"].min().to_dict() if not summaries.empty else {}
    found = set(k[0] for k in keys)
    models = [m for m in preferred if m in found] + sorted(found - set(preferred))
    options: dict[str, Any] = {"models": models}
    for model in models:
        mine = [k for k in keys if k[0] == model]
        layers = list(dict.fromkeys(k[3] for k in mine))
        options[model] = {
            "seeds": sorted({int(k[1]) for k in mine}),
            "epochs": sorted({int(k[2]) for k in mine}),
            "layers": sorted(layers, key=lambda name: order.get(name, 10**6 + layers.index(name))),
            "splits": [s for s in ("test", "train", "all") if any(len(k) == 5 and k[4] == s for k in mine)],
        }
    return options


def _round(values: np.ndarray, digits: int) -> np.ndarray:
    """Round to ``digits`` significant digits relative to the largest finite magnitude in ``values``."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0 or finite.max() == 0:
        return values
    decimals = int(digits - 1 - np.floor(np.log10(finite.max())))
    return np.round(values, max(decimals, 0))


def _number(value: Any) -> float | int | None:
    """A JSON-friendly number (None for NaN/inf)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return round(value, 6) if np.isfinite(value) else None
