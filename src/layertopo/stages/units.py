"""Units of work and the one runner that executes them: resume, progress and the executor.

A unit is one (stage, model, seed[, epoch]) of a run. It is finished when the manifest lists its mark
(``"topology/good/0/5"``) and every file it wrote can be read; a resumed run skips finished units and
computes the others. Workers compute; only this process writes the manifest, in completion order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layertopo.parallel import Done, Executor
from layertopo.processes import WorkerDied
from layertopo.store import RunStore, readable

#: progress(stage, done, total)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Unit:
    """One piece of a stage: ``stage`` is train, topology, distances, projections or probes."""

    stage: str
    model: str
    seed: int
    epoch: int | None = None

    @property
    def mark(self) -> str:
        """The unit's name in the manifest's ``finished`` list."""
        parts = [self.stage, self.model, str(self.seed)] + ([] if self.epoch is None else [str(self.epoch)])
        return "/".join(parts)


#: compute(todo) yields (unit, result) for every unit of ``todo``, in completion order
Compute = Callable[[list[Unit]], Iterator[tuple[Unit, Any]]]


def pending(store: RunStore, units: list[Unit], outputs: Callable[[Unit], list[Path]]) -> list[Unit]:
    """The units not finished: not marked in the manifest, or with an output that cannot be read."""
    finished = set(store.read_manifest().get("finished", []))
    return [u for u in units if not (u.mark in finished and all(readable(p) for p in outputs(u)))]


def computed_on(
    executor: Executor, function: Callable[..., Any], todo: list[Unit], items: list[tuple], store: RunStore
) -> Iterator[tuple[Unit, Any]]:
    """``(unit, function(*item))`` for each unit of ``todo`` and its item, on ``executor``, in completion order
    (a ``compute`` for ``run_units``). A worker that ends without a result stops the stage with ``WorkerDied``
    naming the unit; the units finished before it are kept."""
    for index, outcome in executor.as_completed(function, items):
        if not isinstance(outcome, Done):
            raise WorkerDied(
                f"the worker computing {todo[index].mark} ended without a result ({outcome}); finished units are "
                f"kept: continue with layertopo run --resume {store.root}"
            )
        yield todo[index], outcome.value


def computed_in_parts(
    executor: Executor, function: Callable[..., Any], todo: list[Unit], parts: list[list[tuple]], store: RunStore
) -> Iterator[tuple[Unit, list[Any]]]:
    """``(unit, [function(*item) for item in parts[i]])`` for each unit ``todo[i]``, once all its parts are done
    (a ``compute`` for ``run_units``). Jobs smaller than whole units keep the workers evenly busy to the end:
    every unit's first part is scheduled before any second part, so put the longest part first. A worker that
    ends without a result stops the stage as in ``computed_on``."""
    jobs = [(i, k) for k in range(max(map(len, parts), default=0)) for i in range(len(todo)) if k < len(parts[i])]
    done: list[dict[int, Any]] = [{} for _ in todo]
    for index, outcome in executor.as_completed(function, [parts[i][k] for i, k in jobs]):
        i, k = jobs[index]
        if not isinstance(outcome, Done):
            raise WorkerDied(
                f"the worker computing {todo[i].mark} ended without a result ({outcome}); finished units are "
                f"kept: continue with layertopo run --resume {store.root}"
            )
        done[i][k] = outcome.value
        if len(done[i]) == len(parts[i]):
            yield todo[i], [done[i][k] for k in range(len(parts[i]))]


def run_units(
    store: RunStore,
    stage: str,
    units: list[Unit],
    *,
    outputs: Callable[[Unit], list[Path]],
    compute: Compute,
    save: Callable[[Unit, Any], None],
    progress: Progress | None = None,
) -> None:
    """Compute and save every unfinished unit of ``units``, marking each finished as soon as it is saved.

    Parameters
    ----------
    store : the run folder
    stage : the stage's name for ``progress``
    units : every unit of the stage, in order
    outputs : the files a unit writes (all readable = finished)
    compute : yields ``(unit, result)`` for the units it is given, in completion order
    save : writes a unit's result (atomic writes)
    progress : called as ``progress(stage, done, total)``
    """
    todo = pending(store, units, outputs)
    done = len(units) - len(todo)
    if progress:
        progress(stage, done, len(units))
    for unit, result in compute(todo):
        save(unit, result)
        store.mark_done(unit.mark)
        done += 1
        if progress:
            progress(stage, done, len(units))
