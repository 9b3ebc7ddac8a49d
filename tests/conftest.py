from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("OMP_NUM_THREADS", "1")

# The suite draws the same examples on every run, so a CI run passes or fails on the code alone; new
# examples are searched with `pytest --hypothesis-profile=explore` and the failures found are kept as
# @example cases.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("fixed")

ROOT = Path(__file__).resolve().parents[1]
#: the smallest run that makes every kind of write (two models, two seeds, three snapshots, seconds to run)
TINY = ROOT / "tests" / "reliability" / "tiny.yaml"


@pytest.fixture(scope="session")
def quick_config():
    from layertopo.config import load_config

    return load_config(ROOT / "configs" / "quick.yaml")


@pytest.fixture(scope="session")
def tiny_config():
    from layertopo.config import load_config

    return load_config(TINY)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, quick_config):
    """One finished quick.yaml run shared by the tests that only read it.

    Under pytest-xdist (``make test`` runs two workers) the first worker that needs it builds it in the
    session's shared temporary folder while holding a file lock; the other worker waits and reads it.
    """
    return _shared_run(tmp_path_factory, "quick", quick_config, build_report=True)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_config):
    """One finished tiny.yaml run, computed in this process (``n_jobs: null``), without a report: the reference
    of the kill-and-resume and the worker-count tests, and the starting point of the tests that damage a run
    (they copy it). Built once per session, like ``quick_run``."""
    config = tiny_config.model_copy(update={"execution": tiny_config.execution.model_copy(update={"n_jobs": None})})
    return _shared_run(tmp_path_factory, "tiny", config, build_report=False)


def _shared_run(tmp_path_factory, name: str, config, *, build_report: bool):
    import json

    import pandas as pd
    from filelock import FileLock

    from layertopo.pipeline import RunResult, run_experiment

    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return run_experiment(config, tmp_path_factory.mktemp(name) / "run", build_report=build_report)
    shared = tmp_path_factory.getbasetemp().parent / f"{name}-shared"
    with FileLock(f"{shared}.lock"):
        run = shared / "run"
        if (shared / "done").exists():
            return RunResult(
                run,
                pd.read_parquet(run / "history.parquet"),
                pd.read_parquet(run / "summaries.parquet"),
                json.loads((run / "manifest.json").read_text()),
            )
        result = run_experiment(config, run, build_report=build_report)
        (shared / "done").touch()
        return result
