"""The library entry points for any PyTorch model: ``analyze`` a model's layers and ``compare`` them.

``analyze`` captures the chosen layers (``layertopo.capture.capture_activations``), and runs the same
topology job as the pipeline (``layertopo.topology.batch.analyze_clouds``) on the
cloud of all samples and, when labels are given, on the cloud of each class. ``compare`` turns the
diagrams into distance matrices (``layertopo.topology.distances``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layertopo.config import TopologyConfig
from layertopo.topology.distances import Metric, check_diagram, distances_of_pairs, pairwise_distances

if TYPE_CHECKING:
    import torch
    from torch import nn

    from layertopo.capture.hooks import Record, Transform
    from layertopo.parallel import Executor

#: columns that name a cloud in ``Analysis.summaries``, before the columns of ``analyze_cloud``
KEY_COLUMNS = ["layer", "layer_index", "label"]


@dataclass
class Analysis:
    """Topology of a model's layers on one set of inputs.

    Attributes
    ----------
    summaries : DataFrame
        One row per (layer, label, dim): ``layer``, ``layer_index`` (its position in ``layers``), ``label``
        (``"all"``, or a class as a string), then the columns of the pipeline's ``summaries.parquet``
        rows (``dim``, ``betti_significant``, ``total_persistence``, ``class_purity``, ``n_used``, ...,
        ``error``).
    diagrams : dict of (str, str) to list of ndarray of shape (k, 2)
        ``(layer, label) -> [H0, H1, ...]`` diagrams, float64, ``inf`` deaths for essential classes.
    layers : list of str
        The analysed layers, in order.
    config : TopologyConfig
        The settings the diagrams were computed with.
    """

    summaries: pd.DataFrame
    diagrams: dict[tuple[str, str], list[np.ndarray]]
    layers: list[str]
    config: TopologyConfig = field(default_factory=TopologyConfig)

    def table(self, column: str = "betti_significant", *, dim: int = 0) -> pd.DataFrame:
        """One quantity as a layer x label table, e.g. ``table("class_purity")`` or ``table(dim=1)``.

        Returns
        -------
        DataFrame of shape (n_layers, n_labels), indexed by layer (in order), columns the labels.
        """
        rows = self.summaries[self.summaries["dim"] == dim]
        table = rows.pivot(index="layer", columns="label", values=column)
        labels = list(dict.fromkeys(rows["label"]))
        return table.loc[self.layers, labels]


def analyze(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | Sequence | None = None,
    layers: Sequence[str] | None = None,
    *,
    topology: TopologyConfig | None = None,
    per_class: bool = True,
    record: Record = "output",
    apply: Transform | Mapping[str, Transform] | None = None,
    batch_size: int = 4096,
    device: str | torch.device | None = None,
    cache: dict[str, Any] | None = None,
    n_jobs: int | None = None,
    time_limit: float | None = None,
    executor: Executor | None = None,
) -> Analysis:
    """Persistent homology of the activation cloud of each chosen layer of ``model`` on ``X``.

    Parameters
    ----------
    model : nn.Module
        Any PyTorch model; its training mode is restored afterwards.
    X : ndarray or tensor of shape (n_samples, ...)
        Inputs (images are fine: feature maps are flattened).
    y : array_like of shape (n_samples,), optional
        Class of each sample. With it, each ``label="all"`` H0 row gets ``class_purity`` (how well the
        cloud's single-linkage tree separates the classes) and, with ``per_class``, every class gets its
        own cloud (``label="0"``, ``"1"``, ...).
    layers : sequence of str, optional
        Layer names (see ``capture_activations``); None: the input and every named layer.
    topology : TopologyConfig, optional
        Homology dimensions, metric, subsampling (``max_points``), significance. Defaults to
        ``TopologyConfig()``.
    per_class : bool
        Analyse each class's cloud too (when ``y`` is given).
    record, apply, batch_size, device
        Passed to ``capture_activations``: ``apply=torch.relu`` or ``record="input"`` give post-activation
        values of models that apply activation functions in ``forward``.
    cache : dict, optional
        Results kept by cloud content across calls with the same ``topology``: an identical cloud (e.g. the
        ``"input"`` layer at every epoch of a ``TopologyMonitor``) is computed once. None: a fresh one.
    n_jobs : int, optional
        Worker processes, scikit-learn's way: None (the default) runs everything in this process, so a plain
        script needs no ``if __name__ == "__main__":`` guard and nothing is left running; -1 uses every core.
        The workers stop before ``analyze`` returns.
    time_limit : float, optional
        Seconds per cloud, enforced in worker processes (it needs ``n_jobs`` or a pool ``executor``; a cloud
        past it gets rows flagged ``timed_out``). None: no limit.
    executor : layertopo.parallel.Executor, optional
        Run on this executor (kept open by the caller, e.g. across the epochs of a training) instead.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> result = layertopo.analyze(model, X, y, layers=["fc1", "fc2"], apply=torch.relu)  # doctest: +SKIP
    >>> result.table("class_purity")  # doctest: +SKIP
    """
    from layertopo.capture import capture_activations
    from layertopo.parallel import get_executor
    from layertopo.topology.batch import Cloud, analyze_clouds

    if time_limit is not None and n_jobs is None and executor is None:
        raise ValueError(
            f"time_limit={time_limit} needs worker processes (a cloud in this process cannot be stopped): "
            "pass n_jobs=1 or more, or leave time_limit=None"
        )
    config = topology or TopologyConfig()
    codes, classes = _encode_labels(y, len(X))
    clouds = capture_activations(model, X, layers, batch_size=batch_size, device=device, record=record, apply=apply)
    keys, jobs = [], []
    for layer, cloud in clouds.items():
        for label, points, labels in _label_clouds(cloud, codes, classes, per_class):
            keys.append((layer, label))
            jobs.append(Cloud(points, labels, f"layer={layer} label={label}", label != "all"))
    if executor is None:
        with get_executor(n_jobs, time_limit=time_limit) as executor:
            results = analyze_clouds(jobs, config, executor=executor, cache=cache, time_limit=time_limit)
    else:
        results = analyze_clouds(jobs, config, executor=executor, cache=cache, time_limit=time_limit)
    return _collect(list(clouds), keys, results, config)


def compare(
    a: Analysis,
    b: Analysis | None = None,
    *,
    metric: Metric = "bottleneck",
    dim: int = 0,
    label: str = "all",
    scale: bool = True,
    order: float = 1.0,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Distances between the persistence diagrams of layers.

    Parameters
    ----------
    a : Analysis
    b : Analysis, optional
        None: compare the layers of ``a`` with each other. Given (e.g. another model, or the same model at
        another epoch): compare every layer of ``a`` with every layer of ``b``; where both have a layer of
        the same name, that cell compares the same layer of the two.
    metric : {"bottleneck", "wasserstein"}
    dim : int
        Homology dimension of the diagrams compared.
    label : str
        Which cloud: ``"all"`` (every sample) or a class (``"0"``, ...).
    scale : bool
        Divide each diagram by its cloud's RMS radius first (as the pipeline's ``distances.parquet`` does),
        so layers of different size compare by shape; False compares raw diagrams.
    order : float
        Exponent of the Wasserstein distance.
    n_jobs : int, optional
        Worker processes for the pairs (-1: every core), stopped before returning; None computes them in this
        process.

    Returns
    -------
    DataFrame of shape (n_layers_a, n_layers_b)
        Index: the layers of ``a``; columns: the layers of ``b`` (of ``a`` when ``b`` is None, the matrix is
        then symmetric with a zero diagonal). ``inf`` where two diagrams have different numbers of essential
        bars; ``nan`` where a cloud was rejected.
    """
    left = _layer_diagrams(a, dim, label, scale)
    if b is None:
        values = pairwise_distances([_or_empty(d) for d in left.values()], metric, order=order, n_jobs=n_jobs)
        return _frame(values, left, left, ("layer", "layer"))
    right = _layer_diagrams(b, dim, label, scale)
    dgms = [check_diagram(_or_empty(d), f"layer {name}") for name, d in [*left.items(), *right.items()]]
    pairs = [(i, len(left) + j) for i in range(len(left)) for j in range(len(right))]
    values = distances_of_pairs(dgms, pairs, metric, order, n_jobs)
    return _frame(values.reshape(len(left), len(right)), left, right, ("layer_a", "layer_b"))


# --- helpers ------------------------------------------------------------------------------------------


def _encode_labels(y: np.ndarray | Sequence | None, n_samples: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Classes of ``y`` as codes 0..n_classes-1 (what ``class_purity`` needs) and the sorted class values."""
    if y is None:
        return None, None
    y = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if y.ndim != 1 or len(y) != n_samples:
        raise ValueError(f"y must have shape ({n_samples},), one class per sample of X; got shape {y.shape}")
    classes, codes = np.unique(y, return_inverse=True)
    return codes, classes


def _label_clouds(cloud: np.ndarray, codes: np.ndarray | None, classes: np.ndarray | None, per_class: bool):
    """Yield (label, points, labels): every sample (with the codes), then each class (without)."""
    yield "all", cloud, codes
    if codes is None or not per_class:
        return
    for code, value in enumerate(classes):
        yield str(value), cloud[codes == code], None


def _collect(layers: list[str], keys: list[tuple[str, str]], results: list, config: TopologyConfig) -> Analysis:
    rows: list[dict[str, Any]] = []
    diagrams = {}
    for (layer, label), result in zip(keys, results, strict=True):
        base = {"layer": layer, "layer_index": layers.index(layer), "label": label}
        rows.extend({**base, **row} for row in result.rows)
        diagrams[(layer, label)] = result.dgms
    return Analysis(summaries=pd.DataFrame(rows), diagrams=diagrams, layers=layers, config=config)


def _layer_diagrams(analysis: Analysis, dim: int, label: str, scale: bool) -> dict[str, np.ndarray | None]:
    """Layer -> its diagram of dimension ``dim`` for ``label`` (divided by the RMS radius when ``scale``),
    None where the cloud was rejected."""
    top = analysis.config.maxdim if label == "all" else analysis.config.for_classes().maxdim
    if not 0 <= dim <= top:
        where = "" if label == "all" else f" for the per-class cloud {label!r} (topology.class_maxdim)"
        raise ValueError(f"dim={dim} was not computed{where}; the analysis has dimensions 0..{top} there")
    labels = list(dict.fromkeys(key[1] for key in analysis.diagrams))
    if label not in labels:
        raise ValueError(f"label {label!r} not in the analysis; valid labels: {labels}")
    rows = analysis.summaries
    rows = rows[(rows["label"] == label) & (rows["dim"] == dim)].set_index("layer")
    out: dict[str, np.ndarray | None] = {}
    for layer in analysis.layers:
        row = rows.loc[layer]
        if row["error"]:
            out[layer] = None
            continue
        dgm = analysis.diagrams[(layer, label)][dim]
        radius = float(row["rms_radius"])
        out[layer] = dgm / radius if scale and np.isfinite(radius) and radius > 0 else dgm
    return out


def _or_empty(dgm: np.ndarray | None) -> np.ndarray:
    return np.empty((0, 2)) if dgm is None else dgm


def _frame(
    values: np.ndarray, left: dict[str, np.ndarray | None], right: dict[str, np.ndarray | None], names: tuple[str, str]
) -> pd.DataFrame:
    """The distance matrix as a DataFrame, with ``nan`` in the rows and columns of rejected clouds."""
    values = values.astype(float)
    values[[d is None for d in left.values()], :] = np.nan
    values[:, [d is None for d in right.values()]] = np.nan
    return pd.DataFrame(values, index=pd.Index(list(left), name=names[0]), columns=pd.Index(list(right), name=names[1]))
