"""The distance stage's kernels against the ones they replaced, on the diagrams of a finished run.

For every (model, seed) of a run folder, the stage's inputs are rebuilt (the scaled diagrams of every pair the
stage compares, and the noise-floor halves' diagrams) and each kind of distance is timed twice in this
process, alternately, ``--repeats`` times:

* **H1 bottleneck** (not one common birth): ours, ``bottleneck_within(rtol=1e-3)`` (a matching test at a
  lower bound of the distance, then a bisection when that test fails), against the previous stage's
  ``gudhi.bottleneck_distance(e=1e-4)`` followed by its matching certificate
  (``checked_bottleneck(tolerance=1e-4)``). Printed: the largest relative error of each, against the exact
  value (``checked_bottleneck`` with e=0, on the first ``--exact`` pairs), and how many of ours are exact.
* **H0 bottleneck** (one common birth, exact both ways): ours (the matching test at a lower bound, else a
  bisection to a 1e-3 bracket, then the costs in it) against the previous bisection over every float64
  (``_float_bisection`` below, the code it replaced).
* **H0 1-Wasserstein** (exact both ways): ``wasserstein_distances`` (the pairs' dynamic programmes run
  together) against the same programme pair by pair (``_one_pair_programme``, the code it replaced). The
  values must be equal to the last bit.

    .venv/bin/python benchmarks/distances.py runs/default [--repeats 3] [--units 2]

Prints seconds per kind (median over repeats), the ratios, and the error columns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from layertopo.config import load_config
from layertopo.data import make_dataset
from layertopo.stages.distances import comparison_inputs
from layertopo.store import RunStore
from layertopo.topology.bottleneck import _lengths_match, checked_bottleneck
from layertopo.topology.comparisons import BOTTLENECK_RTOL, _normalised, _pairs
from layertopo.topology.distances import (
    bottleneck_distance,
    bottleneck_within,
    wasserstein_distances,
)

ROOT = Path(__file__).resolve().parents[1]


def _float_bisection(x: np.ndarray, y: np.ndarray) -> float:
    """The previous exact H0 bottleneck: a bisection over the float64 bit patterns (about 62 tests)."""
    x, y = np.sort(x), np.sort(y)
    top = max(x[-1] if x.size else 0.0, y[-1] if y.size else 0.0) / 2
    if _lengths_match(x, y, 0.0):
        return 0.0
    lo, hi = 0, int(np.float64(top).view(np.int64))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _lengths_match(x, y, float(np.int64(mid).view(np.float64))) else (mid, hi)
    return float(np.int64(hi).view(np.float64))


def _one_pair_programme(x: np.ndarray, y: np.ndarray, order: float = 1.0) -> float:
    """The previous exact H0 Wasserstein distance: the same dynamic programme, one pair at a time."""
    x, y = np.sort(x), np.sort(y)
    unmatched_y = np.concatenate([[0.0], np.cumsum((y / 2) ** order)])
    cost = unmatched_y
    for xi in x:
        leave = (xi / 2) ** order
        step = np.empty_like(cost)
        step[0] = cost[0] + leave
        step[1:] = np.minimum(cost[1:] + leave, cost[:-1] + np.abs(xi - y) ** order)
        cost = unmatched_y + np.minimum.accumulate(step - unmatched_y)
    return float(max(cost[-1], 0.0) ** (1.0 / order))


def _previous_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """``wasserstein_distance(a, b)`` as it was for H0 pairs (one essential bar each, every bar born at 0)."""
    fa, fb = finite(a), finite(b)
    gap = abs(a[~np.isfinite(a[:, 1]), 0].sum() - b[~np.isfinite(b[:, 1]), 0].sum())
    return _one_pair_programme(fa[:, 1], fb[:, 1]) + gap


def finite(dgm: np.ndarray) -> np.ndarray:
    return dgm[np.isfinite(dgm[:, 1])]


def scaled_pairs(run: Path, units: int) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
    """The scaled diagram pairs the distance stage compares, by homology dimension, for the first ``units``
    (model, seed) units of the run."""
    try:
        config = load_config(run / "config.yaml")
    except ValueError:  # a run folder written before a config key moved: its computation is the default one
        config = load_config(ROOT / "configs" / "default.yaml")
    store, dataset = RunStore(run), make_dataset(config.data)
    summaries = pd.read_parquet(run / "summaries.parquet")
    out: dict[int, list] = {0: [], 1: []}
    names = [(m, s) for m in config.models for s in config.training.seeds][:units]
    for model, seed in names:
        diagrams, scales, layers, *_ = comparison_inputs(config, dataset, store, summaries, model, seed)
        for _, a, b in _pairs(diagrams, layers):
            if a in diagrams and b in diagrams:
                da = _normalised(diagrams[a], scales.get(a[:3], 0.0))
                db = _normalised(diagrams[b], scales.get(b[:3], 0.0))
                out[a[3]].append((da, db))
    return out


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--units", type=int, default=1, help="(model, seed) units whose pairs are timed")
    parser.add_argument("--exact", type=int, default=100, help="H1 pairs checked against the exact distance")
    args = parser.parse_args()
    pairs = scaled_pairs(args.run, args.units)
    h0, h1 = pairs[0], [(finite(a), finite(b)) for a, b in pairs[1]]
    bars = np.median([len(a) for a, _ in h1])
    print(f"{args.run}: {len(h0)} H0 pairs, {len(h1)} H1 pairs, median H1 bars {bars:.0f}")
    sides = {
        "H1 bottleneck": (
            lambda: [bottleneck_within(a, b, rtol=BOTTLENECK_RTOL)[0] for a, b in h1],
            lambda: [checked_bottleneck(a, b, 1e-4) for a, b in h1],
            "bottleneck_within(rtol=1e-3)",
            "gudhi e=1e-4 + certificate",
        ),
        "H0 bottleneck": (
            lambda: [bottleneck_distance(a, b) for a, b in h0],
            lambda: [_float_bisection(finite(a)[:, 1], finite(b)[:, 1]) for a, b in h0],
            "bracket, then costs",
            "bisection over floats",
        ),
        "H0 Wasserstein": (
            lambda: list(wasserstein_distances(h0)),
            lambda: [_previous_wasserstein(a, b) for a, b in h0],
            "wasserstein_distances",
            "one pair at a time",
        ),
    }
    print(f"{'kind':16s} {'ours':>30s} {'s':>7s} {'reference':>28s} {'s':>7s} {'ratio':>6s}  values")
    for kind, (ours, reference, ours_name, reference_name) in sides.items():
        times: dict[str, list[float]] = {"ours": [], "reference": []}
        for _ in range(args.repeats):
            seconds, mine = timed(ours)
            times["ours"].append(seconds)
            seconds, theirs = timed(reference)
            times["reference"].append(seconds)
        a, b = statistics.median(times["ours"]), statistics.median(times["reference"])
        mine, theirs = np.array(mine), np.array(theirs)
        if kind == "H1 bottleneck":
            k = min(args.exact, len(h1))
            exact = np.array([checked_bottleneck(x, y, 0.0) for x, y in h1[:k]])
            bounds = np.array([bottleneck_within(x, y, rtol=BOTTLENECK_RTOL)[1] for x, y in h1])
            values = (
                f"largest relative error: ours {np.max((mine[:k] - exact) / exact):.2e} (bound {BOTTLENECK_RTOL}), "
                f"reference {np.max(np.abs(theirs[:k] - exact) / exact):.2e} ({k} pairs); "
                f"ours exact (bound 0) on {np.mean(bounds == 0):.0%} of the pairs"
            )
        else:
            values = "equal to the last bit" if np.array_equal(mine, theirs) else "DIFFERENT"
        print(f"{kind:16s} {ours_name:>30s} {a:7.2f} {reference_name:>28s} {b:7.2f} {b / a:5.1f}x  {values}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
