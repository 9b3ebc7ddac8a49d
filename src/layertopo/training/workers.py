"""Several trainings at once: each in a spawned worker process, results handed back to this one.

Workers only compute (and may write files of their own unit); the caller records each result as it
arrives, so bookkeeping such as a run's manifest is written by one process only. Training is seeded
and runs on one CPU thread per process, so a unit gives the same numbers in a worker as here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from layertopo.processes import WorkerDied, die_with_parent, usable_jobs


class TrainingWorkerDied(WorkerDied):
    """A training worker process ended without a result (killed, or out of memory)."""


def train_units(
    function: Callable[..., Any],
    units: Sequence[tuple],
    n_jobs: int,
    *,
    label: Callable[[tuple], str] = str,
    on_death: str = "",
) -> Iterator[tuple[tuple, Any]]:
    """``(unit, function(*unit))`` for every unit, in completion order.

    Parameters
    ----------
    function : a module-level function (workers import it by name)
    units : argument tuples, one per training
    n_jobs : worker processes; with 1 (or one unit) everything runs in this process, in order
    label : names a unit in messages
    on_death : appended to the error raised when a worker dies, e.g. how to resume

    Raises
    ------
    TrainingWorkerDied
        A worker ended without a result; the message names the units without one.
    """
    n_jobs = min(usable_jobs(n_jobs, "training.n_jobs"), len(units))
    if n_jobs <= 1:
        for unit in units:
            yield unit, function(*unit)
        return
    context = multiprocessing.get_context("spawn")  # the caller may hold torch and its threads: never fork it
    finished: set[int] = set()
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=context, initializer=die_with_parent) as pool:
        futures = {pool.submit(function, *unit): i for i, unit in enumerate(units)}
        try:
            for future in as_completed(futures):
                i = futures[future]
                result = future.result()
                finished.add(i)
                yield units[i], result
        except BrokenProcessPool as exc:
            unfinished = [label(units[i]) for i in range(len(units)) if i not in finished]
            raise TrainingWorkerDied(
                f"a training worker process died (killed, or out of memory) while training {unfinished}. {on_death}"
            ) from exc
