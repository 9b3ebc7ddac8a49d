"""run_jobs: the worker pool and a Dask cluster give the in-process results; a job past its time limit or whose
worker dies is recorded as flagged rows and the run goes on.

The slow and dying jobs are stand-ins for a runaway C++ engine: module-level functions (picklable, so spawned
workers can import them) passed through ``run_jobs(job=...)``.
"""

import os
import signal
import time

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from layertopo.cli import _executor_overrides, app
from layertopo.config import TopologyConfig, load_config
from layertopo.data import make_dataset
from layertopo.parallel import analyze_cloud, close_pool, run_jobs
from layertopo.pipeline import _topology_unit
from layertopo.store import RunStore, read_npz

SIZES = (40, 55, 70, 85)


def _clouds(sizes=SIZES, names=None):
    rng = np.random.default_rng(7)
    names = names or [f"cloud={i}" for i in range(len(sizes))]
    return [(rng.normal(size=(n, 3)), rng.integers(0, 2, size=n), name) for n, name in zip(sizes, names, strict=True)]


def sleeps_when_slow(X, labels, config, where):
    if where == "slow":
        time.sleep(60)
    return analyze_cloud(X, labels, config, where)


def dies_when_asked(X, labels, config, where):
    if where == "dies":
        os.kill(os.getpid(), signal.SIGKILL)
    return analyze_cloud(X, labels, config, where)


def raises_when_asked(X, labels, config, where):
    if where == "bug":
        raise ValueError("a bug in the job")
    return analyze_cloud(X, labels, config, where)


def _assert_normal(result, n_points):
    dgms, rows, seconds = result
    assert len(dgms) == 2 and [row["dim"] for row in rows] == [0, 1]
    assert all(row["error"] == "" and row["n_input"] == n_points for row in rows)
    assert seconds >= 0


def _assert_flagged(result, flag, *words):
    dgms, rows, _ = result
    assert [d.shape for d in dgms] == [(0, 2), (0, 2)]
    assert [row["dim"] for row in rows] == [0, 1]
    for row in rows:
        assert row["flags"] == flag
        assert all(word in row["error"] for word in words), row["error"]


def test_pool_gives_the_in_process_results():
    jobs = _clouds()
    config = TopologyConfig(max_points=60, time_limit=None)
    expected = run_jobs(jobs, config, n_jobs=1)
    finished = []
    got = run_jobs(jobs, config.model_copy(update={"time_limit": 30.0}), n_jobs=2, on_done=finished.append)
    assert sorted(finished) == list(range(len(jobs)))
    for (dgms, rows, _), (want_dgms, want_rows, _), n in zip(got, expected, SIZES, strict=True):
        _assert_normal((dgms, rows, 0.0), n)
        for dgm, want in zip(dgms, want_dgms, strict=True):
            np.testing.assert_array_equal(dgm, want)
        assert [row["betti_significant"] for row in rows] == [row["betti_significant"] for row in want_rows]


def test_job_past_the_time_limit_is_recorded_and_skipped():
    jobs = _clouds(names=["first", "slow", "third", "fourth"])
    config = TopologyConfig(time_limit=1.5)
    finished = []
    start = time.perf_counter()
    results = run_jobs(jobs, config, n_jobs=2, on_done=finished.append, job=sleeps_when_slow)
    assert time.perf_counter() - start < 20  # the sleeper (60 s) was killed, not waited for
    assert sorted(finished) == [0, 1, 2, 3]
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])
    _assert_flagged(results[1], "timed_out", "timed out after 1.5 s", "(slow)", "topology.time_limit")
    assert results[1][2] == 1.5


def test_time_limit_applies_with_a_single_worker():
    jobs = _clouds(sizes=(40, 55), names=["slow", "second"])
    results = run_jobs(jobs, TopologyConfig(time_limit=1.5), n_jobs=1, job=sleeps_when_slow)
    _assert_flagged(results[0], "timed_out", "timed out after 1.5 s", "(slow)")
    _assert_normal(results[1], 55)


def test_worker_that_dies_is_recorded_and_the_run_goes_on():
    jobs = _clouds(names=["first", "dies", "third", "fourth"])
    finished = []
    results = run_jobs(jobs, TopologyConfig(time_limit=30.0), n_jobs=2, on_done=finished.append, job=dies_when_asked)
    assert sorted(finished) == [0, 1, 2, 3]
    _assert_flagged(results[1], "worker_died", "exit code -9", "(dies)")
    assert np.isnan(results[1][2])
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])


def test_other_exceptions_propagate_and_the_next_run_works():
    jobs = _clouds(names=["first", "bug", "third", "fourth"])
    config = TopologyConfig(time_limit=30.0)
    with pytest.raises(ValueError, match="a bug in the job"):
        run_jobs(jobs, config, n_jobs=2, job=raises_when_asked)
    for result, n in zip(run_jobs(_clouds(), config, n_jobs=2), SIZES, strict=True):
        _assert_normal(result, n)


