"""Build ``report.html`` (self-contained: figures embedded as data URIs) and ``figures/`` from a run folder."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from layertopo.analysis import topology_findings, training_verdicts
from layertopo.plots import topology_heatmaps, training_curves
from layertopo.store import RunStore, atomic_write_bytes, atomic_write_text


def build_report(run_dir: str | Path) -> Path:
    """Write ``figures/*.png|svg`` and ``report.html`` for the run in ``run_dir``; return the report path.

    Raises
    ------
    FileNotFoundError
        If the folder lacks the tables a report needs (``history.parquet``, ``summaries.parquet``).
    """
    store = RunStore(run_dir)
    for name in ("config.yaml", "history.parquet", "summaries.parquet"):
        if not store.path(name).exists():
            raise FileNotFoundError(
                f"{store.path(name)} is missing: {run_dir} is not a finished run folder "
                "(run `layertopo run --resume` on it first)"
            )
    config = yaml.safe_load(store.path("config.yaml").read_text())
    manifest = store.read_manifest()
    history = pd.read_parquet(store.path("history.parquet"))
    summaries = pd.read_parquet(store.path("summaries.parquet"))
    runs = manifest.get("runs", {})
    verdicts = training_verdicts(history, status={k: v["status"] for k, v in runs.items()})
    figures = {"training_curves": training_curves(history)}
    for model in summaries["model"].unique():
        figures[f"topology_{model}"] = topology_heatmaps(summaries, str(model))
    images = {name: _save_figure(store, name, fig) for name, fig in figures.items()}
    context: dict[str, Any] = {
        "name": config.get("name", store.root.name),
        "config": config,
        "config_yaml": yaml.safe_dump(config, sort_keys=False),
        "manifest": manifest,
        "dataset": manifest.get("dataset", {}),
        "verdicts": [v.as_dict() for v in verdicts],
        "findings": topology_findings(summaries),
        "images": images,
        "models": list(summaries["model"].unique()),
        "widths": _architectures(config),
    }
    env = Environment(loader=PackageLoader("layertopo", "report/templates"), autoescape=select_autoescape())
    html = env.get_template("report.html.j2").render(**context)
    path = store.path("report.html")
    atomic_write_text(path, html)
    return path


def _save_figure(store: RunStore, name: str, fig: Figure) -> str:
    """Write PNG and SVG to figures/ and return the PNG as a data URI."""
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        atomic_write_bytes(store.path("figures", f"{name}.{fmt}"), buffer.getvalue())
        if fmt == "png":
            png = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _architectures(config: dict[str, Any]) -> dict[str, str]:
    from layertopo.config import resolve_width

    dim = config["data"]["dim"]
    return {
        name: "-".join(str(w) for w in [dim, *[resolve_width(w, dim) for w in spec["widths"]], 2])
        + f" ({spec['activation']})"
        for name, spec in config["models"].items()
    }
