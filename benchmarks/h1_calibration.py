"""False and true positive rates of the H1 significance rule on landmark-subsampled clouds.

The Bobrowski-Skraba null behind the H1 rule assumes independent points; the pipeline hands it 500
farthest-point landmarks of a larger cloud, which are spread more evenly than independent points. This
measures the rule where it is used (layertopo.studies.known_shapes.H1_FAMILIES): clouds of 1000-2000 points
in R^12 and R^64, subsampled to 500 landmarks (the default TopologyConfig), then H1 and its significance.

- null families (no loop): a standard Gaussian, a uniform ball, the sphere S^11 (rotated into R^64):
  false positive rate = share of clouds with any significant H1 bar;
- loop families: noisy circles (b1 = 1) and flat tori (b1 = 2), noise 0-5 % of the radius, rotated in:
  true positive rate = share of clouds whose significant b1 is exactly the true one.

Each family is run with "maxmin" (the default) and "random" subsampling side by side (``--subsample``).

    .venv/bin/python benchmarks/h1_calibration.py [--instances 50] [--jobs 2] [--subsample maxmin random]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from joblib import Parallel, delayed

from layertopo.config import TopologyConfig
from layertopo.studies.known_shapes import H1_FAMILIES, h1_trial

SUBSAMPLERS = ("maxmin", "random")


def timed(family: str, i: int, config: TopologyConfig) -> tuple[int, int, float]:
    start = time.perf_counter()
    found, true = h1_trial(family, i, config)
    return found, true, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--subsample", nargs="+", choices=SUBSAMPLERS, default=list(SUBSAMPLERS))
    args = parser.parse_args()
    configs = {name: TopologyConfig(subsample=name) for name in args.subsample}
    tasks = [(family, i, sub) for family in H1_FAMILIES for sub in args.subsample for i in range(args.instances)]
    results = Parallel(n_jobs=args.jobs)(delayed(timed)(f, i, configs[sub]) for f, i, sub in tasks)
    print(f"{'family':14s} {'rate':18s} " + " ".join(f"{s:>8s}" for s in args.subsample) + "  median s")
    for family, (_, has_loops) in H1_FAMILIES.items():
        rates, seconds = [], []
        for sub in args.subsample:
            mine = [r for (f, _, s), r in zip(tasks, results, strict=True) if f == family and s == sub]
            hits = [found == true if has_loops else found > 0 for found, true, _ in mine]
            rates.append(np.mean(hits))
            seconds += [t for _, _, t in mine]
        what = "true positives" if has_loops else "false positives"
        print(f"{family:14s} {what:18s} " + " ".join(f"{r:8.2f}" for r in rates) + f"  {np.median(seconds):.2f}")


if __name__ == "__main__":
    main()
