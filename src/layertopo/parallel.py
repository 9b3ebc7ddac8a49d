"""Where work runs: the only module of layertopo that starts processes.

An ``Executor`` maps a plain function over argument tuples and says, per item, how it ended: ``Done`` (its
value), ``TimedOut`` or ``Died``. What the function computes is not its business: it imports nothing from
topology, training or config. Three executors:

``InProcess`` (``n_jobs=None``, the library's default)
    Items run one after another in the calling process, like scikit-learn's ``n_jobs=None``: no pool, no
    ``__main__`` guard needed, nothing left running. It cannot stop a job: ``time_limit`` is not enforced.

``LocalPool`` (``n_jobs >= 1`` worker processes)
    A pebble ``ProcessPool``. The PH engines are C++ that ignores signals and can run for minutes or allocate
    until the OS steps in, so an item past ``time_limit`` has its worker killed and replaced (``TimedOut``); a
    worker that dies (killed, out of memory) gives ``Died`` and the pool goes on. Workers are forked from a
    fork server (a fresh interpreter that imported the topology code once; the caller, which may hold torch and
    its threads, is never forked), die with the caller, and run BLAS/OpenMP at ``cores // n_jobs`` threads.
    They stay up between ``map`` calls until ``close`` (or a ``with`` block's end), which also stops the fork
    server if this pool started it.

``DaskExecutor`` (a scheduler address, or a ``LocalCluster`` started here)
    Items are submitted with their data, so the function must be importable by the workers. Dask can only
    time a task out on the client side: an item that has *run* longer than ``time_limit`` is ``TimedOut``,
    cancelled, and its worker restarted (a restart needs a nanny, which ``LocalCluster`` and ``dask worker``
    have). A worker that dies is restarted by its nanny and the item retried; after
    ``distributed.scheduler.allowed-failures`` deaths the item is ``Died``.

An exception raised by the function itself is a bug: it propagates (after the queued items are dropped).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Future
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from layertopo.processes import available_cores, effective_n_jobs, usable_jobs, worker_setup, workers_did_not_start

if TYPE_CHECKING:
    from distributed import Client, LocalCluster


@dataclass(frozen=True)
class Done:
    """The item finished; ``value`` is what the function returned."""

    value: Any


@dataclass(frozen=True)
class TimedOut:
    """The item ran past ``limit`` seconds and its worker was stopped."""

    limit: float


@dataclass(frozen=True)
class Died:
    """The item's worker ended without a result; ``message`` says how (exit code, or Dask's report)."""

    message: str


Outcome = Done | TimedOut | Died

#: Imported once by the fork server, whose workers share these pages; not scikit-learn (engines.giotto_core)
WORKER_PRELOAD = ["layertopo.topology.batch"]


class Executor:
    """Maps a function over argument tuples somewhere; a context manager that stops its workers on exit."""

    #: how many items run at once
    n_workers: int = 1

    def as_completed(
        self, function: Callable[..., Any], items: Sequence[tuple], *, time_limit: float | None = None
    ) -> Iterator[tuple[int, Outcome]]:
        """``(index, outcome)`` of ``function(*items[index])`` for every item, in completion order.

        Worker executors submit every item when called, so the caller can work while they compute and read
        the outcomes later; ``InProcess`` computes each item as it is read.

        Parameters
        ----------
        function : a module-level function (worker processes import it by name)
        items : the argument tuples, one per call
        time_limit : seconds an item may run (None: no limit)
        """
        raise NotImplementedError

    def map(
        self,
        function: Callable[..., Any],
        items: Sequence[tuple],
        *,
        time_limit: float | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> list[Outcome]:
        """The outcomes of ``function(*item)`` in the order of ``items``; ``on_done(index)`` as each finishes."""
        outcomes: dict[int, Outcome] = {}
        for index, outcome in self.as_completed(function, items, time_limit=time_limit):
            outcomes[index] = outcome
            if on_done:
                on_done(index)
        return [outcomes[i] for i in range(len(items))]

    def close(self) -> None:
        """Stop the workers this executor started (it can be used again afterwards)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InProcess(Executor):
    """Every item in the calling process, in order; ``time_limit`` is not enforced."""

    def as_completed(
        self, function: Callable[..., Any], items: Sequence[tuple], *, time_limit: float | None = None
    ) -> Iterator[tuple[int, Outcome]]:
        for index, args in enumerate(items):
            yield index, Done(function(*args))


