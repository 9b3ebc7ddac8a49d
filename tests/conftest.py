from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

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
    """One finished quick.yaml run shared by the tests that only read it."""
    from layertopo.pipeline import run_experiment

    return run_experiment(quick_config, tmp_path_factory.mktemp("quick") / "run")
