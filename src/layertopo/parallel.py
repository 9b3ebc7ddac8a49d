"""Where topology jobs run. A job is a pure function of (cloud, labels, TopologyConfig).

``analyze_cloud`` is the job; ``run_jobs`` maps it over many clouds with joblib processes
(``n_jobs`` workers, results in submission order so runs are reproducible).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layertopo.config import TopologyConfig
from layertopo.topology import CloudError, persistence_diagrams, summarize

Job = tuple[np.ndarray, np.ndarray | None, str]
JobResult = tuple[list[np.ndarray], list[dict[str, Any]], float]


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
            where=where,
        )
        rows = summarize(result, config.significance, labels)
        for row in rows:
            row["error"] = ""
        dgms = result.dgms
    except CloudError as exc:
        dgms = [np.empty((0, 2)) for _ in range(config.maxdim + 1)]
        rows = [{"dim": dim, "error": str(exc), "flags": "rejected"} for dim in range(config.maxdim + 1)]
    return dgms, rows, time.perf_counter() - start


def run_jobs(
    jobs: Sequence[Job],
    config: TopologyConfig,
    *,
    n_jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> list[JobResult]:
    """Run ``analyze_cloud`` over ``jobs`` = [(X, labels, where), ...], in order.

    ``n_jobs > 1`` uses joblib's process pool (loky); each worker runs single-threaded engines.
    ``on_done(i)`` is called as each result arrives.
    """
    if n_jobs == 1 or len(jobs) <= 1:
        results = []
        for i, (X, labels, where) in enumerate(jobs):
            results.append(analyze_cloud(X, labels, config, where))
            if on_done:
                on_done(i)
        return results
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")
    results = []
    for i, result in enumerate(parallel(delayed(analyze_cloud)(X, labels, config, where) for X, labels, where in jobs)):
        results.append(result)
        if on_done:
            on_done(i)
    return results
