"""Recovery rate of the significant Betti numbers on shapes of known topology.

Reference: the true Betti numbers of each shape (layertopo.data.shapes). For every shape, 100 fixed-seed
instances (300-1000 points, noise 0-5 % of the radius, rotated into up to R^64; see
layertopo.topology.calibration) go through persistence_diagrams + significant_features with the default
TopologyConfig (max_points=400 here, as in the test). Prints, per shape, the rate of exact (b0, b1)
recovery, the wrong answers seen, and the median seconds per instance.

    .venv/bin/python benchmarks/known_shapes.py [--instances 100] [--jobs 2]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from joblib import Parallel, delayed

from layertopo.config import TopologyConfig
from layertopo.data.shapes import SHAPES
from layertopo.topology.calibration import trial


def timed_trial(shape: str, i: int, config: TopologyConfig) -> tuple[tuple[int, ...], tuple[int, ...], float]:
    start = time.perf_counter()
    found, true = trial(shape, i, config)
    return found, true, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-points", type=int, default=400)
    args = parser.parse_args()
    config = TopologyConfig(max_points=args.max_points)
    tasks = [(shape, i) for shape in SHAPES for i in range(args.instances)]
    results = Parallel(n_jobs=args.jobs)(delayed(timed_trial)(s, i, config) for s, i in tasks)
    print(f"{'shape':15s} {'true':>8s} {'rate':>6s} {'median s':>9s}  wrong answers")
    for shape in SHAPES:
        mine = [r for (s, _), r in zip(tasks, results, strict=True) if s == shape]
        hits = [found == true for found, true, _ in mine]
        wrong = Counter(found for found, true, _ in mine if found != true)
        seconds = np.median([t for _, _, t in mine])
        print(f"{shape:15s} {str(mine[0][1]):>8s} {np.mean(hits):6.2f} {seconds:9.3f}  {dict(wrong) or '-'}")


if __name__ == "__main__":
    main()
