"""run_jobs: the worker pool gives the in-process results; a job past its time limit or whose worker dies is
recorded as flagged rows and the run goes on.

The slow and dying jobs are stand-ins for a runaway C++ engine: module-level functions (picklable, so spawned
workers can import them) passed through ``run_jobs(job=...)``.
"""

import os
import signal
import time

import numpy as np
import pytest

from layertopo.config import TopologyConfig
from layertopo.parallel import analyze_cloud, run_jobs

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
