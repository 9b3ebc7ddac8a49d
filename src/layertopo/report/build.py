"""Build ``report.html`` and ``figures/`` from a run folder's stored tables and diagrams.

The report is one self-contained HTML file: plotly's JavaScript is embedded once, each figure is a JSON
blob drawn by ``Plotly.newPlot``, the drill-down's data is one more JSON blob; nothing is fetched from the
network (no ``src``/``href`` points outside the file). ``figures/`` holds a PNG twin of every figure
(matplotlib; and an SVG one with ``svg=True``). A figure whose data are missing shows a gap; a figure that
fails to build is replaced by a note and a warning, so the rest of the report is still written. Figures are
drawn again only when something they are drawn from changed (``layertopo.report.cache``).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader
from matplotlib.figure import Figure

from layertopo.analysis import run_verdicts, topology_findings
from layertopo.parallel import Done, Executor, InProcess, Outcome, get_executor
from layertopo.processes import WorkerDied
from layertopo.report.cache import (
    cached_interactive,
    figure_inputs_key,
    remember_interactive,
    remember_static_figures,
    static_figures_current,
)
from layertopo.report.run_data import RunData, load_run
from layertopo.report.texts import final_accuracy, number, run_status, true_topology
from layertopo.store import RunStore, atomic_write_bytes, atomic_write_text

#: Section ids of the report, in order, with their headings.
SECTIONS = (
    ("setup", "1. Setup"),
    ("training", "2. Training and verdict"),
    ("topology", "3. Topology across layers and epochs"),
    ("evolution", "4. How the shape evolves"),
    ("transformation", "5. How each layer transforms the topology"),
    ("train-test", "6. Train vs test"),
    ("drilldown", "7. Drill-down: one cloud at a time"),
    ("findings", "8. Findings"),
)
FIGURE_DPI = 100
#: the run a figure worker process has read last, by (folder, figure inputs key): a worker kept across builds
#: reads the tables again when they changed (``save_static_figures``)
_WORKER_RUNS: dict[tuple[str, str], RunData] = {}
#: Kinds of finding repeated in the "at a glance" box at the top.
GLANCE = ("comparison", "separation", "no_separation", "onset", "probe")


def build_report(
    run_dir: str | Path, *, n_jobs: int | None = None, executor: Executor | None = None, svg: bool = False
) -> Path:
    """Write ``figures/*.png`` (and ``.svg``) and ``report.html`` for the run in ``run_dir``; return its path.

    Parameters
    ----------
    run_dir : a run folder
    n_jobs : processes that draw the static figures (None or 1: all in this process); with
        more, this process builds the interactive figures and findings meanwhile
    executor : draw on this executor instead (``layertopo.parallel``; the run passes its own)
    svg : also write each static figure as SVG (vector, for papers; it adds about 60 % to the drawing time,
        so the report, which embeds the PNGs, leaves it out unless asked)

    Raises
    ------
    FileNotFoundError
        If the folder lacks the tables a report needs (``config.yaml``, ``history.parquet``,
        ``summaries.parquet``).
    """
    started = time.perf_counter()
    run = load_run(run_dir)
    names = list(static_figure_builders(run))
    key = figure_inputs_key(run)
    formats = ("png", "svg") if svg else ("png",)
    if static_figures_current(run, key, names, formats):  # nothing they are drawn from changed (report.cache)
        context = report_context(run, key=key)
    elif executor is None:
        with get_executor(n_jobs) as executor:
            context = _draw_and_read(run, key, names, executor, formats)
    else:
        context = _draw_and_read(run, key, names, executor, formats)
    context["evolution_figures"] = {name: _png_data_uri(run.root, name) for name in evolution_figure_names(run)}
    context["build_seconds"] = time.perf_counter() - started
    env = Environment(loader=PackageLoader("layertopo", "report/templates"), autoescape=True)
    env.filters["num"] = number
    html = env.get_template("report.html.j2").render(**context)
    path = RunStore(run.root).path("report.html")
    atomic_write_text(path, html)
    return path


def _draw_and_read(
    run: RunData, key: str, names: list[str], executor: Executor, formats: tuple[str, ...]
) -> dict[str, Any]:
    """Draw the static figures on ``executor`` (one item per figure: the workers balance themselves) while this
    process builds the report's context; the workers' figure warnings are raised here, where the caller sees
    them. In this process the figures are drawn from the tables already read."""
    if isinstance(executor, InProcess):
        save_static_figures(run, names, formats)
        context = report_context(run, key=key)
    else:
        items = [(str(run.root), [name], formats, key) for name in names]
        outcomes = executor.as_completed(save_static_figures, items)
        context = report_context(run, key=key)
        failures = [message for index, outcome in outcomes for message in _drawn(names[index], outcome, run)]
        for message in failures:
            warnings.warn(message, RuntimeWarning, stacklevel=3)
    remember_static_figures(run, key)
    return context


def _drawn(name: str, outcome: Outcome, run: RunData) -> list[str]:
    """The warnings of one figure worker's task; a worker that died becomes a ``WorkerDied`` that says what to run."""
    if isinstance(outcome, Done):
        return outcome.value
    raise WorkerDied(
        f"a figure worker process died ({outcome}: killed, or out of memory) while drawing "
        f"{name}; the run's tables are complete and kept. Write the report again with: layertopo report "
        f"{run.root} (or: layertopo run --resume {run.root})"
    )


def save_static_figures(
    run: RunData | str, names: list[str], formats: tuple[str, ...] = ("png",), key: str = ""
) -> list[str]:
    """Draw the static figures ``names`` and write each as ``figures/<name>.<format>`` for each of ``formats``.

    Parameters
    ----------
    run : the run, or its folder (a worker process reads it once per ``key`` and keeps it for its next figures)
    names : keys of ``static_figure_builders``
    formats : file formats, e.g. ``("png", "svg")``
    key : the figure inputs key (``layertopo.report.cache.figure_inputs_key``) the tables were read under

    Returns
    -------
    list of str: the warnings of figures that could not be built (each is written as a note instead)
    """
    if isinstance(run, str) and multiprocessing.parent_process() is not None:  # a worker of build_report
        if (run, key) not in _WORKER_RUNS:  # the tables changed (another key), or a first figure: read them
            _WORKER_RUNS.clear()
            _WORKER_RUNS[run, key] = load_run(run)
        run = _WORKER_RUNS[run, key]
    elif isinstance(run, str):
        run = load_run(run)
    store = RunStore(run.root)
    builders = static_figure_builders(run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in names:
            _save_static(store, name, _guarded(name, builders[name], _failed_matplotlib), formats)
    messages = [str(w.message) for w in caught if "could not be built" in str(w.message)]
    for w in caught:  # anything else is passed on unchanged
        if "could not be built" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return messages


def report_context(run: RunData, *, key: str | None = None) -> dict[str, Any]:
    """Everything the template shows: texts, tables, figure JSON, drill-down data, plotly's JavaScript.

    With ``key`` (``figure_inputs_key(run)``) the plotly figures built for that key before are reused, and
    the ones built now are kept for the next build.
    """
    from plotly.offline import get_plotlyjs

    from layertopo.plots.interactive import PLOTLY_CONFIG

    runs = run.manifest.get("runs", {})
    verdicts = run_verdicts(run.history, run.manifest)
    bayes = (run.manifest.get("data") or {}).get("bayes_accuracy")
    findings = topology_findings(
        run.summaries,
        distances=run.distances,
        models=run.models,
        history=run.history,
        probes=run.probes,
        bayes=float(bayes) if isinstance(bayes, int | float) else None,
    )
    data = run.manifest.get("data") or {}
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
        "data": data,
        "final_accuracy": final_accuracy(run.history),
        "findings": [f.as_dict() for f in findings],
        "glance": [f.as_dict() for f in findings if f.kind in GLANCE],
        "figures": _interactive_json(run, key),
        "drilldown": _json(_guarded("drilldown data", lambda: _drilldown_data(run), lambda error: {"error": error})),
        "plotly_config": PLOTLY_CONFIG,
        "plotly_js": get_plotlyjs(),
    }


def _interactive_json(run: RunData, key: str | None) -> dict[str, str]:
    """The plotly figures as JSON by name: reused when built for ``key`` before, else built (and kept)."""
    cached = cached_interactive(run, key) if key else None
    if cached is not None:
        return cached
    figures = {name: _figure_json(fig) for name, fig in interactive_figures(run).items()}
    if key:
        remember_interactive(run, key, figures)
    return figures


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


def static_figure_builders(run: RunData) -> dict[str, Callable[[], Figure]]:
    """How to draw each matplotlib twin, by file name (``figures/<name>.png|svg``), in the report's default views."""
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
        **evolution_figures(run, layer, seed),
    }
    return builders


def static_figures(run: RunData) -> dict[str, Figure]:
    """The matplotlib twins, drawn, by file name (a figure that fails becomes a note)."""
    return {name: _guarded(name, build, _failed_matplotlib) for name, build in static_figure_builders(run).items()}


def evolution_figures(run: RunData, layer: str, seed: int) -> dict[str, Callable[[], Figure]]:
    """The static figures of how the shape evolves (``layertopo.plots.evolution``), by file name."""
    from layertopo.plots import evolution as ev

    bayes = (run.manifest.get("data") or {}).get("bayes_accuracy")
    last_hidden = {m: _last_hidden(run.layers.get(m, [])) for m in run.models}
    return {
        "evolution": lambda: ev.evolution_grid(
            run.summaries, run.history, run.models, run.layers, run.epochs, bayes=bayes
        ),
        "betti_curves": lambda: ev.betti_curves(
            run.diagrams, run.summaries, run.models, layer=layer, seed=seed, epochs=run.epochs
        ),
        "significant_diagrams": lambda: ev.significant_diagrams(
            run.diagrams, run.summaries, run.models, layer=layer, seed=seed, epochs=run.epochs
        ),
        "noise_floor": lambda: ev.distance_floors(run.distances, run.models, layer_of=last_hidden, epochs=run.epochs),
        **{
            f"projections_{m}": (
                lambda m=m: ev.layer_projections(run.projections, m, seed=seed, layers=run.layers[m], epochs=run.epochs)
            )
            for m in run.models
        },
    }


def evolution_figure_names(run: RunData) -> list[str]:
    """Names of the evolution figures the report embeds, in order."""
    names = ["evolution", "betti_curves", "significant_diagrams", "noise_floor"]
    return names + [f"projections_{m}" for m in run.models]


def _png_data_uri(root: Path, name: str) -> str:
    """``figures/<name>.png`` as a data URI (empty when it was not written)."""
    import base64

    path = root / "figures" / f"{name}.png"
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() if path.exists() else ""


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


def _save_static(store: RunStore, name: str, fig: Figure, formats: tuple[str, ...]) -> None:
    """Write ``figures/<name>.<format>`` for each of ``formats`` (PNG first: later ones reuse its layout)."""
    for fmt in formats:
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
