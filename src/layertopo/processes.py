"""What a worker process does for itself (die with its parent, limit its threads), how many workers a machine
can use, and the error raised when one dies. The processes themselves are started by ``layertopo.parallel``."""

from __future__ import annotations

import multiprocessing
import os


class WorkerDied(RuntimeError):
    """A worker process ended without a result (killed, or out of memory); the message says what to run."""


def workers_did_not_start() -> WorkerDied:
    """The error for a pool whose workers all ended while starting, saying the usual cause and the fix."""
    return WorkerDied(
        "the worker processes ended while starting, before their first item. The usual cause is a script that "
        "asks for workers (n_jobs > 1) at its top level: each worker starts by running the script again. Put that "
        'code under `if __name__ == "__main__":`, or use n_jobs=None to compute in this process.'
    )


def usable_jobs(n_jobs: int, what: str = "n_jobs") -> int:
    """``n_jobs`` capped at the cores this process may use, with a warning when it asks for more: more worker
    processes than cores only add memory and switching (``n_jobs=32`` started 35 processes on 2)."""
    import warnings

    cores = available_cores()
    if n_jobs > cores:
        warnings.warn(f"{what}={n_jobs} but this machine has {cores} cores: using {cores}", stacklevel=2)
        return cores
    return n_jobs


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the process that started it ends, so that a run killed with
    ``kill -9`` leaves no worker behind writing files (they went on for 31 s and lived 300 s before). Run
    first thing in every worker (pool initializers); elsewhere than Linux it does nothing."""
    import ctypes
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


def effective_n_jobs(n_jobs: int | None) -> int:
    """Worker count of an ``n_jobs`` setting, scikit-learn's way: None is 1, -1 every core, -2 all but one."""
    if n_jobs is None:
        return 1
    if n_jobs == 0:
        raise ValueError("n_jobs=0 runs nothing: use None (this process), a positive count or -1 (every core)")
    cores = available_cores()
    return n_jobs if n_jobs > 0 else max(cores + 1 + n_jobs, 1)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform has one, else every core)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
