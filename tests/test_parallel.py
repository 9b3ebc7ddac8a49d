"""Executors (``layertopo.parallel``) and the topology batch on them: a worker pool and a Dask cluster give the
in-process results; an item past its time limit or whose worker dies is recorded (``TimedOut``, ``Died``; for
clouds, flagged rows) and the others go on; a bug in the function propagates.

The slow and dying jobs are stand-ins for a runaway C++ engine: module-level functions (picklable, so workers
can import them) passed as ``analyze_clouds(job=...)``.
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
from layertopo.config import ExecutionConfig, TopologyConfig, load_config
from layertopo.data import make_dataset
from layertopo.parallel import (
    DaskExecutor,
    Died,
    Done,
    InProcess,
    LocalPool,
    TimedOut,
    effective_n_jobs,
    get_executor,
)
from layertopo.stages.topology import unit_clouds
from layertopo.stages.units import Unit
from layertopo.store import RunStore, read_npz
from layertopo.topology.batch import analyze_cloud, analyze_clouds, diagrams_job

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


def square_or_misbehave(x):
    """An item of the generic executor tests: 'sleep' sleeps a minute, 'die' kills its worker."""
    if x == "sleep":
        time.sleep(60)
    if x == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def _assert_normal(result, n_points):
    assert len(result.dgms) == 2 and [row["dim"] for row in result.rows] == [0, 1]
    assert all(row["error"] == "" and row["n_input"] == n_points for row in result.rows)
    assert result.seconds >= 0


def _assert_flagged(result, flag, *words):
    assert [d.shape for d in result.dgms] == [(0, 2), (0, 2)]
    assert [row["dim"] for row in result.rows] == [0, 1]
    for row in result.rows:
        assert row["flags"] == flag
        assert all(word in row["error"] for word in words), row["error"]


# --- the executors themselves ----------------------------------------------------------------------


def test_get_executor_runs_in_this_process_unless_asked_for_workers():
    assert isinstance(get_executor(), InProcess) and isinstance(get_executor(None, time_limit=5.0), InProcess)
    assert isinstance(get_executor(1), InProcess)
    assert isinstance(get_executor(1, time_limit=5.0), LocalPool)  # only a worker can be stopped
    pool = get_executor(2)
    assert isinstance(pool, LocalPool) and pool.n_workers == 2 and pool._pool is None  # nothing started yet
    cores = len(os.sched_getaffinity(0))
    assert effective_n_jobs(None) == 1 and effective_n_jobs(3) == 3
    assert effective_n_jobs(-1) == cores and effective_n_jobs(-2) == max(cores - 1, 1)
    with pytest.raises(ValueError, match="n_jobs=0 runs nothing"):
        effective_n_jobs(0)


def test_in_process_map_keeps_order_and_starts_no_process():
    import multiprocessing

    before = multiprocessing.active_children()
    assert InProcess().map(square_or_misbehave, [(3,), (4,)]) == [Done(9), Done(16)]
    assert multiprocessing.active_children() == before


def _children() -> dict:
    """This process's descendants, but for multiprocessing's resource tracker (one per interpreter, by design)."""
    import psutil

    return {
        p.pid: p for p in psutil.Process().children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())
    }


def test_local_pool_reports_each_item_and_stops_its_workers_and_fork_server():
    items = [(2,), ("sleep",), (3,), ("die",), (4,)]
    finished = []
    before = _children()
    start = time.perf_counter()
    with LocalPool(2) as pool:
        outcomes = pool.map(square_or_misbehave, items, time_limit=2.0, on_done=finished.append)
        started = {pid: p for pid, p in _children().items() if pid not in before}
    assert time.perf_counter() - start < 30  # the sleeper (60 s) was stopped, not waited for
    assert outcomes[0] == Done(4) and outcomes[2] == Done(9) and outcomes[4] == Done(16)
    assert outcomes[1] == TimedOut(2.0)
    assert isinstance(outcomes[3], Died) and "exit code -9" in outcomes[3].message
    assert sorted(finished) == [0, 1, 2, 3, 4]
    assert len(started) >= 2  # the fork server and the workers it forked (the one killed is being replaced)
    for process in started.values():  # gone after the with block: nothing is left running
        process.wait(timeout=10)
    with LocalPool(2) as pool:  # a fork server stopped with its pool starts again for the next one
        assert pool.map(square_or_misbehave, [(5,)]) == [Done(25)]


def test_pool_workers_compute_diagrams_without_importing_scikit_learn():
    """The fork server and its workers import the topology code and giotto-ph's compiled engine, not scikit-learn
    (1.3 s and ~120 MiB per worker): ``PersistenceDiagrams``'s job lives in the topology batch module for that."""
    from layertopo import estimators

    assert estimators.diagrams_job is diagrams_job
    X = np.random.default_rng(0).normal(size=(450, 3))
    with LocalPool(1) as pool:
        [outcome] = pool.map(diagrams_job, [(X, TopologyConfig(max_points=None), 0, "entry 0")])
        mapped = {m.path for p in _children().values() for m in p.memory_maps()}
    assert isinstance(outcome, Done) and len(outcome.value[0]) == 450 and len(outcome.value[1]) > 0
    assert any("gph_ripser" in path for path in mapped)  # the engine ran in the worker
    assert not any("/sklearn/" in path for path in mapped)


