"""Distances between persistence diagrams: bottleneck, p-Wasserstein and pairwise matrices.

A diagram is a float64 ndarray of shape (k, 2) of ``[birth, death]`` rows (the ripser convention),
with ``death = np.inf`` for essential classes. Both distances use the L-infinity ground metric
(``internal_p = inf``), the standard one: a point ``(b, d)`` is at distance ``|b - b'| ∨ |d - d'|`` from
another point and at ``(d - b) / 2`` from the diagonal.

Essential (infinite) bars are never dropped. They can only be matched to each other, never to the
diagonal, so:

* if the two diagrams have different numbers of essential bars, the distance is ``inf``;
* otherwise the essential bars are matched optimally by sorting their births (on the line, the sorted
  matching minimises both the largest and the summed ``|b_i - b'_i|^q``), and this cost is combined with
  the distance between the finite parts: the larger of the two for the bottleneck distance,
  ``(W_finite^q + sum_i |b_i - b'_i|^q)^(1/q)`` for the Wasserstein distance of order ``q``.

The finite part of the bottleneck distance comes from :mod:`layertopo.topology.bottleneck`: exact for bars
born at 0 (H0), else gudhi's value checked by a matching certificate, because gudhi 3.13 alone
was wrong on 1.5 % of small random pairs. The Wasserstein distance uses
``gudhi.hera.wasserstein_distance`` (auction algorithm, relative error at most ``WASSERSTEIN_DELTA``), except
when every finite bar of both diagrams is born at 0 (H0 of a Rips filtration): then an exact dynamic
programme over the sorted bar lengths, ~8x faster (``layertopo.topology.wasserstein``).
Inputs are validated first, because gudhi quietly returns numbers for diagrams that hold NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from gudhi.hera import wasserstein_distance as _hera_wasserstein
from numpy.typing import ArrayLike

from layertopo.topology.bottleneck import bracketed_bottleneck, checked_bottleneck, common_birth_bottleneck
from layertopo.topology.wasserstein import common_birth_wasserstein, common_birth_wasserstein_many

Metric = Literal["bottleneck", "wasserstein"]

WASSERSTEIN_DELTA = 1e-4
"""Relative error allowed to hera's auction algorithm for the finite part of the Wasserstein distance."""

__all__ = [
    "WASSERSTEIN_DELTA",
    "bottleneck_distance",
    "bottleneck_within",
    "check_diagram",
    "diagram_distance",
    "pairwise_distances",
    "wasserstein_distance",
    "wasserstein_distances",
]


def check_diagram(dgm: ArrayLike, name: str = "diagram") -> np.ndarray:
    """Return ``dgm`` as a float64 array of shape (k, 2), or raise ValueError saying what is wrong.

    Parameters
    ----------
    dgm : array_like of shape (k, 2)
        ``[birth, death]`` rows; births finite, ``death >= birth``, ``death = inf`` for essential bars.
        An empty array of any shape (e.g. ``[]``) is read as the empty diagram of shape (0, 2).
    name : str
        How the argument is called in error messages.

    Returns
    -------
    ndarray of shape (k, 2), dtype float64
    """
    arr = np.asarray(dgm, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name}: expected an array of shape (k, 2) of [birth, death] rows, got shape {arr.shape}")
    bad_birth = ~np.isfinite(arr[:, 0])
    if bad_birth.any():
        row = int(np.flatnonzero(bad_birth)[0])
        raise ValueError(f"{name}: births must be finite, row {row} is {arr[row].tolist()}")
    bad_death = ~(arr[:, 1] >= arr[:, 0])  # also catches NaN deaths
    if bad_death.any():
        row = int(np.flatnonzero(bad_death)[0])
        raise ValueError(f"{name}: deaths must be >= births (NaN not allowed), row {row} is {arr[row].tolist()}")
    return arr


