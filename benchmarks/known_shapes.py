"""Recovery rate of the significant Betti numbers on clouds of known topology, per family.

Reference: the true Betti numbers of each family (layertopo.studies.known_shapes.FAMILIES): the shapes of
layertopo.data.shapes (circle, 2-sphere, torus, figure eight, three clusters, S^(d-1)), 2-5 Gaussian blobs
(equal or 9:1 sizes) and single Gaussians and uniform balls in R^2, R^12, R^64 and R^256. Every instance
goes through the pipeline's own path (diagrams_for_config + significant_features) with the default
TopologyConfig (500 farthest-point landmarks). Prints, per family, the rate of exact recovery ((b0, b1) for
the shapes, b0 for blobs, Gaussians and balls), the wrong answers seen and the median seconds per instance;
then the rate over all instances; then (``--curve``) how b0 recovery of blobs falls with their separation,
below the resolvable limit. Measured: docs/significance.md.

    .venv/bin/python benchmarks/known_shapes.py [--instances 100] [--jobs 2] [--curve] [--h0-z 4.5]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from joblib import Parallel, delayed

from layertopo.config import TopologyConfig
from layertopo.studies.known_shapes import BLOB_DIMS, FAMILIES, resolvable_separation, separation_curve, trial


def timed_trial(family: str, i: int, config: TopologyConfig) -> tuple[tuple[int, ...], tuple[int, ...], float]:
    start = time.perf_counter()
    found, true = trial(family, i, config)
    return found, true, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-points", type=int, default=500)
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--h0-z", type=float, default=None, help="significance.h0_z (default: the config's)")
    parser.add_argument("--curve", action="store_true", help="also print b0 recovery against blob separation")
    args = parser.parse_args()
    config = TopologyConfig(max_points=args.max_points)
    if args.h0_z is not None:
        significance = config.significance.model_copy(update={"h0_z": args.h0_z})
        config = config.model_copy(update={"significance": significance})
    tasks = [(family, i) for family in args.families for i in range(args.instances)]
    results = Parallel(n_jobs=args.jobs)(delayed(timed_trial)(f, i, config) for f, i in tasks)
    print(f"{'family':15s} {'true':>8s} {'rate':>6s} {'median s':>9s}  wrong answers")
    hits_all = []
    for family in args.families:
        mine = [r for (f, _), r in zip(tasks, results, strict=True) if f == family]
        hits = [found == true for found, true, _ in mine]
        hits_all += hits
        wrong = Counter(f"{found} for {true}" for found, true, _ in mine if found != true)
        truth = str(mine[0][1]) if len({true for _, true, _ in mine}) == 1 else "varies"
        seconds = np.median([t for _, _, t in mine])
        print(f"{family:15s} {truth:>8s} {np.mean(hits):6.2f} {seconds:9.3f}  {dict(wrong) or '-'}")
    print(f"{'all':15s} {'':>8s} {np.mean(hits_all):6.3f}  ({len(hits_all)} instances)")
    if args.curve:
        separations = [4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 25.0, 30.0]
        print("\nb0 recovery of 2-5 blobs against separation (standard deviations), 20 instances each")
        print(f"{'dim':>4s} {'limit':>6s} " + " ".join(f"{s:>5g}" for s in separations))
        for dim in BLOB_DIMS:
            curve = separation_curve(dim, separations, n_instances=20, config=config)
            rates = " ".join(f"{curve[s]:5.2f}" for s in separations)
            print(f"{dim:>4d} {resolvable_separation(dim):6.1f} {rates}")


if __name__ == "__main__":
    main()
