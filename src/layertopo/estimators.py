"""scikit-learn transformers: point clouds to persistence diagrams, diagrams to features.

``PersistenceDiagrams`` wraps ``layertopo.topology.persistence_diagrams`` so that it can be the first
step of an ``sklearn.pipeline.Pipeline``; ``DiagramStatistics`` turns its diagrams into a feature table
(counts, significant bars, persistence, entropy, Betti-curve samples) for any estimator after it.
Following scikit-learn (and giotto-tda): ``__init__`` only stores parameters, ``fit`` validates them,
``transform`` computes; bad clouds are reported together ("entry 3: ...").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import ValidationError
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from layertopo.config import SignificanceConfig, TopologyConfig
from layertopo.processes import WorkerDied
from layertopo.topology import CloudError
from layertopo.topology.batch import cloud_hash, diagrams_job
from layertopo.topology.distances import check_diagram
from layertopo.topology.significance import significant_bars, universal_null_pvalues
from layertopo.topology.summaries import betti_curve, diagram_statistics
from layertopo.topology.validation import check_points


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
    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = make_pipeline(PersistenceDiagrams(maxdim=1, max_points=200), DiagramStatistics(), LogisticRegression())
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
        X : sequence of n_clouds array_like of shape (n_points_i, n_features_i)
            The clouds (an ndarray of shape (n_clouds, n_points, n_features) is one too).
        y : None
            Ignored.

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
            raise _invalid_parameters(self, exc) from None
        _check_clouds(X)
        return self

    def transform(self, X: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Persistence diagrams of each cloud.

        Parameters
        ----------
        X : sequence of n_clouds array_like of shape (n_points_i, n_features_i)
            The clouds.

        Returns
        -------
        list of n_clouds lists of ndarray of shape (k, 2)
            For each cloud, its diagrams in dimensions 0..maxdim (float64, ``inf`` deaths for essential
            classes), the ``ripser`` convention. Identical clouds are computed once (each gets its own arrays).
        """
        check_is_fitted(self, "config_")
        clouds = _check_clouds(X)
        from layertopo.parallel import Done, get_executor

        first: dict[str, int] = {}  # identical clouds (e.g. one layer's input at every epoch) are computed once
        copies = [first.setdefault(cloud_hash(cloud, None, self.maxdim), i) for i, cloud in enumerate(clouds)]
        todo = sorted(first.values(), key=lambda i: len(clouds[i]), reverse=True)  # the longest first
        items = [(clouds[i], self.config_, self.random_state, f"entry {i}") for i in todo]
        with get_executor(self.n_jobs) as executor:  # None: this process; else workers, stopped before returning
            outcomes = executor.map(diagrams_job, items)
        for (_, _, _, where), outcome in zip(items, outcomes, strict=True):
            if not isinstance(outcome, Done):
                raise WorkerDied(f"the worker computing the diagrams of {where} ended without a result ({outcome})")
        computed = {i: outcome.value for i, outcome in zip(todo, outcomes, strict=True)}
        return [computed[j] if i == j else [d.copy() for d in computed[j]] for i, j in enumerate(copies)]


