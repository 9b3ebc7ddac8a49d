"""The ``layertopo`` command: thin wrappers that parse, call the library, and print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Topology of neural network activations.")
console = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config (see configs/).")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Run folder (default runs/<name>).")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override, e.g. --set training.epochs=20.")]


@app.command()
def run(
    config: ConfigOption = None,
    out: OutOption = None,
    set_: SetOption = None,
    resume: Annotated[Path | None, typer.Option("--resume", help="Continue the run in this folder.")] = None,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="Where topology and distance jobs run: local or dask (execution.executor)."),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option("--dask-address", help="Dask scheduler, e.g. tcp://host:8786 (implies --executor dask)."),
    ] = None,
) -> None:
    """Run an experiment: train, capture, compute topology, write tables and the report."""
    from layertopo.config import describe_errors, load_config

    if resume is not None and config is None and (resume / "config.yaml").exists():
        config = resume / "config.yaml"
    try:
        cfg = load_config(config, [*(set_ or []), *_executor_overrides(executor, dask_address)])
    except (ValidationError, ValueError, FileNotFoundError) as exc:
        console.print(f"[red]Invalid configuration:[/red]\n{describe_errors(exc)}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    # imported once the configuration is known to be valid: torch alone takes seconds to import
    from layertopo.pipeline import run_experiment
    from layertopo.processes import WorkerDied
    from layertopo.store import StoreError

    out_dir = resume or out or Path("runs") / cfg.name
    console.print(f"layertopo: running [bold]{cfg.name}[/bold] into {out_dir}")
    try:
        with _progress() as bars:
            tasks: dict[str, int] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bars.add_task(stage, total=total)
                bars.update(tasks[stage], completed=done, total=total)

            result = run_experiment(cfg, out_dir, resume=resume is not None or out is None, progress=report)
    except (StoreError, FileExistsError, ValueError, ConnectionError, WorkerDied) as exc:
        console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _mark_interrupted(out_dir)
        console.print(
            f"[yellow]Interrupted.[/yellow] Finished work is kept; continue with: layertopo run --resume {out_dir}"
        )
        raise typer.Exit(130) from None
    _print_verdicts(result.manifest)
    console.print(f"Report: {result.run_dir / 'report.html'}  ({result.manifest['timings']['total']:.0f} s)")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    n_jobs: Annotated[int, typer.Option("--n-jobs", "-j", min=1, help="Processes that draw the figures.")] = 2,
    svg: Annotated[bool, typer.Option("--svg", help="Also write each figure as SVG (vector) in figures/.")] = False,
) -> None:
    """Rebuild report.html and figures/ from a run folder's stored tables."""
    from layertopo.processes import WorkerDied
    from layertopo.report import build_report
    from layertopo.store import StoreError

    try:
        path = build_report(run_dir, n_jobs=n_jobs, svg=svg)
    except (FileNotFoundError, StoreError, WorkerDied) as exc:
        console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"Report: {path}")


@app.command()
def naitzat(
    config: Annotated[Path, typer.Option("--config", "-c", help="Study config.")] = Path("configs/naitzat.yaml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Study folder; an existing one is resumed.")] = Path(
        "runs/naitzat"
    ),
    set_: SetOption = None,
) -> None:
    """Reproduce Naitzat et al. (2020): k-NN Betti numbers per class at every layer of deep narrow networks."""
    from layertopo.store import StoreError
    from layertopo.studies.naitzat import load_naitzat_config, results_path, run_naitzat

    try:
        study = load_naitzat_config(config, set_)
        run_naitzat(study, out, progress=console.print)
    except (StoreError, FileNotFoundError, ValueError) as exc:
        console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted.[/yellow] Finished units are kept; run the same command to continue.")
        raise typer.Exit(130) from None
    Console().print(results_path(out).read_text())
    console.print(f"Results: {results_path(out)}")


def _executor_overrides(executor: str | None, dask_address: str | None) -> list[str]:
    """``--set`` overrides for ``--executor`` and ``--dask-address`` (an address alone implies dask).

    Values are validated with the rest of the configuration.
    """
    import json

    overrides = []
    if dask_address is not None:
        executor = executor or "dask"
        overrides.append(f"execution.dask_address={json.dumps(dask_address)}")
    if executor is not None:
        overrides.append(f"execution.executor={json.dumps(executor)}")
    return overrides


def _mark_interrupted(out_dir: Path) -> None:
    from layertopo.store import RunStore

    store = RunStore(out_dir)
    if store.manifest_path.exists():
        store.update_manifest(status="interrupted")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _print_verdicts(manifest: dict) -> None:
    bayes = (manifest.get("data") or {}).get("bayes_accuracy")
    title = "Verdict" + (f" (Bayes accuracy {bayes:.3f})" if bayes is not None else "")
    table = Table(title=title)
    for column in ("model", "test accuracy", "train accuracy", "ceiling", "learned", "overfits"):
        table.add_column(column)
    for v in manifest.get("verdicts", []):
        ceiling = v.get("ceiling", float("nan"))
        table.add_row(
            v["model"],
            f"{v['test_accuracy']:.3f} ± {v['test_accuracy_std']:.3f}",
            f"{v['train_accuracy']:.3f}",
            f"{ceiling:.3f}" if ceiling == ceiling else "-",
            "yes" if v["learned"] else ("stuck" if v.get("stuck") else "partly"),
            "yes" if v["overfits"] else "no",
        )
    Console().print(table)


if __name__ == "__main__":
    app()