def _split(dgm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite bars (shape (m, 2)) and the sorted births of the essential bars (shape (e,))."""
    essential = np.isinf(dgm[:, 1])
    return dgm[~essential], np.sort(dgm[essential, 0])


def _essential_gaps(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Finite parts of ``a`` and ``b`` and the |birth gaps| of their optimally matched essential bars.

    Returns None when the numbers of essential bars differ (the distance is then infinite).
    """
    fa, ea = _split(a)
    fb, eb = _split(b)
    if ea.size != eb.size:
        return None
    return fa, fb, np.abs(ea - eb)


def bottleneck_distance(a: ArrayLike, b: ArrayLike, *, tolerance: float | None = None) -> float:
    """Bottleneck distance between two diagrams of one homology dimension, L-infinity ground metric.

    Parameters
    ----------
    a, b : array_like of shape (k_a, 2) and (k_b, 2)
        ``[birth, death]`` rows, ``death = inf`` for essential bars; may be empty.
    tolerance : float, optional
        An absolute error allowed to gudhi's approximation (e.g. 1e-4 on diagrams scaled to unit radius is
        3-4x faster on diagrams of ~1000 bars); None for the exact value. Diagrams whose bars are all born
        at 0 (H0 of a Rips filtration) always get the exact value: it is as fast.

    Returns
    -------
    float
        ``inf`` if ``a`` and ``b`` have different numbers of essential bars, else the larger of the
        finite-part distance and the largest birth gap of the sorted-matched essential bars.
    """
    tolerance = _check_tolerance(tolerance)
    parts = _essential_gaps(check_diagram(a, "a"), check_diagram(b, "b"))
    if parts is None:
        return np.inf
    fa, fb, gaps = parts
    finite = _exact_finite_bottleneck(fa, fb)
    return max(checked_bottleneck(fa, fb, tolerance or 0.0) if finite is None else finite, _gap(gaps))


def _exact_finite_bottleneck(fa: np.ndarray, fb: np.ndarray) -> float | None:
    """The bottleneck distance of two finite parts where it is exact and cheap (one side empty: every bar to the
    diagonal; one common birth: ``common_birth_bottleneck``), else None."""
    if len(fa) == 0 or len(fb) == 0:
        return float(np.concatenate([fa[:, 1] - fa[:, 0], fb[:, 1] - fb[:, 0]]).max(initial=0.0) / 2)
    if _born_at_zero(fa, fb):
        return common_birth_bottleneck(fa[:, 1], fb[:, 1])
    return None


def _gap(gaps: np.ndarray) -> float:
    """The largest birth gap of the matched essential bars (0 without any)."""
    return float(gaps.max(initial=0.0))


def bottleneck_within(a: ArrayLike, b: ArrayLike, *, rtol: float) -> tuple[float, float]:
    """Bottleneck distance within a relative error ``rtol``, and how far off it can be.

    Diagrams whose bars are all born at 0 (H0 of a Rips filtration) get the exact value (error 0); others the
    exact value when a matching exists at a lower bound of the distance, else a bisection on the radius with a
    matching test (:func:`layertopo.topology.bottleneck.bracketed_bottleneck`), which returns an upper bound of
    the distance within ``rtol`` of it: 4.2x faster than gudhi within 1e-4 and its certificate on the ~700-bar
    H1 diagrams of activation clouds, and exact on 91 % of them (``benchmarks/distances.py``).

    Parameters
    ----------
    a, b : array_like of shape (k_a, 2) and (k_b, 2)
        ``[birth, death]`` rows, ``death = inf`` for essential bars; may be empty.
    rtol : float
        Relative error allowed, > 0 (e.g. 1e-3).

    Returns
    -------
    value : float
        The distance, or an upper bound of it at most ``error`` above it (``inf`` when the numbers of
        essential bars differ).
    error : float
        ``value - error <= distance <= value``; ``error <= rtol * value``.
    """
    if not (np.isfinite(rtol) and rtol > 0):
        raise ValueError(f"rtol: expected a finite number > 0, got {rtol!r}")
    parts = _essential_gaps(check_diagram(a, "a"), check_diagram(b, "b"))
    if parts is None:
        return np.inf, 0.0
    fa, fb, gaps = parts
    gap, exact = _gap(gaps), _exact_finite_bottleneck(fa, fb)
    if exact is not None:
        return max(exact, gap), 0.0
    value, error = bracketed_bottleneck(fa, fb, rtol)
    return max(value, gap), max(value, gap) - max(value - error, gap)


def bottleneck_error(a: ArrayLike, b: ArrayLike, tolerance: float | None) -> float:
    """The most :func:`bottleneck_distance` ``(a, b, tolerance=tolerance)`` can be off: 0 where it is exact.

    Parameters
    ----------
    a, b : array_like of shape (k_a, 2) and (k_b, 2)
        The two diagrams.
    tolerance : float, optional
        As given to :func:`bottleneck_distance`.

    Returns
    -------
    float
    """
    tolerance = _check_tolerance(tolerance)
    fa, fb = _split(check_diagram(a, "a"))[0], _split(check_diagram(b, "b"))[0]
    if not tolerance or len(fa) == 0 or len(fb) == 0 or _born_at_zero(fa, fb):
        return 0.0
    return float(tolerance)


def _check_tolerance(tolerance: float | None) -> float | None:
    if tolerance is not None and not (np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance: expected a finite number >= 0 (or None for exact), got {tolerance!r}")
    return tolerance


def wasserstein_distance(a: ArrayLike, b: ArrayLike, *, order: float = 1.0) -> float:
    """p-Wasserstein distance between two diagrams of one homology dimension, L-infinity ground metric.

    Parameters
    ----------
    a, b : array_like of shape (k_a, 2) and (k_b, 2)
        ``[birth, death]`` rows, ``death = inf`` for essential bars; may be empty.
    order : float
        Exponent ``q >= 1`` of the distance: ``(min over matchings of sum cost^q)^(1/q)``.

    Returns
    -------
    float
        ``inf`` if ``a`` and ``b`` have different numbers of essential bars, else
        ``(W_finite^q + sum_i |b_i - b'_i|^q)^(1/q)`` with the essential births matched in sorted order.
        The finite part comes from hera, within relative error ``WASSERSTEIN_DELTA``.
    """
    if not (np.isfinite(order) and order >= 1):
        raise ValueError(f"order: must be a finite number >= 1, got {order!r}")
    parts = _essential_gaps(check_diagram(a, "a"), check_diagram(b, "b"))
    if parts is None:
        return np.inf
    fa, fb, gaps = parts
    if _born_at_zero(fa, fb):
        finite = common_birth_wasserstein(fa[:, 1], fb[:, 1], order)
    else:
        finite = _hera_wasserstein(fa, fb, order=order, internal_p=np.inf, delta=WASSERSTEIN_DELTA)
    return _with_essentials(finite, gaps, order)


def _with_essentials(finite: float, gaps: np.ndarray, order: float) -> float:
    """``(W_finite^q + sum_i gap_i^q)^(1/q)``: the finite part's distance combined with the essential bars'."""
    return float((finite**order + np.sum(gaps**order)) ** (1.0 / order))


def wasserstein_distances(pairs: Sequence[tuple[ArrayLike, ArrayLike]], *, order: float = 1.0) -> np.ndarray:
    """:func:`wasserstein_distance` of every pair of diagrams, the same values, faster for many pairs.

    The pairs whose finite bars are all born at 0 (H0 of a Rips filtration) share one vectorised dynamic
    programme (``layertopo.topology.wasserstein``): for the ~450 H0 pairs of one (model, seed) of the default
    experiment, 4x faster than one by one, and equal to the last bit. Other pairs go to hera one by one.

    Parameters
    ----------
    pairs : sequence of (a, b), each an array_like of shape (k, 2)
    order : float
        Exponent ``q >= 1``.

    Returns
    -------
    ndarray of shape (len(pairs),), float64
    """
    if not (np.isfinite(order) and order >= 1):
        raise ValueError(f"order: must be a finite number >= 1, got {order!r}")
    out = np.empty(len(pairs))
    shared: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    for k, (a, b) in enumerate(pairs):
        parts = _essential_gaps(check_diagram(a, f"pairs[{k}][0]"), check_diagram(b, f"pairs[{k}][1]"))
        if parts is None:
            out[k] = np.inf
        elif _born_at_zero(parts[0], parts[1]):
            shared.append((k, parts[0][:, 1], parts[1][:, 1], parts[2]))
        else:
            out[k] = wasserstein_distance(a, b, order=order)
    if shared:
        finite = common_birth_wasserstein_many([s[1] for s in shared], [s[2] for s in shared], order)
        for (k, _, _, gaps), value in zip(shared, finite, strict=True):
            out[k] = _with_essentials(float(value), gaps, order)
    return out


def _born_at_zero(a: np.ndarray, b: np.ndarray) -> bool:
    """Every finite bar of both diagrams is born at 0 (H0 of a Rips filtration): the lengths are the deaths,
    so the exact algorithms on lengths compare the very costs of the diagrams (a common birth ``c != 0``
    would round ``d - c``)."""
    births = np.concatenate([a[:, 0], b[:, 0]])
    return births.size > 0 and not births.any()


def diagram_distance(a: ArrayLike, b: ArrayLike, metric: Metric = "bottleneck", order: float = 1.0) -> float:
    """Distance between two diagrams by name: ``"bottleneck"`` or ``"wasserstein"`` (of ``order``).

    Parameters
    ----------
    a, b : array_like of shape (k_a, 2) and (k_b, 2)
        Diagrams of one homology dimension.
    metric : {"bottleneck", "wasserstein"}
    order : float
        Wasserstein exponent; ignored by the bottleneck distance.

    Returns
    -------
    float
    """
    if metric == "bottleneck":
        return bottleneck_distance(a, b)
    if metric == "wasserstein":
        return wasserstein_distance(a, b, order=order)
    raise ValueError(f"metric: expected 'bottleneck' or 'wasserstein', got {metric!r}")


def pairwise_distances(
    diagrams: Sequence[ArrayLike],
    metric: Metric = "bottleneck",
    *,
    order: float = 1.0,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Matrix of distances between every pair of diagrams (all of one homology dimension).

    Parameters
    ----------
    diagrams : sequence of n array_like, each of shape (k_i, 2)
    metric : {"bottleneck", "wasserstein"}
    order : float
        Wasserstein exponent; ignored by the bottleneck distance.
    n_jobs : int or None
        Worker processes for the n(n-1)/2 pairs (``layertopo.parallel``; -1: every core), stopped before
        returning; None or 1 computes them in this process.

    Returns
    -------
    ndarray of shape (n, n), float64
        Symmetric, zero diagonal; ``inf`` where two diagrams have different numbers of essential bars.
    """
    if metric not in ("bottleneck", "wasserstein"):
        raise ValueError(f"metric: expected 'bottleneck' or 'wasserstein', got {metric!r}")
    dgms = [check_diagram(d, f"diagrams[{i}]") for i, d in enumerate(diagrams)]
    n = len(dgms)
    rows, cols = np.triu_indices(n, k=1)
    values = distances_of_pairs(dgms, list(zip(rows.tolist(), cols.tolist(), strict=True)), metric, order, n_jobs)
    out = np.zeros((n, n))
    out[rows, cols] = values
    out[cols, rows] = values
    return out


def distances_of_pairs(
    dgms: list[np.ndarray], pairs: list[tuple[int, int]], metric: Metric, order: float, n_jobs: int | None
) -> np.ndarray:
    """``diagram_distance(dgms[i], dgms[j])`` for each pair ``(i, j)``, shape ``(len(pairs),)``, in this process
    (``n_jobs=None``) or in worker processes (``layertopo.parallel``), chunked a few chunks per worker."""
    from layertopo.parallel import Done, get_executor

    with get_executor(n_jobs) as executor:
        chunks = [pairs[k :: executor.n_workers * 4] for k in range(min(executor.n_workers * 4, len(pairs)))]
        outcomes = executor.map(_pair_distances, [(dgms, chunk, metric, order) for chunk in chunks])
    values = np.empty(len(pairs))
    for k, outcome in enumerate(outcomes):
        if not isinstance(outcome, Done):
            raise RuntimeError(f"a worker computing diagram distances ended without a result ({outcome})")
        values[k :: len(chunks)] = outcome.value
    return values


def _pair_distances(dgms: list[np.ndarray], pairs: list[tuple[int, int]], metric: Metric, order: float) -> list[float]:
    """``diagram_distance`` of each pair of ``dgms`` (one item of ``pairwise_distances``)."""
    return [diagram_distance(dgms[i], dgms[j], metric, order) for i, j in pairs]