# --- the Dask executor ---------------------------------------------------------------------------

DASK = {"executor": "dask", "n_jobs": 2}  # a LocalCluster of 2 worker processes, kept across these tests


@pytest.fixture(scope="module")
def dask_cluster():
    """Stops the kept Dask LocalCluster after this module's Dask tests."""
    pytest.importorskip("distributed")
    yield
    close_pool()


def test_dask_gives_the_local_results_on_the_quick_topology_stage(dask_cluster, quick_run, quick_config):
    """The first and last snapshots of seed 0 of every model of the quick.yaml run, recomputed through the
    pipeline's own code path on a 2-worker Dask LocalCluster, give exactly the stored (local executor)
    summaries and diagrams."""
    config = quick_config.model_copy(update={"topology": quick_config.topology.model_copy(update=DASK)})
    d = config.data
    dataset = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    store = RunStore(quick_run.run_dir)
    cache = {}
    for name in config.models:
        for seed in config.training.seeds[:1]:
            for epoch in (config.capture.epochs[0], config.capture.epochs[-1]):
                rows, dgms, _ = _topology_unit(config, dataset, store, name, seed, epoch, cache)
                pd.testing.assert_frame_equal(
                    pd.DataFrame(rows), pd.read_parquet(store.summaries_part(name, seed, epoch))
                )
                stored = read_npz(store.diagrams_path(name, seed, epoch))
                assert stored.keys() == dgms.keys()
                for key, dgm in dgms.items():
                    np.testing.assert_array_equal(dgm, stored[key])


def test_dask_time_limit_cancels_the_job_and_the_run_goes_on(dask_cluster):
    jobs = _clouds(names=["first", "slow", "third", "fourth"])
    finished = []
    start = time.perf_counter()
    results = run_jobs(
        jobs, TopologyConfig(time_limit=1.5, **DASK), n_jobs=2, on_done=finished.append, job=sleeps_when_slow
    )
    assert time.perf_counter() - start < 20  # the sleeper (60 s) was given up, not waited for
    assert sorted(finished) == [0, 1, 2, 3]
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])
    _assert_flagged(results[1], "timed_out", "timed out after 1.5 s", "(slow)", "topology.time_limit")
    # the runaway's worker was restarted: both workers serve the next run
    for result, n in zip(run_jobs(_clouds(), TopologyConfig(time_limit=30.0, **DASK), n_jobs=2), SIZES, strict=True):
        _assert_normal(result, n)


def test_dask_job_exceptions_propagate(dask_cluster):
    jobs = _clouds(names=["first", "bug", "third", "fourth"])
    with pytest.raises(ValueError, match="a bug in the job"):
        run_jobs(jobs, TopologyConfig(time_limit=None, **DASK), n_jobs=2, job=raises_when_asked)


def test_executor_settings_are_validated():
    assert TopologyConfig().executor == "local" and TopologyConfig().dask_address is None
    with pytest.raises(ValidationError, match="executor"):
        TopologyConfig(executor="spark")
    with pytest.raises(ValidationError, match="topology.executor=dask"):
        TopologyConfig(dask_address="tcp://127.0.0.1:8786")
    config = TopologyConfig(executor="dask", dask_address="tcp://127.0.0.1:8786")
    assert config.dask_address == "tcp://127.0.0.1:8786"


def test_cli_executor_options_become_config_overrides(tmp_path):
    assert _executor_overrides(None, None) == []
    assert _executor_overrides("local", None) == ['topology.executor="local"']
    overrides = _executor_overrides(None, "tcp://10.0.0.5:8786")
    assert load_config(None, overrides).topology.dask_address == "tcp://10.0.0.5:8786"
    assert load_config(None, overrides).topology.executor == "dask"
    assert load_config(None, _executor_overrides(None, "localhost:8786")).topology.dask_address == "localhost:8786"
    for args in (["--executor", "spark"], ["--executor", "local", "--dask-address", "tcp://h:1"]):
        result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2 and "executor" in result.output, result.output
    assert not (tmp_path / "x").exists()


def test_unreachable_dask_scheduler_is_named():
    dask = pytest.importorskip("dask")
    config = TopologyConfig(executor="dask", dask_address="tcp://127.0.0.1:9", time_limit=None)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match="tcp://127.0.0.1:9.*topology.dask_address"):
            run_jobs(_clouds(), config, n_jobs=2)
    close_pool()


def test_more_workers_than_cores_are_capped_with_a_warning():
    import os

    from layertopo.processes import usable_jobs

    cores = len(os.sched_getaffinity(0))
    with pytest.warns(UserWarning, match=rf"topology.n_jobs=64 but this machine has {cores} cores: using {cores}"):
        assert usable_jobs(64, "topology.n_jobs") == cores
    assert usable_jobs(1) == 1