# --- clouds on the executors -----------------------------------------------------------------------


def test_pool_gives_the_in_process_results():
    jobs = _clouds()
    config = TopologyConfig(max_points=60)
    expected = analyze_clouds(jobs, config)
    finished = []
    with LocalPool(2) as pool:
        got = analyze_clouds(jobs, config, executor=pool, time_limit=30.0, on_done=finished.append)
    assert finished == [1, 2, 3, 4]
    for result, want, n in zip(got, expected, SIZES, strict=True):
        _assert_normal(result, n)
        for dgm, want_dgm in zip(result.dgms, want.dgms, strict=True):
            np.testing.assert_array_equal(dgm, want_dgm)
        assert [row["betti_significant"] for row in result.rows] == [row["betti_significant"] for row in want.rows]


def test_identical_clouds_are_computed_once_and_per_class_clouds_get_the_class_settings():
    X = np.random.default_rng(0).normal(size=(50, 3))
    calls = []
    config = TopologyConfig(maxdim=1, class_maxdim=0)
    cache = {}
    results = analyze_clouds([(X, None, "a"), (X, None, "b"), (X, None, "c", True)], config, cache=cache)
    calls.append(len(cache))
    assert len(cache) == 2  # "a" and "b" are the same cloud with the same settings; "c" asks only for H0
    assert results[0] is results[1]
    assert [row["dim"] for row in results[2].rows] == [0] and len(results[0].rows) == 2
    again = analyze_clouds([(X, None, "d")], config, cache=cache)
    assert again[0] is results[0]


def test_the_longest_jobs_are_given_out_first_and_results_keep_the_clouds_order():
    rng = np.random.default_rng(1)
    clouds = [(rng.normal(size=(n, 3)), None, f"n={n}", per_class) for n, per_class in [(30, 0), (90, 1), (60, 0)]]
    order = []

    def recorded(X, labels, config, where):
        order.append(where)
        return analyze_cloud(X, labels, config, where)

    results = analyze_clouds(clouds, TopologyConfig(maxdim=1, class_maxdim=0, max_points=50), job=recorded)
    assert order == ["n=60", "n=30", "n=90"]  # H1 before H0-only, then the points the engine sees (at most 50)
    assert [r.rows[0]["n_input"] for r in results] == [30, 90, 60]


def test_cloud_past_the_time_limit_is_recorded_and_skipped():
    jobs = _clouds(names=["first", "slow", "third", "fourth"])
    start = time.perf_counter()
    with LocalPool(2) as pool:
        results = analyze_clouds(jobs, TopologyConfig(), executor=pool, time_limit=1.5, job=sleeps_when_slow)
    assert time.perf_counter() - start < 20  # the sleeper (60 s) was killed, not waited for
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])
    _assert_flagged(results[1], "timed_out", "timed out after 1.5 s", "(slow)", "execution.time_limit")
    assert results[1].seconds == 1.5


def test_time_limit_applies_with_a_single_worker():
    jobs = _clouds(sizes=(40, 55), names=["slow", "second"])
    with get_executor(1, time_limit=1.5) as executor:
        results = analyze_clouds(jobs, TopologyConfig(), executor=executor, time_limit=1.5, job=sleeps_when_slow)
    _assert_flagged(results[0], "timed_out", "timed out after 1.5 s", "(slow)")
    _assert_normal(results[1], 55)


