"""Checks that run before any PH engine sees a cloud: the engines themselves crash, hang or answer wrongly.

Real errors raise ``CloudError`` (a ``ValueError``) with what is wrong, where (the cloud's key, when
given) and how to fix it. Harmless oddities are repaired and recorded as flags instead:

* duplicate points are merged (they add only zero-length H0 bars, and make ripser emit spurious
  near-zero bars);
* the cloud is centred, so float32 engines do not lose the spread of a cloud far from the origin;
* a collapsed cloud (every point identical, e.g. a dead ReLU layer) is flagged ``collapsed``: its
  diagrams are one infinite H0 bar and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class CloudError(ValueError):
    """A point cloud that cannot be analysed; the message says why and how to fix it."""


@dataclass(frozen=True)
class CheckedCloud:
    """A validated cloud: float64, centred, duplicates merged.

    Attributes
    ----------
    points : ndarray of shape (n_unique, n_features), float64
    n_input : number of rows given
    n_duplicates : rows dropped as exact duplicates of earlier rows
    rows : ndarray of shape (n_unique,), the input row each point came from (increasing)
    flags : e.g. ``("collapsed",)``, ``("duplicates",)``
    """

    points: np.ndarray
    n_input: int
    n_duplicates: int
    rows: np.ndarray
    flags: tuple[str, ...] = field(default=())

    @property
    def collapsed(self) -> bool:
        return "collapsed" in self.flags


def _first_of_each_row(points: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the first occurrence of each distinct row of finite ``points``: each row read as one
    string of bytes (``+ 0.0`` first turns -0.0 into 0.0, the only float equal to another with other bytes) and
    ``np.unique`` (stable, so the first of equal rows), 3x faster than a lexicographic sort over the columns
    on the default experiment's clouds and 10x faster than ``np.unique(axis=0)``."""
    if len(points) < 2:
        return np.arange(len(points))
    rows = np.ascontiguousarray(points, dtype=np.float64) + 0.0
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    return np.sort(np.unique(as_bytes, return_index=True)[1])


#: coordinates (after centring) beyond this, times sqrt(n_features), make squared distances overflow float64;
#: a cloud whose spread is below the reciprocal loses its distances to underflow
SCALE_LIMIT = 1e150


def _check_scale(points: np.ndarray, at: str) -> None:
    """Refuse clouds whose squared distances overflow or underflow float64 (the diagrams would be wrong)."""
    spread = float(np.abs(points - points.mean(axis=0)).max()) if len(points) > 1 else 0.0
    if not np.isfinite(spread):  # the mean itself overflowed
        spread = np.inf
    size = spread * np.sqrt(points.shape[1])
    if size > SCALE_LIMIT or 0.0 < size < 1.0 / SCALE_LIMIT:
        raise CloudError(
            f"cloud{at} spans {spread:.3g} in its coordinates: its squared distances "
            f"{'overflow' if size > 1 else 'underflow'} float64 and its diagrams would be wrong. Divide the "
            "cloud by a constant first (the diagrams scale with it)"
        )


def check_points(X: object, *, where: str = "") -> np.ndarray:
    """Validate a point cloud without changing it: what ``check_cloud`` checks, before it removes duplicates.

    Parameters
    ----------
    X : array-like of shape (n_points, n_features)
    where : str
        The cloud's key, named in every error.

    Returns
    -------
    ndarray of shape (n_points, n_features), float64

    Raises
    ------
    CloudError
        Wrong shape, no points, no features, non-finite values, or a scale float64 cannot square.
    """
    at = f" ({where})" if where else ""
    try:
        points = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CloudError(f"cloud{at} is not numeric: {exc}") from None
    if points.ndim != 2:
        raise CloudError(
            f"cloud{at} must have shape (n_points, n_features), got shape {points.shape}; "
            "flatten feature maps with X.reshape(len(X), -1)"
        )
    if points.shape[0] == 0:
        raise CloudError(f"cloud{at} has no points; check the label and split selection")
    if points.shape[1] == 0:
        raise CloudError(f"cloud{at} has no features (shape {points.shape})")
    bad = ~np.isfinite(points)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise CloudError(
            f"cloud{at} has {int(bad.sum())} non-finite values (NaN or inf) in {len(rows)} rows, "
            f"first at row {int(rows[0])}; the network likely diverged - lower the learning rate "
            "or drop those rows"
        )
    _check_scale(points, at)
    return points


def check_cloud(X: object, *, where: str = "", centre: bool = True) -> CheckedCloud:
    """Validate and normalise a point cloud: ``check_points``, then duplicate rows removed and centred.

    Parameters
    ----------
    X : array-like of shape (n_points, n_features)
    where : str
        The cloud's key, named in every error (e.g. ``"model=good seed=0 epoch=5 layer=hidden2"``).
    centre : bool
        Subtract the mean (keeps Euclidean distances; set False for the cosine metric).

    Returns
    -------
    CheckedCloud
        The distinct points (centred unless ``centre=False``), the input size, the rows kept and flags
        (``duplicates``, ``collapsed``).

    Raises
    ------
    CloudError
        Wrong shape, no points, no features, non-finite values (with their count and first row), or a
        scale whose squared distances overflow or underflow float64.
    """
    points = check_points(X, where=where)
    n_input = len(points)
    rows = _first_of_each_row(points)
    unique = points[rows]
    flags: list[str] = []
    if len(unique) < n_input:
        flags.append("duplicates")
    if len(unique) == 1:
        flags.append("collapsed")
    if centre:
        unique = unique - unique.mean(axis=0)
    return CheckedCloud(
        points=unique, n_input=n_input, n_duplicates=n_input - len(unique), rows=rows, flags=tuple(flags)
    )
