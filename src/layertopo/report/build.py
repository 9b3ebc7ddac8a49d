"""Build ``report.html`` and ``figures/`` from a run folder's stored tables and diagrams.

The report is one self-contained HTML file: plotly's JavaScript is embedded once, each figure is a JSON
blob drawn by ``Plotly.newPlot``, the drill-down's data is one more JSON blob; nothing is fetched from the
network (no ``src``/``href`` points outside the file). ``figures/`` holds a PNG and an SVG twin of every
figure (matplotlib). A figure whose data are missing shows a gap; a figure that fails to build is replaced
by a note and a warning, so the rest of the report is still written.
"""

from __future__ import annotations

import io
import json
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader
from matplotlib.figure import Figure

from layertopo.analysis import topology_findings, training_verdicts
from layertopo.report.run_data import RunData, load_run
from layertopo.store import RunStore, atomic_write_bytes, atomic_write_text

#: Section ids of the report, in order, with their headings.
SECTIONS = (
    ("setup", "1. Setup"),
    ("training", "2. Training and verdict"),
    ("topology", "3. Topology across layers and epochs"),
    ("transformation", "4. How each layer transforms the topology"),
    ("train-test", "5. Train vs test"),
    ("drilldown", "6. Drill-down: one cloud at a time"),
    ("findings", "7. Findings"),
)
FIGURE_DPI = 100
#: Kinds of finding repeated in the "at a glance" box at the top.
GLANCE = ("comparison", "separation", "no_separation", "dimension")


def build_report(run_dir: str | Path) -> Path:
    """Write ``figures/*.png|svg`` and ``report.html`` for the run in ``run_dir``; return the report path.

    Raises
    ------
    FileNotFoundError
        If the folder lacks the tables a report needs (``config.yaml``, ``history.parquet``,
        ``summaries.parquet``).
    """
    started = time.perf_counter()
    run = load_run(run_dir)
    store = RunStore(run.root)
    for name, fig in static_figures(run).items():
        _save_static(store, name, fig)
    context = report_context(run)
    context["build_seconds"] = time.perf_counter() - started
    env = Environment(loader=PackageLoader("layertopo", "report/templates"), autoescape=True)
    env.filters["num"] = number
    html = env.get_template("report.html.j2").render(**context)
    path = store.path("report.html")
    atomic_write_text(path, html)
    return path


def report_context(run: RunData) -> dict[str, Any]:
    """Everything the template shows: texts, tables, figure JSON, drill-down data, plotly's JavaScript."""
    from plotly.offline import get_plotlyjs

    from layertopo.plots.interactive import PLOTLY_CONFIG

    runs = run.manifest.get("runs", {})
    verdicts = training_verdicts(run.history, status={k: v.get("status", "") for k, v in runs.items()})
    findings = topology_findings(run.summaries, distances=run.distances, models=run.models)
    return {
        "name": run.config.get("name", run.root.name),
        "sections": SECTIONS,
        "config": run.config,
        "config_yaml": yaml.safe_dump(run.config, sort_keys=False),
        "manifest": run.manifest,
        "status": run_status(run.manifest),
        "dataset": run.manifest.get("dataset", {}),
        "truth": true_topology(run.manifest.get("dataset", {}), int(run.config.get("topology", {}).get("maxdim", 1))),
        "models": run.models,
        "architectures": run.architectures,
        "activations": run.activations,
        "runs": runs,
        "missing": run.missing,
        "verdicts": [v.as_dict() for v in verdicts],
        "final_accuracy": final_accuracy(run.history),
        "findings": [f.as_dict() for f in findings],
        "glance": [f.as_dict() for f in findings if f.kind in GLANCE],
        "figures": {name: _figure_json(fig) for name, fig in interactive_figures(run).items()},
        "drilldown": _json(_guarded("drilldown data", lambda: _drilldown_data(run), lambda error: {"error": error})),
        "plotly_config": PLOTLY_CONFIG,
        "plotly_js": get_plotlyjs(),
    }


def interactive_figures(run: RunData) -> dict[str, Any]:
    """The report's plotly figures by name (a figure that fails becomes a note)."""
    from layertopo.plots import interactive as ia

    snapshots = run.config.get("capture", {}).get("epochs", [])
    layout = (run.summaries, run.models, run.layers, run.epochs)
    distance_layout = (run.distances, run.models, run.layers, run.epochs)
    builders: dict[str, Callable[[], Any]] = {
        "architecture": lambda: ia.architecture_figure(run.architectures, run.activations),
        "training": lambda: ia.training_figure(run.history, run.models, snapshots),
        "topology_heatmaps": lambda: ia.topology_heatmap_figure(*layout),
        "depth_profiles": lambda: ia.depth_profile_figure(*layout),
        "transformation": lambda: ia.transformation_figure(*distance_layout),
        "train_test": lambda: ia.train_test_figure(*distance_layout),
        "drilldown": ia.drilldown_figure,
    }
    return {name: _guarded(name, build, _failed_plotly) for name, build in builders.items()}