class LocalPool(Executor):
    """A pool of ``n_workers`` worker processes on this machine, started on first use and kept until ``close``.

    Parameters
    ----------
    n_workers : worker processes (capped, with a warning, at the cores this process may use)
    start : "forkserver" (where available; else "spawn") or "spawn"
    """

    def __init__(self, n_workers: int, *, start: Literal["forkserver", "spawn"] = "forkserver"):
        self.n_workers = usable_jobs(n_workers)
        self.start = start
        self._pool: Any = None
        self._pending: set[Future] = set()  # scheduled and not yet read: cancelled by close()

    def as_completed(
        self, function: Callable[..., Any], items: Sequence[tuple], *, time_limit: float | None = None
    ) -> Iterator[tuple[int, Outcome]]:
        if not items:
            return iter(())
        pool = self._get_pool()
        futures = {pool.schedule(function, args=args, timeout=time_limit): i for i, args in enumerate(items)}
        self._pending |= set(futures)
        return self._collect(futures, time_limit)

    def _collect(self, futures: dict[Future, int], time_limit: float | None) -> Iterator[tuple[int, Outcome]]:
        try:
            for future in futures_completed(futures):
                self._pending.discard(future)
                yield futures[future], _pool_outcome(future, time_limit)
        finally:  # a bug, an interrupt or a caller that stopped reading: drop this call's items (not the pool)
            for future in futures:
                future.cancel()  # pebble stops the worker of a running item and starts another
                self._pending.discard(future)

    def _get_pool(self) -> Any:
        """The kept pool, (re)started when missing or broken."""
        from pebble import ProcessPool

        if self._pool is None or not self._pool.active:
            self.close()
            threads = max(available_cores() // self.n_workers, 1)  # like joblib: no oversubscription
            context = _context(self.start)
            if context.get_start_method() == "forkserver":
                _SERVER["started"] |= getattr(_fork_server(), "_forkserver_pid", 0) is None
                _SERVER["pools"].add(id(self))
            self._pool = ProcessPool(
                max_workers=self.n_workers, context=context, initializer=worker_setup, initargs=(threads,)
            )
        return self._pool

    def close(self) -> None:
        """Stop the workers; the last pool to close stops the fork server if a pool started it (~80 MiB)."""
        for future in list(self._pending):  # items still awaited by a reader: they end as cancelled
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None
        if id(self) in _SERVER["pools"]:
            _SERVER["pools"].discard(id(self))
            # the server's children die with it, and it waits for them: stop it only when nothing uses it
            if not _SERVER["pools"] and _SERVER["started"] and not multiprocessing.active_children():
                stop = getattr(_fork_server(), "_stop", None)  # CPython's own (private) way; absent: it idles
                if stop is not None:
                    stop()
                _SERVER["started"] = False


#: the pools whose workers come from the fork server, and whether one of them started it
_SERVER: dict[str, Any] = {"pools": set(), "started": False}


def _pool_outcome(future: Future, time_limit: float | None) -> Outcome:
    """The item's value, or how its worker ended; an exception raised by the function propagates."""
    from pebble import ProcessExpired

    try:
        return Done(future.result())
    except CancelledError:
        raise RuntimeError("the executor was closed while this item was pending; use it before closing it") from None
    except TimeoutError as exc:
        if hasattr(exc, "traceback") or time_limit is None:  # raised by the function itself, not pebble's timer
            raise
        return TimedOut(time_limit)
    except ProcessExpired as exc:
        return Died(f"worker process died with exit code {exc.exitcode}")
    except BrokenExecutor as exc:  # every worker ended before it could take an item
        raise workers_did_not_start() from exc


def _fork_server() -> Any:
    """The interpreter's fork server object (started on first use by a pool with the forkserver context)."""
    from multiprocessing import forkserver

    return getattr(forkserver, "_forkserver", None)


def _context(start: str) -> multiprocessing.context.BaseContext:
    """A fork server that has imported ``WORKER_PRELOAD`` (its children share those ~80 MiB), else spawn."""
    if start != "forkserver" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


class DaskExecutor(Executor):
    """Items on a Dask cluster: the scheduler at ``address``, or a ``LocalCluster`` started here.

    Parameters
    ----------
    address : a scheduler address such as ``"tcp://10.0.0.5:8786"``; None starts a ``LocalCluster`` of
        ``n_workers`` processes with one thread each (BLAS/OpenMP threads: 1, Dask's default for workers)
    n_workers : worker processes of the ``LocalCluster`` (ignored with an address)
    restart_timed_out : restart the worker of an item past its time limit (else it stays busy with it)
    poll : seconds between checks of the running items' time limits
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
                    "execution.executor=dask needs dask.distributed: pip install 'layertopo[dask]'"
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
                        f"cannot reach the Dask scheduler at {self.address} (execution.dask_address): {exc}"
                    ) from None
        return self._client

    def as_completed(
        self, function: Callable[..., Any], items: Sequence[tuple], *, time_limit: float | None = None
    ) -> Iterator[tuple[int, Outcome]]:
        if not items:
            return iter(())
        client, token = self.client, uuid.uuid4().hex[:12]
        topic = f"layertopo-started-{token}" if time_limit is not None else None
        started: dict[int, tuple[float, str]] = {}  # index -> (time.monotonic() when seen starting, worker)
        if topic is not None:
            # Subscribed before submitting: the client's messages reach the scheduler in order.
            def seen_starting(event: tuple[float, Any]) -> None:  # a retried item's clock starts again
                index, worker = event[1]
                started[index] = (time.monotonic(), worker)

            client.subscribe_topic(topic, seen_starting)
        name = getattr(function, "__name__", "job").replace("_", "-")
        futures = {
            client.submit(_announced, function, topic, i, args, key=f"{name}-{token}-{i}", pure=False): i
            for i, args in enumerate(items)
        }
        return self._collect(futures, started, topic, time_limit)

    def _collect(
        self,
        futures: dict[Any, int],
        started: dict[int, tuple[float, str]],
        topic: str | None,
        time_limit: float | None,
    ) -> Iterator[tuple[int, Outcome]]:
        from distributed import as_completed as dask_completed

        client, done = self.client, set()
        finished = dask_completed(list(futures), loop=client.loop)
        try:
            while len(done) < len(futures):
                batch = finished.next_batch(block=time_limit is None)
                for future in batch:
                    if (i := futures[future]) not in done:  # else: timed out and cancelled already
                        done.add(i)
                        yield i, _dask_outcome(future)
                if time_limit is None:
                    continue
                now = time.monotonic()
                for future, i in futures.items():
                    if i not in done and i in started and now - started[i][0] > time_limit:
                        future.cancel()
                        done.add(i)
                        self._restart(started[i][1])
                        yield i, TimedOut(time_limit)
                if not batch:
                    time.sleep(self.poll)
        finally:
            if len(done) < len(futures):
                client.cancel([f for f, i in futures.items() if i not in done])
            if topic is not None:
                client.unsubscribe_topic(topic)

    def _restart(self, worker: str) -> None:
        """Restart the worker still running a cancelled item (a no-op without a nanny)."""
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


def _dask_outcome(future: Any) -> Outcome:
    from distributed import KilledWorker

    try:
        return Done(future.result())
    except KilledWorker:
        return Died("the Dask workers running it died too many times")


def _announced(function: Callable[..., Any], topic: str | None, index: int, args: tuple) -> Any:
    """Runs on a Dask worker: tells the client (event ``topic``) that item ``index`` starts, then runs it."""
    if topic is not None:
        from distributed import get_worker

        worker = get_worker()
        worker.log_event(topic, (index, worker.address))
    return function(*args)


def get_executor(
    n_jobs: int | None = None,
    *,
    time_limit: float | None = None,
    kind: Literal["local", "dask"] = "local",
    address: str | None = None,
) -> Executor:
    """The executor for these settings: ``InProcess`` for ``n_jobs=None`` (whatever the time limit: it is then
    not enforced) or 1 without a time limit, else a ``LocalPool`` of ``n_jobs`` workers (-1: every core); with
    ``kind="dask"`` a ``DaskExecutor`` (``address``, or a ``LocalCluster`` of ``n_jobs`` workers).

    Use it as a context manager (``with get_executor(2) as executor: ...``) so that its workers stop.
    """
    if kind == "dask":
        return DaskExecutor(address, effective_n_jobs(n_jobs))
    if n_jobs is None:
        return InProcess()
    workers = effective_n_jobs(n_jobs)
    if workers == 1 and time_limit is None:
        return InProcess()
    return LocalPool(workers)
