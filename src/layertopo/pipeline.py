"""``run_experiment``: config -> data -> training (snapshots) -> topology -> distances -> views -> report.

Each stage is a list of units (``layertopo.stages``) run by one runner (``layertopo.stages.units``): a
finished unit is marked in the manifest and, with ``resume=True``, loaded rather than computed again. Every
result goes through ``RunStore`` (atomic writes). Where the work runs is ``config.execution``: one local pool
of worker processes for the whole run (started once), or a Dask cluster for the topology and distance jobs.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from layertopo.analysis import run_verdicts
from layertopo.config import ExperimentConfig, config_to_yaml
from layertopo.data import make_dataset
from layertopo.parallel import Executor, get_executor
from layertopo.provenance import git_revision, package_versions
from layertopo.stages.distances import distances_all
from layertopo.stages.resources import best_accuracies, check_resources, estimate_run_bytes
from layertopo.stages.topology import topology_all
from layertopo.stages.training import train_all
from layertopo.stages.units import Progress
from layertopo.stages.views import probes_all, projections_all
from layertopo.store import LOCK_NAME, TEMP_PREFIX, RunStore, atomic_write_text


@dataclass
class RunResult:
    run_dir: Path
    history: pd.DataFrame
    summaries: pd.DataFrame
    manifest: dict[str, Any]


def run_experiment(
    config: ExperimentConfig,
    out_dir: str | Path,
    *,
    resume: bool = True,
    progress: Progress | None = None,
    build_report: bool = True,
) -> RunResult:
    """Run the whole experiment of ``config`` into ``out_dir`` and return its tables.

    Parameters
    ----------
    config : ExperimentConfig
        The validated experiment configuration (``load_config``).
    out_dir : str or Path
        The run folder (created; an existing one is resumed when ``resume``).
    resume : bool
        Reuse the finished units recorded in the folder's manifest.
    progress : callable, optional
        Called as ``progress(stage, done, total)``.
    build_report : bool
        Write the figures and ``report.html`` at the end.

    Returns
    -------
    RunResult
    """
    check_resources(config)
    store = RunStore(out_dir)
    store.open()
    try:
        with ExitStack() as stack:
            local, remote = _executors(config, stack)
            return _run_locked(config, store, resume, progress, build_report, local, remote)
    finally:
        store.unlock()


def _executors(config: ExperimentConfig, stack: ExitStack) -> tuple[Executor, Executor]:
    """The run's local executor (training, views, figures, and everything else with the local executor) and
    the one for the topology and distance jobs (the same, or a Dask cluster); both stop when the run ends."""
    execution = config.execution
    local = stack.enter_context(get_executor(execution.n_jobs, time_limit=execution.time_limit))
    if execution.executor == "local":
        return local, local
    remote = get_executor(execution.n_jobs, kind="dask", address=execution.dask_address)
    return local, stack.enter_context(remote)


def _run_locked(
    config: ExperimentConfig,
    store: RunStore,
    resume: bool,
    progress: Progress | None,
    build_report: bool,
    local: Executor,
    remote: Executor,
) -> RunResult:
    store.check_free_space(estimate_run_bytes(config))
    _check_resumable(store, config, resume)
    atomic_write_text(store.path("config.yaml"), config_to_yaml(config))
    started = time.perf_counter()
    store.update_manifest(
        name=config.name,
        status="running",
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=package_versions(),
        git_revision=git_revision(),
        seeds=config.training.seeds,
        data_seed=config.data.seed,
        finished=store.read_manifest().get("finished", []) if resume else [],
    )
    dataset = make_dataset(config.data)
    timings: dict[str, float] = {}

    def timed(stage: str, work: Any) -> Any:
        t0 = time.perf_counter()
        result = work()
        timings[stage] = time.perf_counter() - t0
        return result

    data_record = best_accuracies(config)
    store.update_manifest(data=data_record)
    history = timed("training", lambda: train_all(config, dataset, store, local, progress=progress))
    summaries = timed("topology", lambda: topology_all(config, dataset, store, remote, progress=progress))
    timed("distances", lambda: distances_all(config, dataset, store, summaries, remote, progress=progress))
    timed("projections", lambda: projections_all(config, dataset, store, local))
    timed("probes", lambda: probes_all(config, dataset, store, local))
    verdicts = run_verdicts(history, store.read_manifest())
    store.update_manifest(
        verdicts=[v.as_dict() for v in verdicts],
        dataset={"kind": dataset.name, "description": dataset.description, "betti": dataset.betti},
        data=data_record,
    )
    timings["total"] = time.perf_counter() - started
    manifest = store.update_manifest(
        status="finished", timings=timings, finished_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    if build_report:
        from layertopo.report import build_report as write_report

        timed("report", lambda: write_report(store.root, executor=local))
        timings["total"] = time.perf_counter() - started
        manifest = store.update_manifest(timings=timings)
    return RunResult(store.root, history, summaries, manifest)


# --- resuming ------------------------------------------------------------------------------------


def _check_resumable(store: RunStore, config: ExperimentConfig, resume: bool) -> None:
    """Refuse to write into a folder that holds another run, or files whose run cannot be told."""
    existing = store.path("config.yaml")
    if not existing.exists():
        leftovers = sorted(
            p.name for p in store.root.iterdir() if p.name != LOCK_NAME and not p.name.startswith(TEMP_PREFIX)
        )
        if leftovers:
            raise ValueError(
                f"{store.root} holds files ({', '.join(leftovers[:6])}) but no config.yaml, so which experiment "
                "they belong to is unknown and a run here could mix two experiments. Put that run's config.yaml "
                f"back (then: layertopo run --resume {store.root}), or choose an empty --out folder"
            )
        return
    if not resume:
        raise FileExistsError(
            f"{store.root} already holds a run; pass --resume to continue it or choose another --out folder"
        )
    if existing.read_text() == config_to_yaml(config):
        return
    import yaml

    try:
        stored = yaml.safe_load(existing.read_text()) or {}
    except yaml.YAMLError:
        stored = {}
    changed = _differing_keys(stored, config.model_dump(mode="json"))
    results = [key for key in changed if key not in EXECUTION_KEYS]
    if results:
        shown = ", ".join(results[:8]) + (f" and {len(results) - 8} more" if len(results) > 8 else "")
        raise ValueError(
            f"{existing} holds a different configuration than the one given ({shown} differ); resuming would "
            f"mix results. Use the stored config (layertopo run --resume {store.root}) or another --out folder"
        )


#: settings that say where work runs, not what it computes: a resume may change them (results are identical
#: with any number of workers and executors, tests/pipeline and tests/parallel). A time limit
#: can change results (a cloud past it is recorded as timed out), so it is not one of them.
EXECUTION_KEYS = frozenset({"execution.n_jobs", "execution.executor", "execution.dask_address"})


def _differing_keys(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        return [k for key in keys for k in _differing_keys(a.get(key), b.get(key), f"{prefix}{key}.")]
    return [] if a == b else [prefix.rstrip(".")]
