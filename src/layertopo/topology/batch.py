"""Many clouds at once: the topology job of one cloud, and ``analyze_clouds`` that maps it over an executor.

A job is a plain function of plain values (a cloud, its labels, a ``TopologyConfig``, a ``where`` string for
messages) that never knows whether it runs in a pool; a bad cloud gives rows flagged ``rejected`` instead of an
exception, and a cloud whose worker ran out of time or died gives rows flagged ``timed_out`` or
``worker_died``, so one cloud never stops the others.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from layertopo.config import TopologyConfig
from layertopo.parallel import Died, Done, Executor, InProcess, Outcome, TimedOut
from layertopo.topology.diagrams import diagrams_for_config
from layertopo.topology.fixed_scale import FixedScaleBetti, knn_betti_numbers
from layertopo.topology.summaries import class_margin, summarize
from layertopo.topology.validation import CloudError


@dataclass
class CloudResult:
    """What the topology job gives for one cloud.

    Attributes
    ----------
    dgms : one ``(k, 2)`` array per homology dimension (empty when the cloud has no results)
    rows : one summary dict per homology dimension, with ``error`` ("" when fine) and ``flags``
    seconds : wall time of the job (NaN when it did not run to the end)
    """

    dgms: list[np.ndarray]
    rows: list[dict[str, Any]]
    seconds: float


class Cloud(NamedTuple):
    """One cloud to analyse: ``X (n, d)``, its class labels ``(n,)`` or None, a ``where`` naming it in
    messages, and whether it is a per-class cloud (those get ``config.for_classes()``, H0 only by default)."""

    X: np.ndarray
    labels: np.ndarray | None
    where: str = ""
    per_class: bool = False


JobFunction = Callable[[np.ndarray, np.ndarray | None, TopologyConfig, str], CloudResult]


def analyze_cloud(X: np.ndarray, labels: np.ndarray | None, config: TopologyConfig, where: str = "") -> CloudResult:
    """Diagrams and summary rows of one cloud ``X (n, d)``; a bad cloud gives flagged rows, not an exception."""
    start = time.perf_counter()
    try:
        result = diagrams_for_config(X, config, random_state=0, labels=labels, where=where, keep_distances=True)
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
        rejected = flagged(config, str(exc), "rejected")
        dgms, rows = rejected.dgms, rejected.rows
    return CloudResult(dgms, rows, time.perf_counter() - start)


def diagrams_job(X: np.ndarray, config: TopologyConfig, random_state: int | None, where: str) -> list[np.ndarray]:
    """Only the diagrams of one cloud (``PersistenceDiagrams``'s job, in this process or a worker). It lives here,
    not beside the estimator, so that a worker unpickling it imports this module (which the fork server has
    already imported) and not scikit-learn: that import took each worker 1.3 s and ~120 MiB."""
    return diagrams_for_config(X, config, random_state=random_state, where=where).dgms


def fixed_scale_cloud(X: np.ndarray, labels: np.ndarray | None, config: TopologyConfig, where: str = "") -> CloudResult:
    """Only the fixed-scale Betti numbers of one cloud (``config.knn_k``, ``config.fixed_scale`` hops, up to
    ``config.maxdim``), as one row per dimension with ``betti``, ``k``, ``scale``, ``n_points``, ``n_unique``;
    a bad cloud gives rows flagged ``rejected``. No diagrams (``dgms`` is empty)."""
    if config.fixed_scale is None:
        raise ValueError("fixed_scale_cloud needs topology.fixed_scale (hops), e.g. 2")
    start = time.perf_counter()
    try:
        result = _fixed_scale_betti(X, config, where)
    except CloudError as exc:
        return CloudResult([], flagged(config, str(exc), "rejected").rows, time.perf_counter() - start)
    assert result is not None
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
    return CloudResult([], rows, time.perf_counter() - start)


def _fixed_scale_betti(X: np.ndarray, config: TopologyConfig, where: str) -> FixedScaleBetti | None:
    """The Naitzat et al. Betti numbers of all of ``X`` when ``config.fixed_scale`` asks for them."""
    if config.fixed_scale is None:
        return None
    return knn_betti_numbers(X, k=config.knn_k, scale=config.fixed_scale, maxdim=config.maxdim, where=where)


def flagged(config: TopologyConfig, error: str, flag: str, seconds: float = np.nan) -> CloudResult:
    """Empty diagrams and one row per dimension carrying ``error`` and ``flags``, for a cloud without results."""
    dims = range(config.maxdim + 1)
    return CloudResult(
        [np.empty((0, 2)) for _ in dims], [{"dim": dim, "error": error, "flags": flag} for dim in dims], seconds
    )


def analyze_clouds(
    clouds: Sequence[Cloud | tuple],
    config: TopologyConfig,
    *,
    executor: Executor | None = None,
    cache: dict[str, CloudResult] | None = None,
    time_limit: float | None = None,
    job: JobFunction = analyze_cloud,
    on_done: Callable[[int], None] | None = None,
) -> list[CloudResult]:
    """``job`` (``analyze_cloud``) on every cloud, results in the order of ``clouds``.

    Parameters
    ----------
    clouds : ``Cloud`` (or ``(X, labels, where[, per_class])`` tuples)
    config : what to compute; per-class clouds get ``config.for_classes()``
    executor : where the jobs run (default: this process, one after another)
    cache : results by cloud hash, read and filled: a cloud identical to one already there (same values,
        labels and settings, e.g. the input layer at every epoch) is computed once
    time_limit : seconds per cloud (enforced by pool executors); a cloud past it gives rows flagged
        ``timed_out``, one whose worker died rows flagged ``worker_died``
    job : the function run per cloud (a module-level function: workers import it by name)
    on_done : called with the number of clouds computed so far, as each finishes

    Returns
    -------
    list of CloudResult, one per cloud. Exceptions raised by ``job`` propagate.
    """
    clouds = [Cloud(*cloud) for cloud in clouds]
    cache = {} if cache is None else cache
    settings = [config.for_classes() if cloud.per_class else config for cloud in clouds]
    hashes = [cloud_hash(c.X, c.labels, s.maxdim) for c, s in zip(clouds, settings, strict=True)]
    first: dict[str, int] = {}  # each cloud not computed yet, by the index of its first copy
    for index, h in enumerate(hashes):
        if h not in cache:
            first.setdefault(h, index)
    # the longest jobs first, so that no worker is left with a long one at the end while the others wait
    todo = sorted(first, key=lambda h: _expected_cost(clouds[first[h]].X, settings[first[h]]), reverse=True)
    items = [(clouds[first[h]].X, clouds[first[h]].labels, settings[first[h]], clouds[first[h]].where) for h in todo]
    executor = executor or InProcess()
    for count, (index, outcome) in enumerate(executor.as_completed(job, items, time_limit=time_limit), start=1):
        cache[todo[index]] = _result(outcome, items[index][2], items[index][3])
        if on_done:
            on_done(count)
    return [cache[h] for h in hashes]


def _expected_cost(X: np.ndarray, config: TopologyConfig) -> tuple[int, int]:
    """Orders jobs by their likely cost: the highest homology dimension first, then the points the engine sees."""
    n = len(X) if config.max_points is None else min(len(X), config.max_points)
    return config.maxdim, n


def _result(outcome: Outcome, config: TopologyConfig, where: str) -> CloudResult:
    """The job's result, or flagged rows when its worker ran out of time or died."""
    if isinstance(outcome, Done):
        return outcome.value
    if isinstance(outcome, TimedOut):
        message = (
            f"timed out after {outcome.limit:g} s ({where}); raise execution.time_limit or lower topology.max_points"
        )
        return flagged(config, message, "timed_out", float(outcome.limit))
    assert isinstance(outcome, Died)
    message = f"{outcome.message} ({where}); if it ran out of memory (exit code -9), lower topology.max_points"
    return flagged(config, message, "worker_died")


def cloud_hash(X: np.ndarray, labels: np.ndarray | None, maxdim: int) -> str:
    """A digest of a cloud ``X (n, d)``, its labels and the homology asked for: equal for identical jobs."""
    digest = hashlib.sha1(np.ascontiguousarray(X).view(np.uint8))
    digest.update(f"{X.shape} maxdim={maxdim}".encode())
    if labels is not None:
        digest.update(np.ascontiguousarray(labels).view(np.uint8))
    return digest.hexdigest()