def test_worker_that_dies_is_recorded_and_the_others_go_on():
    jobs = _clouds(names=["first", "dies", "third", "fourth"])
    with LocalPool(2) as pool:
        results = analyze_clouds(jobs, TopologyConfig(), executor=pool, time_limit=30.0, job=dies_when_asked)
    _assert_flagged(results[1], "worker_died", "exit code -9", "(dies)")
    assert np.isnan(results[1].seconds)
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])


def test_other_exceptions_propagate_and_the_executor_works_afterwards():
    jobs = _clouds(names=["first", "bug", "third", "fourth"])
    with LocalPool(2) as pool:
        with pytest.raises(ValueError, match="a bug in the job"):
            analyze_clouds(jobs, TopologyConfig(), executor=pool, time_limit=30.0, job=raises_when_asked)
        for result, n in zip(analyze_clouds(_clouds(), TopologyConfig(), executor=pool), SIZES, strict=True):
            _assert_normal(result, n)


# --- the Dask executor ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_executor():
    """A Dask LocalCluster of 2 worker processes, kept across this module's Dask tests."""
    pytest.importorskip("distributed")
    with DaskExecutor(None, n_workers=2) as executor:
        yield executor


def test_dask_gives_the_local_results_on_the_quick_topology_stage(dask_executor, quick_run, quick_config):
    """The first and last snapshots of seed 0 of every model of the quick.yaml run, recomputed through the
    topology stage's own clouds on a 2-worker Dask LocalCluster, give exactly the stored (local pool)
    summaries and diagrams."""
    config = quick_config
    d = config.data
    dataset = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    store = RunStore(quick_run.run_dir)
    for name in config.models:
        for epoch in (config.capture.epochs[0], config.capture.epochs[-1]):
            pairs = list(unit_clouds(config, dataset, store, Unit("topology", name, 0, epoch)))
            results = analyze_clouds([cloud for _, cloud in pairs], config.topology, executor=dask_executor)
            rows = [
                {**key.columns(), **row} for (key, _), result in zip(pairs, results, strict=True) for row in result.rows
            ]
            pd.testing.assert_frame_equal(pd.DataFrame(rows), pd.read_parquet(store.summaries_part(name, 0, epoch)))
            stored = read_npz(store.diagrams_path(name, 0, epoch))
            for (key, _), result in zip(pairs, results, strict=True):
                for dim, dgm in enumerate(result.dgms):
                    np.testing.assert_array_equal(dgm, stored[key.diagram_name(dim)])


def test_dask_time_limit_cancels_the_job_and_the_others_go_on(dask_executor):
    jobs = _clouds(names=["first", "slow", "third", "fourth"])
    start = time.perf_counter()
    results = analyze_clouds(jobs, TopologyConfig(), executor=dask_executor, time_limit=1.5, job=sleeps_when_slow)
    assert time.perf_counter() - start < 20  # the sleeper (60 s) was given up, not waited for
    for i in (0, 2, 3):
        _assert_normal(results[i], SIZES[i])
    _assert_flagged(results[1], "timed_out", "timed out after 1.5 s", "(slow)", "execution.time_limit")
    # the runaway's worker was restarted: both workers serve the next batch
    again = analyze_clouds(_clouds(), TopologyConfig(), executor=dask_executor, time_limit=30.0)
    for result, n in zip(again, SIZES, strict=True):
        _assert_normal(result, n)


def test_dask_job_exceptions_propagate(dask_executor):
    jobs = _clouds(names=["first", "bug", "third", "fourth"])
    with pytest.raises(ValueError, match="a bug in the job"):
        analyze_clouds(jobs, TopologyConfig(), executor=dask_executor, job=raises_when_asked)


# --- settings ------------------------------------------------------------------------------------


def test_execution_settings_are_validated():
    assert ExecutionConfig().executor == "local" and ExecutionConfig().dask_address is None
    assert ExecutionConfig().n_jobs == -1 and ExecutionConfig(n_jobs=None).n_jobs is None
    with pytest.raises(ValidationError, match="executor"):
        ExecutionConfig(executor="spark")
    with pytest.raises(ValidationError, match="execution.executor=dask"):
        ExecutionConfig(dask_address="tcp://127.0.0.1:8786")
    with pytest.raises(ValidationError, match="n_jobs=0 runs nothing"):
        ExecutionConfig(n_jobs=0)
    config = ExecutionConfig(executor="dask", dask_address="tcp://127.0.0.1:8786")
    assert config.dask_address == "tcp://127.0.0.1:8786"


