"""Read what a report needs from a run folder: the resolved config, the manifest, the tables, the diagrams.

Only ``config.yaml``, ``history.parquet`` and ``summaries.parquet`` are required. A missing or unreadable
``distances.parquet``, ``projections.parquet``, ``probes.parquet`` or diagram file becomes an empty table
(the report shows a gap there) and a line in ``RunData.missing``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from layertopo.plots.tables import epoch_order, layer_order, ordered_models
from layertopo.store import RunStore, read_npz, read_parquet

REQUIRED = ("config.yaml", "history.parquet", "summaries.parquet")
DISTANCE_COLUMNS = [
    "model", "seed", "kind", "dim", "epoch", "layer", "split", "other_epoch", "other_layer", "other_split",
    "bottleneck", "wasserstein",
]  # fmt: skip
PROJECTION_COLUMNS = [
    "model", "seed", "epoch", "layer", "layer_index", "point", "split", "label", "pc1", "pc2", "pc3",
    "explained1", "explained2", "explained3",
]  # fmt: skip
PROBE_COLUMNS = ["model", "seed", "epoch", "layer", "layer_index", "split", "width", "class_accuracy", "radius_r2"]
_DIAGRAM_FILE = re.compile(r"seed(-?\d+)/epoch(\d+)\.npz$")


@dataclass
class RunData:
    """A run folder's content, as the report uses it.

    Attributes
    ----------
    diagrams : ``(model, seed, epoch)`` -> ``{"<layer>__<split>__<label>__h<dim>": ndarray (k, 2)}``
    models : model names in the config's order
    layers : model -> its layer names by depth
    epochs : snapshot epochs
    architectures : model -> [(layer, width), ...] from the input to the logits
    activations : model -> activation name
    missing : what could not be read (one sentence each)
    """

    root: Path
    config: dict[str, Any]
    manifest: dict[str, Any]
    history: pd.DataFrame
    summaries: pd.DataFrame
    distances: pd.DataFrame
    projections: pd.DataFrame
    diagrams: dict[tuple[str, int, int], dict[str, np.ndarray]]
    probes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBE_COLUMNS))
    models: list[str] = field(default_factory=list)
    layers: dict[str, list[str]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    architectures: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    activations: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder for its report.

    Raises
    ------
    FileNotFoundError
        If ``config.yaml``, ``history.parquet`` or ``summaries.parquet`` is missing.
    """
    store = RunStore(run_dir)
    for name in REQUIRED:
        if not store.path(name).exists():
            raise FileNotFoundError(
                f"{store.path(name)} is missing: {run_dir} is not a finished run folder "
                "(run `layertopo run --resume` on it first)"
            )
    missing: list[str] = []
    run = RunData(
        root=store.root,
        config=yaml.safe_load(store.path("config.yaml").read_text()) or {},
        manifest=store.read_manifest(),
        history=read_parquet(store.path("history.parquet")),
        summaries=read_parquet(store.path("summaries.parquet")),
        distances=_optional_table(store.path("distances.parquet"), DISTANCE_COLUMNS, missing),
        projections=_optional_table(store.path("projections.parquet"), PROJECTION_COLUMNS, missing),
        diagrams=_diagrams(store.path("diagrams"), missing),
        probes=_optional_table(store.path("probes.parquet"), PROBE_COLUMNS, missing),
        missing=missing,
    )
    _describe(run)
    return run


def _describe(run: RunData) -> None:
    """Fill in models, layers, epochs and architectures from the config and the tables."""
    run.architectures, run.activations = architectures(run.config, n_classes=_n_classes(run))
    run.models = ordered_models(run.history, run.summaries, preferred=list(run.architectures))
    for model in run.models:
        names = [name for name, _ in run.architectures.get(model, [])]
        found = layer_order(run.summaries, model) or layer_order(run.projections, model)
        run.layers[model] = found or names
    run.epochs = epoch_order(run.summaries, run.distances, run.projections) or sorted(
        run.config.get("capture", {}).get("epochs", [])
    )


def architectures(config: dict[str, Any], *, n_classes: int = 2) -> tuple[dict[str, list[tuple[str, int]]], dict]:
    """Each model's layers and widths, ``[("input", d), ("hidden1", w1), ..., ("logits", n_classes)]``, and
    its activation, from the resolved config."""
    from layertopo.config import resolve_width

    dim = int(config.get("data", {}).get("dim", 0))
    layers, activations = {}, {}
    for name, spec in (config.get("models") or {}).items():
        widths = [resolve_width(w, dim) for w in spec.get("widths", [])]
        hidden = [(f"hidden{i}", w) for i, w in enumerate(widths, start=1)]
        layers[str(name)] = [("input", dim), *hidden, ("logits", n_classes)]
        activations[str(name)] = str(spec.get("activation", "?"))
    return layers, activations


def _n_classes(run: RunData) -> int:
    betti = (run.manifest.get("dataset") or {}).get("betti") or {}
    if betti:
        return len(betti)
    labels = {lab for lab in run.summaries.get("label", pd.Series(dtype=str)).unique() if lab != "all"}
    return len(labels) or 2


def _optional_table(path: Path, columns: list[str], missing: list[str]) -> pd.DataFrame:
    """The table at ``path``, or an empty one with ``columns`` (and a note) when it is absent or unreadable."""
    if not path.exists():
        missing.append(f"{path.name} is missing")
        return pd.DataFrame(columns=columns)
    try:
        return read_parquet(path)
    except (OSError, ValueError) as exc:
        missing.append(f"{path.name} cannot be read ({exc})")
        return pd.DataFrame(columns=columns)


def _diagrams(folder: Path, missing: list[str]) -> dict[tuple[str, int, int], dict[str, np.ndarray]]:
    """Every ``diagrams/<model>/seed<S>/epoch<E>.npz`` keyed ``(model, seed, epoch)``."""
    found: dict[tuple[str, int, int], dict[str, np.ndarray]] = {}
    if not folder.is_dir():
        missing.append("the diagrams/ folder is missing")
        return found
    for path in sorted(folder.glob("*/seed*/epoch*.npz")):
        match = _DIAGRAM_FILE.search(path.as_posix())
        if match is None:
            continue
        try:
            found[(path.parent.parent.name, int(match[1]), int(match[2]))] = read_npz(path)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            missing.append(f"{path.relative_to(folder.parent)} cannot be read ({exc})")
    return found
