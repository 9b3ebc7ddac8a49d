"""Exact p-Wasserstein distances between diagrams whose bars share one birth (H0 of a Rips filtration).

With a common birth a bar is its length, matching bars of lengths ``x_i`` and ``y_j`` costs ``|x_i - y_j|^q``
(L-infinity ground metric) and leaving one unmatched ``(x_i / 2)^q``. The cost is convex in ``x_i - y_j``, so
some optimal matching pairs the sorted lengths in order and a dynamic programme over the two sorted sequences
finds it: :func:`common_birth_wasserstein` for one pair, :func:`common_birth_wasserstein_many` for many pairs
at once (the distance stage's ~450 H0 pairs per (model, seed), with the same floats).
"""

from __future__ import annotations

import numpy as np

#: pairs whose dynamic programmes run together in ``common_birth_wasserstein_many``
WASSERSTEIN_BLOCK = 64


def common_birth_wasserstein(x: np.ndarray, y: np.ndarray, order: float) -> float:
    """q-Wasserstein distance between two diagrams whose bars share one birth, from their lengths.

    With a common birth, matching bars of lengths ``x_i`` and ``y_j`` costs ``|x_i - y_j|^q`` (L-infinity
    ground metric) and leaving one unmatched costs ``(x_i / 2)^q``. That cost is convex in ``x_i - y_j``, so
    crossing pairs can be uncrossed without loss: some optimal matching pairs the sorted lengths in
    order, and a dynamic programme over the two sorted sequences finds it (rows vectorised with a running
    minimum). An exact algorithm, ~8x faster than hera on the ~500-bar H0 diagrams of the default experiment;
    its float sums round like any: within 6e-15 (relative) of an exact assignment on ordinary diagrams, but a
    difference below the rounding of the summed costs (bars 1e16 times longer than it) is lost.

    Parameters
    ----------
    x, y : ndarray of shape (n,) and (m,), bar lengths (death - birth), finite

    Returns
    -------
    float : the finite part of the distance, ``(min cost)^(1/q)``
    """
    return float(common_birth_wasserstein_many([x], [y], order)[0])


def common_birth_wasserstein_many(xs: list[np.ndarray], ys: list[np.ndarray], order: float) -> np.ndarray:
    """``common_birth_wasserstein(xs[k], ys[k], order)`` for every k, shape (len(xs),), in blocks of
    ``WASSERSTEIN_BLOCK`` pairs of similar sizes that run the dynamic programme's rows together.

    Within a block, a shorter ``x`` is padded with NaN rows *before* its bars (a row that changes nothing:
    leaving costs 0, matching is NaN and ``fmin`` skips it, and the first rows meet the initial costs, which
    they return bit for bit), a shorter ``y`` with NaN columns after them (which only repeat the last real
    column), so each pair gets the very floats it gets alone. One row of the programme, for ``x_i`` against
    every ``y_j``: ``cost[j]`` is the best for ``x[:i]`` against ``y[:j]``; ``x_i`` is left or matched to
    ``y_j`` (``step``), then ``y[j]`` may also be left after ``step[k]``:
    ``cost[j] = min over k <= j of step[k] + sum of y[k:j]'s costs`` (a running minimum).
    """
    out = np.empty(len(xs))
    by_size = np.argsort([len(x) * 1_000_000 + len(y) for x, y in zip(xs, ys, strict=True)], kind="stable")
    for start in range(0, len(by_size), WASSERSTEIN_BLOCK):
        block = by_size[start : start + WASSERSTEIN_BLOCK]
        n, m = max(len(xs[k]) for k in block), max(len(ys[k]) for k in block)
        X, Y = np.full((len(block), n), np.nan), np.full((len(block), m), np.nan)
        for row, k in enumerate(block):
            X[row, n - len(xs[k]) :] = np.sort(xs[k])
            Y[row, : len(ys[k])] = np.sort(ys[k])
        leave = np.nan_to_num((X / 2) ** order)
        left_y = np.cumsum(np.nan_to_num((Y / 2) ** order), axis=1)
        unmatched_y = np.concatenate([np.zeros((len(block), 1)), left_y], axis=1)
        cost = unmatched_y
        for i in range(n):
            step = np.empty_like(cost)
            step[:, 0] = cost[:, 0] + leave[:, i]
            step[:, 1:] = np.fmin(cost[:, 1:] + leave[:, i, None], cost[:, :-1] + np.abs(X[:, i, None] - Y) ** order)
            cost = unmatched_y + np.minimum.accumulate(step - unmatched_y, axis=1)
        # the root one value at a time: numpy's power on arrays and on single numbers may round differently
        out[block] = [max(total, 0.0) ** (1.0 / order) for total in cost[:, -1]]
    return out
