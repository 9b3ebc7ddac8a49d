"""Reuse a report's figures when nothing they are drawn from has changed.

Drawing is most of a report's time (on the default run: the matplotlib twins 15-20 s on two processes,
the plotly figures 5 s; the rest 2-3 s). The figures are a function of the run's tables, its diagrams,
part of its manifest and the plotting code, so ``figure_inputs_key`` hashes exactly those (SHA-256 of
the files' bytes, the manifest's ``data``, ``dataset``, ``runs`` and ``seeds``, the source files of
``layertopo.plots`` and ``layertopo.report``, and the matplotlib and plotly versions). ``build_report``
keeps the key beside the figures: a rebuild with the same key (a new template, a report rebuilt after a
finished run's ``--resume``) reuses the PNG/SVG files and the plotly JSON; any change draws them again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from layertopo.report.run_data import RunData
from layertopo.store import atomic_write_text

#: the tables the figures read, relative to the run folder
FIGURE_TABLES = (
    "config.yaml",
    "history.parquet",
    "summaries.parquet",
    "distances.parquet",
    "projections.parquet",
    "probes.parquet",
)
#: manifest entries the figures read (the rest, such as timings, changes with every run)
MANIFEST_KEYS = ("data", "dataset", "runs", "seeds")
STATIC_KEY = "static.sha256"
INTERACTIVE = "interactive.json"


def figure_inputs_key(run: RunData) -> str:
    """SHA-256 (hex) of everything the report's figures are drawn from (see the module docstring)."""
    import matplotlib
    import plotly

    digest = hashlib.sha256()
    files = [run.root / name for name in FIGURE_TABLES] + sorted((run.root / "diagrams").rglob("*.npz"))
    for path in files:
        digest.update(str(path.relative_to(run.root)).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    manifest = {key: run.manifest.get(key) for key in MANIFEST_KEYS}
    digest.update(json.dumps(manifest, sort_keys=True, default=str).encode())
    package = Path(__file__).resolve().parents[1]
    for source in sorted([*(package / "plots").glob("*.py"), *(package / "report").glob("*.py")]):
        digest.update(source.read_bytes())
    digest.update(f"matplotlib {matplotlib.__version__} plotly {plotly.__version__}".encode())
    return digest.hexdigest()


def static_figures_current(run: RunData, key: str, names: list[str], formats: tuple[str, ...] = ("png",)) -> bool:
    """Whether ``figures/`` holds every figure in ``names`` in each of ``formats``, drawn for ``key``."""
    figures = run.root / "figures"
    if _read(figures / STATIC_KEY) != key:
        return False
    return all((figures / f"{name}.{fmt}").is_file() for name in names for fmt in formats)


def remember_static_figures(run: RunData, key: str) -> None:
    """Record that the figures now in ``figures/`` were drawn for ``key`` (written after them)."""
    atomic_write_text(run.root / "figures" / STATIC_KEY, key + "\n")


def cached_interactive(run: RunData, key: str) -> dict[str, str] | None:
    """The plotly figures' JSON by name, when they were built for ``key``; else None."""
    try:
        stored = json.loads(_read(run.root / "figures" / INTERACTIVE) or "{}")
    except json.JSONDecodeError:
        return None
    return stored.get("figures") if stored.get("key") == key else None


def remember_interactive(run: RunData, key: str, figures: dict[str, Any]) -> None:
    """Keep the plotly figures' JSON (``{name: json string}``) for the next build with the same key."""
    atomic_write_text(run.root / "figures" / INTERACTIVE, json.dumps({"key": key, "figures": figures}))


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
