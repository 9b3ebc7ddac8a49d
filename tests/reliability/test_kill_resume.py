"""Kill a quick.yaml run with SIGKILL at chosen points; resuming must lose nothing (issue 5)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from layertopo.store import TEMP_PREFIX, read_npz

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["history.parquet", "summaries.parquet", "distances.parquet", "projections.parquet"]

# (path part, n-th matching write): the run kills itself halfway through that write.
KILL_POINTS = {
    "training (a checkpoint write)": "checkpoints/bad:2",
    "capture (an activations write), in a training worker": "activations/good/seed1:3",
    "a diagram write": "diagrams/:5",
    "the distances table": "distances.parquet:1",
    "the report write": "report.html:1",
}
#: Kill points reached in a training worker process (training.n_jobs=2): the worker dies, the run
#: reports it (exit code 1, naming the unit and --resume) and a resume finishes it.
IN_WORKER = {"activations/good/seed1:3"}


def _run(out: Path, kill_at: str | None = None, *overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LAYERTOPO_KILL_AT"}
    if kill_at:
        env["LAYERTOPO_KILL_AT"] = kill_at
    command = [
        sys.executable,
        "-m",
        "layertopo.cli",
        "run",
        "--config",
        str(ROOT / "configs" / "quick.yaml"),
        "--resume",
        str(out),
        *[arg for item in overrides for arg in ("--set", item)],
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("where", list(KILL_POINTS), ids=list(KILL_POINTS.values()))
def test_sigkill_then_resume_gives_identical_tables(where, quick_run, tmp_path):
    out = tmp_path / "run"
    point = KILL_POINTS[where]
    overrides = ("training.n_jobs=2",) if point in IN_WORKER else ()
    killed = _run(out, point, *overrides)
    if point in IN_WORKER:
        assert killed.returncode == 1, killed.stderr[-2000:]
        assert "training worker process died" in killed.stderr and "--resume" in killed.stderr
        assert "good/1" in killed.stderr  # the unit whose worker was killed is named
    else:
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert list(out.rglob(f"{TEMP_PREFIX}*")), "the kill should have left a partial temp file"
    resumed = _run(out, None, *overrides)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for table in TABLES:
        assert (out / table).read_bytes() == (quick_run.run_dir / table).read_bytes(), table
    assert not list(out.rglob(f"{TEMP_PREFIX}*")), "temp files left behind"
    for path in out.rglob("*.npz"):
        read_npz(path)
    for path in out.rglob("*.parquet"):
        pd.read_parquet(path)
    assert "Findings" in (out / "report.html").read_text()


def test_sweep_removes_orphans_and_keeps_files(tmp_path):
    from layertopo.store import RunStore, write_npz

    store = RunStore(tmp_path)
    write_npz(tmp_path / "a.npz", x=np.arange(3))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{TEMP_PREFIX}abc").write_bytes(b"partial")
    store.open()
    assert not (tmp_path / "sub" / f"{TEMP_PREFIX}abc").exists()
    np.testing.assert_array_equal(read_npz(tmp_path / "a.npz")["x"], [0, 1, 2])