def static_figures(run: RunData) -> dict[str, Figure]:
    """The matplotlib twins, by file name (``figures/<name>.png|svg``), in the report's default views."""
    from layertopo import plots

    last_hidden = {m: _last_hidden(run.layers.get(m, [])) for m in run.models}
    layer = next((layer for layer in last_hidden.values() if layer), "")
    seed = _first_seed(run)
    builders: dict[str, Callable[[], Figure]] = {
        "architecture": lambda: plots.architecture_diagram(run.architectures, run.activations),
        "training_curves": lambda: plots.training_curves(
            run.history, models=run.models, snapshots=run.config.get("capture", {}).get("epochs", [])
        ),
        **{
            f"topology_{m}": (
                lambda m=m: plots.topology_heatmaps(run.summaries, m, layers=run.layers[m], epochs=run.epochs)
            )
            for m in run.models
        },
        "depth_profiles": lambda: plots.depth_profiles(run.summaries, run.models, run.layers, run.epochs),
        "transformation": lambda: plots.transformation_lines(run.distances, run.models, run.layers, run.epochs),
        "train_test": lambda: plots.train_test_heatmaps(run.distances, run.models, run.layers, run.epochs),
        "projections": lambda: plots.projection_grid(
            run.projections, run.models, layer=layer, seed=seed, epochs=run.epochs
        ),
        "diagrams": lambda: plots.diagram_grid(run.diagrams, run.models, layer=layer, seed=seed, epochs=run.epochs),
    }
    return {name: _guarded(name, build, _failed_matplotlib) for name, build in builders.items()}


def true_topology(dataset: dict[str, Any], maxdim: int) -> list[str]:
    """Sentences giving each class's true Betti numbers and what the computed ones should read."""
    lines = []
    for label, betti in (dataset.get("betti") or {}).items():
        nonzero = ", ".join(f"b{k} = {b}" for k, b in enumerate(betti) if b) or "all zero"
        expected = ", ".join(f"b{k} = {betti[k] if k < len(betti) else 0}" for k in range(maxdim + 1))
        lines.append(f"class {label}: {nonzero}; up to H{maxdim} the computed homology should read {expected}")
    return lines


def run_status(manifest: dict[str, Any]) -> str:
    """The run's status for the report's header.

    The pipeline marks the manifest ``finished`` before it writes the report. A manifest still ``running``
    that already holds the verdicts (a folder written by an older version, or a report rebuilt while the
    final manifest write was interrupted) is a run whose every computing stage is done.
    """
    status = str(manifest.get("status") or "unknown")
    if status == "running" and manifest.get("verdicts"):
        return "finished (the report is the run's last stage)"
    return status


def number(value: Any, spec: str = ".3f") -> str:
    """A number as the report writes it (``format(value, spec)``), or "–" when missing, NaN or infinite."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return format(value, spec)
    return "–"


def final_accuracy(history: pd.DataFrame) -> list[dict[str, Any]]:
    """Per model and seed, the last epoch's train and test accuracy and loss (the numbers behind the verdicts)."""
    if history.empty:
        return []
    last = history[history["epoch"] == history.groupby(["model", "seed"])["epoch"].transform("max")]
    table = last.pivot_table(index=["model", "seed", "epoch"], columns="split", values=["accuracy", "loss"])
    table.columns = [f"{split}_{value}" for value, split in table.columns]
    return table.reset_index().to_dict("records")


# --- helpers ------------------------------------------------------------------------------------------


def _drilldown_data(run: RunData) -> dict[str, Any]:
    from layertopo.plots.drilldown import drilldown_data

    data = drilldown_data(run.projections, run.diagrams, run.summaries, models=run.models)
    data["default"] = {m: {"layer": _last_hidden(run.layers.get(m, []))} for m in run.models}
    return data


def _guarded(name: str, build: Callable[[], Any], fallback: Callable[[str], Any]) -> Any:
    """``build()``, or ``fallback(message)`` with a warning when it raises: one figure never sinks the report."""
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - any failure of one figure is reported, not raised
        message = f"figure '{name}' could not be built: {type(exc).__name__}: {exc}"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return fallback(message)


def _failed_plotly(message: str) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    return fig.update_layout(template="plotly_white", height=200)


def _failed_matplotlib(message: str) -> Figure:
    fig = Figure(figsize=(8, 1.5))
    fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return fig


def _figure_json(fig: Any) -> str:
    return _escape(fig.to_json(validate=False))


def _json(obj: Any) -> str:
    return _escape(json.dumps(obj, separators=(",", ":"), allow_nan=False))


def _escape(text: str) -> str:
    """Make JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _save_static(store: RunStore, name: str, fig: Figure) -> None:
    """Write ``figures/<name>.png`` and ``.svg``."""
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=FIGURE_DPI)
        fig.set_layout_engine("none")  # keep the first save's layout: the second save skips the layout pass
        atomic_write_bytes(store.path("figures", f"{name}.{fmt}"), buffer.getvalue())


def _last_hidden(layers: list[str]) -> str:
    hidden = [layer for layer in layers if layer.startswith("hidden")]
    return hidden[-1] if hidden else (layers[-1] if layers else "")


def _first_seed(run: RunData) -> int:
    seeds = run.config.get("training", {}).get("seeds") or sorted(run.summaries["seed"].unique())
    return int(seeds[0]) if len(seeds) else 0
