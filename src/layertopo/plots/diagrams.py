"""Plots of persistence diagrams that compose with matplotlib: each draws on the ``Axes`` it is given.

``plot_diagrams``, ``plot_barcode`` and ``plot_betti_curve`` take the diagrams as layertopo, ripser and
giotto-ph return them (a list of arrays of shape (k, 2), one per homology dimension, ``inf`` deaths for
essential classes) or as a mapping ``{dim: array}``, and return the ``Axes``. Without ``ax`` they draw on
``matplotlib.pyplot.gca()``. They are the only diagram plotters of the package: the report's figures and
``TopologyMonitor``'s images are built from them. persim's ``plot_diagrams(result.diagrams[...], ax=ax)``
works on the same arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from layertopo.topology.summaries import betti_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: one colour per homology dimension (matplotlib's default cycle)
DIM_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
NO_DATA = "no data"

Diagrams: TypeAlias = "Sequence[np.ndarray | None] | Mapping[int, np.ndarray | None]"
Marks: TypeAlias = "Sequence[np.ndarray | None] | Mapping[int, np.ndarray | None] | None"


def plot_diagrams(
    dgms: Diagrams,
    *,
    ax: Axes | None = None,
    significant: Marks = None,
    dims: Sequence[int] | None = None,
    title: str | None = None,
    size: float = 8,
    legend: bool = True,
) -> Axes:
    """Persistence diagram: a point (birth, death) per bar, every dimension on one axes.

    Essential classes (infinite death) sit on a dashed line above the finite points; significant bars
    are drawn large with a black ring and counted in the legend.

    Parameters
    ----------
    dgms : sequence of ndarray of shape (k_i, 2) (index = homology dimension), or mapping dim -> ndarray
        ``None`` entries are skipped.
    ax : matplotlib Axes, optional
        Where to draw; ``pyplot.gca()`` when omitted.
    significant : sequence or mapping of bool ndarray of shape (k_i,), optional
        Which bars of each dimension are significant (e.g. ``Analysis.significant``).
    dims : sequence of int, optional
        Dimensions to draw; all when omitted.
    title : str, optional
    size : float
        Marker area of an ordinary point (significant ones are 5x larger).
    legend : bool
        Draw a legend (one entry per dimension, and per significant set).

    Returns
    -------
    matplotlib Axes
        ``ax``, drawn on.
    """
    ax = _axes(ax)
    drawn = _marked(dgms, significant, dims)
    if not any(len(dgm) for dgm, _ in drawn.values()):
        return _no_data(ax, title)
    top = _top(drawn)
    for dim, (dgm, mark) in drawn.items():
        deaths = np.where(np.isfinite(dgm[:, 1]), dgm[:, 1], top)
        color = DIM_COLORS[dim % len(DIM_COLORS)]
        ax.scatter(dgm[~mark, 0], deaths[~mark], s=size, color=color, alpha=0.7, label=f"H{dim}")
        if mark.any():
            ax.scatter(
                dgm[mark, 0], deaths[mark], s=5 * size, color=color, edgecolors="black", linewidths=0.8,
                label=f"H{dim} significant ({int(mark.sum())})",
            )  # fmt: skip
    ax.plot([0, top], [0, top], color="#888", lw=0.8)
    ax.axhline(top, color="#888", lw=0.8, ls="--")
    ax.set_xlabel("birth")
    ax.set_ylabel("death")
    if title is not None:
        ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(fontsize=6, loc="lower right")
    return ax


def plot_barcode(
    dgms: Diagrams,
    *,
    ax: Axes | None = None,
    significant: Marks = None,
    dims: Sequence[int] | None = None,
    max_bars: int | None = 100,
    title: str | None = None,
) -> Axes:
    """Barcode: one horizontal bar from birth to death per class, dimensions stacked from H0 up.

    Within a dimension the longest bars are drawn (at most ``max_bars``), longest at the top; essential
    bars run to the right edge and end in an arrow; significant bars are drawn thick and black-edged.

    Parameters
    ----------
    dgms : sequence of ndarray of shape (k_i, 2), or mapping dim -> ndarray
    ax : matplotlib Axes, optional
    significant : sequence or mapping of bool ndarray of shape (k_i,), optional
    dims : sequence of int, optional
    max_bars : int or None
        Most bars drawn per dimension (the longest ones); None draws all.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if max_bars is not None and (isinstance(max_bars, bool) or max_bars < 0):
        raise ValueError(f"max_bars: expected a whole number >= 0 or None (every bar), got {max_bars!r}")
    ax = _axes(ax)
    drawn = _marked(dgms, significant, dims)
    if not any(len(dgm) for dgm, _ in drawn.values()):
        return _no_data(ax, title)
    top = _top(drawn)
    row, ticks = 0, []
    for dim, (dgm, mark) in drawn.items():
        order = np.argsort(dgm[:, 0] - dgm[:, 1], kind="stable")  # longest first
        order = order if max_bars is None else order[:max_bars]
        color = DIM_COLORS[dim % len(DIM_COLORS)]
        start = row
        for i in order[::-1]:
            birth, death = dgm[i]
            end = death if np.isfinite(death) else top
            thick = bool(mark[i])
            ax.hlines(row, birth, end, color=color, lw=3 if thick else 1.2, label=f"H{dim}" if row == start else None)
            if not np.isfinite(death):
                ax.plot(end, row, marker=">", color=color, ms=4)
            row += 1
        ticks.append(((start + row - 1) / 2, f"H{dim}"))
        row += 1  # a gap between dimensions
    ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks])
    ax.set_xlabel("scale")
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def plot_betti_curve(
    dgms: Diagrams,
    *,
    ax: Axes | None = None,
    dims: Sequence[int] | None = None,
    grid: np.ndarray | None = None,
    title: str | None = None,
    log: bool = False,
) -> Axes:
    """Betti curves: how many classes of each dimension are alive at each scale (birth <= r < death).

    Parameters
    ----------
    dgms : sequence of ndarray of shape (k_i, 2), or mapping dim -> ndarray
    ax : matplotlib Axes, optional
    dims : sequence of int, optional
    grid : ndarray of shape (n_scales,), optional
        Scales at which to count; 300 even steps from 0 to 1.1x the largest finite value (birth or death)
        when omitted.
    title : str, optional
    log : bool
        Logarithmic count axis (H0 counts fall from the number of points to one).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    drawn = _marked(dgms, None, dims)
    if not any(len(dgm) for dgm, _ in drawn.values()):
        return _no_data(ax, title)
    scales = np.linspace(0.0, _top(drawn), 300) if grid is None else np.asarray(grid, dtype=float)
    for dim, (dgm, _) in drawn.items():
        color = DIM_COLORS[dim % len(DIM_COLORS)]
        ax.step(scales, betti_curve(dgm, scales), where="post", color=color, label=f"H{dim}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("scale")
    ax.set_ylabel("classes alive")
    if title is not None:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return ax


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _by_dim(dgms: Diagrams | Marks, dims: Sequence[int] | None) -> dict[int, np.ndarray]:
    """{dim: float array of shape (k, 2) or bool mask}, ``None`` entries and unwanted dims left out."""
    items = dgms.items() if isinstance(dgms, Mapping) else enumerate(dgms)
    out = {}
    for dim, value in items:
        if value is None or (dims is not None and dim not in dims):
            continue
        array = np.asarray(value)
        if array.dtype != bool:
            array = array.astype(float).reshape(-1, 2)
        out[int(dim)] = array
    return out


def _marked(dgms: Diagrams, significant: Marks, dims: Sequence[int] | None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{dim: (diagram of shape (k, 2), bool mask of shape (k,))}; no mask given marks nothing."""
    diagrams = _by_dim(dgms, dims)
    marks = _by_dim(significant, None) if significant is not None else {}
    return {dim: (dgm, _mask(marks.get(dim), len(dgm), f"significant[{dim}]")) for dim, dgm in diagrams.items()}


def _mask(mask: np.ndarray | None, n: int, name: str) -> np.ndarray:
    if mask is None:
        return np.zeros(n, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"{name}: expected a bool array of shape ({n},), one flag per bar, got shape {mask.shape}")
    return mask


def _top(drawn: Mapping[int, tuple[np.ndarray, np.ndarray]]) -> float:
    """Where essential classes are drawn: 10 % above the largest finite value (1 when there is none)."""
    finite = np.concatenate([d[np.isfinite(d[:, 1])].ravel() for d, _ in drawn.values()] + [np.zeros(0)])
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    return largest * 1.1 if largest > 0 else 1.0


def _no_data(ax: Axes, title: str | None) -> Axes:
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", color="grey", fontsize=11, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax
