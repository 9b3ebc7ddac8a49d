"""Where topology jobs run. A job is a pure function of (cloud, labels, TopologyConfig).

``analyze_cloud`` is the job; ``run_jobs`` maps it over many clouds through an ``Executor``, results in
submission order, so a run gives the same numbers whichever executor computed it. Two executors:

``LocalExecutor`` (``topology.executor: local``, the default)
    With ``topology.time_limit`` set (or ``n_jobs > 1``) each job runs in a worker of a pebble
    ``ProcessPool``. The engines are C++ that ignores signals and can run for minutes or allocate until
    the OS steps in, so a job past its limit has its worker killed and replaced, and is recorded with
    ``flags="timed_out"``; a worker that dies (e.g. killed for memory) gives ``flags="worker_died"``.
    Either way the run goes on. Workers are started with "spawn" (the parent has torch and its threads;
    forking it is unsafe). Without a limit and with one job slot, jobs run in this process.

``DaskExecutor`` (``topology.executor: dask``)
    Jobs are submitted to a Dask cluster: the scheduler at ``topology.dask_address``, or (address None) a
    ``LocalCluster`` of ``n_jobs`` worker processes with one thread each, started here. Workers must be
    able to import layertopo (same environment). Dask can only time a task out on the client side: a job
    that has *run* longer than ``time_limit`` (counted from the moment its worker starts it) is recorded as
    ``timed_out`` and its future cancelled; the C++ engine cannot be interrupted, so the worker stays busy
    with it until it is restarted. We therefore restart that worker (``Client.restart_workers``; it needs a
    nanny, which ``LocalCluster`` and the ``dask worker`` command provide; without one the worker stays
    busy until the runaway job ends). A worker that dies is restarted by its nanny and the job retried;
    after ``distributed.scheduler.allowed-failures`` deaths the job gives ``flags="worker_died"``.

Starting workers costs about a second each (imports of numpy, scipy, scikit-learn), so the executor and its
workers are kept for the next call; ``close_pool`` ends them (also at exit).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, as_completed
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pebble import ProcessExpired, ProcessPool

from layertopo.config import TopologyConfig
from layertopo.processes import usable_jobs, worker_setup
from layertopo.topology import CloudError, summarize
from layertopo.topology.diagrams import diagrams_for_config
from layertopo.topology.fixed_scale import FixedScaleBetti, knn_betti_numbers
from layertopo.topology.summaries import class_margin

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

Job = tuple[np.ndarray, np.ndarray | None, str]
JobResult = tuple[list[np.ndarray], list[dict[str, Any]], float]
JobFunction = Callable[[np.ndarray, np.ndarray | None, TopologyConfig, str], JobResult]
OnDone = Callable[[int], None]


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
        result = diagrams_for_config(X, config, random_state=0, labels=labels, where=where)
        rows = summarize(result, config.significance, labels)
        fixed = _fixed_scale_betti(X, config, where)
        margin = class_margin(X, labels)
        for row in rows:
            row["error"] = ""
            row["class_margin"] = margin
            if fixed is not None:
                row.update(betti_fixed_scale=fixed.betti[row["dim"]], fixed_scale=fixed.scale, fixed_scale_k=fixed.k)
        dgms = result.dgms
    except CloudError as exc:
        dgms, rows, _ = _flagged(config, str(exc), "rejected")
    return dgms, rows, time.perf_counter() - start


def fixed_scale_cloud(X: np.ndarray, labels: np.ndarray | None, config: TopologyConfig, where: str = "") -> JobResult:
    """Only the fixed-scale Betti numbers of one cloud (``config.knn_k``, ``config.fixed_scale`` hops, up to
    ``config.maxdim``), as one row per dimension with ``betti``, ``k``, ``scale``, ``n_points``, ``n_unique``;
    a bad cloud gives rows flagged ``rejected``. No diagrams (the first element is empty)."""
    if config.fixed_scale is None:
        raise ValueError("fixed_scale_cloud needs topology.fixed_scale (hops), e.g. 2")
    start = time.perf_counter()
    try:
        result = _fixed_scale_betti(X, config, where)
    except CloudError as exc:
        _, rows, _ = _flagged(config, str(exc), "rejected")
        return [], rows, time.perf_counter() - start
    rows = [
        {
            "dim": d,
            "betti": b,
            "k": result.k,
            "scale": result.scale,
            "n_points": result.n_input,
            "n_unique": result.n_unique,
            "error": "",
            "flags": "",
        }
        for d, b in enumerate(result.betti)
    ]
    return [], rows, time.perf_counter() - start


def _fixed_scale_betti(X: np.ndarray, config: TopologyConfig, where: str) -> FixedScaleBetti | None:
    """The Naitzat et al. Betti numbers of all of ``X`` when ``config.fixed_scale`` asks for them."""
    if config.fixed_scale is None:
        return None
    return knn_betti_numbers(X, k=config.knn_k, scale=config.fixed_scale, maxdim=config.maxdim, where=where)


def _flagged(config: TopologyConfig, error: str, flag: str, seconds: float = np.nan) -> JobResult:
    """Empty diagrams and one row per dimension carrying ``error`` and ``flags``, for a cloud without results."""
    dims = range(config.maxdim + 1)
    return [np.empty((0, 2)) for _ in dims], [{"dim": dim, "error": error, "flags": flag} for dim in dims], seconds


def _timed_out(config: TopologyConfig, where: str) -> JobResult:
    limit = config.time_limit
    message = f"timed out after {limit:g} s ({where}); raise topology.time_limit or lower topology.max_points"
    return _flagged(config, message, "timed_out", float(limit))


# --- executors -----------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs topology jobs somewhere; results come back in submission order."""

    def run(
        self, jobs: Sequence[Job], config: TopologyConfig, *, job: JobFunction, on_done: OnDone | None
    ) -> list[JobResult]:
        """``job(X, labels, config, where)`` for every job; see ``run_jobs``."""
        ...

    def close(self) -> None:
        """Stop the workers this executor started (it can be used again afterwards)."""
        ...


