"""A run folder is one experiment: no resume without its config, one process at a time (issue 19)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layertopo.cli import app
from layertopo.config import load_config
from layertopo.pipeline import run_experiment
from layertopo.store import LOCK_NAME, TEMP_PREFIX, RunStore, StoreError, write_json

TINY = Path(__file__).with_name("tiny.yaml")


@pytest.fixture
def orphan_run(tmp_path):
    """A folder with a run's files but no config.yaml (deleted, or never copied along)."""
    folder = tmp_path / "run"
    (folder / "history").mkdir(parents=True)
    write_json(folder / "manifest.json", {"status": "finished", "finished": ["train/good/0"]})
    (folder / "history" / "good-seed0.parquet").write_bytes(b"PAR1")
    return folder


def test_files_without_a_config_are_never_resumed_with_another_experiment(orphan_run):
    with pytest.raises(ValueError, match=r"holds files \(history, manifest.json\) but no config.yaml"):
        run_experiment(load_config(TINY), orphan_run)
    assert not (orphan_run / "config.yaml").exists() and not (orphan_run / LOCK_NAME).exists()
    result = CliRunner().invoke(app, ["run", "--resume", str(orphan_run)])  # the default experiment
    message = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1 and "but no config.yaml" in message and "Traceback" not in message
    assert sorted(p.name for p in orphan_run.iterdir()) == ["history", "manifest.json"]


def test_an_empty_folder_left_by_a_very_early_kill_resumes_with_the_given_config(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / f"{TEMP_PREFIX}config.yaml").write_bytes(b"name: half-writ")  # killed writing the config
    config = load_config(TINY, ["models={good: {widths: [8]}}", "training.seeds=[0]", "capture.epochs=[3]"])
    result = run_experiment(config, folder, build_report=False)
    assert result.manifest["status"] == "finished" and (folder / "config.yaml").exists()
    assert not list(folder.rglob(f"{TEMP_PREFIX}*")) and not (folder / LOCK_NAME).exists()


