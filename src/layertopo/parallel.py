"""Where topology jobs run. A job is a pure function of (cloud, labels, TopologyConfig).

``analyze_cloud`` is the job; ``run_jobs`` maps it over many clouds, results in submission order so
runs are reproducible. With ``topology.time_limit`` set (or ``n_jobs > 1``) each job runs in a worker
of a pebble ``ProcessPool``. The engines are C++ that ignores signals and can run for minutes or
allocate until the OS steps in, so a job past its limit has its worker killed and replaced, and is
recorded with ``flags="timed_out"``; a worker that dies (e.g. killed for memory) gives
``flags="worker_died"``. Either way the run goes on. Workers are started with "spawn" (the parent
has torch and its threads; forking it is unsafe) and, since each one takes about a second to import
numpy, scipy and scikit-learn, the pool is kept for the next call; ``close_pool`` ends it (also at exit).
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, as_completed
from typing import Any

import numpy as np
from pebble import ProcessExpired, ProcessPool
from threadpoolctl import threadpool_limits

from layertopo.config import TopologyConfig
from layertopo.topology import CloudError, persistence_diagrams, summarize

Job = tuple[np.ndarray, np.ndarray | None, str]
JobResult = tuple[list[np.ndarray], list[dict[str, Any]], float]
JobFunction = Callable[[np.ndarray, np.ndarray | None, TopologyConfig, str], JobResult]

_pool: ProcessPool | None = None
_pool_workers = 0


def analyze_cloud(X: np.ndarray, labels: np.ndarray | None, config: TopologyConfig, where: str = "") -> JobResult:
    """Diagrams and summary rows of one cloud; a bad cloud gives flagged rows instead of an exception.

    Returns
    -------
    dgms : list of (k, 2) arrays (empty arrays when the cloud was rejected)
    rows : one dict per homology dimension, with an ``error`` column ("" when fine)
    seconds : wall time of the job
    """
    start = time.perf_counter()
    try:
        result = persistence_diagrams(
            X,
            maxdim=config.maxdim,
            metric=config.metric,
            engine=config.engine,
            max_points=config.max_points,
            subsample=config.subsample,
            random_state=0,
            knn_k=config.knn_k,
            where=where,
        )
        rows = summarize(result, config.significance, labels)
        for row in rows:
            row["error"] = ""
        dgms = result.dgms
    except CloudError as exc:
        dgms, rows, _ = _flagged(config, str(exc), "rejected")
    return dgms, rows, time.perf_counter() - start


def _flagged(config: TopologyConfig, error: str, flag: str, seconds: float = np.nan) -> JobResult:
    """Empty diagrams and one row per dimension carrying ``error`` and ``flags``, for a cloud without results."""
    dims = range(config.maxdim + 1)
    return [np.empty((0, 2)) for _ in dims], [{"dim": dim, "error": error, "flags": flag} for dim in dims], seconds


def run_jobs(
    jobs: Sequence[Job],
    config: TopologyConfig,
    *,
    n_jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
    job: JobFunction = analyze_cloud,
) -> list[JobResult]:
    """Run ``job`` (``analyze_cloud``) over ``jobs`` = [(X, labels, where), ...]; results in submission order.

    Parameters
    ----------
    jobs : clouds, their labels (or None) and the ``where`` key that names them in messages
    config : the topology settings; ``config.time_limit`` is the limit in seconds per cloud (None: no limit)
    n_jobs : worker processes. With ``n_jobs == 1`` and no time limit, jobs run in this process.
    on_done : called with the job's index as each job finishes (in completion order)
    job : the function run per cloud, a seam for tests; it must be picklable (defined at module level)

    Returns
    -------
    list of (dgms, rows, seconds), one per job. A job past the time limit gives empty diagrams and rows
    flagged ``timed_out``; one whose worker died gives rows flagged ``worker_died``. Other exceptions
    raised by ``job`` propagate (after the pool is shut down).
    """
    if not jobs:
        return []
    if config.time_limit is None and (n_jobs == 1 or len(jobs) == 1):
        results = []
        for i, (X, labels, where) in enumerate(jobs):
            results.append(job(X, labels, config, where))
            if on_done:
                on_done(i)
        return results
    done: dict[int, JobResult] = {}
    try:
        pool = _get_pool(n_jobs)
        futures = {
            pool.schedule(job, args=(X, labels, config, where), timeout=config.time_limit): i
            for i, (X, labels, where) in enumerate(jobs)
        }
        for future in as_completed(futures):
            i = futures[future]
            done[i] = _outcome(future, config, where=jobs[i][2])
            if on_done:
                on_done(i)
    except BaseException:
        close_pool()  # a bug or an interrupt: drop the queued jobs and stop the running ones
        raise
    return [done[i] for i in range(len(jobs))]


def _outcome(future: Future, config: TopologyConfig, where: str) -> JobResult:
    """The job's result, or flagged rows when its worker was killed for time or died."""
    try:
        return future.result()
    except TimeoutError as exc:
        if hasattr(exc, "traceback"):  # raised by the job itself, not pebble's timer: a bug
            raise
        limit = config.time_limit
        message = f"timed out after {limit:g} s ({where}); raise topology.time_limit or lower topology.max_points"
        return _flagged(config, message, "timed_out", float(limit))
    except ProcessExpired as exc:
        message = (
            f"worker process died with exit code {exc.exitcode} ({where}); "
            "if it ran out of memory (exit code -9), lower topology.max_points"
        )
        return _flagged(config, message, "worker_died")


def _get_pool(n_jobs: int) -> ProcessPool:
    """The kept pool of ``n_jobs`` spawned workers, (re)started when missing, of another size or broken."""
    global _pool, _pool_workers
    if _pool is None or _pool_workers != n_jobs or not _pool.active:
        close_pool()
        # Like joblib: BLAS and OpenMP threads per worker limited to cpu_count // n_jobs (no oversubscription).
        threads = max((os.cpu_count() or 1) // n_jobs, 1)
        context = multiprocessing.get_context("spawn")
        _pool = ProcessPool(max_workers=n_jobs, context=context, initializer=threadpool_limits, initargs=(threads,))
        _pool_workers = n_jobs
    return _pool


@atexit.register
def close_pool() -> None:
    """Stop the worker processes that ``run_jobs`` keeps between calls; runs at interpreter exit too."""
    global _pool
    if _pool is not None:
        _pool.stop()
        _pool.join()
        _pool = None


def run_topology_jobs(jobs: list[Job], config: TopologyConfig, cache: dict[str, JobResult]) -> list[JobResult]:
    """Results of ``analyze_cloud`` for every job, in order; a cloud identical to one already in ``cache``
    (same values and labels, e.g. the input layer at every epoch) is computed once."""
    hashes = [_cloud_hash(X, labels) for X, labels, _ in jobs]
    todo = [h for h in dict.fromkeys(hashes) if h not in cache]
    pending = [jobs[hashes.index(h)] for h in todo]
    for h, result in zip(todo, run_jobs(pending, config, n_jobs=config.n_jobs), strict=True):
        cache[h] = result
    return [cache[h] for h in hashes]


def _cloud_hash(X: np.ndarray, labels: np.ndarray | None) -> str:
    digest = hashlib.sha1(np.ascontiguousarray(X).view(np.uint8))
    digest.update(str(X.shape).encode())
    if labels is not None:
        digest.update(np.ascontiguousarray(labels).view(np.uint8))
    return digest.hexdigest()