class LocalExecutor:
    """Jobs in this process, or in a pebble pool of ``n_jobs`` spawned worker processes.

    Parameters
    ----------
    n_jobs : worker processes. With ``n_jobs == 1`` and no time limit, jobs run in this process.
    """

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs
        self._pool: ProcessPool | None = None

    def run(
        self, jobs: Sequence[Job], config: TopologyConfig, *, job: JobFunction, on_done: OnDone | None
    ) -> list[JobResult]:
        """``job`` over ``jobs``; see ``run_jobs``."""
        if config.time_limit is None and (self.n_jobs == 1 or len(jobs) == 1):
            results = []
            for i, (X, labels, where) in enumerate(jobs):
                results.append(job(X, labels, config, where))
                if on_done:
                    on_done(i)
            return results
        done: dict[int, JobResult] = {}
        try:
            pool = self._get_pool()
            futures = {
                pool.schedule(job, args=(X, labels, config, where), timeout=config.time_limit): i
                for i, (X, labels, where) in enumerate(jobs)
            }
            for future in as_completed(futures):
                i = futures[future]
                done[i] = self._outcome(future, config, where=jobs[i][2])
                if on_done:
                    on_done(i)
        except BaseException:
            self.close()  # a bug or an interrupt: drop the queued jobs and stop the running ones
            raise
        return [done[i] for i in range(len(jobs))]

    @staticmethod
    def _outcome(future: Future, config: TopologyConfig, where: str) -> JobResult:
        """The job's result, or flagged rows when its worker was killed for time or died."""
        try:
            return future.result()
        except TimeoutError as exc:
            if hasattr(exc, "traceback"):  # raised by the job itself, not pebble's timer: a bug
                raise
            return _timed_out(config, where)
        except ProcessExpired as exc:
            message = (
                f"worker process died with exit code {exc.exitcode} ({where}); "
                "if it ran out of memory (exit code -9), lower topology.max_points"
            )
            return _flagged(config, message, "worker_died")

    def _get_pool(self) -> ProcessPool:
        """The kept pool of spawned workers, (re)started when missing or broken."""
        if self._pool is None or not self._pool.active:
            self.close()
            # Like joblib: BLAS and OpenMP threads per worker limited to cpu_count // n_jobs (no oversubscription).
            threads = max((os.cpu_count() or 1) // self.n_jobs, 1)
            context = _worker_context()
            self._pool = ProcessPool(
                max_workers=self.n_jobs, context=context, initializer=worker_setup, initargs=(threads,)
            )
        return self._pool

    def close(self) -> None:
        """Stop the pool's worker processes."""
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None


class DaskExecutor:
    """Jobs on a Dask cluster: the scheduler at ``address``, or a ``LocalCluster`` started here.

    Parameters
    ----------
    address : a scheduler address such as ``"tcp://10.0.0.5:8786"``; None starts a ``LocalCluster`` of
        ``n_workers`` processes with one thread each (BLAS/OpenMP threads: 1, Dask's default for workers)
    n_workers : worker processes of the ``LocalCluster`` (ignored with an address)
    restart_timed_out : restart the worker of a job past its time limit (else it stays busy with it)
    poll : seconds between checks of the running jobs' time limits

    Notes
    -----
    The client connects on first use and is kept until ``close``. Jobs are sent with their data
    (``client.submit``), so the functions must be importable by the workers.
    """

    def __init__(
        self, address: str | None = None, n_workers: int = 2, *, restart_timed_out: bool = True, poll: float = 0.05
    ):
        self.address, self.n_workers = address, n_workers
        self.restart_timed_out, self.poll = restart_timed_out, poll
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    @property
    def client(self) -> Client:
        """The connected ``distributed.Client`` (the cluster is started or joined on first use)."""
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise ImportError(
                    "topology.executor=dask needs dask.distributed: pip install 'layertopo[dask]'"
                ) from None
            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster, set_as_default=False)
            else:
                try:
                    self._client = Client(self.address, set_as_default=False)
                except OSError as exc:  # includes TimeoutError
                    raise ConnectionError(
                        f"cannot reach the Dask scheduler at {self.address} (topology.dask_address): {exc}"
                    ) from None
        return self._client

    def run(
        self, jobs: Sequence[Job], config: TopologyConfig, *, job: JobFunction, on_done: OnDone | None
    ) -> list[JobResult]:
        """``job`` over ``jobs``; see ``run_jobs``. Jobs past ``config.time_limit`` are cancelled and flagged."""
        from distributed import as_completed as dask_completed

        client, limit = self.client, config.time_limit
        token = uuid.uuid4().hex[:12]
        topic = f"layertopo-started-{token}" if limit is not None else None
        started: dict[int, tuple[float, str]] = {}  # job index -> (time.monotonic() when seen starting, worker)
        if topic is not None:
            # Subscribed before submitting: the client's messages reach the scheduler in order.
            def seen_starting(event: tuple[float, Any]) -> None:  # a retried job's clock starts again
                index, worker = event[1]
                started[index] = (time.monotonic(), worker)

            client.subscribe_topic(topic, seen_starting)
        futures = {
            client.submit(
                _announced, job, topic, i, X, labels, config, where, key=f"{_name(job)}-{token}-{i}", pure=False
            ): i
            for i, (X, labels, where) in enumerate(jobs)
        }
        done: dict[int, JobResult] = {}
        finished = dask_completed(list(futures), loop=client.loop)
        try:
            while len(done) < len(jobs):
                batch = finished.next_batch(block=limit is None)
                for future in batch:
                    i = futures[future]
                    if i not in done:  # else: timed out and cancelled already
                        done[i] = self._outcome(future, config, where=jobs[i][2])
                        if on_done:
                            on_done(i)
                if limit is None:
                    continue
                now = time.monotonic()
                for future, i in futures.items():
                    if i not in done and i in started and now - started[i][0] > limit:
                        future.cancel()
                        done[i] = _timed_out(config, jobs[i][2])
                        self._restart(started[i][1])
                        if on_done:
                            on_done(i)
                if not batch:
                    time.sleep(self.poll)
        except BaseException:
            client.cancel([f for f, i in futures.items() if i not in done])
            raise
        finally:
            if topic is not None:
                client.unsubscribe_topic(topic)
        return [done[i] for i in range(len(jobs))]

    @staticmethod
    def _outcome(future: Any, config: TopologyConfig, where: str) -> JobResult:
        """The job's result, or flagged rows when its workers kept dying (``KilledWorker``)."""
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            message = (
                f"dask worker died while running the job, too many times ({where}); "
                "if it ran out of memory, lower topology.max_points"
            )
            return _flagged(config, message, "worker_died")

    def _restart(self, worker: str) -> None:
        """Restart the worker still running a cancelled job (a no-op without a nanny)."""
        if self.restart_timed_out:
            self.client.restart_workers([worker], timeout=60, raise_for_error=False)

    def close(self) -> None:
        """Disconnect; stop the ``LocalCluster`` if this executor started it (a remote cluster keeps running)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


#: Imported once by the fork server; its workers share these pages instead of importing them each.
WORKER_PRELOAD = ["layertopo.parallel", "gph", "sklearn.neighbors"]


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has imported the engines (POSIX), else spawned.

    Forking this process is unsafe (it may hold torch and its threads), but the fork server is a fresh
    interpreter: it imports numpy, scipy, giotto-ph and scikit-learn once (~190 MiB) and every worker
    forked from it shares those pages copy-on-write, so two workers cost about one worker's imports.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def _announced(
    job: JobFunction, topic: str | None, index: int, X: np.ndarray, labels: np.ndarray | None, config, where: str
) -> JobResult:
    """Runs on a Dask worker: tells the client (event ``topic``) that job ``index`` starts, then runs it."""
    if topic is not None:
        from distributed import get_worker

        worker = get_worker()
        worker.log_event(topic, (index, worker.address))
    return job(X, labels, config, where)


def _name(job: JobFunction) -> str:
    return getattr(job, "__name__", "job").replace("_", "-")


# --- the kept executor ---------------------------------------------------------------------------

_kept: Executor | None = None
_kept_key: tuple[Any, ...] | None = None


def get_executor(config: TopologyConfig, n_jobs: int) -> Executor:
    """The executor ``config.executor`` asks for, kept between calls (replaced when the settings change).

    Parameters
    ----------
    config : ``executor`` ("local" or "dask") and ``dask_address``
    n_jobs : local worker processes, or the size of the Dask ``LocalCluster`` when ``dask_address`` is None
    """
    global _kept, _kept_key
    if config.executor == "local":
        n_jobs = usable_jobs(n_jobs, "topology.n_jobs")
    if config.executor == "dask":
        key: tuple[Any, ...] = ("dask", config.dask_address, n_jobs if config.dask_address is None else None)
    else:
        key = ("local", n_jobs)
    if _kept is None or key != _kept_key:
        close_pool()
        _kept = DaskExecutor(config.dask_address, n_jobs) if key[0] == "dask" else LocalExecutor(n_jobs)
        _kept_key = key
    return _kept


@atexit.register
def close_pool() -> None:
    """Stop the worker processes (pool or Dask cluster) kept between calls; runs at interpreter exit too."""
    global _kept, _kept_key
    if _kept is not None:
        _kept.close()
        _kept, _kept_key = None, None


def run_jobs(
    jobs: Sequence[Job],
    config: TopologyConfig,
    *,
    n_jobs: int = 1,
    on_done: OnDone | None = None,
    job: JobFunction = analyze_cloud,
    executor: Executor | None = None,
) -> list[JobResult]:
    """Run ``job`` (``analyze_cloud``) over ``jobs`` = [(X, labels, where), ...]; results in submission order.

    Parameters
    ----------
    jobs : clouds, their labels (or None) and the ``where`` key that names them in messages
    config : the topology settings; ``config.time_limit`` is the limit in seconds per cloud (None: no limit),
        ``config.executor`` and ``config.dask_address`` choose where jobs run (unless ``executor`` is given)
    n_jobs : worker processes (local pool, or Dask ``LocalCluster``). With the local executor,
        ``n_jobs == 1`` and no time limit, jobs run in this process.
    on_done : called with the job's index as each job finishes (in completion order)
    job : the function run per cloud, a seam for tests; it must be picklable (defined at module level)
    executor : run on this executor instead of the kept one chosen by ``config``

    Returns
    -------
    list of (dgms, rows, seconds), one per job. A job past the time limit gives empty diagrams and rows
    flagged ``timed_out``; one whose worker died gives rows flagged ``worker_died``. Other exceptions
    raised by ``job`` propagate (after the queued jobs are dropped).
    """
    if not jobs:
        return []
    executor = executor or get_executor(config, n_jobs)
    return executor.run(jobs, config, job=job, on_done=on_done)


def run_topology_jobs(
    jobs: list[Job], config: TopologyConfig, cache: dict[str, JobResult], *, job: JobFunction = analyze_cloud
) -> list[JobResult]:
    """Results of ``job`` (``analyze_cloud``) for every job, in order; a cloud identical to one already in
    ``cache`` (same values and labels, e.g. the input layer at every epoch) is computed once."""
    hashes = [_cloud_hash(X, labels, config.maxdim) for X, labels, _ in jobs]
    todo = [h for h in dict.fromkeys(hashes) if h not in cache]
    pending = [jobs[hashes.index(h)] for h in todo]
    for h, result in zip(todo, run_jobs(pending, config, n_jobs=config.n_jobs, job=job), strict=True):
        cache[h] = result
    return [cache[h] for h in hashes]


def run_label_jobs(
    jobs: list[Job], is_class: Sequence[bool], config: TopologyConfig, cache: dict[str, JobResult]
) -> list[JobResult]:
    """``run_topology_jobs`` where the per-class clouds (``is_class``) get ``config.for_classes()`` (H0 only by
    default) and the all-classes clouds ``config``; results in the order of ``jobs``."""
    results: list[JobResult | None] = [None] * len(jobs)
    for flag, settings in ((False, config), (True, config.for_classes())):
        index = [i for i, c in enumerate(is_class) if bool(c) == flag]
        for i, result in zip(index, run_topology_jobs([jobs[i] for i in index], settings, cache), strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


def _cloud_hash(X: np.ndarray, labels: np.ndarray | None, maxdim: int) -> str:
    digest = hashlib.sha1(np.ascontiguousarray(X).view(np.uint8))
    digest.update(f"{X.shape} maxdim={maxdim}".encode())
    if labels is not None:
        digest.update(np.ascontiguousarray(labels).view(np.uint8))
    return digest.hexdigest()