@pytest.fixture
def other_process():
    """A living process that is not this one (its pid holds the lock in the tests)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_second_run_on_a_folder_in_use_is_refused_naming_the_holder(tmp_path, other_process):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / LOCK_NAME).write_text(str(other_process))
    in_progress = folder / f"{TEMP_PREFIX}summaries.parquet"
    in_progress.write_bytes(b"being written by the other run")
    with pytest.raises(StoreError, match=rf"in use by process {other_process} \(run.lock\)"):
        run_experiment(load_config(TINY), folder)
    assert in_progress.exists()  # the other run's file in progress is not swept
    assert (folder / LOCK_NAME).read_text() == str(other_process)
    result = CliRunner().invoke(app, ["run", "--config", str(TINY), "--resume", str(folder)])
    assert result.exit_code == 1 and f"in use by process {other_process}" in " ".join(result.output.split())


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / LOCK_NAME).write_text(finished.stdout.strip())  # a killed run's lock: its pid is gone
    (folder / f"{TEMP_PREFIX}x").write_bytes(b"orphan")
    store = RunStore(folder)
    store.open()
    assert (folder / LOCK_NAME).read_text() == str(os.getpid()) and not (folder / f"{TEMP_PREFIX}x").exists()
    store.unlock()
    assert not (folder / LOCK_NAME).exists()


def test_no_store_path_leaves_the_run_folder(tmp_path):
    store = RunStore(tmp_path / "run")
    assert store.activations_path("good", 0, 5) == tmp_path / "run" / "activations" / "good" / "seed0" / "epoch0005.npz"
    for name in ("../../ESCAPED", "/etc"):
        with pytest.raises(StoreError, match="would leave the run folder"):
            store.activations_path(name, 0, 5)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_damaged_units_are_recomputed_and_damaged_files_are_named(tmp_path, tiny_run, tiny_config):
    from layertopo.store import DamagedFile, read_npz, read_parquet

    one = tiny_config.model_copy(update={"execution": tiny_config.execution.model_copy(update={"n_jobs": None})})
    first = tiny_run
    shutil.copytree(tiny_run.run_dir, tmp_path / "run")
    summaries = (tmp_path / "run" / "summaries.parquet").read_bytes()
    _truncate(tmp_path / "run" / "summaries" / "good" / "seed1" / "epoch0003.parquet")
    _truncate(tmp_path / "run" / "diagrams" / "narrow_first" / "seed0" / "epoch0001.npz")
    _truncate(tmp_path / "run" / "history" / "good-seed0.parquet")
    with pytest.raises(DamagedFile, match=r"epoch0003.parquet cannot be read \(.*\); delete it \(or leave it\)"):
        read_parquet(tmp_path / "run" / "summaries" / "good" / "seed1" / "epoch0003.parquet")
    again = run_experiment(one, tmp_path / "run", build_report=False)
    assert (tmp_path / "run" / "summaries.parquet").read_bytes() == summaries
    assert again.history.equals(first.history)
    activations = tmp_path / "run" / "activations" / "good" / "seed0" / "epoch0001.npz"
    snapshot = activations.read_bytes()
    _truncate(activations)
    with pytest.raises(DamagedFile, match=r"epoch0001.npz cannot be read .*--resume trains that \(model, seed\) again"):
        read_npz(activations)
    with pytest.warns(RuntimeWarning, match=r"epoch0001.npz cannot be read: training good/0 again from the start"):
        retrained = run_experiment(one, tmp_path / "run", build_report=False)
    assert activations.read_bytes() == snapshot  # seeded: the same snapshot came back
    assert retrained.history.equals(first.history)
    assert (tmp_path / "run" / "summaries.parquet").read_bytes() == summaries
    _truncate(tmp_path / "run" / "manifest.json")
    with pytest.raises(DamagedFile, match=r"manifest.json cannot be read .*delete it, and --resume recomputes"):
        run_experiment(one, tmp_path / "run", build_report=False)
    result = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "run")])  # with the folder's own config
    message = " ".join(result.output.split())  # rich may break the long path anywhere
    assert result.exit_code == 1 and "cannot be read" in message and "it records which units are finished" in message


def test_a_resume_names_the_keys_that_differ_and_accepts_other_worker_counts(tmp_path):
    small = load_config(TINY, ["models={good: {widths: [8]}}", "training.seeds=[0]", "capture.epochs=[0, 3]"])
    first = run_experiment(small, tmp_path / "run", build_report=False)
    more_workers = load_config(
        TINY,
        ["models={good: {widths: [8]}}", "training.seeds=[0]", "capture.epochs=[0, 3]", "execution.n_jobs=1"],
    )
    again = run_experiment(more_workers, tmp_path / "run", build_report=False)  # only where work runs changed
    assert again.summaries.equals(first.summaries)
    other = load_config(
        TINY, ["models={good: {widths: [8]}}", "training.seeds=[0]", "capture.epochs=[0, 3]", "training.lr=0.1"]
    )
    with pytest.raises(ValueError, match=r"\(training.lr differ\); resuming would mix results"):
        run_experiment(other, tmp_path / "run", build_report=False)


def test_a_run_that_cannot_fit_in_memory_is_refused_before_any_work(tmp_path):
    from layertopo.stages.resources import ResourceError, check_resources, estimate_peak_bytes

    wide = load_config(TINY, ["models={wide: {widths: [1000000]}}", "data.n_train=2000", "data.n_test=1000"])
    peak = estimate_peak_bytes(wide)["wide"]
    assert 12.0e9 < peak < 12.5e9  # 3000 points x ~1e6 units x 4 bytes, and 15M parameters x 16 bytes
    expected = r"models.wide would need about 11.\d GiB per training worker .*, 22.\d GiB for 2 workers, but 16.0 GiB"
    with pytest.raises(ResourceError, match=expected):
        check_resources(wide, available=16 * 2**30)
    check_resources(load_config(TINY), available=2**30)  # the tiny run fits in 1 GiB
    import os

    many = load_config(TINY, ["models={wide: {widths: [1000000]}}", "data.n_train=2000", "data.n_test=1000",
                              "execution.n_jobs=64"])  # fmt: skip
    workers = min(len(os.sched_getaffinity(0)), 2)  # 64 asked, but a pool has at most the cores (and 2 units)
    with pytest.raises(ResourceError, match=rf"GiB for {workers} workers"):
        check_resources(many, available=8 * 2**30)
    wider = load_config(TINY, ["models={wide: {widths: [20000000]}}", "data.n_train=2000", "data.n_test=1000"])
    with pytest.raises(ResourceError, match="lower execution.n_jobs"):  # ~470 GiB: more than any test machine
        run_experiment(wider, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_free_space_is_checked_against_what_remains_to_be_written(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    store = RunStore(tmp_path / "run")
    (tmp_path / "run" / "activations").mkdir(parents=True)
    (tmp_path / "run" / "activations" / "part.npz").write_bytes(b"x" * 3 * 2**20)  # 3 MiB already written
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(100 * 2**20, 98 * 2**20, 2 * 2**20))
    store.check_free_space(5 * 2**20)  # 5 MiB in all, 3 written: the 2 MiB free are enough
    with pytest.raises(StoreError, match=r"has 2 MiB free but this run writes up to 6 MiB \(3 MiB of it already"):
        store.check_free_space(6 * 2**20)


def test_a_damaged_checkpoint_is_passed_over_for_the_one_before(tmp_path, tiny_run, tiny_config):
    from layertopo.stages.training import latest_checkpoint
    from layertopo.store import RunStore

    one = tiny_config.model_copy(update={"execution": tiny_config.execution.model_copy(update={"n_jobs": None})})
    shutil.copytree(tiny_run.run_dir, tmp_path / "run")
    store = RunStore(tmp_path / "run")
    epochs = sorted(one.capture.epochs)
    assert latest_checkpoint(store, one, "good", 0)["epoch"] == epochs[-1]
    _truncate(store.checkpoint_path("good", 0, epochs[-1]))
    with pytest.warns(UserWarning, match=rf"epoch{epochs[-1]:04d}.pt cannot be read .*earlier checkpoint"):
        state = latest_checkpoint(store, one, "good", 0)
    assert state["epoch"] == epochs[-2]
