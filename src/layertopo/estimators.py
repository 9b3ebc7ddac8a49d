"""A scikit-learn transformer: point clouds in, persistence diagrams out.

``PersistenceDiagrams`` wraps ``layertopo.topology.persistence_diagrams`` so that it can be the first
step of an ``sklearn.pipeline.Pipeline`` (followed by a step that turns diagrams into features).
Following scikit-learn (and giotto-tda): ``__init__`` only stores parameters, ``fit`` validates them,
``transform`` computes; bad clouds are reported together ("entry 3: ...").
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import numpy as np
from joblib import effective_n_jobs
from pydantic import ValidationError
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from layertopo.config import TopologyConfig
from layertopo.topology import CloudError, check_cloud
from layertopo.topology.diagrams import diagrams_for_config


class PersistenceDiagrams(TransformerMixin, BaseEstimator):
    """Vietoris-Rips persistence diagrams of each point cloud of a collection.

    Parameters
    ----------
    maxdim : int
        Highest homology dimension (0, 1 or 2).
    max_points : int, optional
        Subsample each cloud to at most this many points (None: use every point).
    metric : {"euclidean", "cosine", "knn_hops", "knn_geodesic"}
    engine : {"auto", "ripser", "giotto", "gudhi"}
    subsample : {"maxmin", "random"}
    knn_k : int
        Neighbours of the k-NN graph for the ``knn_*`` metrics.
    random_state : int, optional
        Seeds the subsampling.
    n_jobs : int, optional
        Worker processes over the clouds (-1: every core); None or 1 computes them in this process. The
        workers are the pipeline's (``layertopo.parallel``) and are stopped before ``transform`` returns.

    Attributes
    ----------
    config_ : TopologyConfig
        The validated settings (set by ``fit``).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> pipe = make_pipeline(PersistenceDiagrams(maxdim=1, max_points=200), Vectoriser(), LogisticRegression())
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        maxdim: int = 1,
        max_points: int | None = None,
        metric: str = "euclidean",
        engine: str = "auto",
        subsample: str = "maxmin",
        knn_k: int = 14,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.maxdim = maxdim
        self.max_points = max_points
        self.metric = metric
        self.engine = engine
        self.subsample = subsample
        self.knn_k = knn_k
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Sequence[np.ndarray], y: object = None) -> PersistenceDiagrams:
        """Validate the parameters and the clouds; nothing is learnt.

        Parameters
        ----------
        X : sequence of n_clouds array_like of shape (n_points_i, n_features_i), or ndarray of shape
            (n_clouds, n_points, n_features)
        y : ignored

        Returns
        -------
        self
        """
        try:
            self.config_ = TopologyConfig(
                maxdim=self.maxdim,
                max_points=self.max_points,
                metric=self.metric,
                engine=self.engine,
                subsample=self.subsample,
                knn_k=self.knn_k,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})" for e in exc.errors()
            )
            raise ValueError(f"invalid PersistenceDiagrams parameters: {problems}") from None
        _check_clouds(X)
        return self

    def transform(self, X: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Persistence diagrams of each cloud.

        Parameters
        ----------
        X : sequence of n_clouds array_like of shape (n_points_i, n_features_i)

        Returns
        -------
        list of n_clouds lists of ndarray of shape (k, 2)
            For each cloud, its diagrams in dimensions 0..maxdim (float64, ``inf`` deaths for essential
            classes), the ``ripser`` convention.
        """
        check_is_fitted(self, "config_")
        clouds = _check_clouds(X)
        n_jobs = effective_n_jobs(self.n_jobs)  # scikit-learn's convention: None is 1, -1 every core
        if n_jobs == 1:
            return [self._diagrams(cloud, i) for i, cloud in enumerate(clouds)]
        from layertopo.parallel import close_pool, run_jobs

        # the pipeline's worker pool (forked from a server that imported the engines once), closed before returning
        jobs = [(cloud, None, f"entry {i}") for i, cloud in enumerate(clouds)]
        settings = self.config_.model_copy(update={"time_limit": None})
        try:
            job = partial(_diagrams_job, random_state=self.random_state)
            results = run_jobs(jobs, settings, n_jobs=n_jobs, job=job)
        finally:
            close_pool()
        return [dgms for dgms, _, _ in results]

    def _diagrams(self, cloud: np.ndarray, index: int) -> list[np.ndarray]:
        return diagrams_for_config(cloud, self.config_, random_state=self.random_state, where=f"entry {index}").dgms


def _diagrams_job(
    X: np.ndarray, labels: None, config: TopologyConfig, where: str, *, random_state: int | None
) -> tuple[list[np.ndarray], list, float]:
    """One cloud's diagrams, as a job of ``layertopo.parallel.run_jobs`` (runs in a worker process)."""
    start = time.perf_counter()
    dgms = diagrams_for_config(X, config, random_state=random_state, where=where).dgms
    return dgms, [], time.perf_counter() - start


def _check_clouds(X: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The clouds as float64 arrays; every bad one is reported in a single ValueError ("entry 3: ...")."""
    if isinstance(X, np.ndarray) and X.ndim == 2:
        raise ValueError(
            f"expected a collection of point clouds, got one array of shape {X.shape}; pass [X] for a single cloud"
        )
    clouds, errors = [], []
    for i, cloud in enumerate(X):
        try:
            check_cloud(cloud, where=f"entry {i}")
            clouds.append(np.asarray(cloud, dtype=np.float64))
        except CloudError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError(f"{len(errors)} of {len(clouds) + len(errors)} clouds are invalid: " + "; ".join(errors))
    if not clouds:
        raise ValueError("expected at least one point cloud, got an empty collection")
    return clouds
