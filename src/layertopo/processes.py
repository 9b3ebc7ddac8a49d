"""Pure functions mapped over spawned worker processes, for the run's stages that are not topology jobs.

Spawned (not forked) so that a parent that has started torch's threads cannot deadlock a child; results
come back in submission order. ``n_jobs=1`` runs everything in the calling process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class WorkerDied(RuntimeError):
    """A worker process ended without a result (killed, or out of memory); the message says what to run."""


def usable_jobs(n_jobs: int, what: str = "n_jobs") -> int:
    """``n_jobs`` capped at the cores this process may use, with a warning when it asks for more: more worker
    processes than cores only add memory and switching (``topology.n_jobs=32`` started 35 processes on 2)."""
    import os
    import warnings

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_jobs > cores:
        warnings.warn(f"{what}={n_jobs} but this machine has {cores} cores: using {cores}", stacklevel=2)
        return cores
    return n_jobs


def map_in_processes(function: Callable, jobs: list[tuple], n_jobs: int) -> list:
    """``[function(*job) for job in jobs]`` in ``n_jobs`` spawned processes, in order.

    Parameters
    ----------
    function : a module-level function (it is pickled by name)
    jobs : the argument tuples, one per call
    n_jobs : worker processes; 1 (or a single job) runs in this process
    """
    n_jobs = usable_jobs(n_jobs)
    if n_jobs == 1 or len(jobs) <= 1:
        return [function(*job) for job in jobs]
    from pebble import ProcessExpired

    with process_pool(n_jobs) as pool:
        futures = [pool.schedule(function, args=job) for job in jobs]
        try:
            return [future.result() for future in futures]
        except ProcessExpired as exc:
            raise WorkerDied(
                f"a worker process died (exit code {exc.exitcode}: killed, or out of memory) while running "
                f"{getattr(function, '__name__', function)}"
            ) from exc


@contextmanager
def process_pool(n_jobs: int) -> Iterator[Any]:
    """A pebble ``ProcessPool`` of ``n_jobs`` spawned workers, closed and joined on exit."""
    from pebble import ProcessPool

    context = multiprocessing.get_context("spawn")
    # one BLAS thread per worker: n_jobs workers already use the cores, and with a thread pool per worker on
    # top, linear probes mapped over two workers took 74 s against 13 s
    with ProcessPool(max_workers=usable_jobs(n_jobs), context=context, initializer=worker_setup) as pool:
        yield pool


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the process that started it ends, so that a run killed with
    ``kill -9`` leaves no worker behind writing files (they went on for 31 s and lived 300 s before). Run
    first thing in every worker (pool initializers); elsewhere than Linux it does nothing."""
    import ctypes
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()  # the run's process (a fork server's children too)
    if parent is not None and not parent.is_alive():  # it died before the call above
        os._exit(1)


def worker_setup(threads: int = 1) -> None:
    """Pool initializer: die with the parent, and BLAS/OpenMP at ``threads`` threads."""
    from threadpoolctl import threadpool_limits

    die_with_parent()
    threadpool_limits(threads)
