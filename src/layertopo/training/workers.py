"""Several trainings at once, through an executor: workers train, this process records the results.

Workers only compute (and may write files of their own unit); the caller records each result as it
arrives, so bookkeeping such as a run's manifest is written by one process only. Training is seeded
and runs on one CPU thread per process, so a unit gives the same numbers in a worker as here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from layertopo.parallel import Died, Done, Executor, TimedOut
from layertopo.processes import WorkerDied


class TrainingWorkerDied(WorkerDied):
    """A training worker process ended without a result (killed, or out of memory)."""


def train_units(
    function: Callable[..., Any],
    units: Sequence[tuple],
    executor: Executor,
    *,
    label: Callable[[tuple], str] = str,
    on_death: str = "",
) -> Iterator[tuple[tuple, Any]]:
    """``(unit, function(*unit))`` for every unit, in completion order.

    Parameters
    ----------
    function : a module-level function (workers import it by name)
    units : argument tuples, one per training
    executor : where the trainings run (``layertopo.parallel``; no time limit)
    label : names a unit in messages
    on_death : appended to the error raised when a worker dies, e.g. how to resume

    Raises
    ------
    TrainingWorkerDied
        After every other unit has finished and been handed back: a worker ended without a result; the
        message names the units without one.
    """
    lost: list[str] = []
    for index, outcome in executor.as_completed(function, units):
        if isinstance(outcome, Done):
            yield units[index], outcome.value
        else:
            assert isinstance(outcome, Died | TimedOut)
            lost.append(label(units[index]))
    if lost:
        raise TrainingWorkerDied(
            f"a training worker process died (killed, or out of memory) while training {lost}. {on_death}"
        )