def _check_clouds(X: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The clouds as float64 arrays; every bad one is reported in a single ValueError ("entry 3: ...")."""
    if isinstance(X, np.ndarray) and X.ndim == 2:
        raise ValueError(
            f"expected a collection of point clouds, got one array of shape {X.shape}; pass [X] for a single cloud"
        )
    clouds, errors = [], []
    for i, cloud in enumerate(X):
        try:
            clouds.append(check_points(cloud, where=f"entry {i}"))
        except CloudError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError(f"{len(errors)} of {len(clouds) + len(errors)} clouds are invalid: " + "; ".join(errors))
    if not clouds:
        raise ValueError("expected at least one point cloud, got an empty collection")
    return clouds


class DiagramStatistics(TransformerMixin, BaseEstimator):
    """A fixed-length feature row per cloud from its persistence diagrams (e.g. ``PersistenceDiagrams``'s).

    For each homology dimension ``d`` kept, the columns are (in this order):

    * ``h{d}_bars``: number of bars; ``h{d}_essential``: bars that never die;
    * ``h{d}_significant`` (``d >= 1`` only): significant bars by the universal-null rule of
      ``layertopo.topology.significance`` (``alpha``, ``ratio_min``). H0 significance needs the points
      (single-linkage merges), not only the diagram: use ``layertopo.analyze`` for it;
    * ``h{d}_total_persistence``, ``h{d}_max_persistence``: sum and maximum of the finite lifetimes;
    * ``h{d}_entropy``: Shannon entropy of the finite lifetimes normalised to sum 1, in nats (natural
      logarithm), 0 with fewer than two bars;
    * ``h{d}_betti_{i}``: the Betti curve (bars alive, ``birth <= t < death``) at ``n_bins`` scales from 0
      to the largest finite death seen by ``fit`` in that dimension (``scales_``).

    Parameters
    ----------
    n_bins : int
        Samples of each Betti curve (0 for none).
    alpha : float
        Family-wise level of the H1+ significance test (Bonferroni over the finite bars).
    ratio_min : float
        Death/birth ratio from which an H1+ bar is significant.

    Attributes
    ----------
    n_dims_ : int
        Homology dimensions of the diagrams seen by ``fit`` (0..n_dims_-1).
    scales_ : ndarray of shape (n_dims_, n_bins)
        Scales of the Betti-curve samples.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> pipe = make_pipeline(PersistenceDiagrams(maxdim=1), DiagramStatistics(), LogisticRegression())
    >>> # cross_val_score(pipe, clouds, labels): see examples/digits_pipeline.py
    """

    def __init__(self, n_bins: int = 10, alpha: float = 0.05, ratio_min: float = 3.5) -> None:
        self.n_bins = n_bins
        self.alpha = alpha
        self.ratio_min = ratio_min

    def fit(self, X: Sequence[Sequence[np.ndarray]], y: object = None) -> DiagramStatistics:
        """Learn the number of dimensions and the Betti-curve scales.

        Parameters
        ----------
        X : sequence of n_clouds sequences of ndarray of shape (k, 2)
            Each cloud's diagrams, one per dimension 0..maxdim.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        try:
            self.significance_ = SignificanceConfig(alpha=self.alpha, ratio_min=self.ratio_min)
        except ValidationError as exc:
            raise _invalid_parameters(self, exc) from None
        if isinstance(self.n_bins, bool) or not isinstance(self.n_bins, int | np.integer) or self.n_bins < 0:
            raise ValueError(f"n_bins: expected a whole number >= 0, got {self.n_bins!r}")
        diagrams = _check_diagram_sets(X)
        self.n_dims_ = len(diagrams[0])
        tops = [max((_largest_finite_death(dgms[d]) for dgms in diagrams), default=0.0) for d in range(self.n_dims_)]
        self.scales_ = np.array([np.linspace(0.0, top, self.n_bins) for top in tops]).reshape(self.n_dims_, -1)
        return self

    def transform(self, X: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
        """The feature rows.

        Parameters
        ----------
        X : sequence of n_clouds sequences of ndarray of shape (k, 2)
            Each cloud's diagrams, as many dimensions as in ``fit``.

        Returns
        -------
        ndarray of shape (n_clouds, n_features), float64
            Columns named by ``get_feature_names_out``.
        """
        check_is_fitted(self, "scales_")
        diagrams = _check_diagram_sets(X, n_dims=self.n_dims_)
        return np.array([np.concatenate([self._row(dgms[d], d) for d in range(self.n_dims_)]) for dgms in diagrams])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the columns of ``transform``: ``h{d}_bars``, ..., ``h{d}_betti_{i}``.

        Parameters
        ----------
        input_features : None
            Ignored (the input is diagrams, not named columns); there for scikit-learn's API.

        Returns
        -------
        ndarray of shape (n_features,), object
        """
        check_is_fitted(self, "scales_")
        names = []
        for d in range(self.n_dims_):
            kinds = ["bars", "essential", *(["significant"] if d else []), "total_persistence", "max_persistence"]
            kinds += ["entropy", *(f"betti_{i}" for i in range(self.n_bins))]
            names += [f"h{d}_{kind}" for kind in kinds]
        return np.asarray(names, dtype=object)

    def _row(self, dgm: np.ndarray, dim: int) -> np.ndarray:
        stats = diagram_statistics(dgm)
        counts = [stats["n_bars"], stats["n_infinite"]]
        if dim:
            counts.append(int(significant_bars(dgm, universal_null_pvalues(dgm), self.significance_).sum()))
        values = [stats["total_persistence"], stats["longest"], stats["entropy"]]
        return np.array([*counts, *values, *betti_curve(dgm, self.scales_[dim])], dtype=np.float64)


def _invalid_parameters(estimator: BaseEstimator, exc: ValidationError) -> ValueError:
    """One error naming every bad parameter of ``estimator`` with the value given."""
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})" for e in exc.errors())
    return ValueError(f"invalid {type(estimator).__name__} parameters: {problems}")


def _largest_finite_death(dgm: np.ndarray) -> float:
    finite = dgm[np.isfinite(dgm[:, 1]), 1]
    return float(finite.max()) if finite.size else 0.0


def _check_diagram_sets(X: Sequence[Sequence[np.ndarray]], n_dims: int | None = None) -> list[list[np.ndarray]]:
    """Each entry as a list of float64 diagrams; bad entries are reported together ("entry 3, H1: ...")."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 2:
        raise ValueError(
            f"expected one list of diagrams per cloud, got one array of shape {X.shape}; pass [[dgm]] for one diagram"
        )
    out, errors = [], []
    for i, dgms in enumerate(X):
        if isinstance(dgms, np.ndarray) and dgms.ndim == 2:
            errors.append(f"entry {i}: expected a list of diagrams (one per dimension), got one array")
            continue
        try:
            out.append((i, [check_diagram(d, f"entry {i}, H{dim}") for dim, d in enumerate(dgms)]))
        except (TypeError, ValueError) as exc:
            errors.append(str(exc))
    if not out and not errors:
        raise ValueError("expected at least one cloud's diagrams, got an empty collection")
    wanted = n_dims if n_dims is not None else (len(out[0][1]) if out else 0)
    errors += [f"entry {i}: no diagrams, expected one per dimension" for i, d in out if not d]
    errors += [
        f"entry {i}: {len(d)} diagrams, expected {wanted} (dimensions 0..{wanted - 1})"
        for i, d in out
        if d and len(d) != wanted
    ]
    if errors:
        raise ValueError(f"{len(errors)} entries are invalid: " + "; ".join(errors))
    return [d for _, d in out]