@pytest.mark.parametrize(
    ("override", "new"),
    [
        ("topology.n_jobs=2", "execution.n_jobs"),
        ("topology.time_limit=10", "execution.time_limit"),
        ("topology.executor=dask", "execution.executor"),
        ("topology.dask_address=x", "execution.dask_address"),
        ("training.n_jobs=2", "execution.n_jobs"),
    ],
)
def test_a_config_written_before_the_execution_section_is_told_the_new_key(override, new):
    with pytest.raises(ValidationError, match=rf"{override.split('=')[0]} moved to the execution section.*{new}"):
        load_config(None, [override])


def test_cli_executor_options_become_config_overrides(tmp_path):
    assert _executor_overrides(None, None) == []
    assert _executor_overrides("local", None) == ['execution.executor="local"']
    overrides = _executor_overrides(None, "tcp://10.0.0.5:8786")
    assert load_config(None, overrides).execution.dask_address == "tcp://10.0.0.5:8786"
    assert load_config(None, overrides).execution.executor == "dask"
    assert load_config(None, _executor_overrides(None, "localhost:8786")).execution.dask_address == "localhost:8786"
    for args in (["--executor", "spark"], ["--executor", "local", "--dask-address", "tcp://h:1"]):
        result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2 and "executor" in result.output, result.output
    assert not (tmp_path / "x").exists()


def test_unreachable_dask_scheduler_is_named():
    dask = pytest.importorskip("dask")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with DaskExecutor("tcp://127.0.0.1:9", 2) as executor:
            with pytest.raises(ConnectionError, match="tcp://127.0.0.1:9.*execution.dask_address"):
                analyze_clouds(_clouds(), TopologyConfig(), executor=executor)


def test_more_workers_than_cores_are_capped_with_a_warning():
    from layertopo.processes import usable_jobs

    cores = len(os.sched_getaffinity(0))
    with pytest.warns(UserWarning, match=rf"n_jobs=64 but this machine has {cores} cores: using {cores}"):
        assert usable_jobs(64) == cores
    assert usable_jobs(1) == 1


def sleeps(x, seconds=1.0):
    time.sleep(seconds)
    return x


def test_two_pools_share_the_fork_server_and_closing_one_leaves_the_other_working():
    with LocalPool(1) as first:
        assert first.map(square_or_misbehave, [(3,)]) == [Done(9)]
        second = LocalPool(1)
        running = second.as_completed(sleeps, [(1,), (2,)])
        start = time.perf_counter()
        first.close()  # it started the fork server, but the second pool still uses it
        assert time.perf_counter() - start < 5
        assert sorted(running) == [(0, Done(1)), (1, Done(2))]
        assert second.map(square_or_misbehave, [(4,)]) == [Done(16)]
        second.close()


def test_a_reader_that_stops_early_cancels_its_own_items_not_the_pool():
    with LocalPool(2) as pool:
        first = pool.as_completed(sleeps, [(i,) for i in range(6)])
        other = pool.as_completed(square_or_misbehave, [(i,) for i in range(4)])
        next(first)
        first.close()  # stop reading: its remaining items are dropped
        assert sorted(other) == [(i, Done(i * i)) for i in range(4)]
        waiting = pool.as_completed(sleeps, [(i, 2.0) for i in range(4)])
        next(waiting)
        pool.close()  # closed under a reader: the reader is told, it does not wait forever
        with pytest.raises(RuntimeError, match="the executor was closed while this item was pending"):
            list(waiting)


def test_a_script_that_starts_workers_without_a_main_guard_is_told_how_to_fix_it(tmp_path):
    """Fork-server workers start by running the parent's script again: unguarded, each would start workers
    while starting. The parent must say so instead of pebble's "All workers expired"."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import numpy as np\n"
        "import layertopo\n"
        "clouds = [np.random.default_rng(0).normal(size=(30, 2)) for _ in range(2)]\n"
        "layertopo.PersistenceDiagrams(maxdim=0, n_jobs=2).fit_transform(clouds)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("layertopo.processes.WorkerDied: the worker processes ended while starting")
    assert 'if __name__ == "__main__":' in last and "n_jobs=None" in last
